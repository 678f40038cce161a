#!/usr/bin/env bash
# job-ingest sends at most batch-max submissions per batch and one batch
# at a time, the rest waiting in order: a burst larger than many batches
# is answered in full, each job once, and every one runs.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/burst.sh" <<'SH'
eddy submit --cc=1-100 -S exec.test.run_duration=0 true > ids || exit 1
for id in $(cat ids); do eddy job wait "$id" || echo "wait $id failed"; done
eddy jobs -a -n -o '{id.f58} {result}' > jobs
SH
(cd "$TMP" && eddy start -m 'job-ingest={"batch-max":3}' sh burst.sh) >"$TMP/out" 2>&1
_report $? "a burst of 100 submissions with batches of 3" "$TMP/out"
[ "$(sort -u "$TMP/ids" | wc -l)" -eq 100 ]; _report $? "gets 100 distinct ids" "$TMP/ids"
hasnt "$TMP/out" 'failed' "every job can be waited on"
[ "$(grep -c ' COMPLETED$' "$TMP/jobs")" -eq 100 ]; _report $? "and all 100 completed" "$TMP/jobs"

eddy start -m 'job-ingest={"batch-max":0}' true >"$TMP/bad" 2>&1
_report $((! $?)) "batch-max 0 is refused" "$TMP/bad"
finish
