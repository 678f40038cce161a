#!/usr/bin/env bash
# eddy sim generate: the Lublin-Feitelson model against its published
# parameters (sizes, runtimes, inter-arrivals, the daily cycle, the
# batch/interactive mix, checked by gen-check.py, which computes the
# expected values on its own), seeds, the load factor, a bootstrap
# resample of a real trace, bad input, and a generated workload replayed.
. "$(dirname "$0")/lib.sh"
CHECK="python3 $EDDY_SRCDIR/test/integration/gen-check.py"
SAMPLE=$EDDY_SRCDIR/traces/samples/KTH-SP2-1996-2.1-cln-head2000.swf
# the paper's whole-sample parameters, fitted for 128 processors (aarr
# times its ARAR ratio)
AARR=$(python3 -c 'print(10.2303 * 1.0225)')
g=$TMP/typeless.swf

ok "the typeless model writes 200,000 jobs for 128 processors" \
    eddy sim generate --model lublin-typeless --procs 128 --jobs 200000 --seed 1 -o "$g"
ok "sizes follow the model's law (serial 0.244, power of two 0.576, two-stage uniform 0.8/4.5/7/0.86)" \
    $CHECK sizes "$g" 128 0.244 0.576 0.8 4.5 7 0.86
ok "runtimes of serial jobs follow the hyper-gamma (4.2, 0.94; 312, 0.03; p = -0.0054 n + 0.78)" \
    $CHECK runtime "$g" 1 4.2 0.94 312 0.03 -0.0054 0.78
ok "runtimes of 32-processor jobs too (p falls with size)" \
    $CHECK runtime "$g" 32 4.2 0.94 312 0.03 -0.0054 0.78
ok "the mean inter-arrival is E[exp(g) | g <= 13] of gamma(10.2303 x 1.0225, 0.4871)" \
    $CHECK arrival "$g" "$AARR" 0.4871 1
ok "arrivals per hour of the day follow gamma(8.1737, 3.9631)'s daily cycle" \
    $CHECK daily "$g" 8.1737 3.9631

ok "the same seed gives the same workload, byte for byte" \
    sh -c "eddy sim generate --model lublin-typeless --procs 128 --jobs 200000 --seed 1 | cmp - '$g'"
fails "another seed gives another" \
    sh -c "eddy sim generate --model lublin-typeless --procs 128 --jobs 200000 --seed 2 | cmp -s - '$g'"

ok "load factor 2 halves the mean inter-arrival" \
    sh -c "eddy sim generate --model lublin-typeless --procs 128 --jobs 200000 --load-factor 2 -o '$TMP/l2.swf' && $CHECK arrival '$TMP/l2.swf' $AARR 0.4871 2"
ok "on 1024 processors the size bounds move with log2(P) (uhi 10, umed 7.5)" \
    sh -c "eddy sim generate --model lublin-typeless --procs 1024 --jobs 200000 -o '$TMP/p1024.swf' && $CHECK sizes '$TMP/p1024.swf' 1024 0.244 0.576 0.8 7.5 10 0.86"

ok "the batch and interactive model writes 200,000 jobs" \
    eddy sim generate --procs 128 --jobs 200000 -o "$TMP/typed.swf"
ok "interactive jobs (queue 0) arrive at the rate their own gamma gives against batch's" \
    $CHECK mix "$TMP/typed.swf" "$(python3 -c 'print(6.0415 * 1.0519)')" 0.8531 \
    "$(python3 -c 'print(6.5510 * 0.9797)')" 0.6621

# a bootstrap of a real trace
ok "a resample of the KTH sample writes 5,000 jobs at load factor 2" \
    eddy sim generate --resample "$SAMPLE" --jobs 5000 --load-factor 2 --seed 4 -o "$TMP/rs.swf"
cat >"$TMP/rs.py" <<'PY'
import sys
def jobs(path):
    out = []
    for line in open(path):
        v = line.split()
        if v and not line.lstrip().startswith(";"):
            out.append(v)
    return out
src, got = jobs(sys.argv[1]), jobs(sys.argv[2])
# the trace's kept jobs: procs from field 8 (else 5), req from field 9 (else run)
def key(v):
    procs = int(v[7]) if int(v[7]) > 0 else int(v[4])
    req = int(v[8]) if int(v[8]) > 0 else int(v[3])
    return (int(v[3]), procs, req, int(v[11]), int(v[12]))
pool = set(key(v) for v in src if int(v[3]) >= 0 and (int(v[7]) > 0 or int(v[4]) > 0))
assert len(got) == 5000, len(got)
missing = [v for v in got if (int(v[3]), int(v[7]), int(v[8]), int(v[11]), int(v[12])) not in pool]
assert not missing, "not from the trace: %s" % missing[:3]
t = sorted(int(v[1]) for v in src)
first = t[0]
for k in range(len(t)):
    want = (t[k] - first) // 2
    assert int(got[k][1]) == want, (k, got[k][1], want)
assert len(set(v[0] for v in got)) == 5000
distinct = len(set((v[3], v[7]) for v in got))
assert distinct > 500, distinct
print("ok: every job from the trace, its first 2,000 arrivals at (submit - first) / 2")
PY
ok "each resampled job is one of the trace's; arrivals are the trace's, halved" \
    python3 "$TMP/rs.py" "$SAMPLE" "$TMP/rs.swf"

# bad input: a clear message, a nonzero exit, no partial file
fails "no --jobs" eddy sim generate --procs 128
fails "no --procs for a model" eddy sim generate --jobs 10
fails "an unknown model" eddy sim generate --model nope --procs 128 --jobs 10
fails "a negative load factor" eddy sim generate --procs 128 --jobs 10 --load-factor -1
fails "a machine past the SWF bound" eddy sim generate --procs 99999999999 --jobs 10
fails "a trace that does not exist" eddy sim generate --resample "$TMP/none.swf" --jobs 10
printf '1 2 3\n' >"$TMP/garbage.swf"
fails "a trace with a malformed line" eddy sim generate --resample "$TMP/garbage.swf" --jobs 10
has "$TMP/out" 'eddy-sim: generate: .*line 1' "names the trace and the line"
fails "an output in a missing directory" \
    eddy sim generate --procs 128 --jobs 10 -o "$TMP/no/such/dir/w.swf"
ok "and leaves nothing behind" sh -c "[ ! -e '$TMP/no' ] && ! ls '$TMP'/*.tmp.* 2>/dev/null"

# a generated workload replays through the full stack
ok "a generated workload of 300 jobs on 16 processors replays (easy)" \
    sh -c "eddy sim generate --procs 16 --jobs 300 --seed 9 -o '$TMP/small.swf' && eddy sim replay '$TMP/small.swf' --policy easy --quiet --summary-out '$TMP/small.json'"
ok "every job of it ran" \
    python3 -c "import json,sys; s=json.load(open('$TMP/small.json')); sys.exit(0 if s['jobs'] == 300 else 1)"
finish
