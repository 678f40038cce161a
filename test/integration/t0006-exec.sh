#!/usr/bin/env bash
# Job execution on a real instance: exec-job (exec/test/exec-job) plays the
# job manager; tasks run on the ranks of R and talk back to their local
# broker through EDDY_URI.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/exec.sh" <<'SH'
J=$EDDY_BUILDDIR/exec/test/exec-job
R12='{"version":1,"execution":{"R_lite":[{"rank":"1-2","children":{"core":"0-1"}}]}}'
$J --id 1 -n 4 -R "$R12" --cwd "$PWD/work" -- \
    sh -c 'eddy getattr rank >rank.$EDDY_TASK_RANK; echo $EDDY_JOB_SIZE $EDDY_JOB_ID >>size' |
    sed 's/^/job1: /'
for i in 0 1 2 3; do echo "task $i ran on rank $(cat work/rank.$i)"; done
$J --id 6 -n 2 -R "$R12" -- sh -c 'echo hello from $EDDY_TASK_RANK; echo oops >&2' |
    sed 's/^/job6: /'
eddy kvs eventlog get job.0000.0000.0000.0006.output | sed 's/^/output: /'
sort -u work/size | sed 's/^/sizes: /'
$J --id 2 -n 2 -- sh -c 'exit $((EDDY_TASK_RANK + 2))' | sed 's/^/job2: /'
$J --id 3 -k 0.3:15 -- sleep 100 | sed 's/^/job3: /'
$J --id 4 -t 0.5 -- sleep 100 | sed 's/^/job4: /'
$J --id 5 --run-duration 0.2 -- false | sed 's/^/job5: /'
SH
mkdir -p "$TMP/work"
(cd "$TMP" && eddy start --size 4 -m content -m kvs -m exec sh exec.sh) >"$TMP/exec" 2>&1
_report $? "the exec script runs" "$TMP/exec"
has "$TMP/exec" '^job1: start$' "a 4-task job on 2 ranks starts"
has "$TMP/exec" '^job1: finish 0$' "and finishes with status 0"
has "$TMP/exec" '^job1: release final$' "then releases its resources"
has "$TMP/exec" '^job1: end No data available$' "and the stream ends with ENODATA"
has "$TMP/exec" '^task 0 ran on rank 1$' "task 0 ran on rank 1 (EDDY_URI reaches the local broker)"
has "$TMP/exec" '^task 1 ran on rank 1$' "task 1 ran on rank 1"
has "$TMP/exec" '^task 2 ran on rank 2$' "task 2 ran on rank 2"
has "$TMP/exec" '^task 3 ran on rank 2$' "task 3 ran on rank 2"
has "$TMP/exec" '^sizes: 4 ƒ2$' "every task saw EDDY_JOB_SIZE=4 and EDDY_JOB_ID in F58"
has "$TMP/exec" '^output: [0-9.]+ header .*"count": ?\{"stdout": ?2' "the output eventlog starts with a header"
has "$TMP/exec" '^output: [0-9.]+ data .*"stream": ?"stdout".*"rank": ?"0".*"data": ?"hello from 0\\n"' "task 0's line is in it"
has "$TMP/exec" '^output: [0-9.]+ data .*"stream": ?"stdout".*"rank": ?"1".*"data": ?"hello from 1\\n"' "task 1's line too"
has "$TMP/exec" '^output: [0-9.]+ data .*"stream": ?"stderr".*"data": ?"oops\\n"' "and stderr"
has "$TMP/exec" '^output: [0-9.]+ eof .*"stream": ?"stdout".*"rank": ?"0-1"' "stdout ends with eof for tasks 0-1"
has "$TMP/exec" '^output: [0-9.]+ eof .*"stream": ?"stderr"' "stderr too"
has "$TMP/exec" '^job2: finish 768$' "exit 3 (the highest of 2 and 3) gives status 3<<8"
has "$TMP/exec" '^job3: finish 15$' "exec.kill SIGTERM ends sleep 100 with status 15"
has "$TMP/exec" '^job4: exception timeout ' "a time limit raises a timeout exception"
has "$TMP/exec" '^job4: finish 15$' "and SIGTERM ends the job"
has "$TMP/exec" '^job5: finish 0$' "a test job (run_duration) runs no process"
finish
