#!/usr/bin/env bash
# The multi-factor priority plugin on a hand-worked scenario, in a real
# system instance with three guests the test creates (alice and bob in
# bank A, carol in bank B; 1 share each, banks 1 share each): known usage
# (an archive written beforehand, no decay) gives fair-share factors
# worked out below, the priorities follow from the weights, and once the
# owner's job that holds the only core ends, the three jobs start in
# priority order, not in submission order.  Root only (useradd, munged);
# otherwise skipped.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null || ! command -v munged >/dev/null; then
    echo "SKIP: t0104 needs root (useradd) and munged"
    exit 77
fi
BROKER="$EDDY_BUILDDIR/cmd/eddy-broker"
EDDY="$EDDY_BUILDDIR/cmd/eddy"
for d in "$EDDY_BUILDDIR/cmd"; do
    while [ "$d" != / ]; do
        if ! runuser -u nobody -- test -x "$d" 2>/dev/null; then
            echo "SKIP: $d is not searchable by other users"
            exit 77
        fi
        d=$(dirname "$d")
    done
done

sfx=$$
OWN=eddy104o$sfx ALICE=eddy104a$sfx BOB=eddy104b$sfx CAROL=eddy104c$sfx
made=
for u in "$OWN" "$ALICE" "$BOB" "$CAROL"; do
    useradd -M -N -s /bin/sh "$u" || { echo "useradd $u failed"; exit 1; }
    made="$made $u"
done
bpid=
cleanup () {
    [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
    for u in $made; do userdel "$u" 2>/dev/null; done
    munged_stop "$TMP/munge"
    rm -rf "$TMP"
}
trap cleanup EXIT
chmod 755 "$TMP"
mkdir "$TMP/own" "$TMP/conf" "$TMP/security"
munged_start "$TMP/munge" || { echo "munged does not start"; exit 1; }
printf '[sign]\nmunge-socket = "%s"\n' "$TMP/munge/sock" >"$TMP/security/sign.toml"
chmod -R a+rX "$TMP/security"
export EDDY_SECURITY_CONFIG_PATH="$TMP/security"
cd "$TMP" || exit 1

A="$EDDY account -p $TMP/own/acct.db"
ok "the database: root > A, B; alice, bob in A, carol in B, the owner in A with 0 shares" sh -c "
    $A create-db && $A add-bank root 1 && $A add-bank --parent-bank=root A 1 &&
    $A add-bank --parent-bank=root B 1 && $A add-user --username=$ALICE --bank=A &&
    $A add-user --username=$BOB --bank=A && $A add-user --username=$CAROL --bank=B &&
    $A add-user --username=$OWN --bank=A --shares=0"
# usage in core-seconds: alice 300, bob 100, carol 0 (of 400)
ua=$(id -u "$ALICE") ub=$(id -u "$BOB")
python3 - "$TMP/own/archive.db" "$ua" "$ub" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, userid INTEGER NOT NULL, bank TEXT,"
          " queue TEXT, name TEXT, t_submit REAL NOT NULL, t_run REAL NOT NULL,"
          " t_inactive REAL NOT NULL, nnodes INTEGER NOT NULL, ncores INTEGER NOT NULL,"
          " ngpus INTEGER NOT NULL, state TEXT NOT NULL, result TEXT NOT NULL,"
          " exit_status INTEGER, R TEXT, jobspec TEXT)")
a, b = int(sys.argv[2]), int(sys.argv[3])
for r in [(1, a, "A", 900, 1000, 1100, 2), (2, a, "A", 950, 1000, 1050, 2),
          (3, b, "A", 990, 1000, 1100, 1)]:
    c.execute("INSERT INTO jobs VALUES (?,?,?,NULL,'old',?,?,?,1,?,0,'INACTIVE','COMPLETED',0,"
              "NULL,NULL)", r)
