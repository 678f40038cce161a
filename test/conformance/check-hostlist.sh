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

# hostlist_ops.tsv: operation, arguments (sources, then the operand), result
n=0
while IFS= read -r line; do
    # a non-white IFS keeps empty fields (the vectors use them)
    IFS=$'\x1f' read -r op args want _ <<<"${line//$'\t'/$'\x1f'}"
    n=$((n + 1))
    case "$op" in \#*) continue ;; esac
    read -r -a a <<<"$args"
    last=${a[${#a[@]}-1]}
    first=("${a[@]:0:${#a[@]}-1}")
    case "$op" in
    union) cmd=(-u "${a[@]}") ;;
    intersect) cmd=(-i "${a[@]}") ;;
    xor) cmd=(-X "${a[@]}") ;;
    minus) cmd=(-m "${a[@]}") ;;
    minus+union) cmd=(-m -u "${a[@]}") ;;
    exclude | exclude-index) cmd=(-x "$last" "${first[@]}") ;;
    nth-idset) cmd=(-n "$last" "${first[@]}") ;;
    limit) cmd=(-l "$last" "${first[@]}") ;;
    find) cmd=(-F "$last" "${first[@]}") ;;
    count) cmd=(-c "${a[@]}") ;;
    *) echo "FAIL hostlist/ops:$n: unknown operation $op"; continue ;;
    esac
    got=$(eddy hostlist "${cmd[@]}" </dev/null 2>&1)
    if [ "$got" = "$want" ]; then
        echo "PASS hostlist/ops:$n"
    else
        echo "FAIL hostlist/ops:$n: eddy hostlist ${cmd[*]} printed '$got', want '$want'"
    fi
done <"$v/hostlist_ops.tsv"
