#!/usr/bin/env bash
# bench-jobs-list.sh [N] [RUNS] - what `eddy jobs -a` costs to print the
# table of N (default 10000) inactive jobs in a one-broker instance: the
# first call (job-list reads the job directory's history then) and RUNS
# (default 15) more.  Prints wall-clock seconds (first; min and median of
# the rest) and the CPU seconds of one call, client and broker (user +
# system, median), which a machine shared with other work disturbs less:
# "eddy jobs -a, N jobs: first S s, then min S s, median S s; cpu: client S s, broker S s".
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$PATH"
n=${1:-10000}
runs=${2:-15}
dir=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-jobs-list.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat >"$dir/inside.sh" <<'SH'
set -eu
n=$1 runs=$2 dir=$3
eddy submit --quiet --wait --cc=1-"$n" true
bpid=$(eddy getattr broker.pid)
hz=$(getconf CLK_TCK)
# utime + stime of the broker, in clock ticks
bticks () { sed 's/.*) //' "/proc/$bpid/stat" | awk '{ print $12 + $13 }'; }
one () { # prints: wall client-cpu broker-cpu
    local a b c0 c1
    c0=$(bticks); a=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$dir/cpu" eddy jobs -a >"$dir/out"
    b=$(date +%s.%N); c1=$(bticks)
    awk -v a="$a" -v b="$b" -v c0="$c0" -v c1="$c1" -v hz="$hz" '{ printf "%.3f %.3f %.3f\n", b - a, $1 + $2, (c1 - c0) / hz }' "$dir/cpu"
}
first=$(one | cut -d' ' -f1)
[ "$(wc -l <"$dir/out")" -eq $((n + 1)) ] || { echo "listed the wrong number of lines" >&2; exit 1; }
for i in $(seq 1 "$runs"); do one; done >"$dir/times"
med () { sort -n | awk '{ a[NR] = $1 } END { print a[int ((NR + 1) / 2)] }'; }
wmin=$(cut -d' ' -f1 "$dir/times" | sort -n | head -1)
wmed=$(cut -d' ' -f1 "$dir/times" | med)
cmed=$(cut -d' ' -f2 "$dir/times" | med)
bmed=$(cut -d' ' -f3 "$dir/times" | med)
echo "eddy jobs -a, $n jobs: first $first s, then min $wmin s, median $wmed s; cpu: client $cmed s, broker $bmed s"
SH
timeout 900 eddy start sh "$dir/inside.sh" "$n" "$runs" "$dir"
