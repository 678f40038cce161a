#!/usr/bin/env bash
# No orphans, when the guard cannot help: a job's task escapes (setsid and
# a double fork), then the broker and the job's guard are both killed with
# SIGKILL at once (both stopped first), so nothing is left to kill the
# job's processes.  A broker
# started again on the same statedir finds its predecessor's job record
# and kills them: the task through its pid and start time, the escapee
# through the job's cgroup (where cgroup v2 is writable).  With cgroups,
# a guard killed alone leaves nothing either, a canceled job's escapee is
# gone, and a broker killed alone, or shut down under a running job,
# leaves no cgroup (the guard removes it).  Without (the exec module's cgroup: false), the process
# group and the recorded pids are what is killed.
. "$(dirname "$0")/lib.sh"

# Can this test make a cgroup v2 child of its own cgroup (the brokers'
# cgroup: they are its descendants)?  Then the brokers can too.
cgroup_writable () {
    local mnt path probe
    mnt=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
    path=$(sed -n 's/^0:://p' /proc/self/cgroup)
    [ -n "$mnt" ] && [ -n "$path" ] || { echo "no cgroup2 hierarchy"; return 1; }
    [ "$path" = / ] && path=
    probe="$mnt$path/eddy-t0048-$$"
    mkdir "$probe" 2>/dev/null || { echo "cannot make a cgroup in $mnt$path"; return 1; }
    rmdir "$probe"
    CGROUP_BASE="$mnt$path"
}
CGROUP_BASE=
if why=$(cgroup_writable); then cgroup_writable; else
    echo "# skipped: no writable cgroup2 ($why): the cgroup checks do not run"
    echo "skipped: no writable cgroup2 ($why)" >&2
fi

# The job's task: its pid, then an escapee in a session of its own whose
# parent exits at once (so it is reparented), then sleep.
cat >"$TMP/task.sh" <<'SH'
d=$1
echo $$ > "$d/task.pid"
( setsid sh -c 'echo $$ > "$1/esc.pid"; exec sleep 300' sh "$d" & ) &
exec sleep 300
SH

cat >"$TMP/wait.sh" <<'SH'
wait_files () { # DIR NAME...: until each DIR/NAME holds a pid
    d=$1; shift
    for i in $(seq 1 200); do
        n=0
        for f in "$@"; do [ -s "$d/$f" ] && n=$((n + 1)); done
        [ $n -eq $# ] && return 0
        sleep 0.05
    done
    return 1
}
ppid_of () { awk '{ print $4 }' "/proc/$1/stat"; }
SH

# crash DIR [MODULE-ARG]: an instance on $TMP/state runs the job, then its
# broker and the job's guard are killed together; DIR gets the pids
crash () {
    local d=$1; shift
    mkdir -p "$d"
    cat >"$d/crash.sh" <<SH
. "$TMP/wait.sh"
eddy submit sh "$TMP/task.sh" "$d" >/dev/null || exit 1
wait_files "$d" task.pid esc.pid && echo "started"
echo "broker \$(eddy getattr broker.pid)"
guard=\$(ppid_of \$(cat "$d/task.pid"))
echo "guard \$guard"
grep -q eddy-shell /proc/\$guard/cmdline && echo "the task's parent is its guard"
sed 's/^/cgroup /' /proc/\$(cat "$d/esc.pid")/cgroup
# stopped first, so that neither sees the other die (the broker would
# kill the job on its guard's death, the guard on the broker's)
bpid=\$(eddy getattr broker.pid)
kill -STOP \$guard \$bpid && kill -9 \$guard \$bpid && echo "killed"
SH
    (cd "$TMP" && timeout 60 eddy start --statedir="$TMP/state" "$@" sh "$d/crash.sh") >"$d/out" 2>&1
}

# sh code: "record NAME" for each record in directory $1 that names a
# job (an emptied record file is kept for reuse: empty, or a NUL first)
RECORDS_SH='records () {
    for f in "$1"/*; do
        [ -f "$f" ] && [ -s "$f" ] && [ "$(head -c 1 "$f" | od -An -tx1 | tr -d " ")" != 00 ] \
            && echo "record ${f##*/}"
    done
}'

