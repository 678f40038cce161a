#!/usr/bin/env bash
# bench-jobmem.sh - the broker's memory on a one-broker real instance: RSS
# at start, after FINISHED (default 20,000; a multiple of 1,000) finished
# jobs with the test exec (bench-jobs), then with QUEUED (default 20,000)
# more jobs queued behind a stopped queue, and what `eddy jobs -a` lists.
# Prints "rss: start S MB; after N finished S MB (K KB/job); N queued
# S MB (K KB/job); jobs -a lists L" and how long that listing took.  Set
# STATEDIR to run with one; WINDOW=W to keep at most W finished-to-be jobs
# submitted and not yet clean (bench-jobs --window: the queue stays short,
# so the figure is the finished jobs', not the peak of a flooded queue).
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$bd/bench:$PATH"
finished=${FINISHED:-20000}
queued=${QUEUED:-20000}
dir=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-jobmem.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat >"$dir/inside.sh" <<'SH'
set -eu
finished=$1 queued=$2 window=$3
bpid=$(eddy getattr broker.pid)
rss () { awk '/^VmRSS:/ { print $2 }' "/proc/$bpid/status"; } # KB
r0=$(rss)
if [ "$window" -gt 0 ]; then
    bench-jobs "$finished" --window="$window" | sed 's/^/  /'
else
    bench-jobs "$finished" | sed 's/^/  /'
fi
r1=$(rss)
eddy queue stop >/dev/null
bench-jobs "$queued" --submit-only | sed 's/^/  /'
r2=$(rss)
t0=$(date +%s.%N)
n=$(eddy jobs -a -n | wc -l)
t1=$(date +%s.%N)
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$bpid/status")
awk -v r0="$r0" -v r1="$r1" -v r2="$r2" -v f="$finished" -v q="$queued" -v n="$n" -v hwm="$hwm" -v t0="$t0" -v t1="$t1" 'BEGIN {
    printf "rss: start %.1f MB; after %d finished %.1f MB (%.2f KB/job); %d queued %.1f MB (%.2f KB/job); peak %.1f MB; jobs -a lists %d in %.2f s\n",
        r0 / 1024, f, r1 / 1024, (r1 - r0) / f, q, r2 / 1024, (r2 - r1) / q, hwm / 1024, n, t1 - t0 }'
[ "$n" -eq $((finished + queued)) ] || { echo "bench-jobmem: jobs -a listed $n, not $((finished + queued))" >&2; exit 1; }
eddy job cancelall -f >/dev/null 2>&1 || true
SH

# START_OPTS: more `eddy start` options (e.g. module arguments)
# shellcheck disable=SC2086
if [ -n "${STATEDIR:-}" ]; then
    eddy start ${START_OPTS:-} --statedir "$STATEDIR" sh "$dir/inside.sh" "$finished" "$queued" "${WINDOW:-0}"
else
    eddy start ${START_OPTS:-} sh "$dir/inside.sh" "$finished" "$queued" "${WINDOW:-0}"
fi
