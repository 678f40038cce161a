#!/usr/bin/env bash
# eddy sim compare: a grid of 3 traces x 3 policies x 2 seeds run as
# parallel processes; its combined CSV/JSON and report hold what single
# replays of the same cells print; the report opens in headless Chromium
# with no error and every chart drawn (a screenshot is kept in
# test/artifacts/); fault settings count killed work; a failed run is
# reported, not hidden; bad input; and the same grid as jobs of an eddy
# instance when EDDY_URI names one.
. "$(dirname "$0")/lib.sh"
SAMPLE=$EDDY_SRCDIR/traces/samples/KTH-SP2-1996-2.1-cln-head2000.swf
ART=$EDDY_BUILDDIR/test/artifacts
mkdir -p "$ART"
cd "$TMP" || exit 1
eddy sim generate --procs 64 --jobs 400 --seed 5 -o lublin64.swf 2>/dev/null
eddy sim generate --resample "$SAMPLE" --jobs 400 --load-factor 1.5 --seed 6 -o kth-x1.5.swf 2>/dev/null

ok "a grid of 3 traces x 3 policies x 2 seeds runs, 2 at a time" \
    eddy sim compare "$SAMPLE" lublin64.swf kth-x1.5.swf -p fcfs,easy,conservative -s 1,2 \
    -n 300 -j 2 -o grid
cp "$TMP/out" grid.err
has grid.err '18/18 runs done \(0 failed\)' "progress for the whole grid on stderr"
ok "18 runs in combined.csv, every one ok" \
    python3 -c "import csv,sys; r=list(csv.DictReader(open('grid/combined.csv'))); sys.exit(0 if len(r)==18 and all(x['status']=='ok' for x in r) else 1)"

# single replays of three cells, by hand, against the grid's figures
cat >same.py <<'PY'
import csv, json, sys
g = "grid"
if sys.argv[-2] == "--grid":
    g = sys.argv[-1]
    del sys.argv[-2:]
grid = json.load(open(g + "/combined.json"))
rows = {r["run"]: r for r in csv.DictReader(open(g + "/combined.csv"))}
page = open(g + "/index.html").read()
start = page.index('<script type="application/json" id="data">') + len('<script type="application/json" id="data">')
embedded = json.loads(page[start:page.index("</script>", start)])
fields = {"mean_wait": "mean_wait", "max_wait": "max_wait", "mean_bsld": "mean_bsld",
          "utilization": "utilization", "makespan": "makespan", "jobs": "jobs",
          "p50_wait": ("wait_percentiles", "p50"), "p90_wait": ("wait_percentiles", "p90"),
          "p99_wait": ("wait_percentiles", "p99")}
bad = 0
for trace, policy, seed, single in [a.split(":") for a in sys.argv[1:]]:
    s = json.load(open(single))
    run = [r for r in grid["runs"] if r["trace"] == trace and r["policy"] == policy and r["seed"] == int(seed)]
    assert len(run) == 1, (trace, policy, seed)
    run = run[0]
    emb = [r for r in embedded["runs"] if r["run"] == run["run"]][0]
    for k, src in fields.items():
        want = s[src[0]][src[1]] if isinstance(src, tuple) else s[src]
        for where, got in (("combined.json", run[k]), ("combined.csv", float(rows[run["run"]][k])),
                           ("index.html", emb[k])):
            if abs(float(got) - float(want)) > 1e-9 * max(1.0, abs(float(want))):
                print("%s %s %s: %s %s = %s, the single replay says %s" % (trace, policy, seed, where, k, got, want))
                bad += 1
    print("%s %s seed %s: equal (%s)" % (trace, policy, seed, ", ".join(fields)))
sys.exit(1 if bad else 0)
PY
eddy sim replay "$SAMPLE" --policy easy --seed 2 --jobs 300 --quiet --summary-out one.json >/dev/null
eddy sim replay lublin64.swf --policy conservative --seed 1 --jobs 300 --quiet --summary-out two.json >/dev/null
eddy sim replay kth-x1.5.swf --policy fcfs --seed 1 --jobs 300 --quiet --summary-out three.json >/dev/null
ok "the grid's CSV, JSON and report say what single replays of 3 of its cells say" \
    python3 same.py "$(basename "$SAMPLE"):easy:2:one.json" "lublin64.swf:conservative:1:two.json" \
    "kth-x1.5.swf:fcfs:1:three.json"
ok "each run's outputs are kept (summary, jobs, series, log)" \
    sh -c 'for d in grid/runs/*/; do for f in summary.json jobs.csv series.csv replay.log; do [ -s "$d$f" ] || exit 1; done; done'
hasnt grid/index.html '(src|href)="(https?:)?//' "the report fetches nothing (no remote src or href)"

