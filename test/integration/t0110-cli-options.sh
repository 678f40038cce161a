#!/usr/bin/env bash
# One option table per command (issue 16): every option a command's or a
# subcommand's --help lists is taken by its parser, and a bad option, a
# missing argument or an unknown subcommand is refused with
# "eddy-CMD: message" naming it (cli-check.py, every command of eddy help);
# every command and subcommand run with no operands and with one junk
# operand, when it fails, says what was wrong on its first line, not just
# its usage (cli-check.py again, outside and then inside an instance); then
# a few cases spelled out.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
export EDDY_URI="local://$TMP/no-instance"
ok "every --help option parses, every bad one is refused (cli-check.py)" \
    python3 "$EDDY_SRCDIR/test/integration/cli-check.py"
has "$TMP/out" '^[0-9]+ targets, [0-9]+ options, 0 problems' "checked them all"

ok "in an instance, every operand error says what was wrong (cli-check.py --instance)" \
    eddy start --size 1 python3 "$EDDY_SRCDIR/test/integration/cli-check.py" --instance
has "$TMP/out" '^[0-9]+ targets, [0-9]+ options, 0 problems' "checked them all there too"

fails "a missing required option" eddy R encode --hosts 'n[1-2]'
has "$TMP/out" "^eddy-R: encode needs --cores$" "is named first"
has "$TMP/out" "^Usage: eddy R encode " "then the usage"
has "$TMP/out" "^Try 'eddy R encode --help' for more information\\.$" "and the help to read"
fails "a missing subcommand" eddy kvs
has "$TMP/out" "^eddy-kvs: needs a subcommand: get, put, " "lists them"
fails "a missing operand" eddy keygen
has "$TMP/out" "^eddy-keygen: needs the PATH " "says which"
fails "too many operands" eddy help kvs jobs
has "$TMP/out" "^eddy-help: unexpected argument 'jobs'$" "names the first one too many"
fails "an extra operand to a subcommand" eddy hwloc info x
has "$TMP/out" "^eddy-hwloc: info: unexpected argument 'x'$" "names it and the subcommand"
ok "a subcommand without options has a --help" eddy overlay parentof --help
has "$TMP/out" '^parentof RANK: print the parent of RANK' "its own text"
hasnt "$TMP/out" '^  -s, --summary' "not the options of another subcommand"
ok "eddy event pub --help is help (not an event named --help)" eddy event pub --help
has "$TMP/out" '^Usage: eddy event' "prints the usage"

fails "an unknown option" eddy kvs get --bogus key
has "$TMP/out" "^eddy-kvs: unrecognized option '--bogus'$" "named, with the command's prefix"
has "$TMP/out" "^Try 'eddy kvs get --help' for more information\\.$" "and the help to read"
fails "an option of another subcommand" eddy kvs put --watch a=1
has "$TMP/out" "^eddy-kvs: unrecognized option '--watch'$" "is not this one's"
fails "a missing argument" eddy jobs --count
has "$TMP/out" "^eddy-jobs: option '--count' requires an argument$" "says which"
fails "a short option missing its argument" eddy dmesg -r
has "$TMP/out" "^eddy-dmesg: option '-r' requires an argument$" "says which"
fails "an argument to a flag" eddy lsattr --json=yes
has "$TMP/out" "^eddy-lsattr: option '--json' takes no argument$" "says so"
fails "an ambiguous abbreviation" eddy submit --e true
has "$TMP/out" "^eddy-submit: option '--e' is ambiguous$" "says so"
fails "an unknown subcommand" eddy queue frobnicate
has "$TMP/out" "^eddy-queue: unknown subcommand 'frobnicate'" "named"
fails "the broker: an unknown option" eddy-broker --bogus
has "$TMP/out" "^eddy-broker: unrecognized option '--bogus'$" "named, as eddy-broker"
ok "the broker's --help" eddy-broker --help
has "$TMP/out" '^  -r, --rank=R ' "lists its options from its table"
finish
