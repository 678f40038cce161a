#!/usr/bin/env bash
# Submission and lifecycle, as flux submit and flux job purge have them:
# --output/--error files ({{id}} templates, relative to the job's cwd),
# --env rules, --cwd; dependencies after/afterany/afterok/afternotok and
# --begin-time, which hold a job in DEPEND (dependency-add/-remove
# entries) and survive a restart; eddy job purge by age and count, and the
# same limits in [job-manager].
. "$(dirname "$0")/lib.sh"

state="$TMP/state"
mkdir -p "$TMP/jobdir"

# ts EVENTLOG NAME: the timestamp of the first NAME entry
ts () { grep "\"name\":\"$2\"" "$1" | sed 's/.*"timestamp":\([0-9.]*\).*/\1/' | head -1; }

# both FILE PATTERN1 PATTERN2 WHAT: FILE has a line matching each
both () {
    grep -Eq -- "$2" "$1" && grep -Eq -- "$3" "$1"; _report $? "$4" "$1"
}

# ---- output, error, env, cwd ----

cat >"$TMP/io.sh" <<'SH'
tmp=$1; cd "$tmp"
a=$(eddy submit --cwd=jobdir --output='out.{{id}}' --error='err.{{id.dec}}' \
    sh -c 'echo to-out; echo to-err >&2') && eddy job wait $a
echo "a rc=$?"; echo "$a" > a.id; eddy job id "$a" > a.dec
b=$(eddy submit --cwd=jobdir --output="$tmp/both.out" sh -c 'echo one; echo two >&2; pwd') \
    && eddy job wait $b; echo "b rc=$?"
echo stale > jobdir/multi.out # truncated by the job
c=$(eddy submit -N2 -n4 --output=jobdir/multi.out sh -c 'echo "task $EDDY_TASK_RANK"') \
    && eddy job wait $c; echo "c rc=$?"
d=$(eddy submit --output=/nonexistent/dir/x true) && timeout 20 eddy job wait $d
echo "d rc=$? id=$d"
eddy jobs -a -n -o '{id.f58} {result} {exception.type} {exception.note}' | grep "^$d " > d.st
eddy run --output=jobdir/run.out sh -c 'echo from-run'; echo "run rc=$?"
export T_COPY=yes T_DROP=gone
e=$(eddy submit --output=env.out --env=FOO='x-$T_COPY' --env=-T_DROP \
    sh -c 'echo "FOO=$FOO T_COPY=${T_COPY-unset} T_DROP=${T_DROP-unset}"') && eddy job wait $e
f=$(eddy submit --output=env2.out --env='-*' --env='T_CO*' --env=PATH \
    sh -c 'echo "T_COPY=${T_COPY-unset} HOME=${HOME-unset}"') && eddy job wait $f
g=$(eddy submit --output=env3.out --env-remove='T_*' \
    sh -c 'echo "T_COPY=${T_COPY-unset} T_DROP=${T_DROP-unset}"') && eddy job wait $g
printf '# rules, one a line\n-T_*\n\nFOO=from-file\n' > rules
h=$(eddy submit --output=env4.out --env=^rules \
    sh -c 'echo "FOO=$FOO T_COPY=${T_COPY-unset}"') && eddy job wait $h
eddy submit --env=^no-such-rules true > rules.err 2>&1; echo "rules rc=$?" >> rules.err
eddy submit --cwd="$tmp/nonexistent" true > cwd.err 2>&1; echo "cwd rc=$?" >> cwd.err
eddy submit --cwd="$tmp/jobdir/out.$a" true > cwd2.err 2>&1; echo "cwd2 rc=$?" >> cwd2.err
test -s "jobdir/out.$a" # the first job's output file is there
SH
(cd "$TMP" && timeout 120 eddy start --size 2 sh io.sh "$TMP") >"$TMP/io" 2>&1
_report $? "an instance runs the output, env and cwd jobs" "$TMP/io"
a=$(cat "$TMP/a.id" 2>/dev/null); adec=$(cat "$TMP/a.dec" 2>/dev/null)
has "$TMP/io" '^a rc=0$' "a job with --output and --error completes"
has "$TMP/jobdir/out.$a" '^to-out$' "its stdout is in out.{{id}} (F58), relative to --cwd"
[ -s "$TMP/jobdir/out.$a" ] && ! grep -q to-err "$TMP/jobdir/out.$a"
_report $? "and its stderr is not" "$TMP/io"
has "$TMP/jobdir/err.$adec" '^to-err$' "its stderr is in err.{{id.dec}}"
has "$TMP/both.out" '^one$' "without --error, stdout goes to the --output file"
has "$TMP/both.out" '^two$' "and stderr too"
has "$TMP/both.out" "^$TMP/jobdir\$" "the job ran in its --cwd"
[ "$(sort "$TMP/jobdir/multi.out" 2>/dev/null | tr '\n' ,)" = "task 0,task 1,task 2,task 3," ]
_report $? "a 4-task job on 2 ranks writes all its tasks' lines to one file (truncated first)" "$TMP/jobdir/multi.out"
has "$TMP/io" '^d rc=[1-9][0-9]* id=ƒ' "a job whose output file cannot be opened fails (no hang)"
has "$TMP/d.st" 'FAILED exec .*cannot open stdout file /nonexistent/dir/x' \
    "with an exec exception naming the file"
