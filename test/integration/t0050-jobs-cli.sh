#!/usr/bin/env bash
# `eddy jobs` as a Flux or Slurm user expects it: filters by state or
# result (-f), user (-u), queue (-q) and end time (--since), done by
# job-list; RUNTIME as elapsed time and t_* fields as local ISO times;
# INFO says why a pending job waits (held, queue stopped, a dependency),
# where a running one runs.  `eddy job urgency` takes hold, expedite and
# default in any case; `eddy ping RANK` pings that rank's broker.  Bad
# input gets a message and a nonzero exit.  One four-broker instance with
# two named queues, then a restart on its state directory (the inactive
# jobs listed from the history read back from the KVS).
. "$(dirname "$0")/lib.sh"

conf="$TMP/conf.d"
mkdir "$conf"
cat >"$conf/10-queues.toml" <<'TOML'
[queues.batch]
resources = "0-1"
default = true

[queues.debug]
resources = "2-3"
TOML

cat >"$TMP/cli.sh" <<'SH'
tmp=$1
cd "$tmp"
cores=$(eddy resource list | awk '$1 == "free" { print $3 / $2 }')
# one job of each result, each waited for
ok=$(eddy submit true); eddy job wait $ok
bad=$(eddy submit false); eddy job wait $bad
can=$(eddy submit sleep 100); eddy job cancel $can; eddy job wait $can
to=$(eddy submit -t 1s sleep 100); eddy job wait $to
echo "$ok $bad $can $to" > ids.inactive
# --since takes whole seconds: a second clear of the jobs on either side
sleep 1.1
date +%Y-%m-%dT%H:%M:%S > since.t
sleep 1.1
late=$(eddy submit true); eddy job wait $late; echo $late > ids.late
# active jobs: one running, one held, one in a stopped queue
run=$(eddy submit sleep 100); echo $run > ids.run
for i in $(seq 1 100); do eddy jobs -n -o '{id.f58} {st}' | grep -q "^$run R$" && break; sleep 0.05; done
held=$(eddy submit --urgency=0 true); echo $held > ids.held
eddy queue stop -q debug "closed for the test"
stopped=$(eddy submit -q debug true); echo $stopped > ids.stopped
sleep 1.2
eddy jobs -a > table
eddy jobs -a --no-header -o '{id.f58} {st} {queue} {info}' > info
eddy jobs -n -o '{id.f58} {runtime}' > runtime
eddy jobs -a -n -o '{id.f58} {t_submit} {t_submit!d} {t_run!d}' > times
eddy jobs -a --json > json
for f in run pending sched inactive completed failed canceled timeout Pending,RUN \
         COMPLETED,failed active all; do
    eddy jobs -n -f $f -o '{id.f58}' > "f.$f" 2>&1; echo "rc=$?" >> "f.$f"
done
eddy jobs -n -a -f failed -o '{id.f58}' > f.a-failed; echo "rc=$?" >> f.a-failed
eddy jobs -n -f inactive -c 2 -o '{id.f58}' > f.count
eddy jobs -n -q debug -o '{id.f58}' > q.debug 2>&1; echo "rc=$?" >> q.debug
eddy jobs -n -a -q batch -o '{id.f58}' > q.batch 2>&1; echo "rc=$?" >> q.batch
eddy jobs -n -u "$(id -un)" -o '{id.f58}' > u.me 2>&1; echo "rc=$?" >> u.me
eddy jobs -n -u "$(id -u)" -o '{id.f58}' > u.uid 2>&1; echo "rc=$?" >> u.uid
eddy jobs -n -u 4000000 -o '{id.f58}' > u.other 2>&1; echo "rc=$?" >> u.other
eddy jobs -n -u ALL -o '{id.f58}' > u.all 2>&1; echo "rc=$?" >> u.all
eddy jobs -n --since="$(cat since.t)" -o '{id.f58}' > s.iso 2>&1; echo "rc=$?" >> s.iso
eddy jobs -n --since=-1h -o '{id.f58}' > s.rel 2>&1; echo "rc=$?" >> s.rel
eddy jobs -n --since=1d -f completed -o '{id.f58}' > s.day 2>&1; echo "rc=$?" >> s.day
# bad input
eddy jobs -f runing > e.state 2>&1; echo "rc=$?" >> e.state
eddy jobs -f pending, > e.comma 2>&1; echo "rc=$?" >> e.comma
eddy jobs -u no_such_user_here > e.user 2>&1; echo "rc=$?" >> e.user
eddy jobs -q nosuch > e.queue 2>&1; echo "rc=$?" >> e.queue
eddy jobs --since=yesterday > e.since 2>&1; echo "rc=$?" >> e.since
eddy jobs -o '{name!d}' > e.conv 2>&1; echo "rc=$?" >> e.conv
# two jobs that need both of batch's nodes whole, which the running job
# keeps busy: the first waits for resources, the second behind it
big1=$(eddy submit -N 2 -n 2 -c $cores true); big2=$(eddy submit -N 2 -n 2 -c $cores true)
echo "$big1 $big2" > ids.big
sleep 0.5
eddy jobs -n -o '{id.f58} {st} {info}' > info.order
# urgency words, any case, on the job its stopped queue keeps pending
for u in EXPEDITE hold DeFault 7 Hold; do
    eddy job urgency $stopped $u; echo "$u rc=$? $(eddy jobs -n -o '{id.f58} {urgency}' | grep "^$stopped ")"
