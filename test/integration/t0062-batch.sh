#!/usr/bin/env bash
# Nested instances in a 4-broker instance.  eddy batch -N 2 -n 2 -c 1 of a
# script that submits EDDY_T0062_NJOBS jobs (default 200; the issue's
# figure is 1000) to its own instance and waits for them: all complete,
# the parent lists one job, whose status is the script's; the child has 2
# brokers bootstrapped by PMI, parent-uri = the parent's EDDY_URI, and R
# exactly the job's allocation (1 core on each of 2 nodes, renumbered
# 0-1); the output goes to eddy-{{id}}.out.  eddy alloc runs a command in
# a child with its output shown and its status passed on; a batch job
# inside a batch job gets its own 2-broker grandchild.  Cancelling a
# batch job tears its child down (no broker, no task left).  Bad input:
# no script, an empty one, --batch outside a job.
. "$(dirname "$0")/lib.sh"

NJOBS=${EDDY_T0062_NJOBS:-200}
mkdir "$TMP/child"
cat >"$TMP/inner.sh" <<SH
#!/bin/sh
echo "parent-uri \$(eddy getattr parent-uri)"
echo "size \$(eddy getattr size)"
echo "boot \$(eddy getattr broker.boot-method)"
eddy resource list -v -n -o '{ranks} {cores}' >child-R.out
echo "script cpus \$(grep Cpus_allowed_list /proc/self/status | cut -f2)"
t0=\$(date +%s.%N)
eddy submit --cc=1-$NJOBS --wait --quiet true; echo "inner wait rc=\$?"
t1=\$(date +%s.%N)
eddy jobs -a -n -o '{st} {returncode}' >inner-jobs.out
echo "inner jobs \$(grep -c '^ *CD *0\$' inner-jobs.out) of \$(wc -l <inner-jobs.out)"
eddy run -N 2 -n 2 sh -c 'echo "inner cpus \$(grep Cpus_allowed_list /proc/self/status | cut -f2)"' >inner-cpus.out
eddy run -N 2 -n 3 true 2>unsat.err; echo "unsat rc=\$?"
echo "inner seconds \$(echo "\$t1 - \$t0" | bc)"
echo "to stderr" >&2
exit 3
SH
cat >"$TMP/lvl2.sh" <<'SH'
#!/bin/sh
echo "level2 size $(eddy getattr size) cores $(eddy resource list -n -s free -o '{ncores}')"
SH
cat >"$TMP/lvl1.sh" <<'SH'
#!/bin/sh
id=$(eddy batch -N 2 -n 2 -c 1 --output=l2.out lvl2.sh)
eddy job wait $id; echo "level2 rc=$?"
cat l2.out
SH
cat >"$TMP/sleeper.sh" <<'SH'
#!/bin/sh
echo started
exec sleep 317
SH
: >"$TMP/empty.sh"

cat >"$TMP/batch.sh" <<SH
export TMPDIR=$TMP/child
echo "parent uri \$EDDY_URI"
id=\$(eddy batch -N 2 -n 2 -c 1 inner.sh); echo "batch rc=\$? id=\$id"
eddy job wait \$id; echo "job wait rc=\$?"
echo "parent jobs \$(eddy jobs -a -n | wc -l)"
echo "parent name \$(eddy jobs -a -n -o '{name}')"
eddy job info \$id R >parent-R.out
echo "outfile \$(ls eddy-*.out)"

eddy alloc -N 2 sh -c 'echo "alloc size \$(eddy getattr size) cores \$(eddy resource list -n -o "{ncores}" -s free)"; exit 4'
echo "alloc rc=\$?"

id=\$(eddy batch -N 2 --output=l1.out lvl1.sh); eddy job wait \$id; echo "level1 rc=\$?"

id=\$(eddy batch -N 2 --output=sleep.out sleeper.sh)
for i in \$(seq 300); do grep -q started sleep.out 2>/dev/null && break; sleep 0.1; done
echo "brokers before cancel \$(pgrep -fc 'eddy-broker --rundir=$TMP/child')"
eddy job cancel \$id
for i in \$(seq 300); do
    pgrep -f 'eddy-broker --rundir=$TMP/child' >/dev/null || pgrep -f 'sleep 317' >/dev/null || break
    sleep 0.1
done
echo "brokers after cancel \$(pgrep -fc 'eddy-broker --rundir=$TMP/child')"
echo "tasks after cancel \$(pgrep -fc 'sleep 317')"
eddy job wait \$id; echo "cancelled wait rc=\$?"

