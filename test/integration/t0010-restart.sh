#!/usr/bin/env bash
# A one-broker instance restarted on the same state directory keeps its KVS
# and the record of the jobs it completed.
. "$(dirname "$0")/lib.sh"

state="$TMP/state"
eddy start --statedir "$state" sh -c '
    eddy kvs put test.key=\"kept\" &&
    id=$(eddy submit true) && eddy job wait $id && echo "$id" > '"$TMP"'/id' >"$TMP/first" 2>&1
_report $? "the first instance stores a key and runs a job" "$TMP/first"
[ -s "$state/content.sqlite" ]; _report $? "the KVS lives in content.sqlite" "$TMP/first"
id=$(cat "$TMP/id" 2>/dev/null)
eddy start --statedir "$state" sh -c "
    eddy kvs get test.key
    eddy job eventlog $id | tail -1" >"$TMP/second" 2>&1
_report $? "the second instance starts on the same state" "$TMP/second"
has "$TMP/second" '^"kept"$' "the key is still there"
has "$TMP/second" '"name":"clean"' "the completed job's eventlog is still there"
finish
