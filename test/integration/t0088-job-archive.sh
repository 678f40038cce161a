#!/usr/bin/env bash
# The job archive: [archive] loads it on rank 0; inactive jobs land in its
# sqlite database with user, bank, sizes, times, result and exit status;
# jobs that ended while no archiver ran are read back from the KVS at the
# next start and none is there twice; a full disk under the archive is an
# error in the log and the archive catches up when space returns;
# retention drops old rows; eddy account reads it.
if [ -z "${T0088_NS:-}" ]; then
    ns=(-m)
    [ "$(id -u)" -eq 0 ] || ns=(-r -m)
    if ! unshare "${ns[@]}" true 2>/dev/null; then
        echo "skipped: cannot make a mount namespace (needs root or user namespaces)"
        exit 77
    fi
    T0088_NS=1 exec unshare "${ns[@]}" "$BASH" "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
cat >q <<'PY'
#!/usr/bin/env python3
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for r in c.execute(sys.argv[2]):
    print(*r)
PY
chmod +x q

mkdir conf
cat >conf/archive.toml <<TOML
[archive]
dbpath = "$TMP/archive.db"
period = "0.5s"
TOML
cat >jobs.sh <<'SH'
eddy submit --quiet --wait --cc=1-5 true
eddy submit --quiet --wait sh -c 'exit 3'
eddy submit --quiet --wait -n 2 --setattr=bank=A --job-name=two true
j=$(eddy submit sleep 100) && eddy job cancel "$j"; eddy job wait "$j"
sleep 1.5
SH
ok "an instance with [archive] runs 8 jobs" \
    timeout 120 eddy start --config-path=conf -S resource.cores=0-1 sh jobs.sh
ok "the archive holds the 8" sh -c "[ \"\$(./q archive.db 'select count(*) from jobs')\" = 8 ]"
./q archive.db "select result, exit_status, count(*) from jobs group by result, exit_status order by result" >results
ok "results and exit codes: 6 completed (0), 1 failed (3), 1 canceled (143 if it had started, else none)" \
    sh -c "grep -Eq '^CANCELED (143|None) 1\$' results && grep -v CANCELED results | cmp - /dev/fd/3 3<<EOF
COMPLETED 0 6
FAILED 3 1
EOF"
ok "the 2-task job: bank A, 2 cores, its name, its R and jobspec" \
    sh -c "[ \"\$(./q archive.db \"select bank, ncores, nnodes, name, length(R) > 10, length(jobspec) > 10 from jobs where name = 'two'\")\" = 'A 2 1 two 1 1' ]"
ok "times are in order: submit <= run <= inactive" \
    sh -c "[ \"\$(./q archive.db 'select count(*) from jobs where t_submit <= t_run and t_run <= t_inactive')\" = 8 ]"
ok "the user is the submitter's uid" \
    sh -c "[ \"\$(./q archive.db 'select distinct userid from jobs')\" = \"\$(id -u)\" ]"

# jobs that ended while no archiver ran: read back at the next start
state=$TMP/state
ok "an instance without an archive runs 4 jobs (a state directory)" \
    timeout 120 eddy start --statedir="$state" eddy submit --quiet --wait --cc=1-4 true
cat >conf2.toml <<TOML
[archive]
dbpath = "$TMP/later.db"
period = "0.5s"
TOML
ok "the next start has an archive and runs 2 more" \
    timeout 120 eddy start --statedir="$state" --config-path=conf2.toml sh -c 'eddy submit --quiet --wait --cc=1-2 true; sleep 1.5'
ok "the archive holds the 4 earlier jobs and the 2 new ones" \
    sh -c "[ \"\$(./q later.db 'select count(*) from jobs')\" = 6 ]"
ok "a third start with 1 more: 7, none twice" \
    sh -c "timeout 120 eddy start --statedir='$state' --config-path=conf2.toml sh -c 'eddy submit --quiet --wait true; sleep 1.5' && [ \"\$(./q later.db 'select count(*), count(distinct id) from jobs')\" = '7 7' ]"

# a full disk under the archive
mkdir small
if mount -t tmpfs -o size=2m tmpfs small; then
    trap 'umount "$TMP/small" 2>/dev/null; rm -rf "$TMP"' EXIT
    cat >conf3.toml <<TOML
[archive]
dbpath = "$TMP/small/archive.db"
period = "0.5s"
TOML
    cat >full.sh <<'SH'
eddy submit --quiet --wait true
sleep 1.5
dd if=/dev/zero of=small/filler bs=64k 2>/dev/null
eddy submit --quiet --wait --cc=1-20 sh -c 'echo {cc}'
sleep 2
eddy dmesg > full.dmesg
rm -f small/filler
sleep 2
SH
    ok "an instance whose archive's disk fills and empties again runs its 21 jobs" \
        timeout 120 eddy start --config-path=conf3.toml sh full.sh
    has full.dmesg 'cannot archive [0-9]+ jobs \(kept, tried again' "the full disk is an error in the log"
    ok "once there is space, the archive has all 21, each once" \
        sh -c "[ \"\$(./q small/archive.db 'select count(*), count(distinct id) from jobs')\" = '21 21' ]"
else
    echo "ok $((T_N + 1)) # skip cannot mount a tmpfs"
