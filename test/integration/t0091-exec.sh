#!/usr/bin/env bash
# eddy exec and eddy ps: a command on broker ranks (not a job), its output
# and status (the worst of the ranks'), -r, -d, -l, a timeout, errors; ps
# lists what brokers run; the rexec module's requests reject bad input.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
cat >run.sh <<'SH'
eddy exec -l sh -c 'echo "r $(eddy getattr rank)"' >label.out; echo "label rc=$?"
eddy exec -r 1-2 sh -c 'exit $(( $(eddy getattr rank) + 3 ))' >/dev/null; echo "worst rc=$?"
eddy exec -r 3 -d /tmp pwd >dir.out; echo "dir rc=$?"
eddy exec -r 0 -t 0.5 sleep 30 2>timeout.err; echo "timeout rc=$?"
eddy exec -r 2 sleep 3 & sleep 1
eddy ps >ps.out; eddy ps --json >ps.json; wait
eddy exec -r 9 true 2>badrank.err; echo "badrank rc=$?"
eddy exec -r 0 nosuchcommand-here 2>nocmd.err; echo "nocmd rc=$?"
eddy exec -r 1 -d /no/such/dir true 2>nodir.err; echo "nodir rc=$?"
eddy exec 2>nocommand.err; echo "nocommand rc=$?"
eddy exec -r 0 sh -c 'echo out; echo err >&2' >split.out 2>split.err; echo "split rc=$?"
eddy exec -r 0 sh -c 'head -c 2000000 /dev/zero | tr "\0" x' >big.out 2>big.err; echo "big rc=$?"
SH
ok "an instance of 4 brokers runs the script" timeout 120 eddy start --size 4 sh run.sh
cp "$TMP/out" run.log
has run.log '^label rc=0$' "a command on every rank exits 0"
ok "each rank's output once, labeled with its rank" \
    sh -c "sort label.out | tr '\n' ' ' | grep -qx '0: r 0 1: r 1 2: r 2 3: r 3 '"
has run.log '^worst rc=5$' "the status is the worst of the ranks' (rank 1 exits 4, rank 2 exits 5)"
has dir.out '^/tmp$' "-d sets the working directory"
has run.log '^timeout rc=137$' "-t kills it at the timeout (SIGKILL: 137)"
has timeout.err 'rank 0: timed out after 0.5 s' "and says so"
has ps.out '^ +2 +[0-9]+ exec +sleep 3$' "eddy ps lists the command running on rank 2"
ok "eddy ps --json too" python3 -c "import json,sys; p=json.load(open('ps.json')); sys.exit(0 if any(x['rank']==2 and x['cmd']=='sleep 3' for x in p) else 1)"
has run.log '^badrank rc=1$' "a rank the instance does not have fails"
has badrank.err 'rank 9 is not a rank of this instance of 4' "and is named"
has run.log '^nocmd rc=1$' "a command that does not exist fails"
has nocmd.err 'rank 0: nosuchcommand-here: No such file or directory' "and is named"
has run.log '^nodir rc=1$' "a directory that does not exist fails"
has run.log '^nocommand rc=1$' "no command is a usage error"
has split.out '^out$' "stdout goes to stdout"
has split.err '^err$' "stderr to stderr"
has run.log '^big rc=0$' "2 MB of output"
ok "is cut at 1 MiB, and said" sh -c "[ \$(wc -c <big.out) -eq 1048576 ] && grep -q 'output past 1 MiB was dropped' big.err"
finish
