#!/usr/bin/env bash
# Multi-user access on a system instance run by an owner the test creates,
# with two guests (alice, bob), also created here: guests submit and list
# everyone's jobs with user names, but act on their own jobs only (bob is
# refused at once cancelling, raising, reading, waiting on or attaching to
# alice's job); urgency above 16 and the instance's services are the
# owner's; a frame forged to claim uid 0 is stamped with bob's uid; the
# state directory is private; without [access] allow-guest-user a guest is
# refused with a message that says so, and root is the owner only with
# allow-root-owner.  Root only (it runs useradd); otherwise skipped.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: t0052-access needs root to create its users (useradd)"
    exit 77
fi

BROKER="$EDDY_BUILDDIR/cmd/eddy-broker"
EDDY="$EDDY_BUILDDIR/cmd/eddy"
FORGE="$EDDY_BUILDDIR/test/forge-cred"
# the users run the build tree's programs: each directory above them must
# be searchable by others
for d in "$EDDY_BUILDDIR/cmd" "$EDDY_BUILDDIR/test"; do
    while [ "$d" != / ]; do
        if ! runuser -u nobody -- test -x "$d" 2>/dev/null; then
            echo "SKIP: $d is not searchable by other users"
            exit 77
        fi
        d=$(dirname "$d")
    done
done

sfx=$$
OWN="eddyt52o$sfx" ALICE="eddyt52a$sfx" BOB="eddyt52b$sfx"
made=
for u in "$OWN" "$ALICE" "$BOB"; do
    useradd -M -N -s /bin/sh "$u" || { echo "useradd $u failed"; exit 1; }
    made="$made $u"
