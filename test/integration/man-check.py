#!/usr/bin/env python3
"""man-check.py SRCDIR: hold doc/man to the command line and the schema.

Prints one line per problem and exits 1 if there is one:
- a command `eddy help` lists without doc/man/eddy-CMD.1.scd, or missing
  from eddy(1)'s list;
- a long option (--name) that `eddy CMD --help` prints, or the help of a
  subcommand it names (`eddy CMD SUB --help`), missing from that page;
- a long option of `eddy-broker --help` missing from eddy-broker(8);
- a configuration table of cmd/config-tables.c or docs/config.md without
  doc/man/eddy-config-TABLE.5.scd, or a key of the table's schema that the
  page does not name;
- a page whose title line is not NAME(SECTION) of its file, or without
  NAME, SYNOPSIS, DESCRIPTION, SEE ALSO (and EXIT STATUS in sections 1, 8).
"""
import os
import re
import subprocess
import sys

src = sys.argv[1]
man = os.path.join(src, 'doc', 'man')
bad = []


def run(*argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.stdout


def page(name):
    path = os.path.join(man, name + '.scd')
    if not os.path.exists(path):
        return None
    # scdoc escapes: \_ and \* stand for _ and *
    return open(path).read().replace('\\_', '_').replace('\\*', '*')


def long_options(text):
    return set(re.findall(r'(?<![\w-])--[a-z][a-z0-9-]*', text))


commands = re.findall(r'^  (\S+) ', run('eddy', 'help'), re.M)
if len(commands) < 10:
    bad.append('eddy help lists %d commands: cannot parse it' % len(commands))
index = page('eddy.1') or ''
for cmd in commands:
    if '*eddy-%s*(1)' % cmd not in index:
        bad.append('eddy %s: not listed in eddy(1)' % cmd)
    text = page('eddy-%s.1' % cmd)
    if text is None:
        bad.append('eddy %s: no page doc/man/eddy-%s.1.scd' % (cmd, cmd))
        continue
    helps = [run('eddy', cmd, '--help')]
    for sub in sorted(set(re.findall(r'eddy %s (\S+) --help' % re.escape(cmd), helps[0]))):
        helps.append(run('eddy', cmd, sub, '--help'))
    for opt in sorted(set().union(*map(long_options, helps)) - {'--help'}):
        if not re.search(r'(?<![\w-])%s(?![\w-])' % re.escape(opt), text):
            bad.append('eddy %s: %s is in its --help, not in eddy-%s(1)' % (cmd, opt, cmd))

# the daemon: eddy-broker --help against eddy-broker(8)
text = page('eddy-broker.8') or ''
for opt in sorted(long_options(run('eddy-broker', '--help')) - {'--help'}):
    if not re.search(r'(?<![\w-])%s(?![\w-])' % re.escape(opt), text):
        bad.append('eddy-broker: %s is in its --help, not in eddy-broker(8)' % opt)

# the schema: top-level tables and the key arrays they name
c = open(os.path.join(src, 'cmd', 'config-tables.c')).read()
arrays = {}
for m in re.finditer(r'struct eddy_conf_key (\w+)\[\] = \{(.*?)\n\};', c, re.S):
    arrays[m.group(1)] = m.group(2)
top = arrays.get('eddy_config_schema', '')
tables = {}
for m in re.finditer(r'\{ "([\w-]+)", EDDY_CONF_TABLE[^\n]*', top):
    k = re.search(r'\.keys = (\w+)', m.group(0))
    tables[m.group(1)] = k.group(1) if k else None
if len(tables) < 10:
    bad.append('cmd/config-tables.c: %d tables: cannot parse it' % len(tables))
doc = open(os.path.join(src, 'docs', 'config.md')).read()
for t in re.findall(r'^\| `\[([\w-]+)[\].]', doc, re.M):
    tables.setdefault(t, None)
for t, keys in sorted(tables.items()):
    text = page('eddy-config-%s.5' % t)
    if text is None:
        bad.append('[%s]: no page doc/man/eddy-config-%s.5.scd' % (t, t))
        continue
    for k in re.findall(r'\{ "([\w*-]+)",', arrays.get(keys, '')):
        if k != '*' and not re.search(r'(?<![\w-])%s(?![\w-])' % re.escape(k), text):
            bad.append('[%s] %s: in cmd/config-tables.c, not in eddy-config-%s(5)' % (t, k, t))

for f in sorted(os.listdir(man)):
    m = re.match(r'^(.*)\.([0-9])\.scd$', f)
    if not m:
        continue
    body = open(os.path.join(man, f)).read()
    if not body.startswith('%s(%s)' % (m.group(1), m.group(2))):
        bad.append('%s: its first line is not %s(%s)' % (f, m.group(1), m.group(2)))
    need = ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'SEE ALSO']
    if m.group(2) in '18':
        need.append('EXIT STATUS')
    for sec in need:
        if not re.search(r'^# %s$' % sec, body, re.M):
            bad.append('%s: no %s section' % (f, sec))

for b in bad:
    print(b)
print('%d commands, %d tables, %d problems' % (len(commands), len(tables), len(bad)))
sys.exit(1 if bad else 0)
