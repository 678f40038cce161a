#!/usr/bin/env bash
# Queues, as the Flux administrator's guide has them: `eddy queue
# disable` refuses submissions with its reason and `enable` lets them in
# again; `stop` keeps pending jobs pending (running ones go on) and
# `start` lets them run; `status -v` counts the jobs; the states survive a
# restart on the same state directory.  Named queues from a conf.d
# ([queues.NAME]): a queue's jobs go only to its ranks, an unknown queue
# and a job over a queue's limits are refused at submit.  `eddy job
# cancelall` cancels exactly the jobs its filters match, and only with -f.
. "$(dirname "$0")/lib.sh"

state="$TMP/state"

# ---- one anonymous queue: submission and scheduling states ----

cat >"$TMP/first.sh" <<'SH'
tmp=$1
eddy queue status -v > "$tmp/status0"
eddy queue disable "maintenance until noon"; echo "disable rc=$?"
eddy submit true > "$tmp/refused.out" 2>&1; echo "refused rc=$?" >> "$tmp/refused.out"
eddy queue status > "$tmp/status1"
eddy queue enable; echo "enable rc=$?"
id=$(eddy submit true) && eddy job wait $id; echo "accepted rc=$?"
eddy queue stop "no new jobs today"; echo "stop rc=$?"
run=$(eddy submit sleep 100)
# a job that was running when the queue stopped: a second job, started first
eddy queue start
for i in $(seq 1 200); do eddy jobs -n -o '{id.f58} {st}' | grep -q "^$run R$" && break; sleep 0.05; done
eddy queue stop "no new jobs today"
held=$(eddy submit true); echo "$held" > "$tmp/held.id"
# bounded: for 2 s the job must stay pending
for i in $(seq 1 20); do eddy jobs -n -o '{id.f58} {st}' | grep "^$held " >> "$tmp/held.st"; sleep 0.1; done
eddy jobs -n -o '{id.f58} {st}' | grep "^$run " > "$tmp/run.st"
eddy queue status -v > "$tmp/status2"
# a job waiting in the scheduler for the cores the running one holds:
# stopping the queue withdraws its request
eddy queue start
timeout 20 eddy job wait $held
big=$(eddy submit -n "$(nproc)" true); echo "$big" > "$tmp/held.id"
for i in $(seq 1 50); do eddy queue status -v | grep -q '^1 alloc requests pending' && break; sleep 0.05; done
eddy queue status -v > "$tmp/status4"
eddy queue stop "no new jobs today"
eddy queue status -v > "$tmp/status5"
eddy job cancel $run; eddy job wait $run
sleep 1
eddy jobs -n -o '{id.f58} {st}' | grep "^$big " > "$tmp/big.st"
eddy queue disable "down for the upgrade"
SH
(cd "$TMP" && timeout 60 eddy start --statedir "$state" sh first.sh "$TMP") >"$TMP/first" 2>&1
_report $? "disable, enable, stop and start a queue" "$TMP/first"
has "$TMP/status0" '^Job submission is enabled$' "a new queue is enabled"
has "$TMP/status0" '^Scheduling is started$' "and started"
has "$TMP/status0" '^0 alloc requests queued$' "status -v counts queued alloc requests"
has "$TMP/status0" '^0 running jobs$' "and running jobs"
has "$TMP/first" '^disable rc=0$' "eddy queue disable REASON succeeds"
has "$TMP/refused.out" 'disabled: maintenance until noon' "a refused submitter sees the reason"
has "$TMP/refused.out" '^refused rc=[1-9]' "and eddy submit exits nonzero"
has "$TMP/status1" '^Job submission is disabled: maintenance until noon$' "status shows the reason"
has "$TMP/first" '^accepted rc=0$' "after enable a job is accepted and runs"
has "$TMP/held.st" ' S$' "a job submitted to a stopped queue is pending"
n=$(grep -c ' S$' "$TMP/held.st")
[ "$n" -eq 20 ]; _report $? "and stays pending for 2 s ($n of 20 looks)" "$TMP/held.st"
has "$TMP/run.st" ' R$' "a job running when the queue stopped goes on running"
has "$TMP/status2" '^Scheduling is stopped: no new jobs today$' "status shows the stop reason"
has "$TMP/status2" '^1 alloc requests queued$' "status -v counts the pending job"
has "$TMP/status2" '^0 alloc requests pending to scheduler$' "which is not asked of the scheduler"
has "$TMP/status2" '^1 running jobs$' "and the running one"
has "$TMP/status4" '^1 alloc requests pending to scheduler$' "a job waiting for cores is pending in the scheduler"
has "$TMP/status5" '^1 alloc requests queued$' "stop withdraws its request: it is queued"
has "$TMP/status5" '^0 alloc requests pending to scheduler$' "and no longer pending in the scheduler"
has "$TMP/big.st" ' S$' "it does not run when the cores are free, the queue being stopped"

