#!/usr/bin/env bash
# Finished jobs leave the broker's memory (issue 12): with [job-list]
# inactive-max = 50, an instance that ran 300 jobs lists them all with
# eddy jobs -a exactly as an instance keeping every one in memory does (the
# same jobs, order and fields), eddy job info and eventlog of the first one
# work, and a restart over the state directory lists them all again.  With
# [content] backing = "sqlite" and no state directory the blobs are in a
# temporary store in the runtime directory, gone at exit.  Reading the
# history back keeps the kvs cache to its budget (it grew past it by what
# the walk loaded until the next commit).
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/small" "$TMP/large" "$TMP/temp"
printf '[job-list]\ninactive-max = 50\n' >"$TMP/small/job-list.toml"
printf '[job-list]\ninactive-max = 100000\n' >"$TMP/large/job-list.toml"
printf '[content]\nbacking = "sqlite"\n' >"$TMP/temp/content.toml"

ok "eddy config check takes [job-list] inactive-max" eddy config check "$TMP/small"
printf '[job-list]\ninactive-max = -1\n' >"$TMP/bad.toml"
fails "and refuses a negative one" eddy config check "$TMP/bad.toml"
printf '[content]\nbacking = "disk"\n' >"$TMP/bad2.toml"
fails "[content] backing is sqlite or memory" eddy config check "$TMP/bad2.toml"

# The same jobs, in groups one after the other, so that two instances
# end them in the same order: 200 that succeed, one that fails, 98 more,
# one canceled while held (so never started, whatever the timing).
cat >"$TMP/run.sh" <<'SH'
set -e
eddy submit --quiet --wait --cc=1-200 -S exec.test.run_duration=0 true
eddy submit --quiet --wait sh -c 'exit 3' || true
eddy submit --quiet --wait --cc=1-98 -S exec.test.run_duration=0 hostname
old=$(eddy submit --urgency=0 sleep 100) && eddy job cancel "$old" && { eddy job wait "$old" || true; }
eddy jobs -a -n -o '{name} {result} {returncode} {exception.type} {ntasks} {nodelist}' >"$1.fields"
eddy jobs -a -n -o '{id.dec} {name} {result} {returncode} {exception.type} {t_submit} {t_inactive}' >"$1.all"
eddy jobs -a -n -o '{t_inactive}' >"$1.ends"
eddy jobs -a -n -f failed,canceled -o '{name} {result}' >"$1.failed"
eddy jobs -a -n -c 120 -o '{id.dec}' >"$1.first120"
first=$(tail -1 "$1.all" | cut -d' ' -f1)
echo "$first" >"$1.first"
eddy job info "$first" jobspec >"$1.jobspec"
eddy job eventlog "$first" >"$1.eventlog"
SH
(cd "$TMP" && eddy start --config-path="$TMP/small" --statedir "$TMP/state" sh run.sh small) \
    >"$TMP/small.out" 2>&1
_report $? "an instance keeping 50 inactive jobs in memory runs 300" "$TMP/small.out"
(cd "$TMP" && eddy start --config-path="$TMP/large" sh run.sh large) >"$TMP/large.out" 2>&1
_report $? "an instance keeping all of them in memory runs the same" "$TMP/large.out"

[ "$(wc -l <"$TMP/small.all")" -eq 300 ]
_report $? "eddy jobs -a lists all 300, not the 50 in memory" "$TMP/small.all"
cmp -s "$TMP/small.fields" "$TMP/large.fields"
_report $? "the same jobs in the same order with the same fields as with all in memory" \
    "$TMP/small.fields"
