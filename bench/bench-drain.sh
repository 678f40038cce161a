#!/usr/bin/env bash
# bench-drain.sh - `eddy resource status` (and the drain listing) with
# 16,384 drained ranks: a one-broker instance whose resource module
# describes a simulated machine of 16,384 nodes (hostnames node0..node16383,
# 4 cores each), all drained at once, then every other rank drained (8,192
# ranges, the worst shape for idsets).  Each figure is the best of 5 runs
# of the whole command (connect, RPCs, computing the states, printing).
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$bd/bench:$PATH"
n=${BENCH_DRAIN_RANKS:-16384}
R=$(printf '{"version":1,"execution":{"R_lite":[{"rank":"0-%d","children":{"core":"0-3"}}],"nodelist":["node[0-%d]"]}}' $((n - 1)) $((n - 1)))
dir=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-drain.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cat >"$dir/inside.sh" <<'SH'
n=$1
best () { # WHAT CMD...: the best of 5 wall times of CMD, in ms
    local what=$1 b=
    shift
    for i in 1 2 3 4 5; do
        t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
        t=$(( (t1 - t0) / 1000 ))
        [ -z "$b" ] || [ "$t" -lt "$b" ] && b=$t
    done
    awk -v w="$what" -v t="$b" 'BEGIN { printf "  %-44s %8.1f ms\n", w, t / 1000 }'
}
t0=$(date +%s%N); eddy resource drain "0-$((n - 1))" bench; t1=$(date +%s%N)
awk -v t=$(( (t1 - t0) / 1000 )) -v n="$n" 'BEGIN { printf "  %-44s %8.1f ms\n", "drain " n " ranks (stored)", t / 1000 }'
[ "$(eddy resource status -n -s drained -o '{nnodes}')" = "$n" ] || { echo "not all drained" >&2; exit 1; }
best "resource status, $n drained" eddy resource status
best "resource status --json, $n drained" eddy resource status --json
best "resource drain (listing), $n drained" eddy resource drain
eddy resource undrain "0-$((n - 1))"
odd=$(seq -s, 1 2 $((n - 1)))
eddy resource drain "$odd" every other
[ "$(eddy resource status -n -s drained -o '{nnodes}')" = "$((n / 2))" ] || { echo "not half drained" >&2; exit 1; }
best "resource status, every other rank drained" eddy resource status
best "resource drain (listing), every other" eddy resource drain
SH
echo "$n nodes (one broker, simulated machine):"
eddy start --size 1 --statedir "$dir/state" -m resource="{\"R\":$R}" -m sched sh "$dir/inside.sh" "$n"
