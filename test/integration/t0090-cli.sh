#!/usr/bin/env bash
# The command line: an unknown command names the nearest one; eddy
# version; eddy env prints and runs with the instance's environment.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
fails "a misspelt command" eddy sumbit true
has "$TMP/out" "^eddy: unknown command 'sumbit': did you mean 'submit'\\?" "suggests submit"
fails "a word far from every command" eddy zzzzzzzzz
has "$TMP/out" "unknown command 'zzzzzzzzz'; try 'eddy help'" "suggests nothing, names eddy help"
ok "eddy version" eddy version
has "$TMP/out" '^eddy [0-9]+\.[0-9]+' "prints the version"
has "$TMP/out" 'zeromq [0-9.]+, sqlite [0-9.]+' "and what it was built with"
ok "eddy env inside an instance" eddy start sh -c 'eddy env >env.out; echo "$EDDY_URI" >uri.out; eddy env sh -c "echo \$EDDY_URI" >run.out'
ok "prints the instance's EDDY_URI" sh -c "grep -qx \"export EDDY_URI='\$(cat uri.out)'\" env.out"
has env.out "^export PATH='$EDDY_BUILDDIR/cmd:" "puts this eddy's directory first on PATH"
has env.out "^export EDDY_PMI_LIBRARY_PATH='.*libpmi.so'" "says where libpmi.so is"
ok "runs a command with it" cmp uri.out run.out
ok "eval of its output sets the variables" sh -c "unset EDDY_URI; eval \"\$(EDDY_URI=local:///nowhere eddy env)\"; [ \"\$EDDY_URI\" = local:///nowhere ]"
fails "a command that does not exist" eddy env no-such-command-here
has "$TMP/out" 'eddy-env: no-such-command-here: No such file' "says so"
finish
