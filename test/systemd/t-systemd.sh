#!/usr/bin/env bash
# t-systemd.sh [DEB]: eddy.service under a real systemd.  A minimal Debian
# 12 root (test/systemd/mkroot.sh, cached in $EDDY_TEST_CACHE, default
# /var/cache/eddy-test) is booted with systemd as PID 1 of its own PID
# namespace, on an overlay so the cache stays clean; the package (DEB, or
# one built by scripts/deb) is installed in it, and the checks are: the
# install made the eddy user and /var/lib/eddy; `systemctl start eddy`
# returns once the broker says READY=1; `systemctl reload eddy` rereads the
# configuration (logged, new value in force) and puts a new [resource]
# exclude in force (the node listed excluded by `eddy resource list`, the
# change in the journal, then back); `systemctl stop eddy` is an orderly
# shutdown with a clean result and keeps the queue; the journal holds the
# state transitions; a broker killed with SIGKILL is restarted by the
# unit; `eddy shutdown` stops it for good.  Then the root (hostname sysd1)
# is rank 1 of a two-node instance from a bootstrap.toml (CURVE cert from
# eddy keygen, fixed port, 127.90.0.x): rank 0 (sysd0) is this build's
# broker, started here in its own UTS and mount namespaces as the root's
# eddy uid; the follower joins (rank 0's overlay full) and runs its part
# of `eddy run -N 2`; killed by `systemctl kill -s KILL`, it is seen lost
# by rank 0, restarted by the unit after RestartSec and rejoins (full
# again, jobs on both nodes again).  Needs root, unshare, nsenter, setpriv
# and overlayfs (docs/system-instance.md).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "t-systemd: needs root (unshare, mount)" >&2; exit 77; }
t0=$(date +%s)
cache=${EDDY_TEST_CACHE:-/var/cache/eddy-test}
if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
        { echo "t-systemd: cannot install debootstrap" >&2; exit 1; }
fi
bash "$top/test/systemd/mkroot.sh" "$cache/bookworm" || exit 1
deb=${1:-}
if [ -z "$deb" ]; then
    deb=$(bash "$top/scripts/deb" "$top/build/deb" | tail -1) || exit 1
fi
[ -f "$deb" ] || { echo "t-systemd: $deb: no such package" >&2; exit 1; }
# rank 0 of the two-node part is the build's broker (scripts/setup)
for f in eddy-broker eddy; do
    [ -x "$top/build/cmd/$f" ] || { echo "t-systemd: $top/build/cmd/$f: not built (scripts/setup)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/eddy-systemd.XXXXXX")