# restart DIR [MODULE-ARG]: the instance started again on $TMP/state; its
# log, and what records are left once the sweep is done (a record is
# emptied, its file kept for reuse, when its cgroup is removed: up to a
# few seconds while processes die)
restart () {
    local d=$1; shift
    (cd "$TMP" && timeout 60 eddy start --statedir="$TMP/state" "$@" sh -c "$RECORDS_SH"'
        for i in $(seq 1 50); do [ -z "$(records "$1")" ] && break; sleep 0.1; done
        eddy dmesg; records "$1"' sh "$TMP/state/exec-0") >"$d/restart" 2>&1
}

leftovers=
cleanup () { for p in $leftovers; do kill -9 "$p" 2>/dev/null; done; }
trap 'cleanup; rm -rf "$TMP"' EXIT

# --- 1. the broker and the guard killed together, restarted
d="$TMP/one"
crash "$d"
has "$d/out" '^started$' "a job's task and its escapee (setsid, double fork) start"
has "$d/out" "^the task's parent is its guard$" "the task is its guard's child"
has "$d/out" '^killed$' "the broker and the guard are killed with SIGKILL"
task=$(cat "$d/task.pid" 2>/dev/null) esc=$(cat "$d/esc.pid" 2>/dev/null)
leftovers="$leftovers $task $esc"
broker=$(awk '$1 == "broker" { print $2 }' "$d/out")
sleep 0.5
alive "$task" && alive "$esc"
_report $? "both outlive the broker and the guard (what only a restart can clean)" "$d/out"
if [ -n "$CGROUP_BASE" ]; then
    has "$d/out" "^cgroup 0::.*/eddy-$broker-[0-9]+\$" "the escapee is in the job's cgroup"
fi
restart "$d"
[ -n "$task" ] && gone_within 5 "$task" 2>"$d/gone"
_report $? "the broker started again kills the task" "$d/gone"
has "$d/restart" 'exec.notice\[0\]: job [0-9]+: killed [0-9]+ processes a previous broker left running' \
    "and logs what it killed"
hasnt "$d/restart" '^record ' "the job's record is gone (emptied)"
if [ -n "$CGROUP_BASE" ]; then
    [ -n "$esc" ] && gone_within 5 "$esc" 2>"$d/gone"
    _report $? "the escapee is killed too, through the job's cgroup" "$d/gone"
    ls "$CGROUP_BASE" | grep "^eddy-$broker-" >"$d/cgroups"
    [ ! -s "$d/cgroups" ]; _report $? "and the old broker's job cgroup is removed" "$d/cgroups"
fi
cleanup

# --- 2. without cgroups: the process group and the recorded pids
d="$TMP/two"
crash "$d" -m 'exec={"cgroup":false}'
has "$d/out" '^killed$' "cgroups off: the broker and the guard are killed"
task=$(cat "$d/task.pid" 2>/dev/null) esc=$(cat "$d/esc.pid" 2>/dev/null)
leftovers="$leftovers $task $esc"
hasnt "$d/out" '^cgroup 0::.*/eddy-' "the job has no cgroup"
restart "$d" -m 'exec={"cgroup":false}'
has "$d/restart" 'exec.info\[0\]: cgroups off' "the broker says it uses none"
[ -n "$task" ] && gone_within 5 "$task" 2>"$d/gone"
_report $? "started again, it kills the recorded task" "$d/gone"
hasnt "$d/restart" '^record ' "the job's record is gone (emptied)"
cleanup # the escapee: no process group or record names it

# --- 3. with cgroups: the guard killed alone, and a cancel
if [ -n "$CGROUP_BASE" ]; then
    d="$TMP/three"
    mkdir -p "$d/a" "$d/b"
    cat >"$d/in.sh" <<SH
. "$TMP/wait.sh"
id=\$(eddy submit sh "$TMP/task.sh" "$d/a") || exit 1
wait_files "$d/a" task.pid esc.pid && echo "started"
kill -9 \$(ppid_of \$(cat "$d/a/task.pid")) && echo "guard killed"
timeout 10 eddy job wait \$id; echo "wait rc=\$?"
id=\$(eddy submit sh "$TMP/task.sh" "$d/b") || exit 1
wait_files "$d/b" task.pid esc.pid && echo "started"
eddy job cancel \$id && echo "canceled"
timeout 10 eddy job wait \$id; echo "wait rc=\$?"
echo "broker \$(eddy getattr broker.pid)"
eddy dmesg
SH
    (cd "$TMP" && timeout 60 eddy start sh "$d/in.sh") >"$d/out" 2>&1
    for x in a b; do leftovers="$leftovers $(cat "$d/$x/task.pid" "$d/$x/esc.pid" 2>/dev/null)"; done
    has "$d/out" '^guard killed$' "a job's guard is killed with SIGKILL, its broker lives"
    has "$d/out" '^wait rc=[1-9]' "the job ends"
    gone_within 2 $(cat "$d/a/task.pid" "$d/a/esc.pid" 2>/dev/null) 2>"$d/gone"
    _report $? "its task and its escapee are killed (the job's cgroup)" "$d/gone"
    has "$d/out" 'exec.notice\[0\]: job [0-9]+: killed [0-9]+ processes its guard left' \
        "the broker logs what it killed"
    has "$d/out" '^canceled$' "a second such job is canceled"
    gone_within 2 $(cat "$d/b/task.pid" "$d/b/esc.pid" 2>/dev/null) 2>"$d/gone"
    _report $? "its task and its escapee are gone" "$d/gone"
    broker=$(awk '$1 == "broker" { print $2 }' "$d/out")
    ls "$CGROUP_BASE" | grep "^eddy-$broker-" >"$d/cgroups"
    [ -n "$broker" ] && [ ! -s "$d/cgroups" ]
    _report $? "no job cgroup of the broker is left" "$d/cgroups"
    cleanup

    # --- 4. the broker killed alone: its guard ends the job and removes
    # the job's cgroup (no broker is left to do it)
    d="$TMP/four"
    mkdir -p "$d"
    cat >"$d/in.sh" <<SH
. "$TMP/wait.sh"
eddy submit sh "$TMP/task.sh" "$d" >/dev/null || exit 1
wait_files "$d" task.pid esc.pid && echo "started"
echo "broker \$(eddy getattr broker.pid)"
kill -9 \$(eddy getattr broker.pid) && echo "killed"
SH
    (cd "$TMP" && timeout 60 eddy start sh "$d/in.sh") >"$d/out" 2>&1
    leftovers="$leftovers $(cat "$d/task.pid" "$d/esc.pid" 2>/dev/null)"
    has "$d/out" '^killed$' "a broker running a job is killed with SIGKILL"
    gone_within 5 $(cat "$d/task.pid" "$d/esc.pid" 2>/dev/null) 2>"$d/gone"
    _report $? "its guard kills the task and the escapee" "$d/gone"
    broker=$(awk '$1 == "broker" { print $2 }' "$d/out")
    no_cgroup () { ! ls "$CGROUP_BASE" | grep -q "^eddy-$broker-"; }
    [ -n "$broker" ] && within 5 no_cgroup
    _report $? "and removes the job's cgroup" "$d/out"
    cleanup

    # --- 6. an instance that exits under a running job leaves no cgroup
    d="$TMP/six"
    mkdir -p "$d"
    (cd "$TMP" && timeout 60 eddy start sh -c '
        eddy submit sleep 300 >/dev/null && echo "submitted"
        for i in $(seq 1 100); do [ "$(eddy jobs -n -o "{st}")" = R ] && break; sleep 0.05; done
        echo "broker $(eddy getattr broker.pid)"') >"$d/out" 2>&1
    has "$d/out" '^submitted$' "an instance ends while a job runs"
    broker=$(awk '$1 == "broker" { print $2 }' "$d/out")
    [ -n "$broker" ] && within 5 no_cgroup
    _report $? "the job's cgroup is removed" "$d/out"
fi

# --- 5. a follower of a system instance (nodes.sh: its own /var/lib/eddy)
# killed with its guard under a two-node job, and started again
if [ "$(id -u)" -ne 0 ] || ! unshare --uts --mount --fork true 2>/dev/null; then
    echo "# skipped: the two-node part needs root and unshare"
else
    . "$(dirname "$0")/nodes.sh"
    nodes_init 2 orph 48 # its EXIT trap stops the nodes: the leftovers are ours
    trap 'cleanup; nodes_stop; rm -rf "$TMP"' EXIT
    nodes_bootstrap "" 8048
    d="$TMP/five"
    mkdir -p "$d"
    cat >"$d/task.sh" <<SH
h=\$(hostname)
echo \$\$ > "$d/task.\$h"
( setsid sh -c 'echo \$\$ > "\$1"; exec sleep 300' sh "$d/esc.\$h" & ) &
exec sleep 300
SH
    nodes_start && nodes_wait_full 30
    _report $? "a two-node system instance runs" "$NODES_DIR/0/err"
    on_node 0 eddy submit -N 2 -n 2 sh "$d/task.sh" >"$d/id" 2>&1
    both () { [ -s "$d/task.orph1" ] && [ -s "$d/esc.orph1" ] && [ -s "$d/task.orph0" ]; }
    within 20 both; _report $? "a job runs a task on each node, node1's with an escapee" "$d/id"
    task=$(cat "$d/task.orph1" 2>/dev/null) esc=$(cat "$d/esc.orph1" 2>/dev/null)
    leftovers="$leftovers $task $esc"
    guard=$(awk '{ print $4 }' "/proc/$task/stat" 2>/dev/null)
    bpid=$(cat "$NODES_DIR/1/pid")
    on_node 1 sh -c "$RECORDS_SH"'; records "$1"' sh /var/lib/eddy/exec-1 >"$d/records" 2>&1
    has "$d/records" '^record slot-[0-9]+$' "node1 keeps the job's record in its statedir"
    kill -STOP "$guard" "$bpid" && kill -9 "$guard" "$bpid" # as in part 1
    wait "$(cat "$NODES_DIR/1/unshare.pid")" 2>/dev/null
    rm -f "$NODES_DIR/1/pid"
    sleep 0.5
    ps -o pid,ppid,pgid,sid,stat,cmd -p "$task,$esc,$guard,$bpid" >"$d/ps" 2>&1
    alive "$task" && alive "$esc"
    _report $? "node1's broker and guard killed with SIGKILL: its task and escapee outlive them" "$d/ps"

    node_start 1 && nodes_wait_full 30
    _report $? "node1 started again rejoins" "$NODES_DIR/1/err"
    gone_within 5 "$task" 2>"$d/gone"
    _report $? "and kills its predecessor's task" "$d/gone"
    if [ -n "$CGROUP_BASE" ]; then
        gone_within 5 "$esc" 2>"$d/gone"
        _report $? "and the escapee, through the job's cgroup" "$d/gone"
    fi
    on_node 1 eddy dmesg >"$d/dmesg" 2>&1
    has "$d/dmesg" 'exec.notice\[1\]: job [0-9]+: killed [0-9]+ processes a previous broker left running' \
        "node1 logs what it killed"
    empty () { [ -z "$(on_node 1 sh -c "$RECORDS_SH"'; records "$1"' sh /var/lib/eddy/exec-1)" ]; }
    within 5 empty; _report $? "and the record is gone" "$d/dmesg"
    cleanup
fi

finish
