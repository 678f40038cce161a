#!/usr/bin/env bash
# make bench: run every benchmark and print its figures.  A benchmark is a
# program bench/bench-NAME built from bench/bench-NAME.c (listed in
# BENCH_PROGS) or a script bench/bench-NAME.sh.  Figures are whole runs on
# this machine; docs/performance.md records them.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export EDDY_SRCDIR="${EDDY_SRCDIR:-$(cd "$here/.." && pwd)}"
export EDDY_BUILDDIR="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$EDDY_BUILDDIR/cmd:$PATH"
only="${BENCH:-}"
for b in "$EDDY_BUILDDIR"/bench/bench-* "$here"/bench-*.sh; do
    [ -x "$b" ] || [ "${b%.sh}" != "$b" ] || continue
    [ -e "$b" ] || continue
    case "$b" in *.o|*.c) continue ;; esac
    name=$(basename "$b"); name=${name%.sh}
    [ -z "$only" ] || [[ " $only " == *" ${name#bench-} "* ]] || continue
    echo "== ${name#bench-}"
    if [ "${b%.sh}" != "$b" ]; then bash "$b"; else "$b"; fi
done
