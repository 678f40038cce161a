#!/usr/bin/env bash
# RFC 19 FLUIDs: encodings, auto-detecting parse, invalid inputs and the RFC
# examples through test/vec-util; `eddy job id` on the encodings table.
set -uo pipefail
v="$EDDY_VECTORS/fluid"
vec-util fluid-encodings "$v/fluid_encodings.tsv"
vec-util fluid-parse "$v/fluid_parse.tsv"
vec-util fluid-invalid "$v/fluid_invalid.tsv"
vec-util fluid-rfc19 "$v/rfc19_examples.tsv"

# The command line: `eddy job id` converts the decimal of every row of
# fluid_encodings.tsv to each form the row gives, and back to decimal.
n=0
while IFS= read -r line; do
    IFS=$'\x1f' read -r dec f58 hex dothex _words emoji kvs _src <<<"${line//$'\t'/$'\x1f'}"
    n=$((n + 1))
    case "$dec" in \#*) continue ;; esac
    ok=yes why=
    for pair in "f58:$f58" "hex:$hex" "dothex:$dothex" "emoji:$emoji" "kvs:$kvs"; do
        form=${pair%%:*} want=${pair#*:}
        [ "$want" = "-" ] && continue
        got=$(eddy job id --to="$form" "$dec" 2>&1)
        back=$(eddy job id "$want" 2>&1)
        if [ "$got" != "$want" ] || [ "$back" != "$dec" ]; then
            ok=no why="$why $form: '$got'/'$back'"
        fi
    done
    if [ $ok = yes ]; then
        echo "PASS fluid/cli-job-id:$n"
    else
        echo "FAIL fluid/cli-job-id:$n:$why"
    fi
done <"$v/fluid_encodings.tsv"
