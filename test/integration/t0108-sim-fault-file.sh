#!/usr/bin/env bash
# Failures in replay (eddy sim replay --faults, --requeue, --mtbf/--mttr),
# schedules worked out by hand.  Four nodes of one core, kary:2 (rank 3
# below rank 1), fcfs, latency 0; five jobs of one core for 100 s, all
# submitted at 0: jobs 1-4 start at 0 on ranks 0-3, job 5 waits.
#  - rank 3 down at 30, up at 50: job 4 is killed at 30 (node-failure);
#    rank 3's new broker rejoins at 50 and job 5 starts there (50-150).
#  - the same with --requeue: job 4 is submitted again at 30, behind job
#    5; at 50 job 5 takes rank 3; at 100 ranks 0-2 are free and job 4 runs
#    its whole 100 s again, 100-200: 2 attempts, 30 node-s lost, 30 redone.
#  - an interior rank (1) down and up: its subtree (rank 3) is lost with
#    it, jobs 2 and 4 are killed, both ranks rejoin at 50.
#  - drain and undrain (resource.drain): ranks 1-3 drained at 0, rank 3
#    undrained at 50: three 10 s jobs at 5 run one after another on rank
#    0 (5, 15, 25), and a 2-core job submitted at 40 starts at 50.
#  - --mtbf/--mttr: one seed, one output; the summary's killed count is
#    the CSV's.
#  - bad fault files are refused, naming the line.
. "$(dirname "$0")/lib.sh"

swf_head () { printf '; MaxProcs: 4\n; MaxNodes: 4\n'; }
job () { # ID SUBMIT RUN PROCS
    echo "$1 $2 -1 $3 $4 -1 -1 $4 $3 -1 1 1 1 -1 1 -1 -1 -1"
}
{ swf_head; for i in 1 2 3 4 5; do job $i 0 100 1; done; } >"$TMP/five.swf"
replay () { # TRACE CSV ARG...
    local t=$1 csv=$2; shift 2
    timeout 60 eddy sim replay "$t" --latency 0 --jobs-out "$csv" --quiet "$@"
}
schedule () { csv_columns "$1" job_id start end status attempts lost_node_seconds redone_proc_seconds; }

printf 'time,nodes,event,reason\n30,3,down,power supply\n50,3,up,"repaired, tested"\n' >"$TMP/leaf.csv"

# ---- a leaf down and up, no requeue ----
replay "$TMP/five.swf" "$TMP/a.csv" --faults "$TMP/leaf.csv" --summary-out "$TMP/a.json" >"$TMP/a.out" 2>&1
_report $? "rank 3 down at 30, up at 50: the replay ends" "$TMP/a.out"
cat >"$TMP/a.want" <<'W'
1 0 100 completed 1 0 0
2 0 100 completed 1 0 0
3 0 100 completed 1 0 0
4 0 30 killed 1 30 0
5 50 150 completed 1 0 0
W
schedule "$TMP/a.csv" >"$TMP/a.got"
diff "$TMP/a.want" "$TMP/a.got" >"$TMP/a.diff"
_report $? "job 4 killed at 30; job 5 runs on the restarted rank from 50" "$TMP/a.diff"
jq -e '.faults.killed == 1 and .faults.restarts == 1 and .faults.requeued == 0
       and (.faults.lost_node_hours * 3600 | . > 29.999 and . < 30.001)
       and .inputs.faults == ["kill:3@30", "restart:3@50"]' "$TMP/a.json" >"$TMP/a.jq" 2>&1
_report $? "summary: 1 killed, 30 node-seconds lost, 1 restart, the faults as read" "$TMP/a.jq"
has "$TMP/a.out" '^faults 2: killed jobs 1 \(attempts 1, requeued 0\)' "stdout: the fault line"

