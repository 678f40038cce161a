#!/usr/bin/env bash
# The KVS through the command line on real instances: put/get/ls/dir/
# unlink, eventlogs, watch, namespaces; persistence across a restart on
# the same statedir; a full store (quota) and an unusable statedir.
. "$(dirname "$0")/lib.sh"

state="$TMP/state"
cat >"$TMP/first.sh" <<'SH'
set -e
eddy kvs put a.b=1 a.c='{"x":[1,2]}' s=hello
eddy kvs get a.b a.c s
eddy kvs ls
eddy kvs dir -R
eddy kvs get a 2>&1 || true
eddy kvs get nope 2>&1 || true
eddy kvs put a.b.c=1 2>&1 || true
eddy kvs eventlog append job.log submit '{"userid":5}'
eddy kvs eventlog append job.log alloc
eddy kvs eventlog get job.log
eddy kvs eventlog wait-event --timeout 5 job.log alloc | sed 's/^/waited: /'
eddy kvs eventlog wait-event --timeout 0.3 job.log finish 2>&1 || echo "wait-event: timed out"
eddy kvs watch --count 2 w.key >watch.out &
sleep 0.3
eddy kvs put w.key=1
sleep 0.2
eddy kvs put w.key=2
wait
sed 's/^/watched: /' watch.out
eddy kvs unlink a 2>&1 || true
eddy kvs unlink -R a
eddy kvs get a.b 2>&1 || true
eddy kvs namespace create guest
eddy kvs -N guest put k=42
eddy kvs -N guest get k | sed 's/^/guest: /'
for i in $(seq 1 50); do echo "many.k$i=$i"; done | xargs eddy kvs put
eddy kvs ls many | wc -l | sed 's/^ */many: /'
SH
(cd "$TMP" && eddy start --size 2 -S statedir="$state" -m content -m kvs sh first.sh) >"$TMP/first" 2>&1
_report $? "the first instance runs the script" "$TMP/first"
has "$TMP/first" '^1$' "get a.b"
has "$TMP/first" '^\{"x": ?\[1, ?2\]\}$' "get a.c gives the JSON object"
has "$TMP/first" '^"hello"$' "a non-JSON value is stored as a string"
has "$TMP/first" '^a\.c = \{"x"' "dir -R lists values"
has "$TMP/first" '^eddy-kvs: a: Is a directory$' "get of a directory is an error"
has "$TMP/first" '^eddy-kvs: nope: No such file or directory$' "get of a missing key is an error"
has "$TMP/first" '^eddy-kvs: a.b.c: .*not a directory' "put below a value is refused"
has "$TMP/first" '^[0-9.]+ submit \{"userid":5\}$' "eventlog get shows the entries"
has "$TMP/first" '^waited: [0-9.]+ alloc$' "wait-event finds an entry"
has "$TMP/first" '^eddy-kvs: job.log: timed out waiting for finish$' "wait-event times out"
has "$TMP/first" '^watched: 2$' "watch sees the change"
has "$TMP/first" '^eddy-kvs: a: Is a directory \(use -R\)$' "unlink of a directory needs -R"
has "$TMP/first" '^guest: 42$' "namespaces"
has "$TMP/first" '^many: 50$' "many keys in one put"

cat >"$TMP/second.sh" <<'SH'
eddy kvs get s
eddy kvs eventlog get job.log
eddy kvs -N guest get k | sed 's/^/guest: /'
eddy kvs get many.k50 | sed 's/^/k50: /'
SH
(cd "$TMP" && eddy start --size 1 -S statedir="$state" -m content -m kvs sh second.sh) >"$TMP/second" 2>&1
_report $? "a second instance on the same statedir" "$TMP/second"
has "$TMP/second" '^"hello"$' "keeps the values"
has "$TMP/second" '^[0-9.]+ alloc$' "keeps the eventlog"
has "$TMP/second" '^guest: 42$' "keeps the namespaces"
has "$TMP/second" '^k50: 50$' "keeps the last commit"

# a quota on the store: writes fail with ENOSPC, earlier data survives
cat >"$TMP/full.sh" <<'SH'
big=$(head -c 3000 /dev/zero | tr '\0' x)
i=0
while [ $i -lt 300 ]; do
    eddy kvs put "fill.k$i=$big$i" 2>err.out || { cat err.out; break; }
    i=$((i + 1))
done
echo "stored=$i"
eddy kvs get fill.k0 | wc -c | sed 's/^ */k0 bytes: /'
SH
(cd "$TMP" && eddy start --size 1 -S statedir="$TMP/small" -m content='{"max-size":262144}' -m kvs sh full.sh) >"$TMP/full" 2>&1
_report $? "an instance with a small quota" "$TMP/full"
has "$TMP/full" '^eddy-kvs: fill.k[0-9]+: .*(full|No space)' "a full store is an error for the writer"
has "$TMP/full" '^k0 bytes: 3004$' "what was stored before is intact"
(cd "$TMP" && eddy start --size 1 -S statedir="$TMP/small" -m content -m kvs sh -c 'eddy kvs get fill.k0 | wc -c') >"$TMP/full2" 2>&1
has "$TMP/full2" '^ *3004$' "and survives a restart"

# a statedir that cannot be used
touch "$TMP/notadir"
(cd "$TMP" && eddy start --size 1 -S statedir="$TMP/notadir/x" -m content -m kvs eddy kvs put a=1) >"$TMP/bad" 2>&1
rc=$?
[ $rc -ne 0 ]; _report $? "an unusable statedir fails the write (exit $rc)" "$TMP/bad"
has "$TMP/bad" 'eddy-kvs: a: .*(backing store|Not a directory)' "with a clear message"
# a client that dies while watching leaves no watch behind on rank 0
cat >"$TMP/watchkill.sh" <<'SH'
eddy kvs put w.key=1
eddy kvs watch --count 100 w.key > /dev/null &
pid=$!
for i in $(seq 1 100); do eddy kvs stats | grep -q '"watchers":1' && break; sleep 0.05; done
eddy kvs stats | sed 's/^/before /'
kill -9 $pid; wait $pid 2>/dev/null
for i in $(seq 1 100); do eddy kvs stats | grep -q '"watchers":0' && break; sleep 0.05; done
eddy kvs stats | sed 's/^/after /'
SH
eddy start sh "$TMP/watchkill.sh" >"$TMP/watchkill" 2>&1
has "$TMP/watchkill" '^before .*"watchers":1' "a live watch shows in kvs stats"
has "$TMP/watchkill" '^after .*"watchers":0' "a killed watcher's watch is dropped"
finish
