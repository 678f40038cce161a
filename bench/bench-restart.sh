#!/usr/bin/env bash
# bench-restart.sh - the cost of starting over a state directory that
# holds JOBS (default 50,000; a multiple of 1,000) inactive jobs, against
# an empty one.  For REPEAT (default 3) restarts of each, from
# `eddy start --statedir` being run (wall clock, one machine):
#   run      the initial program starts (the instance is in `run`)
#   submit   the first `eddy submit` has returned a job id
#   list -a  `eddy jobs -a` has listed every job (the lazy read of the
#            inactive ones, started by that request)
# The history is built with bench-jobs (the test exec, no process), once:
# set RESTART_STATEDIR to keep it and reuse it between runs.
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$bd/bench:$PATH"
jobs=${JOBS:-50000}
repeat=${REPEAT:-3}
dir=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-restart.XXXXXX")
trap 'rm -rf "$dir"' EXIT
full=${RESTART_STATEDIR:-$dir/full}

if [ ! -e "$full/content.sqlite" ]; then
    echo "building a state directory with $jobs inactive jobs (bench-jobs)..."
    eddy start --statedir "$full" bench-jobs "$jobs" | sed 's/^/  /'
fi

cat >"$dir/inside.sh" <<'SH'
out=$1
date +%s.%N >"$out.run"
eddy submit true >/dev/null || exit 1
date +%s.%N >"$out.submit"
n=$(eddy jobs -a -n | wc -l)
date +%s.%N >"$out.list"
echo "$n" >"$out.count"
SH

since () { awk -v t0="$1" '{ printf "%.6f\n", $1 - t0 }' "$2"; } # T0 FILE

measure () { # NAME STATEDIR
    local runs=() subs=() lists=() n=0
    for i in $(seq 1 "$repeat"); do
        t0=$(date +%s.%N)
        eddy start --statedir "$2" sh "$dir/inside.sh" "$dir/t" >/dev/null 2>"$dir/err" || {
            cat "$dir/err" >&2
            exit 1
        }
        runs+=("$(since "$t0" "$dir/t.run")")
        subs+=("$(since "$t0" "$dir/t.submit")")
        lists+=("$(since "$t0" "$dir/t.list")")
        n=$(cat "$dir/t.count")
    done
    med () { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
    printf '%-22s run %.3f s, first submit %.3f s, list -a %.3f s (%d jobs listed; median of %d)\n' \
        "$1" "$(med "${runs[@]}")" "$(med "${subs[@]}")" "$(med "${lists[@]}")" "$n" "$repeat"
}

measure "empty statedir:" "$dir/empty"
measure "$jobs inactive jobs:" "$full"