# ---- the same with --requeue ----
replay "$TMP/five.swf" "$TMP/b.csv" --faults "$TMP/leaf.csv" --requeue --summary-out "$TMP/b.json" >"$TMP/b.out" 2>&1
_report $? "--requeue: the replay ends" "$TMP/b.out"
cat >"$TMP/b.want" <<'W'
1 0 100 completed 1 0 0
2 0 100 completed 1 0 0
3 0 100 completed 1 0 0
4 100 200 completed 2 30 30
5 50 150 completed 1 0 0
W
schedule "$TMP/b.csv" >"$TMP/b.got"
diff "$TMP/b.want" "$TMP/b.got" >"$TMP/b.diff"
_report $? "--requeue: job 4 runs again 100-200 (2 attempts, 30 s lost and redone)" "$TMP/b.diff"
jq -e '.faults.killed == 1 and .faults.requeued == 1 and .makespan == 200
       and (.faults.redone_proc_hours * 3600 | . > 29.999 and . < 30.001)' "$TMP/b.json" >"$TMP/b.jq" 2>&1
_report $? "--requeue summary: 1 requeued, 30 processor-seconds redone, makespan 200" "$TMP/b.jq"

# ---- an interior rank: its subtree goes and comes back with it ----
replay "$TMP/five.swf" "$TMP/c.csv" --fault kill:1@30 --fault restart:1@50 >"$TMP/c.out" 2>&1
_report $? "--fault kill:1@30 restart:1@50: the replay ends" "$TMP/c.out"
cat >"$TMP/c.want" <<'W'
1 0 100 completed 1 0 0
2 0 30 killed 1 30 0
3 0 100 completed 1 0 0
4 0 30 killed 1 30 0
5 50 150 completed 1 0 0
W
schedule "$TMP/c.csv" >"$TMP/c.got"
diff "$TMP/c.want" "$TMP/c.got" >"$TMP/c.diff"
_report $? "rank 1 and its child 3 are lost at 30 (jobs 2, 4) and rejoin at 50 (job 5)" "$TMP/c.diff"
# without the restart, job 5 waits for a rank that never comes back... but
# ranks 0 and 2 free up at 100: it runs then
replay "$TMP/five.swf" "$TMP/c2.csv" --fault kill:1@30 >"$TMP/c2.out" 2>&1
csv_columns "$TMP/c2.csv" job_id start | awk '$1 == 5' >"$TMP/c2.got"
[ "$(cat "$TMP/c2.got")" = "5 100" ]; _report $? "without the restart job 5 waits until 100" "$TMP/c2.got"

# ---- drain and undrain ----
{ swf_head; job 1 5 10 1; job 2 5 10 1; job 3 5 10 1; job 4 40 100 2; } >"$TMP/dr.swf"
printf '0,1-3,drain,maintenance window\n50,3,undrain,\n' >"$TMP/dr.csv"
replay "$TMP/dr.swf" "$TMP/d.csv" --faults "$TMP/dr.csv" >"$TMP/d.out" 2>&1
_report $? "drain 1-3 at 0, undrain 3 at 50: the replay ends" "$TMP/d.out"
csv_columns "$TMP/d.csv" job_id start end status >"$TMP/d.got"
printf '1 5 15 completed\n2 15 25 completed\n3 25 35 completed\n4 50 150 completed\n' >"$TMP/d.want"
diff "$TMP/d.want" "$TMP/d.got" >"$TMP/d.diff"
_report $? "drained ranks take no job; the undrained one does from 50" "$TMP/d.diff"
# a hostlist of --machine's node names
cat >"$TMP/m.json" <<'R'
{"version": 1, "execution": {"R_lite": [{"rank": "0-3", "children": {"core": "0"}}],
 "nodelist": ["n[0-3]"], "starttime": 0, "expiration": 0}}
R
printf '30,n3,down,psu\n50,n3,up,\n' >"$TMP/host.csv"
timeout 60 eddy sim replay "$TMP/five.swf" --machine "$TMP/m.json" --latency 0 --faults "$TMP/host.csv" \
    --jobs-out "$TMP/h.csv" --quiet >"$TMP/h.out" 2>&1
schedule "$TMP/h.csv" >"$TMP/h.got"
diff "$TMP/a.want" "$TMP/h.got" >"$TMP/h.diff"
_report $? "nodes as a hostlist of the machine's names: the same schedule" "$TMP/h.diff"

