#!/usr/bin/env bash
# --json on the listings that had none (issue 16): eddy kvs ls (-R),
# eddy kvs namespace list and eddy resource list (-v), one object per
# line as eddy jobs and eddy dmesg print them; each line parses and says
# what the text listing says.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
cat >json.sh <<'SH'
eddy kvs put a.b=1 a.c.d=2 top=3
eddy kvs ls --json >ls.json
eddy kvs ls -R --json a >lsR.json
eddy kvs namespace create nsx
eddy kvs namespace list --json >ns.json
eddy resource list --json >rl.json
eddy resource list -v --json >rlv.json
SH
ok "an instance of 2 brokers answers the listings with --json" timeout 60 eddy start --size 2 sh json.sh
json_ok () { # WHAT FILE PYTHON-EXPRESSION-OVER-rows
    ok "$1" python3 -c "import json,sys; rows=[json.loads(l) for l in open('$2')]; sys.exit(0 if ($3) else 1)"
}
json_ok "kvs ls --json: a and top, a a directory, top not" ls.json \
    "{'a': True, 'top': False} == {r['key']: r['dir'] for r in rows if r['key'] in ('a', 'top')}"
json_ok "kvs ls -R --json a: the keys below a by their paths, depth first" lsR.json \
    "[(r['key'], r['dir']) for r in rows] == [('a.b', False), ('a.c', True), ('a.c.d', False)]"
json_ok "kvs namespace list --json: primary and nsx with owner and seq" ns.json \
    "{'primary', 'nsx'} <= {r['name'] for r in rows} and all(isinstance(r['owner'], int) and isinstance(r['seq'], int) for r in rows)"
json_ok "resource list --json: free, allocated, down; 2 free nodes, counts as numbers" rl.json \
    "[r['state'] for r in rows][:3] == ['free', 'allocated', 'down'] and rows[0]['nnodes'] == 2 and rows[0]['ranks'] == '0-1'"
json_ok "resource list -v --json: one row per rank" rlv.json \
    "[(r['state'], r['ranks'], r['nnodes']) for r in rows] == [('free', '0', 1), ('free', '1', 1)]"
hasnt rl.json 'STATE|NNODES' "no header line"
finish
