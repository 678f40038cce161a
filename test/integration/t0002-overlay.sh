#!/usr/bin/env bash
# Overlay health: a full tree, then a broker killed with SIGKILL shows as
# lost and its parent as degraded; the instance still shuts down cleanly.
. "$(dirname "$0")/lib.sh"

eddy start --size 8 eddy overlay status >"$TMP/status" 2>&1
_report $? "overlay status of 8 brokers" "$TMP/status"
n=$(grep -c ': full$' "$TMP/status")
[ "$n" -eq 8 ]; _report $? "all 8 ranks are full ($n)" "$TMP/status"
has "$TMP/status" '^0 .*: full$' "rank 0 is the root"
has "$TMP/status" '└─ 7 ' "rank 7 is printed in the tree"

cat >"$TMP/kill.sh" <<'SH'
pid=$(eddy getattr --rank 5 broker.pid)
kill -9 "$pid"
for i in $(seq 1 50); do
    eddy overlay status >status.out 2>&1
    grep -q ' 5 .*: lost$' status.out && break
    sleep 0.1
done
cat status.out
eddy overlay parentof 5
SH
(cd "$TMP" && eddy start --size 8 -S tbon.keepalive_period=0.2 -S tbon.keepalive_timeout=1 \
    sh kill.sh) >"$TMP/killed" 2>&1
_report $? "eddy start ends cleanly after kill -9 of rank 5" "$TMP/killed"
has "$TMP/killed" ' 5 .*: lost$' "rank 5 is lost"
has "$TMP/killed" ' 2 .*: degraded$' "its parent (rank 2) is degraded"
has "$TMP/killed" '^0 .*: degraded$' "rank 0 is degraded"
has "$TMP/killed" ' 6 .*: full$' "rank 5's sibling is still full"
has "$TMP/killed" '^2$' "overlay parentof 5 is 2"
has "$TMP/killed" 'rank 5 .* killed by signal 9' "eddy start reports the killed broker"
finish
