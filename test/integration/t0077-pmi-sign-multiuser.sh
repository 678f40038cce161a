#!/usr/bin/env bash
# PMI signing where it matters: an instance run by an owner (useradd) with
# eddy-imp setuid root runs alice's nested instances, so their PMI server
# is the owner's.  Without any option her brokers sign (auto: PMI_FD's
# peer is another uid), boot and run; her batch script is the one in her
# J; a munged her brokers cannot reach fails the job rather than sending
# the CURVE secret in clear.  Root only (useradd, setuid, munged).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null || ! command -v munged >/dev/null; then
    echo "1..0 # SKIP needs root, useradd and munged"
    exit 77
fi
BROKER="$EDDY_BUILDDIR/cmd/eddy-broker"
EDDY="$EDDY_BUILDDIR/cmd/eddy"
SHELL_="$EDDY_BUILDDIR/cmd/eddy-shell"
d="$EDDY_BUILDDIR/cmd"
while [ "$d" != / ]; do
    if ! runuser -u nobody -- test -x "$d" 2>/dev/null; then
        echo "1..0 # SKIP $d is not searchable by other users"
        exit 77
    fi
    d=$(dirname "$d")
done

sfx=$$
OWN=eddy77o$sfx ALICE=eddy77a$sfx
bpid=
cleanup () {
    [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
    munged_stop "$TMP/munge"
    for u in "$OWN" "$ALICE"; do userdel -r "$u" >/dev/null 2>&1; done
    rm -rf "$TMP"
}
trap cleanup EXIT
for u in "$OWN" "$ALICE"; do useradd -m -s /bin/sh "$u" || exit 1; done
home_a=$(getent passwd "$ALICE" | cut -d: -f6)
chmod 755 "$TMP"
cd "$TMP" || exit 1

munged_start "$TMP/munge" || { echo "munged does not start"; exit 1; }
mkdir "$TMP/security" "$TMP/nomunge" "$TMP/conf" "$TMP/own" "$TMP/imp"
printf '[sign]\nmunge-socket = "%s"\n' "$TMP/munge/sock" >"$TMP/security/sign.toml"
printf '[sign]\nmunge-socket = "%s"\n' "$TMP/munge/nosuch" >"$TMP/nomunge/sign.toml"
chmod -R a+rX "$TMP/security" "$TMP/nomunge"
install -o root -g root -m 4755 "$EDDY_BUILDDIR/cmd/test/eddy-imp" "$TMP/imp/eddy-imp"
mkdir -m 755 "$TMP/imp/imp.conf.d"
cat >"$TMP/imp/imp.conf.d/imp.toml" <<IMP
[exec]
allowed-users = [ "$OWN" ]
allowed-shells = [ "$SHELL_" ]

[sign]
max-ttl = 3600
allowed-types = [ "munge" ]
munge-socket = "$TMP/munge/sock"
IMP
chmod 644 "$TMP/imp/imp.conf.d/imp.toml"
cat >"$TMP/conf/instance.toml" <<CONF
[broker]
statedir = "$TMP/own/state"

[access]
allow-guest-user = true

[exec]
imp = "$TMP/imp/eddy-imp"
CONF
chmod -R a+rX "$TMP/conf"
chown "$OWN" "$TMP/own"

run="$TMP/own/run"
export EDDY_URI="local://$run/local"
runuser -u "$OWN" -- env EDDY_SYSTEM_RUNDIR="$run" EDDY_SECURITY_CONFIG_PATH="$TMP/security" \
    "$BROKER" --system --config-path="$TMP/conf" 2>"$TMP/broker.err" &
bpid=$!
within 20 runuser -u "$OWN" -- env EDDY_URI="$EDDY_URI" "$EDDY" ping --count 1 broker
_report $? "the instance starts as $OWN with guests and eddy-imp" "$TMP/broker.err"

cat >"$home_a/inner.sh" <<'SH'
#!/bin/sh
echo "batch sign $(eddy getattr broker.pmi-sign) size $(eddy getattr size)"
SH
cat >"$home_a/cases.sh" <<SH
PATH=$EDDY_BUILDDIR/cmd:\$PATH
export EDDY_SECURITY_CONFIG_PATH=$TMP/security TMPDIR=$home_a
q='echo "sign \$(eddy getattr broker.pmi-sign) size \$(eddy getattr size)"; eddy run -n 1 true && echo "inner job ok"'
eddy run -n 2 --env=EDDY_PMI_DEBUG=1 eddy start sh -c "\$q" >two.out 2>two.err; echo "two rc=\$?"
id=\$(eddy batch -N 1 --output=batch.out inner.sh); eddy job wait \$id; echo "batch rc=\$?"
EDDY_SECURITY_CONFIG_PATH=$TMP/nomunge timeout 120 eddy run -n 2 eddy start sh -c "\$q" \\
    >nomunge.out 2>&1; echo "nomunge rc=\$?"
SH
chown "$ALICE" "$home_a/cases.sh" "$home_a/inner.sh"
(cd "$home_a" && timeout 300 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" sh cases.sh) \
    >"$TMP/alice" 2>&1
_report $? "alice's nested instances" "$TMP/alice"
cp "$home_a"/*.out "$home_a"/*.err "$TMP/" 2>/dev/null
touch "$TMP/two.out" "$TMP/two.err" "$TMP/batch.out" "$TMP/nomunge.out"
has "$TMP/alice" '^two rc=0$' "her 2-broker instance (eddy run -n 2 eddy start) runs"
has "$TMP/two.out" '^sign munge size 2$' "signed without any option: the PMI server is $OWN's"
has "$TMP/two.out" '^inner job ok$' "and runs a job of its own"
has "$TMP/two.err" 'signing required \(munge\)' "her brokers say signing is required"
has "$TMP/two.err" 'key=eddy.curve-secret value=MUNGE:' "the CURVE secret went to $OWN's server as a credential"
hasnt "$TMP/two.err" 'key=eddy\.[a-z.0-9-]* value=[^M]' "no value in clear"
has "$TMP/alice" '^batch rc=0$' "her eddy batch -N 1 runs"
has "$TMP/batch.out" '^batch sign munge size 1$' "its script (from her J) runs in a child that signs"
has "$TMP/alice" '^nomunge rc=[1-9]' "munged out of her brokers' reach: the job fails"
has "$TMP/nomunge.out" "PMI put eddy.curve-public: cannot sign: cannot connect to munged at $TMP/munge/nosuch" \
    "saying munged cannot be reached, rather than sending the secret in clear"
finish
