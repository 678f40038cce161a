#!/usr/bin/env bash
# kill -9 of a rank in an instance of 8 nodes running jobs on every rank
# (the namespace harness, nodes.sh; kary:2, so rank 1 is interior, over
# ranks 3, 4 and, under 3, 7; rank 6 is a leaf), with the default
# configuration (keepalive_timeout 10s).  For a leaf, then an interior
# rank:
#  - an 8-node job and one 1-node job per rank run (2 cores a node: the
#    8-node job takes one core everywhere, each 1-node job the other);
#  - kill -9 of the rank's broker: within the heartbeat timeout every job
#    with a task on a lost rank is INACTIVE with a node-failure exception,
#    the time from the kill is printed;
#  - every other job completes with status 0;
#  - no task of a failed job is left on the machine (each job's tasks have
#    their own marker in the command line), on the ranks under a dead
#    interior rank (whose brokers live on, cut off) neither;
#  - the rank restarted (its subtree rejoins by itself), no task is left
#    and the next 8-node job runs on all 8 nodes.  The restarted rank has
#    crashed (it had jobs): for the leaf, the default ([resource.health]
#    crashed = "down") lets it work at once; for the interior rank,
#    crashed = "drain" (a reload) drains it, with the reason "crashed with
#    2 jobs running" (its subtree, which did not restart, is not drained),
#    and the 8-node job runs once it is undrained.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"
. "$(dirname "$0")/faults.sh"

N=8
nodes_init $N node 46
nodes_bootstrap "" 8046
TIMEOUT=10 # tbon.keepalive_timeout's default

job_state () {
    on_node 0 timeout 5 eddy jobs -a -n -o '{id.f58} {state}' | awk -v id="$1" '$1 == id { print $2 }'
}
is_state () { [ "$(job_state "$1")" = "$2" ]; }
all_inactive () { local id; for id in "$@"; do is_state "$id" INACTIVE || return 1; done; }
full () { [ "$(on_node 0 timeout 5 eddy overlay status --summary 2>/dev/null)" = "full" ]; }
running () { local id; for id in "$@"; do is_state "$id" RUN || return 1; done; }
job_ranks () { on_node 0 eddy job info "$1" R | grep -o '"rank":"[^"]*"' | cut -d'"' -f4; }
markers_gone () { ! pgrep -f "$1" >/dev/null; }
dead () { ! kill -0 "$1" 2>/dev/null; }
node_kill () {
    local d="$NODES_DIR/$1" pid
    pid=$(cat "$d/pid")
    kill -KILL "$pid"
    within 10 dead "$pid"
    wait "$(cat "$d/unshare.pid")" 2>/dev/null
    rm -f "$d/pid"
}
# killed (a fatal node-failure), completed (status 0, no exception), other
outcome () {
    local ev
    ev=$(on_node 0 eddy job eventlog "$1" 2>&1)
    if grep -q '"type":"node-failure","severity":0' <<<"$ev"; then
        echo killed
    elif grep -q '"name":"finish","context":{"status":0}' <<<"$ev" && ! grep -q '"name":"exception"' <<<"$ev"; then
        echo completed
    else
        echo other
    fi
}
drained_is () { [ "$(on_node 0 eddy resource status -s drain -n -o '{ranks}')" = "$1" ]; }
secs_since () { echo "$(date +%s.%N) - $1" | bc; }

for i in $(seq 0 $((N - 1))); do node_spawn "$i"; done
for i in $(seq 0 $((N - 1))); do node_wait_pid "$i"; done
within 60 full; _report $? "8 nodes up, the overlay is full" "$NODES_DIR/0/err"

