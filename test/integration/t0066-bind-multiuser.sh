#!/usr/bin/env bash
# Issue 13 part 5 for another user's job: a system instance run by an
# owner (useradd) with eddy-imp setuid root runs alice's jobs as alice, and
# her tasks get what the owner's get: PMI (PMI_FD, PMI_RANK, PMI_SIZE,
# PMI_SPAWNED, libpmi.so's exchange across her tasks, an MPICH program
# when mpicc is there), EDDY_TASK_RANK,
# EDDY_TASK_LOCAL_ID, EDDY_JOB_NNODES, EDDY_JOB_SIZE, EDDY_JOB_ID, her
# cpus (bound: this machine's topology) and the node's gpus (2, given by
# resource.gpus), checked against the job's R by bind-check.py; her own
# CUDA_VISIBLE_DEVICES is replaced only in a job with gpus.  eddy-imp
# refuses an instance variable with a value the shell never writes (a
# caller that is not the instance, or a broken one); that it lets in no
# other variable but what allowed-environment names is t0054's and t0056's
# to show.  Root only (useradd, setuid, munged); else skipped.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null || ! command -v munged >/dev/null \
    || ! command -v hwloc-calc >/dev/null || ! command -v python3 >/dev/null; then
    echo "1..0 # SKIP needs root, useradd, munged, hwloc-calc and python3"
    exit 77
fi
BROKER="$EDDY_BUILDDIR/cmd/eddy-broker"
EDDY="$EDDY_BUILDDIR/cmd/eddy"
SHELL_="$EDDY_BUILDDIR/cmd/eddy-shell"
CLIENT="$EDDY_BUILDDIR/exec/test/pmi-client"
LIBPMI="$EDDY_BUILDDIR/exec/libpmi/libpmi.so"
CHECK="$EDDY_SRCDIR/test/integration/bind-check.py"
d="$EDDY_BUILDDIR/exec/test"
while [ "$d" != / ]; do
    if ! runuser -u nobody -- test -x "$d" 2>/dev/null; then
        echo "1..0 # SKIP $d is not searchable by other users"
        exit 77
    fi
    d=$(dirname "$d")
done

