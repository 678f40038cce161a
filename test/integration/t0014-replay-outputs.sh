#!/usr/bin/env bash
# eddy sim replay's outputs: the per-job CSV, the time series, the SWF
# schedule and the summary, each checked against the others or against
# the trace; the workload options; an interrupted replay; determinism.
. "$(dirname "$0")/lib.sh"

traces="${EDDY_TRACES:-$EDDY_SRCDIR/../shared/traces}"
trace="$EDDY_SRCDIR/traces/samples/KTH-SP2-1996-2.1-cln-head2000.swf"
header='job_id,user,group,queue,submit,start,end,wait,run,req,procs,nodes,status,bsld,attempts,lost_node_seconds,redone_proc_seconds'

# empty FILE WHAT: FILE (the offending lines of a check) must be empty
empty () {
    [ ! -s "$1" ]; _report $? "$2" "$1"
}

# ---- one replay with every output, twice: 25 nodes x 4 cores, easy ----
all="--policy easy --nodes 25 --cores-per-node 4"
for i in 1 2; do
    eddy sim replay "$trace" $all --jobs-out "$TMP/j$i.csv" --series-out "$TMP/s$i.csv" \
        --swf-out "$TMP/o$i.swf" --summary-out "$TMP/sum$i.json" --progress \
        >"$TMP/out$i" 2>"$TMP/err$i"
    _report $? "replay with every output (run $i)" "$TMP/err$i"
done
j="$TMP/j1.csv" s="$TMP/s1.csv"
for f in j1.csv s1.csv o1.swf out1; do
    cmp -s "$TMP/$f" "$TMP/${f/1/2}"; _report $? "one seed: identical ${f/1/} files" "$TMP/${f/1/2}"
done
grep -v '"wall_seconds"' "$TMP/sum1.json" >"$TMP/a.json"
grep -v '"wall_seconds"' "$TMP/sum2.json" >"$TMP/b.json"
cmp -s "$TMP/a.json" "$TMP/b.json"; _report $? "one seed: identical summaries but for wall_seconds" "$TMP/b.json"

# --progress when stderr is no terminal: whole lines, no carriage return
has "$TMP/err1" '^virtual [0-9]+ s, [0-9]+/2000 jobs done, [0-9]+ jobs/s, ETA ' "--progress prints progress lines"
tr -d -c '\r' <"$TMP/err1" >"$TMP/cr"; empty "$TMP/cr" "--progress lines carry no carriage return"

# ---- the per-job CSV ----
[ "$(head -1 "$j")" = "$header" ]; _report $? "job CSV header" "$j"
[ "$(wc -l <"$j")" -eq 2001 ]; _report $? "job CSV: one row per job" "$j"
awk -F, -v cpn=4 'NR > 1 {
    bad = NF != 17
    if ($13 == "denied")
        bad = bad || $6 != "" || $7 != "" || $8 != "" || $9 != "" || $14 != ""
    else if ($13 == "completed" || $13 == "timeout" || $13 == "killed") {
        d = $8 - ($6 - $5); bad = bad || d > 1e-6 || d < -1e-6
        d = $7 - $6 - $9; bad = bad || d > 1e-3 || d < -1e-3
        r = $9 > 10 ? $9 : 10; b = ($7 - $5) / r; if (b < 1) b = 1
        d = $14 - b; bad = bad || d > 1e-5 || d < -1e-5
        bad = bad || $12 < int(($11 + cpn - 1) / cpn) || $12 > $11
    } else
        bad = 1
    if (bad) print "row " NR ": " $0
}' "$j" >"$TMP/bad"
empty "$TMP/bad" "job CSV: wait = start - submit, run = end - start, bsld, nodes, status"
# user, group and queue are the trace's fields 12, 13 and 15
awk 'FNR == NR { if ($1 !~ /^;/ && NF == 18) u[$1] = $12 "," $13 "," $15; next }
     FNR > 1 { split($0, f, ","); if (u[f[1]] != f[2] "," f[3] "," f[4]) print "job " f[1] }' \
    "$trace" FS=, "$j" >"$TMP/bad"
empty "$TMP/bad" "job CSV: user, group and queue come from the trace"
awk -F, 'NR > 1 && $13 != "completed"' "$j" >"$TMP/bad"
empty "$TMP/bad" "job CSV: uncapped, every job completed"

