# nodes.sh - a cluster of N "nodes" on one machine, for scripts that
# source it after lib.sh.  A node is a process tree in its own UTS
# namespace (its own hostname) and mount namespace, where per-node
# directories are bind-mounted on /run (so /run/eddy is its own), on
# /var/lib (/var/lib/eddy) and on /etc/hosts, which maps every node's
# hostname to its own loopback address 127.NET.x.y (Linux routes all of
# 127/8 to lo, so each address binds without being added).  Each node runs
# one eddy-broker as the systemd unit does (`eddy-broker --system`), with
# the shared conf.d named by --config-path: bootstrap.toml lists the
# hostnames, the port is fixed, the CURVE certificate is made by eddy
# keygen.  Needs root and unshare(1): otherwise the script is skipped
# (exit 77) with the reason.
#
#   nodes_init N PREFIX NET   hostnames PREFIX0..PREFIX{N-1}, addresses
#                             127.NET.0.1.. (NET 1-254), conf.d in $NODES_CONF
#   nodes_bootstrap [TOPO] [PORT]  write $NODES_CONF/bootstrap.toml (+ cert)
#   node_start I              start node I's broker (pid in $NODES_DIR/I/pid)
#   node_spawn I / node_wait_pid I  the same in two halves (many at once)
#   nodes_start               all of them
#   nodes_wait_full [SECS]    until node 0's overlay is full
#   on_node I CMD...          run CMD inside node I's namespaces
#   node_stop I / nodes_stop  SIGTERM and wait (also done at exit)

unset EDDY_SYSTEM_RUNDIR EDDY_CONFIG_PATH

_nodes_skip () {
    echo "1..0 # SKIP $*"
    echo "skipped: $*" >&2
    exit 77
}

nodes_init () {
    NODES_N=$1
    NODES_PREFIX=$2
    NODES_NET=$3
    NODES_DIR="$TMP/nodes"
    NODES_CONF="$NODES_DIR/conf.d"
    [ "$(id -u)" -eq 0 ] || _nodes_skip "the namespace harness needs root"
    unshare --uts --mount --fork true 2>/dev/null \
        || _nodes_skip "unshare --uts --mount --fork does not work here"
    mkdir -p "$NODES_CONF"
    : >"$NODES_DIR/hosts"
    printf '127.0.0.1 localhost\n' >>"$NODES_DIR/hosts"
    local i
    for i in $(seq 0 $((NODES_N - 1))); do
        mkdir -p "$NODES_DIR/$i/run" "$NODES_DIR/$i/lib"
        printf '%s %s\n' "$(node_addr "$i")" "$(node_host "$i")" >>"$NODES_DIR/hosts"
    done
    for i in $(seq 0 $((NODES_N - 1))); do
        cp "$NODES_DIR/hosts" "$NODES_DIR/$i/hosts"
    done
    trap 'nodes_stop; rm -rf "$TMP"' EXIT
}

node_host () { echo "$NODES_PREFIX$1"; }
node_addr () { echo "127.$NODES_NET.$(($1 / 250)).$(($1 % 250 + 1))"; }

# nodes_bootstrap [TOPO] [PORT]: the hosts in rank order, the port, the cert
nodes_bootstrap () {
    local topo=${1:-} port=${2:-8050}
    [ -e "$NODES_DIR/curve.cert" ] || eddy keygen "$NODES_DIR/curve.cert" >/dev/null || return 1
    {
        echo "[bootstrap]"
        echo "curve_cert = \"$NODES_DIR/curve.cert\""
        echo "default_port = $port"
        # the nodes share one network namespace: each binds its own address
        echo "default_bind = \"tcp://%h:%p\""
        echo "hosts = [ { host = \"$NODES_PREFIX[0-$((NODES_N - 1))]\" } ]"
        if [ -n "$topo" ]; then
            echo "[tbon]"
            echo "topo = \"$topo\""
        fi
    } >"$NODES_CONF/bootstrap.toml"
}

# node_start I [HOSTNAME]: node I's broker in the background; its stderr in
# $NODES_DIR/I/err.  HOSTNAME (default node I's) is the namespace's.
# Returns once its pid is in $NODES_DIR/I/pid.
node_start () {
    node_spawn "$@" && node_wait_pid "$1"
}

# node_spawn I [HOSTNAME]: node_start without waiting for the pid file, to
# start many nodes at once (then node_wait_pid each)
node_spawn () {
    local i=$1 host=${2:-$(node_host "$1")} d="$NODES_DIR/$1"
    rm -f "$d/pid"
    unshare --uts --mount --fork -- bash -c '
        hostname "$1" || exit 1
        mount --bind "$2/hosts" /etc/hosts || exit 1
        mount --bind "$2/run" /run || exit 1
        mount --bind "$2/lib" /var/lib || exit 1
        mkdir -p /run/eddy /var/lib/eddy
        echo $$ >"$2/pid"
        exec eddy-broker --system --config-path="$3"' \
        _ "$host" "$d" "$NODES_CONF" >>"$d/err" 2>&1 &
    echo $! >"$d/unshare.pid"
}

node_wait_pid () {
    local n d="$NODES_DIR/$1"
    for n in $(seq 1 200); do [ -s "$d/pid" ] && return 0; sleep 0.05; done
    return 1
}

nodes_start () {
    local i
    for i in $(seq 0 $((NODES_N - 1))); do node_start "$i" || return 1; done
}

on_node () {
    local i=$1; shift
    nsenter -t "$(cat "$NODES_DIR/$i/pid")" -u -m -- "$@"
}

# nodes_wait_full [SECS]: until node 0's overlay reports full (default 60 s)
nodes_wait_full () {
    local secs=${1:-60} n
    for n in $(seq 1 $((secs * 5))); do
        [ "$(on_node 0 eddy overlay status --summary 2>/dev/null)" = "full" ] && return 0
        sleep 0.2
    done
    return 1
}

node_stop () {
    local d="$NODES_DIR/$1" pid upid
    pid=$(cat "$d/pid" 2>/dev/null) || return 0
    upid=$(cat "$d/unshare.pid" 2>/dev/null)
    kill -TERM "$pid" 2>/dev/null
    local n
    for n in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    [ -n "$upid" ] && wait "$upid" 2>/dev/null
    rm -f "$d/pid"
    return 0
}

nodes_stop () {
    local i
    [ -n "${NODES_N:-}" ] || return 0
    # rank 0 first: its SIGTERM shuts the whole instance down in order
    for i in $(seq 0 $((NODES_N - 1))); do node_stop "$i"; done
}
