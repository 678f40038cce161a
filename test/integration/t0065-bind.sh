#!/usr/bin/env bash
# The job shell's other duties (issue 13 part 5): each task's cpus from R
# (cpu-affinity on, per-task, off), CUDA_VISIBLE_DEVICES and
# ROCR_VISIBLE_DEVICES from R's gpus (gpu-affinity on, per-task: each
# task its share, off: the user's pass), and EDDY_TASK_RANK,
# EDDY_TASK_LOCAL_ID, EDDY_JOB_NNODES, EDDY_JOB_SIZE, EDDY_JOB_ID.  Two
# brokers on a synthetic topology (16 cores of 2 PUs, and 2 gpus each)
# check the masks the shell computes for -N/-n/-c/-g combinations (they
# name cpus this machine has not, so they are shown, not applied); one
# broker on this machine's own topology checks the binding itself.  Each
# job is checked against its own R by bind-check.py, which maps cores to
# cpus with hwloc-calc.  Bad modes are refused at submit.
. "$(dirname "$0")/lib.sh"

CHECK="$EDDY_SRCDIR/test/integration/bind-check.py"
if ! command -v hwloc-calc >/dev/null || ! command -v python3 >/dev/null; then
    echo "1..0 # SKIP needs hwloc-calc (hwloc) and python3"
    exit 77
fi
export SYN="package:2 core:8 pu:2"

# run_case NAME MODE OPTIONS...: in an instance, run a job whose tasks
# print what they were given, then save its R
cat >"$TMP/cases.sh" <<'SH'
p='echo "task $EDDY_TASK_RANK local=$EDDY_TASK_LOCAL_ID broker=$(eddy getattr rank) nnodes=$EDDY_JOB_NNODES size=$EDDY_JOB_SIZE id=$EDDY_JOB_ID cpus=${EDDY_TASK_CPUS-unset} cuda=${CUDA_VISIBLE_DEVICES-unset} rocr=${ROCR_VISIBLE_DEVICES-unset} allowed=$(sed -n "s/^Cpus_allowed_list:[[:space:]]*//p" /proc/self/status)"'
run_case () {
    name=$1 mode=$2; shift 2
    eddy run "$@" sh -c "$p" >"$name.out" 2>"$name.err"
    echo "$name rc=$?"
    id=$(sed -n 's/.* id=\([^ ]*\) .*/\1/p' "$name.out" | head -1)
    eddy job info "$id" R >"$name.R"
    echo "$mode" >"$name.mode"
    echo "${gmode:-on}" >"$name.gmode"
}
SH
# the user's own gpu variables: kept where the job has no gpus, replaced where it has
cat >"$TMP/syn.sh" <<'SH'
. ./cases.sh
export CUDA_VISIBLE_DEVICES=user ROCR_VISIBLE_DEVICES=user
run_case on-N2n4c2 on -N 2 -n 4 -c 2
run_case pt-N2n4c2 per-task -N 2 -n 4 -c 2 --cpu-affinity=per-task
run_case pt-n3c5 per-task -n 3 -c 5 --cpu-affinity=per-task
run_case pt-N2n6c1 per-task -N 2 -n 6 --cpu-affinity=per-task
run_case on-N2n2c3g1 on -N 2 -n 2 -c 3 -g 1 --cpu-affinity=on
run_case pt-N1n2c8g1 per-task -N 1 -n 2 -c 8 -g 1 --cpu-affinity=per-task
run_case pt-N1n4c4 per-task -N 1 -n 4 -c 4 --cpu-affinity=per-task
run_case pt-n32c1 per-task -n 32 --cpu-affinity=per-task
run_case off-N2n4c2g1 off -N 2 -n 4 -c 2 -g 1 --cpu-affinity=off
run_case attr-n2c3 per-task -n 2 -c 3 -S shell.options.cpu-affinity=per-task
gmode=per-task; run_case gpt-N1n2g1 on -N 1 -n 2 -g 1 --gpu-affinity=per-task
gmode=per-task; run_case gpt-N2n4c2g1 per-task -N 2 -n 4 -c 2 -g 1 --cpu-affinity=per-task --gpu-affinity=per-task
gmode=per-task; run_case gpt-n1g2 on -n 1 -g 2 --gpu-affinity=per-task
gmode=on; run_case gon-N1n2g1 on -N 1 -n 2 -g 1 --gpu-affinity=on
gmode=off; run_case goff-N1n2g1 on -N 1 -n 2 -g 1 --gpu-affinity=off
gmode=
eddy run --gpu-affinity=bogus true >gbogus-cli.out 2>&1; echo "gbogus-cli rc=$?"
eddy run -S shell.options.gpu-affinity=bogus true >gbogus-attr.out 2>&1; echo "gbogus-attr rc=$?"
eddy run --cpu-affinity=bogus true >bogus-cli.out 2>&1; echo "bogus-cli rc=$?"
eddy run -S shell.options.cpu-affinity=bogus true >bogus-attr.out 2>&1; echo "bogus-attr rc=$?"
eddy run -S shell.options.cpu-affinity=7 true >bogus-num.out 2>&1; echo "bogus-num rc=$?"
eddy jobs -a >jobs.out 2>&1
SH
(cd "$TMP" && HWLOC_SYNTHETIC="$SYN" timeout 300 eddy start --size 2 -S resource.gpus=0-1 sh syn.sh) \
    >"$TMP/syn" 2>&1
