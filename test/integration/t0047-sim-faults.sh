#!/usr/bin/env bash
# The lost-rank cases of t0046 in the simulator, checked by the same code
# (faults.sh): eddy sim replay of the same jobs on the same machine (8
# nodes of 2 cores, kary:2) with a fault injected while they run.
#  - cut the link of a leaf (rank 6), then of an interior rank (rank 1,
#    over 3, 4 and 7), at trace time 10, healed at 100: lost at the
#    keepalive timeout (10 s), the jobs there fail with node-failure, the
#    others complete, the ranks rejoin and the 8-node job of time 200 runs;
#  - kill rank 6 (its links drop, as after kill -9): lost one latency later;
#    never back, so the 8-node job of time 200 cannot run: the replay says
#    it stalled and fails;
#  - a malformed or impossible --fault is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

cat >"$TMP/machine.json" <<'R'
{"version": 1, "execution": {"R_lite": [{"rank": "0-7", "children": {"core": "0-1"}}],
 "nodelist": ["node[0-7]"], "starttime": 0, "expiration": 0}}
R
jobspec () { # NODES DURATION: one task of one core on each of NODES nodes
    printf '{"version":1,"resources":[{"type":"node","count":%s,"with":[{"type":"slot","count":1,"label":"task","with":[{"type":"core","count":1}]}]}],"tasks":[{"command":["x"],"slot":"task","count":{"per_slot":1}}],"attributes":{"system":{"duration":%s}}}' "$1" "$2"
}
workload () { # [full]: the 8-node job (id 1), a 1-node job per rank (2-9), then job 10
    echo "{\"id\": 1, \"submit\": 0, \"run\": 300, \"jobspec\": $(jobspec 8 400)}"
    for i in $(seq 2 9); do echo "{\"id\": $i, \"submit\": 1, \"run\": 40, \"jobspec\": $(jobspec 1 100)}"; done
    [ "${1:-}" = full ] && echo "{\"id\": 10, \"submit\": 200, \"run\": 10, \"jobspec\": $(jobspec 8 100)}"
    return 0
}
workload full >"$TMP/full.jsonl"
workload >"$TMP/part.jsonl"

# the jobs CSV as faults_check lines: job 1 wide, 2-9 one, 10 full
outcomes () {
    csv_columns "$1" job_id status | awk '{
        role = $1 == 1 ? "wide" : $1 == 10 ? "full" : "one"
        print role, $2 }'
}
replay () { # WORKLOAD CSV FAULT...
    local w=$1 csv=$2; shift 2
    local args=() f
    for f in "$@"; do args+=(--fault "$f"); done
    timeout 60 eddy sim replay "$w" --machine "$TMP/machine.json" "${args[@]}" \
        --jobs-out "$csv" --quiet
}

# leaf and interior rank, cut then healed
n=0
for case in "6 1" "1 4"; do
    set -- $case
    n=$((n + 1))
    replay "$TMP/full.jsonl" "$TMP/j$n.csv" "cut:$1@10" "heal:$1@100" >"$TMP/out$n" 2>&1
    _report $? "rank $1 cut at 10 and healed at 100: the replay ends" "$TMP/out$n"
    outcomes "$TMP/j$n.csv" >"$TMP/o$n"
    faults_check "sim, rank $1 cut" "$TMP/o$n" "$2"
    # lost at the keepalive timeout: the failed jobs end at 10 + 10 s
    csv_columns "$TMP/j$n.csv" job_id end status | awk '$3 == "killed" && ($2 < 20 || $2 > 21)' >"$TMP/late$n"
    [ ! -s "$TMP/late$n" ]; _report $? "the failed jobs end at the keepalive timeout (10 s after the cut)" "$TMP/late$n"
done

# kill: lost at once; without the full job, the replay completes
replay "$TMP/part.jsonl" "$TMP/k.csv" "kill:6@10" >"$TMP/outk" 2>&1
_report $? "rank 6 killed at 10: the replay ends" "$TMP/outk"
outcomes "$TMP/k.csv" >"$TMP/ok"
faults_check "sim, rank 6 killed" "$TMP/ok" 1
csv_columns "$TMP/k.csv" job_id end status | awk '$3 == "killed" && ($2 < 10 || $2 > 10.01)' >"$TMP/latek"
[ ! -s "$TMP/latek" ]; _report $? "the failed jobs end within a latency of the kill" "$TMP/latek"
# ...with it, the 8-node job waits for rank 6 for ever: a stall, said so
replay "$TMP/full.jsonl" "$TMP/k2.csv" "kill:6@10" >"$TMP/outk2" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ]; _report $? "rank 6 killed, never back: the replay fails (exit $rc)" "$TMP/outk2"
has "$TMP/outk2" 'stalled with 9 of 10 jobs done.*ranks that are down' "saying it stalled, and why"

# the summary's inputs name the faults, as given
timeout 60 eddy sim replay "$TMP/full.jsonl" --machine "$TMP/machine.json" --fault cut:6@10 \
    --fault heal:6@100 --summary-out "$TMP/s.json" --quiet >/dev/null 2>&1
tr -d ' \n' <"$TMP/s.json" >"$TMP/s1"
has "$TMP/s1" '"faults":\["cut:6@10","heal:6@100"\]' "the summary's inputs list the faults"

# bad faults
fails "--fault without a rank" eddy sim replay "$TMP/part.jsonl" --machine "$TMP/machine.json" --fault cut@10
has "$TMP/out" "is not KIND:RANK@T" "names the expected form"
fails "--fault of rank 8 of 8" eddy sim replay "$TMP/part.jsonl" --machine "$TMP/machine.json" --fault kill:8@1
has "$TMP/out" "rank 8 is not a rank of the 8 brokers" "names the rank"
fails "--fault cut of rank 0" eddy sim replay "$TMP/part.jsonl" --machine "$TMP/machine.json" --fault cut:0@1
fails "--fault reboot" eddy sim replay "$TMP/part.jsonl" --machine "$TMP/machine.json" --fault reboot:3@1
finish
