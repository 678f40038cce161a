#!/usr/bin/env bash
# Cancel escalates: `eddy job cancel` sends SIGTERM, and a job still
# running [exec] kill-timeout later gets SIGKILL.  A job whose tasks
# ignore SIGTERM is gone within the grace (here 1 s, from a conf.d) and
# about a second, not before the grace.
. "$(dirname "$0")/lib.sh"

conf="$TMP/conf.d"
mkdir "$conf"
printf '[exec]\nkill-timeout = "1s"\n' >"$conf/10-exec.toml"

cat >"$TMP/inside.sh" <<'SH'
tmp=$1
id=$(eddy submit sh -c "echo \$\$ > $tmp/task.pid; trap '' TERM; sleep 100") || exit 1
for i in $(seq 1 200); do
    [ -s "$tmp/task.pid" ] && eddy jobs -n -o '{id.f58} {st}' | grep -q "^$id R$" && break
    sleep 0.05
done
echo "running $(eddy jobs -n -o '{st}' $id 2>/dev/null | head -1)"
t0=$(date +%s.%N)
eddy job cancel $id; echo "cancel rc=$?"
# bounded: an unkillable job must not hang the test
timeout 10 eddy job wait $id; echo "wait rc=$?"
t1=$(date +%s.%N)
echo "elapsed $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
eddy jobs -a -n -o '{id.f58} {result}' | grep "^$id "
eddy dmesg | grep -E 'after SIGTERM: SIGKILL' | sed 's/^/log: /'
SH
(cd "$TMP" && timeout 60 eddy start --config-path "$conf" sh inside.sh "$TMP") >"$TMP/out" 2>&1
_report $? "an instance with [exec] kill-timeout = 1s cancels a job that ignores SIGTERM" "$TMP/out"
has "$TMP/out" '^cancel rc=0$' "the cancel is accepted"
has "$TMP/out" '^wait rc=[1-9]' "eddy job wait returns (the job ended, canceled)"
has "$TMP/out" ' CANCELED$' "the job's result is CANCELED"
has "$TMP/out" '^log: .*still running 1s after SIGTERM: SIGKILL' "exec logs the SIGKILL after the grace"
elapsed=$(sed -n 's/^elapsed //p' "$TMP/out")
awk -v e="${elapsed:-99}" 'BEGIN { exit !(e >= 0.9 && e <= 2.5) }'
_report $? "the job ends after the 1 s grace and within about a second more (${elapsed:-?} s)" "$TMP/out"
pid=$(cat "$TMP/task.pid" 2>/dev/null)
[ -n "$pid" ] && gone_within 2 "$pid" 2>"$TMP/gone"
_report $? "the task that ignored SIGTERM is gone" "$TMP/gone"
[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null

finish
