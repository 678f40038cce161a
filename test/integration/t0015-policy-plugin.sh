#!/usr/bin/env bash
# Policy plugins: eddy installed by make install, the out-of-tree example
# (examples/policy-sjf: shortest job first with backfilling) built against
# the installed header and pkg-config file, then run in both worlds: trace
# replays in the simulator and jobs on a real instance.  Bad plugins are
# refused with a clear message.
. "$(dirname "$0")/lib.sh"

# the nested makes get neither the check run's jobserver nor its variables
unset MAKEFLAGS MFLAGS MAKELEVEL
inst="$TMP/inst"
ok "make install prefix=TMP/inst from the build tree" \
    make -C "$EDDY_BUILDDIR" install prefix="$inst"
[ -f "$inst/include/eddy/policy.h" ] && [ -f "$inst/lib/pkgconfig/eddy-policy.pc" ]
_report $? "it installs include/eddy/policy.h and lib/pkgconfig/eddy-policy.pc" "$TMP/out"
export PKG_CONFIG_PATH="$inst/lib/pkgconfig"
cflags=$(pkg-config --cflags eddy-policy 2>&1)
[ "$(echo $cflags)" = "-I$inst/include" ]
echo "$cflags" >"$TMP/cflags"; _report $? "pkg-config --cflags eddy-policy names the installed header's directory" "$TMP/cflags"
abi=$(pkg-config --variable=abi_version eddy-policy)
grep -q "^#define EDDY_POLICY_ABI_VERSION $abi\$" "$inst/include/eddy/policy.h"
_report $? "and its abi_version ($abi) is the header's" "$inst/lib/pkgconfig/eddy-policy.pc"

