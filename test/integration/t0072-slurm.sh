#!/usr/bin/env bash
# Slurm interop (issue 13): Debian's Slurm (slurmctld, slurmd and a munged
# of the test's own, all started here on one node with 4 CPUs) offers PMI
# to what srun starts (--mpi=pmi2, whose server also speaks the PMI-1 wire
# protocol): an MPICH program forms one MPI_COMM_WORLD under it, and
# eddy's own PMI-1 client, libpmi.so, exchanges keys through it; 4 tasks
# of eddy start form one 4-broker instance through it.
# Root only (slurmd runs the tasks); skipped without Slurm.
. "$(dirname "$0")/lib.sh"

skip_all () {
    echo "ok 1 # skip $1"
    finish
    exit $?
}
[ "$(id -u)" -eq 0 ] || skip_all "not root (slurmd must run as root)"
for p in slurmctld slurmd srun munged; do
    command -v "$p" >/dev/null || skip_all "$p not found (Debian packages slurm-wlm munge)"
done
plugins=$(dirname "$(dpkg -L slurm-wlm-basic-plugins 2>/dev/null | grep '/mpi_pmi2.so$' | head -1)")
[ -n "$plugins" ] && [ "$plugins" != . ] || skip_all "Slurm's mpi/pmi2 plugin not found"

CLIENT=$EDDY_BUILDDIR/exec/test/pmi-client
LIBPMI=$EDDY_BUILDDIR/exec/libpmi/libpmi.so
S=$TMP/slurm
mkdir -p "$S/state" "$S/spool" "$S/log"
munged_start "$TMP/munge"
_report $? "munged starts with a key of its own" "$TMP/munge/out"

# ports of this test's own (two tests at once must not share them)
base=$((20000 + ($$ % 5000) * 2))
node=eddyslurm0
cat >"$S/slurm.conf" <<EOF
ClusterName=eddytest
SlurmctldHost=$(hostname)(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$base
SlurmdPort=$((base + 1))
AuthType=auth/munge
AuthInfo=socket=$TMP/munge/sock
CredType=cred/munge
PluginDir=$plugins
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmdParameters=config_overrides
NodeName=$node NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName=eddy Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
export SLURM_CONF=$S/slurm.conf
slurm_stop () {
    local p
    for f in "$S/slurmd.pid" "$S/slurmctld.pid"; do
        p=$(cat "$f" 2>/dev/null) && kill "$p" 2>/dev/null && gone_within 10 "$p"
        rm -f "$f"
    done
    munged_stop "$TMP/munge"
}
trap 'slurm_stop; rm -rf "$TMP"' EXIT
slurmctld -f "$S/slurm.conf" >"$S/ctld.out" 2>&1 && slurmd -f "$S/slurm.conf" -N "$node" >"$S/d.out" 2>&1
_report $? "slurmctld and slurmd start" "$S/ctld.out"
idle () { sinfo -h -n "$node" -o %t 2>/dev/null | grep -qx idle; }
within 30 idle
_report $? "the node is idle in sinfo" "$S/log/slurmctld.log"

# PMI-1 through Slurm, by eddy's client library (init, put, barrier, get
# the next rank's key, finalize) in 4 tasks
timeout 60 srun --mpi=pmi2 -n 4 "$CLIENT" lib "$LIBPMI" >"$TMP/lib.out" 2>&1
_report $? "srun --mpi=pmi2 -n 4 of eddy's PMI-1 client exits 0" "$TMP/lib.out"
ok "each of 4 ranks read its right neighbour's key through Slurm's exchange" \
    sh -c "for r in 0 1 2 3; do grep -q \"^rank \$r size 4 universe 4 spawned 0 next=value-of-\$(( (r + 1) % 4 ))\$\" '$TMP/lib.out' || exit 1; done"
# without PMI (--mpi=none) the same client is 4 singletons, each alone
timeout 60 srun --mpi=none -n 2 env >"$TMP/none.out" 2>&1
hasnt "$TMP/none.out" '^PMI_FD=' "srun --mpi=none gives no PMI_FD (the check above is Slurm's PMI)"

# eddy itself under Slurm: 4 tasks of eddy start bootstrap one 4-broker
# instance through Slurm's PMI (issue 13 part 3); the task of rank 0 runs
# a job on all four brokers
timeout 120 srun --mpi=pmi2 -n 4 eddy start sh -c \
    'echo "size $(eddy getattr size) boot $(eddy getattr broker.boot-method)"
     eddy run -N 4 -n 4 sh -c "echo task \$EDDY_TASK_RANK on rank \$(eddy getattr rank)"' \
    >"$TMP/start.out" 2>&1
_report $? "srun --mpi=pmi2 -n 4 eddy start: one instance, the command's status" "$TMP/start.out"
has "$TMP/start.out" '^size 4 boot pmi$' "it has 4 brokers, bootstrapped by Slurm's PMI"
ok "a 4-task job ran one task on each of the 4 brokers" \
    sh -c "[ \"\$(grep -Ec '^task [0-3] on rank [0-3]$' '$TMP/start.out')\" -eq 4 ] && [ \"\$(grep -E '^task' '$TMP/start.out' | awk '{print \$5}' | sort -u | wc -l)\" -eq 4 ]"

MPICC=mpicc.mpich # MPICH's by its own name: mpicc may be Open MPI's
command -v "$MPICC" >/dev/null || MPICC=mpicc
if command -v "$MPICC" >/dev/null; then
    "$MPICC" -o "$TMP/mpi-ring" "$EDDY_SRCDIR/test/mpi/mpi-ring.c" >"$TMP/mpicc" 2>&1
    _report $? "mpicc builds the MPI test program" "$TMP/mpicc"
    timeout 60 srun --mpi=pmi2 -n 4 "$TMP/mpi-ring" >"$TMP/mpi.out" 2>&1
    _report $? "srun --mpi=pmi2 -n 4 of an MPICH program exits 0" "$TMP/mpi.out"
    ok "4 ranks of one MPI_COMM_WORLD under Slurm, each once" \
        sh -c "[ \"\$(grep -Ec '^rank [0-3] of 4 on ' '$TMP/mpi.out')\" -eq 4 ] && [ \"\$(sed 's/ of .*//' '$TMP/mpi.out' | sort -u | wc -l)\" -eq 4 ]"
else
    echo "ok $((T_N + 1)) # skip mpicc not found (Debian packages mpich libmpich-dev)"
fi

finish
