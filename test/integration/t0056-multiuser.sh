#!/usr/bin/env bash
# Issue 11 end to end, through the real commands: an owner (useradd) runs a
# system instance with guests allowed, [exec] imp = a setuid-root copy of
# eddy-imp, a munged of the test's own and a prolog.  alice (in a
# supplementary group) submits from her home with `eddy submit` and reads
# her job's output with `eddy job attach`: it ran as her, in her groups and
# her directory; her --output file is opened as her (hers, and not where
# only the owner may write); bob lists her job with her name but cannot
# cancel, attach to, read or raise it; alice cancels her own; the prolog
# ran as root, told alice's uid, and a failing one drains the node; with
# munged stopped alice's submit fails clearly and nothing is stored.  In
# between, N /bin/true jobs of the owner, then of alice, all complete, with
# their rates printed (T56_JOBS=N, default 100; T56_CORES=C gives the node
# C cores; T56_BENCH=1 adds bench-jobs for the owner; T56_IMP=FILE tries
# another build of eddy-imp).  Root only (useradd, setuid); else skipped.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null || ! command -v munged >/dev/null; then
    echo "1..0 # SKIP needs root, useradd and munged"
    exit 77
fi
BROKER="$EDDY_BUILDDIR/cmd/eddy-broker"
EDDY="$EDDY_BUILDDIR/cmd/eddy"
SHELL_="$EDDY_BUILDDIR/cmd/eddy-shell"
d="$EDDY_BUILDDIR/cmd"
while [ "$d" != / ]; do
    if ! runuser -u nobody -- test -x "$d" 2>/dev/null; then
        echo "1..0 # SKIP $d is not searchable by other users"
        exit 77
    fi
    d=$(dirname "$d")
done

