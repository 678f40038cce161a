#!/usr/bin/env bash
# Nested virtual instances (sim/nest.h): eddy sim hierarchy runs the same
# jobs through one flat virtual instance and through K children, each a
# virtual instance inside a virtual job of the top one.
#  - hand-worked, 4 nodes of 1 core, 8 jobs of 10 s on 1 core (= 1 node):
#    flat, 4 at a time: two waves, makespan 20 s.  Nested, 2 children of
#    2 nodes with 4 jobs each, 2 at a time: two waves, 20 s, plus the
#    child's boot and shutdown: at latency 0 they take no virtual time
#    (20 s); at latency L a 2-broker child boots in 3 hops (hello up,
#    welcome down, its status up) and shuts down in 2 (shutdown down,
#    goodbye up): 20 s + 5 L;
#  - the top instance sees one job per child; each child lists its own
#    jobs (job-list.stats, what `eddy jobs -a` counts), its R is the job's
#    renumbered, its jobs use only its allocation (every job's ranks,
#    mapped back to the parent's numbering, inside the job's R; cores
#    inside the node's), never two at once on one core, and its brokers
#    have parent-uri and a local-uri of their own;
#  - a child still busy at its job's time limit is torn down: its jobs are
#    canceled, it shuts down, the job finishes with SIGTERM (15);
#  - a node of a nested job lost (eddy sim replay --fault): the job fails,
#    its child is torn down, and the replay runs on;
#  - 16,384 virtual nodes, flat against 4 children (figures only);
#  - bad input is refused, and on a real instance a nested virtual
#    instance is an exception: it needs the simulator.
. "$(dirname "$0")/lib.sh"

hier () { timeout 300 eddy sim hierarchy "$@"; }

hier --size 4 --children 2 --jobs 8 --duration 10 --latency 0 \
    --summary-out "$TMP/s0.json" --jobs-out "$TMP/j0.csv" >"$TMP/o0" 2>"$TMP/e0"
_report $? "4 nodes, 2 children, 8 jobs of 10 s at latency 0" "$TMP/e0"
has "$TMP/o0" '^flat: 8 jobs done, makespan 20\.000000 s virtual' "flat: makespan 20 s (two waves of 4)"
has "$TMP/o0" '^nested: 8 jobs done, makespan 20\.000000 s virtual, 0\.400 jobs/s virtual, 2 instances \(2 jobs in the top instance\), 8 jobs listed inside them, 0 canceled' \
    "nested: makespan 20 s, one job per child in the top instance, 8 listed inside"

hier --size 4 --children 2 --jobs 8 --duration 10 --latency 0.001 --mode nested >"$TMP/o1" 2>"$TMP/e1"
_report $? "the same at latency 1 ms" "$TMP/e1"
has "$TMP/o1" '^nested: 8 jobs done, makespan 20\.005000 s virtual' "nested: 20 s + 5 hops of 1 ms"

