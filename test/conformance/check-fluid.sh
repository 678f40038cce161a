#!/usr/bin/env bash
# RFC 19 FLUIDs: encodings, auto-detecting parse, invalid inputs and the RFC
# examples through test/vec-util; `eddy job id` on the encodings table.
set -uo pipefail
v="$EDDY_VECTORS/fluid"
vec-util fluid-encodings "$v/fluid_encodings.tsv"
vec-util fluid-parse "$v/fluid_parse.tsv"
vec-util fluid-invalid "$v/fluid_invalid.tsv"
vec-util fluid-rfc19 "$v/rfc19_examples.tsv"
