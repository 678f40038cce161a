#!/usr/bin/env bash
# bench-nest.sh - hierarchical vs flat throughput (issue 13): N test-exec
# jobs (BENCH_NEST_JOBS, default 16000: bench-jobs counts in thousands) through one flat instance of 4
# brokers of 4 cores each, then the same instance with CHILDREN eddy batch
# children (BENCH_NEST_CHILDREN, default 4; one node, 4 cores each), each
# running bench-jobs N/CHILDREN in its own instance.  Reports wall time
# from the first submission to the last job's end, children's start-up
# included.
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$bd/bench:$PATH"
n=${BENCH_NEST_JOBS:-16000}
k=${BENCH_NEST_CHILDREN:-4}
d=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-nest.XXXXXX")
trap 'rm -rf "$d"' EXIT
cd "$d"
echo "flat: $n jobs in one 4-broker instance (16 cores)"
eddy start --size 4 -S resource.cores=0-3 bench-jobs "$n"

per=$((n / k))
cat >child.sh <<SH
#!/bin/sh
bench-jobs $per
SH
cat >parent.sh <<SH
t0=\$(date +%s.%N)
ids=""
for i in \$(seq $k); do ids="\$ids \$(eddy batch -N 1 --output=child-\$i.out child.sh)"; done
for id in \$ids; do eddy job wait \$id || exit 1; done
t1=\$(date +%s.%N)
echo "hierarchical: $k children x $per jobs = $((per * k)) jobs in \$(echo "\$t1 - \$t0" | bc) s" \
     "= \$(echo "$((per * k)) / (\$t1 - \$t0)" | bc) jobs/s (children's start-up included)"
cat child-*.out | sed 's/^/  child: /'
SH
eddy start --size 4 -S resource.cores=0-3 sh parent.sh
