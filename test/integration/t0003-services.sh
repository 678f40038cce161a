#!/usr/bin/env bash
# Broker services through the command line: attributes, the log ring,
# events, modules.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/svc.sh" <<'SH'
set -e
echo "level=$(eddy getattr --rank 3 tbon.level)"
eddy setattr --rank 2 color blue
echo "color=$(eddy getattr --rank 2 color)"
eddy setattr rank 5 2>setattr.err && echo "setattr rank: allowed" || echo "setattr rank: refused"
cat setattr.err
eddy lsattr -v | grep -E '^(size|tbon.fanout) '
eddy logger --severity warning --appname t0003 hello from the test
eddy dmesg | grep -E 't0003.warning\[0\]: hello from the test|broker.info\[0\]: quorum -> run'
eddy dmesg --rank 4 | grep -c 'broker.info\[4\]' | sed 's/^/rank4-lines=/'
eddy event sub --count 2 test. >events.out 2>sub.err &
for i in $(seq 1 100); do grep -q subscribed sub.err 2>/dev/null && break; sleep 0.05; done
eddy event pub test.one '{"n":1}'
eddy event pub other.topic
eddy event pub test.two '{"n":2}'
wait
cat events.out
eddy module load --rank 0 heartbeat '{"period":0.1}'
eddy module list --rank 0
eddy event sub --count 1 heartbeat.
eddy module remove --rank 0 heartbeat
eddy module remove --rank 0 heartbeat 2>remove.err || cat remove.err
SH
(cd "$TMP" && eddy start --size 8 sh svc.sh) >"$TMP/svc" 2>&1
_report $? "the service script runs" "$TMP/svc"
has "$TMP/svc" '^level=2$' "tbon.level of rank 3 is 2"
has "$TMP/svc" '^color=blue$' "setattr then getattr on rank 2"
has "$TMP/svc" '^setattr rank: refused$' "rank is read-only"
has "$TMP/svc" '^eddy-setattr: attr.set: rank is read-only$' "with a clear message"
has "$TMP/svc" '^size +8$' "lsattr -v shows size 8"
has "$TMP/svc" 't0003.warning\[0\]: hello from the test' "logger writes to dmesg"
has "$TMP/svc" 'broker.info\[0\]: quorum -> run \([0-9.]+s\)' "dmesg shows the state transitions with durations"
has "$TMP/svc" '^rank4-lines=[1-9]' "dmesg --rank 4 reads rank 4's ring"
has "$TMP/svc" '^[0-9]+ test.one \{"n": ?1\}$' "event sub sees test.one"
has "$TMP/svc" '^[0-9]+ test.two \{"n": ?2\}$' "event sub sees test.two"
grep -q 'other.topic' "$TMP/svc"; [ $? -ne 0 ]; _report $? "and not other.topic" "$TMP/svc"
has "$TMP/svc" '^heartbeat +$' "module list shows heartbeat"
has "$TMP/svc" 'heartbeat.pulse \{"count": ?[0-9]+\}' "the heartbeat module publishes pulses"
has "$TMP/svc" 'eddy-module: module.remove: module heartbeat is not loaded' "removing it twice is refused"
finish
