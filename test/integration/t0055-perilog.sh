#!/usr/bin/env bash
# Prolog and epilog ([job-manager.prolog], [job-manager.epilog]) in an
# instance of 4 brokers:
#  1. a per-rank prolog runs on each of the job's ranks before its tasks
#     (they see its marker files), with EDDY_JOB_ID, EDDY_JOB_USERID and
#     EDDY_OWNER_USERID; the eventlog has prolog-start/prolog-finish before
#     start and epilog-start/epilog-finish before free.
#  2. a failing prolog: the job gets a fatal "prolog" exception, its rank is
#     drained with the reason, a job on the other ranks runs.
#  3. a failing epilog: the job succeeds, its rank is drained.
#  4. a hanging epilog (it ignores SIGTERM) is killed at its timeout, set
#     by a reload, and its rank is drained with "epilog timed out".
#  5. a malformed table is refused at reload; the one in force stays.
#  6. eddy perilog-run runs a command on each of a job's ranks and reports
#     those where it fails; as a per-rank = false prolog it runs once, on
#     rank 0, and fans out itself.
. "$(dirname "$0")/lib.sh"

mkdir "$TMP/conf.d" "$TMP/m"
cat >"$TMP/prolog.sh" <<EOF
# markers: one per run (the ranks share this directory), late enough that
# a task started without waiting for the prolog would not see them
sleep 0.3
echo "\$EDDY_JOB_ID \$EDDY_JOB_USERID \$EDDY_OWNER_USERID" >"$TMP/m/pro.\$\$"
[ -e "$TMP/slow-prolog" ] && sleep 2
[ -e "$TMP/hang-prolog" ] && exec sleep 30
[ ! -e "$TMP/fail-prolog" ]
EOF
cat >"$TMP/epilog.sh" <<EOF
echo "\$EDDY_JOB_ID" >"$TMP/m/epi.\$\$"
if [ -e "$TMP/hang-epilog" ]; then
    trap '' TERM
    echo \$\$ >"$TMP/hang.pid"
    while :; do sleep 0.1; done
fi
[ ! -e "$TMP/fail-epilog" ]
EOF
write_conf () { # extra [job-manager.prolog] line, [job-manager.epilog] line
    cat >"$TMP/conf.d/jm.toml" <<TOML
[exec]
kill-timeout = "1s"
[job-manager.prolog]
command = ["sh", "$TMP/prolog.sh"]
per-rank = true
$1
[job-manager.epilog]
command = ["sh", "$TMP/epilog.sh"]
per-rank = true
$2
TOML
}
write_conf '' ''

# the checks run inside the instance, with lib.sh's helpers and this TMP
cat >"$TMP/run.sh" <<'EOF'
uri=$EDDY_URI
. "$LIB"
export EDDY_URI=$uri
rm -rf "$TMP"; trap - EXIT
TMP=$OUTER
EOF
cat >"$TMP/body.sh" <<'EOF'
drained () { eddy resource status -s drained -n -o '{ranks}' 2>/dev/null; }
drained_is () { [ "$(drained)" = "$1" ]; }
reasons () { eddy resource drain -n -o '{ranks} {reason}' 2>/dev/null; }
names () { eddy job eventlog "$1" | sed 's/.*"name":"\([^"]*\)".*/\1/' | tr '\n' ' '; }
me=$(id -u)

# 1. a prolog on each rank, before the tasks
id=$(eddy submit -N 2 -n 2 --output="$TMP/out1" sh -c "ls $TMP/m | grep -c pro")
ok "a 2-node job with a prolog and an epilog succeeds" eddy job wait "$id"
[ "$(sort -u "$TMP/out1")" = 2 ]; _report $? "each task saw the prolog's 2 markers (one per rank)" "$TMP/out1"
cat "$TMP"/m/pro.* >"$TMP/env1"
[ "$(sort -u "$TMP/env1")" = "$id $me $me" ]; _report $? "the prolog had EDDY_JOB_ID, EDDY_JOB_USERID, EDDY_OWNER_USERID" "$TMP/env1"
[ "$(ls "$TMP"/m | grep -c epi)" = 2 ]; _report $? "the epilog ran on both ranks" "$TMP/env1"
names "$id" >"$TMP/names1"
has "$TMP/names1" 'alloc prolog-start prolog-finish start finish release epilog-start epilog-finish free clean' \
    "eventlog: prolog-start/finish between alloc and start, epilog-start/finish before free"