c.commit()
PY
cat >"$TMP/conf/c.toml" <<TOML
[broker]
statedir = "$TMP/own/state"
[access]
allow-guest-user = true
[archive]
dbpath = "$TMP/own/archive.db"
period = "0.5s"
[accounting]
dbpath = "$TMP/own/acct.db"
half-life = 0
period = "1s"
[job-manager.priority]
plugin = "multifactor"
weights = { fairshare = 1000, age = 0, size = 0, queue = 0, urgency = 310 }
TOML
chmod -R a+rX "$TMP/conf"
chown -R "$OWN" "$TMP/own"
run="$TMP/own/run"
export EDDY_URI="local://$run/local"
as () { local u=$1; shift; runuser -u "$u" -- env EDDY_URI="$EDDY_URI" "$@"; }
runuser -u "$OWN" -- env EDDY_SYSTEM_RUNDIR="$run" EDDY_SECURITY_CONFIG_PATH="$TMP/security" \
    "$BROKER" --system -S resource.cores=0 --config-path="$TMP/conf" 2>"$TMP/broker.err" &
bpid=$!
ok "a system instance (one core) with multifactor starts as $OWN" \
    within 20 as "$OWN" "$EDDY" ping --count 1 broker
sleep 1.5 # the factors come at the archive's load, then every second
blk=$(as "$OWN" "$EDDY" submit sleep 300)
ok "the owner's job holds the core" within 20 sh -c \
    "runuser -u $OWN -- env EDDY_URI=$EDDY_URI $EDDY jobs -o '{id} {st}' | grep -q '^$blk R'"
ja=$(as "$ALICE" "$EDDY" submit true) && jb=$(as "$BOB" "$EDDY" submit true) \
    && jc=$(as "$CAROL" "$EDDY" submit true)
_report $? "alice, bob and carol submit a job each, in that order" /dev/null
sleep 0.5
# S: alice 1/2 x 1/2 = 1/4, bob 1/4, carol 1/2; U: 300/400, 100/400, 0
# F = 2^(-U/S): 2^-3 = 0.125, 2^-1 = 0.5, 2^0 = 1
# priority = 1 + floor (1000 F + 310 x 16/31) = 1 + floor (1000 F + 160)
for x in "a:$ja:0.125:286" "b:$jb:0.5:661" "c:$jc:1:1161"; do
    IFS=: read -r n j f p <<<"$x"
    as "$OWN" "$EDDY" job priority --json "$j" >"prio.$n" 2>&1
    ok "job of $n: fair share $f, priority $p" python3 -c "
import json, sys
j = json.load(open('prio.$n'))
sys.exit(0 if abs(j['factors']['fairshare'] - $f) < 1e-9 and j['priority'] == $p else 1)"
done
as "$ALICE" "$EDDY" job priority "$ja" >alice.txt 2>&1
has alice.txt "^fairshare +0\.125 +1000 +125\$" "alice sees her own job's factors"
as "$BOB" "$EDDY" job priority "$ja" >bob.txt 2>&1
has bob.txt "only the job's owner or the instance owner" "bob may not see alice's"
ok "the owner ends its job" as "$OWN" "$EDDY" job cancel "$blk"
ended () {
    as "$OWN" "$EDDY" jobs -a -A -n -o '{id} {st}' >ended.txt
    [ "$(grep -cE ' (CD|CA|F|TO)$' ended.txt)" -eq 4 ]
}
within 30 ended
_report $? "the three jobs end (they fail without eddy-imp, having been allocated)" ended.txt
# the alloc entries' timestamps (microseconds: the jobs end at once)
for j in "$ja" "$jb" "$jc"; do
    as "$OWN" "$EDDY" job eventlog "$j" | python3 -c "
import json, sys
print([json.loads(l)['timestamp'] for l in sys.stdin if json.loads(l)['name'] == 'alloc'][0], '$j')"
done >order.raw
sort -g order.raw | awk '{print $2}' >order
printf '%s\n' "$jc" "$jb" "$ja" >order.want
cmp -s order order.want
_report $? "they started in priority order: carol, bob, alice (submitted alice, bob, carol)" order.raw
as "$OWN" "$EDDY" shutdown >/dev/null 2>&1
gone_within 20 "$bpid"
bpid=
finish
