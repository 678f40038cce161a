#!/usr/bin/env bash
# bench-pmi-real.sh - the PMI exchange on real brokers (issue 13): one
# instance of 8 brokers on this machine (8 cores each, by config), a job of
# 64 tasks over all 8 (`eddy run -N 8 -n 64`), each task a PMI-1 client
# through libpmi.so (exec/test/pmi-client bench): rank 0 prints the first
# barrier (tasks' start skew included) and the mean of ROUNDS put+barrier
# rounds, each task putting one key.  Runs RUNS times (BENCH_PMI_RUNS,
# default 3; BENCH_PMI_ROUNDS, default 20).
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$PATH"
runs=${BENCH_PMI_RUNS:-3}
rounds=${BENCH_PMI_ROUNDS:-20}
client="$bd/exec/test/pmi-client"
lib="$bd/exec/libpmi/libpmi.so"
[ -x "$client" ] || { echo "bench-pmi-real: build $client first (make exec/test/pmi-client)" >&2; exit 1; }
d=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-pmi.XXXXXX")
trap 'rm -rf "$d"' EXIT
cd "$d"
for _ in $(seq "$runs"); do
    timeout 300 eddy start --size 8 -S resource.cores=0-7 \
        eddy run -N 8 -n 64 "$client" bench "$lib" "$rounds"
done