cat >"$TMP/second.sh" <<'SH'
tmp=$1
eddy queue status > "$tmp/status3"
eddy submit true > "$tmp/refused2.out" 2>&1; echo "refused rc=$?" >> "$tmp/refused2.out"
held=$(cat "$tmp/held.id")
sleep 1
eddy jobs -n -o '{id.f58} {st}' | grep "^$held " > "$tmp/held2.st"
eddy queue enable && eddy queue start
timeout 20 eddy job wait $held; echo "held rc=$?"
SH
(cd "$TMP" && timeout 60 eddy start --statedir "$state" sh second.sh "$TMP") >"$TMP/second" 2>&1
_report $? "a restart on the same state directory" "$TMP/second"
has "$TMP/status3" '^Job submission is disabled: down for the upgrade$' "the disabled state survives a restart"
has "$TMP/status3" '^Scheduling is stopped: no new jobs today$' "and so does the stopped state"
has "$TMP/refused2.out" 'disabled: down for the upgrade' "submissions are still refused"
has "$TMP/held2.st" ' S$' "the pending job is still pending after the restart"
has "$TMP/second" '^held rc=0$' "and runs once the queue is started"

fails "queue stop --all -q x is refused" eddy queue stop --all -q x
fails "an unknown subcommand is refused" eddy queue pause

# ---- named queues from a conf.d ----

conf="$TMP/conf.d"
mkdir "$conf"
cat >"$conf/10-queues.toml" <<'TOML'
[queues.batch]
resources = "0-1"
default = true

[queues.debug]
resources = "2-3"

[queues.debug.policy.limits]
duration = "1m"
job-size.max.nnodes = 1
job-size.max.ncores = 2
job-size.max.ngpus = 1
TOML

cat >"$TMP/named.sh" <<'SH'
tmp=$1
eddy queue list > "$tmp/list"
eddy queue status > "$tmp/nstatus"
for i in 1 2 3 4 5 6; do eddy submit -q debug -t 30s true; done > "$tmp/debug.ids"
for i in 1 2 3 4 5 6; do eddy submit true; done > "$tmp/batch.ids"
eddy submit --queue=batch -N 2 -n 2 true >> "$tmp/batch.ids"
eddy submit -q nosuch true > "$tmp/nosuch" 2>&1; echo "rc=$?" >> "$tmp/nosuch"
eddy submit -S queue=nosuch true > "$tmp/nosuch2" 2>&1; echo "rc=$?" >> "$tmp/nosuch2"
eddy submit -q debug -N 2 -n 2 -t 30s true > "$tmp/big" 2>&1; echo "rc=$?" >> "$tmp/big"
eddy submit -q debug -n 3 -t 30s true > "$tmp/cores" 2>&1; echo "rc=$?" >> "$tmp/cores"
eddy submit -q debug -n 2 -g 1 -t 30s true > "$tmp/gpus" 2>&1; echo "rc=$?" >> "$tmp/gpus"
eddy submit -q debug -t 2h true > "$tmp/long" 2>&1; echo "rc=$?" >> "$tmp/long"
eddy queue drain
for id in $(cat "$tmp/debug.ids"); do eddy job info $id R; echo; done > "$tmp/debug.R"
for id in $(cat "$tmp/batch.ids"); do eddy job info $id R; echo; done > "$tmp/batch.R"
# one queue stopped, the other runs
eddy queue stop -q debug "debug is closed"; echo "stop debug rc=$?"
d=$(eddy submit -q debug -t 30s true)
b=$(eddy submit true)
timeout 20 eddy job wait $b; echo "batch rc=$?"
eddy jobs -n -o '{id.f58} {st}' | grep "^$d " > "$tmp/d.st"
eddy queue status -q debug > "$tmp/dstatus"
eddy queue status --json > "$tmp/json"
eddy queue status -q batch > "$tmp/bstatus"
eddy queue start -q debug
timeout 20 eddy job wait $d; echo "debug rc=$?"
# a reload that moves debug to ranks 0-1 moves the request of a job that
# waits there for cores (sleepers hold ranks 2-3)
s1=$(eddy submit -q debug -n 2 -t 50s sleep 30)
s2=$(eddy submit -q debug -n 2 -t 50s sleep 30)
for i in $(seq 1 200); do
    [ "$(eddy jobs -n -o '{id.f58} {st}' | grep -cE "^($s1|$s2) R$")" -eq 2 ] && break; sleep 0.05