done
bpid=
cleanup () {
    [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
    for u in $made; do userdel "$u" 2>/dev/null; done
    munged_stop "$TMP/munge"
    rm -rf "$TMP"
}
trap cleanup EXIT

chmod 755 "$TMP"
mkdir "$TMP/own" "$TMP/conf" "$TMP/security"
# guests' jobs are signed with MUNGE (no "none" with guests): a munged of
# our own, named by the security config every broker here reads
if ! command -v munged >/dev/null; then
    echo "SKIP: t0052-access needs munged (package munge) to sign guests' jobs"
    exit 77
fi
munged_start "$TMP/munge" || { echo "munged does not start"; exit 1; }
printf '[sign]\nmunge-socket = "%s"\n' "$TMP/munge/sock" >"$TMP/security/sign.toml"
chmod -R a+rX "$TMP/security"
export EDDY_SECURITY_CONFIG_PATH="$TMP/security"
chown "$OWN" "$TMP/own"
cd "$TMP" || exit 1

# boot NAME TOML: a system broker as the owner with that [access] table,
# its socket under $TMP/own/run-NAME (made by the broker), its statedir
# $TMP/own/state-NAME; waits until the owner can ping it
boot () {
    run="$TMP/own/run-$1"
    sock="$run/local"
    export EDDY_URI="local://$sock"
    mkdir -p "$TMP/conf/$1"
    printf '[broker]\nstatedir = "%s"\n\n[access]\n%s\n' "$TMP/own/state-$1" "$2" \
        >"$TMP/conf/$1/access.toml"
    chmod -R a+rX "$TMP/conf"
    runuser -u "$OWN" -- env EDDY_SYSTEM_RUNDIR="$run" EDDY_SECURITY_CONFIG_PATH="$TMP/security" \
        "$BROKER" --system --config-path="$TMP/conf/$1" 2>"$TMP/$1.err" &
    bpid=$!
    within 20 as "$OWN" "$EDDY" ping --count 1 broker
}
stop () {
    as "$OWN" "$EDDY" shutdown >/dev/null 2>&1
    gone_within 20 "$bpid"
    wait "$bpid" 2>/dev/null
    bpid=
}
as () { # USER CMD...: run CMD as USER, at this instance
    local u=$1; shift
    runuser -u "$u" -- env EDDY_URI="$EDDY_URI" "$@"
}
# refused WHAT PATTERN USER CMD...: CMD as USER fails (within 10 s) with
# a message matching PATTERN
refused () {
    local what=$1 pat=$2; shift 2
    timeout 10 runuser -u "$1" -- env EDDY_URI="$EDDY_URI" "${@:2}" >"$TMP/out" 2>&1
    local rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -Eq -- "$pat" "$TMP/out"
    _report $? "$what (exit $rc)" "$TMP/out"
}

# ---- guests allowed ----
ok "an instance with guests allowed starts as $OWN" boot guests "allow-guest-user = true"

mode () { stat -c %a "$1"; }
[ "$(mode "$TMP/own/state-guests")" = 700 ] && [ "$(mode "$TMP/own/state-guests/content.sqlite")" = 600 ]
_report $? "the statedir is 0700, content.sqlite 0600 ($(mode "$TMP/own/state-guests") $(mode "$TMP/own/state-guests/content.sqlite"))" /dev/null
[ "$(mode "$run")" = 711 ] && [ "$(mode "$sock")" = 777 ]
_report $? "the rundir is 0711 (reachable, not listable), the socket 0777 ($(mode "$run") $(mode "$sock"))" /dev/null

# alice's job waits for its begin time, so it stays pending without running
as "$ALICE" "$EDDY" submit --begin-time=+1h --urgency=8 /bin/true >"$TMP/jobid" 2>"$TMP/out"
_report $? "alice submits a job" "$TMP/out"
job=$(cat "$TMP/jobid")
dec=$(as "$OWN" "$EDDY" job id --to=dec "$job")

as "$BOB" "$EDDY" jobs -A >"$TMP/bob-jobs" 2>&1
has "$TMP/bob-jobs" "^$job +$ALICE " "bob lists alice's job with her name"
refused "bob cannot cancel alice's job" "only the job's owner or the instance owner" \
    "$BOB" "$EDDY" job cancel "$job"
refused "bob cannot change its urgency" "only the job's owner or the instance owner" \
    "$BOB" "$EDDY" job urgency "$job" 4
refused "bob cannot read its eventlog" "a guest may read only the keys of their own jobs" \
    "$BOB" "$EDDY" job eventlog "$job"
refused "bob cannot read its jobspec" "a guest may read only the keys of their own jobs" \
    "$BOB" "$EDDY" job info "$job" jobspec
refused "bob cannot read its output" "a guest may read only the keys of their own jobs" \
    "$BOB" "$EDDY" job eventlog -p output "$job"
refused "bob's wait on it is refused at once" "belongs to another user" \
    "$BOB" "$EDDY" job wait "$job"
refused "bob's attach to it is refused at once" "belongs to another user|their own jobs" \
    "$BOB" "$EDDY" job attach "$job"
refused "bob cannot cancel all of alice's jobs" "only the instance owner may cancel other users' jobs" \
    "$BOB" "$EDDY" job cancelall -f -u "$ALICE"

ok "alice reads her job's eventlog" as "$ALICE" "$EDDY" job eventlog "$job"
has "$TMP/out" "\"name\":\"submit\".*\"userid\":$(id -u "$ALICE")" "its submit entry names alice"
ok "alice reads her job's jobspec" as "$ALICE" "$EDDY" job info "$job" jobspec
key=$(as "$OWN" "$EDDY" job id --to=kvs "$job")
timeout 10 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" kvs watch --count 1 "$key.eventlog" >"$TMP/out" 2>&1
has "$TMP/out" '"name":"submit"' "alice watches her job's eventlog"
refused "bob cannot watch it" "a guest may read only the keys of their own jobs" \
    "$BOB" "$EDDY" kvs watch --count 1 "$key.eventlog"
refused "bob cannot list the job directory" "namespace belongs to another user" \
    "$BOB" "$EDDY" kvs dir "$key"
ok "alice lowers her job's urgency to 12" as "$ALICE" "$EDDY" job urgency "$job" 12
refused "alice cannot raise it above 16" "only the instance owner may set urgency > 16" \
    "$ALICE" "$EDDY" job urgency "$job" 20
timeout 2 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job wait "$job" >"$TMP/out" 2>&1
[ $? -eq 124 ]; _report $? "alice's wait on her own job is accepted (still waiting after 2 s)" "$TMP/out"
timeout 2 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job attach "$job" >"$TMP/out" 2>&1
[ $? -eq 124 ]; _report $? "alice's attach to her own job is accepted (output watched, still waiting after 2 s)" "$TMP/out"
ok "the owner raises it to 20" as "$OWN" "$EDDY" job urgency "$job" 20

# the owner's services, refused to a guest with the reason
refused "bob cannot set attributes" "requires owner credentials" "$BOB" "$EDDY" setattr log-stderr-level 3
refused "bob cannot remove modules" "requires owner credentials" "$BOB" "$EDDY" module remove job-list
refused "bob cannot load modules" "requires owner credentials" "$BOB" "$EDDY" module load job-list
refused "bob cannot drain" "requires owner credentials" "$BOB" "$EDDY" resource drain 0
refused "bob cannot undrain" "requires owner credentials" "$BOB" "$EDDY" resource undrain 0
refused "bob cannot stop the queue" "requires owner credentials" "$BOB" "$EDDY" queue stop
refused "bob cannot reload the configuration" "requires owner credentials" "$BOB" "$EDDY" config reload
refused "bob cannot shut the instance down" "requires owner credentials" "$BOB" "$EDDY" shutdown
refused "bob cannot write the KVS outside his namespace" "namespace belongs to another user" \
    "$BOB" "$EDDY" kvs put foo=1

# a hand-written frame claiming uid 0 and the owner's role
as "$BOB" "$FORGE" "$sock" job-manager.cancel "{\"id\": $dec}" >"$TMP/out" 2>&1
has "$TMP/out" "^error 1: only the job's owner" "bob's forged frame claiming uid 0 cannot cancel alice's job"
as "$BOB" "$FORGE" "$sock" attr.set '{"name": "log-stderr-level", "value": "3"}' >"$TMP/out" 2>&1
has "$TMP/out" "^error 1: attr.set requires owner credentials" "nor set an attribute"
as "$OWN" "$EDDY" job info "$job" jobspec >"$TMP/jobspec.json" 2>&1
# signed by bob (as eddy submit would: the canonical bytes, docs/security.md)
"$EDDY" jobspec convert --level=v1 "$TMP/jobspec.json" | tr -d '\n' >"$TMP/canon.json"
chmod a+r "$TMP/canon.json"
J=$(as "$BOB" munge -S "$TMP/munge/sock" --input="$TMP/canon.json")
as "$BOB" "$FORGE" "$sock" job-ingest.submit \
    "{\"jobspec\": $(cat "$TMP/canon.json"), \"urgency\": 8, \"J\": \"$J\"}" >"$TMP/out" 2>&1
has "$TMP/out" '^ok \{"id":' "bob's forged frame submits a job"
forged=$(sed -n 's/^ok {"id":\([0-9]*\)}/\1/p' "$TMP/out")
as "$OWN" "$EDDY" jobs -A -n -o '{id.dec} {username} {userid}' >"$TMP/owner-jobs" 2>&1
grep -Eq "^${forged:-none} $BOB $(id -u "$BOB")\$" "$TMP/owner-jobs" && ! grep -Eq " 0\$" "$TMP/owner-jobs"
_report $? "which is stamped as bob's, and no job claims uid 0" "$TMP/owner-jobs"

# once inactive, the job manager remembers whose the job was
ok "the owner cancels alice's job" as "$OWN" "$EDDY" job cancel "$job"
within 10 sh -c "runuser -u '$OWN' -- env EDDY_URI='$EDDY_URI' '$EDDY' jobs -a -A -n -o '{id} {st}' | grep -q '^$job CA'"
_report $? "it becomes inactive" /dev/null
refused "bob's wait on the inactive job is refused" "belongs to another user" \
    "$BOB" "$EDDY" job wait "$job"
timeout 10 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job wait "$job" >"$TMP/out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && ! grep -q "another user" "$TMP/out" && grep -q . "$TMP/out"
_report $? "alice's wait on it returns its result (exit $rc)" "$TMP/out"
stop

# after a restart the job manager learns whose it was from the store
ok "the instance starts again on its statedir" boot guests "allow-guest-user = true"
refused "bob's wait on alice's job is still refused" "belongs to another user" \
    "$BOB" "$EDDY" job wait "$job"
refused "and so is his read of its eventlog" "a guest may read only the keys of their own jobs" \
    "$BOB" "$EDDY" job eventlog "$job"
ok "alice still reads it" as "$ALICE" "$EDDY" job eventlog "$job"
timeout 10 runuser -u "$ALICE" -- env EDDY_URI="$EDDY_URI" "$EDDY" job wait "$job" >"$TMP/out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && ! grep -q "another user" "$TMP/out" && grep -q . "$TMP/out"
_report $? "and waits on it (exit $rc)" "$TMP/out"
stop

# ---- guests not allowed; root allowed as owner ----
ok "an instance without guests starts" boot private "allow-root-owner = true"
[ "$(mode "$run")" = 700 ]; _report $? "its rundir is 0700 ($(mode "$run"))" /dev/null
refused "a guest who cannot reach the socket is told why" \
    "access denied: only the instance owner may connect.*allow-guest-user" "$BOB" "$EDDY" jobs -A
# were the runtime directory searchable, the connector itself refuses
chmod 711 "$run"
refused "a guest at the socket is refused by the connector, with the reason" \
    "access denied: guests are not allowed \(set \[access\] allow-guest-user\)" \
    "$BOB" "$EDDY" jobs -A
has "$TMP/private.err" "refusing uid $(id -u "$BOB"): guests are not allowed" "the broker logs the refusal"
ok "root is an owner with allow-root-owner" as root "$EDDY" setattr log-stderr-level 6
stop

finish
