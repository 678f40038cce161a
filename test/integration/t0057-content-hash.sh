#!/usr/bin/env bash
# [content] hash: blobs named by BLAKE2b-256 ("blake2b-" refs) instead of
# SHA-256, on disk too; a store that holds both kinds after the setting
# changes (each ref says its hash, loads check by it); a bad value stops
# the instance with a message naming the key.
. "$(dirname "$0")/lib.sh"

state="$TMP/state"
mkdir -p "$TMP/b2.d" "$TMP/bad.d" "$TMP/num.d"
printf '[content]\nhash = "blake2b"\n' >"$TMP/b2.d/content.toml"
printf '[content]\nhash = "md5"\n' >"$TMP/bad.d/content.toml"
printf '[content]\nhash = 256\n' >"$TMP/num.d/content.toml"

# the blobrefs of the store's objects, and the primary root, one per line
refs () {
    python3 - "$1" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/content.sqlite")
for (h,) in db.execute("select hash from objects order by hash"):
    print("object", h)
for (v,) in db.execute("select value from checkpoints where key = 'kvs'"):
    print("root", json.loads(v)["namespaces"]["primary"]["rootref"])
PY
}

(cd "$TMP" && eddy start --size 2 --config-path "$TMP/b2.d" -S statedir="$state" -m content -m kvs \
    sh -c 'eddy kvs put a.b=1 big="$(head -c 5000 /dev/zero | tr "\0" y)" && eddy kvs get a.b') >"$TMP/first" 2>&1
_report $? "an instance with hash = blake2b stores and reads back" "$TMP/first"
has "$TMP/first" '^1$' "get a.b"
refs "$state" >"$TMP/refs1" 2>&1
has "$TMP/refs1" '^root blake2b-[0-9a-f]{64}$' "the root is a blake2b- ref"
has "$TMP/refs1" '^object blake2b-[0-9a-f]{64}$' "objects on disk are named blake2b-"
hasnt "$TMP/refs1" 'sha256-' "and none sha256-"

# the default again on the same statedir: the old blobs still load, new
# ones are sha256-, and directories refer to both
(cd "$TMP" && eddy start --size 2 -S statedir="$state" -m content -m kvs \
    sh -c 'eddy kvs get a.b && eddy kvs get big | wc -c && eddy kvs put c.d=2 && eddy kvs get c.d') >"$TMP/second" 2>&1
_report $? "the same store with the default hash" "$TMP/second"
has "$TMP/second" '^1$' "a blake2b- blob reads back"
has "$TMP/second" '^ *5003$' "and a big value in its own blob"
has "$TMP/second" '^2$' "a new key reads back"
refs "$state" >"$TMP/refs2" 2>&1
has "$TMP/refs2" '^root sha256-[0-9a-f]{64}$' "the new root is a sha256- ref"
has "$TMP/refs2" '^object blake2b-' "the blake2b- blobs stay"
(cd "$TMP" && eddy start --size 1 --config-path "$TMP/b2.d" -S statedir="$state" -m content -m kvs \
    sh -c 'eddy kvs get a.b c.d') >"$TMP/third" 2>&1
has "$TMP/third" '^2$' "and blake2b again reads the mixed tree"

# a bad value: nonzero exit, the key and the value named
eddy start --config-path "$TMP/bad.d" true >"$TMP/bad" 2>&1
rc=$?
[ $rc -ne 0 ]; _report $? "hash = \"md5\" stops the instance (exit $rc)" "$TMP/bad"
has "$TMP/bad" "content.hash: 'md5' is not a hash \(sha256, blake2b\)" "with a message naming the key"
fails "eddy config check refuses it too" eddy config check "$TMP/bad.d"
eddy start --config-path "$TMP/num.d" true >"$TMP/num" 2>&1
rc=$?
[ $rc -ne 0 ]; _report $? "hash = 256 stops the instance (exit $rc)" "$TMP/num"
has "$TMP/num" 'content.hash: expected a string' "with a message naming the key"
finish
