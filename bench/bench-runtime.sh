#!/usr/bin/env bash
# bench-runtime.sh - the real instance: ping round trips (median), pipelined
# pings per second, `eddy start` wall time, broker RSS.
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$bd/bench:$PATH"

wall () { # median wall seconds of "$@" over 5 runs
    local t=()
    for _ in 1 2 3 4 5; do
        local s e
        s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
        t+=("$(echo "$e - $s" | bc -l)")
    done
    printf '%s\n' "${t[@]}" | sort -g | sed -n 3p
}

eddy start --size 8 sh -c '
    eddy ping --quiet --count 3000 --rank 0 broker | sed "s/^/rank 0:  /"
    eddy ping --quiet --count 3000 --rank 7 broker | sed "s/^/rank 7 (3 hops):  /"
    bench-ping 200000 256 0
    for r in 0 7; do
        pid=$(eddy getattr --rank $r broker.pid)
        echo "broker rank $r RSS: $(awk "/VmRSS/ {print \$2, \$3}" /proc/$pid/status)"
    done'
printf 'eddy start --size 8 true: %.3f s (median of 5)\n' "$(wall eddy start --size 8 true)"
printf 'eddy start --size 128 true: %.3f s (median of 5)\n' "$(wall eddy start --size 128 true)"
