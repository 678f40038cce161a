#!/usr/bin/env bash
# Nodes offline: an instance of 4 brokers started by hand, with
# [broker] quorum = 3 and rank 2 left out at first.  The instance runs
# with the ranks that are up; a rank that is not online is down (never
# scheduled); a broker killed with SIGKILL under a running job fails that
# job with a node-failure exception, and rejoins when started again with
# the same command line.  Last, rank 0 (keeping its KVS in a statedir)
# killed with SIGKILL under a job on every rank and started again: the
# job ends with the restart exception and the followers kill its tasks.
. "$(dirname "$0")/lib.sh"

SIZE=4
RD="$TMP/rd"
mkdir "$RD" "$TMP/conf.d"
cat >"$TMP/conf.d/broker.toml" <<'TOML'
[broker]
quorum = 3
[tbon]
keepalive_period = "0.2s"
keepalive_timeout = "2s"
# a broker killed under a job and started again has crashed: here it is
# to be used again at once, not drained (t0045 checks the default)
[resource.health]
crashed = "down"
TOML
export EDDY_URI="local://$RD/local-0"
declare -a PIDS

# the command line of rank $1, the same at every start (one core a rank,
# so a job of N nodes needs N ranks; rank 2 says it has two)
FANOUT=0
STATE= # rank 0's statedir, when it keeps one
start_rank () {
    local cores=0 state=()
    [ "$1" = 2 ] && cores=0-1
    [ "$1" = 0 ] && [ -n "$STATE" ] && state=(--setattr=statedir="$STATE")
    eddy-broker --rank="$1" --size=$SIZE --fanout=$FANOUT --rundir="$RD" --tbon=ipc \
        --setattr=resource.cores=$cores "${state[@]}" --config-path="$TMP/conf.d" \
        >>"$TMP/broker$1.log" 2>&1 &
    PIDS[$1]=$!
}
cleanup () {
    eddy shutdown >/dev/null 2>&1
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for f in "$TMP"/pid.*; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    wait
    rm -rf "$TMP"
}
trap cleanup EXIT

down_is () { # the ranks sched.resource-status shows down, as "rank..." or "-"
    local got
    got=$(eddy resource list -s down | awk 'NR == 2 { print $5 == "" ? "-" : $5 }')
    [ "$got" = "$1" ]
}
job_state () { eddy jobs -a -n -o '{id.f58} {state}' | awk -v id="$1" '$1 == id { print $2 }'; }
is_state () { [ "$(job_state "$1")" = "$2" ]; }
job_ranks () { eddy job info "$1" R | grep -o '"rank":"[^"]*"' | cut -d'"' -f4 | paste -sd,; }

t0=$(date +%s.%N)
for r in 0 1 3; do start_rank $r; done

# 1. quorum 3 of 4: run without rank 2, which is down, and no wait for it
within 20 timeout 2 eddy resource list; _report $? "the instance runs with ranks 0, 1 and 3 (quorum 3)" "$TMP/broker0.log"
eddy dmesg >"$TMP/dmesg"
has "$TMP/dmesg" 'broker.info\[0\]: quorum -> run' "rank 0 reached run"
down_is rank2; _report $? "rank 2, never started, is down" "$TMP/dmesg"
timeout 20 eddy run -N 3 -n 3 true >"$TMP/first" 2>&1
_report $? "a first 3-node job runs on the ranks that are up" "$TMP/first"
t=$(echo "$(date +%s.%N) - $t0" | bc)
echo "# from the brokers' start to the first job's end: ${t}s"
[ "$(echo "$t < 15" | bc)" = 1 ]; _report $? "at once, not after waiting for rank 2 (${t}s since start)" "$TMP/first"
id=$(eddy submit -N 3 -n 3 true)
timeout 20 eddy job wait "$id" >"$TMP/out" 2>&1; _report $? "another 3-node job completes" "$TMP/out"
echo "ranks: $(job_ranks "$id")" >"$TMP/ranks"
has "$TMP/ranks" '^ranks: 0-1,3$|^ranks: 0,1,3$' "on ranks 0, 1 and 3, never on rank 2"
wide=$(eddy submit -N 4 -n 4 true)
within 2 is_state "$wide" RUN
[ $? -ne 0 ] && is_state "$wide" SCHED; _report $? "a 4-node job waits in SCHED" "$TMP/dmesg"

# 2. rank 2 starts late: it joins, its resources come up, the waiting job runs
start_rank 2
within 20 down_is -; _report $? "rank 2 started late joins: nothing is down" "$TMP/broker2.log"
timeout 20 eddy job wait "$wide" >"$TMP/out" 2>&1; _report $? "and the 4-node job runs on it" "$TMP/out"
eddy dmesg >"$TMP/dmesg"
has "$TMP/dmesg" "resource.warning\[0\]: resource: rank 2 has cores 0-1, but R gives it rank 0's \(0\)" \
    "R guessed rank 2's cores from rank 0's: the difference is logged"

# 3. a broker killed under a running job: node-failure, resources freed
cat >"$TMP/task.sh" <<SH
echo \$\$ >"$TMP/pid.\$(eddy getattr rank)"
exec sleep 3131
SH
id=$(eddy submit -N 4 -n 4 sh "$TMP/task.sh")
all_tasks () { for r in 0 1 2 3; do [ -s "$TMP/pid.$r" ] || return 1; done; }
within 20 all_tasks
_report $? "a job runs tasks on all four ranks" "$TMP/dmesg"
kill -9 "${PIDS[2]}"
wait "${PIDS[2]}" 2>/dev/null
timeout 30 eddy job wait "$id" >"$TMP/wait" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ]; _report $? "after kill -9 of rank 2's broker, the job ends, and fails" "$TMP/wait"
has "$TMP/wait" 'node-failure' "eddy job wait names a node-failure exception"
eddy job eventlog "$id" >"$TMP/eventlog"
has "$TMP/eventlog" '"name":"exception","context":\{"type":"node-failure","severity":0,"note":"rank 2 is lost"' \
    "the eventlog has exception type=node-failure severity=0 naming rank 2"
