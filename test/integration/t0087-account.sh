#!/usr/bin/env bash
# eddy account: the accounting database (the guide's steps with eddy's
# names), clear errors that write nothing, concurrent writers with a
# reader, fair-share factors from an archive worked out by hand, and the
# archive's jobs report.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
export EDDY_ACCOUNTING_DB=$TMP/acct.db
A="eddy account"
dump () { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print('\n'.join(map(str, c.execute('select * from banks order by bank').fetchall() + c.execute('select * from users order by username, bank').fetchall())))" "$EDDY_ACCOUNTING_DB"; }

ok "create-db makes a database" $A create-db
fails "create-db again refuses to touch it" $A create-db
has "$TMP/out" 'already exists' "says it exists"
ok "add-bank root 1" $A add-bank root 1
ok "add-bank --parent-bank=root A 1" $A add-bank --parent-bank=root A 1
ok "add-bank --parent-bank=root B 1" $A add-bank --parent-bank=root B 1
ok "add-user alice to A" $A add-user --username=alice --userid=2001 --bank=A
ok "add-user bob to A" $A add-user --username=bob --userid=2002 --bank=A
ok "add-user carol to B with limits" $A add-user --username=carol --userid=2003 --bank=B --max-running-jobs=2 --max-active-jobs=3
ok "add-user root (its uid looked up) to B" $A add-user --username=root --bank=B
$A list-users >users.out
has users.out '^carol +B +2003 +1 +2 +3 ' "list-users shows carol's limits"
has users.out '^root +B +0 ' "root's uid came from the system"
$A view-bank --tree root >tree.out
ok "view-bank --tree: root, A with alice and bob, B with carol and root" \
    sh -c "tr -s ' ' <tree.out | sed 's/ *\$//' | tr '\n' '|' | grep -q '^BANK/USER SHARES|root 1| A 1| alice 1| bob 1| B 1| carol 1| root 1|\$'"
ok "edit-user changes shares" $A edit-user --username=bob --shares=3
$A view-user bob --json >bob.json
ok "view-user --json shows them" python3 -c "import json,sys; u=json.load(open('bob.json')); sys.exit(0 if u[0]['shares']==3 and u[0]['bank']=='A' else 1)"

# errors: a message, exit 1, nothing written
dump >before
fails "a user to a bank that does not exist" $A add-user --username=dave --userid=9 --bank=nope
has "$TMP/out" "no bank 'nope'" "names the bank"
fails "a second root" $A add-bank other 1
fails "a user to a bank with sub-banks" $A add-user --username=dave --userid=9 --bank=root
fails "the same user twice in a bank" $A add-user --username=alice --userid=2001 --bank=A
fails "negative shares" $A add-bank --parent-bank=root C -1
fails "edit of a user that does not exist" $A edit-user --username=zed --shares=2
fails "delete of a bank with users" $A delete-bank A
fails "a bad name" $A add-bank --parent-bank=root 'x;drop' 1
fails "an unknown command" $A frobnicate
fails "an option that does not apply" $A list-users --shares=3
dump >after
ok "the database is as it was after every refused command" cmp before after
printf 'not a database at all\n' >junk.db
fails "a file that is not an accounting database" $A -p junk.db list-users
has "$TMP/out" 'not an eddy accounting database|file is not a database' "says so"
fails "no database" $A -p "$TMP/none.db" list-users
has "$TMP/out" 'create-db' "says how to make one"

# concurrent writers and a reader
ok "a bank for the crowd" $A add-bank --parent-bank=root crowd 1
for w in 1 2 3 4; do
    ( for i in $(seq 1 40); do $A add-user --username=u$w-$i --userid=$((10000 + w * 100 + i)) --bank=crowd || echo "writer $w failed at $i"; done ) >w$w.log 2>&1 &
done
( for i in $(seq 1 30); do $A list-users >/dev/null || echo "reader failed"; done ) >r.log 2>&1 &
wait
ok "4 writers x 40 users and a reader: no failure" sh -c "! grep -q failed w1.log w2.log w3.log w4.log r.log"
ok "all 160 users are there" sh -c "[ \$($A list-users | grep -c ' crowd ') -eq 160 ]"
ok "delete-user removes one" $A delete-user --username=u1-1
ok "160 - 1" sh -c "[ \$($A list-users | grep -c ' crowd ') -eq 159 ]"
for w in 1 2 3 4; do for i in $(seq 1 40); do $A delete-user --username=u$w-$i 2>/dev/null; done; done
ok "delete-bank of an empty bank" $A delete-bank crowd
ok "edit-user bob back to 1 share, delete root from B" \
    sh -c "$A edit-user --username=bob --shares=1 && $A delete-user --username=root --bank=B"

# fair share from an archive, by hand: shares of the machine alice 1/4,
# bob 1/4, carol 1/2; usage alice 300, bob 100, carol 0 core-seconds of
# 400: factors 2^(-0.75/0.25) = 0.125, 2^(-0.25/0.25) = 0.5, 1
cat >mkarchive.py <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, userid INTEGER, bank TEXT, queue TEXT,"
          " name TEXT, t_submit REAL, t_run REAL, t_inactive REAL, nnodes INTEGER,"
          " ncores INTEGER, ngpus INTEGER, state TEXT, result TEXT, exit_status INTEGER,"
          " R TEXT, jobspec TEXT)")
