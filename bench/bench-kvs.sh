#!/usr/bin/env bash
# bench-kvs.sh - synchronous put+commit from one client (kvs-commit) on a
# one-broker instance: into an empty directory, then with 100,000 keys in
# the directory; with the sqlite backing store (statedir) and with memory.
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$bd/bench:$PATH"
dir=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-kvs.XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "sqlite (statedir):"
eddy start --size 1 -S statedir="$dir/state" -m content -m kvs kvs-commit 20000 100000 | sed 's/^/  /'
echo "memory:"
eddy start --size 1 -m content -m kvs kvs-commit 20000 100000 | sed 's/^/  /'
