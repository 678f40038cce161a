#!/usr/bin/env bash
# bench-cancelall.sh [N] - how long `eddy job cancelall -f` takes for N
# (default 10000) pending jobs of one user in a one-broker instance: the
# queue is stopped so that every job stays pending, N jobs are submitted
# (`eddy submit --cc`), then cancelall -f is timed (the command's answer:
# every job has its cancel exception), and `eddy queue drain` after it
# (every job INACTIVE).  Prints "cancelall N jobs: S s, inactive after T s".
# With MODE=sched the queue runs instead and a job holding every core keeps
# the others waiting in the scheduler (each cancel then withdraws a
# sched.alloc request too, and the holder is canceled with them).
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$PATH"
n=${1:-10000}
dir=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-cancelall.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat >"$dir/inside.sh" <<'SH'
set -eu
n=$1 mode=$2
if [ "$mode" = sched ]; then
    eddy submit --quiet -n "$(nproc)" sleep 300
else
    eddy queue stop "bench: keep the jobs pending"
fi
eddy submit --quiet --cc=1-"$n" true
t0=$(date +%s.%N)
eddy job cancelall -f 2>&1
t1=$(date +%s.%N)
eddy queue drain
t2=$(date +%s.%N)
left=$(eddy jobs -n -o '{id}' | wc -l)
awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" -v l="$left" \
    'BEGIN { printf "cancelall %d jobs: %.3f s, inactive after %.3f s (%d left active)\n", n, b - a, c - a, l }'
SH
timeout 600 eddy start sh "$dir/inside.sh" "$n" "${MODE:-stopped}"