# placement: every job inside its child's allocation, one at a time per core
check_placement () { # SUMMARY CSV NODES CORES
    python3 - "$@" <<'PY'
import csv, json, sys
summary, jobs_csv, nodes, cores = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = json.load(open(summary))["nested"]
bad = []
def idset(text):
    out = set()
    for part in filter(None, text.split(",")):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out
inst = {}
seen = set()
for i in s["instances"]:
    ranks = set()
    for e in i["R"]["execution"]["R_lite"]:
        ranks |= idset(e["rank"])
    if ranks & seen:
        bad.append("instance %s shares ranks with another" % i["jobid"])
    seen |= ranks
    inst[i["jobid"]] = (i, sorted(ranks))
    if i["size"] != len(ranks):
        bad.append("instance %s: size %d, R has %d ranks" % (i["jobid"], i["size"], len(ranks)))
    if i["status"] != 0 or i["completed"] != i["jobs"] or i.get("listed") != i["jobs"]:
        bad.append("instance %s: status %s completed %s listed %s of %s" % (
            i["jobid"], i["status"], i["completed"], i.get("listed"), i["jobs"]))
    if i["parent_uri"] != "sim:/" or i["uri"] != "sim:/%s/" % i["jobid"]:
        bad.append("instance %s: uri %s parent %s" % (i["jobid"], i["uri"], i["parent_uri"]))
if s["parent_jobs"] != len(s["instances"]):
    bad.append("%d jobs in the top instance for %d children" % (s["parent_jobs"], len(s["instances"])))
busy = {}
rows = list(csv.DictReader(open(jobs_csv)))
if len(rows) != sum(i["jobs"] for i, _ in inst.values()):
    bad.append("%d rows for %d jobs" % (len(rows), sum(i["jobs"] for i, _ in inst.values())))
for r in rows:
    i, ranks = inst[r["instance"]]
    child = idset(r["child_ranks"])
    parent = idset(r["parent_ranks"])
    if not child or max(child) >= len(ranks) or parent != {ranks[c] for c in child}:
        bad.append("job %s of %s: child ranks %s, parent ranks %s" % (r["id"], r["instance"], child, parent))
    if not parent <= set(ranks):
        bad.append("job %s of %s: parent ranks %s outside %s" % (r["id"], r["instance"], parent, ranks))
    for e in json.loads(r["cores"]):
        for c in idset(e["children"]["core"]):
            if c >= cores:
                bad.append("job %s: core %d" % (r["id"], c))
            for k in idset(e["rank"]) & set(range(len(ranks))):
                busy.setdefault((ranks[k], c), []).append((float(r["start"]), float(r["end"]), r["id"]))
for key, spans in busy.items():
    spans.sort()
    for a, b in zip(spans, spans[1:]):
        if b[0] < a[1]:
            bad.append("rank %d core %d: jobs %s and %s at once" % (key[0], key[1], a[2], b[2]))
print("\n".join(bad) if bad else "ok: %d jobs in %d instances" % (len(rows), len(inst)))
sys.exit(1 if bad else 0)
PY
}
check_placement "$TMP/s0.json" "$TMP/j0.csv" 4 1 >"$TMP/p0" 2>&1
_report $? "2 children: each job inside its child's R, one job per core at a time" "$TMP/p0"

# uneven: 10 nodes of 2 cores in 3 children (4, 3, 3 nodes), 40 jobs of 1 core
hier --size 10 --cores 2 --children 3 --jobs 40 --duration 10 --policy easy \
    --summary-out "$TMP/s2.json" --jobs-out "$TMP/j2.csv" >"$TMP/o2" 2>"$TMP/e2"
_report $? "10 nodes of 2 cores, 3 children, 40 jobs" "$TMP/e2"
check_placement "$TMP/s2.json" "$TMP/j2.csv" 10 2 >"$TMP/p2" 2>&1
_report $? "3 children of 4, 3, 3 nodes: each job inside its child's R" "$TMP/p2"
python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["nested"]
print(sorted((i["size"], i["jobs"]) for i in s["instances"]))' "$TMP/s2.json" >"$TMP/sz2"
has "$TMP/sz2" '^\[\(3, 13\), \(3, 13\), \(4, 14\)\]$' "the nodes and jobs shared out as said"

# a child torn down at its job's time limit
hier --size 4 --children 2 --jobs 8 --duration 10 --latency 0 --time-limit 15 --mode nested \
    --summary-out "$TMP/s3.json" >"$TMP/o3" 2>"$TMP/e3"
_report $? "children with a time limit of 15 s" "$TMP/e3"
has "$TMP/o3" '^nested: 4 jobs done, makespan 15\.000000 s virtual.* 8 jobs listed inside them, 4 canceled' \
    "at 15 s the running jobs are canceled: 4 done, 4 canceled, the top jobs end at 15"
python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["nested"]
print(" ".join("%s:%s:%s" % (i["status"], i["canceled"], i["end"]) for i in s["instances"]))' \
    "$TMP/s3.json" >"$TMP/st3"