done > urgency
for u in 32 -1 abc 1x '' ' 5' expedited; do
    eddy job urgency $stopped "$u"; echo "[$u] rc=$?"
done > urgency.bad 2>&1
# a dependency (the job waits in DEPEND)
dep=$(eddy submit --dependency=afterok:$run true); echo "$dep" > dep.id
sleep 0.5
eddy jobs -n -o '{id.f58} {st} {info}' | grep "^$dep " > dep
# ping a rank by number, RANK!SERVICE, and a rank that is not there
eddy ping -c 2 3 > ping.3 2>&1; echo "rc=$?" >> ping.3
eddy ping -c 1 '2!broker' > ping.2 2>&1; echo "rc=$?" >> ping.2
eddy ping -c 1 --rank 1 broker > ping.r1 2>&1; echo "rc=$?" >> ping.r1
eddy ping -c 1 9 > ping.9 2>&1; echo "rc=$?" >> ping.9
eddy ping -c 1 --rank 1 2 > ping.two 2>&1; echo "rc=$?" >> ping.two
eddy job info $run R > run.R
eddy queue start -q debug
eddy job cancel $run
eddy job wait $big1; eddy job wait $big2
SH
(timeout 120 eddy start --size 4 --config-path "$conf" --statedir "$TMP/state" sh "$TMP/cli.sh" "$TMP") \
    >"$TMP/cli" 2>&1
_report $? "an instance with queues batch and debug runs the listing script" "$TMP/cli"

read -r ok bad can to <"$TMP/ids.inactive"
late=$(cat "$TMP/ids.late"); run=$(cat "$TMP/ids.run")
held=$(cat "$TMP/ids.held"); stopped=$(cat "$TMP/ids.stopped")