eddy job eventlog "$id" >"$TMP/ev1"
has "$TMP/ev1" '"name":"prolog-finish","context":\{"description":"prolog","status":0\}' "prolog-finish says status 0"
drained_is ""; _report $? "no rank is drained" "$TMP/ev1"
rm -f "$TMP"/m/*

# 2. the prolog fails
touch "$TMP/fail-prolog"
id=$(eddy submit -N 1 --output="$TMP/out2" sh -c "echo task ran")
eddy job wait "$id" >"$TMP/wait2" 2>&1; rc=$?
[ $rc -ne 0 ]; _report $? "a job whose prolog fails fails (exit $rc)" "$TMP/wait2"
has "$TMP/wait2" 'exception prolog: prolog failed on rank [0-9]: exit 1' "wait says: exception prolog, the rank and the exit status"
[ ! -s "$TMP/out2" ]; _report $? "its task never ran" "$TMP/out2"
eddy job eventlog "$id" >"$TMP/ev2"
has "$TMP/ev2" '"name":"exception","context":\{"type":"prolog","severity":0' "eventlog: a fatal exception of type prolog"
hasnt "$TMP/ev2" '"name":"(start|epilog-start)"' "no start, no epilog"
bad=$(eddy job info "$id" R | sed 's/.*"rank":"\([0-9]*\)".*/\1/')
[ -n "$bad" ] && within 5 drained_is "$bad"; st=$?; reasons >"$TMP/reasons2"
_report $st "its rank ($bad) is drained" "$TMP/reasons2"
has "$TMP/reasons2" "^$bad prolog failed for job $id\$" "with the reason 'prolog failed for job ID'"
rm -f "$TMP/fail-prolog"
id=$(eddy submit -N 3 -n 3 true)
ok "a 3-node job runs on the other ranks" eddy job wait "$id"
hasnt <(eddy job info "$id" R) "\"rank\":\"[^\"]*$bad" "and its R leaves out the drained rank"
eddy resource undrain "$bad"
rm -f "$TMP"/m/*

# 2b. the prolog hangs: killed at its timeout (a reload sets it), the job
# fails, the rank is drained; a job canceled during its prolog never starts
write_conf 'timeout = "1s"' ''
ok "reload: prolog timeout 1s" eddy config reload
touch "$TMP/hang-prolog"
id=$(eddy submit -N 1 --output="$TMP/out2b" sh -c "echo task ran")
timeout 20 eddy job wait "$id" >"$TMP/wait2b" 2>&1; rc=$?
[ $rc -ne 0 ]; _report $? "a job whose prolog hangs fails (exit $rc)" "$TMP/wait2b"
has "$TMP/wait2b" 'exception prolog: prolog timed out on rank [0-9]: timeout 1s' "wait says: prolog timed out, the rank, the timeout"
[ ! -s "$TMP/out2b" ]; _report $? "its task never ran" "$TMP/out2b"
bad=$(eddy job info "$id" R | sed 's/.*"rank":"\([0-9]*\)".*/\1/')
[ -n "$bad" ] && within 5 drained_is "$bad"; st=$?; reasons >"$TMP/reasons2b"
_report $st "its rank ($bad) is drained" "$TMP/reasons2b"
has "$TMP/reasons2b" "^$bad prolog timed out for job $id\$" "with the reason 'prolog timed out for job ID'"
rm -f "$TMP/hang-prolog"
eddy resource undrain "$bad"
write_conf '' ''
ok "reload: the default prolog timeout (30m)" eddy config reload
touch "$TMP/slow-prolog"
id=$(eddy submit -N 1 --output="$TMP/out2c" sh -c "echo task ran")
within 5 sh -c "eddy job eventlog $id | grep -q prolog-start"
eddy job cancel "$id"
eddy job wait "$id" >"$TMP/wait2c" 2>&1
has "$TMP/wait2c" 'exception cancel' "a job canceled during its prolog ends canceled"
names "$id" >"$TMP/names2c"; echo >>"$TMP/names2c"
has "$TMP/names2c" 'prolog-start exception prolog-finish epilog-start epilog-finish free clean' \
    "its prolog ends, then the epilog, and it never starts"
