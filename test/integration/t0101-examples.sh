#!/usr/bin/env bash
# Every example of the guides (docs/quickstart.md, user-guide.md,
# admin-guide.md, sim-guide.md, flux-slurm.md) and of the man pages
# (doc/man/*.scd), extracted by examples.py and run, each in a fresh
# directory: a shell block with sh -e (inside `eddy start --size N` when
# marked instance=N), a TOML block through eddy config check.  Blocks
# marked norun=WHY (root, systemd, a real cluster, interactive) are listed.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
ex="$TMP/examples"
ok "extract the examples (examples.py)" python3 "$EDDY_SRCDIR/test/integration/examples.py" "$EDDY_SRCDIR" "$ex"
cp "$TMP/out" "$TMP/list"
n=0
skipped=0
while read -r -u 3 name kind where; do
    case $name in ex[0-9]*) ;; *) continue ;; esac
    n=$((n + 1))
    dir="$TMP/run/$name"
    mkdir -p "$dir"
    case $kind in
    sh) ok "$where" sh -c "cd '$dir' && timeout 120 sh -e '$ex/$name.sh' </dev/null" ;;
    instance=*)
        ok "$where (eddy start --size ${kind#instance=})" sh -c \
            "cd '$dir' && timeout 120 eddy start --size ${kind#instance=} sh -e '$ex/$name.sh' </dev/null" ;;
    config) ok "$where (eddy config check)" sh -c "cd '$dir' && eddy config check '$ex/$name.toml'" ;;
    norun=*) skipped=$((skipped + 1)); echo "# not run ($kind): $where" ;;
    *) _report 1 "$where: kind $kind" /dev/null ;;
    esac
done 3<"$TMP/list"
[ "$n" -ge 40 ]; _report $? "found $n examples ($skipped not run)" "$TMP/list"
finish