# the report in a real browser
if command -v chromium >/dev/null; then
    browse () {
        timeout 120 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
            --user-data-dir="$TMP/chrome" "$@" 2>>chrome.err
    }
    browse --dump-dom "file://$TMP/grid/index.html" >dom.html
    has dom.html 'id="status" data-charts="12" data-errors="0"' \
        "Chromium draws 12 charts (4 per trace) with no script error"
    ok "every chart has its series drawn" \
        python3 -c "import re,sys; n=[int(x) for x in re.findall(r'data-series=\"(\d+)\"', open('dom.html').read())]; sys.exit(0 if len(n)==12 and min(n)>0 else 1)"
    ok "and axes titled with units, and a legend, on each" \
        python3 -c "import re,sys; d=open('dom.html').read(); t=lambda p: len(re.findall('<text[^>]*>' + p, d)); sys.exit(0 if d.count('class=\"legend\"')==12 and t(r'wait \(seconds')==3 and t(r'time \(days')==6 and t('fraction of jobs')==3 and t('mean bounded slowdown')==3 else 1)"
    browse --window-size=1300,2600 --screenshot="$ART/t0086-report.png" "file://$TMP/grid/index.html" >/dev/null
    ok "a screenshot is kept (test/artifacts/t0086-report.png)" \
        sh -c "head -c 8 '$ART/t0086-report.png' | od -An -c | grep -q 'P   N   G' && [ \$(stat -c %s '$ART/t0086-report.png') -gt 50000 ]"
else
    echo "ok $((T_N + 1)) # skip chromium not installed (Debian package chromium)"
fi

# fault settings: killed work is counted and charted
ok "a fault setting beside none" \
    eddy sim compare "$SAMPLE" -p easy -n 300 -f none \
    -f "cut:5@620000,heal:5@660000,cut:7@630000,heal:7@690000" -o faults
ok "the faulted run counts killed jobs and lost node-hours, the other none" \
    python3 -c "import csv,sys; r=list(csv.DictReader(open('faults/combined.csv'))); sys.exit(0 if r[0]['killed']=='0' and int(r[1]['killed'])>0 and float(r[1]['lost_node_hours'])>0 and r[1]['faults'].count(',')==3 else 1)"
ok "its killed count is the jobs.csv count" \
    sh -c "[ \"\$(grep -c ',killed,' faults/runs/002-*/jobs.csv)\" = \"\$(python3 -c \"import csv; print(list(csv.DictReader(open('faults/combined.csv')))[1]['killed'])\")\" ]"
if command -v chromium >/dev/null; then
    browse --dump-dom "file://$TMP/faults/index.html" >dom2.html
    has dom2.html 'id="status" data-charts="5" data-errors="0"' "the report adds a chart of killed work"
fi

# a failed run is reported, and the rest still are
fails "a grid with a policy that does not exist fails" \
    eddy sim compare "$SAMPLE" -p easy,no-such-policy -n 100 -o badpol
ok "its row says failed, the good run's says ok, the report is written" \
    python3 -c "import csv,sys,os; r={x['policy']:x['status'] for x in csv.DictReader(open('badpol/combined.csv'))}; sys.exit(0 if r=={'easy':'ok','no-such-policy':'failed'} and os.path.getsize('badpol/index.html')>0 else 1)"

# bad input
fails "no trace" eddy sim compare -o x1
fails "a trace that does not exist" eddy sim compare nope.swf -o x2
fails "a machine that is neither NODESxCORES nor a file" eddy sim compare "$SAMPLE" -m 12y -o x3
fails "an output directory already used" eddy sim compare "$SAMPLE" -p easy -n 10 -o grid
has "$TMP/out" 'new or empty directory' "says why"
ok "and leaves the earlier grid as it was" \
    python3 -c "import csv,sys; sys.exit(0 if len(list(csv.DictReader(open('grid/combined.csv'))))==18 else 1)"

# the same kind of grid as jobs of an instance
cat >inst.sh <<SH
eddy sim compare "$SAMPLE" -p fcfs,easy -n 200 -o inst && eddy jobs -a -n -o '{name} {result}' >inst.jobs
SH
ok "with EDDY_URI set, the runs are jobs of that instance" \
    timeout 300 eddy start --size 2 -S resource.cores=0-1 sh inst.sh
ok "two jobs, named after the runs, completed" \
    sh -c "[ \$(grep -c -- '-s1 COMPLETED\$' inst.jobs) -eq 2 ]"
eddy sim replay "$SAMPLE" --policy easy --jobs 200 --quiet --summary-out inst-one.json >/dev/null
ok "and their figures are what a replay here says" \
    python3 same.py "$(basename "$SAMPLE"):easy:1:inst-one.json" --grid inst
finish
