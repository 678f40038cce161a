#!/usr/bin/env bash
# eddy resource drain/undrain/status on a 4-broker instance: a drained rank
# gets no new job, a rank running a job is draining until the job ends,
# undrain puts it back to work, the listing has reasons and timestamps,
# --json parses, a restart on the state directory keeps the drain, and bad
# targets are refused.
. "$(dirname "$0")/lib.sh"

state="$TMP/state"
cat >"$TMP/first.sh" <<'SH'
ranks () { eddy resource status -n -s "$1" -o '{ranks}'; }
eddy resource drain 0-1 disk replacement; echo "drain rc=$?"
echo "drained: $(ranks drained)"
echo "avail: $(ranks avail)"
# two one-node jobs, each long enough to be seen allocated
a=$(eddy submit -N 1 sleep 2); b=$(eddy submit -N 1 sleep 2)
for i in $(seq 1 100); do
    [ "$(eddy jobs -n -o '{st}' | grep -c R)" -eq 2 ] && break; sleep 0.05
done
echo "allocated while 0-1 drained: $(ranks allocated)"
eddy job wait $a; eddy job wait $b
# a job on every up rank: rank 3 is draining while it runs
eddy resource undrain 0-1; echo "undrain rc=$?"
c=$(eddy submit -N 4 -n 4 sleep 2)
for i in $(seq 1 100); do
    eddy jobs -n -o '{id.f58} {st}' | grep -q "^$c R$" && break; sleep 0.05
done
eddy resource drain 3 fan noise; echo "drain busy rc=$?"
echo "draining: $(ranks draining)"
echo "drained during: $(ranks drained)"
eddy resource drain | sed 's/^/list1: /'
eddy job wait $c; echo "wait rc=$?"
for i in $(seq 1 100); do [ "$(ranks drained)" = 3 ] && break; sleep 0.05; done
echo "drained after: $(ranks drained)"
echo "draining after: $(ranks draining)"
# -u keeps the old reason; -f replaces it; without either, refused
eddy resource drain -u 2-3 second reason; echo "drain -u rc=$?"
eddy resource drain 3 third reason; echo "drain again rc=$?"
eddy resource drain -f 3 noisy fan; echo "drain -f rc=$?"
eddy resource drain -n -o '{ranks}|{state}|{reason}|{timestamp}' | sed 's/^/list2: /'
eddy resource drain --json > drain.json
python3 -c 'import json,sys; d=json.load(open("drain.json")); print("json drain", " ".join(e["ranks"] + ":" + e["reason"] for e in d))'
eddy resource status --json > status.json
python3 -c 'import json; d=json.load(open("status.json")); print("json status drained", d["drained"]["ranks"], d["drained"]["count"], "avail", d["avail"]["ranks"])'
eddy resource status -s drain | sed 's/^/status: /'
eddy resource status -s help | sed 's/^/help: /'
eddy resource list | sed 's/^/rlist: /'
eddy resource list -v -s drained -n | sed 's/^/rlistv: /'
SH
(cd "$TMP" && timeout 120 eddy start --size 4 -S resource.cores=0 --statedir "$state" sh first.sh) >"$TMP/first" 2>&1
_report $? "an instance of 4 drains, runs jobs, undrains" "$TMP/first"
has "$TMP/first" '^drain rc=0$' "drain 0-1 is answered ok"
has "$TMP/first" '^drained: 0-1$' "ranks 0-1 are drained"
has "$TMP/first" '^avail: 2-3$' "2-3 are avail"
has "$TMP/first" '^allocated while 0-1 drained: 2-3$' "two jobs go to 2 and 3, not to the drained ranks"
has "$TMP/first" '^undrain rc=0$' "undrain is answered ok"
has "$TMP/first" '^drain busy rc=0$' "a rank running a job can be drained"
has "$TMP/first" '^draining: 3$' "while its job runs it is draining"
has "$TMP/first" '^drained during: $' "and not drained yet"
has "$TMP/first" '^list1: TIMESTAMP +STATE +RANK +REASON +NODELIST$' "the drain listing has a header"
has "$TMP/first" '^list1: 20[0-9-]+T[0-9:]+ +draining +3 +fan noise ' "the listing shows time, draining, rank, reason"
has "$TMP/first" '^wait rc=0$' "the job on the draining rank ends normally"
has "$TMP/first" '^drained after: 3$' "then the rank is drained"
has "$TMP/first" '^draining after: $' "and no longer draining"
has "$TMP/first" '^drain -u rc=0$' "-u drains the others"
has "$TMP/first" '^drain again rc=[1-9]' "draining a drained rank without -f/-u is refused"
has "$TMP/first" '^drain -f rc=0$' "-f re-drains"
has "$TMP/first" '^list2: 2\|drained\|second reason\|' "-u drained rank 2 with its reason"
has "$TMP/first" '^list2: 3\|drained\|noisy fan\|' "-f replaced rank 3's reason"
has "$TMP/first" '^json drain .*3:noisy fan' "drain --json parses"
has "$TMP/first" '^json status drained 2-3 2 avail 0-1$' "status --json parses, with counts"
has "$TMP/first" '^status: +drain +2 +2-3 ' "status -s drain"
has "$TMP/first" '^help: torpid ' "--states=help lists the states"
has "$TMP/first" '^rlist: +drained +2 +2 ' "resource list has a drained row"
has "$TMP/first" '^rlist: +free +2 +2 ' "and the drained ranks are not free"
has "$TMP/first" '^rlistv: +drained +2 ' "list -v has one row per rank"