has "$TMP/io" '^run rc=0$' "eddy run --output exits 0"
has "$TMP/jobdir/run.out" '^from-run$' "and its output is in the file"
has "$TMP/env.out" '^FOO=x-yes T_COPY=yes T_DROP=unset$' \
    "--env=NAME=VAL sets (expanded), -NAME drops, the rest is copied"
has "$TMP/env2.out" '^T_COPY=yes HOME=unset$' "--env=-* then PATTERN keeps only what is named"
has "$TMP/env3.out" '^T_COPY=unset T_DROP=unset$' "--env-remove=PATTERN drops the matches"
has "$TMP/env4.out" '^FOO=from-file T_COPY=unset$' "--env=^FILE applies the file's rules"
both "$TMP/rules.err" 'env=\^no-such-rules: No such file' '^rules rc=1$' "a missing rules file is refused, exit 1"
both "$TMP/cwd.err" 'cwd: .*nonexistent: No such file or directory' '^cwd rc=1$' \
    "a nonexistent --cwd is refused at submit, exit 1"
has "$TMP/cwd2.err" 'not a directory' "a --cwd that is a file is refused"

# ---- dependencies and begin-time ----

cat >"$TMP/deps.sh" <<'SH'
tmp=$1; cd "$tmp"
st () { eddy jobs -a -n -o '{id.f58} {state}' | awk -v id="$1" '$1 == id { print $2 }'; }
ok=$(eddy submit sleep 1.5)
bad=$(eddy submit sh -c 'sleep 1; exit 3')
d_ok=$(eddy submit --dependency=afterok:$ok true)
d_notok=$(eddy submit --dependency=afternotok:$ok true)
d_any=$(eddy submit --dependency=afterany:$bad true)
d_okbad=$(eddy submit --dependency=afterok:$bad true)
d_notokbad=$(eddy submit --dependency=afternotok:$(eddy job id $bad) true)
d_after=$(eddy submit --dependency=after:$ok true)
later=$(eddy submit --begin-time=+1s sleep 1.5) # not started yet when d_later comes
d_later=$(eddy submit --dependency=after:$later true)
held=$(eddy submit --urgency=0 true)
d_afterheld=$(eddy submit --dependency=after:$held true)
sleep 0.3
echo "while: d_ok=$(st $d_ok) d_any=$(st $d_any)"
eddy job cancel $held
for j in d_ok d_notok d_any d_okbad d_notokbad d_after d_later d_afterheld; do
    eval id=\$$j; timeout 20 eddy job wait $id; echo "$j rc=$? id=$id"