has "$TMP/eventlog" '"name":"clean"' "the job went through cleanup to the end"
within 10 is_state "$id" INACTIVE; _report $? "it is INACTIVE, not stuck in RUN or CLEANUP" "$TMP/eventlog"
gone () { for r in 0 1 3; do kill -0 "$(cat "$TMP/pid.$r")" 2>/dev/null && return 1; done; return 0; }
within 10 gone; _report $? "its tasks on ranks 0, 1 and 3 were killed" "$TMP/eventlog"
kill "$(cat "$TMP/pid.2")" 2>/dev/null # rank 2's own task lost its broker: not ours to clean
eddy resource list >"$TMP/list"
has "$TMP/list" '^ *allocated +0 +0 ' "its resources are freed"
down_is rank2; _report $? "rank 2 is down" "$TMP/list"
id=$(eddy submit -N 3 -n 3 true)
timeout 20 eddy job wait "$id" >"$TMP/out" 2>&1; _report $? "a later 3-node job runs" "$TMP/out"
echo "ranks: $(job_ranks "$id")" >"$TMP/ranks"
has "$TMP/ranks" '^ranks: 0-1,3$|^ranks: 0,1,3$' "and avoids rank 2"
wide=$(eddy submit -N 4 -n 4 true)

# 4. rank 2 restarted with the same command line rejoins and is used again
start_rank 2
within 20 down_is -; _report $? "rank 2 restarted rejoins: nothing is down" "$TMP/broker2.log"
timeout 20 eddy job wait "$wide" >"$TMP/out" 2>&1; _report $? "a 4-node job uses it again" "$TMP/out"
eddy dmesg >"$TMP/dmesg"
has "$TMP/dmesg" 'overlay.notice\[0\]: rank 2 rejoined' "rank 0 logged the rejoin"

# 5. in a tree (rank 3 under rank 1), rank 1 killed takes its subtree
# down; rank 3 waits for its parent and rejoins once rank 1 is restarted
eddy shutdown >/dev/null 2>&1
for r in 0 1 2 3; do wait "${PIDS[$r]}" 2>/dev/null; done
rm -rf "$RD"; mkdir "$RD"
FANOUT=2
for r in 0 1 2 3; do start_rank $r; done
within 20 down_is -; _report $? "a tree of 4 (fanout 2) runs with every rank up" "$TMP/broker0.log"
kill -9 "${PIDS[1]}"
wait "${PIDS[1]}" 2>/dev/null
within 20 down_is 'rank[1,3]'
st=$?; { eddy resource list; eddy overlay status; cat "$TMP/broker0.log"; } >"$TMP/lost1" 2>&1
_report $st "rank 1 killed: ranks 1 and 3 are down" "$TMP/lost1"
kill -0 "${PIDS[3]}"; _report $? "rank 3 keeps running without its parent" "$TMP/broker3.log"
start_rank 1
within 20 down_is -; _report $? "rank 1 restarted: rank 3 rejoins it, nothing is down" "$TMP/broker3.log"
timeout 20 eddy run -N 4 -n 4 true >"$TMP/out" 2>&1; _report $? "a 4-node job runs" "$TMP/out"

# 6. rank 0 killed under a job on every rank and restarted (its KVS in a
# statedir): the job ends with the restart exception, and the followers,
# seeing a new epoch in overlay.online, kill the tasks it left them
eddy shutdown >/dev/null 2>&1
for r in 0 1 2 3; do wait "${PIDS[$r]}" 2>/dev/null; done
rm -rf "$RD" "$TMP"/pid.*; mkdir "$RD"
FANOUT=0
STATE="$TMP/state"
for r in 0 1 2 3; do start_rank $r; done
within 20 down_is -; _report $? "a new instance of 4, rank 0 with a statedir, runs" "$TMP/broker0.log"
id=$(eddy submit -N 4 -n 4 sh "$TMP/task.sh")
within 20 all_tasks
_report $? "a job runs tasks on all four ranks" "$TMP/broker0.log"
kill -9 "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null
start_rank 0
within 30 down_is -; _report $? "rank 0 restarted: every follower rejoins" "$TMP/broker0.log"
gone_within 20 "$(cat "$TMP/pid.1")" "$(cat "$TMP/pid.2")" "$(cat "$TMP/pid.3")" 2>"$TMP/alive"
_report $? "its tasks on ranks 1, 2 and 3 are killed" "$TMP/alive"
for r in 1 2 3; do
    eddy dmesg --rank=$r >"$TMP/dmesg"
    has "$TMP/dmesg" "exec.notice\[$r\]: job [0-9]+: rank 0 restarted, its tasks are killed" \
        "rank $r logged why it killed them"
    has "$TMP/dmesg" "overlay.notice\[$r\]: rank 0 restarted: events resume at seq" \
        "rank $r takes up the new rank 0's events (its seq restarted low)"
done
within 10 is_state "$id" INACTIVE; _report $? "the job is INACTIVE" "$TMP/dmesg"
eddy job eventlog "$id" >"$TMP/eventlog"
has "$TMP/eventlog" '"name":"exception","context":\{"type":"restart"' "with the restart exception"
timeout 20 eddy run -N 4 -n 4 true >"$TMP/out" 2>&1; _report $? "a new 4-node job runs" "$TMP/out"
finish
