#!/usr/bin/env bash
# Inactive jobs leave job-list's memory past its bound (inactive_max) and
# stay in the KVS: eddy jobs -a still lists every one, newest first, with
# what the journal said of it (name, result, exit code, exception, nodes),
# read back from the job directory; so does a query by id and the counts.
# The same after a restart, where only the bound's worth comes back.
. "$(dirname "$0")/lib.sh"

state="$TMP/state"
cat >"$TMP/first.sh" <<'SH'
eddy submit --quiet --wait --cc=1-30 true
eddy submit --quiet --wait sh -c 'exit 3'
eddy submit --quiet --wait --cc=1-5 -S exec.test.run_duration=0 hostname
old=$(eddy submit sleep 100) && eddy job cancel "$old" && eddy job wait "$old"
eddy job id "$old" > old.id
first=$(eddy jobs -a -n -o '{id.dec}' | tail -1) && echo "$first" > first.id
eddy jobs -a -n -o '{id.dec} {name} {result} {returncode} {exception.type} {nodelist}' > all.1
eddy jobs -a -n -o '{t_inactive}' > ends.1
eddy jobs -a -n -c 40 -o '{id.dec}' > first40.1
eddy jobs -a -n -f failed,canceled -o '{id.dec} {name} {result}' > failed.1
eddy jobs -a -n -o '{id.dec}' | wc -l > count.1
eddy jobs -a -n -o '{id.dec} {name}' | sort | uniq -d > dups.1
SH
(cd "$TMP" && eddy start -m 'job-list={"inactive_max":5}' --statedir "$state" sh first.sh) \
    >"$TMP/first" 2>&1
_report $? "an instance that keeps 5 inactive jobs in memory runs 37" "$TMP/first"
cat "$TMP/all.1" >>"$TMP/first"
has "$TMP/count.1" '^37$' "eddy jobs -a lists all 37, not the 5 in memory"
[ -s "$TMP/dups.1" ]; _report $((! $?)) "none twice" "$TMP/dups.1"
has "$TMP/all.1" "^$(cat "$TMP/first.id") true COMPLETED 0 +vm\$" \
    "the first job, long out of memory, with its name, result, status and node"
has "$TMP/all.1" '^[0-9]+ sh FAILED 3 ' "the one that exited 3, with its exit code"
has "$TMP/all.1" "^$(cat "$TMP/old.id") sleep CANCELED .*cancel" "the canceled one, with its exception"
# newest first: by the time each one ended, the ones read back last
sort -rn "$TMP/ends.1" | cmp -s - "$TMP/ends.1"
_report $? "listed newest first, by end time" "$TMP/ends.1"
[ "$(wc -l <"$TMP/first40.1")" -eq 37 ]; _report $? "-c 40 stops at what there is" "$TMP/first40.1"
[ "$(wc -l <"$TMP/failed.1")" -eq 2 ]; _report $? "filters apply to the jobs read back (2 failed or canceled)" "$TMP/failed.1"

cat >"$TMP/second.sh" <<'SH'
eddy jobs -a -n -o '{id.dec} {name} {result} {returncode} {exception.type} {nodelist}' > all.2
eddy jobs -a -n -o '{id.dec}' | wc -l > count.2
eddy submit --quiet --wait true
eddy jobs -a -n -o '{id.dec}' | wc -l > count.3
SH
(cd "$TMP" && eddy start -m 'job-list={"inactive_max":5}' --statedir "$state" sh second.sh) \
    >"$TMP/second" 2>&1
_report $? "a second instance on the same state" "$TMP/second"
has "$TMP/count.2" '^37$' "lists the 37 jobs of the first, read back from the KVS"
cmp -s "$TMP/all.1" "$TMP/all.2"; _report $? "as the first instance listed them" "$TMP/all.2"
has "$TMP/count.3" '^38$' "and its own job too, once it is out of memory again"
finish
