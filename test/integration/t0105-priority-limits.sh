#!/usr/bin/env bash
# The multi-factor priority plugin's limits, from the accounting database,
# for the instance owner: max_active_jobs refuses a submission past it
# with a message that says so; max_running_jobs holds the jobs past it in
# SCHED (eddy jobs shows "max-running-jobs", eddy job priority says why)
# and releases the next one when a job ends; a bank the user has no
# association with is refused; HOLD stays absolute; without accounting
# data yet the jobs wait ("no-accounting-data"); a plugin name that is
# not known is refused at start.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
A="eddy account -p $TMP/acct.db"
ok "a database: root bank, bank A, the owner in A (1 running, 3 active)" sh -c "
    $A create-db && $A add-bank root 1 && $A add-bank --parent-bank=root A 1 &&
    $A add-user --username=$(id -un) --userid=$(id -u) --bank=A --max-running-jobs=1 --max-active-jobs=3"
mkdir conf
cat >conf/c.toml <<TOML
[archive]
dbpath = "$TMP/archive.db"
period = "0.5s"
[accounting]
dbpath = "$TMP/acct.db"
half-life = 0
period = "1s"
[job-manager.priority]
plugin = "multifactor"
weights = { fairshare = 1000, age = 0, urgency = 310 }
TOML
cat >run.sh <<'SH'
# the first factors come at the job-archive's load (then every second)
sleep 1
a=$(eddy submit sleep 60)
b=$(eddy submit sleep 60)
c=$(eddy submit --urgency=0 true)
eddy submit true >d.out 2>&1; echo $? >d.rc
eddy submit --setattr=bank=B true >e.out 2>&1; echo $? >e.rc
until eddy jobs -o '{id} {st}' | grep -q "^$a R"; do sleep 0.1; done
sleep 0.5
eddy jobs -n -o '{id} {st} {priority}' >jobs1
eddy jobs >jobs1.txt
eddy job priority "$b" >prio_b.txt
eddy job priority --json "$a" >prio_a.json
eddy job cancel "$a"
until eddy jobs -o '{id} {st}' | grep -q "^$b R"; do sleep 0.1; done
eddy jobs -n -o '{id} {st} {priority}' >jobs2
eddy jobs >jobs2.txt
eddy job cancel "$b" "$c"
echo "$a $b $c" >ids
SH
ok "an instance with multifactor and limits runs the script" \
    timeout 120 eddy start --config-path=conf -S resource.cores=0-1 sh run.sh
read -r a b c <ids
ok "max-active-jobs: the 4th submission is refused (exit 1)" sh -c "[ \$(cat d.rc) = 1 ]"
has d.out "^eddy-submit: .*user $(id -u) in bank 'A' has 3 active jobs: max-active-jobs is 3" \
    "...with a message that names the limit"
ok "a bank without an association is refused (exit 1)" sh -c "[ \$(cat e.rc) = 1 ]"
has e.out "^eddy-submit: .*no association with bank 'B'" "...and says so"
# priority 1 + 1000 x 1 (fair share, no usage) + 310 x 16/31 (urgency)
has jobs1 "^$a R 1161\$" "the first job runs with priority 1 + 1000 + 160"
has jobs1 "^$b S 0\$" "the second is held at priority 0 (max_running_jobs 1)"
has jobs1 "^$c S 0\$" "urgency 0 is still priority 0"
has jobs1.txt "sleep +S .* max-running-jobs\$" "eddy jobs shows the reason"
has jobs1.txt "true +S .* held\$" "...and a held job as held"
has prio_b.txt "^held: max-running-jobs\$" "eddy job priority says why it is held"
has prio_b.txt "^fairshare +1 +1000 +1000\$" "...and shows the factors and weights"
ok "--json: the factors of the running job" python3 -c "
import json, sys
j = json.load(open('prio_a.json'))
f = j['factors']
sys.exit(0 if j['priority'] == 1161 and f['fairshare'] == 1 and abs(f['urgency'] - 16/31) < 1e-9
         and j['bank'] == 'A' and j['plugin'] == 'multifactor' else 1)"
has jobs2 "^$b R 1161\$" "once the first ends the second is released and runs"
has jobs2 "^$c S 0\$" "...and the held one stays held"

# no accounting data: jobs wait with a reason
cat >conf2.toml <<TOML
[job-manager.priority]
plugin = "multifactor"
TOML
ok "multifactor without [accounting]: a job waits" timeout 60 eddy start --config-path=conf2.toml \
    sh -c 'j=$(eddy submit true); sleep 1; eddy jobs >nodata.txt; eddy job cancel $j'
has nodata.txt "no-accounting-data\$" "...shown as no-accounting-data"

printf '[job-manager.priority]\nplugin = "bogus"\n' >conf3.toml
fails "an unknown plugin is refused at start" timeout 30 eddy start --config-path=conf3.toml true
has "$TMP/out" "urgency|multifactor" "...naming the plugins"
finish