# ---- the time series: per change, and consistent with the job CSV ----
[ "$(head -1 "$s")" = "time,busy_procs,utilization,queued_jobs,queued_procs,running_jobs" ]
_report $? "series header" "$s"
awk -F, -v P=100 'NR > 1 {
    if ($2 > P || $2 < 0) print "busy above P: " $0
    d = $3 - $2 / P; if (d > 1e-6 || d < -1e-6) print "utilization: " $0
    if (NR > 2 && $1 <= t) print "time not increasing: " $0
    if (NR > 2 && $2 $4 $5 $6 == last) print "no change: " $0
    t = $1; last = $2 $4 $5 $6
}' "$s" >"$TMP/bad"
empty "$TMP/bad" "series: busy <= P, utilization = busy / P, one row per change"
# the state at a row's time from the job CSV: running = start <= t < end,
# queued = submit <= t < start (no job is denied on this machine)
series_vs_jobs () { # SERIES JOBS EVERY
    awk -F, -v every="$3" 'FNR == NR { if (FNR > 1 && $13 != "unsubmitted") { n++; sb[n] = $5; st[n] = $6; en[n] = $7; pr[n] = $11 }; next }
    FNR > 1 && FNR % every == 0 {
        t = $1 + 0; busy = run = q = qp = 0
        for (i = 1; i <= n; i++) {
            if (st[i] != "" && st[i] + 0 <= t && (en[i] == "" || en[i] + 0 > t)) { busy += pr[i]; run++ }
            if (sb[i] + 0 <= t && (st[i] == "" || st[i] + 0 > t)) { q++; qp += pr[i] }
        }
        if (busy != $2 || run != $6 || q != $4 || qp != $5)
            print "t=" $1 ": series " $2 "," $4 "," $5 "," $6 ", jobs CSV " busy "," q "," qp "," run
    }' "$2" "$1"
}
series_vs_jobs "$s" "$j" 37 >"$TMP/bad"
empty "$TMP/bad" "series agrees with the job CSV (every 37th row)"
tail -1 "$s" | grep -q ',0,0,0,0,0$'; _report $? "series ends idle" "$s"

# ---- the SWF schedule re-read by eddy sim replay ----
has "$TMP/o1.swf" '^; Version: 2\.2$' "SWF: version header"
has "$TMP/o1.swf" '^; MaxProcs: 100$' "SWF: MaxProcs header"
has "$TMP/o1.swf" '^; Note: .*KTH-SP2.* under policy easy' "SWF: names the trace and the policy"
awk '!/^;/ && NF != 18' "$TMP/o1.swf" >"$TMP/bad"; empty "$TMP/bad" "SWF: 18 fields a line"
awk -F, 'NR > 1 { print $1, $5, $8, $9, $11, $10, $2, $3, $4 }' "$j" >"$TMP/want"
awk '!/^;/ { print $1, $2, $3, $4, $5, $9, $12, $13, $15 }' "$TMP/o1.swf" >"$TMP/got"
cmp -s "$TMP/want" "$TMP/got"; _report $? "SWF: id, submit, wait, run, procs, req, user, group, queue as in the job CSV" "$TMP/got"
eddy sim replay "$TMP/o1.swf" --quiet --jobs-out "$TMP/re.csv" >"$TMP/re.out" 2>&1
_report $? "the SWF output replays" "$TMP/re.out"
[ "$(wc -l <"$TMP/re.csv")" -eq 2001 ]; _report $? "the SWF output holds every job" "$TMP/re.out"