done
# targets already inactive: resolved at once by their result
i_ok=$(eddy submit --dependency=afterok:$ok true); timeout 20 eddy job wait $i_ok; echo "i_ok rc=$? id=$i_ok"
i_bad=$(eddy submit --dependency=afterok:$bad true); timeout 20 eddy job wait $i_bad; echo "i_bad rc=$? id=$i_bad"
i_after=$(eddy submit --dependency=after:$ok true); timeout 20 eddy job wait $i_after; echo "i_after rc=$? id=$i_after"
# never issued (above every id): refused at submit, as flux submit does
eddy submit --dependency=afterok:$((1 << 60)) true > unk.err 2>&1; echo "unk rc=$?" >> unk.err
# below the ids issued but never a job: found out when it reaches DEPEND
unk2=$(eddy submit --dependency=afterok:ƒ2 true); timeout 20 eddy job wait $unk2
echo "unk2 rc=$? id=$unk2"
two=$(eddy submit --dependency=afterok:$ok --dependency=afterany:$bad true)
timeout 20 eddy job wait $two; echo "two rc=$? id=$two"
eddy job eventlog $d_ok > d_ok.log
eddy job eventlog $two > two.log
eddy job eventlog $d_after > d_after.log
eddy job eventlog $ok > ok.log
eddy job eventlog $d_later > d_later.log
timeout 20 eddy job wait $later; eddy job eventlog $later > later.log
eddy jobs -a -n -o '{id.f58} {result} {exception.type} {exception.note}' > jobs
for j in d_ok d_notok d_okbad d_afterheld unk2 i_bad; do eval echo "$j \$$j"; done > names
bt=$(eddy submit --begin-time=+2s true)
sleep 0.5; echo "begin: $(st $bt)"
timeout 20 eddy job wait $bt; echo "bt rc=$? id=$bt"
eddy job eventlog $bt > bt.log
eddy submit --dependency=afterfoo:$ok true > bad1 2>&1; echo "rc=$?" >> bad1
eddy submit --dependency=afterok:no-such-id true > bad2 2>&1; echo "rc=$?" >> bad2
eddy submit --dependency=afterok true > bad3 2>&1; echo "rc=$?" >> bad3
eddy submit --begin-time=someday true > bad4 2>&1; echo "rc=$?" >> bad4
eddy submit --begin-time=+5parsecs true > bad5 2>&1; echo "rc=$?" >> bad5
cat > bad.json <<'JSON'
{"version": 1,
 "resources": [{"type": "slot", "count": 1, "label": "task",
                "with": [{"type": "core", "count": 1}]}],
 "tasks": [{"command": ["true"], "slot": "task", "count": {"per_slot": 1}}],
 "attributes": {"system": {"duration": 0,
                           "dependencies": [{"scheme": "before", "value": "1"}]}}}
JSON
eddy job submit bad.json > bad6 2>&1; echo "rc=$?" >> bad6
grep -q '"name":"dependency-add"' d_ok.log # the feature is there
SH
(cd "$TMP" && timeout 120 eddy start --size 2 sh deps.sh "$TMP") >"$TMP/deps" 2>&1
_report $? "an instance runs the dependency jobs" "$TMP/deps"
name () { awk -v n="$1" '$1 == n { print $2 }' "$TMP/names"; }
has "$TMP/deps" '^while: d_ok=DEPEND d_any=DEPEND$' "dependents wait in DEPEND while their targets run"
has "$TMP/deps" '^d_ok rc=0 id=ƒ' "afterok on a job that succeeds runs"
has "$TMP/deps" '^d_notok rc=1 id=ƒ' "afternotok on a job that succeeds fails"
has "$TMP/jobs" "^$(name d_notok) FAILED dependency afternotok: job .* completed successfully" \
    "with a fatal dependency exception saying why"
has "$TMP/deps" '^d_any rc=0 id=ƒ' "afterany on a job that fails runs"
has "$TMP/deps" '^d_okbad rc=1 id=ƒ' "afterok on a job that fails does not run"
has "$TMP/jobs" "^$(name d_okbad) FAILED dependency afterok: job .* did not complete successfully" \
    "and gets a dependency exception"
has "$TMP/deps" '^d_notokbad rc=0 id=ƒ' "afternotok on a failed job (id in decimal) runs"
has "$TMP/deps" '^d_after rc=0 id=ƒ' "after on a job that starts runs"
awk -v a="$(ts "$TMP/d_after.log" start)" -v f="$(ts "$TMP/ok.log" finish)" \
    'BEGIN { exit !(a != "" && f != "" && a < f) }'
_report $? "it starts while its target still runs" "$TMP/d_after.log"
has "$TMP/deps" '^d_later rc=0 id=ƒ' "after on a job that starts later runs"
echo "$(ts "$TMP/d_later.log" start) $(ts "$TMP/later.log" start) $(ts "$TMP/later.log" finish)" \
    > "$TMP/later.ts"
awk '{ exit !(NF == 3 && $1 >= $2 && $1 < $3) }' "$TMP/later.ts"
_report $? "once its target starts, before it ends (start of each, end of the target)" "$TMP/later.ts"
has "$TMP/deps" '^d_afterheld rc=1 id=ƒ' "after on a job canceled before it started fails"
has "$TMP/jobs" "^$(name d_afterheld) FAILED dependency after: job .* ended without starting" \
    "because it never started"
