#!/usr/bin/env bash
# bench-jobs.sh - job throughput on a one-broker real instance: 10,000 jobs
# with the test exec (no process), then 2,000 real /bin/true jobs.
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$bd/bench:$PATH"
eddy start bench-jobs 10000
eddy start bench-jobs 2000 --real