lead="" rank0=""
cleanup () {
    [ -n "$rank0" ] && [ -s "$work/n0/pid" ] && kill -9 "$(cat "$work/n0/pid")" 2>/dev/null
    [ -n "$lead" ] && kill -9 "$lead" 2>/dev/null # PID 1 ignores SIGTERM
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/upper" "$work/work" "$work/root"

# boot: the overlay and the API file systems exist only in the new mount
# namespace; the host sees the root as /proc/LEAD/root
unshare --fork --pid --mount --uts --ipc sh -c '
    set -e
    r=$1
    mount -t overlay overlay -o lowerdir=$2,upperdir=$3/upper,workdir=$3/work "$r"
    echo eddy-test >"$r/etc/hostname" # systemd sets it at boot
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs tmpfs "$r/run"
    mount -t tmpfs tmpfs "$r/tmp"
    hostname eddy-test
    exec env container=other chroot "$r" /lib/systemd/systemd --system' \
    sh "$work/root" "$cache/bookworm" "$work" >"$work/console" 2>&1 &
upid=$!
for i in $(seq 1 100); do
    lead=$(pgrep -P "$upid" | head -1)
    [ -n "$lead" ] && [ "$(readlink "/proc/$lead/exe" 2>/dev/null)" != "" ] &&
        grep -q systemd "/proc/$lead/comm" 2>/dev/null && break
    sleep 0.1
done
[ -n "$lead" ] || { echo "t-systemd: systemd did not start"; cat "$work/console"; exit 1; }
rootfs=/proc/$lead/root
in_root () { nsenter -t "$lead" -m -p -u -i -r -w "$@"; }
as_eddy () { in_root runuser -u eddy -- "$@"; }

T_N=0 T_FAIL=0
out=$work/out
report () { # STATUS WHAT
    T_N=$((T_N + 1))
    if [ "$1" -eq 0 ]; then echo "ok $T_N - $2"; else
        T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $2"; sed 's/^/#   /' "$out" | tail -30; fi
}
ok () { local what=$1; shift; "$@" >"$out" 2>&1; report $? "$what"; }
# until CMD prints a line matching PATTERN, up to S seconds
wait_for () { # S PATTERN CMD...
    local s=$1 pat=$2; shift 2
    for i in $(seq 1 $((s * 10))); do
        "$@" >"$out" 2>&1 && grep -Eq -- "$pat" "$out" && return 0
        sleep 0.1
    done
    return 1
}
journal () { in_root journalctl -u eddy --no-pager -o cat; }
prop () { in_root systemctl show -p "$1" --value eddy; }
export lead
export -f in_root as_eddy prop

wait_for 60 '^(running|degraded)$' in_root systemctl is-system-running
report $? "systemd boots as PID 1 of its own namespace"

cp "$deb" "$rootfs/tmp/eddy.deb"
ok "the package installs (dpkg -i)" in_root dpkg -i /tmp/eddy.deb
ok "it made the eddy system user" in_root getent passwd eddy
ok "and /var/lib/eddy, owned by eddy" bash -c "[ \"\$(in_root stat -c %U /var/lib/eddy)\" = eddy ]"
ok "the unit is installed and enabled" in_root systemctl is-enabled eddy
ok "the default conf.d is valid" in_root eddy config check /etc/eddy/system/conf.d

ok "systemctl start eddy returns" in_root timeout 60 systemctl start eddy
ok "the unit is active" bash -c "[ \"\$(prop ActiveState)\" = active ]"
wait_for 5 '^run$' prop StatusText
report $? "its status is the broker's STATUS=run (READY=1 reached)"
ok "a client with no EDDY_URI reaches it at /run/eddy/local" as_eddy eddy ping --count 1 broker
pid1=$(prop MainPID)
ok "the broker runs as eddy" bash -c "[ \"\$(in_root ps -o user= -p '$pid1')\" = eddy ]"
ok "its statedir is /var/lib/eddy" bash -c "[ \"\$(as_eddy eddy getattr statedir)\" = /var/lib/eddy ]"
held=$(as_eddy eddy submit --urgency=0 true 2>"$out")
[ -n "$held" ]; report $? "a held job is submitted"

# reload
sed -i "s/^policy = \"easy\"/policy = \"fcfs\"/" "$rootfs/etc/eddy/system/conf.d/00-system.toml"
ok "systemctl reload eddy returns" in_root timeout 30 systemctl reload eddy
wait_for 10 '^"fcfs"$' as_eddy eddy config get sched.policy
report $? "the new configuration is in force"
wait_for 10 'configuration generation 2' journal
report $? "the journal has the reload"
ok "the same broker still runs" bash -c "[ \"\$(prop MainPID)\" = '$pid1' ]"

# [resource] exclude by reload: the node itself, by hostname, then back
confd=$rootfs/etc/eddy/system/conf.d
printf '[resource]\nexclude = "eddy-test"\n' >"$confd/50-exclude.toml"
ok "eddy config check accepts exclude = eddy-test" in_root eddy config check /etc/eddy/system/conf.d
ok "systemctl reload eddy with the exclude" in_root timeout 30 systemctl reload eddy
wait_for 10 '^ *excluded +1 +[0-9]+ +[0-9]+ eddy-test$' as_eddy eddy resource list
report $? "eddy resource list: eddy-test is excluded"
! grep -Eq '^ *free +[1-9].*eddy-test' "$out"; report $? "and not listed free (not schedulable)"
wait_for 10 "resource: exclude '' -> 'eddy-test', ranks 0" journal
report $? "the journal has the exclude change"
rm "$confd/50-exclude.toml"
ok "systemctl reload eddy without it" in_root timeout 30 systemctl reload eddy
wait_for 10 '^ *free +1 +[0-9]+ +[0-9]+ eddy-test$' as_eddy eddy resource list
report $? "eddy resource list: eddy-test is free again"
! grep -q '^ *excluded' "$out"; report $? "and nothing is excluded"
wait_for 10 "resource: exclude 'eddy-test' -> ''" journal
report $? "the journal has the change back"

# a killed broker comes back
in_root kill -9 "$pid1"
wait_for 30 '^active$' bash -c "[ \"\$(prop MainPID)\" != '$pid1' ] && prop ActiveState"
report $? "a broker killed with SIGKILL is restarted by the unit"
wait_for 10 '^run$' prop StatusText
report $? "and the new one reaches run"
ok "it serves clients again" as_eddy eddy ping --count 1 broker

# stop
ok "systemctl stop eddy returns" in_root timeout 60 systemctl stop eddy
ok "the unit is inactive, not failed" bash -c "[ \"\$(prop ActiveState)\" = inactive ] && [ \"\$(prop Result)\" = success ]"
journal >"$work/journal" 2>&1
out=$work/journal
for line in 'system instance: rank 0 of 1' 'join -> init' 'quorum -> run' 'SIGHUP: reloading' \
    'signal 15: shutting down' 'run -> cleanup' 'shutdown -> exit'; do
    grep -q -- "$line" "$work/journal"; report $? "the journal has '$line'"
done
out=$work/out

# the queue survives; eddy shutdown stops it for good
ok "systemctl start eddy again" in_root timeout 60 systemctl start eddy
as_eddy eddy jobs -a -n -o '{id.f58} {state}' >"$out" 2>&1
grep -Eq "^$held (PRIORITY|SCHED)$" "$out"; report $? "the held job is still pending after the restart"
ok "eddy shutdown as the eddy user" as_eddy eddy shutdown --timeout 30
sleep 6 # longer than RestartSec: an unwanted restart would show
ok "after eddy shutdown the unit stays down" bash -c "[ \"\$(prop ActiveState)\" = inactive ]"

# a two-node instance: rank 0 (sysd0) is a broker of the build run by this
# script in its own UTS and mount namespaces on the host (own /run,
# /var/lib, /etc/hosts), the root is rank 1 (sysd1) under systemd.  The
# root shares the host's network namespace: each binds its own loopback
# address at a fixed port.  Rank 0 runs as the root's eddy uid, as every
# broker of an instance does (a job's user must be the brokers' own).
n0=$work/n0 port=8090
uid=$(in_root id -u eddy) gid=$(in_root id -g eddy)
chmod 0755 "$work"
mkdir -p "$n0/run/eddy" "$n0/lib/eddy" "$n0/conf.d" "$n0/bin"
cp "$top/build/cmd/eddy-broker" "$top/build/cmd/eddy" "$n0/bin/"
chown "$uid:$gid" "$n0/run/eddy" "$n0/lib/eddy"
chmod 0700 "$n0/lib/eddy"
printf '127.0.0.1 localhost\n127.90.0.1 sysd0\n127.90.0.2 sysd1\n' >"$n0/hosts"
cp "$n0/hosts" "$rootfs/etc/hosts"
bootstrap () { # CERT
    printf '[bootstrap]\ncurve_cert = "%s"\ndefault_port = %d\n' "$1" "$port"
    printf 'default_bind = "tcp://%%h:%%p"\nhosts = [ { host = "sysd[0-1]" } ]\n'
}
"$n0/bin/eddy" keygen "$n0/curve.cert" >"$out" 2>&1
report $? "eddy keygen makes the instance's CURVE certificate"
chown "$uid:$gid" "$n0/curve.cert"
cp "$n0/curve.cert" "$rootfs/etc/eddy/system/curve.cert"
in_root chown eddy:eddy /etc/eddy/system/curve.cert
in_root chmod 0400 /etc/eddy/system/curve.cert
cp "$confd/00-system.toml" "$n0/conf.d/"
bootstrap "$n0/curve.cert" >"$n0/conf.d/bootstrap.toml"
bootstrap /etc/eddy/system/curve.cert >"$confd/bootstrap.toml"
ok "eddy config check accepts the root's two-node conf.d" in_root eddy config check /etc/eddy/system/conf.d
unshare --uts --mount --fork -- bash -c '
    hostname sysd0 && mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/run" /run &&
        mount --bind "$1/lib" /var/lib || exit 1
    echo $$ >"$1/pid"
    exec setpriv --reuid="$2" --regid="$3" --clear-groups \
        "$1/bin/eddy-broker" --system --config-path="$1/conf.d"' \
    _ "$n0" "$uid" "$gid" >"$n0/err" 2>&1 &
rank0=$!
for i in $(seq 1 100); do [ -s "$n0/pid" ] && break; sleep 0.05; done
on0 () { nsenter -t "$(cat "$n0/pid")" -u -m -- setpriv --reuid="$uid" --regid="$gid" \
    --clear-groups "$n0/bin/eddy" "$@"; }
wait_for 30 '^0$' on0 getattr rank
report $? "rank 0 (sysd0) runs outside the root"
ok "the root's hostname is sysd1" in_root hostname sysd1
ok "systemctl start eddy: the root joins as a follower" in_root timeout 60 systemctl start eddy
wait_for 5 '^1$' as_eddy eddy getattr rank
report $? "the root's broker found rank 1 from its hostname"
wait_for 30 '^full$' on0 overlay status --summary
report $? "rank 0's overlay is full"
on0 overlay status >"$out" 2>&1
grep -q ' 1 sysd1: full' "$out"; report $? "rank 0 lists rank 1, sysd1, full"
# run2: eddy run -N 2 -n 2 hostname from rank 0 prints both hostnames, in
# up to 3 tries of 20 s (a job that cannot start would wait for good)
run2 () {
    local i
    for i in 1 2 3; do
        timeout 20 nsenter -t "$(cat "$n0/pid")" -u -m -- setpriv --reuid="$uid" \
            --regid="$gid" --clear-groups "$n0/bin/eddy" run -N 2 -n 2 hostname >"$out" 2>&1
        [ "$(sort "$out" | tr '\n' ' ')" = "sysd0 sysd1 " ] && return 0
        sleep 1
    done
    return 1
}
run2
report $? "eddy run -N 2 -n 2 hostname runs on both nodes"

# the unit restarts a killed follower, which rejoins
pidf=$(prop MainPID) nr=$(prop NRestarts)
ok "systemctl kill -s KILL eddy (the follower)" in_root systemctl kill -s KILL eddy
wait_for 10 ' 1 sysd1: lost' on0 overlay status
report $? "rank 0 sees rank 1 lost"
wait_for 30 '^active$' bash -c "[ \"\$(prop MainPID)\" != '$pidf' ] && [ \"\$(prop MainPID)\" != 0 ] && prop ActiveState"
report $? "the unit restarts the follower"
ok "systemd counts the restart (NRestarts $nr -> $((nr + 1)))" bash -c "[ \"\$(prop NRestarts)\" = $((nr + 1)) ]"
wait_for 30 '^full$' on0 overlay status --summary
report $? "it rejoins: rank 0's overlay is full again"
wait_for 10 '^active run$' bash -c 'echo "$(prop ActiveState) $(prop StatusText)"'
report $? "and the follower reaches run"
run2
report $? "eddy run -N 2 -n 2 hostname runs on both nodes again"
on0 dmesg >"$out" 2>&1
grep -q 'rank 1 lost' "$out" && grep -q 'rank 1 rejoined' "$out"
report $? "rank 0 logged rank 1 lost, then rejoined"
ok "systemctl stop eddy (the follower)" in_root timeout 60 systemctl stop eddy
kill -TERM "$(cat "$n0/pid")"
for i in $(seq 1 300); do kill -0 "$rank0" 2>/dev/null || break; sleep 0.1; done
kill -9 "$(cat "$n0/pid")" 2>/dev/null # still there after 30 s: a failure
wait "$rank0"
rc=$?
cp "$n0/err" "$out"
[ "$rc" -eq 143 ]; report $? "SIGTERM: rank 0 shuts down in order within 30 s (exit $rc)"
rank0=""

echo "$((T_N - T_FAIL)) passed, $T_FAIL failed ($(($(date +%s) - t0)) s)"
[ "$T_FAIL" -eq 0 ]
