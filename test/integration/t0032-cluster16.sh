#!/usr/bin/env bash
# The 16-node example of etc/examples (bootstrap.toml for test[0-15],
# resource.toml with an R made by eddy R encode and test[0-1] excluded)
# boots in the namespace harness (nodes.sh) with bootstrap's hostnames
# in place of R's; the excluded nodes are listed
# as not schedulable and get no job; a reload (eddy config reload, SIGHUP)
# with another exclude takes effect and is logged; a bad one is refused
# and changes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"
ex="$EDDY_SRCDIR/etc/examples"

nodes_init 16 test 32
eddy keygen "$NODES_DIR/curve.cert" >/dev/null
# R's own hostnames give way to bootstrap.hosts', rank for rank
eddy R encode --hosts='old[0-15]' --cores=0-1 >"$NODES_DIR/R.json"
cp "$ex/cluster16-system.toml" "$NODES_CONF/00-system.toml"
sed -e "s|^curve_cert = .*|curve_cert = \"$NODES_DIR/curve.cert\"|" \
    -e "s|^default_port = .*|default_port = 8032|" \
    "$ex/cluster16-bootstrap.toml" >"$NODES_CONF/bootstrap.toml"
sed -e "s|^path = .*|path = \"$NODES_DIR/R.json\"|" \
    "$ex/cluster16-resource.toml" >"$NODES_CONF/resource.toml"
ok "eddy config check accepts the 16-node conf.d" eddy config check "$NODES_CONF"
has "$NODES_CONF/resource.toml" '^exclude = "test\[0-1\]"' "the example excludes test[0-1]"

nodes_start
ok "the 16 nodes come up: node 0's overlay is full" nodes_wait_full 120
on_node 0 eddy overlay status --summary >"$TMP/sum" 2>&1
has "$TMP/sum" "^full$" "overlay status: full"

# wait_list PATTERN: until eddy resource list on node 0 matches (20 s)
wait_list () {
    local n
    for n in $(seq 1 100); do
        on_node 0 eddy resource list >"$TMP/list" 2>&1
        grep -Eq -- "$1" "$TMP/list" && return 0
        sleep 0.2
    done
    return 1
}
wait_list "excluded"
cat "$TMP/list"
has "$TMP/list" "^ *excluded +2 +4 +0 test\[0-1\]$" "resource list: test[0-1] excluded, not schedulable"
has "$TMP/list" "^ *free +14 +28 +0 test\[2-15\]$" "resource list: test[2-15] free"
on_node 0 timeout 60 eddy run -N 14 -n 14 hostname >"$TMP/run" 2>&1
sort -V "$TMP/run" | tr '\n' ' ' >"$TMP/run.hosts"
echo >>"$TMP/run.hosts"
has "$TMP/run.hosts" "^test2 test3 test4 test5 test6 test7 test8 test9 test10 test11 test12 test13 test14 test15 $" \
    "a 14-node job runs on test[2-15], never on an excluded node"

# eddy config reload: only test0 excluded now
sed -i 's/^exclude = .*/exclude = "test0"/' "$NODES_CONF/resource.toml"
ok "eddy config reload with exclude = test0" on_node 0 eddy config reload
ok "resource list: only test0 excluded" wait_list "^ *excluded +1 +2 +0 test0$"
has "$TMP/list" "^ *free +15 +30 +0 test\[1-15\]$" "resource list: test1 is free again"
on_node 0 eddy dmesg >"$TMP/dmesg" 2>&1
has "$TMP/dmesg" "exclude 'test\[0-1\]' -> 'test0', ranks 0" "the resource module logs the new exclude"
has "$TMP/dmesg" "exclude: ranks '0-1' -> '0'" "the scheduler logs the ranks it excludes"
on_node 0 timeout 60 eddy run -N 15 -n 15 hostname >"$TMP/run" 2>&1
has "$TMP/run" "^test1$" "a 15-node job now runs on test1 too"
hasnt "$TMP/run" "^test0$" "but not on test0"

# SIGHUP (systemctl reload) with an idset of ranks
sed -i 's/^exclude = .*/exclude = "0-2"/' "$NODES_CONF/resource.toml"
kill -HUP "$(cat "$NODES_DIR/0/pid")"
ok "SIGHUP with exclude = 0-2: test[0-2] excluded" wait_list "^ *excluded +3 +6 +0 test\[0-2\]$"

# a host R does not have: the reload fails, the exclusion stays
sed -i 's/^exclude = .*/exclude = "nosuch[1-2]"/' "$NODES_CONF/resource.toml"
fails "eddy config reload with exclude = nosuch[1-2] fails" on_node 0 eddy config reload
has "$TMP/out" "resource.exclude: host nosuch1 is not in bootstrap.hosts \(test\[0-15\]\)" "and says the host is not in bootstrap.hosts"
on_node 0 eddy resource list >"$TMP/list" 2>&1
has "$TMP/list" "^ *excluded +3 +6 +0 test\[0-2\]$" "the exclusion in force stays"
# eddy exec on brokers (not a job: excluded nodes too)
on_node 0 timeout 60 eddy exec -r all hostname >"$TMP/exec" 2>&1
ok "eddy exec -r all hostname prints 16 lines, one per node" \
    sh -c "[ \"\$(sort -V '$TMP/exec' | tr '\n' ' ')\" = 'test0 test1 test2 test3 test4 test5 test6 test7 test8 test9 test10 test11 test12 test13 test14 test15 ' ]"
on_node 0 timeout 60 eddy exec -l -r 3,15 hostname >"$TMP/exec" 2>&1
has "$TMP/exec" "^15: test15$" "eddy exec -l labels each line with its rank"
nodes_stop
finish
