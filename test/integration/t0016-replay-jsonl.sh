#!/usr/bin/env bash
# eddy sim replay of a JSONL jobspec workload on a --machine R file:
# jobs with nodes, cores and GPUs, their CSV columns, bad lines refused
# with the line number.
. "$(dirname "$0")/lib.sh"

# 2 nodes of 4 cores, 1 node of 8 cores and 2 GPUs
cat >"$TMP/machine.json" <<'R'
{"version": 1, "execution": {"R_lite": [{"rank": "0-1", "children": {"core": "0-3"}},
 {"rank": "2", "children": {"core": "0-7", "gpu": "0-1"}}], "nodelist": ["n[0-2]"],
 "starttime": 0, "expiration": 0}}
R

# jobspec NODES SLOTS CORES GPUS DURATION EXCLUSIVE (NODES 0: no node level)
jobspec () {
    local ex="" gpu="" slot
    [ "$6" = 1 ] && ex=',"exclusive":true'
    [ "$4" -gt 0 ] && gpu=",{\"type\":\"gpu\",\"count\":$4}"
    slot="{\"type\":\"slot\",\"count\":$2,\"label\":\"task\",\"with\":[{\"type\":\"core\",\"count\":$3}$gpu]}"
    [ "$1" -gt 0 ] && slot="{\"type\":\"node\",\"count\":$1$ex,\"with\":[$slot]}"
    printf '{"version":1,"resources":[%s],"tasks":[{"command":["x"],"slot":"task","count":{"per_slot":1}}],"attributes":{"system":{"duration":%s}}}' "$slot" "$5"
}

{
    echo "{\"id\": 1, \"submit\": 0, \"run\": 100, \"user\": 7, \"jobspec\": $(jobspec 0 4 1 0 100 0)}"
    echo
    echo "{\"id\": 2, \"submit\": 0, \"run\": 50, \"jobspec\": $(jobspec 1 1 2 1 50 0)}"
    # two whole nodes of 8 cores: only one node has them, never fits
    echo "{\"id\": 3, \"submit\": 1, \"jobspec\": $(jobspec 2 2 4 0 30 1)}"
    # one slot of 3 cores on each of 2 nodes (slot counts are per node)
    echo "{\"id\": 4, \"submit\": 2, \"run\": 10, \"jobspec\": $(jobspec 2 1 3 0 20 0)}"
} >"$TMP/w.jsonl"

eddy sim replay "$TMP/w.jsonl" --machine "$TMP/machine.json" --latency 0 \
    --jobs-out "$TMP/j.csv" --summary-out "$TMP/s.json" --quiet >"$TMP/out" 2>"$TMP/err"
_report $? "a JSONL workload replays on a --machine R" "$TMP/err"
has "$TMP/out" 'machine .*: 3 nodes, 16 cores, 2 gpus' "stdout names the machine"
has "$TMP/j.csv" '^1,7,-1,-1,0,0,100,0,100,100,4,1,completed,1,1,0,0$' "job 1: 4 cores on one node, user 7"
has "$TMP/j.csv" '^2,-1,-1,-1,0,0,50,0,50,50,2,1,completed,1,1,0,0$' "job 2: 2 cores + 1 gpu on the gpu node"
has "$TMP/j.csv" '^3,-1,-1,-1,1,,,,,30,16,,denied,,0,0,0$' "job 3: two whole 8-core nodes are denied"
has "$TMP/j.csv" '^4,-1,-1,-1,2,2,12,0,10,20,6,2,completed,1,1,0,0$' "job 4: 6 cores on 2 nodes"
has "$TMP/s.json" '"format": "jsonl"' "the summary names the format"

# --format overrides the extension; bad lines name the line
cp "$TMP/w.jsonl" "$TMP/w.txt"
ok "--format jsonl" eddy sim replay "$TMP/w.txt" --format jsonl --machine "$TMP/machine.json" --quiet
printf '{"submit": 0, "jobspec": %s}\n\n{"submit": -4, "jobspec": %s}\n' \
    "$(jobspec 0 1 1 0 10 0)" "$(jobspec 0 1 1 0 10 0)" >"$TMP/bad.jsonl"
