#!/usr/bin/env python3
"""cli-check.py: hold every command's --help to its parser (issue 16).

For each command of `eddy help`, and each subcommand its usage lines (or a
"Commands:"/"Subcommands:" list) name, with EDDY_URI naming no instance:
- `eddy CMD [SUB] --help` exits 0 and prints its usage;
- each option that help lists ("  -x, --name=ARG  ...") is taken by that
  parser: `eddy CMD [SUB] OPTION[=1] --help` prints no parser complaint
  (unrecognized, invalid, missing or ambiguous option, "Try ... --help");
- an option in no table is refused: exit not 0, the first line of stderr
  "eddy-CMD: " naming it; so is a required argument left out;
- an unknown subcommand is refused the same way;
- each target run with no operands, and with one junk operand added, if it
  fails, says what was wrong: the first line of stderr is "eddy-CMD: "
  and not "eddy-CMD: usage: ..." (issue 16).  OPERANDS_SKIP lists the
  targets not run so (they would wait, or their operand is a command to
  run, whose own errors are not eddy's).
With --instance, EDDY_URI is kept (an instance's, eddy start's), so the
commands that talk to one get past connecting and reach their own checks.
Prints one line per problem, then "N targets, N options, N problems";
exits 1 if there is a problem.  The options' values are "1": a value a
command refuses is its own message, not the parser's.
"""
import os
import re
import subprocess
import sys
import tempfile

COMPLAINT = re.compile(r"unrecognized option|invalid option|requires an argument|takes no argument"
                       r"|is ambiguous|doesn't allow an argument|Try '[^']*--help'")
OPTLINE = re.compile(r'^ {2,6}(?:-([A-Za-z0-9])(?:, | |$))?(?:--([a-z][a-z0-9-]*)(=|\[=)?)?')
JUNK = 'junk-operand'
# (target, how): 'bare' not run without operands, 'junk' not with JUNK,
# 'both' neither
OPERANDS_SKIP = {
    'start': 'both',        # boots an instance
    'alloc': 'both',        # a new instance in a job
    'shutdown': 'bare',     # would stop the instance
    'relay': 'both',        # copies stdin to a socket, for ssh
    'event sub': 'both',    # waits for events
    'kvs watch': 'junk',    # waits for the key
    'proxy': 'junk',        # JUNK is a URI, then a shell
    # the operand is a command (or script) to run, its errors its own
    'batch': 'junk', 'env': 'junk', 'exec': 'junk', 'run': 'junk', 'submit': 'junk',
}
instance = '--instance' in sys.argv[1:]
work = tempfile.mkdtemp(prefix='cli-check.')
env = dict(os.environ, EDDY_ACCOUNTING_DB=os.path.join(work, 'acct.db'))
if not instance:
    env['EDDY_URI'] = 'local://%s/none' % work
env.pop('EDDY_CONFIG_PATH', None)
bad = []
noptions = 0


def run(argv, timeout=30):
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout, env=env, cwd=work)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return 124, '', 'timed out'


def options(text):
    """(letter, name, takes_arg) of each option line of a help text"""
    out = []
    for line in text.split('\n'):
        m = OPTLINE.match(line)
        if not m or not (m.group(1) or m.group(2)):
            continue
        rest = line[m.end():]
        if m.group(1) and not m.group(2):
            # -x alone, or -x ARG: an argument if an upper-case word follows
            takes = bool(re.match(r'[A-Z][A-Z0-9_,.=:|-]*(\s|$)', rest))
            if re.match(r'\S', rest) and not takes and not rest.startswith(' '):
                continue
            out.append((m.group(1), None, 'arg' if takes else None))
        else:
            out.append((m.group(1), m.group(2), {'=': 'arg', '[=': 'opt'}.get(m.group(3))))
    return out


