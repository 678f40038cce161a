#!/usr/bin/env bash
# Configuration of a running instance: the brokers read a conf.d at start
# (a TOML error stops them with FILE:LINE:COL, an unknown key is a logged
# warning), every rank serves rank 0's configuration, and SIGHUP or
# `eddy config reload` rereads it on rank 0 and hands it to every rank and
# module, refusing an invalid one and keeping the old.
. "$(dirname "$0")/lib.sh"

conf="$TMP/conf.d"
mkdir "$conf"
cat >"$conf/10-sched.toml" <<'EOF'
[sched]
policy = "fcfs"
EOF
cat >"$conf/20-site.toml" <<'EOF'
# a typo and a table eddy does not know: warnings, not errors
[sched]
polcy = "easy"

[frobnicate]
level = 3

[job-manager]
inactive-num-limit = 1000
EOF

# The script runs inside `eddy start --size 3 --config-path $conf`.
cat >"$TMP/inside.sh" <<'SH'
conf=$1
# wait_for RANK KEY VALUE: until `eddy config get` on RANK prints VALUE
wait_for () {
    for i in $(seq 1 200); do
        [ "$(eddy config get --rank "$1" "$2" 2>/dev/null)" = "$3" ] && return 0
        sleep 0.05
    done
    return 1
}
# wait_log PATTERN: until rank 0's log has a line matching PATTERN
wait_log () {
    for i in $(seq 1 200); do
        eddy dmesg | grep -Eq -- "$1" && return 0
        sleep 0.05
    done
    return 1
}
echo "start r0=$(eddy config get sched.policy)"
echo "start r1=$(eddy config get --rank 1 sched.policy)"
echo "start r2=$(eddy config get --rank 2 sched.policy)"
echo "start table=$(eddy config get --rank 2 job-manager)"
echo "start gen=$(eddy getattr config.generation) $(eddy getattr --rank 2 config.generation)"
eddy config get nosuch.key 2>&1 | sed 's/^/missing: /'
eddy dmesg | grep -E 'config\.warning' | sed 's/^/warn: /'

# SIGHUP on rank 0 rereads the directory
pid0=$(eddy getattr broker.pid)
sed -i 's/"fcfs"/"easy"/' "$conf/10-sched.toml"
printf '[broker]\nlog-stderr-level = 2\n' >"$conf/30-broker.toml"
kill -HUP "$pid0"
wait_for 2 sched.policy '"easy"' && echo "hup reached rank 2"
eddy ping --count 1 broker >/dev/null && echo "hup: rank 0 alive"
echo "hup r0=$(eddy config get sched.policy)"
echo "hup r1=$(eddy config get --rank 1 sched.policy)"
echo "hup gen=$(eddy getattr config.generation) $(eddy getattr --rank 2 config.generation)"
echo "hup stderr-level=$(eddy getattr --rank 0 log-stderr-level) $(eddy getattr --rank 2 log-stderr-level)"
wait_log 'sched.*policy fcfs -> easy' && echo "hup: sched switched policy"
eddy dmesg | grep -E 'config reloaded' | sed 's/^/log: /'

# an invalid file is refused and the old configuration stays
printf '[sched]\npolicy = "conservative"\n' >"$conf/10-sched.toml"
printf '[job-manager\ninactive-num-limit = 1\n' >"$conf/40-bad.toml"
kill -HUP "$pid0"
wait_log 'refused' && echo "bad: refusal logged"
eddy dmesg | grep -E 'refused' | sed 's/^/bad log: /'
eddy ping --count 1 broker >/dev/null && echo "bad: rank 0 alive"
echo "bad r0=$(eddy config get sched.policy)"
echo "bad r2=$(eddy config get --rank 2 sched.policy)"
eddy config reload 2>&1 | sed 's/^/bad reload: /'

# `eddy config reload` does what SIGHUP does
printf '[job-manager]\ninactive-num-limit = 1\n' >"$conf/40-bad.toml"
sed -i '/inactive-num-limit = 1000/d' "$conf/20-site.toml"
eddy config reload && echo "reload: ok"
wait_for 2 sched.policy '"conservative"' && echo "reload reached rank 2"
echo "reload r1=$(eddy config get --rank 1 sched.policy)"
wait_log 'job-manager.*inactive-num-limit' && echo "reload: job-manager told"

# the job manager applies the new purge limit: one inactive job is kept
id1=$(eddy submit true) && eddy job wait "$id1" >/dev/null
id2=$(eddy submit true) && eddy job wait "$id2" >/dev/null
for i in $(seq 1 100); do
    eddy job eventlog "$id1" >/dev/null 2>&1 || { echo "purge: first job purged"; break; }
    sleep 0.05
done
eddy job eventlog "$id2" >/dev/null 2>&1 && echo "purge: second job kept"

