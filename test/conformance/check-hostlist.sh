#!/usr/bin/env bash
# RFC 29 hostlists: library tables through test/vec-util; the CLI table
# (hostlist_ops.tsv) through `eddy hostlist`.
set -uo pipefail
v="$EDDY_VECTORS/hostlist"
vec-util hostlist-encode "$v/hostlist_encode.tsv"
vec-util hostlist-expand "$v/hostlist_expand.tsv"
vec-util hostlist-invalid "$v/hostlist_invalid.txt"
vec-util hostlist-find "$v/hostlist_find.tsv"
vec-util hostlist-nth "$v/hostlist_nth.tsv"
vec-util hostlist-delete "$v/hostlist_delete.tsv"
vec-util hostlist-sort-uniq "$v/hostlist_sort_uniq.tsv"
vec-util hostlist-discrepancies "$v/hostlist_discrepancies.tsv"