rm -f "$TMP/slow-prolog"
drained_is ""; _report $? "and nothing is drained" "$TMP/names2c"
rm -f "$TMP"/m/*

# 3. the epilog fails
touch "$TMP/fail-epilog"
id=$(eddy submit -N 1 true)
ok "a job whose epilog fails succeeds" eddy job wait "$id"
bad=$(eddy job info "$id" R | sed 's/.*"rank":"\([0-9]*\)".*/\1/')
[ -n "$bad" ] && within 5 drained_is "$bad"; st=$?; reasons >"$TMP/reasons3"
_report $st "its rank ($bad) is drained" "$TMP/reasons3"
has "$TMP/reasons3" "^$bad epilog failed for job $id\$" "with the reason 'epilog failed for job ID'"
eddy job eventlog "$id" >"$TMP/ev3"
has "$TMP/ev3" '"name":"epilog-finish","context":\{"description":"epilog","status":256\}' "epilog-finish has its wait status"
rm -f "$TMP/fail-epilog"
eddy resource undrain "$bad"

# 4. the epilog hangs: killed at its timeout, from a reload
write_conf '' 'timeout = "1s"'
ok "reload: epilog timeout 1s" eddy config reload
touch "$TMP/hang-epilog"
t0=$(date +%s.%N)
id=$(eddy submit -N 1 true)
ok "a job whose epilog hangs ends" timeout 20 eddy job wait "$id"
t=$(echo "$(date +%s.%N) - $t0" | bc)
awk -v t="$t" 'BEGIN { exit !(t >= 1.5 && t < 10) }'; _report $? "after ${t}s: the 1s timeout, then SIGTERM ignored, SIGKILL 1s later" "$TMP/ev3"
pid=$(cat "$TMP/hang.pid")
ok "the hanging epilog is gone" gone_within 2 "$pid"
bad=$(eddy job info "$id" R | sed 's/.*"rank":"\([0-9]*\)".*/\1/')
[ -n "$bad" ] && within 5 drained_is "$bad"; st=$?; reasons >"$TMP/reasons4"
_report $st "its rank ($bad) is drained" "$TMP/reasons4"
has "$TMP/reasons4" "^$bad epilog timed out for job $id\$" "with the reason 'epilog timed out for job ID'"
rm -f "$TMP/hang-epilog"
eddy resource undrain "$bad"

# 5. malformed tables are refused at reload
cp "$TMP/conf.d/jm.toml" "$TMP/good.toml"
for bad in 'command = "sh"' 'command = []' 'timeout = "soon"' 'per-rank = "yes"'; do
    sed "/^\[job-manager.prolog\]/,/^\[/ s|^command = .*|$bad|" "$TMP/good.toml" >"$TMP/conf.d/jm.toml"
    [ "${bad%% *}" = command ] || printf '[job-manager.prolog]\ncommand = ["true"]\n%s\n' "$bad" >"$TMP/conf.d/jm.toml"
    eddy config reload >"$TMP/reload5" 2>&1; rc=$?
    [ $rc -ne 0 ] && grep -q 'prolog' "$TMP/reload5"; _report $? "reload refuses $bad, naming the key (exit $rc)" "$TMP/reload5"