fi

# retention
cat >conf4.toml <<TOML
[archive]
dbpath = "$TMP/ret.db"
period = "0.5s"
retention = "2s"
TOML
ok "with retention = 2s, jobs archived leave after 2 s" \
    timeout 120 eddy start --config-path=conf4.toml sh -c 'eddy submit --quiet --wait --cc=1-3 true; sleep 1; eddy submit --quiet --wait true; sleep 0.8; python3 -c "import sqlite3; print(sqlite3.connect(\"ret.db\").execute(\"select count(*) from jobs\").fetchone()[0])" >ret.early; sleep 3.5'
has ret.early '^[1-4]$' "while young they are there"
ok "after it, they are gone" sh -c "[ \"\$(./q ret.db 'select count(*) from jobs')\" = 0 ]"

# bad configuration
cat >bad.toml <<TOML
[archive]
period = "soon"
TOML
fails "[archive] with a bad period (and no dbpath) is refused" \
    timeout 60 eddy start --config-path=bad.toml true

# eddy account reads it
export EDDY_ACCOUNTING_DB=$TMP/acct.db
eddy account create-db && eddy account add-bank root 1 && eddy account add-bank --parent-bank=root A 1 \
    && eddy account add-user --username="$(id -un)" --bank=A
ok "eddy account jobs lists the archive's 8 jobs" \
    sh -c "[ \$(eddy account jobs --archive=archive.db | grep -c '^[0-9]') -eq 8 ]"
ok "shares counts the bank-A job's core-seconds as usage" \
    python3 -c "
import json, subprocess, sqlite3, sys
c = sqlite3.connect('archive.db')
want = c.execute(\"select sum(ncores * (t_inactive - t_run)) from jobs where bank = 'A'\").fetchone()[0]
s = json.loads(subprocess.check_output(['eddy', 'account', 'shares', '--archive=archive.db', '--half-life=0', '--json']))
u = [x for x in s if x['type'] == 'user'][0]
sys.exit(0 if want > 0 and abs(u['usage'] - want) < 1e-6 else 1)"

# fair share inside the instance: [accounting] names the database above;
# the factors are recomputed from the archive's own usage, checked here by
# working 2^(-U/S) out from the archive's rows
eddy account add-bank --parent-bank=root B 1
eddy account add-user --username="$(id -un)" --bank=B
cat >fs.toml <<TOML
[archive]
dbpath = "$TMP/fs.db"
period = "0.2s"
[accounting]
dbpath = "$EDDY_ACCOUNTING_DB"
half-life = "0"
period = "1h"
TOML
ok "an instance with [accounting] computes fair share from its archive" \
    timeout 120 eddy start --config-path=fs.toml -S resource.cores=0-1 sh -c 'eddy submit --quiet --wait -n 2 --setattr=bank=A sleep 0.6 && eddy submit --quiet --wait --setattr=bank=B sleep 0.3 && sleep 0.5 && eddy account shares --instance --json >fs.json'
ok "its factors are 2^(-U/S) of the archive's usage (A and B each half the shares)" python3 -c "
import json, sqlite3, sys
c = sqlite3.connect('fs.db')
use = dict(c.execute('select bank, sum(ncores * (t_inactive - t_run)) from jobs group by bank').fetchall())
total = sum(use.values())
got = {u['bank']: u for u in json.load(open('fs.json'))}
ok = all(abs(got[b]['fairshare'] - 2 ** -((use[b] / total) / 0.5)) < 1e-6 for b in ('A', 'B'))
ok = ok and got['A']['default'] and not got['B']['default'] and got['A']['fairshare'] < got['B']['fairshare']
sys.exit(0 if ok else 1)"
fails "without [accounting], --instance says there is no fair share" \
    timeout 60 eddy start --config-path=conf eddy account shares --instance
has "$TMP/out" 'no \[accounting\] dbpath' "says why"

# concurrent eddy account writers while the instance reads the database
# (its fair-share update every 0.1 s)
eddy account add-bank --parent-bank=root C 1
cat >fs2.toml <<TOML
[archive]
dbpath = "$TMP/fs2.db"
period = "0.1s"
[accounting]
dbpath = "$EDDY_ACCOUNTING_DB"
period = "0.1s"
TOML
cat >writers.sh <<'SH'
for w in 1 2 3; do
    ( for i in $(seq 1 25); do eddy account add-user --username=c$w-$i --userid=$((30000 + w * 100 + i)) --bank=C || echo "writer $w failed at $i"; done ) >w$w.log 2>&1 &
done
wait
sleep 0.3
eddy account shares --instance --json >fs2.json
eddy dmesg >fs2.dmesg
SH
ok "3 writers add 75 users while the instance recomputes fair share every 0.1 s" \
    timeout 120 eddy start --config-path=fs2.toml sh writers.sh
ok "no writer failed" sh -c "! grep -q failed w1.log w2.log w3.log"
hasnt fs2.dmesg 'accounting.*(cannot|locked|busy)' "the instance logged no failed read"
ok "the instance's last update has all 75 new users" \
    python3 -c "import json,sys; u=json.load(open('fs2.json')); sys.exit(0 if sum(1 for x in u if x['bank']=='C')==75 else 1)"
finish
