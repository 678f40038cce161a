#!/usr/bin/env bash
# bench-stream.sh - does submission starve execution?  In a one-broker
# instance, `eddy submit --cc=1-N` (default N = 16,000; test exec, no
# process) streams jobs in while bench-jobs --follow notes when every
# 100th job is clean.  Prints the completion rate while the submission
# streams (from the first completion to the submit command's exit), the
# rate after it (the steady rate, with a queue to drain), and their ratio:
# "streaming R jobs/s (D done in S s), after R jobs/s, ratio X; broker CPU C s".
# STREAM_BACKLOG=N starts the instance with job-ingest's backlog-max N
# (docs/config.md: submissions wait while N jobs are pending).
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$bd/bench:$PATH"
n=${STREAM_JOBS:-16000}
dir=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-stream.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat >"$dir/inside.sh" <<'SH'
set -eu
n=$1 dir=$2
bench-jobs "$n" --follow >"$dir/marks" &
follow=$!
sleep 0.5 # the journal is followed before the first job
date +%s.%N >"$dir/t0"
eddy submit --quiet --cc=1-"$n" -S exec.test.run_duration=0 true
date +%s.%N >"$dir/t1"
wait "$follow"
# the broker (the sibling of this script under eddy start): its CPU seconds
b=$(ps -o pid=,comm= --ppid "$PPID" | awk '$2 == "eddy-broker" { print $1 }')
awk '{ printf "%.2f\n", ($14 + $15) / 100 }' "/proc/$b/stat" >"$dir/cpu" 2>/dev/null || :
SH

margs=()
[ -n "${STREAM_BACKLOG:-}" ] && margs=(-m "job-ingest={\"backlog-max\":${STREAM_BACKLOG}}")
eddy start "${margs[@]}" sh "$dir/inside.sh" "$n" "$dir"
awk -v t0="$(cat "$dir/t0")" -v t1="$(cat "$dir/t1")" -v n="$n" '
    { t[NR] = $1; d[NR] = $2 }
    END {
        # completions before the submission ended, and after it
        k = 0
        for (i = 1; i <= NR; i++) if (t[i] <= t1) k = i
        first = t[1]
        if (k >= 2) { sd = d[k] - d[1]; st = t[k] - first } else { sd = 0; st = t1 - t0 }
        ad = d[NR] - (k ? d[k] : 0); at = t[NR] - (k ? t[k] : t0)
        sr = st > 0 ? sd / st : 0; ar = at > 0 ? ad / at : 0
        printf "submit of %d jobs took %.2f s; streaming %.0f jobs/s (%d done in %.2f s), after %.0f jobs/s (%d in %.2f s), ratio %.2f; broker CPU %s s\n",
            n, t1 - t0, sr, sd, st, ar, ad, at, (ar > 0 ? sr / ar : 0), cpu }' cpu="$(cat "$dir/cpu" 2>/dev/null || echo '?')" "$dir/marks"
