#!/usr/bin/env bash
# job-ingest paces itself on the job manager (issue 12): with [ingest]
# backlog-max N, a stream of submissions never leaves more than N jobs
# pending, waits in job-ingest instead (its stats say how often), and the
# jobs run while it streams in; without it, nothing is paced.
. "$(dirname "$0")/lib.sh"

# Right after the last submission is answered: the job manager's counts
# (pending jobs only fall from then on: nothing else submits).
cat >"$TMP/stream.sh" <<'SH'
eddy submit --quiet --cc=1-400 -S exec.test.run_duration=0.02 true || exit 1
eddy module stats job-manager > jm.json
eddy module stats job-ingest > ingest.json
eddy queue drain --timeout 120 || exit 1
eddy jobs -a -n -o '{state}' > states.out
SH
pending () { python3 -c "import json,sys; o=json.load(open(sys.argv[1])); print(o['active'] - o['running'])" "$1"; }
field () { python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 'missing'))" "$1" "$2"; }

(cd "$TMP" && eddy start -m 'job-ingest={"backlog-max":40}' sh stream.sh) >"$TMP/paced" 2>&1
_report $? "400 test-exec jobs streamed in with backlog-max 40, then drained" "$TMP/paced"
p=$(pending "$TMP/jm.json")
[ "$p" -le 40 ]; _report $? "when the submission returns, at most 40 jobs are pending ($p)" "$TMP/jm.json"
d=$(field "$TMP/jm.json" inactive)
r=$(field "$TMP/jm.json" running)
[ "$d" != missing ] && [ "$d" -ge $((400 - 40 - r)) ]
_report $? "so the others ran while it streamed ($d inactive, $r running)" "$TMP/jm.json"
v=$(field "$TMP/ingest.json" paced)
[ "$v" != missing ] && [ "$v" -gt 0 ]
_report $? "job-ingest's stats count the batches that waited for the backlog (paced $v)" "$TMP/ingest.json"
has "$TMP/ingest.json" '"backlog-max": 40' "and show the bound"
has "$TMP/ingest.json" '"submitted": 400' "every submission was taken"
has "$TMP/ingest.json" '"same": 399' "399 copies of the first jobspec were not validated again"
n=$(grep -c '^INACTIVE$' "$TMP/states.out")
[ "$n" -eq 400 ]; _report $? "all 400 ended ($n inactive)" "$TMP/states.out"

# A jobspec after copies of another is validated on its own and keeps
# its own size.
cat >"$TMP/mixed.sh" <<'SH'
eddy submit --quiet --cc=1-3 -S exec.test.run_duration=0 true || exit 1
id=$(eddy submit -n 2 -S exec.test.run_duration=0 true) || exit 1
eddy job wait "$id" || exit 1
eddy jobs -a -n -o '{id.f58} {ntasks}' | grep "^$id "
eddy module stats job-ingest > mixed.json
SH
(cd "$TMP" && eddy start sh mixed.sh) >"$TMP/mixed" 2>&1
_report $? "three copies, then another jobspec" "$TMP/mixed"
has "$TMP/mixed" ' 2$' "the other one keeps its own size (2 tasks)"
has "$TMP/mixed.json" '"same": 2' "only the copies matched"

# Without the knob (the default), nothing waits for the job manager.
(cd "$TMP" && eddy start sh stream.sh) >"$TMP/free" 2>&1
_report $? "the same stream without backlog-max" "$TMP/free"
has "$TMP/ingest.json" '"paced": 0' "is not paced"
has "$TMP/ingest.json" '"backlog-max": 0' "(backlog-max 0: no bound)"

# Pending jobs brought back by a restart count from the first batch on;
# whatever keeps jobs pending (here a stopped queue) holds submissions.
cat >"$TMP/fill.sh" <<'SH'
eddy queue stop || exit 1
eddy submit --quiet --cc=1-30 -S exec.test.run_duration=0 true || exit 1
SH
cat >"$TMP/held.sh" <<'SH'
# job-ingest learns the count once the job manager's restart is over
for i in $(seq 1 100); do
    eddy module stats job-ingest > held0.json
    grep -q '"pending": 30' held0.json && break
    sleep 0.1
done
eddy submit -S exec.test.run_duration=0 true > held.id &
sub=$!
sleep 1
eddy module stats job-ingest > held1.json
kill -0 $sub && echo "still waiting"
eddy queue start || exit 1
wait $sub; echo "submit rc=$?"
eddy queue drain --timeout 60 || exit 1
SH
(cd "$TMP" && eddy start --statedir="$TMP/state" sh fill.sh) >"$TMP/fill" 2>&1
_report $? "30 jobs queued behind a stopped queue, with a statedir" "$TMP/fill"
(cd "$TMP" && eddy start --statedir="$TMP/state" -m 'job-ingest={"backlog-max":20}' sh held.sh) >"$TMP/held" 2>&1
_report $? "restarted with backlog-max 20" "$TMP/held"
has "$TMP/held0.json" '"pending": 30' "job-ingest knows the 30 restored pending jobs at once"
has "$TMP/held1.json" '"pacing": true' "a new submission waits for the backlog"
has "$TMP/held1.json" '"waiting": 1' "in job-ingest"
has "$TMP/held" '^still waiting$' "and eddy submit has no answer yet"
has "$TMP/held" '^submit rc=0$' "once the queue starts it is taken"

# The same bound from the configuration, and bad values.
mkdir -p "$TMP/conf.d"
printf '[ingest]\nbacklog-max = 25\n' >"$TMP/conf.d/ingest.toml"
(cd "$TMP" && eddy start --config-path="$TMP/conf.d" sh stream.sh) >"$TMP/conf" 2>&1
_report $? "the stream with [ingest] backlog-max = 25" "$TMP/conf"
p=$(pending "$TMP/jm.json")
[ "$p" -le 25 ]; _report $? "at most 25 pending when it returns ($p)" "$TMP/jm.json"
has "$TMP/ingest.json" '"backlog-max": 25' "job-ingest took the bound from [ingest]"

printf '[ingest]\nbacklog-max = -3\n' >"$TMP/conf.d/ingest.toml"
(cd "$TMP" && eddy start --config-path="$TMP/conf.d" true) >"$TMP/bad" 2>&1
[ $? -ne 0 ]; _report $? "a negative [ingest] backlog-max is refused" "$TMP/bad"
has "$TMP/bad" 'ingest.toml: ingest.backlog-max: -3 is out of range' "with a message naming the file and key"
(cd "$TMP" && eddy start -m 'job-ingest={"backlog-max":-1}' true) >"$TMP/badarg" 2>&1
[ $? -ne 0 ]; _report $? "and so is a negative module argument" "$TMP/badarg"
has "$TMP/badarg" 'job-ingest.err: backlog-max: expected an integer >= 0' "with job-ingest's message"

(cd "$TMP" && eddy start eddy module stats nosuch) >"$TMP/nostats" 2>&1
[ $? -ne 0 ]; _report $? "eddy module stats of a module without stats fails" "$TMP/nostats"
has "$TMP/nostats" '^eddy-module: nosuch.stats: ' "and says which request"
finish
