#!/usr/bin/env bash
# Bad input gets a clear "eddy-CMD: message" and a nonzero exit.
. "$(dirname "$0")/lib.sh"

fails "eddy with no command" eddy
fails "an unknown command" eddy frobnicate
ok "eddy help lists commands" sh -c 'eddy help | grep -q "^  start "'
cmds=$(eddy help | sed -n 's/^  \([a-zA-Z]*\) .*/\1/p')
[ $(echo "$cmds" | wc -w) -ge 25 ]; _report $? "eddy help lists every command ($(echo $cmds | wc -w))" /dev/null
for c in $cmds; do
    ok "eddy $c --help" sh -c "eddy $c --help | grep -q '^Usage: eddy $c'"
done
eddy ping broker 2>"$TMP/e1"; has "$TMP/e1" "^eddy-ping: EDDY_URI is not set" "a client outside an instance says so"
fails "ping needs a target" eddy start eddy ping
eddy start eddy getattr nosuch 2>"$TMP/e2"; has "$TMP/e2" '^eddy-getattr: attr.get: no attribute named nosuch$' "an unknown attribute"
eddy start --size 2 eddy ping --rank 9 broker 2>"$TMP/e3"; has "$TMP/e3" '^eddy-ping: broker.ping: no rank 9' "an unknown rank"
eddy start eddy ping nosuch 2>"$TMP/e4"; has "$TMP/e4" '^eddy-ping: nosuch.ping: no service matches' "an unknown service"
eddy sim boot 2>"$TMP/e5"; has "$TMP/e5" '^eddy-sim: boot: --size N' "sim boot needs a size"
eddy sim boot --size x 2>"$TMP/e6"; has "$TMP/e6" "^eddy-sim: --size: 'x' is not an integer" "sim boot checks its numbers"
# a module that does not load: the start fails at once, nonzero, saying why
timeout 25 eddy start -m nosuchmod true 2>"$TMP/e7"
rc=$?; [ $rc -ne 0 ] && [ $rc -ne 124 ]; _report $? "a module that does not load fails the start (status $rc)" "$TMP/e7"
has "$TMP/e7" "no module named nosuchmod" "the start says which module"
finish