# ---- failures drawn from --mtbf/--mttr ----
KTH="$EDDY_SRCDIR/traces/samples/KTH-SP2-1996-2.1-cln-head2000.swf"
for k in 1 2; do
    timeout 120 eddy sim replay "$KTH" --jobs 200 --mtbf 300000 --mttr 3600 --requeue --seed 7 \
        --jobs-out "$TMP/m$k.csv" --summary-out "$TMP/m$k.json" --quiet >"$TMP/m$k.out" 2>&1
done
_report $? "--mtbf 300000 --mttr 3600 --requeue: the replay ends" "$TMP/m2.out"
cmp "$TMP/m1.out" "$TMP/m2.out" >"$TMP/m.cmp" 2>&1 && cmp "$TMP/m1.csv" "$TMP/m2.csv" >>"$TMP/m.cmp" 2>&1
_report $? "one seed, the same failures and schedule" "$TMP/m.cmp"
killed=$(awk -F, 'NR > 1 && $16 > 0' "$TMP/m1.csv" | wc -l)
jq -e --argjson k "$killed" '.faults.killed == $k and $k > 0 and (.inputs.faults | length) > 0
    and ([.inputs.faults[] | select (startswith ("kill:"))] | length)
        == ([.inputs.faults[] | select (startswith ("restart:"))] | length)' "$TMP/m1.json" >"$TMP/m.jq" 2>&1
_report $? "the summary's killed jobs ($killed) are the CSV's; a restart per failure" "$TMP/m.jq"
awk -F, 'NR > 1 && $13 != "completed"' "$TMP/m1.csv" >"$TMP/m.left"
[ ! -s "$TMP/m.left" ]; _report $? "with --requeue every job completes in the end" "$TMP/m.left"

# ---- eddy sim compare -f with a fault file and requeue ----
timeout 120 eddy sim compare "$TMP/five.swf" -o "$TMP/grid" -p fcfs -f none -f "file=$TMP/leaf.csv,requeue" \
    -a --latency=0 -j 2 --local >"$TMP/g.out" 2>&1
_report $? "compare -f file=FAULTS.csv,requeue: the grid runs" "$TMP/g.out"
python3 - "$TMP/grid/combined.csv" >"$TMP/g.py" 2>&1 <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["killed"] for r in rows] == ["0", "1"], rows
assert abs(float(rows[1]["lost_node_hours"]) * 3600 - 30) < 1e-6, rows[1]
assert float(rows[1]["makespan"]) == 200, rows[1]
PY
_report $? "compare: the requeued run counts 1 killed job, 30 node-seconds, makespan 200" "$TMP/g.py"

# ---- bad input ----
bad () { # WHAT FILE-CONTENT PATTERN
    printf "$2" >"$TMP/bad.csv"
    fails "$1" eddy sim replay "$TMP/five.swf" --faults "$TMP/bad.csv"
    has "$TMP/out" "$3" "$1: says why"
}
bad "a rank beyond the machine" '10,9,down,x\n' "bad.csv:1: '9': the ranks are 0-3"
bad "an unknown event" '10,1,sideways,x\n' "bad.csv:1: event 'sideways' is not down, up, drain or undrain"
bad "a time that is not one" 'soon,1,down,x\n' "bad.csv:1: 'soon' is not a trace time"
bad "a short line" '# comment\n10,1\n' "bad.csv:2: not time,nodes,event"
bad "host names without --machine" '10,n1,down,x\n' "names no node of the machine"
bad "rank 0 up" '10,0,up,x\n' "rank 0 cannot come up again"
fails "--faults of a missing file" eddy sim replay "$TMP/five.swf" --faults "$TMP/none.csv"
has "$TMP/out" "none.csv: No such file" "names the file"
fails "--mtbf without --mttr" eddy sim replay "$TMP/five.swf" --mtbf 100
fails "--fault restart of rank 0" eddy sim replay "$TMP/five.swf" --fault restart:0@10
finish
