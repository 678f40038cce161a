#!/usr/bin/env bash
# The resource and sched modules on real brokers: R from module args and
# from every rank's attributes, and `eddy resource list`.
. "$(dirname "$0")/lib.sh"

eddy start --size 2 -m resource='{"nodes":2,"cores_per_node":4,"gpus_per_node":1}' \
    -m sched='{"policy":"easy"}' eddy resource list >"$TMP/args" 2>&1
_report $? "resource list with R from module args" "$TMP/args"
has "$TMP/args" '^ +STATE +NNODES +NCORES +NGPUS +NODELIST$' "a header row"
has "$TMP/args" '^ +free +2 +8 +2 +rank\[0-1\]$' "2 nodes, 8 cores, 2 gpus free"
has "$TMP/args" '^ +allocated +0 +0 +0 *$' "nothing allocated"
has "$TMP/args" '^ +down +0 +0 +0 *$' "nothing down"

eddy start --size 3 -S resource.cores=0-1 -m resource -m sched \
    eddy resource list --states=free >"$TMP/attrs" 2>&1
_report $? "resource list with R from the ranks' attributes" "$TMP/attrs"
has "$TMP/attrs" '^ +free +3 +6 +0 ' "3 ranks with 2 cores each"
grep -q allocated "$TMP/attrs"; [ $? -ne 0 ]; _report $? "--states=free shows only free" "$TMP/attrs"

eddy start --size 1 --bare eddy resource list >"$TMP/nosched" 2>&1
[ $? -ne 0 ]; _report $? "without a scheduler it fails" "$TMP/nosched"
has "$TMP/nosched" '^eddy-resource: sched.resource-status: ' "naming the RPC"

fails "an unknown state is refused" eddy resource list --states=free,bogus
fails "an unknown subcommand is refused" eddy resource frob
finish