_report $? "the cases run on 2 brokers of 16 synthetic cores and 2 gpus each" "$TMP/syn"

own=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
for f in "$TMP"/*.mode; do
    name=$(basename "$f" .mode) mode=$(cat "$f")
    has "$TMP/syn" "^$name rc=0\$" "$name: the job runs"
    gm=$(cat "$TMP/$name.gmode")
    ok "$name: every task's cpus ($mode), gpus ($gm), local id, nnodes, size and id match its R" \
        env HWLOC_SYNTHETIC="$SYN" python3 "$CHECK" "$mode" "$TMP/$name.R" "$TMP/$name.out" user "$gm"
    ok "$name: synthetic cpus are shown, not applied (each task keeps $own)" \
        sh -c "! grep -v ' allowed=$own\$' '$TMP/$name.out'"
done
ok "per-task with 16 cores for 4 tasks: 8 cpus each (one range), none shared" \
    sh -c "[ \$(grep -Ec 'cpus=([0-9]+)-([0-9]+) ' '$TMP/pt-N1n4c4.out') -eq 4 ] && [ \$(sed 's/.*cpus=\([^ ]*\) .*/\1/' '$TMP/pt-N1n4c4.out' | sort -u | wc -l) -eq 4 ]"
has "$TMP/pt-N1n2c8g1.out" 'cuda=0,1 rocr=0,1 ' "-N 1 -n 2 -g 1: both tasks see the node's 2 gpus (CUDA_VISIBLE_DEVICES=0,1)"
has "$TMP/off-N2n4c2g1.out" 'cpus=unset cuda=0,1 ' "cpu-affinity=off: no EDDY_TASK_CPUS, gpus still set"
has "$TMP/on-N2n4c2.out" 'cuda=user rocr=user ' "a job without gpus keeps the user's CUDA_VISIBLE_DEVICES"
hasnt "$TMP/on-N2n2c3g1.out" 'cuda=user' "a job with gpus never sees the user's"
has "$TMP/syn" '^bogus-cli rc=1$' "--cpu-affinity=bogus is refused"
has "$TMP/bogus-cli.out" "--cpu-affinity: 'bogus' is not off, on or per-task" "  saying why"
has "$TMP/syn" '^bogus-attr rc=1$' "shell.options.cpu-affinity=bogus is refused at submit"
has "$TMP/bogus-attr.out" 'invalid job: attributes.system.shell.options.cpu-affinity: must be off, on or per-task' \
    "  by job-ingest, saying why"
has "$TMP/syn" '^bogus-num rc=1$' "a cpu-affinity that is not a string is refused"
ok "gpu-affinity per-task, -N 1 -n 2 -g 1: task 0 sees gpu 0, task 1 gpu 1" \
    sh -c "grep -q '^task 0 .* cuda=0 rocr=0 ' '$TMP/gpt-N1n2g1.out' && grep -q '^task 1 .* cuda=1 rocr=1 ' '$TMP/gpt-N1n2g1.out'"
has "$TMP/gpt-n1g2.out" 'cuda=0,1 rocr=0,1 ' "gpu-affinity per-task, one task with 2 gpus: it sees both"
has "$TMP/goff-N1n2g1.out" 'cuda=user rocr=user ' "gpu-affinity off: the user's CUDA_VISIBLE_DEVICES passes"
has "$TMP/syn" '^gbogus-cli rc=1$' "--gpu-affinity=bogus is refused"
has "$TMP/gbogus-cli.out" "--gpu-affinity: 'bogus' is not off, on or per-task" "  saying why"
has "$TMP/gbogus-attr.out" 'invalid job: attributes.system.shell.options.gpu-affinity: must be off, on or per-task' \
    "shell.options.gpu-affinity=bogus is refused by job-ingest"
