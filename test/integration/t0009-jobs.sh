#!/usr/bin/env bash
# Jobs end to end on a real instance: submit, run, status, output, limits,
# cancel, and bad input.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/many.sh" <<'SH'
eddy submit --cc=1-1000 --quiet --wait true || exit 1
eddy jobs -a -n -o '{id.f58} {state} {result} {returncode}' > jobs.out
SH
(cd "$TMP" && eddy start --size 8 sh many.sh) >"$TMP/many" 2>&1
_report $? "1,000 jobs submitted with --cc and --wait" "$TMP/many"
n=$(wc -l <"$TMP/jobs.out")
[ "$n" -eq 1000 ]; _report $? "eddy jobs -a lists 1,000 jobs ($n)" "$TMP/jobs.out"
n=$(grep -c ' INACTIVE COMPLETED 0$' "$TMP/jobs.out")
[ "$n" -eq 1000 ]; _report $? "all 1,000 are inactive with exit status 0 ($n)" "$TMP/jobs.out"

cat >"$TMP/run.sh" <<'SH'
eddy run -n 4 hostname > hostname.out; echo "hostname rc=$?"
eddy run sh -c 'echo out; echo err >&2; exit 3'; echo "exit3 rc=$?"
eddy run -t 1s sleep 30; echo "limit rc=$?"
id=$(eddy submit sleep 100)
for i in $(seq 1 100); do eddy jobs -n -o '{id.f58} {st}' | grep -q "^$id R$" && break; sleep 0.05; done
eddy job cancel $id; echo "cancel rc=$?"
eddy job wait $id; echo "wait rc=$?"
eddy jobs -a -n -o '{id.f58} {result} {exception.type}' | grep "^$id "
eddy job eventlog $id | sed -n 's/.*"name":"\([a-z]*\)".*/event \1/p'
SH
(cd "$TMP" && eddy start --size 2 sh run.sh) >"$TMP/run" 2>&1
_report $? "the run script" "$TMP/run"
n=$(wc -l <"$TMP/hostname.out")
[ "$n" -eq 4 ]; _report $? "eddy run -n 4 hostname prints four lines ($n)" "$TMP/hostname.out"
has "$TMP/run" '^hostname rc=0$' "and exits 0"
has "$TMP/run" '^out$' "a job's stdout reaches eddy run's stdout"
has "$TMP/run" '^err$' "and its stderr"
has "$TMP/run" '^exit3 rc=3$' "a job that exits 3 makes eddy run exit 3"
has "$TMP/run" 'exception timeout' "a job past its -t limit gets a timeout exception"
grep -Eq '^limit rc=(1|1[0-9][0-9])$' "$TMP/run"; _report $? "and eddy run fails" "$TMP/run"
has "$TMP/run" '^cancel rc=0$' "eddy job cancel on a running sleep 100"
has "$TMP/run" ' CANCELED cancel$' "the job ends canceled"
has "$TMP/run" '^eddy-job: [^ ]+: exception cancel$' "eddy job wait says so (no dangling colon without a note)"
has "$TMP/run" '^event clean$' "its eventlog ends with clean"

cat >"$TMP/purge.sh" <<'SH'
# one after the other, so that they become inactive in the order submitted
# (purge keeps the newest by that time; five at once can end out of order)
ids=$(for i in 1 2 3 4 5; do
    id=$(eddy submit true) && eddy job wait $id >/dev/null && echo $id || exit 1
done) || exit 1
first=$(echo "$ids" | head -1); last=$(echo "$ids" | tail -1)
# the purge follows the clean that --wait saw: give it a moment
for i in $(seq 50); do eddy job eventlog $first >/dev/null 2>purge.err || break; sleep 0.1; done
eddy job eventlog $first >/dev/null 2>purge.err && echo "first kept" || echo "first purged"
eddy job eventlog $last | tail -1 | grep -q clean && echo "last kept"
cat purge.err
SH
(cd "$TMP" && eddy start -m job-manager='{"purge_count":2}' sh purge.sh) >"$TMP/purge" 2>&1
has "$TMP/purge" '^first purged$' "with purge_count 2, the oldest inactive job leaves the KVS"
has "$TMP/purge" '^last kept$' "and the newest stays"
has "$TMP/purge" 'no such job or key' "reading a purged job says so"
(cd "$TMP" && eddy start -m job-manager='{"purge_count":0}' sh -c '
    eddy submit --cc=1-5 --wait true >/dev/null || exit 1
    # the purge follows the last clean event, so give it a moment
    for i in $(seq 50); do [ -z "$(eddy kvs ls job)" ] && break; sleep 0.1; done
    eddy kvs ls job | sed "s/^/left: /"; echo done') >"$TMP/purge0" 2>&1
has "$TMP/purge0" '^done$' "with purge_count 0 every job leaves the KVS"
hasnt "$TMP/purge0" '^left: ' "and so do the directories above them (nothing left in job)"

fails "an unknown submit option" eddy start eddy submit --bogus true
eddy start eddy submit -n 0 true 2>"$TMP/e1"; has "$TMP/e1" '^eddy-submit: --ntasks' "a bad task count"
eddy start eddy submit -N 3 -n 3 true 2>"$TMP/e2" >"$TMP/o2"
eddy start sh -c 'id=$(eddy submit -n 1000 true); eddy job wait $id' >"$TMP/o3" 2>&1
has "$TMP/o3" 'exception alloc' "a job larger than the machine is refused with an alloc exception"
echo '{"version": 1, "resources": []}' >"$TMP/bad.json"
eddy jobspec validate "$TMP/bad.json" 2>"$TMP/e4"; has "$TMP/e4" '^eddy-jobspec: ' "a malformed jobspec gets a message"
cat >"$TMP/good.yaml" <<'YAML'
version: 1
resources:
  - type: slot
    count: 1
    label: task
    with:
      - type: core
        count: 1
tasks:
  - command: ["echo", "from a file"]
    slot: task
    count:
      per_slot: 1
attributes:
  system:
    duration: 0
YAML
(cd "$TMP" && eddy start sh -c '
    eddy kvs put keep=\"kept\"
    id=$(eddy job submit good.yaml) && eddy job attach $id
    eddy job submit bad.json; echo "bad rc=$?"
    echo "{oops" | eddy job submit -; echo "oops rc=$?"
    eddy job submit --urgency=16 good.yaml >/dev/null && echo "urgency ok"
    eddy kvs get keep') >"$TMP/js" 2>&1
has "$TMP/js" '^from a file$' "eddy job submit runs a YAML jobspec file"
has "$TMP/js" '^eddy-job: bad.json: invalid jobspec: ' "job-ingest refuses a malformed jobspec with a clear message"
has "$TMP/js" '^bad rc=1$' "and eddy job submit fails"
has "$TMP/js" '^eddy-job: -: line 1 ' "text that is not JSON or YAML is refused before it is sent"
has "$TMP/js" '^urgency ok$' "--urgency is accepted"
has "$TMP/js" '^"kept"$' "what was stored before is intact"
finish
