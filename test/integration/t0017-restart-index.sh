#!/usr/bin/env bash
# A restart reads the index of active jobs, not the history: over a state
# directory with a few hundred inactive jobs and some pending ones, the
# pending ones are active again and run, `eddy jobs -a` still lists every
# job, an old job can be waited on, new ids stay unique; and a state
# directory from before the index (none in the KVS) still restarts, is
# walked once, and gets its index.
. "$(dirname "$0")/lib.sh"

state="$TMP/state"

cat >"$TMP/first.sh" <<'SH'
eddy submit --cc=1-300 --quiet --wait true || exit 1
eddy job id "$(eddy jobs -a -n -c 1 -o '{id.f58}')" > last.id
eddy submit --urgency=0 true > held1.id && eddy submit --urgency=0 true > held2.id
eddy jobs -a -n -o '{id.f58} {state}' > jobs.first
eddy kvs get job-index.version > version.first
eddy kvs dir -R job-index.active | grep " = " > index.first
SH
(cd "$TMP" && eddy start --statedir "$state" sh first.sh) >"$TMP/first" 2>&1
_report $? "the first instance runs 300 jobs and holds two" "$TMP/first"
n=$(grep -c ' INACTIVE$' "$TMP/jobs.first")
[ "$n" -eq 300 ]; _report $? "300 inactive jobs ($n)" "$TMP/jobs.first"
has "$TMP/version.first" '^1$' "the KVS holds the job index, version 1"
n=$(wc -l <"$TMP/index.first")
[ "$n" -eq 2 ]; _report $? "it indexes the two held jobs only ($n entries)" "$TMP/index.first"

held1=$(cat "$TMP/held1.id"); held2=$(cat "$TMP/held2.id")
cat >"$TMP/second.sh" <<SH
eddy jobs -n -o '{id.f58} {state}' > active.second
eddy jobs -a -n -o '{id.f58} {state} {result}' > jobs.second
eddy job wait \$(cat last.id); echo "wait old rc=\$?"
eddy job urgency $held1 16 && eddy job urgency $held2 16
eddy job wait $held1; echo "wait held1 rc=\$?"
eddy job wait $held2; echo "wait held2 rc=\$?"
eddy submit --cc=1-5 --quiet --wait true; echo "new rc=\$?"
eddy jobs -a -n -o '{id.dec}' > ids.second
eddy kvs dir -R job-index.active 2>&1 | grep " = " > index.second
eddy kvs ls job-index.active > ls.second 2>&1
eddy dmesg > dmesg.second
SH
(cd "$TMP" && eddy start --statedir "$state" sh second.sh) >"$TMP/second" 2>&1
_report $? "the second instance starts on the same state" "$TMP/second"
has "$TMP/dmesg.second" 'restart: 2 active and 0 inactive jobs restored' \
    "it reads the two indexed jobs back"
hasnt "$TMP/dmesg.second" 'job directory was walked' "and not the job directory"
has "$TMP/active.second" "^$held1 (PRIORITY|SCHED)$" "the first held job is active again"
has "$TMP/active.second" "^$held2 (PRIORITY|SCHED)$" "and the second"
n=$(grep -c ' INACTIVE COMPLETED$' "$TMP/jobs.second")
[ "$n" -eq 300 ]; _report $? "eddy jobs -a lists the 300 old jobs ($n)" "$TMP/jobs.second"
has "$TMP/second" '^wait old rc=0$' "eddy job wait on an old job answers"
has "$TMP/second" '^wait held1 rc=0$' "the held jobs run once released"
has "$TMP/second" '^wait held2 rc=0$' "both"
has "$TMP/second" '^new rc=0$' "new jobs run"
n=$(wc -l <"$TMP/ids.second"); u=$(sort -u "$TMP/ids.second" | wc -l)
[ "$n" -eq 307 ] && [ "$u" -eq 307 ]; _report $? "307 jobs, every id unique ($u of $n)" "$TMP/ids.second"
n=$(grep -c . "$TMP/index.second")
[ "$n" -eq 0 ]; _report $? "nothing is left in the index once all are inactive" "$TMP/index.second"
n=$(grep -c . "$TMP/ls.second")
[ "$n" -eq 0 ]; _report $? "not even an empty directory" "$TMP/ls.second"