has "$TMP/deps" '^i_ok rc=0 id=ƒ' "afterok on an inactive successful job runs at once"
has "$TMP/deps" '^i_bad rc=1 id=ƒ' "afterok on an inactive failed job fails at once"
has "$TMP/deps" '^i_after rc=0 id=ƒ' "after on an inactive job that ran runs"
both "$TMP/unk.err" 'afterok: job ƒ.* not found' '^unk rc=1$' \
    "a dependency on a job id never issued is refused at submit, exit 1"
has "$TMP/deps" '^unk2 rc=1 id=ƒ' "one on an id below those issued that is no job fails"
has "$TMP/jobs" "^$(name unk2) FAILED dependency afterok: job ƒ2 not found" "as not found"
has "$TMP/deps" '^two rc=0 id=ƒ' "a job with two dependencies runs once both are met"
has "$TMP/d_ok.log" '"name":"dependency-add","context":\{"description":"after-success=ƒ' \
    "the eventlog has dependency-add (RFC 21)"
has "$TMP/d_ok.log" '"name":"dependency-remove","context":\{"description":"after-success=ƒ' \
    "then dependency-remove"
[ "$(grep -o '"name":"[a-z-]*"' "$TMP/d_ok.log" 2>/dev/null | sed -n 3,5p | tr '\n' ' ')" = \
  '"name":"dependency-add" "name":"dependency-remove" "name":"depend" ' ]
_report $? "then depend, in that order" "$TMP/d_ok.log"
[ "$(grep -c dependency-remove "$TMP/two.log")" = 2 ]
_report $? "two dependencies, two removes" "$TMP/two.log"
has "$TMP/deps" '^begin: DEPEND$' "a --begin-time=+2s job waits in DEPEND"
has "$TMP/deps" '^bt rc=0 id=ƒ' "and then runs"
awk -v s="$(ts "$TMP/bt.log" submit)" -v d="$(ts "$TMP/bt.log" depend)" \
    'BEGIN { exit !(d - s >= 1.9 && d - s < 10) }'
_report $? "not before its begin-time (depend 2 s after submit)" "$TMP/bt.log"
has "$TMP/bt.log" '"description":"begin-time=[0-9.]+"' "begin-time is a dependency-add too"
both "$TMP/bad1" "not SCHEME:JOBID" '^rc=1$' "an unknown dependency scheme is refused at submit, exit 1"
has "$TMP/bad2" "'no-such-id' is not a job id" "a bad job id in --dependency is refused"
has "$TMP/bad3" "not SCHEME:JOBID" "a --dependency without an id is refused"
has "$TMP/bad4" "'someday' is not" "a bad --begin-time is refused"
both "$TMP/bad5" "begin-time: '\\+5parsecs'" '^rc=1$' "and a bad duration, exit 1"
both "$TMP/bad6" "dependency scheme 'before' is not supported" '^rc=[1-9]' \
    "ingest refuses an unknown scheme in a jobspec, nonzero exit"

# ---- dependencies across a restart ----