cmp -s "$TMP/small.failed" "$TMP/large.failed"
_report $? "filters give the same (the failed and the canceled one)" "$TMP/small.failed"
[ "$(wc -l <"$TMP/small.first120")" -eq 120 ]
_report $? "-c 120 reads past the 50 in memory" "$TMP/small.first120"
has "$TMP/small.jobspec" '"command": *\["true"\]' "eddy job info of the first job, out of memory"
has "$TMP/small.eventlog" '"name":"clean"' "its eventlog, to the clean entry"
sort -rn "$TMP/small.ends" | cmp -s - "$TMP/small.ends"
_report $? "listed newest first, by end time" "$TMP/small.ends"

cat >"$TMP/again.sh" <<'SH'
eddy jobs -a -n -o '{id.dec} {name} {result} {returncode} {exception.type} {t_submit} {t_inactive}' >again.all
eddy job info "$(cat small.first)" jobspec >again.jobspec
SH
(cd "$TMP" && eddy start --config-path="$TMP/small" --statedir "$TMP/state" sh again.sh) \
    >"$TMP/again.out" 2>&1
_report $? "a restart over the state directory" "$TMP/again.out"
cmp -s "$TMP/small.all" "$TMP/again.all"
_report $? "lists the 300 as the first instance did" "$TMP/again.all"
cmp -s "$TMP/small.jobspec" "$TMP/again.jobspec"
_report $? "and reads the first job's jobspec" "$TMP/again.jobspec"

cat >"$TMP/temp.sh" <<'SH'
set -e
eddy submit --quiet --wait --cc=1-100 -S exec.test.run_duration=0 true
eddy jobs -a -n -o '{id.dec}' | wc -l >temp.count
eddy kvs stats content >temp.stats
ls "$(eddy getattr broker.rundir)" >temp.ls
SH
(cd "$TMP" && eddy start --config-path="$TMP/temp" --rundir "$TMP/rundir" sh temp.sh) \
    >"$TMP/temp.out" 2>&1
_report $? "without a state directory, [content] backing = sqlite" "$TMP/temp.out"
has "$TMP/temp.stats" '"backing":"sqlite"' "the content store is sqlite"
has "$TMP/temp.stats" '"temporary":true' "a temporary one"
has "$TMP/temp.ls" '^content.sqlite$' "in the runtime directory"
has "$TMP/temp.count" '^100$' "the jobs are listed"
[ ! -e "$TMP/rundir/content.sqlite" ] && [ ! -e "$TMP/rundir/content.sqlite-wal" ]
_report $? "the store is removed at exit" "$TMP/temp.out"
cat >"$TMP/temp2.sh" <<'SH'
eddy jobs -a -n -o '{id.dec}' | wc -l >temp2.count
SH
# the first instance's store (300 jobs), left where the temporary one goes
for f in "$TMP"/state/content.sqlite*; do cp "$f" "$TMP/rundir/"; done
(cd "$TMP" && eddy start --config-path="$TMP/temp" --rundir "$TMP/rundir" sh temp2.sh) \
    >"$TMP/temp2.out" 2>&1
_report $? "a second instance on the same runtime directory" "$TMP/temp2.out"
has "$TMP/temp2.count" '^0$' "starts empty (whatever was left there)"
cat >"$TMP/budget.sh" <<'SH'
set -e
eddy submit --quiet --wait --cc=1-2000 -S exec.test.run_duration=0 true
eddy jobs -a -n -o '{id.dec}' | wc -l >budget.count
eddy kvs stats >budget.stats
SH
(cd "$TMP" && eddy start -m 'kvs={"cache-max-bytes":1048576}' sh budget.sh) >"$TMP/budget.out" 2>&1
_report $? "2,000 jobs with a kvs cache of 1 MiB" "$TMP/budget.out"
has "$TMP/budget.count" '^2000$' "eddy jobs -a lists them, reading them back"
python3 -c "import json,sys; sys.exit(0 if json.load(open('$TMP/budget.stats'))['cache-bytes'] < 4 * 1048576 else 1)"
_report $? "and the kvs cache stays near its budget (under 4 MiB, not the whole history)" \
    "$TMP/budget.stats"
finish
