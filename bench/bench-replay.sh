#!/usr/bin/env bash
# bench-replay.sh: whole traces through the full stack in the simulator,
# before and after, side by side in one run.  The "after" is this build's
# eddy; the "before" is eddy built from BENCH_BASE (a git ref; default the
# merge-base of HEAD with main) in a directory outside the checkout
# (BENCH_BASE_DIR, default $TMPDIR/eddy-bench-base-<commit>, reused while
# its binary exists).  Each trace runs with both binaries in turn,
# BENCH_REPS times (default 1), and one table prints, per run: jobs per wall
# second, CPU seconds, peak RSS, and messages, KVS commits and hashes per
# job (from the summary's "work"; "-" for a build without the counters),
# the most jobs queued at once (sampled each trace hour: what a replay's
# memory grows with),
# and whether the two schedules (--jobs-out) are byte for byte the same.
#   make bench BENCH=replay
#   make bench BENCH=replay BENCH_TRACES="KTH-SP2 HPC2N" BENCH_JOBS=20000
# BENCH_TRACES: trace names, or prefixes of them (default KTH-SP2 HPC2N
# CEA-Curie RICC); BENCH_JOBS: only the first N jobs of each; BENCH_POLICY
# (default easy); BENCH_REPLAY_ARGS: more `eddy sim replay` options.  The
# traces come from EDDY_TRACES, else ../shared/traces beside the source
# tree; a missing one is skipped with a message.  The machine is whatever
# it is: say if it was shared when quoting figures.
set -uo pipefail
src="${EDDY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}"
build="${EDDY_BUILDDIR:-$(pwd)}"
traces="${EDDY_TRACES:-$src/../shared/traces}"
names="${BENCH_TRACES:-KTH-SP2 HPC2N CEA-Curie RICC}"
policy="${BENCH_POLICY:-easy}"
reps="${BENCH_REPS:-1}"
jobs="${BENCH_JOBS:-}"
extra="${BENCH_REPLAY_ARGS:-}"
new="$build/cmd/eddy"

die () {
    echo "bench-replay: $*" >&2
    exit 1
}
[ -x "$new" ] || die "$new: not built"
command -v python3 >/dev/null || die "python3 is needed to read the summaries"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is needed for CPU time and peak RSS"

# ---- the baseline build ----
ref="${BENCH_BASE:-}"
if [ -z "$ref" ]; then
    ref=$(git -C "$src" merge-base HEAD main 2>/dev/null) || die "no merge-base with main: set BENCH_BASE"
fi
sha=$(git -C "$src" rev-parse --verify -q "$ref^{commit}") || die "BENCH_BASE=$ref: not a commit"
base_dir="${BENCH_BASE_DIR:-${TMPDIR:-/tmp}/eddy-bench-base-${sha:0:12}}"
old="$base_dir/build/cmd/eddy"
case "$base_dir" in "$src"/*) die "BENCH_BASE_DIR must be outside the checkout" ;; esac
if [ ! -x "$old" ]; then
    echo "bench-replay: building the baseline ${sha:0:12} ($ref) in $base_dir" >&2
    rm -rf "$base_dir" && mkdir -p "$base_dir/src" "$base_dir/build" || die "cannot make $base_dir"
    git -C "$src" archive "$sha" | tar -x -C "$base_dir/src" || die "git archive $sha failed"
    (cd "$base_dir/src" && autoreconf -fi >"$base_dir/autoreconf.out" 2>&1 \
        && cd "$base_dir/build" && ../src/configure >"$base_dir/configure.out" 2>&1 \
        && nice make -j2 >"$base_dir/make.out" 2>&1) \
        || die "baseline build failed: see $base_dir/*.out"
fi

# ---- the runs ----
out=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-replay.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$out"' EXIT

# One replay: figures as "wall cpu rss_mib jobs msgs commits hashes queued"
# (queued: the most jobs waiting at once, from the series at each hour).
run () { # binary trace tag
    local bin=$1 t=$2 tag=$3
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %S %M" -o "$out/$tag.time" nice "$bin" sim replay "$t" --quiet \
        --policy "$policy" ${jobs:+--jobs "$jobs"} $extra --jobs-out "$out/$tag.csv" \
        --summary-out "$out/$tag.json" --series-out "$out/$tag.series" --series-step 3600 \
        >"$out/$tag.out" 2>"$out/$tag.err" || return 1
    python3 - "$out/$tag.json" "$out/$tag.time" "$out/$tag.series" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
wall, user, sys_, rss = open(sys.argv[2]).read().split()[-4:]
w = s.get("work")
per = (lambda k: "%.1f" % w[k]) if w else (lambda k: "-")
rows = open(sys.argv[3]).read().split("\n")
col = rows[0].split(",").index("queued_jobs")
queued = max([int(r.split(",")[col]) for r in rows[1:] if r] or [0])
print(wall, "%.2f" % (float(user) + float(sys_)), "%.0f" % (int(rss) / 1024), s["jobs"],
      per("messages_per_job"), per("commits_per_job"), per("hashes_per_job"), queued)
EOF
}

printf "baseline %s (%s), this build %s; policy %s%s; %s\n" "${sha:0:12}" "$ref" \
    "$(git -C "$src" rev-parse --short=12 HEAD 2>/dev/null || echo '?')" "$policy" \
    "${jobs:+, first $jobs jobs}" "$(uptime | sed 's/.*load/load/')"
echo "| trace | build | jobs | wall (s) | jobs/s | CPU (s) | peak RSS (MiB) | most queued | msgs/job | commits/job | hashes/job | schedule |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for name in $names; do
    t=""
    for f in "$traces/$name".swf.gz "$traces/$name".swf "$traces/$name"*.swf.gz; do
        [ -f "$f" ] && { t=$f; break; }
    done
    [ -n "$t" ] || { echo "bench-replay: no trace $name in $traces: skipped" >&2; continue; }
    tn=$(basename "${t%.gz}"); tn=${tn%.swf}
    for rep in $(seq 1 "$reps"); do
        # interleaved: before, then after, so both see the same machine
        for which in before after; do
            bin=$old; [ $which = after ] && bin=$new
            if ! fig=$(run "$bin" "$t" "$tn.$rep.$which"); then
                echo "| $tn | $which | failed: $(tail -1 "$out/$tn.$rep.$which.err") |"
                continue
            fi
            read -r wall cpu rss n msgs commits hashes queued <<<"$fig"
            rate=$(python3 -c "import sys; w=float(sys.argv[1]); print('%.0f' % (int(sys.argv[2]) / w if w > 0 else 0))" "$wall" "$n")
            same=""
            if [ $which = after ] && [ -f "$out/$tn.$rep.before.csv" ]; then
                if cmp -s "$out/$tn.$rep.before.csv" "$out/$tn.$rep.after.csv"; then
                    same="same"
                else
                    same="DIFFERENT"
                fi
            fi
            echo "| $tn | $which | $n | $wall | $rate | $cpu | $rss | $queued | $msgs | $commits | $hashes | $same |"
        done
    done
done