done
w=$(eddy submit -q debug -n 2 -t 30s true)
for i in $(seq 1 50); do eddy queue status -q debug -v | grep -q ' 1 alloc requests pending' && break; sleep 0.05; done
eddy queue status -q debug -v > "$tmp/wstatus"
sed -i 's/^resources = "2-3"/resources = "0-1"/' "$2/10-queues.toml"
eddy config reload; echo "reload rc=$?"
eddy queue list > "$tmp/list2"
timeout 10 eddy job wait $w; echo "moved rc=$?"
eddy job info $w R > "$tmp/w.R"
eddy jobs -n -o '{id.f58} {st}' | grep -cE "^($s1|$s2) R$" > "$tmp/sleepers"
eddy job cancel $s1 $s2; eddy job wait $s1; eddy job wait $s2
eddy queue disable --all "all closed"
eddy queue status > "$tmp/astatus"
eddy queue enable --all

# ---- cancelall ----
r=$(eddy submit sleep 100)
for i in $(seq 1 200); do eddy jobs -n -o '{id.f58} {st}' | grep -q "^$r R$" && break; sleep 0.05; done
eddy queue stop --all
for i in 1 2 3 4 5; do eddy submit true; done > "$tmp/ca.batch"
for i in 1 2 3; do eddy submit -q debug -t 30s true; done > "$tmp/ca.debug"
eddy job cancelall > "$tmp/ca.dry" 2>&1
eddy job cancelall -s sched,run > "$tmp/ca.dry2" 2>&1
eddy jobs -n -o '{id.f58} {st}' | wc -l > "$tmp/ca.active0"
eddy job cancelall -f -u 4242 > "$tmp/ca.user" 2>&1
eddy job cancelall -u "$(id -un)" > "$tmp/ca.me" 2>&1
eddy job cancelall -u all -q debug > "$tmp/ca.all" 2>&1
eddy job cancelall -u nosuchuser-x > "$tmp/ca.nouser" 2>&1; echo "rc=$?" >> "$tmp/ca.nouser"
eddy job cancelall -f -q debug > "$tmp/ca.q" 2>&1
eddy jobs -a -n -o '{id.f58} {st}' > "$tmp/ca.after.q"
eddy job cancelall -f -s pending > "$tmp/ca.pending" 2>&1
eddy jobs -a -n -o '{id.f58} {st}' > "$tmp/ca.after.p"
eddy job cancelall -s bogus > "$tmp/ca.bogus" 2>&1; echo "rc=$?" >> "$tmp/ca.bogus"
eddy job cancelall -f -q nosuch > "$tmp/ca.nosuch" 2>&1; echo "rc=$?" >> "$tmp/ca.nosuch"
echo "$r" > "$tmp/ca.run"
eddy job cancelall -f -s running > "$tmp/ca.running" 2>&1
timeout 20 eddy job wait $r; echo "running rc=$?"
SH
(cd "$TMP" && timeout 90 eddy start --size 4 --config-path "$conf" sh named.sh "$TMP" "$conf") >"$TMP/named" 2>&1
_report $? "an instance with [queues.batch] and [queues.debug]" "$TMP/named"
has "$TMP/list" '^batch +y +y +\* +- +- +- +0-1$' "queue list shows batch: the default, no limits, ranks 0-1"
has "$TMP/list" '^debug +y +y +60s +1 +2 +2-3$' "and debug: 60s, 1 node, 2 cores, ranks 2-3"
has "$TMP/nstatus" '^debug: Scheduling is started$' "status names each queue"
n=$(grep -c '"rank":"[23]"' "$TMP/debug.R")
[ "$n" -eq 6 ]; _report $? "the 6 jobs of -q debug ran on ranks 2-3 only ($n)" "$TMP/debug.R"
n=$(grep -Ec '"rank":"(0|1|0-1)"' "$TMP/batch.R")
[ "$n" -eq 7 ]; _report $? "the 7 jobs of the default queue ran on ranks 0-1 only ($n)" "$TMP/batch.R"
has "$TMP/nosuch" "queue 'nosuch' does not exist" "an unknown queue is refused at submit"
has "$TMP/nosuch" '^rc=[1-9]' "with a nonzero exit"
has "$TMP/nosuch2" "queue 'nosuch' does not exist" "and so is -S queue=nosuch"
has "$TMP/big" '2 nodes exceed its limit of 1' "a job over the node limit is refused"
has "$TMP/big" '^rc=[1-9]' "with a nonzero exit"
has "$TMP/cores" '3 cores exceed its limit of 2' "a job over the core limit is refused"
has "$TMP/gpus" '2 GPUs exceed its limit of 1' "a job over the GPU limit is refused"
has "$TMP/long" 'exceeds its limit of 60s' "a job over the time limit is refused"
has "$TMP/named" '^stop debug rc=0$' "eddy queue stop -q debug"
has "$TMP/named" '^batch rc=0$' "a batch job runs while debug is stopped"
has "$TMP/d.st" ' S$' "while the debug job stays pending"
has "$TMP/dstatus" '^debug: Scheduling is stopped: debug is closed$' "status -q debug says why"
hasnt "$TMP/dstatus" '^batch' "and shows debug alone"
has "$TMP/bstatus" '^batch: Scheduling is started$' "batch is started"
has "$TMP/json" '"name":"debug","default":false,"enabled":true,"started":false' "status --json shows debug stopped"
has "$TMP/json" '"stop_reason":"debug is closed"' "with its reason"
has "$TMP/named" '^debug rc=0$' "the debug job runs once debug is started"
has "$TMP/wstatus" '^debug: 1 alloc requests pending to scheduler$' "a debug job waits in the scheduler for ranks 2-3"
has "$TMP/named" '^reload rc=0$' "a reload moves debug to ranks 0-1"
has "$TMP/list2" '^debug .* 0-1$' "queue list shows it"
has "$TMP/named" '^moved rc=0$' "the waiting job runs at once"
has "$TMP/w.R" '"rank":"(0|1)"' "on rank 0 or 1"
has "$TMP/sleepers" '^2$' "while the sleepers still hold ranks 2-3"
n=$(grep -c 'Job submission is disabled: all closed$' "$TMP/astatus")
[ "$n" -eq 2 ]; _report $? "disable --all disables both queues ($n)" "$TMP/astatus"

