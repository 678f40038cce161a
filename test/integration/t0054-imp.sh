#!/usr/bin/env bash
# eddy-imp and multi-user exec, with real users, a real munged and a real
# setuid-root helper: an instance owner and two users are made with
# useradd; a copy of eddy-imp (cmd/test/eddy-imp, which reads imp.conf.d
# beside itself) is installed setuid root in a temporary directory; the
# instance runs as the owner, exec-job plays its job manager and alice's
# job runs as alice.  Then each refusal of eddy-imp, one by one.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null || ! command -v munged >/dev/null; then
    echo "1..0 # SKIP needs root, useradd and munged"
    exit 77
fi

sfx=$$
OWNER=eddy54o$sfx ALICE=eddy54a$sfx BOB=eddy54b$sfx GROUP=eddy54g$sfx
MUNGED_PID=
cleanup () {
    [ -n "$MUNGED_PID" ] && kill "$MUNGED_PID" 2>/dev/null
    for u in "$OWNER" "$ALICE" "$BOB"; do userdel -r "$u" >/dev/null 2>&1; done
    groupdel "$GROUP" >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT

groupadd "$GROUP"
for u in "$OWNER" "$ALICE" "$BOB"; do useradd -m -s /bin/sh "$u"; done
usermod -a -G "$GROUP" "$ALICE"
uid_o=$(id -u "$OWNER") uid_a=$(id -u "$ALICE") uid_b=$(id -u "$BOB")
chmod 755 "$TMP"

# munged with its own key and socket
mkdir -m 700 "$TMP/munge"
dd if=/dev/urandom of="$TMP/munge/key" bs=1024 count=1 status=none
chmod 400 "$TMP/munge/key"
sock=$TMP/munge/sock
munged -f --socket="$sock" --key-file="$TMP/munge/key" --pid-file="$TMP/munge/pid" \
    --log-file="$TMP/munge/log" --seed-file="$TMP/munge/seed" >"$TMP/munged.out" 2>&1
_report $? "munged starts with a key of its own" "$TMP/munged.out"
MUNGED_PID=$(cat "$TMP/munge/pid" 2>/dev/null)
chmod 755 "$TMP/munge"

# eddy-imp setuid root, its configuration beside it (root's, 0644)
imp=$TMP/imp/eddy-imp
shell=$EDDY_BUILDDIR/cmd/eddy-shell
install_imp () { # DIR MAX-TTL
    mkdir -p "$1/imp.conf.d"
    install -o root -g root -m 4755 "$EDDY_BUILDDIR/cmd/test/eddy-imp" "$1/eddy-imp"
    cat >"$1/imp.conf.d/imp.toml" <<EOF
[exec]
allowed-users = [ "$OWNER" ]
allowed-shells = [ "$shell" ]

[run.prolog]
path = "$TMP/prolog"
allowed-users = [ "$OWNER" ]
allowed-environment = [ "EDDY_*" ]

[sign]
max-ttl = $2
allowed-types = [ "munge" ]
munge-socket = "$sock"
EOF
    chmod 755 "$1" "$1/imp.conf.d"
    chmod 644 "$1/imp.conf.d/imp.toml"
}
cat >"$TMP/prolog" <<EOF
#!/bin/sh
{ echo "uid \$(id -u) \$(id -G)"; env | sort; } >"$TMP/prolog.out"
EOF
chmod 755 "$TMP/prolog"
install_imp "$TMP/imp" 3600
install_imp "$TMP/imp1" 1
ls -l "$imp" >"$TMP/ls"
has "$TMP/ls" '^-rwsr-xr-x .* root root ' "the test's eddy-imp is setuid root"

as () { local u=$1; shift; runuser -u "$u" -- env PATH="$PATH" "$@"; }
J=$EDDY_BUILDDIR/exec/test/exec-job

# alice signs her job: its command, its environment, her home as cwd
mkdir -p "$TMP/alice"
chown "$ALICE" "$TMP/alice"
(cd "$TMP/alice" && as "$ALICE" env EDDY54=from-alice \
    "$J" --sign "$sock" --cwd "$TMP/alice" -- sh -c 'id -u; id -G; pwd; echo $EDDY54; cut -d" " -f2 /proc/$PPID/stat' \
    >"$TMP/alice.J" 2>"$TMP/sign.err")
_report $? "alice signs her jobspec with MUNGE" "$TMP/sign.err"
has "$TMP/alice.J" '^MUNGE:' "J is a MUNGE credential"

(cd "$TMP/alice" && as "$ALICE" "$J" --sign "$sock" -- /bin/true >"$TMP/true.J")

# ---- the instance, as the owner, runs alice's job as alice ----
mkdir -p "$TMP/conf.d" "$TMP/owner"
cat >"$TMP/conf.d/exec.toml" <<EOF
[exec]
imp = "$imp"
EOF
chown -R "$OWNER" "$TMP/owner" "$TMP/conf.d"
cp "$TMP/alice.J" "$TMP/true.J" "$TMP/owner/"
cat >"$TMP/owner/run.sh" <<SH
cd "$TMP/alice"
"$J" --id 1 --userid $uid_a --J "$TMP/owner/alice.J" --cwd "$TMP/alice" -- \
    sh -c 'id -u; id -G; pwd; echo \$EDDY54; cut -d" " -f2 /proc/\$PPID/stat' | sed 's/^/job1: /'
eddy kvs eventlog get job.0000.0000.0000.0001.output | sed 's/^/output1: /'
# signed by alice, passed as bob's job
"$J" --id 2 --userid $uid_b --J "$TMP/owner/alice.J" --cwd "$TMP/alice" -- \
    sh -c 'id -u; id -G; pwd; echo \$EDDY54; cut -d" " -f2 /proc/\$PPID/stat' | sed 's/^/job2: /'
eddy kvs eventlog get job.0000.0000.0000.0002.output | sed 's/^/output2: /'
# the same J for another command
"$J" --id 3 --userid $uid_a --J "$TMP/owner/alice.J" -- sh -c 'echo owned' | sed 's/^/job3: /'
eddy kvs eventlog get job.0000.0000.0000.0003.output | sed 's/^/output3: /'
# no J at all
"$J" --id 4 --userid $uid_a -- true | sed 's/^/job4: /'
# J not in exec.start but where job-ingest keeps it, job.ID.J
eddy kvs put job.0000.0000.0000.0005.J="\"\$(cat "$TMP/owner/true.J")\""
"$J" --id 5 --userid $uid_a -- /bin/true | sed 's/^/job5: /'
# throughput: /bin/true jobs of the owner, then of alice through eddy-imp
"$J" --id 1000 --count ${IMP_JOBS:-1000} -- /bin/true | sed 's/^/owner-rate: /'
"$J" --id 100000 --count ${IMP_JOBS:-1000} --userid $uid_a --J "$TMP/owner/true.J" -- /bin/true |
    sed 's/^/imp-rate: /'
SH
chmod 755 "$TMP/owner/run.sh"
(cd "$TMP/owner" && as "$OWNER" eddy start --size 1 --config-path "$TMP/conf.d" \
    -m content -m kvs -m exec sh run.sh) >"$TMP/inst" 2>&1
_report $? "the instance runs as its owner" "$TMP/inst"
has "$TMP/inst" '^job1: finish 0$' "alice's job finishes with status 0"
# the task's output, line by line: id -u, then id -G (by line, so that a
# number of one user's groups cannot pass for another's uid)
sed -n 's/^output1: .*"data": *"\([^"]*\)".*/\1/p' "$TMP/inst" | tr -d '\n' >"$TMP/out1.raw"
printf '%b' "$(cat "$TMP/out1.raw")" >"$TMP/out1"
[ "$(sed -n 1p "$TMP/out1")" = "$uid_a" ]; _report $? "its task ran as alice (id -u is $uid_a)" "$TMP/out1"
gid_g=$(getent group "$GROUP" | cut -d: -f3)
sed -n 2p "$TMP/out1" | tr ' ' '\n' | grep -qx "$gid_g"
_report $? "in alice's groups (id -G has $GROUP)" "$TMP/out1"
has "$TMP/inst" "^output1: .*\"data\": ?\"([^\"]*\\\\n)?$TMP/alice\\\\n" "in the job's working directory"
has "$TMP/inst" '^output1: .*"data": ?"([^"]*\\n)?from-alice\\n' "with the environment alice signed"
# eddy-imp, once alice, is the job's shell itself (the guard linked in):
# the task's parent is a process of eddy-imp, not an exec of eddy-shell
has "$TMP/inst" '^output1: .*"data": ?"([^"]*\\n)?\(eddy-imp\)\\n"' \
    "its guard is eddy-imp become alice (no second exec)"
has "$TMP/inst" '^job2: finish 32256$' "alice's J as bob's job does not run (status 126)"
has "$TMP/inst" "^output2: .*stderr.*signed by uid $uid_a, not $uid_b" "  and its stderr says why"
has "$TMP/inst" '^job3: finish 32256$' "alice's J with another command does not run"
has "$TMP/inst" "^output3: .*stderr.*not the signed jobspec's" "  and its stderr says why"
hasnt "$TMP/inst" '^output3: .*owned' "  nothing of it ran"
has "$TMP/inst" '^job4: exception exec .*no signed jobspec' "a job of another user without J is refused"
has "$TMP/inst" '^job5: finish 0$' "a job of another user runs with the J that the KVS holds for it"
has "$TMP/inst" '^imp-rate: jobs [0-9]+ failed 0 ' "a batch of alice's /bin/true jobs all finish with status 0"
grep -h 'rate: ' "$TMP/inst"

# ---- eddy-imp's refusals, one by one ----
# the guard's own arguments to eddy-imp itself (not to its exec): it is
# never a guard as root
runuser -u "$OWNER" -- "$imp" --eddy-exec-guard 0 0 0 0 0 "" "" "" "" "" 0 0 1 1 2 0 - - - - -- id -u \
    >"$TMP/out" 2>&1
rc=$?
[ $rc -ne 0 ] && ! grep -qx 0 "$TMP/out" && grep -q '^eddy-imp: ' "$TMP/out"
_report $? "eddy-imp given a guard's arguments refuses them (exit $rc), runs nothing" "$TMP/out"
# imp_exec USER JOB-UID J-FILE [SHELL] [IMP]: run eddy-imp exec as USER
imp_exec () {
    local u=$1 juid=$2 jf=$3 sh=${4:-$shell} prog=${5:-$imp}
    runuser -u "$u" -- env EDDY_JOB_USERID="$juid" "$prog" exec "$sh" \
        --eddy-exec-guard 0 0 0 0 0 "" "" "" "" "" 0 0 1 1 2 0 - - - - -- sh -c 'id -u; id -G; pwd; echo $EDDY54; cut -d" " -f2 /proc/$PPID/stat' \
        <"$jf"
}
: >"$TMP/empty"
fails "an empty request is refused" imp_exec "$OWNER" "$uid_a" "$TMP/empty"
has "$TMP/out" 'no request on stdin' "  with its own message"
echo '{"version":1}' >"$TMP/plain"
fails "an unsigned jobspec is refused" imp_exec "$OWNER" "$uid_a" "$TMP/plain"
has "$TMP/out" 'signature' "  with its own message"
printf 'none.%s.eyJ2ZXJzaW9uIjoxfQ\n' "$uid_a" >"$TMP/none"
fails "a 'none' signature is refused" imp_exec "$OWNER" "$uid_a" "$TMP/none"
has "$TMP/out" 'type none is not allowed' "  with its own message"

(cd "$TMP/alice" && as "$BOB" "$J" --sign "$sock" --cwd "$TMP/alice" -- \
    sh -c 'id -u; id -G; pwd; echo $EDDY54; cut -d" " -f2 /proc/$PPID/stat' >"$TMP/bob.J")
fails "a signature by another user than the job's is refused" \
    imp_exec "$OWNER" "$uid_a" "$TMP/bob.J"
has "$TMP/out" "signed by uid $uid_b, not $uid_a" "  with its own message"

# one character of the credential changed
c=$(cut -c47 "$TMP/alice.J"); [ "$c" = A ] && r=B || r=A
sed "s/^\(.\{46\}\)./\1$r/" "$TMP/alice.J" >"$TMP/modified.J"
fails "a modified J is refused" imp_exec "$OWNER" "$uid_a" "$TMP/modified.J"
has "$TMP/out" 'credential rejected|signature' "  with its own message"
runuser -u "$OWNER" -- env EDDY_JOB_USERID="$uid_a" "$imp" exec "$shell" \
    --eddy-exec-guard 0 0 0 0 0 "" "" "" "" "" 0 0 1 1 2 0 - - - - -- sh -c 'id -u' <"$TMP/alice.J" >"$TMP/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "not the signed jobspec's" "$TMP/out"
_report $? "a command other than the signed jobspec's is refused (exit $rc)" "$TMP/out"

fails "a shell not in allowed-shells is refused" imp_exec "$OWNER" "$uid_a" "$TMP/alice.J" /bin/sh
has "$TMP/out" 'shell /bin/sh is not in allowed-shells' "  with its own message"
fails "a caller not in allowed-users is refused" imp_exec "$BOB" "$uid_a" "$TMP/alice.J"
has "$TMP/out" "caller $BOB .* is not in allowed-users" "  with its own message"

(cd / && "$J" --sign "$sock" -- sh -c 'id -u; id -G; pwd; echo $EDDY54; cut -d" " -f2 /proc/$PPID/stat' >"$TMP/root.J")
fails "a request to become root is refused" imp_exec "$OWNER" 0 "$TMP/root.J"
has "$TMP/out" 'refusing to run a job as root' "  with its own message"

sleep 2.2
fails "an expired signature is refused" imp_exec "$OWNER" "$uid_a" "$TMP/alice.J" "$shell" \
    "$TMP/imp1/eddy-imp"
has "$TMP/out" 'expired' "  with its own message"

# a configuration anyone may write is not trusted
chmod 666 "$TMP/imp1/imp.conf.d/imp.toml"
fails "a configuration writable by others is refused" imp_exec "$OWNER" "$uid_a" "$TMP/alice.J" \
    "$shell" "$TMP/imp1/eddy-imp"
has "$TMP/out" 'writable by group or others' "  with its own message"
fails "--config-dir is for root only" runuser -u "$OWNER" -- "$imp" --config-dir /tmp exec "$shell"
has "$TMP/out" 'only for root' "  with its own message"

# ---- run prolog: the configured command as root, a known environment ----
runuser -u "$OWNER" -- env -i EDDY_JOB_ID=f2abc EDDY_JOB_USERID="$uid_a" EDDY_SITE=x FOO=bar \
    PATH=/bin "$imp" run prolog >"$TMP/out" 2>&1
_report $? "run prolog runs the configured command" "$TMP/out"
has "$TMP/prolog.out" '^uid 0 0$' "  as root, without the caller's groups"
has "$TMP/prolog.out" '^EDDY_JOB_ID=f2abc$' "  with EDDY_JOB_ID"
has "$TMP/prolog.out" "^EDDY_JOB_USERID=$uid_a\$" "  with EDDY_JOB_USERID"
has "$TMP/prolog.out" "^EDDY_OWNER_USERID=$uid_o\$" "  with EDDY_OWNER_USERID, the caller"
has "$TMP/prolog.out" '^USER=root$' "  with USER of root"
has "$TMP/prolog.out" '^HOME=/root$' "  with HOME of root"
has "$TMP/prolog.out" '^PATH=/usr/sbin:/usr/bin:/sbin:/bin$' "  with a fixed PATH"
has "$TMP/prolog.out" '^EDDY_SITE=x$' "  with what allowed-environment names"
hasnt "$TMP/prolog.out" '^FOO=' "  and nothing else of the caller's"
fails "run prolog by a caller not in its allowed-users is refused" \
    runuser -u "$BOB" -- env EDDY_JOB_ID=f2abc EDDY_JOB_USERID=1 "$imp" run prolog
has "$TMP/out" "caller $BOB .* is not in allowed-users" "  with its own message"
fails "run epilog without [run.epilog] is refused" \
    runuser -u "$OWNER" -- env EDDY_JOB_ID=f2abc EDDY_JOB_USERID=1 "$imp" run epilog
has "$TMP/out" 'no \[run.epilog\]' "  with its own message"
fails "run prolog without EDDY_JOB_ID is refused" \
    runuser -u "$OWNER" -- env EDDY_JOB_USERID=1 "$imp" run prolog
has "$TMP/out" 'EDDY_JOB_ID is not set' "  with its own message"

# ---- kill: only processes of the caller's jobs ----
as "$ALICE" sleep 100 &
victim=$!
sleep 0.2
vpid=$(pgrep -u "$ALICE" -x sleep | head -1)
fails "kill of a process that is no job of the caller is refused" \
    runuser -u "$OWNER" -- "$imp" kill 15 "$vpid"
has "$TMP/out" 'not part of a job of the caller' "  with its own message"
alive "$vpid"; _report $? "  and the process lives" "$TMP/out"
kill "$vpid" 2>/dev/null
wait "$victim" 2>/dev/null
# the caller's own child (eddy-imp's parent is the caller)
runuser -u "$OWNER" -- sh -c "
    sleep 100 </dev/null >/dev/null 2>&1 & child=\$!
    \"$imp\" kill 9 \$child && wait \$child; echo status \$?" >"$TMP/out" 2>&1
has "$TMP/out" '^status 137$' "kill of a process the caller started is allowed and delivered"
# -PGID: the group the caller's child leads (as a prolog's or an
# epilog's), every member of it; a child that leads none is refused
home_o=$(getent passwd "$OWNER" | cut -d: -f6)
runuser -u "$OWNER" -- sh -c "
    setsid sh -c 'sleep 100 & echo \$! >$home_o/member; wait' </dev/null >/dev/null 2>&1 & leader=\$!
    while [ ! -s $home_o/member ]; do sleep 0.05; done
    \"$imp\" kill 9 -\$leader && wait \$leader; echo status \$?" >"$TMP/out" 2>&1
has "$TMP/out" '^status 137$' "kill of the group the caller's child leads (-PGID) is delivered"
member=$(cat "$home_o/member" 2>/dev/null)
[ -n "$member" ] && gone_within 5 "$member"; _report $? "  to its other member too (pid $member)" "$TMP/out"
runuser -u "$OWNER" -- sh -c "
    sleep 100 </dev/null >/dev/null 2>&1 & child=\$!
    \"$imp\" kill 9 -\$child; echo status \$?; kill \$child" >"$TMP/out" 2>&1
has "$TMP/out" 'does not lead a process group' "kill -PGID of a child that leads no group is refused, with its own message"
for bad in -1 --5 -x 12x; do
    runuser -u "$OWNER" -- "$imp" kill 9 "$bad" >"$TMP/out" 2>&1
    [ $? -ne 0 ] && grep -q 'is not a process id or -group id' "$TMP/out"
    _report $? "kill 9 $bad is refused as no process or group id" "$TMP/out"
done

finish
