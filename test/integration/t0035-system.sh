#!/usr/bin/env bash
# The system instance without systemd: eddy-broker --system runs with no
# command until stopped, serves clients that have no EDDY_URI at its
# well-known socket, keeps its state in [broker] statedir, logs its state
# changes at info on stderr, tells $NOTIFY_SOCKET (READY=1, RELOADING=1,
# STOPPING=1), and `eddy shutdown` stops it in order with its queue kept
# for the next start.  The system paths are moved under $TMP
# (EDDY_SYSTEM_RUNDIR, [broker] statedir), so no /run or /var/lib is used.
. "$(dirname "$0")/lib.sh"

export EDDY_SYSTEM_RUNDIR="$TMP/run"
conf="$TMP/conf.d"
mkdir "$conf"
cat >"$conf/10-broker.toml" <<EOF2
[broker]
statedir = "$TMP/state"
EOF2

# A datagram socket like systemd's, printing each message as one line
# (newlines inside a message become '|').
cat >"$TMP/listen.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
while True:
    print(s.recv(4096).decode().replace("\n", "|"), flush=True)
PY
listen () { # SOCKET OUT: listen in the background (pid in $lpid)
    python3 "$TMP/listen.py" "$1" >>"$2" &
    lpid=$!
    for i in $(seq 1 100); do [ -e "$1.ready" ] && return 0; sleep 0.05; done
    return 1
}
# wait_file FILE PATTERN: until FILE has a line matching PATTERN (10 s)
wait_file () {
    for i in $(seq 1 200); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    return 1
}
# wait_last FILE PATTERN: until the last line of FILE matches PATTERN (10 s)
wait_last () {
    for i in $(seq 1 200); do tail -1 "$1" | grep -Eq -- "$2" && return 0; sleep 0.05; done
    return 1
}
# boot NAME: start a system broker, its stderr in $TMP/NAME.err, pid in
# $bpid; wait for a READY=1 that this broker sent
boot () {
    local n
    n=$(wc -l <"$TMP/notify.out")
    NOTIFY_SOCKET="$TMP/notify" eddy-broker --system --config-path="$conf" 2>"$TMP/$1.err" &
    bpid=$!
    for i in $(seq 1 200); do
        tail -n +$((n + 1)) "$TMP/notify.out" | grep -q '^READY=1' && return 0
        sleep 0.05
    done
    return 1
}
stop_listener () { kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null; }
trap 'kill "$bpid" "$lpid" 2>/dev/null; rm -rf "$TMP"' EXIT

# ---- without an instance: clients say where they looked ----
fails "a client with no EDDY_URI and no system instance fails" eddy ping --count 1 broker
has "$TMP/out" "system instance is not reachable \(local://$TMP/run/local" \
    "and names the system socket it tried"

# ---- first start ----
: >"$TMP/notify.out"
listen "$TMP/notify" "$TMP/notify.out"
boot first
_report $? "eddy-broker --system reaches run and sends READY=1" "$TMP/first.err"
ok "eddy ping without EDDY_URI reaches it at RUNDIR/local" eddy ping --count 1 broker
ok "the local-uri attribute is the well-known socket" \
    sh -c "[ \"\$(eddy getattr local-uri)\" = 'local://$TMP/run/local' ]"
ok "the statedir attribute comes from [broker] statedir" \
    sh -c "[ \"\$(eddy getattr statedir)\" = '$TMP/state' ]"
has "$TMP/first.err" 'broker\.info: system instance: rank 0 of 1' "the start is logged at info on stderr"
has "$TMP/first.err" 'broker\.info: quorum -> run' "so is each state transition"
has "$TMP/notify.out" '^READY=1\|STATUS=run$' "READY=1 comes with a STATUS line"

held=$(eddy submit --urgency=0 true)
ok "a held job is submitted" test -n "$held"

# reload: SIGHUP rereads the files, between RELOADING=1 and READY=1
printf '[sched]\npolicy = "fcfs"\n' >"$conf/20-sched.toml"
kill -HUP "$bpid"
wait_file "$TMP/first.err" 'configuration generation 2'
_report $? "SIGHUP reloads the configuration (logged)" "$TMP/first.err"
has "$TMP/notify.out" '^RELOADING=1\|MONOTONIC_USEC=[0-9]+\|' "systemd is told RELOADING=1, with MONOTONIC_USEC"
wait_last "$TMP/notify.out" '^READY=1'
_report $? "and READY=1 again after it" "$TMP/notify.out"
ok "the broker still runs after SIGHUP" eddy ping --count 1 broker
ok "eddy config get without EDDY_URI asks it" \
    sh -c "[ \"\$(eddy config get sched.policy)\" = '\"fcfs\"' ]"
rm "$conf/20-sched.toml"

# ---- eddy shutdown ----
fails "eddy shutdown with an operand is a usage error" eddy shutdown now
ok "eddy shutdown stops the instance" eddy shutdown --timeout 30
wait "$bpid"
rc=$?
[ $rc -eq 0 ]; _report $? "the broker exits 0 (exit $rc)" "$TMP/first.err"
has "$TMP/first.err" 'broker\.info: run -> cleanup' "the shutdown's transitions are logged"
has "$TMP/first.err" 'broker\.info: shutdown -> exit' "up to exit"
has "$TMP/notify.out" '^STOPPING=1' "systemd is told STOPPING=1"
fails "afterwards no client reaches it" eddy ping --count 1 broker
ok "the state is in the statedir" test -s "$TMP/state/content.sqlite"

# ---- the next start has the queue ----
boot second
_report $? "a second start over the same statedir reaches run" "$TMP/second.err"
eddy jobs -a -n -o '{id.f58} {state}' >"$TMP/jobs" 2>&1
has "$TMP/jobs" "^$held (PRIORITY|SCHED)$" "the held job is still pending after the restart"
ok "eddy shutdown --no-wait returns at once" eddy shutdown --no-wait
wait "$bpid"
rc=$?
[ $rc -eq 0 ]; _report $? "and the broker exits 0 (exit $rc)" "$TMP/second.err"
stop_listener

# ---- eddy shutdown in a single-user instance (EDDY_URI set) ----
ok "eddy shutdown inside eddy start --size 3 stops every broker" \
    sh -c "out=\$(eddy start --size 3 sh -c 'eddy shutdown && echo stopped') && [ \"\$out\" = stopped ]"

# ---- mistakes ----
printf '[broker]\nstatedir = "relative/state"\n' >"$TMP/bad.toml"
fails "a relative statedir is refused" eddy-broker --system --config-path="$TMP/bad.toml"
has "$TMP/out" "broker\.statedir: 'relative/state' is not an absolute path" "with a message naming the key"
EDDY_SYSTEM_RUNDIR=run fails "a relative EDDY_SYSTEM_RUNDIR is refused" \
    eddy-broker --system --config-path="$conf"
has "$TMP/out" "must be an absolute path" "with a message"
ok "NOTIFY_SOCKET unset: a system broker starts without it" sh -c "
    eddy-broker --system --config-path='$conf' 2>'$TMP/third.err' & p=\$!
    for i in \$(seq 1 200); do eddy ping --count 1 broker >/dev/null 2>&1 && break; sleep 0.05; done
    eddy shutdown --timeout 30 && wait \$p"

finish
