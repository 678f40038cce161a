#!/usr/bin/env bash
# One owner per state directory: while an instance runs on --statedir D, a
# second `eddy start --statedir D` is refused, naming the pid of the
# broker that holds D, and exits nonzero; the first instance's jobs and
# keys are intact then, and after it stops and restarts on D.  Rank 0's
# broker checks the lock itself too (a broker started by hand).
. "$(dirname "$0")/lib.sh"

state="$TMP/state"

cat >"$TMP/first.sh" <<SH
id=\$(eddy submit sh -c 'exit 3') && eddy job wait \$id; echo "job rc=\$?"
echo "\$id" > "$TMP/job.id"
eddy kvs put test.owner=first || exit 1
pid=\$(eddy getattr broker.pid); echo "\$pid" > "$TMP/broker.pid"
eddy start --statedir "$state" sh -c 'eddy kvs put test.owner=second' > "$TMP/second" 2>&1
echo "second rc=\$?"
# the same refusal from rank 0's broker when eddy start does not look
mkdir -p "$TMP/run2"
timeout 20 eddy-broker --rank=0 --size=1 --rundir="$TMP/run2" --setattr=statedir="$state" \
    > "$TMP/broker2" 2>&1
echo "broker rc=\$?"
echo "owner=\$(eddy kvs get test.owner)"
eddy jobs -a -n -o '{id.f58} {state} {returncode}'
SH
(cd "$TMP" && eddy start --statedir "$state" sh first.sh) >"$TMP/first" 2>&1
_report $? "the first instance runs a job and tries a second one on its statedir" "$TMP/first"
pid=$(cat "$TMP/broker.pid")
id=$(cat "$TMP/job.id")
has "$TMP/first" '^second rc=[1-9]' "a second eddy start on the statedir exits nonzero"
has "$TMP/second" "in use by another instance \\(pid $pid\\)" "it names the pid of the broker holding it"
has "$TMP/first" '^broker rc=[1-9]' "a second rank-0 broker on the statedir exits nonzero"
has "$TMP/broker2" "statedir .* is in use by another instance \\(pid $pid\\)" "the broker names the holder too"
has "$TMP/first" '^owner="?first"?$' "the first instance's key is untouched"
has "$TMP/first" "^$id INACTIVE 3$" "the first instance's job is still listed"

cat >"$TMP/again.sh" <<SH
echo "owner=\$(eddy kvs get test.owner)"
eddy jobs -a -n -o '{id.f58} {state} {returncode}'
SH
(cd "$TMP" && eddy start --statedir "$state" sh again.sh) >"$TMP/again" 2>&1
_report $? "a restart on the statedir after the first instance stopped is not refused" "$TMP/again"
has "$TMP/again" '^owner="?first"?$' "the key survives the restart"
has "$TMP/again" "^$id INACTIVE 3$" "the job survives the restart"

finish