# only (exactly) the ids in the list, one a line, then rc=0
only () { # FILE WHAT ID...
    local file=$1 what=$2; shift 2
    { [ $# -eq 0 ] || printf '%s\n' "$@" | sort; echo "rc=0"; } >"$TMP/want"
    { grep -v '^rc=' "$file" | sort; grep '^rc=' "$file"; } >"$TMP/got"
    cmp -s "$TMP/want" "$TMP/got"; _report $? "$what" "$file"
}

# refused FILE PATTERN WHAT: FILE has the message and then rc=1
refused () {
    grep -Eq -- "$2" "$1" && grep -q '^rc=1$' "$1"; _report $? "$3" "$1"
}

# ---- -f: states, groups and results ----
only "$TMP/f.run" "-f run: the running job only" "$run"
only "$TMP/f.pending" "-f pending: the held job and the one in the stopped queue" "$held" "$stopped"
only "$TMP/f.sched" "-f sched: the same two" "$held" "$stopped"
only "$TMP/f.inactive" "-f inactive: the five that ended" "$ok" "$bad" "$can" "$to" "$late"
only "$TMP/f.completed" "-f completed: the two that succeeded" "$ok" "$late"
only "$TMP/f.failed" "-f failed: the job that exited 1" "$bad"
only "$TMP/f.canceled" "-f canceled: the canceled job" "$can"
only "$TMP/f.timeout" "-f timeout: the job over its time limit" "$to"
only "$TMP/f.Pending,RUN" "-f Pending,RUN: names in any case, a list" "$held" "$stopped" "$run"
only "$TMP/f.COMPLETED,failed" "-f COMPLETED,failed: results as a list" "$ok" "$late" "$bad"
only "$TMP/f.active" "-f active: the three active jobs" "$held" "$stopped" "$run"
only "$TMP/f.all" "-f all: every job" "$ok" "$bad" "$can" "$to" "$late" "$held" "$stopped" "$run"
only "$TMP/f.a-failed" "-f wins over -a" "$bad"
n=$(wc -l <"$TMP/f.count")
[ "$n" -eq 2 ]; _report $? "-f inactive -c 2: two lines ($n)" "$TMP/f.count"

# ---- -q, -u, --since ----
only "$TMP/q.debug" "-q debug: the job submitted there" "$stopped"
only "$TMP/q.batch" "-q batch: the default queue has the jobs submitted without -q" \
    "$ok" "$bad" "$can" "$to" "$late" "$held" "$run"
only "$TMP/u.me" "-u NAME: my active jobs" "$held" "$stopped" "$run"
only "$TMP/u.uid" "-u UID: the same" "$held" "$stopped" "$run"
only "$TMP/u.other" "-u of a uid with no jobs: none"
only "$TMP/u.all" "-u ALL: every user's active jobs" "$held" "$stopped" "$run"
only "$TMP/s.iso" "--since=LOCAL-ISO-TIME: active jobs and the one that ended after it" \
    "$late" "$held" "$stopped" "$run"
only "$TMP/s.rel" "--since=-1h implies -a: every job" \
    "$ok" "$bad" "$can" "$to" "$late" "$held" "$stopped" "$run"
only "$TMP/s.day" "--since=1d -f completed" "$ok" "$late"

# ---- errors ----
refused "$TMP/e.state" "^eddy-jobs: --filter: 'runing' is not a job state" \
    "a bad state is named, exit 1"
refused "$TMP/e.comma" "empty state name" "a list ending with a comma is refused, exit 1"
refused "$TMP/e.user" "unknown user 'no_such_user_here'" "an unknown user is named, exit 1"
refused "$TMP/e.queue" "no such queue 'nosuch' \(queues: batch, debug\)" \
    "an unknown queue is named, with the queues, exit 1"
refused "$TMP/e.since" "--since: 'yesterday' is neither a duration ago" \
    "a bad --since is refused, exit 1"
refused "$TMP/e.conv" "!d \(a local time\) is for t_submit" \
    "!d on a field that is no time is refused, exit 1"

# ---- times ----
has "$TMP/runtime" "^$run [0-9]+\.[0-9]s$" "RUNTIME of a running job is an elapsed time (1.5s)"
has "$TMP/runtime" "^$held 0\.0s$" "and 0.0s for a pending one"
line=$(grep "^$ok " "$TMP/times")
set -- $line
want=$(date -d "@${2%.*}" +%Y-%m-%dT%H:%M:%S)
[ "$3" = "$want" ] && [ "$4" = "$want" ] || [ "$4" = "$(date -d "@$((${2%.*} + 1))" +%Y-%m-%dT%H:%M:%S)" ]
_report $? "{t_submit!d} and {t_run!d} are local ISO times ($3 $4, want $want)" "$TMP/times"
has "$TMP/times" "^$held [0-9]+\.[0-9]+ 20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]{8} $" \
    "an empty {t_run!d} for a job that has not run"
grep -q "\"t_submit\":[0-9]*\.[0-9]*" "$TMP/json" && grep -q '"queue":"batch"' "$TMP/json"
_report $? "--json keeps the raw numbers and has the queue" "$TMP/json"

# ---- INFO ----
has "$TMP/info" "^$held S batch held$" "INFO of a held job: held"
has "$TMP/info" "^$stopped S debug queue stopped$" "INFO of a job in a stopped queue: queue stopped"
nodes=$(grep -o '"nodelist":\["[^"]*"' "$TMP/run.R" | sed 's/.*\["//; s/"$//')
has "$TMP/info" "^$run R batch $nodes$" "INFO of a running job: its nodelist ($nodes)"
has "$TMP/info" "^$can CA batch cancel" "INFO of a canceled job: the exception"
read -r big1 big2 <"$TMP/ids.big"
grep -q "^$big1 S resources$" "$TMP/info.order" && grep -q "^$big2 S priority$" "$TMP/info.order"
_report $? "INFO of the first job of a queue that does not fit: resources; of one behind it: priority" \
    "$TMP/info.order"
grep -Eq "^ +ID USER +NAME +ST NTASKS NNODES +TIME STATUS INFO$" "$TMP/table" \
    && grep -Eq "^ *$held .* S .* held$" "$TMP/table"
_report $? "the default table (its header as before) shows it" "$TMP/table"
has "$TMP/dep" "^[^ ]+ D depends on [^ ]+$" "INFO of a job waiting for another: depends on ID"

# ---- urgency ----
printf '%s\n' "EXPEDITE rc=0 $stopped 31" "hold rc=0 $stopped 0" "DeFault rc=0 $stopped 16" \
    "7 rc=0 $stopped 7" "Hold rc=0 $stopped 0" >"$TMP/urgency.want"
ok "urgency EXPEDITE, hold, DeFault, 7, Hold set 31, 0, 16, 7, 0" \
    cmp "$TMP/urgency.want" "$TMP/urgency"
n=0
for u in 32 -1 abc 1x '' ' 5' expedited; do
    grep -q "^\[$u\] rc=1$" "$TMP/urgency.bad" && n=$((n + 1))
done
m=$(grep -c "is not 0-31, hold, default or expedite" "$TMP/urgency.bad")
[ "$n" -eq 7 ] && [ "$m" -eq 7 ]
_report $? "32, -1, abc, 1x, '', ' 5', expedited: each refused ($n), with a message ($m)" \
    "$TMP/urgency.bad"

# ---- ping ----
grep -q "^broker\.ping rank=3 seq=1 " "$TMP/ping.3" && grep -q "^rc=0$" "$TMP/ping.3"
_report $? "eddy ping 3 pings rank 3's broker" "$TMP/ping.3"
grep -q "^broker\.ping rank=2 seq=0 " "$TMP/ping.2" \
    && grep -q "^broker\.ping rank=1 seq=0 " "$TMP/ping.r1"
_report $? "eddy ping 2!broker pings rank 2 (and --rank 1 broker rank 1)" "$TMP/ping.2"
refused "$TMP/ping.9" "no rank 9" "eddy ping 9 in a 4-broker instance: no rank 9, exit 1"
refused "$TMP/ping.two" "names rank 2, --rank another" \
    "a rank in TARGET and another --rank are refused, exit 1"

# ---- after a restart: the inactive jobs come from the KVS ----
cat >"$TMP/again.sh" <<'SH'
cd "$1"
eddy jobs -n -f canceled,timeout -o '{id.f58} {queue} {result} {info}' > r.inactive 2>&1
echo "rc=$?" >> r.inactive
eddy jobs -n -a -q batch -f failed -o '{id.f58}' > r.failed 2>&1; echo "rc=$?" >> r.failed
eddy jobs -n -f pending -o '{id.f58} {info}' > r.pending 2>&1; echo "rc=$?" >> r.pending
SH
(timeout 60 eddy start --size 4 --config-path "$conf" --statedir "$TMP/state" sh "$TMP/again.sh" "$TMP") \
    >"$TMP/again" 2>&1
# the running job was canceled as the first instance's script ended
{ printf '%s\n' "$can batch CANCELED cancel" "$run batch CANCELED cancel" "$to batch TIMEOUT timeout" \
      | sort; echo "rc=0"; } >"$TMP/want"
{ grep -v '^rc=' "$TMP/r.inactive" | sed 's/: .*//' | sort; grep '^rc=' "$TMP/r.inactive"; } >"$TMP/got"
cmp -s "$TMP/want" "$TMP/got"
_report $? "after a restart -f canceled,timeout lists the three, with queue, result and exception" \
    "$TMP/r.inactive"
# (and the dependent job: its afterok target $run was canceled,
# a fatal dependency exception)
only "$TMP/r.failed" "after a restart -q batch -f failed lists the failed job" "$bad" \
    "$(cat "$TMP/dep.id")"
grep -q "^$held held$" "$TMP/r.pending" && grep -q "^$stopped held$" "$TMP/r.pending"
_report $? "after a restart both pending jobs are held (urgency 0 is kept)" "$TMP/r.pending"

finish