has "$TMP/st3" '^15:2:15\.0 15:2:15\.0$' "each child ends with SIGTERM at 15 s, its 2 running jobs canceled"

# a node of the job lost: the job fails at once (node-failure) and its child,
# left without its job, tears itself down; the replay goes on to its end,
# where a later job's child of 1 broker (no hop to boot) runs on rank 0
nest_job () { # NODES JOBS
    printf '{"version":1,"resources":[{"type":"node","count":%s,"with":[{"type":"slot","count":1,"label":"task","with":[{"type":"core","count":1}]}]}],"tasks":[{"command":["eddy","start"],"slot":"task","count":{"per_slot":1}}],"attributes":{"system":{"duration":0,"exec":{"test":{"nest":{"jobs":%s,"run":10}}}}}}' "$1" "$2"
}
{ echo "{\"id\": 1, \"submit\": 0, \"run\": 0, \"jobspec\": $(nest_job 2 8)}"
  echo "{\"id\": 2, \"submit\": 100, \"run\": 0, \"jobspec\": $(nest_job 1 2)}"; } >"$TMP/lost.jsonl"
timeout 60 eddy sim replay "$TMP/lost.jsonl" --nodes 2 --cores-per-node 1 --fault kill:1@5 \
    --jobs-out "$TMP/lost.csv" --quiet >"$TMP/olost" 2>&1
_report $? "a replay of nested jobs where rank 1 is killed at 5 s ends" "$TMP/olost"
csv_columns "$TMP/lost.csv" job_id end status >"$TMP/lost"
has "$TMP/lost" '^1 5\.0000[0-9]* killed$' "the job on it fails at 5 s (killed), its child torn down"
has "$TMP/lost" '^2 120 completed$' "a later job's child on the node left runs its 2 jobs, 10 s each: ends at 120"

# 16,384 virtual nodes: flat against 4 children (no timing assertion)
hier --size 16384 --children 4 --jobs 16384 --duration 10 --summary-out "$TMP/s4.json" \
    >"$TMP/o4" 2>"$TMP/e4"
_report $? "16,384 nodes, 4 children, 16,384 jobs" "$TMP/e4"
cat "$TMP/o4" "$TMP/e4" | sed 's/^/# /'
has "$TMP/o4" '^flat: 16384 jobs done' "flat: every job done"
has "$TMP/o4" '^nested: 16384 jobs done.*4 instances \(4 jobs in the top instance\), 16384 jobs listed' \
    "nested: every job done, 4 jobs in the top instance"

# bad input
fails "more children than nodes" hier --size 2 --children 3 --jobs 1
has "$TMP/out" 'eddy-sim: hierarchy: --children 3: more instances than the 2 nodes' "saying so"
fails "no --jobs" hier --size 2 --children 1
has "$TMP/out" 'required' "saying what is required"
fails "0 children" hier --size 2 --children 0 --jobs 1
fails "a job larger than a child" hier --size 4 --children 2 --jobs 1 --job-cores 3
fails "a bad mode" hier --size 4 --children 2 --jobs 1 --mode sideways
fails "a bad policy" hier --size 4 --children 2 --jobs 1 --policy lottery
fails "a negative duration" hier --size 4 --children 2 --jobs 1 --duration -1

# a real instance has no virtual children: the job fails, saying why
cat >"$TMP/real.sh" <<'SH'
eddy submit --wait -S exec.test.run_duration=1 -S 'exec.test.nest={"jobs":1,"run":1}' true
echo "wait rc=$?"
eddy jobs -a -n -o '{result} {exception.type} {exception.note}'
SH
(cd "$TMP" && timeout 60 eddy start sh real.sh) >"$TMP/real" 2>&1
_report $? "a real instance runs a job asking for a virtual child" "$TMP/real"
has "$TMP/real" '^wait rc=[1-9]' "the job fails"
has "$TMP/real" '^FAILED exec attributes\.system\.exec\.test\.nest: nested instances without processes run only in the simulator' \
    "with an exec exception saying it needs the simulator"

finish
