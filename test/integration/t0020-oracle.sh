#!/usr/bin/env bash
# eddy sim replay at --latency 0 against the independent oracle
# (test/oracle/swfsim.py, written from DESIGN.md's text and sharing no code
# with sched/ or sim/): every start time equal, job for job, on two slices
# of every shared trace (its first jobs and jobs from its middle) under
# fcfs, easy and conservative.
. "$(dirname "$0")/lib.sh"

traces="${EDDY_TRACES:-$EDDY_SRCDIR/../shared/traces}"
oracle="$EDDY_SRCDIR/test/oracle/swfsim.py"
compare="$EDDY_SRCDIR/test/oracle/compare-starts.py"
slice=${EDDY_ORACLE_SLICE:-1500}

# slice TRACE FIRST COUNT OUT: the header and COUNT job lines from the
# FIRST-th (1-based), as a trace of its own
make_slice () {
    zcat -f "$1" | awk -v first="$2" -v count="$3" '
        /^[ \t]*;/ { print; next }
        NF == 0 { next }
        { n++; if (n >= first && n < first + count) print; if (n >= first + count) exit }' >"$4"
}

found=0
for t in "$traces"/*.swf.gz "$traces"/*.swf; do
    [ -f "$t" ] || continue
    found=$((found + 1))
    name=$(basename "$t"); name=${name%.gz}; name=${name%.swf}
    total=$(zcat -f "$t" | grep -cv '^[[:space:]]*;')
    for where in head middle; do
        first=1
        [ $where = middle ] && first=$((total / 2))
        s="$TMP/$name.$where.swf"
        make_slice "$t" $first $slice "$s"
        for pol in fcfs easy conservative; do
            base="$TMP/$name.$where.$pol"
            eddy sim replay "$s" --policy $pol --latency 0 --jobs-out "$base.eddy.csv" \
                --summary-out "$base.json" >"$base.out" 2>&1
            _report $? "$name $where: eddy replays under $pol" "$base.out"
            P=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["procs"])' "$base.json" 2>/dev/null)
            python3 "$oracle" "$s" --policy $pol -P "${P:-0}" --out "$base.oracle.csv" >"$base.oout" 2>&1
            _report $? "$name $where: the oracle schedules under $pol" "$base.oout"
            python3 "$compare" "$base.eddy.csv" "$base.oracle.csv" --label="$name $where $pol" >"$base.cmp" 2>&1
            _report $? "$name $where $pol: every start time equals the oracle's" "$base.cmp"
        done
    done
done
[ $found -gt 0 ]; _report $? "found the shared traces in $traces" /dev/null
finish