cat >"$TMP/r1.sh" <<'SH'
tmp=$1; cd "$tmp"
held=$(eddy submit --urgency=0 true); echo $held > r.held
good=$(eddy submit true); eddy job wait $good; echo $good > r.good
fail=$(eddy submit false); eddy job wait $fail; echo $fail > r.fail
dep=$(eddy submit --dependency=afterok:$held --dependency=afterok:$good true); echo $dep > r.dep
late=$(eddy submit --begin-time=+3600s true); echo $late > r.late
soon=$(eddy submit --begin-time=+3s true); echo $soon > r.soon
sleep 0.3
eddy jobs -n -o '{id.f58} {state}' > r1.jobs
grep -q "^$dep DEPEND$" r1.jobs
SH
cat >"$TMP/r2.sh" <<'SH'
tmp=$1; cd "$tmp"
eddy jobs -n -o '{id.f58} {state}' > r2.jobs
sleep 0.5
eddy jobs -n -o '{id.f58} {state}' > r2b.jobs
o1=$(eddy submit --dependency=afterok:$(cat r.good) true); timeout 20 eddy job wait $o1; echo "o1 rc=$? id=$o1"
o2=$(eddy submit --dependency=afterok:$(cat r.fail) true); timeout 20 eddy job wait $o2; echo "o2 rc=$? id=$o2"
o3=$(eddy submit --dependency=afternotok:$(cat r.fail) true); timeout 20 eddy job wait $o3; echo "o3 rc=$? id=$o3"
eddy job urgency $(cat r.held) 16
timeout 20 eddy job wait $(cat r.dep); echo "dep rc=$?"
timeout 20 eddy job wait $(cat r.soon); echo "soon rc=$?"
eddy job eventlog $(cat r.dep) > r.dep.log
eddy job eventlog $(cat r.soon) > r.soon.log
eddy jobs -n -o '{id.f58} {state}' > r2c.jobs
eddy job cancel $(cat r.late)
SH
(cd "$TMP" && timeout 60 eddy start --statedir "$state" sh r1.sh "$TMP") >"$TMP/r1" 2>&1
_report $? "the first instance leaves dependent jobs waiting" "$TMP/r1"
dep=$(cat "$TMP/r.dep"); late=$(cat "$TMP/r.late"); soon=$(cat "$TMP/r.soon")
has "$TMP/r1.jobs" "^$dep DEPEND$" "a job waits on a held job"
(cd "$TMP" && timeout 60 eddy start --statedir "$state" sh r2.sh "$TMP") >"$TMP/r2" 2>&1
_report $? "the second instance starts on the same state" "$TMP/r2"
has "$TMP/r2b.jobs" "^$dep DEPEND$" "after the restart the dependent job still waits"
has "$TMP/r2b.jobs" "^$late DEPEND$" "and so does a job with a begin-time an hour away"
has "$TMP/r2c.jobs" "^$late DEPEND$" "which stays there"
has "$TMP/r2" '^o1 rc=0 id=ƒ' "afterok on a completed job of the old instance runs"
has "$TMP/r2" '^o2 rc=1 id=ƒ' "afterok on a failed job of the old instance fails"
has "$TMP/r2" '^o3 rc=0 id=ƒ' "afternotok on it runs"
has "$TMP/r2" '^dep rc=0$' "the waiting job runs once its held target is released"
[ "$(grep -c '"dependency-add"' "$TMP/r.dep.log")" = 2 ] \
    && [ "$(grep -c '"dependency-remove"' "$TMP/r.dep.log")" = 2 ]
_report $? "its dependencies were added once, each removed once" "$TMP/r.dep.log"
has "$TMP/r2" '^soon rc=0$' "a begin-time job of the old instance runs in the new one"
awk -v s="$(ts "$TMP/r.soon.log" submit)" -v d="$(ts "$TMP/r.soon.log" depend)" \
    'BEGIN { exit !(d - s >= 2.9) }'
_report $? "not before its begin-time" "$TMP/r.soon.log"

# ---- purge ----

cat >"$TMP/purge.sh" <<'SH'
tmp=$1; cd "$tmp"
# one after the other, so that they end in the order they were submitted
# (purge keeps the newest by the time they became inactive)
for i in 1 2 3 4 5; do id=$(eddy submit true); eddy job wait $id; echo $id; done > p.ids
eddy job purge --num-limit=2 > p.dry; echo "dry rc=$?" >> p.dry
eddy jobs -a -n -o '{id.f58}' | wc -l > p.n0
eddy job purge --num-limit=2 --force > p.force
eddy jobs -a -n -o '{id.f58}' > p.left
first=$(head -1 p.ids)
eddy kvs get "$(eddy job id --to=kvs $first).eventlog" > p.kvs 2>&1; echo "kvs rc=$?" >> p.kvs
eddy job wait $first > p.wait 2>&1; echo "wait rc=$?" >> p.wait
sleep 1.2
new=$(eddy submit true); eddy job wait $new; echo $new > p.new
eddy job purge --age-limit=1s > p.agedry
eddy job purge --age-limit=1s --force > p.age
eddy jobs -a -n -o '{id.f58}' > p.left2
eddy job purge --num-limit=-3 > p.bad 2>&1; echo "rc=$?" >> p.bad
eddy job purge --age-limit=soon > p.bad2 2>&1; echo "rc=$?" >> p.bad2
grep -q '^purged 3 inactive jobs$' p.force
SH
(cd "$TMP" && timeout 60 eddy start sh purge.sh "$TMP") >"$TMP/purge" 2>&1
_report $? "an instance runs the purge commands" "$TMP/purge"
grep -q '^3 inactive jobs would be purged' "$TMP/p.dry" && grep -qx 5 "$TMP/p.n0"
_report $? "purge --num-limit=2 without --force counts 3 and purges nothing" "$TMP/p.dry"
has "$TMP/p.force" '^purged 3 inactive jobs$' "with --force it purges 3"
[ "$(cat "$TMP/p.left" | tr '\n' ' ')" = "$(tail -2 "$TMP/p.ids" | sort -r | tr '\n' ' ')" ] \
    || [ "$(sort "$TMP/p.left" | tr '\n' ' ')" = "$(tail -2 "$TMP/p.ids" | sort | tr '\n' ' ')" ]
