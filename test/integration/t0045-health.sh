#!/usr/bin/env bash
# Node health: torpid, lost and crashed ranks of an instance of 4 brokers
# started by hand (flat tree), and what [resource.health] makes of them.
#  1. a broker stopped (SIGSTOP) past [tbon] torpid_max is torpid: shown
#     by `eddy resource status`, not scheduled on, and back when it is
#     continued; stopped past keepalive_timeout it is lost, and rejoins.
#  2. lost = "drain": a broker killed under a job fails the job with
#     node-failure, its rank is drained with the reason "lost" and stays
#     drained when it rejoins, until undrained.
#  3. torpid = "drain": a torpid rank is drained with the reason "torpid".
#  4. crashed: a broker killed under a job and started again (a new
#     instance) has crashed: with crashed = "drain", drained with the
#     reason "crashed with 1 job running"; by default (crashed = "down",
#     after a reload) it is used again at once.  A rank that comes back without restarting (1.) is not.
#  5. an unknown action is refused at start and at reload.
. "$(dirname "$0")/lib.sh"

SIZE=4
RD="$TMP/rd"
mkdir "$RD" "$TMP/conf.d"
write_conf () { # [resource.health] lines
    cat >"$TMP/conf.d/broker.toml" <<TOML
[tbon]
keepalive_period = "0.2s"
keepalive_timeout = "4s"
torpid_max = "1s"
[resource.health]
$*
TOML
}
write_conf ''
export EDDY_URI="local://$RD/local-0"
declare -a PIDS

start_rank () {
    eddy-broker --rank="$1" --size=$SIZE --fanout=0 --rundir="$RD" --tbon=ipc \
        --setattr=resource.cores=0 --config-path="$TMP/conf.d" >>"$TMP/broker$1.log" 2>&1 &
    PIDS[$1]=$!
}
cleanup () {
    for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; done
    eddy shutdown >/dev/null 2>&1
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for f in "$TMP"/pid.*; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    wait
    rm -rf "$TMP"
}
trap cleanup EXIT

# the ranks `eddy resource status` shows in state $1 ("" for none)
ranks_in () { eddy resource status -s "$1" -n -o '{ranks}' 2>/dev/null; }
state_is () { [ "$(ranks_in "$1")" = "$2" ]; }
down_is () { # the ranks the scheduler holds down, as "rank..." or "-"
    local got
    got=$(eddy resource list -s down | awk 'NR == 2 { print $5 == "" ? "-" : $5 }')
    [ "$got" = "$1" ]
}
job_state () { eddy jobs -a -n -o '{id.f58} {state}' | awk -v id="$1" '$1 == id { print $2 }'; }
is_state () { [ "$(job_state "$1")" = "$2" ]; }
boot () {
    for r in 0 1 2 3; do start_rank $r; done
    within 20 down_is -; _report $? "$1: the instance runs with every rank up" "$TMP/broker0.log"
}
halt () {
    eddy shutdown >/dev/null 2>&1
    for r in 0 1 2 3; do wait "${PIDS[$r]}" 2>/dev/null; done
    rm -rf "$RD"; mkdir "$RD"
}

# 1. torpid, then back; torpid for too long: lost, then back
boot "defaults"
state_is torpid ""; _report $? "no rank is torpid" "$TMP/broker0.log"
kill -STOP "${PIDS[2]}"
t0=$(date +%s.%N)
within 10 state_is torpid 2
st=$?; t=$(echo "$(date +%s.%N) - $t0" | bc)
eddy resource status >"$TMP/status" 2>&1; eddy dmesg >>"$TMP/status"
_report $st "rank 2 stopped is torpid after ${t}s (torpid_max 1s)" "$TMP/status"
has "$TMP/status" '^ *torpid +1 +2 ' "resource status has a torpid row for rank 2"
has "$TMP/status" '^ *avail +3 +0-1,3 ' "and counts it out of avail"
state_is offline ""; _report $? "a torpid rank is still online" "$TMP/status"
has "$TMP/status" 'overlay.warning\[0\]: rank 2 is torpid' "rank 0 logged it torpid"
wide=$(eddy submit -N 4 -n 4 true)
sleep 1
is_state "$wide" SCHED; _report $? "a 4-node job is not placed on the torpid rank" "$TMP/status"
kill -CONT "${PIDS[2]}"
within 10 state_is torpid ""; _report $? "continued, rank 2 is no longer torpid" "$TMP/status"
timeout 20 eddy job wait "$wide" >"$TMP/out" 2>&1; _report $? "and the 4-node job runs" "$TMP/out"
kill -STOP "${PIDS[2]}"
within 15 state_is lost 2; _report $? "stopped past keepalive_timeout (4s), rank 2 is lost" "$TMP/status"
state_is torpid ""; _report $? "and no longer torpid" "$TMP/status"
kill -CONT "${PIDS[2]}"
within 20 down_is -; _report $? "continued, it rejoins" "$TMP/broker2.log"
timeout 20 eddy run -N 4 -n 4 true >"$TMP/out" 2>&1; _report $? "and is used again" "$TMP/out"
halt

