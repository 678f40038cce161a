#!/usr/bin/env bash
# Brokers that bootstrap by PMI-1: a job of 4 eddy-broker tasks in a
# 4-broker instance gets rank, size and the tree from the job shells' PMI
# and forms one 4-broker child instance (overlay, resources, a job across
# it, shutdown); EDDY_PMI_DEBUG traces the calls; a PMI_FD that is closed,
# a server that sends garbage, closes, or refuses, and a bad PMI_RANK, each
# end the broker at once with a message and a nonzero exit.
. "$(dirname "$0")/lib.sh"

mkdir "$TMP/child"
cat >"$TMP/boot.sh" <<SH
export TMPDIR=$TMP/child
parent=\$EDDY_URI
id=\$(eddy submit -N 4 -n 4 --output=boot.out --env=EDDY_PMI_DEBUG=1 eddy-broker)
for i in \$(seq 300); do
    s=\$(ls -d $TMP/child/eddy-broker-0-*/local-0 2>/dev/null) && [ -n "\$s" ] && break
    sleep 0.1
done
echo "sock \$s"
export EDDY_URI=local://\$s
# the socket comes before the tree is whole: wait for every rank
for i in \$(seq 300); do
    timeout 30 eddy overlay status >overlay.out 2>&1; rc=\$?
    [ "\$(grep -c ': full' overlay.out)" -eq 4 ] && break
    sleep 0.1
done
echo "overlay rc=\$rc"
eddy getattr size; eddy getattr broker.boot-method
timeout 30 eddy resource list >resource.out 2>&1
timeout 60 eddy run -N 4 -n 4 sh -c 'echo "task \$EDDY_TASK_RANK of \$EDDY_JOB_SIZE"' >run.out 2>&1
echo "child run rc=\$?"
eddy shutdown; echo "shutdown rc=\$?"
export EDDY_URI=\$parent
for i in \$(seq 300); do
    eddy jobs -a -o '{state}' 2>/dev/null | grep -q INACTIVE && break
    sleep 0.1
done
eddy job info \$id eventlog | grep '"finish"'
pgrep -f "$TMP/child/eddy-broker" >/dev/null && echo "stray brokers" || echo "no brokers left"
# a broker that cannot go on aborts the job: the others do not wait
s=\$(date +%s)
timeout 60 eddy run -N 2 -n 2 eddy-broker --cert=/nonexistent >badcert.out 2>&1
echo "badcert rc=\$? \$((\$(date +%s) - s)) s"
SH
(cd "$TMP" && timeout 300 eddy start --size 4 sh boot.sh) >"$TMP/boot" 2>&1
_report $? "the bootstrap script runs in a 4-broker instance" "$TMP/boot"
has "$TMP/boot" '^overlay rc=0$' "eddy overlay status answers in the child"
ok "the child's overlay has 4 ranks, 1-3 under 0, all full" \
    sh -c "[ \"\$(grep -Ec '[0-3] [^ ]+: full' '$TMP/overlay.out')\" -eq 4 ]"
has "$TMP/boot" '^4$' "the child's size attribute is 4 (from PMI_SIZE)"
has "$TMP/boot" '^pmi$' "broker.boot-method is pmi"
has "$TMP/resource.out" '^ +free +4 ' "eddy resource list in the child: 4 nodes"
has "$TMP/boot" '^child run rc=0$' "a 4-task job runs across the child's brokers"
ok "every task of the child's job ran, one per rank" \
    sh -c "[ \"\$(sort -u '$TMP/run.out' | grep -c '^task [0-3] of 4$')\" -eq 4 ]"
