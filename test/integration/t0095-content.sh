#!/usr/bin/env bash
# eddy content (load, store, flush, stats, gc) and eddy hwloc.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
head -c 5000 /dev/urandom >bin
printf 'hello blob\n' >text
cat >run.sh <<'SH'
eddy content store <text >ref.text
eddy content store <bin >ref.bin
eddy content load "$(cat ref.text)" >text.back
eddy content load "$(cat ref.bin)" >bin.back
eddy content flush; echo "flush rc=$?"
eddy content stats >stats.json
eddy content gc >gc.json
eddy content load sha256-0000 2>bad.err; echo "bad rc=$?"
eddy content load "sha256-$(printf nothing | sha256sum | cut -d' ' -f1)" 2>missing.err; echo "missing rc=$?"
eddy content frob 2>frob.err; echo "frob rc=$?"
SH
ok "an instance runs the content script" timeout 60 eddy start sh run.sh
cp "$TMP/out" run.log
ok "store prints sha256- and the SHA-256 of the bytes (sha256sum agrees)" \
    sh -c "[ \"\$(cat ref.text)\" = \"sha256-\$(sha256sum <text | cut -d' ' -f1)\" ]"
ok "a text blob reads back whole" cmp text text.back
ok "a binary blob too" cmp bin bin.back
has run.log '^flush rc=0$' "flush returns 0"
ok "stats is JSON with the backing store and its counts" \
    python3 -c "import json,sys; s=json.load(open('stats.json')); sys.exit(0 if s['backing']=='memory' and s['count']>=2 else 1)"
ok "gc is JSON with what it freed" python3 -c "import json,sys; g=json.load(open('gc.json')); sys.exit(0 if 'freed' in g else 1)"
has run.log '^bad rc=1$' "a malformed blobref fails"
has run.log '^missing rc=1$' "a blob that is not there fails"
has run.log '^frob rc=1$' "an unknown subcommand fails"
ok "eddy hwloc info" eddy hwloc info
has "$TMP/out" "^[0-9]+ packages?, $(nproc --all) cores?|^[0-9]+ packages?, [0-9]+ cores?, $(nproc --all) PUs?" "counts this machine's cores or PUs as nproc does"
ok "eddy hwloc topology prints XML hwloc reads back" \
    sh -c "eddy hwloc topology >topo.xml && grep -q '<topology' topo.xml && HWLOC_XMLFILE=topo.xml eddy hwloc info"
finish