# 2. lost = "drain"
write_conf 'lost = "drain"'
boot 'lost = "drain"'
cat >"$TMP/task.sh" <<SH
echo \$\$ >"$TMP/pid.\$(eddy getattr rank)"
exec sleep 3131
SH
rm -f "$TMP"/pid.*
id=$(eddy submit -N 4 -n 4 sh "$TMP/task.sh")
all_tasks () { for r in 0 1 2 3; do [ -s "$TMP/pid.$r" ] || return 1; done; }
within 20 all_tasks; _report $? "a job runs tasks on all four ranks" "$TMP/broker0.log"
kill -9 "${PIDS[3]}"
wait "${PIDS[3]}" 2>/dev/null
timeout 30 eddy job wait "$id" >"$TMP/wait" 2>&1
has "$TMP/wait" 'node-failure' "rank 3 killed: the job fails with node-failure"
within 10 is_state "$id" INACTIVE; _report $? "and is INACTIVE" "$TMP/wait"
kill "$(cat "$TMP/pid.3")" 2>/dev/null
eddy resource drain >"$TMP/drain" 2>&1
within 10 state_is drain 3; _report $? "rank 3 is drained" "$TMP/drain"
eddy resource drain >"$TMP/drain" 2>&1
has "$TMP/drain" ' 3 +lost' "with the reason 'lost'"
start_rank 3
within 20 state_is offline ""; _report $? "restarted, rank 3 rejoins" "$TMP/broker3.log"
wide=$(eddy submit -N 4 -n 4 true)
sleep 1
is_state "$wide" SCHED; _report $? "but stays drained: a 4-node job waits" "$TMP/drain"
eddy resource undrain 3 >"$TMP/out" 2>&1; _report $? "undrain 3" "$TMP/out"
timeout 20 eddy job wait "$wide" >"$TMP/out" 2>&1; _report $? "then the 4-node job runs" "$TMP/out"
halt

# 3. torpid = "drain"
write_conf 'torpid = "drain"'
boot 'torpid = "drain"'
kill -STOP "${PIDS[1]}"
within 10 state_is drain 1
st=$?; eddy resource drain >"$TMP/drain" 2>&1
_report $st "rank 1 torpid is drained" "$TMP/drain"
has "$TMP/drain" ' 1 +torpid' "with the reason 'torpid'"
kill -CONT "${PIDS[1]}"
within 10 state_is torpid ""; _report $? "continued, it is no longer torpid" "$TMP/drain"
state_is drain 1; _report $? "but stays drained" "$TMP/drain"
halt

# 4. crashed
write_conf 'crashed = "drain"'
boot "crashed"
rm -f "$TMP"/pid.*
id=$(eddy submit -N 4 -n 4 sh "$TMP/task.sh")
within 20 all_tasks; _report $? "a job runs tasks on all four ranks" "$TMP/broker0.log"
kill -9 "${PIDS[2]}"
wait "${PIDS[2]}" 2>/dev/null
timeout 30 eddy job wait "$id" >"$TMP/wait" 2>&1
has "$TMP/wait" 'node-failure' "rank 2 killed: the job fails with node-failure"
state_is drain ""; _report $? "lost (crashed is not known yet): not drained" "$TMP/wait"
start_rank 2
within 20 state_is drain 2
st=$?; { eddy resource drain; eddy dmesg | grep -E 'overlay|resource'; } >"$TMP/drain" 2>&1
_report $st "restarted, rank 2 has crashed: drained" "$TMP/drain"
has "$TMP/drain" ' 2 +crashed with 1 job running' "with the reason 'crashed with 1 job running'"
has "$TMP/drain" 'overlay.notice\[0\]: rank 2 restarted' "rank 0 logged the restart"
state_is offline ""; _report $? "and it is online" "$TMP/drain"
eddy resource undrain 2 >"$TMP/out" 2>&1; _report $? "undrain 2" "$TMP/out"
timeout 20 eddy run -N 4 -n 4 true >"$TMP/out" 2>&1; _report $? "then a 4-node job runs" "$TMP/out"
write_conf ''
ok 'reload with the default (crashed = "down")' eddy config reload
rm -f "$TMP"/pid.*
id=$(eddy submit -N 4 -n 4 sh "$TMP/task.sh")
within 20 all_tasks; _report $? "a job runs tasks on all four ranks" "$TMP/broker0.log"
kill -9 "${PIDS[3]}"
wait "${PIDS[3]}" 2>/dev/null
timeout 30 eddy job wait "$id" >"$TMP/wait" 2>&1
has "$TMP/wait" 'node-failure' "rank 3 killed: the job fails with node-failure"
kill "$(cat "$TMP/pid.3")" 2>/dev/null
start_rank 3
within 20 down_is -; _report $? "restarted, rank 3 is up" "$TMP/broker3.log"
eddy dmesg >"$TMP/dmesg"
has "$TMP/dmesg" 'resource: rank 3 crashed with 1 job running: back at once' "rank 0 logged the crash"
state_is drain ""; _report $? "and did not drain it" "$TMP/dmesg"
timeout 20 eddy run -N 4 -n 4 true >"$TMP/out" 2>&1; _report $? "a 4-node job runs at once" "$TMP/out"
halt

# 5. unknown actions
write_conf 'crashed = "reboot"'
eddy-broker --rank=0 --size=1 --rundir="$RD" --config-path="$TMP/conf.d" >"$TMP/bad" 2>&1 &
bad=$!
timeout 20 bash -c "wait $bad" 2>/dev/null
wait $bad; rc=$?
[ $rc -ne 0 ]; _report $? "a broker with crashed = \"reboot\" does not start (exit $rc)" "$TMP/bad"
has "$TMP/bad" 'crashed.*reboot' "and names the key and the value"
write_conf ''
boot "reload"
write_conf 'lost = "explode"'
eddy config reload >"$TMP/reload" 2>&1
rc=$?
[ $rc -ne 0 ]; _report $? "a reload with lost = \"explode\" is refused (exit $rc)" "$TMP/reload"
has "$TMP/reload" 'lost.*explode' "naming the key and the value"
finish
