#!/usr/bin/env bash
# eddy sim replay: a real trace under both policies, twice with one seed
# (identical results), and bad traces refused with a clear message.
. "$(dirname "$0")/lib.sh"

traces="${EDDY_TRACES:-$EDDY_SRCDIR/../shared/traces}"
trace="$EDDY_SRCDIR/traces/samples/KTH-SP2-1996-2.1-cln-head2000.swf"
for pol in fcfs easy; do
    for i in 1 2; do
        eddy sim replay "$trace" --policy $pol --jobs-out "$TMP/$pol.$i.csv" \
            --summary-out "$TMP/$pol.$i.json" >"$TMP/$pol.$i.out" 2>"$TMP/$pol.$i.err"
        _report $? "replay of $(basename $trace) under $pol (run $i)" "$TMP/$pol.$i.err"
    done
    cmp -s "$TMP/$pol.1.csv" "$TMP/$pol.2.csv"; _report $? "$pol: identical job CSVs" "$TMP/$pol.2.csv"
    cmp -s "$TMP/$pol.1.out" "$TMP/$pol.2.out"; _report $? "$pol: identical stdout summaries" "$TMP/$pol.2.out"
    grep -v wall_seconds "$TMP/$pol.1.json" >"$TMP/a.json"; grep -v wall_seconds "$TMP/$pol.2.json" >"$TMP/b.json"
    cmp -s "$TMP/a.json" "$TMP/b.json"; _report $? "$pol: identical summary JSON but for wall_seconds" "$TMP/b.json"
    has "$TMP/$pol.1.csv" '^job_id,user,group,queue,submit,start,end,wait,run,req,procs,nodes,status,bsld,attempts,lost_node_seconds,redone_proc_seconds$' "$pol: the CSV header"
done
printf '; MaxProcs: 4\n1 0 0 10 2 -1 -1 2 10 -1 1 1 1 1 1 1 -1 -1\n2 0 0 10\n' >"$TMP/short.swf"
eddy sim replay "$TMP/short.swf" 2>"$TMP/e1"; has "$TMP/e1" '^eddy-sim: replay: .*line 3' "a short trace line is refused, naming the line"
fails "a missing trace" eddy sim replay "$TMP/nosuch.swf"
fails "an unknown policy" eddy sim replay "$trace" --policy lottery

# Absurd values: refused within 20 s, naming the line and the limit, never
# a replay that runs for hours or builds a machine of 10^14 processors.
# refused WHAT PATTERN ARGS...: eddy sim replay ARGS fails, saying PATTERN
refused () {
    local what=$1 pat=$2; shift 2
    timeout 20 eddy sim replay "$@" >"$TMP/out" 2>&1
    local rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -Eq -- "$pat" "$TMP/out"
    _report $? "$what (exit $rc)" "$TMP/out"
}
# swf NAME HEADER JOB: a trace of one good job (line 2) and JOB (line 3)
swf () {
    printf '%s\n1 0 0 10 2 -1 -1 2 10 -1 1 1 1 1 1 1 -1 -1\n%s\n' "$2" "$3" >"$TMP/$1.swf"
}
tail='-1 -1 2 10 -1 1 1 1 1 1 1 -1 -1'
swf submit4e9 '; MaxProcs: 4' "2 4000000000 0 10 2 $tail"
refused "a submit time of 4e9 s is refused" \
    'line 3: field 2 \(submit\) = 4000000000 is beyond the limit 536870911 s' "$TMP/submit4e9.swf"
swf submitmax '; MaxProcs: 4' "2 9223372036854775807 0 10 2 $tail"
refused "a submit time of 2^63-1 s is refused" \
    'line 3: field 2 \(submit\) = 9223372036854775807 is beyond' "$TMP/submitmax.swf"
swf runmax '; MaxProcs: 4' "2 0 0 9223372036854775807 2 $tail"
refused "a run time of 2^63-1 s is refused" \
    'line 3: field 4 \(run\) = 9223372036854775807 is beyond the limit 2147483647 s' "$TMP/runmax.swf"
swf reqmax '; MaxProcs: 4' "2 0 0 10 2 -1 -1 2 9223372036854775807 -1 1 1 1 1 1 1 -1 -1"
refused "a requested time of 2^63-1 s is refused" \
    'line 3: field 9 \(req\) = 9223372036854775807 is beyond' "$TMP/reqmax.swf"
swf overflow '; MaxProcs: 4' "2 0 0 99999999999999999999 2 $tail"
refused "a number past 64 bits is refused" \
    "line 3: field 4: '99999999999999999999' does not fit in 64 bits" "$TMP/overflow.swf"
swf maxprocs '; MaxProcs: 99999999999999' "2 0 0 10 2 $tail"
refused "MaxProcs 99999999999999 is refused" \
    'line 1: MaxProcs = 99999999999999 is beyond the limit 16777216' "$TMP/maxprocs.swf"
swf nodes16m '; MaxProcs: 16000000' "2 0 0 10 2 $tail"
refused "a header machine of 16 M one-core nodes is refused" \
    '16000000 nodes x 1 cores; at most 1048576 nodes' "$TMP/nodes16m.swf"
refused "--cores-per-node above 65536 is refused" \
    '^eddy-sim: --cores-per-node: at most 65536$' "$TMP/short.swf" --nodes 1 --cores-per-node 65537
refused "--nodes above 2^20 is refused" \
    '^eddy-sim: --nodes: at most 1048576$' "$TMP/short.swf" --nodes 1048577
swf good '; MaxProcs: 4' "2 5 0 10 2 $tail"
refused "a machine above 2^24 processors is refused" \
    'a machine of 33554432 processors is beyond the limit 16777216' \
    "$TMP/good.swf" --nodes 512 --cores-per-node 65536

# A job asking for 2^63-1 processors is skipped as procs > P; idle virtual
# time is free: a trace starting 31.7 M s in, with a 16-year gap, replays
# at once on 4,096 virtual nodes.
printf '; MaxProcs: 4096\n; MaxNodes: 4096\n%s\n%s\n%s\n' \
    "2 31700000 0 10 -1 -1 -1 9223372036854775807 10 -1 1 1 1 1 1 1 -1 -1" \
    "3 31700000 0 10 2 $tail" "4 536870911 0 10 4 -1 -1 4 10 -1 1 1 1 1 1 1 -1 -1" >"$TMP/late.swf"
timeout 20 eddy sim replay "$TMP/late.swf" >"$TMP/late.out" 2>"$TMP/late.err"
_report $? "a trace with a late start and a 16-year gap replays within 20 s" "$TMP/late.err"
has "$TMP/late.out" '^jobs 2, skipped: procs<=0 0, procs>P 1, run<0 0' "2^63-1 processors: skipped as procs>P"
has "$TMP/late.out" '^makespan 505170921 s, .*, virtual 536870921 s' "the results are in trace time"
finish
