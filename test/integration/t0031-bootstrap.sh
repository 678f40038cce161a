#!/usr/bin/env bash
# bootstrap.toml over real TCP: four nodes (own hostname, /run/eddy,
# /var/lib/eddy, /etc/hosts and loopback address each; nodes.sh) boot one
# instance from the same conf.d, each broker finding its rank by hostname;
# jobs run on every node; tbon.topo shapes the tree; a host that is not in
# bootstrap.hosts refuses to start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"

nodes_init 4 node 31
nodes_bootstrap "" 8031
ok "eddy config check accepts bootstrap.toml" eddy config check "$NODES_CONF"
# config check holds the files to what a broker refuses
mkdir "$TMP/bad.d"
cp "$NODES_CONF/bootstrap.toml" "$TMP/bad.d/"
printf '[resource]\nexclude = "login1"\n' >"$TMP/bad.d/resource.toml"
fails "eddy config check: exclude names a host not in bootstrap.hosts" eddy config check "$TMP/bad.d"
has "$TMP/out" "resource.exclude: host login1 is not in bootstrap.hosts \(node\[0-3\]\)" "and says which"
rm "$TMP/bad.d/resource.toml"
sed -i 's/^hosts = .*/hosts = [ { host = "node[0-3]" }, { host = "node1", parent = "nodeX" } ]/' "$TMP/bad.d/bootstrap.toml"
fails "eddy config check: a host listed again gets its keys checked" eddy config check "$TMP/bad.d"
has "$TMP/out" "parent nodeX is not in bootstrap.hosts" "and a bad parent is named"
nodes_start
ok "the four nodes come up: node 0's overlay is full" nodes_wait_full 60
on_node 0 eddy overlay status >"$TMP/status" 2>&1
cat "$TMP/status"
has "$TMP/status" "^0 node0: full" "rank 0 is node0, full"
for i in 1 2 3; do
    has "$TMP/status" " $i node$i: full" "rank $i is node$i, full"
done
on_node 0 eddy getattr size >"$TMP/size" 2>&1
has "$TMP/size" "^4$" "the instance has size 4"
on_node 2 eddy getattr rank >"$TMP/rank2" 2>&1
has "$TMP/rank2" "^2$" "node2's broker found rank 2 from its hostname"
on_node 0 eddy getattr tbon.endpoint >"$TMP/ep" 2>&1
has "$TMP/ep" "^tcp://127\.31\.0\.1:8031$" "rank 0 bound its own address at the fixed port"
on_node 0 timeout 60 eddy run -N 4 -n 4 hostname >"$TMP/run" 2>&1
sort "$TMP/run" >"$TMP/run.sorted"; cat "$TMP/run"
printf 'node0\nnode1\nnode2\nnode3\n' >"$TMP/run.want"
ok "eddy run -N 4 -n 4 hostname prints the four hostnames" cmp "$TMP/run.sorted" "$TMP/run.want"
# default kary:2: 1,2 under 0; 3 under 1
for pair in 1:0 2:0 3:1; do
    on_node 0 eddy overlay parentof "${pair%:*}" >"$TMP/p" 2>&1
    has "$TMP/p" "^${pair#*:}$" "kary:2 (default): the parent of rank ${pair%:*} is ${pair#*:}"
done
nodes_stop

# a host not in bootstrap.hosts: a clear message, nonzero exit
node_start 3 stranger
for n in $(seq 1 100); do kill -0 "$(cat "$NODES_DIR/3/unshare.pid")" 2>/dev/null || break; sleep 0.1; done
wait "$(cat "$NODES_DIR/3/unshare.pid")"
rc=$?
[ "$rc" -ne 0 ]; _report $? "a broker on host 'stranger' exits nonzero ($rc)" "$NODES_DIR/3/err"
has "$NODES_DIR/3/err" "this host, 'stranger', is not in bootstrap.hosts \(node\[0-3\]\)" \
    "and says its hostname is not in bootstrap.hosts"
rm -f "$NODES_DIR/3/pid"

# an R (resource.path) with more ranks than bootstrap.hosts: rank 0 refuses
eddy R encode --cores=0 --ranks=0-7 >"$NODES_DIR/R8.json"
printf '[resource]\npath = "%s"\n' "$NODES_DIR/R8.json" >"$NODES_CONF/resource.toml"
node_start 0
wait "$(cat "$NODES_DIR/0/unshare.pid")"
rc=$?
[ "$rc" -ne 0 ]; _report $? "rank 0 with an R of 8 ranks for 4 hosts exits nonzero ($rc)" "$NODES_DIR/0/err"
has "$NODES_DIR/0/err" "resource.path .*R8.json: ranks 0-7, but bootstrap.hosts has 4 hosts" \
    "and says the R does not fit bootstrap.hosts"
rm -f "$NODES_CONF/resource.toml" "$NODES_DIR/0/pid"

# other shapes: flat, binomial, kary:1 (a chain), explicit parents
shape () { # TOPO EXPECTED(rank:parent ...)
    local topo=$1; shift
    nodes_bootstrap "$topo" 8031
    nodes_start
    if ! nodes_wait_full 60; then
        _report 1 "tbon.topo $topo: the instance comes up" "$NODES_DIR/0/err"
        nodes_stop
        return
    fi
    for pair in "$@"; do
        on_node 0 eddy overlay parentof "${pair%:*}" >"$TMP/p" 2>&1
        has "$TMP/p" "^${pair#*:}$" "tbon.topo $topo: the parent of rank ${pair%:*} is ${pair#*:}"
    done
    nodes_stop
}
shape flat 1:0 2:0 3:0
shape binomial 1:0 2:0 3:2
shape kary:1 1:0 2:1 3:2
# explicit parent keys: node2 under node1, node3 under node0 (rank 0's
# children 1 and 3 are not contiguous), over kary:2
sed -i 's/^hosts = .*/hosts = [ { host = "node[0-1]" }, { host = "node2", parent = "node1" }, { host = "node3", parent = "node0" } ]/' \
    "$NODES_CONF/bootstrap.toml"
sed -i '/^\[tbon\]/,$d' "$NODES_CONF/bootstrap.toml"
nodes_start
ok "explicit parents: the instance comes up" nodes_wait_full 60
for pair in 1:0 2:1 3:0; do
    on_node 0 eddy overlay parentof "${pair%:*}" >"$TMP/p" 2>&1
    has "$TMP/p" "^${pair#*:}$" "explicit parents: the parent of rank ${pair%:*} is ${pair#*:}"
done
on_node 0 eddy overlay status >"$TMP/status" 2>&1
cat "$TMP/status"
has "$TMP/status" "^└─ 3 node3: full$" "node3 is full, a child of rank 0"
has "$TMP/status" "^│  └─ 2 node2: full$" "node2 is full, below node1"
on_node 0 timeout 60 eddy run -N 4 -n 4 hostname 2>&1 | sort >"$TMP/run.sorted"
ok "explicit parents: a job still runs on the four nodes" cmp "$TMP/run.sorted" "$TMP/run.want"
nodes_stop
finish