done
cp "$TMP/good.toml" "$TMP/conf.d/jm.toml"
id=$(eddy submit -N 1 true)
ok "the prolog in force still runs" eddy job wait "$id"
ls "$TMP"/m | grep -q pro; _report $? "(its marker is there)" "$TMP/reload5"
rm -f "$TMP"/m/*

# 6. eddy perilog-run
id=$(eddy submit -N 3 -n 3 true)
eddy job wait "$id"
ok "perilog-run -e true on a job's ranks succeeds" eddy perilog-run -j "$id" -e true prolog
ranks=$(eddy job info "$id" R | sed 's/.*"rank":"\([^"]*\)".*/\1/')
fails "perilog-run -e false fails" eddy perilog-run --no-drain -j "$id" -e false epilog
for r in $(eddy idset expand "$ranks" 2>/dev/null || echo "$ranks" | tr ',' ' '); do
    has "$TMP/out" "epilog: rank $r: exit 1" "and names rank $r with its exit status"
done
has "$TMP/out" "epilog failed on 3 of 3 ranks" "and counts them"
fails "perilog-run -t 0.5 times out a sleep" eddy perilog-run --no-drain -j "$id" -t 0.5 -e sleep,30 prolog
has "$TMP/out" "rank [0-9]: timed out" "and says timed out"
drained_is ""; _report $? "--no-drain drains nothing" "$TMP/out"
fails "perilog-run -e false without --no-drain" eddy perilog-run -j "$id" -e false epilog
drained_is "$ranks"; st=$?; reasons >"$TMP/reasons6"
_report $st "drains the job's ranks ($ranks)" "$TMP/reasons6"
has "$TMP/reasons6" "^$ranks epilog failed for job $id\$" "with the reason 'epilog failed for job ID'"
eddy resource undrain "$ranks"
fails "perilog-run without -e" eddy perilog-run -j "$id" prolog
has "$TMP/out" "-e CMD is required" "says -e is required"
fails "perilog-run without a job" env -u EDDY_JOB_ID eddy perilog-run -e true prolog
fails "perilog-run with a job that has no R" eddy perilog-run -j 12345 -e true prolog
has "$TMP/out" "no such job" "says no such job"
cat >"$TMP/conf.d/jm.toml" <<TOML
[job-manager.prolog]
command = ["eddy", "perilog-run", "-e", "sh,$TMP/prolog.sh", "prolog"]
TOML
ok "reload: perilog-run as a per-rank = false prolog" eddy config reload
rm -f "$TMP"/m/*
id=$(eddy submit -N 3 -n 3 --output="$TMP/out6" sh -c "ls $TMP/m | grep -c pro")
ok "a 3-node job with that prolog succeeds" eddy job wait "$id"
[ "$(sort -u "$TMP/out6")" = 3 ]; _report $? "its task saw 3 markers: perilog-run ran the script on each rank" "$TMP/out6"
grep -h . "$TMP"/m/pro.* | sort -u >"$TMP/env6"
[ "$(cat "$TMP/env6")" = "$id $me $me" ]; _report $? "with the job's id and user" "$TMP/env6"
touch "$TMP/fail-prolog"
id=$(eddy submit -N 2 -n 2 true)
fails "with a failing script, the job fails" eddy job wait "$id"
has "$TMP/out" "exception prolog: prolog failed on rank 0: exit 1" "a prolog exception (the command ran on rank 0)"
ranks=$(eddy job info "$id" R | sed 's/.*"rank":"\([^"]*\)".*/\1/')
within 5 drained_is "$ranks"; st=$?; reasons >"$TMP/reasons7"
_report $st "perilog-run drained the job's ranks ($ranks), where the script failed" "$TMP/reasons7"
has "$TMP/reasons7" "^$ranks prolog failed for job $id\$" "with the reason 'prolog failed for job ID'"
rm -f "$TMP/fail-prolog"
finish
EOF
export -f write_conf
export LIB="$(cd "$(dirname "$0")" && pwd)/lib.sh" OUTER="$TMP"
cat "$TMP/body.sh" >>"$TMP/run.sh"
(cd "$TMP" && eddy start --size 4 --config-path="$TMP/conf.d" bash "$TMP/run.sh") 2>&1
