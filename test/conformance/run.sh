#!/usr/bin/env bash
# make conformance: run every test/conformance/check-*.sh against the public
# vectors (../shared/vectors, or $EDDY_VECTORS).  Each checker prints one
# line per case, "PASS <case>" or "FAIL <case>: <why>".  A failure listed in
# known-differences.txt (case id, then the reason) is reported but does not
# fail the run.  Ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export EDDY_SRCDIR="${EDDY_SRCDIR:-$top}"
export EDDY_BUILDDIR="${EDDY_BUILDDIR:-$(pwd)}"
export EDDY_VECTORS="${EDDY_VECTORS:-$top/../shared/vectors}"
export PATH="$EDDY_BUILDDIR/cmd:$EDDY_BUILDDIR/test:$PATH"
known="$here/known-differences.txt"

if [ ! -d "$EDDY_VECTORS" ]; then
    echo "conformance: no vectors at $EDDY_VECTORS (set EDDY_VECTORS)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

passed=0 failed=0 nknown=0 unexpected=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for checker in "$here"/check-*.sh; do
    [ -e "$checker" ] || continue
    name=$(basename "$checker" .sh)
    bash "$checker" >"$out" 2>&1
    rc=$?
    p=$(grep -c '^PASS ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    passed=$((passed + p))
    failed=$((failed + f))
    while IFS= read -r line; do
        id=${line#FAIL }
        id=${id%%: *}  # ids may contain ":" (idset/encode:12); the reason follows ": "
        if grep -qxF -- "$id" <(cut -f1 "$known" 2>/dev/null | grep -v '^#'); then
            echo "known: $line"
            nknown=$((nknown + 1))
        else
            echo "$line"
            unexpected=$((unexpected + 1))
        fi
    done < <(grep '^FAIL ' "$out")
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: checker exited $rc"
        tail -5 "$out"
        failed=$((failed + 1))
        unexpected=$((unexpected + 1))
    fi
    echo "$name: $p passed, $f failed"
done
# known differences are reported as skipped: neither passed nor failed
echo "$passed passed, $((failed - nknown)) failed, $nknown skipped"
[ "$unexpected" -eq 0 ]
