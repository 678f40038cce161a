#!/usr/bin/env bash
# check-config.sh: every file in config-examples/ through `eddy config check`,
# against the strict TOML 1.0 verdict in its MANIFEST.tsv (column 4: "valid
# ..." must be accepted; "NOT valid ..." must be rejected with a
# FILE:LINE:COL message).  Case id = config-examples/<file>.  An accepted
# file may draw warnings for tables and keys eddy does not use (Flux's
# own, such as [systemd]): those lines end in "(ignored)" and are not a
# rejection; any other output is.
set -uo pipefail
dir="$EDDY_VECTORS/config-examples"
manifest="$dir/MANIFEST.tsv"
if [ ! -r "$manifest" ]; then
    echo "FAIL config-examples: no $manifest"
    exit 0
fi
listed=$(mktemp)
trap 'rm -f "$listed"' EXIT
while IFS=$'\t' read -r file _source _commit verdict; do
    case "$file" in ''|'#'*) continue ;; esac
    echo "$file" >>"$listed"
    id="config-examples/$file"
    if [ ! -f "$dir/$file" ]; then
        echo "FAIL $id: file missing"
        continue
    fi
    out=$(eddy config check "$dir/$file" 2>&1)
    rc=$?
    case "$verdict" in
    valid*)
        other=$(printf '%s\n' "$out" | grep -v ': unknown \(key\|table\) (ignored)$' | grep -v '^$')
        if [ $rc -eq 0 ] && [ -z "$other" ]; then
            echo "PASS $id"
        else
            echo "FAIL $id: rejected (exit $rc): $out"
        fi
        ;;
    NOT\ valid*)
        if [ $rc -eq 1 ] && [[ "$out" == "eddy-config: $dir/$file:"[0-9]*:[0-9]*": "* ]]; then
            echo "PASS $id"
        elif [ $rc -eq 0 ]; then
            echo "FAIL $id: accepted, but the manifest says: ${verdict:0:60}"
        else
            echo "FAIL $id: exit $rc, message not FILE:LINE:COL: $out"
        fi
        ;;
    *)
        echo "FAIL $id: unknown verdict '${verdict:0:40}'"
        ;;
    esac
done <"$manifest"
# Every example file must be in the manifest.
(cd "$dir" && find . -name '*.toml' | sed 's|^\./||' | sort) | while read -r f; do
    grep -qxF "$f" "$listed" || echo "FAIL config-examples/$f: not in MANIFEST.tsv"
done
