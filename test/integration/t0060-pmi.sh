#!/usr/bin/env bash
# PMI-1 for the jobs eddy launches, across 4 brokers: the environment a
# PMI client looks for, libpmi.so (init, put, barrier, another rank's key,
# finalize), clients that break the protocol (each fails its job with an
# exception, and the brokers carry on), and a real MPI program built with
# Debian's MPICH (skipped without mpicc).
. "$(dirname "$0")/lib.sh"

CLIENT=$EDDY_BUILDDIR/exec/test/pmi-client
LIBPMI=$EDDY_BUILDDIR/exec/libpmi/libpmi.so

cat >"$TMP/pmi.sh" <<SH
eddy run -N 4 -n 8 sh -c 'echo "env \$PMI_RANK \$EDDY_TASK_RANK \$PMI_SIZE \$PMI_FD \$PMI_SPAWNED"' >env.out
echo "env rc=\$?"
eddy run -N 2 -n 2 --setattr shell.options.pmi=off sh -c 'echo "off \${PMI_FD:-none}"' >off.out
eddy run -N 4 -n 8 $CLIENT lib $LIBPMI >lib.out; echo "lib rc=\$?"
for how in garbage early twice abort; do
    timeout 60 eddy run -N 4 -n 8 $CLIENT bad \$how >bad-\$how.out 2>&1; echo "bad \$how rc=\$?"
done
# the brokers are all still there, and PMI still works
eddy run -N 4 -n 4 $CLIENT lib $LIBPMI >after.out; echo "after rc=\$?"
SH
(cd "$TMP" && timeout 300 eddy start --size 4 sh pmi.sh) >"$TMP/pmi" 2>&1
_report $? "the PMI script runs on 4 brokers" "$TMP/pmi"

has "$TMP/pmi" '^env rc=0$' "a job of 8 tasks on 4 ranks runs"
ok "each task has PMI_RANK = its task rank, PMI_SIZE 8, PMI_FD 3, PMI_SPAWNED 0" \
    sh -c "[ \"\$(sort -u '$TMP/env.out' | grep -c '^env \([0-7]\) \1 8 3 0$')\" -eq 8 ]"
has "$TMP/off.out" '^off none$' "shell.options.pmi=off: no PMI_FD"

has "$TMP/pmi" '^lib rc=0$' "libpmi.so: 8 tasks init, put, barrier, get and finalize"
ok "each rank read its right neighbour's key through the exchange" \
    sh -c "for r in 0 1 2 3 4 5 6 7; do grep -q \"^rank \$r size 8 universe 8 spawned 0 next=value-of-\$(( (r + 1) % 8 ))\$\" '$TMP/lib.out' || exit 1; done"

has "$TMP/pmi" '^bad garbage rc=(1|137)$' "a client sending garbage fails its job (no hang)"
has "$TMP/bad-garbage.out" 'exception exec: rank 0: PMI task 0: malformed line' "with an exec exception that says why"
has "$TMP/pmi" '^bad early rc=(1|137)$' "a client closing its connection after init fails its job"
has "$TMP/bad-early.out" 'PMI task 0: closed its PMI connection before finalize' "said so"
has "$TMP/pmi" '^bad twice rc=(1|137)$' "a client entering a barrier twice fails its job"
has "$TMP/bad-twice.out" 'PMI task 0: barrier_in twice' "said so"
has "$TMP/pmi" '^bad abort rc=(1|137)$' "PMI_Abort fails the job"
has "$TMP/bad-abort.out" 'PMI task 0 called PMI_Abort \(exit code 7\): it went wrong' "with its code and message"
has "$TMP/pmi" '^after rc=0$' "after all that, every broker still runs PMI jobs"

# Real MPI: Debian's MPICH reads PMI_FD (its simple PMI client)
# MPICH's compiler by its own name: with Open MPI installed too, mpicc may be Open MPI's
MPICC=mpicc.mpich
command -v "$MPICC" >/dev/null || MPICC=mpicc
if ! command -v "$MPICC" >/dev/null; then
    echo "ok $((T_N + 1)) # skip mpicc not found (Debian packages mpich libmpich-dev)"
    finish
    exit $?
fi
"$MPICC" -o "$TMP/mpi-ring" "$EDDY_SRCDIR/test/mpi/mpi-ring.c" >"$TMP/mpicc" 2>&1
_report $? "mpicc builds the MPI test program" "$TMP/mpicc"
cat >"$TMP/mpi.sh" <<'SH'
eddy run -N 4 -n 8 ./mpi-ring >mpi.out; echo "mpi rc=$?"
SH
(cd "$TMP" && timeout 300 eddy start --size 4 sh mpi.sh) >"$TMP/mpi" 2>&1
_report $? "the MPI script runs on 4 brokers" "$TMP/mpi"
has "$TMP/mpi" '^mpi rc=0$' "eddy run -N 4 -n 8 of an MPICH program exits 0"
ok "8 ranks of one MPI_COMM_WORLD (not 8 singletons): each rank once, size 8" \
    sh -c "[ \"\$(grep -Ec '^rank [0-7] of 8 on ' '$TMP/mpi.out')\" -eq 8 ] && [ \"\$(sed 's/ of .*//' '$TMP/mpi.out' | sort -u | wc -l)\" -eq 8 ]"
ok "MPI_Allreduce sums the ranks (28) everywhere" \
    sh -c "[ \"\$(grep -c ': sum 28,' '$TMP/mpi.out')\" -eq 8 ]"
ok "MPI_Sendrecv around the ring: each rank got its left neighbour's number" \
    sh -c "for r in 0 1 2 3 4 5 6 7; do grep -q \"^rank \$r of 8 on .*from left \$(( (r + 7) % 8 ))\$\" '$TMP/mpi.out' || exit 1; done"
finish