s=\$(date +%s)
timeout 60 eddy run -N 2 -n 2 eddy start --batch >nobatch.out 2>&1
echo "nobatch rc=\$? \$((\$(date +%s) - s)) s"
eddy batch -N 1 nosuch.sh; echo "nosuch rc=\$?"
eddy batch -N 1 empty.sh; echo "empty rc=\$?"
eddy batch -N 2 -n 1 inner.sh; echo "fewer rc=\$?"
# --job-name (any job, as Flux's), and names it refuses
n=\$(eddy submit --job-name=my-analysis true); eddy job wait \$n
echo "named \$(eddy jobs -a -n -o '{id.f58} {name}' | grep "^\$n " | cut -d' ' -f2)"
eddy submit --job-name= true; echo "emptyname rc=\$?"
eddy submit --job-name="\$(printf 'a\tb')" true; echo "ctlname rc=\$?"
SH
(cd "$TMP" && timeout 600 eddy start --size 4 sh batch.sh) >"$TMP/batch" 2>&1
_report $? "the nesting script runs in a 4-broker instance" "$TMP/batch"
has "$TMP/batch" '^batch rc=0 id=ƒ' "eddy batch prints the job id"
has "$TMP/batch" '^job wait rc=3$' "the batch job's status is the script's (3)"
has "$TMP/batch" '^parent jobs 1$' "the parent lists exactly one job for it"
has "$TMP/batch" '^parent name inner.sh$' "named after its script"
has "$TMP/batch" '^named my-analysis$' "eddy submit --job-name names a job in eddy jobs"
has "$TMP/batch" '^emptyname rc=1$' "an empty --job-name is refused"
has "$TMP/batch" '^ctlname rc=1$' "a --job-name with a control character is refused"
out=$(ls "$TMP"/eddy-ƒ*.out 2>/dev/null | head -1)
ok "the output goes to eddy-{{id}}.out by default" test -n "$out"
[ -n "$out" ] || out=$TMP/none
has "$out" "^parent-uri $(grep '^parent uri' "$TMP/batch" | cut -d' ' -f3)\$" "parent-uri in the child is the parent's EDDY_URI"
has "$out" '^size 2$' "the child has 2 brokers (one per node)"
has "$out" '^boot pmi$' "bootstrapped by PMI"
has "$out" '^inner wait rc=0$' "the script's $NJOBS jobs all end with status 0"
has "$out" "^inner jobs $NJOBS of $NJOBS\$" "the child lists all $NJOBS, complete with status 0"
has "$out" '^to stderr$' "the script's stderr goes there too (no --error)"
ok "the child's R is exactly the job's allocation, renumbered" python3 -c "
import json, sys
R = json.load(open('$TMP/parent-R.out'))
ranks = []
for e in R['execution']['R_lite']:
    lo_hi = []
    for part in e['rank'].split(','):
        a, _, b = part.partition('-'); lo_hi += range(int(a), int(b or a) + 1)
    ranks += [(r, e['children']['core']) for r in lo_hi]
ranks.sort()
want = sorted('%d %s' % (i, c) for i, (r, c) in enumerate(ranks))
got = sorted(l.strip() for l in open('$TMP/child-R.out') if l.strip())
print('parent', ranks, 'child', got)
sys.exit(0 if want == got and len(got) == 2 else 1)"
script_cpus=$(sed -n 's/^script cpus //p' "$out")
ok "the child's tasks ran only on the job's cores: each one's affinity is the script's ($script_cpus)" \
    sh -c "[ \"\$(grep -c '^inner cpus ' '$TMP/inner-cpus.out')\" -eq 2 ] && [ -z \"\$(grep -v '^inner cpus $script_cpus\$' '$TMP/inner-cpus.out')\" ]"
if [ "$(nproc)" -gt 1 ]; then
    ok "which is not the whole machine (the parent bound the allocation, 1 core)" \
        test "$script_cpus" != "$(grep Cpus_allowed_list /proc/self/status | cut -f2)"
fi
has "$out" '^unsat rc=[1-9]' "a job of 3 cores in the child (2 allocated) is refused"
has "$TMP/unsat.err" 'unsatisfiable.*the instance has 2 cores' "as unsatisfiable: the child has only the job's 2 cores"
ok "one core per node, as asked (-n 2 -c 1)" sh -c "[ \"\$(awk '{print \$2}' '$TMP/child-R.out' | sort -u)\" = 0 ]"
sed -n 's/^.*inner seconds /inner seconds /p' "$out"

has "$TMP/batch" '^alloc size 2 cores [0-9]+$' "eddy alloc -N 2: the command runs in a 2-broker child, its output shown"
has "$TMP/batch" '^alloc rc=4$' "eddy alloc exits with the command's status"

has "$TMP/batch" '^level1 rc=0$' "a batch job inside a batch job: the outer one succeeds"
has "$TMP/l1.out" '^level2 rc=0$' "so does the inner one"
has "$TMP/l1.out" '^level2 size 2 cores 2$' "which has 2 brokers and the 2 cores it asked for"
has "$TMP/batch" '^brokers before cancel 2$' "a running batch job has its 2 brokers"
has "$TMP/batch" '^brokers after cancel 0$' "cancelling it stops them"
has "$TMP/batch" '^tasks after cancel 0$' "and the script's processes"
has "$TMP/batch" '^cancelled wait rc=[1-9]' "the cancelled job fails"

has "$TMP/batch" '^nobatch rc=[1-9][0-9]* ([0-9]|1[0-9]) s$' "a nested eddy start that cannot go on fails its job within 20 s"
has "$TMP/nobatch.out" 'PMI_Abort \(exit code 1\): eddy start: --batch: job .* has no batch script' "through PMI abort, saying why"
has "$TMP/batch" '^nosuch rc=1$' "eddy batch of a missing script fails"
has "$TMP/batch" 'eddy-batch: nosuch.sh: No such file or directory' "saying so"
has "$TMP/batch" '^empty rc=1$' "an empty script is refused"
has "$TMP/batch" '^fewer rc=1$' "fewer slots than nodes is refused"
has "$TMP/batch" 'fewer than --nodes 2' "saying so"

fails "eddy start --batch outside a job" env -u PMI_FD eddy start --batch
finish