eddy sim replay "$TMP/bad.jsonl" --machine "$TMP/machine.json" --quiet 2>"$TMP/e1"
has "$TMP/e1" 'line 3: submit: must be' "a bad line is refused, naming the line and the field"
fails "a JSONL workload without a machine" eddy sim replay "$TMP/w.jsonl" --quiet
fails "--machine with --nodes" eddy sim replay "$TMP/w.jsonl" --machine "$TMP/machine.json" --nodes 2
echo '{"version": 1, "execution": {"R_lite": [{"rank": "1-2", "children": {"core": "0"}}]}}' >"$TMP/gap.json"
fails "a machine whose ranks do not start at 0" eddy sim replay "$TMP/w.jsonl" --machine "$TMP/gap.json"
# easy plans with the jobs' shapes (policy ABI 2 pools), worked by hand:
# t=0  1 (4 cores) on n0 until 100; 2 (4 cores + 1 gpu) on n2 until 50.
# t=1  3 wants 8 cores on one node: 8 cores are free (n1 4, n2 4) but
#      only n2 can hold it, at 50 when 2 ends: S = 50.  The spare pool at
#      S, E = n1 (4 cores) + n2's 2 gpus.
# t=2  4 (4 cores, req 200) ends after S but fits E: starts now, on n1.
# t=3  5 (2 cores, req 100) fits now on n2, but n2 is 3's at 50 and E has
#      no core left: it waits (counts would have started it, delaying 3).
# t=50 2 ends: 3 starts on n2.  t=100 1 ends: 5 starts on n0.
{
    echo "{\"id\": 1, \"submit\": 0, \"run\": 100, \"jobspec\": $(jobspec 1 1 4 0 100 0)}"
    echo "{\"id\": 2, \"submit\": 0, \"run\": 50, \"jobspec\": $(jobspec 1 1 4 1 50 0)}"
    echo "{\"id\": 3, \"submit\": 1, \"run\": 100, \"jobspec\": $(jobspec 1 1 8 0 100 0)}"
    echo "{\"id\": 4, \"submit\": 2, \"run\": 200, \"jobspec\": $(jobspec 1 1 4 0 200 0)}"
    echo "{\"id\": 5, \"submit\": 3, \"run\": 100, \"jobspec\": $(jobspec 1 1 2 0 100 0)}"
} >"$TMP/easy.jsonl"
eddy sim replay "$TMP/easy.jsonl" --machine "$TMP/machine.json" --policy easy --latency 0 \
    --jobs-out "$TMP/e.csv" --quiet >"$TMP/e.out" 2>"$TMP/e.err"
_report $? "easy replays a shaped workload" "$TMP/e.err"
cut -d, -f1,5,6,7 "$TMP/e.csv" >"$TMP/e.got"
printf 'job_id,submit,start,end\n1,0,0,100\n2,0,0,50\n3,1,50,150\n4,2,2,202\n5,3,100,200\n' >"$TMP/e.want"
cmp -s "$TMP/e.got" "$TMP/e.want"; _report $? "easy with shapes: the start times worked by hand" "$TMP/e.got"
# conservative plans every queued job with shapes (a profile of pools),
# worked by hand; [n0 n1 n2] below is what is free on each node:
# t=0  1 (4 cores) on n0 until 100; 2 (4 cores + 1 gpu) on n2 until 50.
# t=1  3 (a whole 8-core node) can only have n2, idle from 50: reserved
#      n2 over [50, 150).
# t=2  4 (4 cores, req 200): n1 is free over all of [2, 202): starts.
# t=3  5 (2 cores, req 100) fits n2 now but not beyond 50 (3's); nothing
#      is free at 50; n0 from 100: reserved n0 over [100, 200).
# t=4  6 (2 cores, req 40) ends by 44 < 50: starts on n2.
# t=6  7 (2 cores, req 150): n2 is 3's at 50, n0 has 2 cores beside 5
#      over [100, 250): reserved there.
# t=7  8 (1 core + 1 gpu, req 30): n2's last 2 cores and gpu until 37,
#      before 3: starts.
# t=8  9 (1 core + 1 gpu, req 60): no interval [t, t + 60) on n2 before
#      50; from 150 (3 ends): reserved n2 over [150, 210).
# t=37, 44: 8 and 6 end; 9 still cannot finish by 50.  t=50: 3 starts.
# t=100: 1 ends: 5 and 7 start on n0.  t=150: 3 ends: 9 starts.
{
    echo "{\"id\": 1, \"submit\": 0, \"run\": 100, \"jobspec\": $(jobspec 1 1 4 0 100 0)}"
    echo "{\"id\": 2, \"submit\": 0, \"run\": 50, \"jobspec\": $(jobspec 1 1 4 1 50 0)}"
    echo "{\"id\": 3, \"submit\": 1, \"run\": 100, \"jobspec\": $(jobspec 1 1 8 0 100 1)}"
    echo "{\"id\": 4, \"submit\": 2, \"run\": 200, \"jobspec\": $(jobspec 1 1 4 0 200 0)}"
    echo "{\"id\": 5, \"submit\": 3, \"run\": 100, \"jobspec\": $(jobspec 1 1 2 0 100 0)}"
    echo "{\"id\": 6, \"submit\": 4, \"run\": 40, \"jobspec\": $(jobspec 1 1 2 0 40 0)}"
    echo "{\"id\": 7, \"submit\": 6, \"run\": 150, \"jobspec\": $(jobspec 1 1 2 0 150 0)}"
    echo "{\"id\": 8, \"submit\": 7, \"run\": 30, \"jobspec\": $(jobspec 1 1 1 1 30 0)}"
    echo "{\"id\": 9, \"submit\": 8, \"run\": 60, \"jobspec\": $(jobspec 1 1 1 1 60 0)}"
} >"$TMP/cons.jsonl"
eddy sim replay "$TMP/cons.jsonl" --machine "$TMP/machine.json" --policy conservative \
    --latency 0 --jobs-out "$TMP/c.csv" --quiet >"$TMP/c.out" 2>"$TMP/c.err"
_report $? "conservative replays a shaped workload" "$TMP/c.err"
cut -d, -f1,5,6,7 "$TMP/c.csv" >"$TMP/c.got"
printf 'job_id,submit,start,end\n1,0,0,100\n2,0,0,50\n3,1,50,150\n4,2,2,202\n5,3,100,200\n6,4,4,44\n7,6,100,250\n8,7,7,37\n9,8,150,210\n' >"$TMP/c.want"
cmp -s "$TMP/c.got" "$TMP/c.want"; _report $? "conservative with shapes: the start times worked by hand" "$TMP/c.got"
finish