cat >"$TMP/second.sh" <<'SH'
eddy resource drain -n -o '{ranks}|{reason}' | sed 's/^/kept: /'
# two 2-node jobs: with 2-3 drained only one runs at a time, on 0-1
a=$(eddy submit -N 2 -n 2 sleep 1); b=$(eddy submit -N 2 -n 2 sleep 1)
for i in $(seq 1 100); do eddy jobs -n -o '{st}' | grep -q R && break; sleep 0.05; done
sleep 0.3
echo "allocated: $(eddy resource status -n -s allocated -o '{ranks}')"
eddy job wait $a; eddy job wait $b
eddy resource undrain 2-3; echo "undrain rc=$?"
SH
(cd "$TMP" && timeout 60 eddy start --size 4 -S resource.cores=0 --statedir "$state" sh second.sh) >"$TMP/second" 2>&1
_report $? "the instance restarts on its state directory" "$TMP/second"
has "$TMP/second" '^kept: 2\|second reason$' "rank 2's drain survives the restart"
has "$TMP/second" '^kept: 3\|noisy fan$' "rank 3's too, with its reason"
has "$TMP/second" '^allocated: 0-1$' "after the restart jobs still avoid the drained ranks"
has "$TMP/second" '^undrain rc=0$' "undrain after the restart"
(cd "$TMP" && timeout 60 eddy start --size 4 --statedir "$state" \
    eddy resource status -n -s drain,avail -o '{state}={ranks}') >"$TMP/third" 2>&1
has "$TMP/third" '^drain=$' "the undrain survives the next restart"
has "$TMP/third" '^avail=0-3$' "every rank is avail again"

