#!/usr/bin/env bash
# bench-oracle.sh: whole traces through the full stack at --latency 0,
# compared job for job with the independent oracle (test/oracle/swfsim.py).
# Prints one markdown row per (trace, policy): jobs, mean wait, mean bsld,
# utilization, eddy's wall time, the oracle's, and the verdict.  Runs are
# kept in $EDDY_ORACLE_OUT (default ./oracle-runs) and reused, so an
# interrupted sweep resumes where it stopped.  By default only KTH-SP2 (a
# minute); EDDY_ORACLE_TRACES=all takes every trace (hours), or name them
# without .swf.gz; EDDY_ORACLE_POLICIES picks the policies.
#   make bench BENCH=oracle EDDY_ORACLE_TRACES=all
set -uo pipefail
src="${EDDY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}"
traces="${EDDY_TRACES:-$src/../shared/traces}"
out="${EDDY_ORACLE_OUT:-oracle-runs}"
policies="${EDDY_ORACLE_POLICIES:-fcfs easy conservative}"
names="${EDDY_ORACLE_TRACES:-KTH-SP2-1996-2.1-cln}"
if [ "$names" = all ]; then
    names=""
    for t in "$traces"/*.swf.gz; do names="$names $(basename "${t%.swf.gz}")"; done
fi
mkdir -p "$out"
wall () { # the elapsed time command time -f %e wrote as the last line of FILE
    tail -1 "$1"
}
echo "| trace | policy | jobs | mean wait (s) | mean bsld | utilization | eddy wall (s) | oracle wall (s) | start times |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
for name in $names; do
    t="$traces/$name.swf.gz"
    [ -f "$t" ] || { echo "bench-oracle: $t: no such trace" >&2; continue; }
    for pol in $policies; do
        b="$out/$name.$pol"
        if [ ! -s "$b.json" ]; then
            command time -f %e eddy sim replay "$t" --policy "$pol" --latency 0 --quiet \
                --jobs-out "$b.eddy.csv" --summary-out "$b.json.tmp" >"$b.out" 2>"$b.time" \
                && mv "$b.json.tmp" "$b.json" || { echo "| $name | $pol | eddy failed: $(tail -2 "$b.time" | head -1) |"; continue; }
        fi
        P=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["procs"])' "$b.json")
        if [ ! -s "$b.oracle.csv" ]; then
            command time -f %e python3 "$src/test/oracle/swfsim.py" "$t" --policy "$pol" -P "$P" \
                --out "$b.oracle.csv.tmp" 2>"$b.otime" && mv "$b.oracle.csv.tmp" "$b.oracle.csv" \
                || { echo "| $name | $pol | oracle failed: $(tail -2 "$b.otime" | head -1) |"; continue; }
        fi
        verdict=$(python3 "$src/test/oracle/compare-starts.py" "$b.eddy.csv" "$b.oracle.csv")
        python3 - "$b.json" "$name" "$pol" "$(wall "$b.time")" "$(wall "$b.otime")" "$verdict" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {sys.argv[3]} | {s['jobs']:,} | {s['mean_wait']:,.1f} | "
      f"{s['mean_bsld']:,.2f} | {s['utilization']:.4f} | {sys.argv[4]} | {sys.argv[5]} | {sys.argv[6]} |")
PY
    done
done
