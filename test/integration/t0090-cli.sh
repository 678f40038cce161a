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

# --json on the listings that had none
cat >json.sh <<'SH'
eddy overlay status --json >overlay.json
eddy module list --json >modules.json
eddy lsattr --json >attrs.json
eddy logger hello-json-log
eddy dmesg --json >dmesg.json
SH
ok "an instance of 2 brokers answers the listings with --json" timeout 60 eddy start --size 2 sh json.sh
ok "overlay status --json: rank 0 full, rank 1 its child" \
    python3 -c "import json,sys; o=json.load(open('overlay.json')); sys.exit(0 if o['rank']==0 and o['status']=='full' and [c['rank'] for c in o['children']]==[1] else 1)"
ok "module list --json: the modules with their services (kvs among them)" \
    python3 -c "import json,sys; m=json.load(open('modules.json')); sys.exit(0 if any(x['name']=='kvs' and 'kvs' in x['services'] for x in m) else 1)"
ok "lsattr --json: names and values (rank 0, size 2)" \
    python3 -c "import json,sys; a=json.load(open('attrs.json')); sys.exit(0 if a['rank']=='0' and a['size']=='2' else 1)"
ok "dmesg --json: one entry per line, the logged message among them" \
    python3 -c "import json,sys; e=[json.loads(l) for l in open('dmesg.json')]; sys.exit(0 if e and all({'timestamp','level','rank','name','message'} <= set(x) for x in e) and any('hello-json-log' in x['message'] for x in e) else 1)"
fails "getattr takes no --json" eddy start eddy getattr --json rank
finish
