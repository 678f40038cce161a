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