# a rank disconnected is offline and lost; a drained one stays drained
cat >"$TMP/lost.sh" <<'SH'
eddy resource drain 2 before
eddy overlay disconnect 3; echo "disconnect rc=$?"
for i in $(seq 1 100); do [ "$(eddy resource status -n -s lost -o '{ranks}')" = 3 ] && break; sleep 0.1; done
eddy resource status -n -s lost,offline,online,avail,drained -o '{state}={ranks}' | sed 's/^/lost: /'
eddy resource list -v -n -o '{state} {ranks} {cores}' | sed 's/^/lostv: /'
SH
(cd "$TMP" && timeout 60 eddy start --size 4 -S resource.cores=0 sh lost.sh) >"$TMP/lost" 2>&1
has "$TMP/lost" '^disconnect rc=0$' "rank 3 is disconnected"
has "$TMP/lost" '^lost: lost=3$' "then it is lost"
has "$TMP/lost" '^lost: offline=3$' "and offline"
has "$TMP/lost" '^lost: online=0-2$' "the others are online"
has "$TMP/lost" '^lost: avail=0-1$' "avail leaves out the drained and the offline rank"
has "$TMP/lost" '^lost: drained=2$' "the drained rank is drained"
sed -n 's/^lost: //p' "$TMP/lost" | paste -sd' ' >"$TMP/order"
has "$TMP/order" '^lost=3 offline=3 online=0-2 avail=0-1 drained=2$' "in the order -s gives"
has "$TMP/lost" '^lostv: drained 2 0$' "list -v shows the drained rank's cores"
has "$TMP/lost" '^lostv: down 3 0$' "and the lost rank as down"

# after a disconnect the lost rank gets no work: a 4-node job waits (it
# is not placed there to fail), 3-node and 1-core jobs run, listings answer
cat >"$TMP/disc.sh" <<'SH'
timeout 20 eddy overlay disconnect 3; echo "disconnected rc=$?"
for i in $(seq 1 100); do [ "$(timeout 10 eddy resource status -n -s lost -o '{ranks}')" = 3 ] && break; sleep 0.1; done
echo "lost after $i"
big=$(timeout 20 eddy submit -N 4 -n 4 true); echo "submit rc=$?"
timeout 20 eddy run -N 3 -n 3 true; echo "three rc=$?"
timeout 20 eddy run -n 1 true; echo "one rc=$?"
timeout 10 eddy resource list -n -s down -o '{ranks}' | sed 's/^/down: /'
sleep 1
echo "big: $(eddy jobs -a -n -o '{id} {state}' | awk -v id="$big" '$1 == id { print $2 }')"
eddy job cancel "$big"
SH
(cd "$TMP" && timeout 90 eddy start --size 4 -S resource.cores=0 sh disc.sh) >"$TMP/disc" 2>&1
has "$TMP/disc" '^three rc=0$' "after a disconnect a 3-node job runs on the others"
has "$TMP/disc" '^one rc=0$' "and a 1-core job runs"
has "$TMP/disc" '^down: 3$' "resource list answers: rank 3 down"
has "$TMP/disc" '^big: SCHED$' "a 4-node job waits rather than being placed on the lost rank"

# answered only once stored: on a full disk (a 4 MB tmpfs of the test's
# own mount namespace; root only) a drain fails and changes nothing
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    mkdir "$TMP/mnt"
    cat >"$TMP/full.sh" <<'SH'
dd if=/dev/zero of="$1/fill" bs=64k 2>/dev/null
eddy resource drain 1 full disk; echo "drain full rc=$?"
echo "full: $(eddy resource status -n -s drain -o '{ranks}')"
rm -f "$1/fill"
eddy resource drain 1 space back; echo "drain rc=$?"
echo "back: $(eddy resource status -n -s drain -o '{ranks}')"
SH
    timeout 60 unshare -m sh -c 'mount -t tmpfs -o size=4m tmpfs "$1" &&
        eddy start --size 2 --statedir "$1/state" sh "$2/full.sh" "$1"' sh "$TMP/mnt" "$TMP" \
        >"$TMP/full" 2>&1
    has "$TMP/full" '^eddy-resource: resource.drain: .*could not be stored: .*full' \
        "on a full disk the drain fails with the store's error"
    has "$TMP/full" '^drain full rc=[1-9]' "with a nonzero exit"
    has "$TMP/full" '^full: $' "and nothing is drained"
    has "$TMP/full" '^drain rc=0$' "with space back the drain is answered ok"
    has "$TMP/full" '^back: 1$' "and rank 1 is drained"
else
    echo "# skipped the full-disk case: needs root and unshare -m"
fi