sfx=$$
OWN=eddy66o$sfx ALICE=eddy66a$sfx
bpid=
cleanup () {
    [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
    munged_stop "$TMP/munge"
    for u in "$OWN" "$ALICE"; do userdel -r "$u" >/dev/null 2>&1; done
    rm -rf "$TMP"
}
trap cleanup EXIT
for u in "$OWN" "$ALICE"; do useradd -m -s /bin/sh "$u" || exit 1; done
uid_a=$(id -u "$ALICE")
home_a=$(getent passwd "$ALICE" | cut -d: -f6)
chmod 755 "$TMP"
cd "$TMP" || exit 1

munged_start "$TMP/munge" || { echo "munged does not start"; exit 1; }
mkdir "$TMP/security" "$TMP/conf" "$TMP/own" "$TMP/imp"
printf '[sign]\nmunge-socket = "%s"\n' "$TMP/munge/sock" >"$TMP/security/sign.toml"
chmod -R a+rX "$TMP/security"
install -o root -g root -m 4755 "$EDDY_BUILDDIR/cmd/test/eddy-imp" "$TMP/imp/eddy-imp"
mkdir -m 755 "$TMP/imp/imp.conf.d"
cat >"$TMP/imp/imp.conf.d/imp.toml" <<IMP
[exec]
allowed-users = [ "$OWN" ]
allowed-shells = [ "$SHELL_" ]

[sign]
max-ttl = 3600
allowed-types = [ "munge" ]
munge-socket = "$TMP/munge/sock"
IMP
chmod 644 "$TMP/imp/imp.conf.d/imp.toml"
cat >"$TMP/conf/instance.toml" <<CONF
[broker]
statedir = "$TMP/own/state"

[access]
allow-guest-user = true
allow-root-owner = true

[exec]
imp = "$TMP/imp/eddy-imp"
CONF
chmod -R a+rX "$TMP/conf"
chown "$OWN" "$TMP/own"

run="$TMP/own/run"
export EDDY_URI="local://$run/local"
runuser -u "$OWN" -- env EDDY_SYSTEM_RUNDIR="$run" EDDY_SECURITY_CONFIG_PATH="$TMP/security" \
    "$BROKER" --system --config-path="$TMP/conf" --setattr=resource.gpus=0-1 \
    2>"$TMP/broker.err" &
bpid=$!
within 20 runuser -u "$OWN" -- env EDDY_URI="$EDDY_URI" "$EDDY" ping --count 1 broker
_report $? "the instance starts as $OWN with guests and eddy-imp" "$TMP/broker.err"

# alice's jobs, from her home; what each task printed (on the only
# broker, 0), and the job's R
cat >"$home_a/cases.sh" <<SH
EDDY="$EDDY"
SH
cat >>"$home_a/cases.sh" <<'SH'
p='echo "task $EDDY_TASK_RANK local=$EDDY_TASK_LOCAL_ID broker=0 nnodes=$EDDY_JOB_NNODES size=$EDDY_JOB_SIZE id=$EDDY_JOB_ID cpus=${EDDY_TASK_CPUS-unset} cuda=${CUDA_VISIBLE_DEVICES-unset} rocr=${ROCR_VISIBLE_DEVICES-unset} pmi=${PMI_RANK-unset},${PMI_SIZE-unset},${PMI_FD-unset},${PMI_SPAWNED-unset} uid=$(id -u) allowed=$(sed -n "s/^Cpus_allowed_list:[[:space:]]*//p" /proc/self/status)"'
run_case () {
    name=$1; shift
    timeout 60 "$EDDY" run "$@" sh -c "$p" >"$name.out" 2>"$name.err"
    echo "$name rc=$?"
    id=$(sed -n 's/.* id=\([^ ]*\) .*/\1/p' "$name.out" | head -1)
    "$EDDY" job info "$id" R >"$name.R"
}
export CUDA_VISIBLE_DEVICES=7 ROCR_VISIBLE_DEVICES=7
run_case gpus -n 2 -g 1 --cpu-affinity=per-task
run_case nogpus -n 1
run_case off -n 2 --cpu-affinity=off
run_case gpt -n 2 -g 1 --gpu-affinity=per-task
# her stdin reaches her task, and a pty (the broker's, handed to her task)
printf 'a\nb\n' | timeout 60 "$EDDY" run cat >stdin.out 2>&1; echo "stdin rc=$?"
timeout 60 "$EDDY" run --pty sh -c 'tty; id -u' </dev/null >pty.out 2>&1; echo "pty rc=$?"
SH
ncpu=$(hwloc-calc --number-of core all 2>/dev/null || echo 1)
[ "$ncpu" -ge 2 ] || sed -i 's/^run_case gpus -n 2/run_case gpus -n 1/; s/^run_case gpt -n 2/run_case gpt -n 1/' "$home_a/cases.sh"
printf 'timeout 60 "%s" run -n 2 "%s" lib "%s" >lib.out 2>&1; echo "lib rc=$?"\n' "$EDDY" "$CLIENT" "$LIBPMI" \
    >>"$home_a/cases.sh"
chown "$ALICE" "$home_a/cases.sh"
(cd "$home_a" && timeout 400 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" sh cases.sh) \
    >"$TMP/alice" 2>&1
_report $? "alice's jobs run" "$TMP/alice"
for name in gpus nogpus off; do
    has "$TMP/alice" "^$name rc=0\$" "$name: alice's job runs"
done
cp "$home_a"/*.out "$home_a"/*.R "$TMP/"
ok "her tasks run as her (uid $uid_a)" sh -c "! grep -v ' uid=$uid_a ' '$TMP/gpus.out' '$TMP/nogpus.out' '$TMP/off.out'"
mode=per-task; [ "$ncpu" -ge 2 ] || mode=on
ok "gpus: each task's cpus ($mode), gpus (the node's 2), local id, nnodes, size and id match its R" \
    python3 "$CHECK" "$mode" "$TMP/gpus.R" "$TMP/gpus.out" 7
ok "nogpus: the same, and her own CUDA_VISIBLE_DEVICES=7 passes" \
    python3 "$CHECK" on "$TMP/nogpus.R" "$TMP/nogpus.out" 7
ok "off: no EDDY_TASK_CPUS" python3 "$CHECK" off "$TMP/off.R" "$TMP/off.out" 7
has "$TMP/alice" "^gpt rc=0\$" "gpt: alice's job with gpu-affinity per-task runs"
ok "gpt: each of her tasks sees its own share of the node's gpus" \
    python3 "$CHECK" on "$TMP/gpt.R" "$TMP/gpt.out" 7 per-task
has "$TMP/alice" '^stdin rc=0$' "printf 'a\\nb\\n' | eddy run cat as alice: the job ends 0"
ok "  and her task read both lines" sh -c "printf 'a\nb\n' | cmp - '$TMP/stdin.out'"
has "$TMP/alice" '^pty rc=0$' "eddy run --pty as alice: the job ends 0"
has "$TMP/pty.out" '^/dev/pts/[0-9]+.?$' "  her task is on a /dev/pts device"
has "$TMP/pty.out" "^$uid_a.?\$" "  as her"
ok "her tasks are bound to their cpus (Cpus_allowed_list = EDDY_TASK_CPUS)" \
    sh -c "[ \$(cat '$TMP/gpus.out' '$TMP/nogpus.out' | grep -Ec 'cpus=([^ ]+) .* allowed=\1\$') -eq \$(cat '$TMP/gpus.out' '$TMP/nogpus.out' | wc -l) ]"
has "$TMP/gpus.out" 'cuda=0,1 rocr=0,1 ' "a job with gpus: CUDA_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES are the node's, not hers"
ok "PMI: each task has PMI_RANK = its task rank, PMI_SIZE, PMI_FD 3, PMI_SPAWNED 0" \
    sh -c "[ \$(cat '$TMP/gpus.out' '$TMP/off.out' | grep -Ec '^task ([0-9]) .* size=([0-9]) .* pmi=\1,\2,3,0 ') -eq \$(cat '$TMP/gpus.out' '$TMP/off.out' | wc -l) ]"
has "$TMP/alice" '^lib rc=0$' "libpmi.so in alice's job: 2 tasks init, put, barrier, get, finalize"
ok "each of her ranks read the other's key through the exchange" \
    sh -c "grep -q '^rank 0 size 2 universe 2 spawned 0 next=value-of-1\$' '$TMP/lib.out' && grep -q '^rank 1 size 2 universe 2 spawned 0 next=value-of-0\$' '$TMP/lib.out'"

# ---- an MPICH program of alice's (skipped without mpicc) ----
MPICC=mpicc.mpich # MPICH's by its own name: mpicc may be Open MPI's
command -v "$MPICC" >/dev/null || MPICC=mpicc
if command -v "$MPICC" >/dev/null && "$MPICC" -o "$TMP/mpi-ring" "$EDDY_SRCDIR/test/mpi/mpi-ring.c" \
    >"$TMP/mpicc" 2>&1; then
    chmod 755 "$TMP/mpi-ring"
    n=$ncpu; [ "$n" -le 4 ] || n=4
    (cd "$home_a" && timeout 120 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" \
        "$EDDY" run -n "$n" "$TMP/mpi-ring") >"$TMP/mpi.out" 2>&1
    _report $? "alice's MPICH program of $n ranks runs (eddy run -n $n)" "$TMP/mpi.out"
    ok "one MPI_COMM_WORLD of $n: each rank once, the sum of the ranks, the ring's left neighbours" \
        sh -c "for r in \$(seq 0 $((n - 1))); do grep -q \"^rank \$r of $n on .*: sum $((n * (n - 1) / 2)), from left \$(( (r + $n - 1) % $n ))\$\" '$TMP/mpi.out' || exit 1; done"
else
    echo "ok $((T_N + 1)) # skip mpicc not found or fails (Debian packages mpich libmpich-dev)"
fi

# ---- eddy-imp lets the instance set its variables only to their forms ----
(cd "$home_a" && runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job info \
    "$(sed -n 's/.* id=\([^ ]*\) .*/\1/p' "$TMP/nogpus.out" | head -1)" J >"$TMP/alice.J.out")
_report $? "alice's J, to hand eddy-imp by hand" "$TMP/alice.J.out"
sed 's/^"//; s/"$//' "$TMP/alice.J.out" >"$TMP/alice.J"
has "$TMP/alice.J" '^MUNGE:' "  a MUNGE credential"
# imp_env VAR=VALUE...: eddy-imp exec of alice's J, as the owner, with VARs
imp_env () {
    runuser -u "$OWN" -- env EDDY_JOB_USERID="$uid_a" "$@" "$TMP/imp/eddy-imp" exec "$SHELL_" \
        --eddy-exec-guard 0 0 0 0 0 "" "" "" "" "" 0 0 1 1 2 0 - - - - -- sh -c "$p" <"$TMP/alice.J"
}
p=$(sed -n "s/^p='\(.*\)'\$/\1/p" "$home_a/cases.sh")
for bad in PMI_FD=9 PMI_SPAWNED=1 PMI_RANK=-1 EDDY_TASK_RANK=1x EDDY_JOB_SIZE=1e3 \
    'EDDY_URI=tcp://evil:1' 'EDDY_URI=local://x' $'EDDY_URI=local:///x\ny' EDDY_JOB_ID=nonsense \
    'CUDA_VISIBLE_DEVICES=0;sh' CUDA_DEVICE_ORDER=FASTEST_FIRST 'EDDY_TASK_CPUS=0-1,a'; do
    imp_env "$bad" >"$TMP/out" 2>&1
    rc=$?
    [ $rc -ne 0 ] && grep -q "the instance set ${bad%%=*} to a value it never sets" "$TMP/out"
    _report $? "eddy-imp refuses $bad (exit $rc)" "$TMP/out"
done
finish
