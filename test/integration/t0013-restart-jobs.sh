#!/usr/bin/env bash
# The jobs of a stopped instance after a restart on the same state
# directory: completed ones are listed and can be waited on, a held one is
# still pending and runs once released, a running one ends with a restart
# exception, and new ids stay above every old one (even a corrupt job's).
. "$(dirname "$0")/lib.sh"

state="$TMP/state"

# A job directory with the given dec id and eventlog entries ("NAME CONTEXT"
# per line), written through the KVS as the job manager would.
cat >"$TMP/fake.sh" <<'SH'
fake () { # ID ENTRY...
    key=$(eddy job id --to=kvs "$1").eventlog; shift
    for e in "$@"; do
        eddy kvs eventlog append "$key" ${e%% *} "${e#* }" || exit 1
    done
}
SH

cat >"$TMP/first.sh" <<SH
. "$TMP/fake.sh"
ok=\$(eddy submit true) && eddy job wait \$ok && echo "\$ok" > ok.id || exit 1
three=\$(eddy submit sh -c 'exit 3') && echo "\$three" > three.id
eddy job wait \$three; echo "three rc=\$?"
held=\$(eddy submit --urgency=0 true) && echo "\$held" > held.id
run=\$(eddy submit sleep 1000) && echo "\$run" > run.id
for i in \$(seq 1 200); do
    eddy jobs -n -o '{id.f58} {st}' | grep -q "^\$run R\$" && break; sleep 0.05
done
eddy jobs -n -o '{id.f58} {st}' | grep "^\$run "
# ten days ahead of this instance's clock: ids issued after the restart
# must still be above these two
now=\$(eddy job id \$run); ts=\$(( (now >> 24) + 864000000 ))
fake \$(( ts << 24 )) 'submit {"userid":0,"urgency":16,"flags":0,"version":1}' \
    'exception {"type":"cancel","severity":0,"note":"old","userid":0}' 'clean {}'
echo \$(( ts << 24 )) > future.id
corrupt=\$(( (ts + 1) << 24 )); echo \$corrupt > corrupt.id
eddy kvs put "\$(eddy job id --to=kvs \$corrupt).eventlog=not an eventlog"
SH
(cd "$TMP" && eddy start --statedir "$state" sh first.sh) >"$TMP/first" 2>&1
_report $? "the first instance completes two jobs, holds one and runs one" "$TMP/first"
has "$TMP/first" '^three rc=3$' "one of them exits 3"
has "$TMP/first" ' R$' "the sleep 1000 is running when the instance stops"

ok=$(cat "$TMP/ok.id"); three=$(cat "$TMP/three.id")
held=$(cat "$TMP/held.id"); run=$(cat "$TMP/run.id")
# (the running job ends in the instance's first moments: wait for it, so
# that the list shows its end)
cat >"$TMP/second.sh" <<SH
eddy job wait $run; echo "wait run rc=\$?"
eddy jobs -a -n -o '{id.f58} {state} {result} {returncode} {name} {exception.type}' > jobs.before
eddy job wait $ok; echo "wait ok rc=\$?"
eddy job wait $three; echo "wait three rc=\$?"
eddy job urgency $held 16; echo "urgency rc=\$?"
eddy job wait $held; echo "wait held rc=\$?"
new=\$(eddy submit true) && eddy job wait \$new && eddy job id \$new > new.id
eddy kvs get "\$(eddy job id --to=kvs \$(cat corrupt.id)).eventlog"
eddy jobs -a -n -o '{id.f58} {state} {result}' > jobs.after
SH
(cd "$TMP" && eddy start --statedir "$state" sh second.sh) >"$TMP/second" 2>&1
_report $? "the second instance starts on the same state" "$TMP/second"
cat "$TMP/jobs.before" >>"$TMP/second" 2>/dev/null
has "$TMP/jobs.before" "^$ok INACTIVE COMPLETED 0 true\b" "eddy jobs -a lists the completed job"
has "$TMP/jobs.before" "^$three INACTIVE FAILED 3 sh\b" "and the one that exited 3, with its status"
has "$TMP/second" '^wait ok rc=0$' "eddy job wait on an old completed job answers"
has "$TMP/second" '^wait three rc=3$' "and gives the old exit status"
has "$TMP/jobs.before" "^$held (PRIORITY|SCHED) " "the held job is still pending"
has "$TMP/second" '^urgency rc=0$' "its urgency can be raised"
has "$TMP/second" '^wait held rc=0$' "and it runs to completion"
has "$TMP/jobs.before" "^$run INACTIVE FAILED .* sleep restart$" \
    "the job that was running is inactive with a restart exception"
has "$TMP/second" 'job was running when the instance stopped' "whose note says why"
grep -Eq '^wait run rc=([1-9]|[1-9][0-9]+)$' "$TMP/second"
_report $? "waiting on it reports a failure" "$TMP/second"
# (the job manager reads only indexed jobs; job-list meets the corrupt one
# when eddy jobs -a reads the history)
has "$TMP/second" 'cannot be read back' "the corrupt eventlog is logged"
has "$TMP/second" '^"not an eventlog"$' "and left in the KVS as it was"

new=$(cat "$TMP/new.id" 2>/dev/null || echo 0)
above=0
for old in $ok $three $held $run; do
    [ "$new" -gt "$(eddy job id "$old")" ] || above=1
done
[ "$above" -eq 0 ]; _report $? "a new job's id ($new) is above the old jobs' ids" "$TMP/second"
[ "$new" -gt "$(cat "$TMP/corrupt.id")" ] && [ "$new" -gt "$(cat "$TMP/future.id")" ]
_report $? "and above ids stored ahead of the clock, the corrupt one's too" "$TMP/second"
has "$TMP/jobs.after" "^$(eddy job id --to=f58 "$new") INACTIVE COMPLETED$" "the new job is listed"
n=$(grep -c INACTIVE "$TMP/jobs.after")
[ "$n" -eq 6 ]; _report $? "six inactive jobs in all, the fake one included ($n)" "$TMP/jobs.after"
finish
