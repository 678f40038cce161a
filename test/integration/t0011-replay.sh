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
    has "$TMP/$pol.1.csv" '^job_id,user,group,queue,submit,start,end,wait,run,req,procs,nodes,status,bsld$' "$pol: the CSV header"
done
printf '; MaxProcs: 4\n1 0 0 10 2 -1 -1 2 10 -1 1 1 1 1 1 1 -1 -1\n2 0 0 10\n' >"$TMP/short.swf"
eddy sim replay "$TMP/short.swf" 2>"$TMP/e1"; has "$TMP/e1" '^eddy-sim: replay: .*line 3' "a short trace line is refused, naming the line"
fails "a missing trace" eddy sim replay "$TMP/nosuch.swf"
fails "an unknown policy" eddy sim replay "$trace" --policy lottery
finish
