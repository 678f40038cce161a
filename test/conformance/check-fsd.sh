#!/usr/bin/env bash
# RFC 23 durations: parse, invalid and format tables through test/vec-util.
set -uo pipefail
v="$EDDY_VECTORS/fsd"
vec-util fsd-parse "$v/fsd_parse.tsv"
vec-util fsd-invalid "$v/fsd_invalid.txt"
vec-util fsd-format "$v/fsd_format.tsv"