fails "bind-check.py finds shared gpus where per-task wants one each" \
    env HWLOC_SYNTHETIC="$SYN" python3 "$CHECK" on "$TMP/gon-N1n2g1.R" "$TMP/gon-N1n2g1.out" user per-task
# the checker itself catches a wrong mask (so the checks above can fail)
sed 's/cpus=[^ ]*/cpus=0/' "$TMP/pt-N2n4c2.out" >"$TMP/wrong.out"
fails "bind-check.py finds a wrong mask" \
    env HWLOC_SYNTHETIC="$SYN" python3 "$CHECK" per-task "$TMP/pt-N2n4c2.R" "$TMP/wrong.out" user

# ---- this machine's own topology: the masks are applied ----
ncpu=$(hwloc-calc --number-of core all 2>/dev/null || echo 1)
cat >"$TMP/real.sh" <<'SH'
. ./cases.sh
run_case real-on1 on -n 1
run_case real-off off -n 1 --cpu-affinity=off
SH
if [ "$ncpu" -ge 2 ]; then
    echo 'run_case real-pt per-task -n 2 --cpu-affinity=per-task' >>"$TMP/real.sh"
fi
rm -f "$TMP"/*.mode "$TMP"/*.gmode
(cd "$TMP" && timeout 120 eddy start sh real.sh) >"$TMP/real" 2>&1
_report $? "the cases run on this machine's topology ($ncpu cores)" "$TMP/real"
for f in "$TMP"/*.mode; do
    name=$(basename "$f" .mode) mode=$(cat "$f")
    has "$TMP/real" "^$name rc=0\$" "$name: the job runs"
    ok "$name: every task's cpus ($mode) match its R and this machine's topology" \
        python3 "$CHECK" "$mode" "$TMP/$name.R" "$TMP/$name.out"
done
ok "real-on1: the task is bound to its core's cpus (Cpus_allowed_list = EDDY_TASK_CPUS)" \
    sh -c "grep -Eq 'cpus=([^ ]+) .* allowed=\1\$' '$TMP/real-on1.out'"
ok "real-off: the task is not bound (it has the cpus the broker has, $own)" \
    grep -q "cpus=unset .* allowed=$own\$" "$TMP/real-off.out"
if [ "$ncpu" -ge 2 ]; then
    ok "real-pt: each of 2 tasks is bound to its own core, as EDDY_TASK_CPUS says" \
        sh -c "[ \$(grep -Ec 'cpus=([^ ]+) .* allowed=\1\$' '$TMP/real-pt.out') -eq 2 ] && [ \$(sed 's/.*allowed=//' '$TMP/real-pt.out' | sort -u | wc -l) -eq 2 ]"
else
    echo "ok $((T_N + 1)) # skip one core: per-task binding needs two"
fi

# ---- an R with cores this node has not (a config's): unbound, said once ----
cat >"$TMP/big.sh" <<'SH'
. ./cases.sh
run_case big1 off -n 4 --cpu-affinity=per-task
run_case big2 off -n 4
eddy dmesg >dmesg.out
SH
(cd "$TMP" && timeout 120 eddy start -m resource='{"nodes":1,"cores_per_node":64}' sh big.sh) \
    >"$TMP/big" 2>&1
_report $? "an instance whose R gives its node 64 cores ($ncpu here)" "$TMP/big"
has "$TMP/big" '^big1 rc=0$' "a job on cores the node has not still runs"
ok "  unbound: no EDDY_TASK_CPUS, each task keeps $own" \
    sh -c "[ \$(grep -c 'cpus=unset .* allowed=$own\$' '$TMP/big1.out') -eq 4 ]"
has "$TMP/big" '^big2 rc=0$' "and so does the next"
ok "the broker says why, once" \
    sh -c "[ \$(grep -c 'its tasks run unbound' '$TMP/dmesg.out') -eq 1 ] && grep -Eq \"cores [0-9,-]+: ([0-9]+ cores, the node has $ncpu|core [0-9]+ is not in the node's topology \\($ncpu cores\\))\" '$TMP/dmesg.out'"
finish