has "$TMP/boot" '^shutdown rc=0$' "the child shuts down"
has "$TMP/boot" '"finish".*"status":0' "and the parent's job of brokers finishes with status 0"
has "$TMP/boot" '^no brokers left$' "no child broker is left running"
has "$TMP/boot.out" 'eddy-pmi\[0\]: -> cmd=init pmi_version=1' "EDDY_PMI_DEBUG traces init"
has "$TMP/boot.out" 'eddy-pmi\[3\]: <- cmd=barrier_out' "and the barrier, on every rank"
has "$TMP/boot.out" 'eddy-pmi\[2\]: -> cmd=get kvsname=[^ ]+ key=eddy.tbon.0' "rank 2 asks for its parent's endpoint"
hasnt "$TMP/boot.out" 'eddy-pmi\[0\]: -> cmd=get kvsname=[^ ]+ key=eddy.tbon' "rank 0 asks for none"
has "$TMP/boot" '^badcert rc=(1|137) ([0-9]|1[0-9]) s$' "a broker that fails after PMI init fails the job within 20 s (no barrier timeout)"
has "$TMP/badcert.out" 'PMI_Abort \(exit code 1\): eddy-broker rank [01]: /nonexistent' "through PMI abort, with the broker's reason"

# Bad PMI, outside any instance: a fake server on a socketpair.
cat >"$TMP/fake.py" <<'PY'
import os, socket, subprocess, sys
how = sys.argv[1]
a, b = socket.socketpair()
env = dict(os.environ, PMI_FD=str(b.fileno()), PMI_RANK="0", PMI_SIZE="2")
p = subprocess.Popen(["eddy-broker"], env=env, pass_fds=[b.fileno()])
b.close()
f = a.makefile("rwb", buffering=0)
line = f.readline()
if how == "garbage":
    a.sendall(b"\x01\x02 this is not PMI\n")
elif how == "close":
    f.close()
    a.close()
elif how == "silent":
    pass
elif how == "refuse":
    a.sendall(b"cmd=response_to_init rc=-1 pmi_version=1 pmi_subversion=1\n")
try:
    sys.exit(p.wait(timeout=30))
except subprocess.TimeoutExpired:
    p.kill()
    print("hung")
    sys.exit(99)
PY
for how in garbage close refuse silent; do
    EDDY_PMI_TIMEOUT=1 timeout 60 python3 "$TMP/fake.py" $how >"$TMP/bad-$how" 2>&1
    echo "rc=$?" >>"$TMP/bad-$how"
done
has "$TMP/bad-garbage" '^rc=1$' "a server that sends garbage: exit 1, no hang"
has "$TMP/bad-garbage" 'cannot bootstrap by PMI: PMI init \(PMI_FD [0-9]+, rank 0 of 2\): the PMI server sent a malformed line' "said so"
has "$TMP/bad-close" '^rc=1$' "a server that closes: exit 1"
has "$TMP/bad-close" 'the PMI server closed the connection' "said so"
has "$TMP/bad-refuse" '^rc=1$' "a server that refuses init: exit 1"
has "$TMP/bad-refuse" 'response_to_init: rc=-1' "said so"
has "$TMP/bad-silent" '^rc=1$' "a server that never answers: exit 1 after EDDY_PMI_TIMEOUT (1 s)"
has "$TMP/bad-silent" 'no reply from the PMI server in 1 s' "said so"

timeout 30 env PMI_FD=77 PMI_RANK=0 PMI_SIZE=2 eddy-broker >"$TMP/bad-fd" 2>&1
echo "rc=$?" >>"$TMP/bad-fd"
has "$TMP/bad-fd" '^rc=1$' "PMI_FD naming a closed descriptor: exit 1"
has "$TMP/bad-fd" 'PMI_FD 77 is not an open descriptor' "said so"
timeout 30 env PMI_FD=0 PMI_RANK=2 PMI_SIZE=2 eddy-broker </dev/null >"$TMP/bad-rank" 2>&1
echo "rc=$?" >>"$TMP/bad-rank"
has "$TMP/bad-rank" '^rc=1$' "PMI_RANK >= PMI_SIZE: exit 1"
has "$TMP/bad-rank" 'PMI_RANK 2 is not a rank of PMI_SIZE 2' "said so"
timeout 30 env PMI_FD=0 PMI_RANK=0 PMI_SIZE=2 eddy-broker </dev/null >"$TMP/bad-null" 2>&1
echo "rc=$?" >>"$TMP/bad-null"
has "$TMP/bad-null" '^rc=1$' "PMI_FD on /dev/null (read-only): exit 1, no hang"
finish