# a stored state that cannot be read is not overwritten: drain is refused
state2="$TMP/state2"
eddy start --size 2 --statedir "$state2" eddy kvs put 'resource.drain={"version":1,"drained":"garbage"}' \
    >"$TMP/garbage" 2>&1
(cd "$TMP" && timeout 60 eddy start --size 2 --statedir "$state2" sh -c '
    eddy resource drain 1 why; echo "drain rc=$?"
    eddy resource status -n -s avail -o "{state}={ranks}"
    eddy kvs get resource.drain') >"$TMP/garbage" 2>&1
has "$TMP/garbage" '^eddy-resource: resource.drain: refused: the stored drain state \(resource.drain\) is malformed' \
    "a malformed stored drain state: drain is refused, saying why"
has "$TMP/garbage" '^drain rc=[1-9]' "with a nonzero exit"
has "$TMP/garbage" '^avail=0-1$' "status still answers"
has "$TMP/garbage" '"drained": ?"garbage"' "and the stored value is left as it was"

# concurrent drains and undrains are carried out one at a time: none lost
(cd "$TMP" && timeout 60 eddy start --size 1 -m resource='{"nodes":64,"cores_per_node":2}' -m sched sh -c '
    for i in $(seq 0 31); do eddy resource drain $i r$i & done; wait
    echo "after drains: $(eddy resource status -n -s drained -o "{nnodes} {ranks}")"
    for i in $(seq 0 2 31); do eddy resource undrain $i & done; wait
    echo "after undrains: $(eddy resource status -n -s drained -o "{nnodes}")"
    eddy resource drain -n -o "{ranks}={reason}" | grep -c "^\([0-9]*\)=r\1$" | sed "s/^/reasons: /"') \
    >"$TMP/conc" 2>&1
has "$TMP/conc" '^after drains: 32 0-31$' "32 concurrent drains: every one is kept"
has "$TMP/conc" '^after undrains: 16$' "16 concurrent undrains: every one is kept"
has "$TMP/conc" '^reasons: 16$' "each rank has its own reason"

cat >"$TMP/bad.sh" <<'SH'
for t in 4 0-9 'node[' nosuch ''; do
    eddy resource drain "$t" why; echo "target '$t' rc=$?"
done
eddy resource undrain 1; echo "undrain idle rc=$?"
eddy resource drain -f -u 1; echo "-f -u rc=$?"
eddy resource status -s bogus; echo "state rc=$?"
eddy resource status -o '{nosuch}'; echo "format rc=$?"
eddy resource drain -n -o '{ranks}' | wc -l | sed 's/^/left: /'
SH
(cd "$TMP" && timeout 60 eddy start --size 2 sh bad.sh) >"$TMP/bad" 2>&1
has "$TMP/bad" "^eddy-resource: resource.drain: rank 4 is not in this instance \(its ranks: 0-1\)" "a rank out of range is named"
has "$TMP/bad" "^target '4' rc=[1-9]" "and refused"
has "$TMP/bad" "^eddy-resource: resource.drain: ranks 2-9 are not in this instance" "a range partly out is refused"
has "$TMP/bad" "^target '0-9' rc=[1-9]" "with a nonzero exit"
has "$TMP/bad" "neither an idset of ranks nor a hostlist" "garbage is named as such"
has "$TMP/bad" "^target 'node\[' rc=[1-9]" "and refused"
has "$TMP/bad" "host nosuch is not a host of this instance" "an unknown host is named"
has "$TMP/bad" "^target 'nosuch' rc=[1-9]" "and refused"
has "$TMP/bad" "^target '' rc=[1-9]" "empty targets are refused"
has "$TMP/bad" "^eddy-resource: resource.undrain: rank 1 is not drained" "undrain of a rank not drained is refused"
has "$TMP/bad" "^-f -u rc=[1-9]" "-f with -u is refused"
has "$TMP/bad" "^state rc=[1-9]" "an unknown state is refused"
has "$TMP/bad" "^format rc=[1-9]" "an unknown format field is refused"
has "$TMP/bad" "^left: 0$" "nothing was drained by the refused requests"
finish
