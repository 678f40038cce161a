#!/usr/bin/env bash
# eddy start: instances come up, run a command with EDDY_URI, pass its exit
# status back, and leave nothing behind.
. "$(dirname "$0")/lib.sh"

ok "a one-broker instance runs a command" eddy start true
fails "eddy start passes on a failing status" eddy start false
eddy start sh -c 'exit 7' >/dev/null 2>&1
[ $? -eq 7 ]; _report $? "eddy start exits with the command's status (7)" /dev/null

eddy start --size 8 eddy ping --count 100 --rank 7 broker >"$TMP/ping" 2>&1
_report $? "ping 100 times to rank 7 of 8" "$TMP/ping"
n=$(grep -c '^broker.ping rank=7 seq=' "$TMP/ping")
[ "$n" -eq 100 ]; _report $? "each of the 100 round trips is printed ($n)" "$TMP/ping"
has "$TMP/ping" '^100 pings to broker: min/avg/max = [0-9.]+/[0-9.]+/[0-9.]+ ms' "a min/avg/max summary"
has "$TMP/ping" 'hops=3' "rank 7 is 3 hops from rank 0"

eddy start --size 4 sh -c 'echo $EDDY_URI; eddy getattr size; eddy getattr --rank 3 rank' >"$TMP/uri" 2>&1
has "$TMP/uri" '^local:///' "EDDY_URI names rank 0's local socket"
has "$TMP/uri" '^4$' "the instance has size 4"
has "$TMP/uri" '^3$' "rank 3 answers getattr"
rundir=$(sed -n 's|^local://\(.*\)/local-0$|\1|p' "$TMP/uri")
[ -n "$rundir" ] && [ ! -e "$rundir" ]; _report $? "the private runtime directory is removed" "$TMP/uri"

ok "a flat tree of 16 brokers" eddy start --size 16 --fanout 0 eddy ping --count 2 --rank 15 broker
ok "a tcp overlay with CURVE" eddy start --size 4 --tbon tcp eddy ping --count 3 --rank 3 broker
fails "an unknown option is refused" eddy start --bogus true
eddy start --size 0 true 2>"$TMP/err"; has "$TMP/err" '^eddy-start: --size' "a bad size gets an eddy-start: message"
# a signal to eddy start: SIGTERM shuts the instance down and exits 143;
# after SIGKILL (no shutdown possible) its brokers and command go anyway
mkdir "$TMP/rd1" "$TMP/rd2"
eddy start --size 3 --rundir "$TMP/rd1" sh -c 'echo up >"$1"; exec sleep 300' sh "$TMP/up1" \
    2>"$TMP/term" &
sp=$!
within 20 test -s "$TMP/up1"
kill -TERM $sp; wait $sp; rc=$?
[ $rc -eq 143 ]; _report $? "SIGTERM to eddy start: exit 143 (got $rc)" "$TMP/term"
within 10 sh -c "! pgrep -f -- '--rundir=$TMP/rd1( |\$)'"
_report $? "SIGTERM to eddy start: no broker of it is left" "$TMP/term"
eddy start --size 3 --rundir "$TMP/rd2" sh -c 'echo $$ >"$1"; exec sleep 300' sh "$TMP/up2" &
sp=$!
within 20 test -s "$TMP/up2"
kill -KILL $sp; wait $sp 2>/dev/null
within 10 sh -c "! pgrep -f -- '--rundir=$TMP/rd2( |\$)'"
_report $? "SIGKILL to eddy start: its brokers shut down by themselves" /dev/null
within 10 sh -c "! kill -0 $(cat "$TMP/up2") 2>/dev/null"
_report $? "SIGKILL to eddy start: its command is gone too" /dev/null
finish
