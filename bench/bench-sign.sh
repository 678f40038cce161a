#!/usr/bin/env bash
# bench-sign.sh - signed submission throughput: a munged of its own (key and
# socket in a temporary directory), a one-broker instance whose security
# config signs with munge, 10,000 test-exec jobs unsigned ("none" allowed),
# then 10,000 signed by the client (munge_encode) and verified by
# job-ingest (munge_decode); the difference is what signing costs.
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$bd/bench:$PATH"
command -v munged >/dev/null || { echo "bench-sign: munged is not installed (skipped)"; exit 0; }
d=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-sign.XXXXXX")
chmod 0755 "$d"
stop () { # munged writes its seed file as it exits: wait for it
    local p
    p=$(cat "$d/pid" 2>/dev/null) || return 0
    kill "$p" 2>/dev/null || return 0
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
}
trap 'stop; rm -rf "$d"' EXIT
dd if=/dev/urandom of="$d/key" bs=1 count=1024 2>/dev/null
chmod 0600 "$d/key"
munged --force --key-file="$d/key" --socket="$d/sock" --pid-file="$d/pid" \
    --log-file="$d/log" --seed-file="$d/seed"
for _ in $(seq 100); do [ -S "$d/sock" ] && break; sleep 0.1; done
mkdir "$d/sec"
printf '[sign]\ndefault-type = "munge"\nallowed-types = ["munge", "none"]\nmunge-socket = "%s"\n' \
    "$d/sock" >"$d/sec/sign.toml"
n=${BENCH_SIGN_JOBS:-10000}
EDDY_SECURITY_CONFIG_PATH="$d/sec" eddy start bench-jobs "$n"
EDDY_SECURITY_CONFIG_PATH="$d/sec" eddy start bench-jobs "$n" --sign