_report $? "eddy jobs -a lists only the two newest" "$TMP/p.left"
has "$TMP/p.kvs" 'No such file' "a purged job's eventlog is gone from the KVS"
has "$TMP/p.wait" 'unknown or was purged' "and eddy job wait says it was purged"
has "$TMP/p.agedry" '^2 inactive jobs would be purged' "--age-limit=1s counts the two older jobs"
has "$TMP/p.age" '^purged 2 inactive jobs$' "and purges them with --force"
[ "$(cat "$TMP/p.left2")" = "$(cat "$TMP/p.new")" ]
_report $? "leaving only the new job" "$TMP/p.left2"
both "$TMP/p.bad" "not a count" '^rc=1$' "a negative --num-limit is refused, exit 1"
has "$TMP/p.bad2" "age-limit: invalid duration 'soon'" "a bad --age-limit is refused"

# the same limits in [job-manager]
mkdir -p "$TMP/conf"
printf '[job-manager]\ninactive-num-limit = 2\n' >"$TMP/conf/jm.toml"
cat >"$TMP/conf.sh" <<'SH'
tmp=$1; cd "$tmp"
for i in 1 2 3 4; do j=$(eddy submit true); eddy job wait $j; done
eddy jobs -a -n -o '{id.f58}' | wc -l > c.n1
printf '[job-manager]\ninactive-age-limit = "1s"\n' > conf/jm.toml
eddy config reload; echo "reload rc=$?"
j=$(eddy submit true); eddy job wait $j
eddy jobs -a -n -o '{id.f58}' | wc -l > c.n2
sleep 2.5
eddy jobs -a -n -o '{id.f58}' | wc -l > c.n3
grep -qx 0 c.n3
SH
(cd "$TMP" && timeout 60 eddy start --config-path "$TMP/conf" sh conf.sh "$TMP") >"$TMP/conf.out" 2>&1
_report $? "an instance with [job-manager] limits runs" "$TMP/conf.out"
has "$TMP/c.n1" '^2$' "inactive-num-limit = 2 keeps two inactive jobs of four"
has "$TMP/c.n2" '^[1-3]$' "inactive-age-limit (reloaded) keeps the recent ones"
has "$TMP/c.n3" '^0$' "and purges them once older than 1s"

# a restart with an age limit purges the old instance's jobs that are over it
cat >"$TMP/age1.sh" <<'SH'
for i in 1 2 3; do j=$(eddy submit true); eddy job wait $j; done
eddy jobs -a -n -o '{id.f58}' | wc -l
SH
cat >"$TMP/age2.sh" <<'SH'
for i in $(seq 1 50); do
    [ "$(eddy jobs -a -n -o '{id.f58}' | wc -l)" = 0 ] && break; sleep 0.1
done
echo "left: $(eddy jobs -a -n -o '{id.f58}' | wc -l)"
SH
mkdir -p "$TMP/conf2"
(cd "$TMP" && timeout 60 eddy start --statedir "$TMP/state2" sh age1.sh) >"$TMP/age1" 2>&1
printf '[job-manager]\ninactive-age-limit = "1s"\n' >"$TMP/conf2/jm.toml"
sleep 1.2
(cd "$TMP" && timeout 60 eddy start --statedir "$TMP/state2" --config-path "$TMP/conf2" \
    sh age2.sh) >"$TMP/age2" 2>&1
cat "$TMP/age1" >>"$TMP/age2"
grep -qx 3 "$TMP/age1" && grep -qx 'left: 0' "$TMP/age2"
_report $? "three inactive jobs of an instance restarted with inactive-age-limit = 1s are purged" \
    "$TMP/age2"

finish