has "$TMP/ca.dry" 'matched 9 jobs \(-f to confirm\)' "cancelall without -f counts the 9 active jobs"
has "$TMP/ca.dry2" 'matched 9 jobs' "-s sched,run matches them too"
has "$TMP/ca.active0" '^9$' "and cancels none of them"
has "$TMP/ca.user" 'canceled 0 jobs' "-u another user matches none of the owner's"
has "$TMP/ca.me" 'matched 9 jobs' "-u with the owner's name matches them all"
has "$TMP/ca.all" 'matched 3 jobs' "-u all -q debug matches the 3 debug jobs"
has "$TMP/ca.nouser" "unknown user 'nosuchuser-x'" "an unknown user is refused"
has "$TMP/ca.nouser" '^rc=[1-9]' "with a nonzero exit"
has "$TMP/ca.q" 'canceled 3 jobs' "-f -q debug cancels the 3 debug jobs"
n=0; for id in $(cat "$TMP/ca.debug"); do grep -q "^$id CA$" "$TMP/ca.after.q" && n=$((n + 1)); done
[ "$n" -eq 3 ]; _report $? "each debug job is canceled ($n)" "$TMP/ca.after.q"
n=0; for id in $(cat "$TMP/ca.batch"); do grep -q "^$id S$" "$TMP/ca.after.q" && n=$((n + 1)); done
[ "$n" -eq 5 ]; _report $? "the 5 batch jobs are still pending ($n)" "$TMP/ca.after.q"
has "$TMP/ca.pending" 'canceled 5 jobs' "-f -s pending cancels the 5 pending jobs"
r=$(cat "$TMP/ca.run")
has "$TMP/ca.after.p" "^$r R$" "and not the running one"
has "$TMP/ca.bogus" "'bogus' is not a job state" "an unknown state is refused"
has "$TMP/ca.bogus" '^rc=[1-9]' "with a nonzero exit"
has "$TMP/ca.nosuch" "queue 'nosuch' does not exist" "an unknown queue is refused by cancelall"
has "$TMP/ca.running" 'canceled 1 jobs' "-f -s running cancels the running job"
has "$TMP/named" '^running rc=[1-9]' "which ends"

