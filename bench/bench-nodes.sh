#!/usr/bin/env bash
# bench-nodes.sh - NODES (default 64) nodes of the namespace harness
# (test/integration/nodes.sh: a hostname, /run, /var/lib and a loopback
# address each, real TCP, `eddy-broker --system` with one shared conf.d,
# the default tree kary:2).  Root only (else skipped).  Wall clock, one
# machine:
#   join     from the first broker's start until rank 0's overlay is full
#            (every rank online); also when the last broker was exec'd
#   kill     after kill -9 of a leaf: until `eddy resource list` shows it
#            down, and until `eddy overlay status` shows it lost
#   stop     after kill -STOP of another leaf (its connection stays open,
#            so only the keepalives can tell): until it is lost and down
#   reload   a value changed in the shared conf.d, `eddy config reload` on
#            rank 0: until the client returns, and until the last rank has
#            applied the new generation (each rank's own log, `eddy dmesg`
#            on its node), and `eddy config get` on every node shows it
#   rank 0   kill -9 of rank 0, started again: until every rank is back
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$PATH"
n=${NODES:-64}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-nodes.XXXXXX")
. "$here/../test/integration/nodes.sh"
nodes_init "$n" bench 64 || exit $?
nodes_bootstrap "" 8064 || exit 1

now () { date +%s.%N; }
dt () { echo "$2 - $1" | bc | awk '{ printf "%.3f", $1 }'; } # T0 T1: seconds
full () { [ "$(on_node 0 timeout 5 eddy overlay status --summary 2>/dev/null)" = "full" ]; }
# until_ok SECS CMD...: poll CMD (no sleep: the poll is the resolution);
# prints the time it first succeeded, fails after SECS
until_ok () {
    local end=$(($(date +%s) + $1)); shift
    while [ "$(date +%s)" -lt "$end" ]; do
        "$@" >/dev/null 2>&1 && { now; return 0; }
    done
    return 1
}
since () { if [ -n "$2" ]; then echo "$(dt "$1" "$2")s"; else echo "never ($3)"; fi; } # T0 T1 WHY
down_has () { on_node 0 timeout 5 eddy resource list -s down | awk 'NR == 2 { print $5 }' | grep -q "$1"; }
is_lost () { on_node 0 timeout 5 eddy overlay status | grep -Eq " $1 bench$1: lost\$"; }
leaf=$((n - 1))
leaf2=$((n - 2))

# --- join
t0=$(now)
for i in $(seq 0 $((n - 1))); do node_spawn "$i"; done
t_spawned=$(now)
for i in $(seq 0 $((n - 1))); do node_wait_pid "$i" || { echo "node $i did not start" >&2; exit 1; }; done
t_exec=$(for i in $(seq 0 $((n - 1))); do stat -c %.9Y "$NODES_DIR/$i/pid"; done | sort -n | tail -1)
t_full=$(until_ok 60 full) || { echo "the overlay is not full after 60s" >&2; tail "$NODES_DIR/0/err" >&2; exit 1; }
echo "join: $n nodes online $(dt "$t0" "$t_full")s after the first broker's start" \
    "(the harness's spawn loop took $(dt "$t0" "$t_spawned")s, the last broker was exec'd at" \
    "$(dt "$t0" "$t_exec")s: $(dt "$t_exec" "$t_full")s from then to full)"

ka_timeout=$(on_node 0 eddy getattr tbon.keepalive_timeout 2>/dev/null) || ka_timeout="10 (default)"
ka_period=$(on_node 0 eddy getattr tbon.keepalive_period 2>/dev/null) || ka_period="1 (default)"
echo "keepalive: period $ka_period, timeout $ka_timeout (seconds)"

# --- kill -9 of a leaf
pid=$(cat "$NODES_DIR/$leaf/pid")
t0=$(now)
kill -KILL "$pid"
t_down=$(until_ok 30 down_has "$leaf") || t_down=
t_lost=$(until_ok 30 is_lost "$leaf") || t_lost=
echo "kill -9 of rank $leaf: down in resource list after $(since "$t0" "$t_down" 30s)," \
    "lost in overlay status after $(since "$t0" "$t_lost" 30s)"

# --- kill -STOP of another leaf: only the keepalives tell
pid2=$(cat "$NODES_DIR/$leaf2/pid")
t0=$(now)
kill -STOP "$pid2"
# resource list first: overlay status asks the stopped rank too, and waits
# for it (tbon.status_timeout) until its parent has given up on it
t_down=$(until_ok 60 down_has "$leaf2") || t_down=
t_lost=$(until_ok 30 is_lost "$leaf2") || t_lost=
parent=$(on_node 0 eddy overlay parentof "$leaf2")
why=$(on_node "$parent" eddy dmesg | grep -o "rank $leaf2 lost (.*)" | tail -1)
echo "kill -STOP of rank $leaf2: down after $(since "$t0" "$t_down" 60s)," \
    "lost in overlay status after $(since "$t0" "$t_lost" 30s); its parent, rank $parent, logged: $why"
kill -KILL "$pid2"

# both back, so that the reload reaches every rank
for i in "$leaf" "$leaf2"; do
    wait "$(cat "$NODES_DIR/$i/unshare.pid")" 2>/dev/null
    node_start "$i"
done
t_full=$(until_ok 60 full) || { echo "ranks $leaf2 and $leaf did not rejoin" >&2; exit 1; }

# --- reload
gen_old=$(on_node 0 eddy dmesg | sed -n 's/.*configuration generation \([0-9]*\) applied$/\1/p' | tail -1)
gen=$((gen_old + 1))
printf '[job-manager]\ninactive-num-limit = 4321\n' >"$NODES_CONF/zz-bench.toml"
t0=$(now)
on_node 0 eddy config reload || { echo "eddy config reload failed" >&2; exit 1; }
t_reply=$(now)
last=0 missing=0
for i in $(seq 0 $((n - 1))); do
    ts=
    for k in $(seq 1 50); do
        ts=$(on_node "$i" eddy dmesg 2>/dev/null \
            | sed -n "s/^\([^ ]*\) config.info\[$i\]: configuration generation $gen applied$/\1/p" | tail -1)
        [ -n "$ts" ] && break
        sleep 0.1
    done
    if [ -z "$ts" ]; then missing=$((missing + 1)); continue; fi
    t=$(date -d "$ts" +%s.%N)
    [ "$(echo "$t > $last" | bc)" = 1 ] && last=$t
done
bad=0
for i in $(seq 0 $((n - 1))); do
    [ "$(on_node "$i" eddy config get job-manager.inactive-num-limit 2>/dev/null)" = 4321 ] || bad=$((bad + 1))
done
echo "reload: eddy config reload returned after $(dt "$t0" "$t_reply")s;" \
    "generation $gen applied on the last of $((n - missing)) ranks $(dt "$t0" "$last")s after the request" \
    "($missing never); eddy config get shows the new value on $((n - bad)) of $n nodes"

# --- rank 0 killed and restarted: every follower says hello again
pid=$(cat "$NODES_DIR/0/pid")
kill -KILL "$pid"
wait "$(cat "$NODES_DIR/0/unshare.pid")" 2>/dev/null
t0=$(now)
node_start 0
t_full=$(until_ok 60 full) || t_full=
echo "rank 0 killed (kill -9) and restarted: all $n online again $(since "$t0" "$t_full" 60s) after its start"
