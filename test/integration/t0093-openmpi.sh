#!/usr/bin/env bash
# Open MPI (Debian's 4.1) over eddy's PMI-1: its `flux` pmix component
# dlopens the PMI-1 library that FLUX_PMI_LIBRARY_PATH names when
# FLUX_JOB_ID is set, so eddy's libpmi.so serves it (skipped without
# Debian's openmpi-bin and libopenmpi-dev: mpicc.openmpi).
. "$(dirname "$0")/lib.sh"
if ! command -v mpicc.openmpi >/dev/null; then
    echo "ok 1 # skip mpicc.openmpi not found (Debian packages openmpi-bin libopenmpi-dev)"
    finish
    exit $?
fi
cd "$TMP" || exit 1
ok "mpicc.openmpi builds the MPI test program" \
    mpicc.openmpi -o mpi-ring "$EDDY_SRCDIR/test/mpi/mpi-ring.c"
LIB=$EDDY_BUILDDIR/exec/libpmi/libpmi.so
export OMPI_MCA_plm_rsh_agent=false # no ssh: eddy launches the ranks
cat >one.sh <<SH
eddy run -N 1 -n 2 --env=FLUX_JOB_ID=1 --env=FLUX_PMI_LIBRARY_PATH=$LIB --env=OMPI_MCA_pmix=flux ./mpi-ring >one.out
echo "one rc=\$?"
# two brokers on one host: shared memory (vader) pairs ranks by host, and
# PMI says they are on two nodes, so the ranks talk over tcp
eddy run -N 2 -n 4 --env=FLUX_JOB_ID=2 --env=FLUX_PMI_LIBRARY_PATH=$LIB --env=OMPI_MCA_pmix=flux \
    --env=OMPI_MCA_btl=self,tcp ./mpi-ring >two.out
echo "two rc=\$?"
eddy run -n 2 ./mpi-ring >none.out 2>&1
echo "none rc=\$?"
SH
ok "an instance of 2 brokers runs Open MPI jobs" timeout 300 eddy start --size 2 -S resource.cores=0-1 sh one.sh
cp "$TMP/out" run.log
has run.log '^one rc=0$' "2 ranks on one broker (shared memory) exit 0"
# world N: every rank once, Allreduce of the ranks = N(N-1)/2, each got its left neighbour's
world () { # FILE N
    local sum=$(( $2 * ($2 - 1) / 2 )) r
    [ "$(grep -Ec "^rank [0-9]+ of $2 on .*: sum $sum, from left [0-9]+\$" "$1")" -eq "$2" ] || return 1
    for r in $(seq 0 $(( $2 - 1 ))); do
        grep -q "^rank $r of $2 on .*from left $(( (r + $2 - 1) % $2 ))\$" "$1" || return 1
    done
}
ok "one broker: 2 ranks of one MPI_COMM_WORLD, each once, Allreduce 1, the ring" world one.out 2
ok "two brokers: 4 ranks of one MPI_COMM_WORLD, each once, Allreduce 6, the ring" world two.out 4
has run.log '^two rc=0$' "4 ranks on 2 brokers (tcp) exit 0"
ok "without the two variables Open MPI finds no PMI and runs singletons (no world of 2)" \
    sh -c "! grep -q ' of 2 on ' none.out"
finish
