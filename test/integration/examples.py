#!/usr/bin/env python3
"""examples.py SRCDIR OUTDIR: extract the examples of the guides and the
man pages into OUTDIR, one script per example, and list them on stdout,
one line each: NAME KIND WHERE (KIND: sh, instance=N, config, norun=WHY).

The convention (docs/user-guide.md, "About the examples"):
- guides (GUIDES below): a fenced block whose info string starts with sh
  or bash runs with sh -e in a fresh temporary directory; `sh instance=N`
  runs inside `eddy start --size N`; a toml block is a configuration that
  `eddy config check` must accept; `sh norun=WHY` or `toml norun=WHY` is
  not run, WHY one of NORUN.  Other blocks (text, json, console) are
  output, not examples.
- man pages (doc/man/*.scd): every ``` block follows a comment line
  `; example`, `; example instance=N`, `; example config` or `; norun=WHY`.
A block that breaks the convention is an error (exit 1, a message).
"""
import os
import re
import sys

GUIDES = ['docs/quickstart.md', 'docs/user-guide.md', 'docs/admin-guide.md',
          'docs/sim-guide.md', 'docs/flux-slurm.md']
NORUN = {'root', 'systemd', 'cluster', 'interactive'}
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
errors = []
found = []


def kind_of(words, where):
    """the block's kind from the words after its language, or None"""
    if not words:
        return 'sh'
    w = words[0]
    m = re.match(r'^instance=([1-9][0-9]?)$', w)
    if m:
        return w
    m = re.match(r'^norun=(\w+)$', w)
    if m and m.group(1) in NORUN:
        return w
    errors.append('%s: unknown example marker %r (instance=N or norun=%s)'
                  % (where, w, '|'.join(sorted(NORUN))))
    return None


for g in GUIDES:
    path = os.path.join(src, g)
    if not os.path.exists(path):
        errors.append('%s: missing' % g)
        continue
    lines = open(path).read().split('\n')
    i = 0
    while i < len(lines):
        m = re.match(r'^```(\w*)\s*(.*)$', lines[i])
        if not m:
            i += 1
            continue
        lang, words = m.group(1), m.group(2).split()
        start = i + 1
        j = start
        while j < len(lines) and not lines[j].startswith('```'):
            j += 1
        if j == len(lines):
            errors.append('%s:%d: unclosed block' % (g, i + 1))
        body = '\n'.join(lines[start:j]) + '\n'
        where = '%s:%d' % (g, i + 1)
        if lang in ('sh', 'bash'):
            k = kind_of(words, where)
            if k:
                found.append((k, where, body))
        elif lang == 'toml':
            k = kind_of(words, where)
            if k:
                found.append(('config' if k == 'sh' else k, where, body))
        i = j + 1

mandir = os.path.join(src, 'doc', 'man')
for f in sorted(os.listdir(mandir)):
    if not f.endswith('.scd'):
        continue
    lines = open(os.path.join(mandir, f)).read().split('\n')
    i = 0
    while i < len(lines):
        if lines[i] != '```':
            i += 1
            continue
        where = 'doc/man/%s:%d' % (f, i + 1)
        mark = lines[i - 1] if i > 0 else ''
        j = i + 1
        while j < len(lines) and lines[j] != '```':
            j += 1
        body = '\n'.join(lines[i + 1:j]) + '\n'
        m = re.match(r'^; (example(?: (instance=[1-9][0-9]?|config))?|norun=(\w+))$', mark)
        if not m or (m.group(3) and m.group(3) not in NORUN):
            errors.append('%s: a literal block without `; example[ instance=N| config]` or `; norun=WHY`' % where)
        elif m.group(3):
            found.append(('norun=' + m.group(3), where, body))
        else:
            found.append((m.group(2) or 'sh', where, body))
        i = j + 1

for n, (k, where, body) in enumerate(found):
    name = 'ex%03d' % n
    with open(os.path.join(out, name + ('.toml' if k == 'config' else '.sh')), 'w') as fh:
        fh.write(body)
    print(name, k, where)
for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
