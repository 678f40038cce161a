#!/usr/bin/env bash
# t-systemd.sh [DEB]: eddy.service under a real systemd.  A minimal Debian
# 12 root (test/systemd/mkroot.sh, cached in $EDDY_TEST_CACHE, default
# /var/cache/eddy-test) is booted with systemd as PID 1 of its own PID
# namespace, on an overlay so the cache stays clean; the package (DEB, or
# one built by scripts/deb) is installed in it, and the checks are: the
# install made the eddy user and /var/lib/eddy; `systemctl start eddy`
# returns once the broker says READY=1; `systemctl reload eddy` rereads the
# configuration (logged, new value in force); `systemctl stop eddy` is an
# orderly shutdown with a clean result and keeps the queue; the journal
# holds the state transitions; a broker killed with SIGKILL is restarted
# by the unit; `eddy shutdown` stops it for good.  Needs root, unshare,
# nsenter and overlayfs (docs/system-instance.md).
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

work=$(mktemp -d "${TMPDIR:-/tmp}/eddy-systemd.XXXXXX")
lead=""
cleanup () {
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

echo "$((T_N - T_FAIL)) passed, $T_FAIL failed ($(($(date +%s) - t0)) s)"
[ "$T_FAIL" -eq 0 ]