# A state directory from before the index: remove it, hold one job.
old="$TMP/old"
cat >"$TMP/old1.sh" <<'SH'
eddy submit --cc=1-20 --quiet --wait true || exit 1
eddy submit --urgency=0 true > oldheld.id
eddy kvs unlink -R job-index
SH
(cd "$TMP" && eddy start --statedir "$old" sh old1.sh) >"$TMP/old1" 2>&1
_report $? "an instance leaves a state directory without the index" "$TMP/old1"
oldheld=$(cat "$TMP/oldheld.id")
cat >"$TMP/old2.sh" <<SH
eddy jobs -n -o '{id.f58} {state}' > active.old2
eddy job urgency $oldheld 16 && eddy job wait $oldheld; echo "wait oldheld rc=\$?"
eddy jobs -a -n -o '{id.f58} {state}' > jobs.old2
eddy kvs get job-index.version > version.old2
eddy dmesg > dmesg.old2
SH
(cd "$TMP" && eddy start --statedir "$old" sh old2.sh) >"$TMP/old2" 2>&1
_report $? "it restarts" "$TMP/old2"
has "$TMP/dmesg.old2" '1 active and 20 inactive jobs restored.*job directory was walked' \
    "walking the job directory once"
has "$TMP/active.old2" "^$oldheld (PRIORITY|SCHED)$" "its held job is active again"
has "$TMP/old2" '^wait oldheld rc=0$' "and runs once released"
n=$(grep -c ' INACTIVE$' "$TMP/jobs.old2")
[ "$n" -eq 21 ]; _report $? "eddy jobs -a lists all 21 jobs ($n)" "$TMP/jobs.old2"
has "$TMP/version.old2" '^1$' "the index is written"
(cd "$TMP" && eddy start --statedir "$old" sh -c 'eddy jobs -a -n; eddy dmesg > dmesg.old3') \
    >"$TMP/old3" 2>&1
_report $? "a third instance starts" "$TMP/old3"
has "$TMP/dmesg.old3" 'job-list.*21 inactive jobs of earlier instances listed' "lists the old jobs"
hasnt "$TMP/dmesg.old3" 'job directory was walked' "and reads the index"
n=$(grep -c 'INACTIVE\|CD\|COMPLETED' "$TMP/old3")
[ "$n" -eq 21 ]; _report $? "still listing all 21 jobs ($n)" "$TMP/old3"

# With purge_count set, the kept inactive jobs of the last instance go
# back in the purge queue: the oldest leave the KVS as new ones end.
purge="$TMP/purge"
cat >"$TMP/purge1.sh" <<'SH'
eddy submit --cc=1-5 --quiet --wait true || exit 1
eddy jobs -a -n -o '{id.f58}' | tail -1 > oldest.id
SH
(cd "$TMP" && eddy start --statedir "$purge" sh purge1.sh) >"$TMP/purge1" 2>&1
_report $? "five jobs kept by an instance that purges nothing" "$TMP/purge1"
cat >"$TMP/purge2.sh" <<'SH'
eddy submit --quiet --wait true
eddy job eventlog $(cat oldest.id) >/dev/null 2>&1 && echo "oldest kept" || echo "oldest purged"
eddy dmesg > dmesg.purge2
SH
(cd "$TMP" && eddy start --statedir "$purge" -m job-manager='{"purge_count":3}' sh purge2.sh) \
    >"$TMP/purge2" 2>&1
_report $? "restarted with purge_count 3" "$TMP/purge2"
has "$TMP/dmesg.purge2" 'walked for the purge queue' "the job directory is walked for the purge queue"
has "$TMP/purge2" '^oldest purged$' "and the oldest old job leaves the KVS"
finish