# round VICTIM LOST... (LOST: the ranks that go with it)
ROUND=0
round () {
    local victim=$1; shift
    local lost=" $* " r id
    ROUND=$((ROUND + 1))
    local tag="eddy-t0046-$$-$ROUND"
    # a job's tasks: sleep with a marker naming the job
    local wide wide_mark="$tag-wide"
    wide=$(on_node 0 eddy submit -N 8 -n 8 bash -c "exec -a $wide_mark sleep 300")
    declare -A one
    for r in $(seq 0 $((N - 1))); do
        one[$r]=$(on_node 0 eddy submit -N 1 -n 1 bash -c "exec -a $tag-one sleep 8")
    done
    within 30 running "$wide" "${one[@]}"
    _report $? "round $ROUND: an 8-node job and eight 1-node jobs run" "$NODES_DIR/0/err"
    # which 1-node job is on which rank
    declare -A on
    for r in $(seq 0 $((N - 1))); do on[$(job_ranks "${one[$r]}")]=${one[$r]}; done
    [ "${#on[@]}" -eq $N ]; _report $? "one 1-node job on each of the 8 ranks" "$NODES_DIR/0/err"
    local affected=("$wide") others=()
    for r in $(seq 0 $((N - 1))); do
        case "$lost" in
        *" $r "*) affected+=("${on[$r]}") ;;
        *) others+=("${on[$r]}") ;;
        esac
    done

    local t0
    t0=$(date +%s.%N)
    node_kill "$victim"
    within $TIMEOUT all_inactive "${affected[@]}"
    local st=$? t
    t=$(secs_since "$t0")
    echo "# round $ROUND: kill -9 of rank $victim: ${#affected[@]} affected jobs INACTIVE ${t}s later"
    _report $st "kill -9 of rank $victim: the ${#affected[@]} jobs on ranks$lost INACTIVE in ${t}s (< ${TIMEOUT}s)" \
        "$NODES_DIR/0/err"
    within 20 all_inactive "${others[@]}"
    _report $? "the ${#others[@]} other jobs end" "$NODES_DIR/0/err"
    # what became of each job, for faults_check
    : >"$TMP/outcome"
    for id in "$wide" "${one[@]}"; do
        local role=one
        [ "$id" = "$wide" ] && role=wide
        echo "$role $(outcome "$id")" >>"$TMP/outcome"
    done
    # the brokers under a dead interior rank live on, cut off: they kill
    # their tasks of the failed jobs themselves (overlay.cutoff)
    within 10 markers_gone "$tag"
    st=$?; pgrep -af "$tag" >"$TMP/left" 2>&1
    _report $st "no task of a failed job is left on the machine" "$TMP/left"

    node_start "$victim"
    within 60 full; _report $? "rank $victim restarted: the overlay is full again" "$NODES_DIR/$victim/err"
    within 10 markers_gone "$tag"
    st=$?; pgrep -af "$tag" >"$TMP/left" 2>&1
    _report $st "still none once it is back" "$TMP/left"
    if [ -n "$DRAINED" ]; then
        within 10 drained_is "$victim"
        st=$?; on_node 0 eddy resource drain >"$TMP/drain" 2>&1
        _report $st "rank $victim crashed: drained, alone" "$TMP/drain"
        has "$TMP/drain" " $victim +crashed with 2 jobs running" "with the reason 'crashed with 2 jobs running'"
        ok "undrain $victim" on_node 0 eddy resource undrain "$victim"
    else
        drained_is ""; _report $? "rank $victim crashed, with crashed = \"down\": not drained" "$TMP/left"
    fi
    on_node 0 timeout 30 eddy run -N 8 -n 8 hostname 2>&1 | sort >"$TMP/run"
    for r in $(seq 0 $((N - 1))); do node_host "$r"; done | sort >"$TMP/want"
    ok "and an 8-node job runs on all 8 nodes" cmp "$TMP/run" "$TMP/want"
    cmp -s "$TMP/run" "$TMP/want" && echo "full completed" >>"$TMP/outcome"
    faults_check "round $ROUND" "$TMP/outcome" $#
}

DRAINED=
round 6 6       # a leaf
printf '[resource.health]\ncrashed = "drain"\n' >"$NODES_CONF/health.toml"
ok "reload: crashed = \"drain\"" on_node 0 eddy config reload
DRAINED=1
round 1 1 3 4 7 # an interior rank: its subtree goes with it
finish
