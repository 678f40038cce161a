#!/usr/bin/env bash
# eddy sim boot: every rank gets the event; one seed gives byte-identical
# output; wall time and memory go to stderr only.
. "$(dirname "$0")/lib.sh"

eddy sim boot --size 4096 >"$TMP/a" 2>"$TMP/a.err"
_report $? "sim boot of 4,096 ranks" "$TMP/a"
has "$TMP/a" '^event: seq [0-9]+ reached 4096/4096 ranks' "every rank received the event"
has "$TMP/a" '^ping: rank 0 -> rank 4095 \(12 hops\)' "ping reached the deepest rank"
has "$TMP/a.err" '^peak RSS: ' "RSS goes to stderr"
eddy sim boot --size 4096 >"$TMP/b" 2>/dev/null
cmp -s "$TMP/a" "$TMP/b"; _report $? "two runs print byte-identical stdout" "$TMP/b"
eddy sim boot --size 2000 --jitter 0.001 --seed 9 >"$TMP/c" 2>/dev/null
eddy sim boot --size 2000 --jitter 0.001 --seed 9 >"$TMP/d" 2>/dev/null
cmp -s "$TMP/c" "$TMP/d"; _report $? "with jitter, one seed gives identical output" "$TMP/d"
eddy sim boot --size 2000 --jitter 0.001 --seed 10 >"$TMP/e" 2>/dev/null
cmp -s "$TMP/c" "$TMP/e"; [ $? -ne 0 ]; _report $? "another seed gives other timings" "$TMP/e"
grep -qi 'wall\|rss' "$TMP/a"; [ $? -ne 0 ]; _report $? "stdout has no wall time or RSS" "$TMP/a"
finish