rows = [(1, 2001, "A", "batch", "a1", 900, 1000, 1100, 1, 2, 0, "INACTIVE", "COMPLETED", 0),  # 200
        (2, 2001, "A", "batch", "a2", 950, 1000, 1050, 1, 2, 0, "INACTIVE", "FAILED", 1),     # 100
        (3, 2002, "A", "debug", "b1", 990, 1000, 1100, 1, 1, 0, "INACTIVE", "COMPLETED", 0),  # 100
        (4, 2003, "B", "batch", "c1", 1000, -1, 1200, 0, 0, 0, "INACTIVE", "CANCELED", None)]  # never ran
for r in rows:
    c.execute("INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,NULL)", r)
c.commit()
PY
python3 mkarchive.py archive.db
$A shares --archive=archive.db --half-life=0 --now=2000 --json >shares.json
cat >checkshares.py <<'PY'
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1])) if x["type"] == "user"}
want = dict(alice=float(sys.argv[2]), bob=float(sys.argv[3]), carol=float(sys.argv[4]))
bad = [(n, s[n]["fairshare"], w) for n, w in want.items() if abs(s[n]["fairshare"] - w) > 1e-9]
print(bad or "equal")
sys.exit(1 if bad else 0)
PY
ok "shares: alice 0.125, bob 0.5, carol 1 (worked out by hand)" python3 checkshares.py shares.json 0.125 0.5 1
# decay: at now = 1100 + 1000 with a half-life of 1000 s, every job ended
# one half-life ago or (a2) 1050 s ago; usage halves (a2: 100 * 2^-1.05),
# and since all of it decays alike bob's fraction is 100 * 2^-1 / total
$A shares --archive=archive.db --half-life=1000 --now=2100 --json >decay.json
ok "decay: each job counts 2^(-age/half-life)" python3 -c "
import json, math, sys
s = {x['name']: x for x in json.load(open('decay.json'))}
a = 200 * 0.5 + 100 * 2 ** -1.05
b = 100 * 0.5
ok = abs(s['alice']['usage'] - a) < 1e-9 and abs(s['bob']['usage'] - b) < 1e-9
fa = 2 ** -((a / (a + b)) / 0.25)
sys.exit(0 if ok and abs(s['alice']['fairshare'] - fa) < 1e-9 else 1)"
$A shares --archive=archive.db --half-life=0 --now=2000 >shares.txt
has shares.txt '^    alice +1 +0\.250000 +300 +0\.750000 +0\.125000$' "the text view shows alice's row"

# the archive's jobs
$A jobs --archive=archive.db >jobs.txt
ok "jobs lists the 4 archived jobs" sh -c "[ \$(grep -c '^[0-9]' jobs.txt) -eq 4 ]"
$A jobs --archive=archive.db -u 2001 -o '{id} {bank} {runtime} {result} {exit_status}' >a.txt
ok "-u USERID -o FORMAT: alice's two, by end time" sh -c "printf '2 A 50.000 FAILED 1\n1 A 100.000 COMPLETED 0\n' | cmp - a.txt"
$A jobs --archive=archive.db -b B --json >b.json
ok "-b B --json: carol's canceled job, no exit status" python3 -c "import json,sys; j=json.load(open('b.json')); sys.exit(0 if len(j)==1 and j[0]['result']=='CANCELED' and j[0]['exit_status'] is None else 1)"
$A jobs --archive=archive.db --since=1060 --until=1150 -o '{id}' >w.txt
ok "--since/--until select by end time" sh -c "printf '1\n3\n' | cmp - w.txt"
fails "-o with an unknown field" $A jobs --archive=archive.db -o '{nope}'
fails "an archive that does not exist" $A jobs --archive="$TMP/none.db"
finish