# SIGHUP on a follower asks rank 0 to reload; the follower stays up
pid1=$(eddy getattr --rank 1 broker.pid)
gen=$(eddy getattr config.generation)
sed -i 's/"conservative"/"fcfs"/' "$conf/10-sched.toml"
kill -HUP "$pid1"
wait_for 2 sched.policy '"fcfs"' && echo "follower hup reached rank 2"
eddy ping --count 1 --rank 1 broker >/dev/null && echo "follower hup: rank 1 alive"
[ "$(eddy getattr config.generation)" -gt "$gen" ] && echo "follower hup: new generation"
eddy config get | sed 's/^/whole: /'
SH
eddy start --size 3 --config-path "$conf" sh "$TMP/inside.sh" "$conf" >"$TMP/out" 2>"$TMP/err"
rc=$?
cat "$TMP/err" >>"$TMP/out"
_report $rc "an instance of 3 brokers starts with a conf.d and runs the script" "$TMP/out"
has "$TMP/out" '^start r0="fcfs"$' "rank 0 serves sched.policy from the files"
has "$TMP/out" '^start r1="fcfs"$' "rank 1 serves rank 0's configuration"
has "$TMP/out" '^start r2="fcfs"$' "so does rank 2"
has "$TMP/out" '^start table=\{"inactive-num-limit": ?1000\}$' "a whole table prints as JSON"
has "$TMP/out" '^start gen=1 1$' "every rank has generation 1"
has "$TMP/out" '^missing: eddy-config: config.get: nosuch.key: no such key' "a missing key is an error"
has "$TMP/out" "^warn: .*20-site.toml: sched.polcy: unknown key" "an unknown key is a warning naming file and key"
has "$TMP/out" "^warn: .*20-site.toml: \[frobnicate\]: unknown table" "an unknown table too"
has "$TMP/out" '^hup reached rank 2$' "after SIGHUP on rank 0, rank 2 has the new value"
has "$TMP/out" '^hup: rank 0 alive$' "SIGHUP does not kill rank 0"
has "$TMP/out" '^hup r0="easy"$' "rank 0 has the new value"
has "$TMP/out" '^hup r1="easy"$' "rank 1 has the new value"
has "$TMP/out" '^hup gen=2 2$' "every rank has generation 2"
has "$TMP/out" '^hup stderr-level=2 2$' "[broker] log-stderr-level is applied on every rank"
has "$TMP/out" '^hup: sched switched policy$' "the scheduler switched to the new policy"
has "$TMP/out" '^log: .*config reloaded' "the reload is logged"
has "$TMP/out" '^bad: refusal logged$' "an invalid file on reload is refused"
has "$TMP/out" '^bad log: .*40-bad.toml:1:[0-9]+: ' "the refusal names FILE:LINE:COL"
has "$TMP/out" '^bad: rank 0 alive$' "and the broker stays up"
has "$TMP/out" '^bad r0="easy"$' "the old value stays on rank 0"
has "$TMP/out" '^bad r2="easy"$' "and on rank 2"
has "$TMP/out" '^bad reload: eddy-config: config.reload: .*40-bad.toml:1:[0-9]+: ' \
    "eddy config reload reports the error and fails"
has "$TMP/out" '^reload: ok$' "eddy config reload succeeds once the file is fixed"
has "$TMP/out" '^reload reached rank 2$' "and rank 2 gets the new value"
has "$TMP/out" '^reload r1="conservative"$' "as does rank 1"
has "$TMP/out" '^reload: job-manager told$' "the job manager hears of its new purge limit"
has "$TMP/out" '^purge: first job purged$' "with inactive-num-limit = 1 the older job is purged"
has "$TMP/out" '^purge: second job kept$' "and the newest kept"
has "$TMP/out" '^follower hup reached rank 2$' "SIGHUP on rank 1 reloads from rank 0"
has "$TMP/out" '^follower hup: rank 1 alive$' "and does not kill rank 1"
has "$TMP/out" '^follower hup: new generation$' "rank 0 made a new generation"
has "$TMP/out" '^whole: \{.*"sched": ?\{.*"policy": ?"fcfs"' "eddy config get prints the whole configuration"
hasnt "$TMP/out" 'killed by signal' "no broker was killed"

# A TOML error stops the start, naming FILE:LINE:COL.
mkdir "$TMP/bad.d"
printf '[sched]\npolicy = "fcfs"\n' >"$TMP/bad.d/a.toml"
printf '[tbon]\nkeepalive_timeout = [1,\n' >"$TMP/bad.d/b.toml"
fails "eddy start refuses a conf.d with a TOML error" \
    eddy start --size 3 --config-path "$TMP/bad.d" true
eddy start --size 3 --config-path "$TMP/bad.d" true 2>"$TMP/bad.err"
has "$TMP/bad.err" "bad.d/b.toml:3:1: expected a value" "the error names FILE:LINE:COL"
printf '[sched]\npolicy = 3\n' >"$TMP/bad.d/a.toml"
printf '[tbon]\n' >"$TMP/bad.d/b.toml"
eddy start --config-path "$TMP/bad.d" true 2>"$TMP/type.err"
has "$TMP/type.err" "a.toml: sched.policy: expected a string" "a wrong type is an error naming the key"

# The broker itself refuses a bad conf.d: nonzero exit, message on stderr.
mkdir "$TMP/rd"
printf 'x = [\n' >"$TMP/bad.d/b.toml"
timeout 20 eddy-broker --rank 0 --size 1 --rundir "$TMP/rd" --config-path "$TMP/bad.d" 2>"$TMP/broker.err"
[ $? -ne 0 ]; _report $? "eddy-broker exits nonzero on a TOML error" "$TMP/broker.err"
has "$TMP/broker.err" "^eddy-broker\[0\]: .*bad.d/b.toml:2:1: " "with FILE:LINE:COL on stderr"
EDDY_CONFIG_PATH="$TMP/bad.d" timeout 20 eddy-broker --rank 0 --size 1 --rundir "$TMP/rd" 2>"$TMP/env.err"
[ $? -ne 0 ]; _report $? "EDDY_CONFIG_PATH names the directory too" "$TMP/env.err"

# Without a configuration, eddy start works as before.
ok "eddy start with no configuration" eddy start --size 2 sh -c \
    '[ "$(eddy config get)" = "{}" ] && [ "$(eddy getattr config.generation)" = 0 ]'
finish