# ---- the summary: percentiles and size classes from the job CSV ----
# check-summary.py JOBS.csv SUMMARY.json TRACE [INPUTS.json]
cat >"$TMP/check-summary.py" <<'EOF'
import csv, hashlib, json, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["status"] in ("completed", "timeout", "killed")]
s = json.load(open(sys.argv[2]))
def nearest_rank(v, p):
    v = sorted(v)
    return v[max(1, -(-p * len(v) // 100)) - 1]
for key, col in (("wait_percentiles", "wait"), ("bsld_percentiles", "bsld")):
    v = [float(r[col]) for r in rows]
    for p in (50, 90, 99):
        if abs(s[key]["p%d" % p] - nearest_rank(v, p)) > 1e-5:
            print(key, p, s[key]["p%d" % p], nearest_rank(v, p))
classes = [(1, 1), (2, 4), (5, 16), (17, 64), (65, 256), (257, 1024), (1025, 1 << 40)]
for (lo, hi), c in zip(classes, s["size_classes"]):
    v = [r for r in rows if lo <= int(r["procs"]) <= hi]
    if c["count"] != len(v):
        print("class", c["procs"], c["count"], len(v))
    if v and abs(c["mean_wait"] - sum(float(r["wait"]) for r in v) / len(v)) > 1e-4:
        print("class mean wait", c["procs"])
if s["jobs"] != len(rows) or s["complete"] is not True:
    print("jobs", s["jobs"], "complete", s["complete"])
i = s["inputs"]
want = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
for k, v in want.items():
    if i.get(k) != v:
        print("inputs", k, i.get(k), v)
if i["trace_sha256"] != hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest():
    print("trace_sha256", i["trace_sha256"])
for k in ("latency", "jitter", "eddy_version", "trace"):
    if k not in i:
        print("inputs lacks", k)
EOF
python3 "$TMP/check-summary.py" "$j" "$TMP/sum1.json" "$trace" \
    '{"policy": "easy", "nodes": 25, "cores_per_node": 4, "procs": 100, "seed": 1, "cap_runtime": false}' \
    >"$TMP/bad" 2>&1
empty "$TMP/bad" "summary: percentiles (nearest rank), size classes, inputs, sha256"

# ---- workload options ----
eddy sim replay "$trace" --latency 0 --cap-runtime --jobs 1537 --series-step 3600 \
    --series-out "$TMP/cs.csv" --jobs-out "$TMP/cj.csv" --summary-out "$TMP/c.json" --quiet \
    >"$TMP/c.out" 2>"$TMP/c.err"
_report $? "replay with --cap-runtime, --jobs, --series-step" "$TMP/c.err"
empty "$TMP/c.err" "--quiet: nothing on stderr"
[ "$(wc -l <"$TMP/cj.csv")" -eq 1538 ]; _report $? "--jobs 1537: the first 1537 job lines" "$TMP/cj.csv"
want=$(awk '!/^;/ && NF == 18 { if (++n > 1537) exit; if ($9 > 0 && $4 > $9) c++ } END { print c + 0 }' "$trace")
got=$(awk -F, '$13 == "timeout"' "$TMP/cj.csv" | wc -l)
[ "$want" -gt 0 ] && [ "$got" -eq "$want" ]; _report $? "--cap-runtime: $got timeouts, one per job with run > req ($want)" "$TMP/cj.csv"
awk -F, '$13 == "timeout" && ($9 != $10 || $7 - $6 != $10)' "$TMP/cj.csv" >"$TMP/bad"
empty "$TMP/bad" "--cap-runtime: a timeout runs exactly its request"
awk -F, 'NR > 1 { if (($1 / 3600) != int($1 / 3600)) print "not a multiple: " $1
                  if (NR > 2 && $1 != t + 3600) print "gap: " $1; t = $1 }' "$TMP/cs.csv" >"$TMP/bad"
empty "$TMP/bad" "--series-step 3600: one row per multiple of 3600"
series_vs_jobs "$TMP/cs.csv" "$TMP/cj.csv" 11 >"$TMP/bad"
empty "$TMP/bad" "--series-step: the state at each step agrees with the job CSV"
# 1537 jobs: nearest rank is not the floor of p x n / 100 here
python3 "$TMP/check-summary.py" "$TMP/cj.csv" "$TMP/c.json" "$trace" \
    '{"cap_runtime": true, "latency": 0.0, "jobs_limit": 1537}' >"$TMP/bad" 2>&1
empty "$TMP/bad" "summary of a capped replay: percentiles, size classes, inputs"

eddy sim replay "$trace" --jobs 600 --from 700000 --to 800000 --load-factor 2 \
    --jobs-out "$TMP/w.csv" --quiet >"$TMP/w.out" 2>&1
_report $? "replay with --from, --to, --load-factor" "$TMP/w.out"
awk '!/^;/ && NF == 18 { if (++n > 600) exit; if ($2 >= 700000 && $2 < 800000) print $1, $2 }' "$trace" \
    | awk 'NR == 1 { f = $2 } { printf "%d %.1f\n", $1, f + ($2 - f) / 2 }' >"$TMP/want"
awk -F, 'NR > 1 { printf "%d %.1f\n", $1, $5 }' "$TMP/w.csv" >"$TMP/got"
[ -s "$TMP/want" ] && cmp -s "$TMP/want" "$TMP/got"
_report $? "--from/--to keep [from, to); --load-factor 2 halves the inter-arrival times" "$TMP/got"

fails "--load-factor 0" eddy sim replay "$trace" --load-factor 0
fails "--load-factor -1" eddy sim replay "$trace" --load-factor -1
fails "--jobs 0" eddy sim replay "$trace" --jobs 0
fails "--jobs x" eddy sim replay "$trace" --jobs x
fails "--from 10 --to 5" eddy sim replay "$trace" --from 10 --to 5
fails "--from abc" eddy sim replay "$trace" --from abc
fails "--series-step 0" eddy sim replay "$trace" --series-step 0 --series-out "$TMP/x.csv"
fails "--series-step without --series-out" eddy sim replay "$trace" --series-step 60
fails "--seed -1" eddy sim replay "$trace" --seed -1
fails "--progress with --quiet" eddy sim replay "$trace" --progress --quiet
fails "an output in a missing directory" eddy sim replay "$trace" --jobs-out "$TMP/no/such/x.csv"
eddy sim replay "$trace" --load-factor 0 2>"$TMP/e" >/dev/null
has "$TMP/e" 'load-factor.*not a positive number' "a refused option says why"

eddy sim replay --help >"$TMP/help"
for o in policy nodes cores-per-node fanout latency jitter seed jobs from to load-factor \
    cap-runtime jobs-out series-out series-step swf-out summary-out progress quiet; do
    grep -qE -- "--$o([ =]|$)" "$TMP/help" || echo "--$o"
done >"$TMP/bad"
empty "$TMP/bad" "--help lists every option"
has "$TMP/help" '--policy=fcfs\|easy\|conservative\|PATH\.so' "--help: the policy line"

# ---- interrupted: SIGINT during a whole trace, SIGTERM ----
big="$traces/SDSC-SP2-1998-4.2-cln.swf.gz"
eddy sim replay "$big" --policy easy --jobs-out "$TMP/ij.csv" --series-out "$TMP/is.csv" \
    --swf-out "$TMP/io.swf" --summary-out "$TMP/i.json" --progress >"$TMP/i.out" 2>"$TMP/i.err" &
pid=$!
# about 2 s in, once some jobs are done (a busy machine may take longer)
sleep 2
for i in $(seq 300); do
    grep -Eq ' [1-9][0-9]*/[0-9]+ jobs done' "$TMP/i.err" && break
    sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ]; _report $? "SIGINT: exit 130 after writing (got $rc)" "$TMP/i.err"
has "$TMP/i.err" 'stopped by signal 2' "SIGINT: says it stopped"
[ "$(head -1 "$TMP/ij.csv")" = "$header" ]; _report $? "SIGINT: job CSV header" "$TMP/ij.csv"
awk -F, 'NR > 1 {
    ok = NF == 17
    if ($13 == "completed") ok = ok && $6 != "" && $7 != "" && $14 != ""
    else if ($13 == "running") ok = ok && $6 != "" && $7 == "" && $9 == "" && $14 == ""
    else if ($13 == "queued" || $13 == "unsubmitted") ok = ok && $6 == "" && $7 == ""
    else ok = 0
    if (!ok) print "row " NR ": " $0
    c[$13]++
} END { if (!c["completed"] || !c["unsubmitted"]) print "completed " c["completed"] ", unsubmitted " c["unsubmitted"] }' \
    "$TMP/ij.csv" >"$TMP/bad"
empty "$TMP/bad" "SIGINT: every row well-formed, some jobs done and some not"
python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); sys.exit(s["complete"] is not False)' "$TMP/i.json"
_report $? "SIGINT: summary says complete: false" "$TMP/i.json"
done_rows=$(awk -F, '$13 == "completed"' "$TMP/ij.csv" | wc -l)
swf_rows=$(grep -vc '^;' "$TMP/io.swf")
[ "$done_rows" -eq "$swf_rows" ]; _report $? "SIGINT: the SWF holds the $done_rows ended jobs ($swf_rows)" "$TMP/io.swf"
series_vs_jobs "$TMP/is.csv" "$TMP/ij.csv" 101 >"$TMP/bad"
empty "$TMP/bad" "SIGINT: the series agrees with the job CSV"

eddy sim replay "$big" --quiet --summary-out "$TMP/t.json" >/dev/null 2>&1 &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 143 ]; _report $? "SIGTERM: exit 143 (got $rc)" /dev/null
grep -q '"complete": false' "$TMP/t.json"; _report $? "SIGTERM: summary written, complete: false" "$TMP/t.json"
finish
