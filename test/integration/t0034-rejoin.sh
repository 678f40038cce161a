#!/usr/bin/env bash
# Nodes that come late, die and come back, over real TCP: four nodes of
# the namespace harness (nodes.sh: own hostname, /run/eddy, /var/lib/eddy
# and loopback address each), every broker started with the unit's
# command line (eddy-broker --system --config-path=CONF.D).
#  a. node3 never started: the instance runs and jobs start without it,
#     its resources down; started late, it joins and is used.
#  b. node2 killed (SIGKILL) under a running job: lost, down, the job ends
#     with a node-failure exception; restarted, it rejoins and is used.
#  c. rank 0 killed (SIGKILL) with jobs queued and one running on every
#     node, and restarted: every follower rejoins by itself, the queue is
#     intact, the running job ends with the restart exception and its
#     tasks on the followers are killed (node3 too, under node1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"

nodes_init 4 node 34
nodes_bootstrap "" 8034 # kary:2: 1 and 2 under 0, 3 under 1
# a node killed under a job and started again has crashed: here it is to
# be used again at once, not drained (t0045 and t0046 check the default)
printf '[resource.health]\ncrashed = "down"\n' >"$NODES_CONF/health.toml"

# the ranks `eddy resource list -s down` shows, as "rank..." or "-"
down_is () {
    local got
    got=$(on_node 0 timeout 5 eddy resource list -s down | awk 'NR == 2 { print $5 == "" ? "-" : $5 }')
    [ "$got" = "$1" ]
}
status_of () { # RANK STATUS: node 0's `eddy overlay status` shows RANK with STATUS
    on_node 0 timeout 5 eddy overlay status | grep -Eq "(^| )$1 node$1: $2\$"
}
full () { [ "$(on_node 0 timeout 5 eddy overlay status --summary 2>/dev/null)" = "full" ]; }
job_state () {
    on_node 0 timeout 5 eddy jobs -a -n -o '{id.f58} {state}' | awk -v id="$1" '$1 == id { print $2 }'
}
is_state () { [ "$(job_state "$1")" = "$2" ]; }
secs_since () { echo "$(date +%s.%N) - $1" | bc; }
dead () { ! kill -0 "$1" 2>/dev/null; }
# kill -9 node I's broker; wait for its namespace's unshare to go
node_kill () {
    local d="$NODES_DIR/$1" pid
    pid=$(cat "$d/pid")
    kill -KILL "$pid"
    within 10 dead "$pid"
    wait "$(cat "$d/unshare.pid")" 2>/dev/null
    rm -f "$d/pid"
}
printf 'node0\nnode1\nnode2\nnode3\n' >"$TMP/all4"

# --- a. node3 is never started
t0=$(date +%s.%N)
for i in 0 1 2; do node_start "$i"; done
within 20 on_node 0 timeout 2 eddy resource list
_report $? "nodes 0-2 started: the instance runs" "$NODES_DIR/0/err"
on_node 0 timeout 20 eddy run -N 3 -n 3 hostname 2>&1 | sort >"$TMP/run"
printf 'node0\nnode1\nnode2\n' >"$TMP/want"
ok "a first 3-node job runs on node0-2" cmp "$TMP/run" "$TMP/want"
t=$(secs_since "$t0")
echo "# from the first broker's start to the first job's end: ${t}s"
[ "$(echo "$t < 8" | bc)" = 1 ]
_report $? "without waiting for node3: done ${t}s after the first start (< 8s)" "$NODES_DIR/0/err"
down_is rank3; _report $? "node3 (rank 3), never started, is down" "$NODES_DIR/0/err"
on_node 0 eddy overlay status >"$TMP/status" 2>&1
has "$TMP/status" " 3 (node3: )?offline$" "eddy overlay status shows node3 offline"
wide=$(on_node 0 eddy submit -N 4 -n 4 hostname)
within 2 is_state "$wide" RUN
[ $? -ne 0 ] && is_state "$wide" SCHED
_report $? "a 4-node job waits in SCHED" "$TMP/status"

node_start 3
within 20 full; _report $? "node3 started late joins: the overlay is full" "$NODES_DIR/3/err"
within 20 down_is -; _report $? "and its resources come up: nothing is down" "$NODES_DIR/0/err"
on_node 0 timeout 20 eddy job wait "$wide" >"$TMP/out" 2>&1
_report $? "the waiting 4-node job runs" "$TMP/out"
on_node 0 timeout 20 eddy run -N 4 -n 4 hostname 2>&1 | sort >"$TMP/run"
ok "a job runs on node3 too" cmp "$TMP/run" "$TMP/all4"

# --- b. node2 killed under a running job
cat >"$TMP/task.sh" <<SH
echo \$\$ >"$TMP/pid.\$(hostname)"
exec sleep 3434
SH
id=$(on_node 0 eddy submit -N 4 -n 4 sh "$TMP/task.sh")
all_tasks () { for i in 0 1 2 3; do [ -s "$TMP/pid.node$i" ] || return 1; done; }
within 20 all_tasks; _report $? "a job runs a task on each of the four nodes" "$NODES_DIR/0/err"
node_kill 2
on_node 0 timeout 30 eddy job wait "$id" >"$TMP/wait" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ]
_report $? "after kill -9 of node2's broker, the job ends, and fails (exit $rc)" "$TMP/wait"
has "$TMP/wait" 'node-failure' "eddy job wait names a node-failure exception"
on_node 0 eddy job eventlog "$id" >"$TMP/eventlog"
has "$TMP/eventlog" '"type":"node-failure","severity":0,"note":"rank 2 is lost"' \
    "the eventlog has the exception, naming rank 2"