sfx=$$
OWN=eddy56o$sfx ALICE=eddy56a$sfx BOB=eddy56b$sfx GROUP=eddy56g$sfx
bpid=
cleanup () {
    [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
    munged_stop "$TMP/munge"
    for u in "$OWN" "$ALICE" "$BOB"; do userdel -r "$u" >/dev/null 2>&1; done
    groupdel "$GROUP" >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT
groupadd "$GROUP" || exit 1
for u in "$OWN" "$ALICE" "$BOB"; do useradd -m -s /bin/sh "$u" || exit 1; done
usermod -a -G "$GROUP" "$ALICE"
uid_a=$(id -u "$ALICE") gid_g=$(getent group "$GROUP" | cut -d: -f3)
home_a=$(getent passwd "$ALICE" | cut -d: -f6)
chmod 755 "$TMP"
cd "$TMP" || exit 1

munged_start "$TMP/munge" || { echo "munged does not start"; exit 1; }
mkdir "$TMP/security" "$TMP/conf" "$TMP/own" "$TMP/imp"
# the configuration is the example files eddy ships (etc/examples: the
# admin guide's sign.toml, imp.toml, access.toml and exec.toml), with only
# this test's paths and user names put in: they work as written
EX=$EDDY_SRCDIR/etc/examples
sed "s|/run/munge/munge.socket.2|$TMP/munge/sock|" "$EX/sign.toml" >"$TMP/security/sign.toml"
chmod -R a+rX "$TMP/security"

# the prolog, root's: its uid and the job's user, appended; fails on demand
cat >"$TMP/prolog" <<PROLOG
#!/bin/sh
echo "\$EDDY_JOB_ID uid=\$(id -u) job-user=\$EDDY_JOB_USERID" >>"$TMP/prolog.log"
[ ! -e "$TMP/fail-prolog" ]
PROLOG
chmod 755 "$TMP/prolog"

# eddy-imp setuid root, its configuration beside it
# (T56_IMP=FILE: another build of cmd/test/eddy-imp, to compare its cost)
install -o root -g root -m 4755 "${T56_IMP:-$EDDY_BUILDDIR/cmd/test/eddy-imp}" "$TMP/imp/eddy-imp"
mkdir -m 755 "$TMP/imp/imp.conf.d"
sed -e "s|\"eddy\"|\"$OWN\"|" -e "s|/usr/bin/eddy-shell|$SHELL_|" \
    -e "s|/etc/eddy/system/prolog|$TMP/prolog|" -e "s|/etc/eddy/system/epilog|$TMP/epilog|" \
    "$EX/imp.toml" >"$TMP/imp/imp.conf.d/imp.toml"
# eddy-imp checks signatures as the instance does: the same sign.toml
cp "$TMP/security/sign.toml" "$TMP/imp/imp.conf.d/sign.toml"
for f in imp sign; do
    diff <(sed "s|$TMP/munge/sock|/run/munge/munge.socket.2|; s|$SHELL_|/usr/bin/eddy-shell|; s|\"$OWN\"|\"eddy\"|; s|$TMP/prolog|/etc/eddy/system/prolog|; s|$TMP/epilog|/etc/eddy/system/epilog|" \
        "$TMP/imp/imp.conf.d/$f.toml") "$EX/$f.toml" >"$TMP/diff.$f" 2>&1
    _report $? "eddy-imp's $f.toml is the shipped example but for the paths and names" "$TMP/diff.$f"
done
chmod 644 "$TMP/imp/imp.conf.d/sign.toml"
cat >"$TMP/epilog" <<EPILOG
#!/bin/sh
exit 0
EPILOG
chmod 755 "$TMP/epilog"
chmod 644 "$TMP/imp/imp.conf.d/imp.toml"

cp "$EX/access.toml" "$TMP/conf/access.toml"
sed "s|/usr/sbin/eddy-imp|$TMP/imp/eddy-imp|" "$EX/exec.toml" >"$TMP/conf/exec.toml"
cat >"$TMP/conf/instance.toml" <<CONF
[broker]
statedir = "$TMP/own/state"

[job-manager.prolog]
command = [ "$TMP/prolog" ]
per-rank = true
CONF
# T56_CORES=N: the node has N cores (R of this host), so that more jobs
# run at once than the machine has cores: for throughput, where each job
# holds its core for a few commit round trips more than it runs
if [ -n "${T56_CORES:-}" ]; then
    "$EDDY" R encode --hosts="$(hostname)" --cores=0-$((T56_CORES - 1)) >"$TMP/conf/R.json"
    printf '\n[resource]\npath = "%s"\n' "$TMP/conf/R.json" >>"$TMP/conf/instance.toml"
fi
chmod -R a+rX "$TMP/conf"
chown "$OWN" "$TMP/own"

run="$TMP/own/run"
export EDDY_URI="local://$run/local"
runuser -u "$OWN" -- env EDDY_SYSTEM_RUNDIR="$run" EDDY_SECURITY_CONFIG_PATH="$TMP/security" \
    "$BROKER" --system --config-path="$TMP/conf" 2>"$TMP/broker.err" &
bpid=$!

as () { # USER CMD...: CMD as USER at this instance, in USER's home
    local u=$1; shift
    (cd "$(getent passwd "$u" | cut -d: -f6)" &&
        runuser -u "$u" -- env EDDY_URI="$EDDY_URI" SOMEVAR="${SOMEVAR-}" "$@")
}
# refused WHAT PATTERN USER CMD...: CMD as USER fails (within 10 s) with a
# message matching PATTERN
refused () {
    local what=$1 pat=$2; shift 2
    timeout 10 runuser -u "$1" -- env EDDY_URI="$EDDY_URI" "${@:2}" >"$TMP/out" 2>&1
    local rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -Eq -- "$pat" "$TMP/out"
    _report $? "$what (exit $rc)" "$TMP/out"
}
within 20 as "$OWN" "$EDDY" ping --count 1 broker
_report $? "the instance starts as $OWN with guests, eddy-imp and a prolog" "$TMP/broker.err"

# ---- alice's job runs as alice ----
SOMEVAR=from-alice as "$ALICE" "$EDDY" submit sh -c 'id -u; id -G; pwd; echo $SOMEVAR' \
    >"$TMP/jobid" 2>"$TMP/out"
_report $? "alice submits from her home" "$TMP/out"
job=$(cat "$TMP/jobid")
timeout 30 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job attach "$job" \
    >"$TMP/attach" 2>&1
_report $? "alice attaches to it: it finishes with status 0" "$TMP/attach"
# line by line (uids and gids made here are close numbers: a match
# anywhere could be another line's)
line () { sed -n "$1p" "$TMP/attach"; }
[ "$(line 1)" = "$uid_a" ]; _report $? "it ran as alice (id -u: $(line 1), alice is $uid_a)" "$TMP/attach"
[ "$(line 2)" = "$(id -G "$ALICE")" ]
_report $? "in her groups (id -G: $(line 2), with $GROUP's $gid_g)" "$TMP/attach"
[ "$(line 3)" = "$home_a" ]; _report $? "in her working directory" "$TMP/attach"
[ "$(line 4)" = from-alice ]; _report $? "with her environment" "$TMP/attach"
timeout 10 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job wait "$job" >"$TMP/out" 2>&1
_report $? "alice's wait on it answers status 0" "$TMP/out"

# ---- her output file is hers, written where only she may write ----
as "$ALICE" "$EDDY" submit --output="$home_a/job.out" sh -c 'id -u' >"$TMP/jobid4" 2>"$TMP/out"
timeout 30 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job wait "$(cat "$TMP/jobid4")" \
    >>"$TMP/out" 2>&1
_report $? "alice's job with --output=FILE in her home (mode $(stat -c %a "$home_a")) finishes" "$TMP/out"
[ "$(stat -c %U "$home_a/job.out" 2>&1)" = "$ALICE" ]
_report $? "  the file is owned by alice ($(stat -c %U "$home_a/job.out" 2>&1))" /dev/null
[ "$(cat "$home_a/job.out")" = "$uid_a" ]; _report $? "  and holds the job's output" "$home_a/job.out"

# where the instance's owner may write but alice may not, nothing is written
as "$ALICE" "$EDDY" submit --output="$TMP/own/alice.out" true >"$TMP/jobid5" 2>"$TMP/out"
timeout 30 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job wait "$(cat "$TMP/jobid5")" \
    >>"$TMP/out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && [ ! -e "$TMP/own/alice.out" ]
_report $? "alice's --output in the owner's directory fails the job (exit $rc), no file made" "$TMP/out"
has "$TMP/broker.err" "cannot open stdout file $TMP/own/alice.out as the job's user: Permission denied" \
    "  the broker logs why"
has "$TMP/out" "exec.*rank 0: cannot open stdout file $TMP/own/alice.out as the job's user: Permission denied" \
    "  and so does alice's eddy job wait (the job's exception)"

# her job talks to the instance as her (EDDY_URI from eddy-imp): its own
# eventlog is hers to read, the owner's attributes not to set
as "$ALICE" "$EDDY" submit sh -c "\"$EDDY\" job eventlog \$EDDY_JOB_ID | head -1; \
    \"$EDDY\" setattr log-stderr-level 3 || echo setattr refused" >"$TMP/jobid7" 2>"$TMP/out"
timeout 30 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job attach "$(cat "$TMP/jobid7")" \
    >"$TMP/attach7" 2>&1
_report $? "alice's job that calls eddy finishes" "$TMP/attach7"
has "$TMP/attach7" '"name":"submit"' "  it read its own eventlog"
has "$TMP/attach7" 'requires owner credentials' "  as a guest: setattr is refused"

# ---- the prolog: through eddy-imp, as root, told alice's uid ----
has "$TMP/prolog.log" "^$job uid=0 job-user=$uid_a\$" "the prolog ran as root with EDDY_JOB_USERID=$uid_a"

# ---- bob ----
# a job of alice's that waits (held by its begin time), to act on
as "$ALICE" "$EDDY" submit --begin-time=+1h sleep 100 >"$TMP/jobid2" 2>"$TMP/out"
_report $? "alice submits a second job, held" "$TMP/out"
job2=$(cat "$TMP/jobid2")
as "$BOB" "$EDDY" jobs -A >"$TMP/bob-jobs" 2>&1
has "$TMP/bob-jobs" "^$job2 +$ALICE " "bob lists it with alice's name (eddy jobs -A)"
refused "bob cannot cancel it" "only the job's owner or the instance owner" \
    "$BOB" "$EDDY" job cancel "$job2"
refused "bob cannot attach to it" "belongs to another user|their own jobs" \
    "$BOB" "$EDDY" job attach "$job2"
refused "bob cannot read its eventlog" "a guest may read only the keys of their own jobs" \
    "$BOB" "$EDDY" job eventlog "$job2"
refused "bob cannot change its urgency" "only the job's owner or the instance owner" \
    "$BOB" "$EDDY" job urgency "$job2" 20
refused "bob cannot read the finished job's output" "belongs to another user|their own jobs" \
    "$BOB" "$EDDY" job attach "$job"
ok "alice cancels her second job" as "$ALICE" "$EDDY" job cancel "$job2"
within 10 sh -c "runuser -u '$ALICE' -- env EDDY_URI='$EDDY_URI' '$EDDY' jobs -a -A -n -o '{id} {st}' | grep -q '^$job2 CA'"
_report $? "  it becomes inactive, canceled" /dev/null

# ---- a failing prolog drains the node ----
touch "$TMP/fail-prolog"
as "$ALICE" "$EDDY" submit true >"$TMP/jobid3" 2>"$TMP/out"
job3=$(cat "$TMP/jobid3")
timeout 30 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job wait "$job3" >"$TMP/out" 2>&1
[ $? -ne 0 ] && grep -q prolog "$TMP/out"
_report $? "a job whose prolog fails ends with the prolog exception" "$TMP/out"
as "$OWN" "$EDDY" resource drain -n -o '{ranks} {reason}' >"$TMP/drain" 2>&1
has "$TMP/drain" "^0 prolog failed for job $job3" "  and the node is drained with the reason"
rm -f "$TMP/fail-prolog"
ok "the owner undrains it" as "$OWN" "$EDDY" resource undrain 0

# ---- a root prolog that fans out with eddy perilog-run: root connects to
# the instance, and its requests to exec.perilog need the owner's role,
# which root has with [access] allow-root-owner ----
cat >"$TMP/inner" <<INNER
#!/bin/sh
echo "\$EDDY_JOB_ID uid=\$(id -u)" >>"$TMP/own/inner.log"
INNER
chmod 755 "$TMP/inner"
cat >"$TMP/prolog" <<PROLOG
#!/bin/sh
echo "\$EDDY_JOB_ID uid=\$(id -u) job-user=\$EDDY_JOB_USERID" >>"$TMP/prolog.log"
exec "$EDDY" perilog-run prolog -e "$TMP/inner"
PROLOG
as "$ALICE" "$EDDY" submit true >"$TMP/jobid6" 2>"$TMP/out"
job6=$(cat "$TMP/jobid6")
timeout 30 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job wait "$job6" >>"$TMP/out" 2>&1
_report $? "alice's job runs after a root prolog that runs eddy perilog-run" "$TMP/out"
has "$TMP/prolog.log" "^$job6 uid=0 " "  the prolog ran as root"
has "$TMP/own/inner.log" "^$job6 uid=$(id -u "$OWN")\$" "  and perilog-run ran its command on the job's rank (as the owner)"
refused "a guest's perilog-run is refused (as root's is without allow-root-owner)" \
    "a guest may read only the keys of their own jobs" "$BOB" "$EDDY" perilog-run -j "$job6" -e true prolog

# ---- an epilog through eddy-imp: as root, told alice's uid; one that
# hangs (it ignores SIGTERM) is killed at its timeout by `eddy-imp kill`
# (the instance's user cannot signal root's processes) and drains the node
cat >"$TMP/epilog" <<EPILOG
#!/bin/sh
echo "\$EDDY_JOB_ID uid=\$(id -u) job-user=\$EDDY_JOB_USERID" >>"$TMP/epilog.log"
if [ -e "$TMP/hang-epilog" ]; then
    trap '' TERM
    echo \$\$ >"$TMP/hang.pid"
    while :; do sleep 0.1; done
fi
exit 0
EPILOG
chmod 755 "$TMP/epilog"
# (eddy-imp's [run.epilog] is the example's, there from the start)
cp "$TMP/conf/instance.toml" "$TMP/instance.toml.pre-epilog"
cp "$TMP/conf/exec.toml" "$TMP/exec.toml.pre-epilog"
sed -i 's|^imp = .*|&\nkill-timeout = "1s"|' "$TMP/conf/exec.toml"
cat >>"$TMP/conf/instance.toml" <<CONF

[job-manager.epilog]
command = [ "$TMP/epilog" ]
per-rank = true
timeout = "1s"
CONF
ok "an epilog through eddy-imp is added by a reload" as "$OWN" "$EDDY" config reload
as "$ALICE" "$EDDY" submit true >"$TMP/jobid7" 2>"$TMP/out"
job7=$(cat "$TMP/jobid7")
timeout 30 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job wait "$job7" >>"$TMP/out" 2>&1
_report $? "alice's job ends after its epilog" "$TMP/out"
has "$TMP/epilog.log" "^$job7 uid=0 job-user=$uid_a\$" "  the epilog ran as root with EDDY_JOB_USERID=$uid_a"
touch "$TMP/hang-epilog"
as "$ALICE" "$EDDY" submit true >"$TMP/jobid8" 2>"$TMP/out"
job8=$(cat "$TMP/jobid8")
timeout 20 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job wait "$job8" >>"$TMP/out" 2>&1
_report $? "a job whose epilog (root's, through eddy-imp) hangs ends" "$TMP/out"
hang=$(cat "$TMP/hang.pid" 2>/dev/null)
[ -n "$hang" ] && gone_within 5 "$hang"; _report $? "  the hanging epilog (pid $hang, root's) is killed" "$TMP/broker.err"
as "$OWN" "$EDDY" resource drain -n -o '{ranks} {reason}' >"$TMP/drain" 2>&1
has "$TMP/drain" "^0 epilog timed out for job $job8" "  and the node is drained with the reason"
rm -f "$TMP/hang-epilog"
ok "the owner undrains it" as "$OWN" "$EDDY" resource undrain 0
mv "$TMP/instance.toml.pre-epilog" "$TMP/conf/instance.toml"
mv "$TMP/exec.toml.pre-epilog" "$TMP/conf/exec.toml"

# ---- throughput: N /bin/true jobs of the owner, then of alice (through
# eddy-imp), without the prolog (removed by a reload); T56_JOBS=1000 for
# the issue's figure ----
grep -v '^\[job-manager.prolog\]\|^command\|^per-rank' "$TMP/conf/instance.toml" >"$TMP/conf/x"
mv "$TMP/conf/x" "$TMP/conf/instance.toml"; chmod a+r "$TMP/conf/instance.toml"
ok "the prolog is removed by a reload" as "$OWN" "$EDDY" config reload
N=${T56_JOBS:-100}
# cpu PID: its CPU seconds, its own and its reaped children's
cpu () {
    awk '{ printf "%.2f %.2f", ($14 + $15) / 100, ($16 + $17) / 100 }' "/proc/$1/stat"
}
# rate USER: submit N true jobs as USER, wait until none is active; prints
# "jobs N seconds S rate R"; fails unless all N completed with status 0
rate () {
    local u=$1 t0 t1 ts n n0 c0 m0
    local broker munged
    broker=$(pgrep -u "$OWN" -f -- "--config-path=$TMP/conf" | head -1) munged=$(cat "$TMP/munge/pid")
    c0=$(cpu "$broker") m0=$(cpu "$munged")
    n0=$(as "$u" "$EDDY" jobs -a -f completed -n -o '{returncode}' | grep -c '^0$')
    # T56_PERF=DIR: a profile of the broker while the jobs run, DIR/USER.data
    local perf=
    if [ -n "${T56_PERF:-}" ]; then
        perf record -q -F 2000 --call-graph dwarf,8192 -o "$T56_PERF/$u.data" -p "$broker" &
        perf=$!
        sleep 0.5
    fi
    t0=$(date +%s.%N)
    as "$u" "$EDDY" submit --cc=1-"$N" --quiet true || return 1
    ts=$(date +%s.%N)
    local end=$(($(date +%s) + 30 + N / 20)) # 20 jobs/s at least
    while [ "$(date +%s)" -lt "$end" ]; do
        [ -z "$(as "$u" "$EDDY" jobs -c 1 -n -o '{id}' 2>&1)" ] && break
        sleep 0.05
    done
    t1=$(date +%s.%N)
    [ -n "$perf" ] && kill -INT "$perf" && wait "$perf"
    n=$(($(as "$u" "$EDDY" jobs -a -f completed -n -o '{returncode}' | grep -c '^0$') - n0))
    awk -v n="$N" -v a="$t0" -v b="$t1" -v s="$ts" \
        'BEGIN { printf "jobs %d seconds %.3f rate %.1f (submitted in %.3f s)\n", n, b - a, n / (b - a), s - a }'
    echo "completed with status 0: $n"
    # the CPU of the broker, of what it started (the jobs' eddy-imp,
    # eddy-shell and tasks) and of munged, per job
    echo "$c0 $(cpu "$broker") $m0 $(cpu "$munged")" | awk -v n="$N" '{
        printf "CPU per job: broker %.2f ms, its jobs %.2f ms, munged %.2f ms\n",
            1000 * ($3 - $1) / n, 1000 * ($4 - $2) / n, 1000 * ($7 - $5) / n }'
    # T56_PHASES=1: the mean of each step of the last N jobs' eventlogs
    if [ -n "${T56_PHASES:-}" ]; then
        as "$u" "$EDDY" jobs -a -c "$N" -n -o '{id}' | while read -r id; do
            as "$u" "$EDDY" job eventlog "$id"
        done | python3 -c '
import json, sys
steps = {}
ev = {}
def flush():
    for a, b in (("submit", "alloc"), ("alloc", "start"), ("start", "finish"), ("finish", "clean")):
        if a in ev and b in ev:
            steps.setdefault(a + "->" + b, []).append(ev[b] - ev[a])
for line in sys.stdin:
    e = json.loads(line)
    if e["name"] == "submit" and ev:
        flush(); ev = {}
    ev[e["name"]] = e["timestamp"]
flush()
print(" ".join("%s %.2f ms" % (k, 1000 * sum(v) / len(v)) for k, v in steps.items()))'
    fi
    [ "$n" -eq "$N" ]
}
ok "$N true jobs of the owner all complete" rate "$OWN"
sed 's/^/# owner: /' "$TMP/out"
ok "$N true jobs of alice, through eddy-imp, all complete" rate "$ALICE"
sed 's/^/# alice: /' "$TMP/out"
# the same through bench-jobs (a window of submissions, the journal
# followed), signed as eddy submit signs, when asked: T56_BENCH=1
if [ -n "${T56_BENCH:-}" ]; then
    for u in "$OWN" "$OWN"; do # (its journal is the owner's)
        as "$u" "$EDDY_BUILDDIR/bench/bench-jobs" "$N" --real --sign 2>&1 | sed "s/^/# bench-jobs $u: /"
    done
fi

# ---- munged stopped: a clear refusal, nothing stored ----
munged_stop "$TMP/munge"
as "$OWN" "$EDDY" jobs -a -A -n -o '{id}' | sort >"$TMP/before"
start=$(date +%s)
refused "with munged stopped alice's submit fails with the reason" \
    "cannot connect to munged at $TMP/munge/sock \(is munged running\?\)" \
    "$ALICE" "$EDDY" submit true
[ $(($(date +%s) - start)) -lt 8 ]; _report $? "  within seconds" /dev/null
as "$OWN" "$EDDY" jobs -a -A -n -o '{id}' | sort >"$TMP/after"
cmp -s "$TMP/before" "$TMP/after"; _report $? "  and no job is stored for it" "$TMP/after"

as "$OWN" "$EDDY" shutdown >/dev/null 2>&1
gone_within 20 "$bpid"; wait "$bpid" 2>/dev/null; bpid=
finish
