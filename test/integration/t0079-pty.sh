#!/usr/bin/env bash
# Task 0 on a pseudo-terminal: eddy run --pty, and eddy alloc, which is
# interactive when its stdin is a terminal.  The test is the user at the
# terminal (pty-drive.py): keystrokes reach the task (a line, ^C as
# SIGINT), the window size follows, the client's terminal leaves raw mode
# when it exits, an interactive eddy alloc with no command runs a shell in
# the child instance where "eddy jobs; exit" works and the job ends, and a
# client killed under a pty job hangs it up (SIGHUP).
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null; then
    echo "1..0 # SKIP needs python3"
    exit 77
fi
DRIVE="$EDDY_SRCDIR/test/integration/pty-drive.py"

cat >"$TMP/run.sh" <<'SH'
eddy run --pty tty </dev/null >tty.out 2>&1; echo "tty rc=$?"
id=$(eddy submit -S shell.options.pty=true -S 'shell.options.stdin="0"' sh -c 'tty; read x; echo "read $x"')
python3 "$DRIVE" --wait pts --type 'over attach\n' eddy job attach "$id" >attach.out 2>&1
python3 "$DRIVE" --rows 33 --cols 101 --wait 'ready' --type 'hello\n' sh -c \
    "eddy run --pty sh -c 'stty size; tty; echo ready; read x; echo \"got \$x\"'; stty -a" \
    >keys.out 2>&1
# SIGTERM to the client in raw mode: it restores the terminal as it dies
python3 "$DRIVE" sh -c 'eddy run --pty sh -c "echo up; exec sleep 30" </dev/tty & p=$!
    sleep 3; kill -TERM $p; wait $p; echo "client rc=$?"; stty -a' >sig.out 2>&1
python3 "$DRIVE" --wait 'sleeping' --type '\x03' \
    eddy run --pty sh -c 'echo sleeping; exec sleep 60' >intr.out 2>&1
# an interactive allocation: a shell in the child instance
SHELL=/bin/sh python3 "$DRIVE" --wait '[#$] $' --type 'eddy jobs; echo "uri=$EDDY_URI"; exit\n' \
    eddy alloc -N 1 >alloc.out 2>&1
python3 "$DRIVE" eddy alloc -N 1 tty >alloc-cmd.out 2>&1
eddy jobs -a >jobs.out 2>&1
# the client of a pty job killed: the job is hung up
(sleep 60) | eddy run --pty sh -c 'echo started; exec sleep 60' >hup.out 2>&1 &
client=$!
for _ in $(seq 100); do grep -q started hup.out && break; sleep 0.1; done
kill -9 $client
for _ in $(seq 100); do eddy jobs -a | grep -q ' sh  *R ' || break; sleep 0.1; done
eddy jobs -a >hup.jobs 2>&1
echo "my uri=$EDDY_URI"
SH
(cd "$TMP" && DRIVE="$DRIVE" timeout 300 eddy start --size 1 bash run.sh) >"$TMP/log" 2>&1
_report $? "the cases run in an instance" "$TMP/log"

has "$TMP/log" '^tty rc=0$' "eddy run --pty tty: the job ends 0"
has "$TMP/tty.out" '^/dev/pts/[0-9]+.?$' "  on a /dev/pts device"
has "$TMP/attach.out" '^/dev/pts/[0-9]+$' "eddy job attach to a pty job (eddy submit -S shell.options.pty=true)"
has "$TMP/attach.out" '^read over attach$' "  feeds it keystrokes"
has "$TMP/keys.out" '^33 101$' "the job's terminal has the client terminal's size (33 x 101)"
has "$TMP/keys.out" '^/dev/pts/[0-9]+$' "  and is a pty"
has "$TMP/keys.out" '^got hello$' "a line typed reaches the task"
has "$TMP/keys.out" '(^| )icanon( |$)' "the client's terminal is out of raw mode after (stty -a: icanon)"
has "$TMP/keys.out" '^status=0$' "  and eddy run exits 0"
has "$TMP/intr.out" '^status=130$' "^C typed is SIGINT for the task (eddy run exits 130)"
has "$TMP/sig.out" '^client rc=143$' "a client in raw mode killed by SIGTERM dies of it"
has "$TMP/sig.out" '(^| )icanon( |$)' "  and leaves its terminal out of raw mode (stty -a: icanon)"
has "$TMP/alloc.out" '^ +ID +USER +NAME +ST ' "interactive eddy alloc -N 1: eddy jobs runs in its shell"
has "$TMP/alloc.out" '^uri=local://' "  with EDDY_URI set to the child instance"
hasnt "$TMP/alloc.out" "^uri=$(sed -n 's/^my uri=//p' "$TMP/log")\$" "  not the parent's"
has "$TMP/alloc.out" '^status=0$' "  exit ends it: eddy alloc exits 0"
has "$TMP/alloc-cmd.out" '^/dev/pts/[0-9]+$' "eddy alloc with a command, at a terminal: the command is on a pty"
ok "the parent saw both allocations complete" sh -c "[ \$(grep -Ec ' eddy +CD ' '$TMP/jobs.out') -eq 2 ]"
has "$TMP/hup.jobs" ' sh +F .* 129 ' "a pty job whose client is killed is hung up (SIGHUP, status 129)"
finish