within 10 is_state "$id" INACTIVE; _report $? "the job is INACTIVE, not stuck in RUN or CLEANUP" "$TMP/eventlog"
kill "$(cat "$TMP/pid.node2")" 2>/dev/null # node2's task lost its broker: ours to clean
on_node 0 eddy overlay status >"$TMP/status" 2>&1
has "$TMP/status" " 2 node2: lost$" "eddy overlay status shows node2 lost"
down_is rank2; _report $? "node2's resources are down" "$TMP/status"
on_node 0 eddy resource list >"$TMP/list"
has "$TMP/list" '^ *allocated +0 +0 ' "the job's resources are freed"
on_node 0 timeout 20 eddy run -N 3 -n 3 hostname 2>&1 | sort >"$TMP/run"
printf 'node0\nnode1\nnode3\n' >"$TMP/want"
ok "a 3-node job runs without node2" cmp "$TMP/run" "$TMP/want"

node_start 2
within 20 full; _report $? "node2 restarted with the same command line: the overlay is full" "$NODES_DIR/2/err"
within 20 down_is -; _report $? "nothing is down" "$NODES_DIR/0/err"
on_node 0 eddy dmesg >"$TMP/dmesg"
has "$TMP/dmesg" 'overlay.notice\[0\]: rank 2 rejoined' "rank 0 logged the rejoin"
on_node 0 timeout 20 eddy run -N 4 -n 4 hostname 2>&1 | sort >"$TMP/run"
ok "a 4-node job runs on node2 again" cmp "$TMP/run" "$TMP/all4"

# --- c. rank 0 killed with jobs queued, restarted
held1=$(on_node 0 eddy submit --urgency=0 -N 4 -n 4 hostname)
held2=$(on_node 0 eddy submit --urgency=0 -N 2 -n 2 hostname)
ok "two held jobs are submitted" test -n "$held1" -a -n "$held2"
cat >"$TMP/task.sh" <<SH
echo \$\$ >"$TMP/pid.\$(hostname)"
exec sleep 3434
SH
running=$(on_node 0 eddy submit -N 4 -n 4 sh "$TMP/task.sh")
all_tasks () { for i in 0 1 2 3; do [ -s "$TMP/pid.node$i" ] || return 1; done; }
within 20 all_tasks; _report $? "a job runs a task on every node" "$NODES_DIR/0/err"
node_kill 0
t0=$(date +%s.%N)
node_start 0
within 30 full
_report $? "rank 0 restarted: every follower rejoins by itself, the overlay is full" "$NODES_DIR/0/err"
t=$(secs_since "$t0")
echo "# from rank 0's restart to a full overlay: ${t}s"
on_node 0 eddy overlay status >"$TMP/status" 2>&1
for i in 1 2 3; do
    has "$TMP/status" " $i node$i: full$" "node$i is back, full"
done
within 20 down_is -; _report $? "nothing is down after the restart" "$NODES_DIR/0/err"
gone_within 20 "$(cat "$TMP/pid.node1")" "$(cat "$TMP/pid.node2")" "$(cat "$TMP/pid.node3")" \
    2>"$TMP/alive"
_report $? "the running job's tasks on node1, node2 and node3 are killed" "$TMP/alive"
for i in 1 2 3; do kill "$(cat "$TMP/pid.node$i")" 2>/dev/null; done # left if that failed
within 10 is_state "$running" INACTIVE; _report $? "the running job is INACTIVE" "$NODES_DIR/0/err"
on_node 0 eddy job eventlog "$running" >"$TMP/eventlog" 2>&1
has "$TMP/eventlog" '"name":"exception","context":\{"type":"restart"' "with the restart exception"
on_node 3 eddy dmesg >"$TMP/dmesg3" 2>&1
has "$TMP/dmesg3" "exec.notice\[3\]: job [0-9]+: rank 0 restarted, its tasks are killed" \
    "node3 (under node1) logged why it killed its task"
on_node 0 eddy jobs -n -o '{id.f58} {state}' >"$TMP/jobs" 2>&1
has "$TMP/jobs" "^$held1 (PRIORITY|SCHED)$" "the first held job is still queued"
has "$TMP/jobs" "^$held2 (PRIORITY|SCHED)$" "the second held job is still queued"
for j in "$held1" "$held2"; do on_node 0 eddy job urgency "$j" 16; done
on_node 0 timeout 20 eddy job wait "$held1" >"$TMP/out" 2>&1
_report $? "released, the 4-node job runs" "$TMP/out"
on_node 0 timeout 20 eddy job wait "$held2" >"$TMP/out" 2>&1
_report $? "and the 2-node one" "$TMP/out"
on_node 0 timeout 20 eddy run -N 4 -n 4 hostname 2>&1 | sort >"$TMP/run"
ok "a new 4-node job runs on every node" cmp "$TMP/run" "$TMP/all4"
for i in 1 2 3; do
    on_node "$i" eddy getattr rank >"$TMP/r" 2>&1
    has "$TMP/r" "^$i$" "node$i's own broker answers (rank $i)"
done
finish