def subcommands(cmd, text):
    """the subcommands the usage lines (or a list of commands) name"""
    subs = []
    usage = []
    for line in text.split('\n'):
        if line.startswith('Usage:') or (usage and line.startswith('       ')):
            usage.append(line)
        elif usage:
            break
    for seg in re.split(r' \| |\n', '\n'.join(usage)):
        words = seg.replace('Usage:', '').split()
        if words[:2] == ['eddy', cmd]:
            words = words[2:]
        # skip bracketed options: [-N NS], [--watch], [OPTIONS]
        depth = 0
        for w in words:
            if depth or w.startswith('['):
                depth += w.count('[') - w.count(']')
                continue
            if re.fullmatch(r'[a-z][a-z-]*(\|[a-z][a-z-]*)*', w):
                subs += w.split('|')
            break
    listing = False
    for line in text.split('\n'):
        if line in ('Commands:', 'Subcommands:'):
            listing = True
            continue
        m = re.match(r'^  ([a-z][a-z-]+)(\s|$)', line)
        if listing and m:
            subs.append(m.group(1))
    return list(dict.fromkeys(s for s in subs if s != cmd))


def first_error(err):
    lines = [l for l in err.split('\n') if l.strip()]
    return lines[0] if lines else ''


def check_refused(target, cmd, argv, word, what):
    rc, out, err = run(['eddy'] + argv)
    line = first_error(err)
    if rc == 0 or not line.startswith('eddy-%s: ' % cmd) or word not in line:
        bad.append('eddy %s: %s: exit %d, stderr %r (want "eddy-%s: ..." naming %s)'
                   % (target, what, rc, line, cmd, word))


def check_operands(target, cmd, argv, what):
    """if argv fails, its first line names the problem, not the usage"""
    rc, out, err = run(['eddy'] + argv, timeout=20)
    line = first_error(err)
    if rc == 124:
        bad.append('eddy %s: %s: timed out' % (target, what))
    elif rc != 0 and (not line.startswith('eddy-%s: ' % cmd)
                      or line.startswith('eddy-%s: usage:' % cmd)):
        bad.append('eddy %s: %s: exit %d, stderr %r (want "eddy-%s: " and what was wrong)'
                   % (target, what, rc, line, cmd))


commands = re.findall(r'^  (\S+) ', run(['eddy', 'help'])[1], re.M)
if len(commands) < 10:
    bad.append('eddy help lists %d commands: cannot parse it' % len(commands))
ntargets = 0
for cmd in commands:
    rc, top, err = run(['eddy', cmd, '--help'])
    if rc != 0 or not top.startswith('Usage:'):
        bad.append('eddy %s --help: exit %d, %r' % (cmd, rc, (top or err)[:80]))
        continue
    subs = subcommands(cmd, top)
    helps = {}
    for sub in subs:
        rc, out, err = run(['eddy', cmd, sub, '--help'])
        if rc != 0 or not out.startswith('Usage:'):
            bad.append('eddy %s %s --help: exit %d, %r' % (cmd, sub, rc, first_error(err or out)))
            continue
        helps[sub] = out
    # the command's own options: those of its help that no subcommand's lists
    in_subs = {o for text in helps.values() for o in options(text)}
    targets = [([cmd], [o for o in options(top) if o not in in_subs])]
    targets += [([cmd, sub], options(text)) for sub, text in helps.items()]
    for argv, opts in targets:
        ntargets += 1
        name = ' '.join(argv)
        for letter, long, arg in opts:
            if long == 'help':
                continue
            noptions += 1
            spelled = '--' + long if long else '-' + letter
            given = [spelled + '=1'] if long and arg else [spelled, '1'] if arg else [spelled]
            rc, out, err = run(['eddy'] + argv + given + ['--help'])
            m = COMPLAINT.search(err)
            if m:
                bad.append('eddy %s: %s is in its --help, its parser says: %s'
                           % (name, spelled, first_error(err)))
        check_refused(name, cmd, argv + ['--no-such-option'], '--no-such-option', 'an unknown option')
        skip = OPERANDS_SKIP.get(name)
        if skip not in ('bare', 'both'):
            check_operands(name, cmd, argv, 'no operands')
        if skip not in ('junk', 'both'):
            check_operands(name, cmd, argv + [JUNK], 'a junk operand')
        needs = [o for o in opts if o[1] and o[2] == 'arg']
        if needs:
            opt = '--' + needs[0][1]
            check_refused(name, cmd, argv + [opt], opt, 'a missing argument')
    if subs:
        check_refused(cmd, cmd, [cmd, 'no-such-subcommand'], 'no-such-subcommand',
                      'an unknown subcommand')

for line in bad:
    print(line)
print('%d targets, %d options, %d problems' % (ntargets, noptions, len(bad)))
sys.exit(1 if bad else 0)