# ---- a queue by property, another by hostlist (R from the resource module) ----

R=$(eddy R encode --hosts='n[0-3]' --cores=0-1 --property=big:2-3)
mkdir "$TMP/prop.d"
printf '[queues.small]\nresources = "n[0-1]"\ndefault = true\n[queues.big]\nrequires = ["big"]\n' \
    >"$TMP/prop.d/q.toml"
cat >"$TMP/prop.sh" <<'SH'
tmp=$1
for i in 1 2 3 4; do eddy submit -q big -n 2 sleep 0.2; done > "$tmp/big.ids"
for i in 1 2 3 4; do eddy submit -n 2 sleep 0.2; done > "$tmp/small.ids"
eddy queue drain
for id in $(cat "$tmp/big.ids"); do eddy job info $id R; echo; done > "$tmp/big.R"
for id in $(cat "$tmp/small.ids"); do eddy job info $id R; echo; done > "$tmp/small.R"
SH
(cd "$TMP" && timeout 60 eddy start --size 4 --config-path "$TMP/prop.d" -m resource="{\"R\":$R}" \
    sh prop.sh "$TMP") >"$TMP/prop" 2>&1
_report $? "an instance with a queue by property and one by hostlist" "$TMP/prop"
n=$(grep -Ec '"rank":"(2|3|2-3)"' "$TMP/big.R")
[ "$n" -eq 4 ]; _report $? "requires = [\"big\"]: the 4 jobs ran on the big ranks 2-3 ($n)" "$TMP/big.R"
n=$(grep -Ec '"rank":"(0|1|0-1)"' "$TMP/small.R")
[ "$n" -eq 4 ]; _report $? "resources = \"n[0-1]\": the 4 jobs ran on ranks 0-1 ($n)" "$TMP/small.R"

# a bad [queues] table stops the instance with the key named
mkdir "$TMP/bad.d"
printf '[queues.a]\ndefault = true\n[queues.b]\ndefault = true\n' >"$TMP/bad.d/q.toml"
timeout 30 eddy start --config-path "$TMP/bad.d" true >"$TMP/bad" 2>&1
rc=$?
[ $rc -ne 0 ]; _report $? "two default queues are refused (exit $rc)" "$TMP/bad"
has "$TMP/bad" 'both a and b are the default queue' "with a message naming them"

printf '[queues.a]\nresorces = "0-1"\n' >"$TMP/typo.toml"
eddy config check "$TMP/typo.toml" >"$TMP/typo" 2>&1
rc=$?
[ $rc -eq 0 ]; _report $? "eddy config check warns of a misspelt key in a queue, as of any key (exit $rc)" "$TMP/typo"
has "$TMP/typo" 'queues.a.resorces: unknown key \(ignored\)' "naming it"
printf '[queues.a]\npolicy.limits.durration = "1h"\n' >"$TMP/typo.toml"
eddy config check "$TMP/typo.toml" >"$TMP/typo" 2>&1
has "$TMP/typo" 'queues.a.policy.limits.durration: unknown key \(ignored\)' "and of one in its limits"

finish
