#!/usr/bin/env bash
# check-toml.sh: the toml-test 1.0 suite (valid and invalid cases) through
# test/toml-decoder; the comparison rules live in toml-test.py.
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/toml-test.py"