ok "make install DESTDIR=TMP/dest" make -C "$EDDY_BUILDDIR" install DESTDIR="$TMP/dest"
pc=$(find "$TMP/dest" -name eddy-policy.pc)
dir=$(PKG_CONFIG_SYSROOT_DIR="$TMP/dest" PKG_CONFIG_PATH="${pc%/*}" pkg-config --cflags-only-I eddy-policy)
dir=$(echo ${dir#-I})
[ -n "$pc" ] && [ -f "$dir/eddy/policy.h" ] && [ "${dir#"$TMP/dest"/}" != "$dir" ]
echo "pc=$pc dir=$dir" >"$TMP/dest.txt"; _report $? "a staged install's .pc finds its header with PKG_CONFIG_SYSROOT_DIR" "$TMP/dest.txt"

# the example, copied out of the source tree (which may be read-only)
cp -R "$EDDY_SRCDIR/examples/policy-sjf" "$TMP/sjf-src" && chmod -R u+w "$TMP/sjf-src"
ok "examples/policy-sjf builds with its Makefile against the installed files" \
    make -C "$TMP/sjf-src" CFLAGS="-O2 -Werror"
sjf="$TMP/sjf.so"
cp "$TMP/sjf-src/sjf.so" "$sjf"
eddy="$inst/bin/eddy" # the installed front end, which starts the installed broker

# ---- the simulator ----
trace="$EDDY_SRCDIR/traces/samples/KTH-SP2-1996-2.1-cln-head2000.swf"
for run in sjf.1 sjf.2 fcfs; do
    pol=$sjf; [ "$run" = fcfs ] && pol=fcfs
    "$eddy" sim replay "$trace" --policy "$pol" --jobs-out "$TMP/kth-$run.csv" >"$TMP/kth-$run.out" 2>&1
    _report $? "replay of $(basename "$trace") under $run" "$TMP/kth-$run.out"
done
csv_columns "$TMP/kth-sjf.1.csv" job_id start >"$TMP/kth-sjf.1" &&
    csv_columns "$TMP/kth-sjf.2.csv" job_id start >"$TMP/kth-sjf.2" &&
    csv_columns "$TMP/kth-fcfs.csv" job_id start >"$TMP/kth-fcfs"
_report $? "the job CSVs have job_id and start columns" "$TMP/kth-sjf.1.csv"
n=$(awk '$2 != ""' "$TMP/kth-sjf.1" | wc -l)
[ "$n" -eq 2000 ]; _report $? "every one of the 2,000 jobs ran under sjf ($n)" "$TMP/kth-sjf.1"
cmp -s "$TMP/kth-sjf.1" "$TMP/kth-sjf.2"; _report $? "two sjf replays give one schedule" "$TMP/kth-sjf.2"
! cmp -s "$TMP/kth-sjf.1" "$TMP/kth-fcfs"; _report $? "and it is not fcfs's" "$TMP/kth-fcfs"

# Four processors; id submit run procs req.  By hand, under sjf.c's rule:
#   0: 1 starts (3 of 4).
#   2: R = 2 (needs 4), S = 100, extra = 0; 3 (1p, ends 92 <= S) backfills.
#  92: 3 ends; sjf order 5 2 4 6; R = 5 (needs 2, 1 free), S = 100,
#      extra = 1 + 3 - 2 = 2; 6 (1p, ends 1092 > S) backfills into extra.
# 100: 1 ends, 3 free; 5 starts, shorter than 2; R = 2, S = 1092 (6 ends).
# 110: 5 ends, 3 free; R = 2, S = 1092; 4 (ends 160 <= S) backfills.
# 1092: 6 ends; 2 starts at last.
# fcfs starts 2 at 100 and 5 at 170.
cat >"$TMP/tiny.swf" <<'SWF'
; MaxNodes: 1
; MaxProcs: 4
1 0 -1 100 3 -1 -1 3 100 -1 1 1 1 1 1 1 -1 -1
2 1 -1 20 4 -1 -1 4 20 -1 1 1 1 1 1 1 -1 -1
3 2 -1 90 1 -1 -1 1 90 -1 1 1 1 1 1 1 -1 -1
4 3 -1 50 2 -1 -1 2 50 -1 1 1 1 1 1 1 -1 -1
5 4 -1 10 2 -1 -1 2 10 -1 1 1 1 1 1 1 -1 -1
6 5 -1 1000 1 -1 -1 1 1000 -1 1 1 1 1 1 1 -1 -1
SWF
printf '1 0\n2 1092\n3 2\n4 110\n5 100\n6 92\n' >"$TMP/tiny.want"
printf '1 0\n2 100\n3 120\n4 120\n5 170\n6 170\n' >"$TMP/tiny-fcfs.want"
for pol in "$sjf" fcfs; do
    name=$(basename "$pol" .so)
    "$eddy" sim replay "$TMP/tiny.swf" --policy "$pol" --latency 0 \
        --jobs-out "$TMP/tiny-$name.csv" >"$TMP/tiny-$name.out" 2>&1 &&
        csv_columns "$TMP/tiny-$name.csv" job_id start |
        awk '{ print $1 + 0, $2 + 0 }' | sort -n >"$TMP/tiny-$name.got"
    _report $? "a six-job trace under $name at latency 0" "$TMP/tiny-$name.out"
done
diff "$TMP/tiny.want" "$TMP/tiny-sjf.got" >"$TMP/diff" 2>&1
_report $? "sjf starts every job when worked out by hand" "$TMP/diff"
diff "$TMP/tiny-fcfs.want" "$TMP/tiny-fcfs.got" >"$TMP/diff" 2>&1
_report $? "fcfs, the control, as well" "$TMP/diff"

# ---- a real instance ----
# Two cores: a held job takes both, a long job and then a short one queue
# behind it; once both wait, the held job is canceled.  The scheduler's
# start order is the order of the jobs' alloc events.
cat >"$TMP/order.sh" <<'SH'
state () { eddy jobs -n -o '{id.f58} {st}' | awk -v id=$1 '$1 == id { print $2 }'; }
alloc () { eddy job eventlog $1 | sed -n 's/^{"timestamp":\([0-9.]*\),"name":"alloc".*/\1/p'; }
hold=$(eddy submit -n 2 -t 10m sleep 100) || exit 1
for i in $(seq 1 400); do [ "$(state $hold)" = R ] && break; sleep 0.05; done
long=$(eddy submit -n 2 -t 60m true) || exit 1
short=$(eddy submit -n 2 -t 1m true) || exit 1
for i in $(seq 1 400); do
    [ "$(state $long)$(state $short)" = SS ] && break; sleep 0.05
done
echo "queued: $(state $hold)$(state $long)$(state $short)"
eddy job cancel $hold
eddy job wait $long && eddy job wait $short && echo "both completed"
eddy jobs -a -n -o '{id.f58} {result}'
awk -v l="$(alloc $long)" -v s="$(alloc $short)" \
    'BEGIN { print "alloc long " l " short " s; print (s < l ? "short first" : "long first") }'
SH
for pol in "$sjf" easy; do
    name=$(basename "$pol" .so)
    (cd "$TMP" && "$eddy" start -S resource.cores=0-1 --policy "$pol" sh order.sh) >"$TMP/order-$name" 2>&1
    _report $? "eddy start --policy $name runs the jobs" "$TMP/order-$name"
    has "$TMP/order-$name" '^queued: RSS$' "$name: the long and the short job wait behind the held one"
    has "$TMP/order-$name" '^both completed$' "$name: both complete"
    has "$TMP/order-$name" '^alloc long [0-9.]+ short [0-9.]+$' "$name: the eventlogs have their alloc times"
done
has "$TMP/order-sjf" '^short first$' "sjf starts the short job before the long one submitted earlier"
has "$TMP/order-easy" '^long first$' "easy, the control, starts the long one first"

# ---- bad plugins ----
cc=${CC:-cc}
echo 'int not_a_policy = 1;' >"$TMP/nosym.c"
cat >"$TMP/abi.c" <<'C'
#include <eddy/policy.h>
static int run (void *state, const struct eddy_policy_input *in, eddy_policy_start_f start,
                void *arg)
{
    return 0;
}
const struct eddy_policy_ops eddy_policy_plugin = {
    .abi_version = EDDY_POLICY_ABI_VERSION + 1,
    .name = "future",
    .run = run,
};
C
ok "a shared object without eddy_policy_plugin builds" $cc -shared -fPIC -o "$TMP/nosym.so" "$TMP/nosym.c"
ok "a plugin for the next ABI builds" $cc -shared -fPIC $cflags -o "$TMP/abi.so" "$TMP/abi.c"

# refused: WHAT WANT ARGS...: the command fails, saying WANT (fixed text)
refused () {
    local what=$1 want=$2; shift 2
    "$@" >"$TMP/out" 2>&1
    local rc=$?
    [ $rc -ne 0 ] && grep -qF -- "$want" "$TMP/out"; _report $? "$what (exit $rc)" "$TMP/out"
}
tiny="$TMP/tiny.swf"
refused "sim replay: a shared object without the symbol" \
    "plugin $TMP/nosym.so has no symbol eddy_policy_plugin" "$eddy" sim replay "$tiny" --policy "$TMP/nosym.so"
refused "sim replay: a plugin built for another ABI" \
    "plugin $TMP/abi.so was built for policy ABI $((abi + 1)), eddy has $abi" \
    "$eddy" sim replay "$tiny" --policy "$TMP/abi.so"
refused "sim replay: a missing plugin" "cannot load policy plugin: $TMP/nosuch.so" \
    "$eddy" sim replay "$tiny" --policy "$TMP/nosuch.so"
refused "sim replay: an unknown policy name" "unknown policy 'lottery'" \
    "$eddy" sim replay "$tiny" --policy lottery
refused "eddy start: a plugin built for another ABI, before any broker starts" \
    "plugin $TMP/abi.so was built for policy ABI $((abi + 1)), eddy has $abi" \
    "$eddy" start --policy "$TMP/abi.so" true
refused "eddy start: a shared object without the symbol" \
    "plugin $TMP/nosym.so has no symbol eddy_policy_plugin" "$eddy" start --policy "$TMP/nosym.so" true
finish
