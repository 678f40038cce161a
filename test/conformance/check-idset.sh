#!/usr/bin/env bash
# RFC 22 idsets: every row of vectors/idset/ through test/vec-util, plus the
# eddy idset command on the ops table (PASS/FAIL lines, see run.sh).
set -uo pipefail
v="$EDDY_VECTORS/idset"
vec-util idset-encode "$v/idset_encode.tsv"
vec-util idset-invalid "$v/idset_invalid.txt"
vec-util idset-count "$v/idset_count.tsv"
vec-util idset-expand "$v/idset_expand.tsv"
vec-util idset-ops "$v/idset_ops.tsv"

# The command line: `eddy idset count` over idset_count.tsv.
n=0
while IFS= read -r line; do
    IFS=$'\x1f' read -r input count _ <<<"${line//$'\t'/$'\x1f'}"
    n=$((n + 1))
    case "$input" in \#*) continue ;; esac
    got=$(eddy idset count "$input" 2>&1)
    if [ "$got" = "$count" ]; then
        echo "PASS idset/cli-count:$n"
    else
        echo "FAIL idset/cli-count:$n: eddy idset count '$input' printed '$got', want $count"
    fi
done <"$v/idset_count.tsv"
