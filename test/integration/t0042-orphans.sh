#!/usr/bin/env bash
# No orphans: every process of a job dies with the broker that runs it,
# even one that moved to a session of its own, one that ignores SIGTERM
# and SIGHUP, and one whose parent exited; and when a job's last task
# exits, what it left running in the background is killed.
. "$(dirname "$0")/lib.sh"

# The job: its task forks the three kinds of escapee, then sleeps.
cat >"$TMP/task.sh" <<'SH'
d=$1
echo $$ > "$d/task.pid"
setsid sh -c 'echo $$ > "$1/setsid.pid"; exec sleep 300' sh "$d" &
sh -c 'trap "" TERM HUP; echo $$ > "$1/ignore.pid"; sleep 300' sh "$d" &
( setsid sh -c 'echo $$ > "$1/daemon.pid"; exec sleep 300' sh "$d" & ) &
sleep 300
SH

# wait_files DIR NAME...: until each DIR/NAME holds a pid
cat >"$TMP/wait.sh" <<'SH'
wait_files () {
    d=$1; shift
    for i in $(seq 1 200); do
        n=0
        for f in "$@"; do [ -s "$d/$f" ] && n=$((n + 1)); done
        [ $n -eq $# ] && return 0
        sleep 0.05
    done
    return 1
}
SH

mkdir "$TMP/a"
cat >"$TMP/crash.sh" <<SH
. "$TMP/wait.sh"
id=\$(eddy submit sh "$TMP/task.sh" "$TMP/a") || exit 1
wait_files "$TMP/a" task.pid setsid.pid ignore.pid daemon.pid && echo "all started"
kill -9 \$(eddy getattr broker.pid) && echo "broker killed"
SH
(cd "$TMP" && timeout 60 eddy start sh crash.sh) >"$TMP/crash" 2>&1
has "$TMP/crash" '^all started$' "the job's task and its three escapees start"
has "$TMP/crash" '^broker killed$' "the broker running them is killed with SIGKILL"
pids=$(cat "$TMP"/a/*.pid 2>/dev/null)
for f in task setsid ignore daemon; do
    p=$(cat "$TMP/a/$f.pid" 2>/dev/null)
    [ -n "$p" ] && gone_within 5 "$p" 2>"$TMP/gone"
    _report $? "the $f process dies with the broker" "$TMP/gone"
done

# a job whose task backgrounds a child (its output elsewhere) and exits
mkdir "$TMP/b"
cat >"$TMP/bg.sh" <<SH
id=\$(eddy submit sh -c 'sleep 300 >/dev/null 2>&1 & echo \$! > "$TMP/b/bg.pid"; exit 4') || exit 1
timeout 20 eddy job wait \$id; echo "wait rc=\$?"
eddy jobs -a -n -o '{id.f58} {returncode}' | grep "^\$id "
SH
(cd "$TMP" && timeout 60 eddy start sh bg.sh) >"$TMP/bg" 2>&1
_report $? "an instance runs a job that leaves a child behind" "$TMP/bg"
has "$TMP/bg" ' 4$' "the job ends with its task's exit code"
bg=$(cat "$TMP/b/bg.pid" 2>/dev/null)
[ -n "$bg" ] && gone_within 2 "$bg" 2>"$TMP/gone"
_report $? "the backgrounded child is killed at the job's end" "$TMP/gone"

# whatever failed above, leave nothing running
for p in $pids $bg; do pkill -9 -P "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done

# A broker writes to pipes whose reader may be gone (a guard's lifeline):
# it ignores SIGPIPE rather than die of it, and its jobs' tasks get the
# default back (a task ignoring SIGPIPE would loop writing to a closed pipe).
(cd "$TMP" && timeout 60 eddy start sh -c '
    echo "broker $(grep ^SigIgn: /proc/$(eddy getattr broker.pid)/status | cut -f2)"
    eddy run sh -c "echo task \$(grep ^SigIgn: /proc/\$\$/status | cut -f2)"') >"$TMP/sigign" 2>&1
pipe_ignored () { # WHO: whether WHO's SigIgn mask (in $TMP/sigign) has SIGPIPE (13)
    local m
    m=$(awk -v w="$1" '$1 == w { print $2 }' "$TMP/sigign")
    [ -n "$m" ] && [ $((0x$m & 0x1000)) -ne 0 ]
}
pipe_ignored broker; _report $? "the broker ignores SIGPIPE" "$TMP/sigign"
grep -q '^task ' "$TMP/sigign" && ! pipe_ignored task; _report $? "and a job's task does not" "$TMP/sigign"
finish
