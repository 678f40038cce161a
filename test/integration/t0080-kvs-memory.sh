#!/usr/bin/env bash
# What bounds the memory of a broker's KVS and of its queued jobs, on a
# real instance: the kvs module's blob cache stays within cache-max-bytes
# (counted as the memory it holds) and values it let go read back whole
# from the content store; the content store collects garbage once its
# bytes have doubled, though its blobs are far fewer than gc-min; a queued
# job whose jobspec the job manager keeps only as text is asked for again
# after the scheduler is reloaded and runs the command of its jobspec.
# The simulator runs the same modules (t0011, t0014 replay through them).
. "$(dirname "$0")/lib.sh"

cat >"$TMP/kvs.sh" <<'SH'
big=$(head -c 3000 /dev/zero | tr '\0' x)
for i in $(seq 1 60); do eddy kvs put "d.k$i=$big$i" || exit 1; done
eddy kvs stats | sed 's/^/after puts: /'
eddy kvs stats content | sed 's/^/content: /'
for i in $(seq 1 60); do eddy kvs get "d.k$i"; done >got
for i in $(seq 1 60); do echo "\"$big$i\""; done >want
cmp -s got want && echo "read back: same"
eddy kvs stats | sed 's/^/after gets: /'
SH
(cd "$TMP" && eddy start --size 1 --bare -m 'content={"gc-min-bytes":100000}' \
    -m 'kvs={"cache-max-bytes":200000}' sh kvs.sh) >"$TMP/kvs" 2>&1
_report $? "60 puts of 3 KB values, a 200 KB cache, a 100 KB collection floor" "$TMP/kvs"
cache_bytes=$(sed -n 's/^after puts: .*"cache-bytes":\([0-9]*\).*/\1/p' "$TMP/kvs")
[ -n "$cache_bytes" ] && [ "$cache_bytes" -le 200000 ]
_report $? "the cache holds at most its budget after a batch ($cache_bytes bytes)" "$TMP/kvs"
has "$TMP/kvs" '^read back: same$' "every value reads back whole, evicted or not"
loads=$(sed -n 's/^after gets: .*"cache-bytes":\([0-9]*\).*/\1/p' "$TMP/kvs")
[ -n "$loads" ] && [ "$loads" -gt "$cache_bytes" ]
_report $? "the reads had to fault blobs in again (cache $cache_bytes -> $loads bytes)" "$TMP/kvs"
runs=$(sed -n 's/^content: .*"runs":\([0-9]*\).*/\1/p' "$TMP/kvs")
[ -n "$runs" ] && [ "$runs" -ge 1 ]
_report $? "the content store collected by bytes with under 100 blobs (runs: $runs)" "$TMP/kvs"
has "$TMP/kvs" '^content: .*"freed":[1-9]' "...and freed the old directories"

cat >"$TMP/jobs.sh" <<'SH'
cores=$(eddy resource list | awk '$1 == "free" { print $3 }')
big=$(eddy submit -n "$cores" sleep 100)
queued=$(eddy submit echo queued-from-its-text)
for i in $(seq 1 50); do
    eddy jobs -o '{id.dec} {state}' | grep -q "^$(eddy job id "$queued") S" && break
    sleep 0.1
done
eddy jobs -o '{name} {state}' | sed 's/^/before: /'
eddy module remove sched && eddy module load sched && echo "sched reloaded"
eddy job cancel "$big"
eddy job attach "$queued"
eddy job wait "$queued"; echo "wait rc=$?"
SH
(cd "$TMP" && eddy start --size 1 sh jobs.sh) >"$TMP/jobs" 2>&1
_report $? "a job queued behind one that takes every core" "$TMP/jobs"
has "$TMP/jobs" '^before: echo S' "it waits for the scheduler (its jobspec kept as text only)"
has "$TMP/jobs" '^sched reloaded$' "the scheduler is reloaded while it waits"
has "$TMP/jobs" '^queued-from-its-text$' "it is asked for again and runs its jobspec's command"
has "$TMP/jobs" '^wait rc=0$' "and ends well"
finish
