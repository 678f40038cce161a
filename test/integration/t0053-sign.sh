#!/usr/bin/env bash
# Signed submissions with a real munged (its own key and socket): eddy
# submit signs, job-ingest verifies and keeps J beside the jobspec; a
# signature that is expired, by another user, over other bytes or made
# with another key is refused with its own message, and so is a submission
# while munged is down: no hang, nothing stored.
. "$(dirname "$0")/lib.sh"

if ! command -v munged >/dev/null || ! command -v munge >/dev/null; then
    echo "ok 1 # skip munged and munge(1) are not installed (Debian package munge)"
    finish
    exit $?
fi

# munged checks the directories above its socket: one of its own, 0755
MD=$(mktemp -d "${TMPDIR:-/tmp}/eddy-munge.XXXXXX")
chmod 0755 "$MD"
trap 'stop_munged A; stop_munged B; rm -rf "$TMP" "$MD"' EXIT

start_munged () { # NAME: key, socket, pid file under $MD/NAME
    mkdir -p "$MD/$1" && chmod 0755 "$MD/$1"
    dd if=/dev/urandom of="$MD/$1/key" bs=1 count=1024 2>/dev/null
    chmod 0600 "$MD/$1/key"
    munged --force --key-file="$MD/$1/key" --socket="$MD/$1/sock" \
        --pid-file="$MD/$1/pid" --log-file="$MD/$1/log" --seed-file="$MD/$1/seed" \
        >"$MD/$1/out" 2>&1 || { cat "$MD/$1/out" "$MD/$1/log" 2>/dev/null; return 1; }
    within 10 test -S "$MD/$1/sock"
}
stop_munged () {
    [ -f "$MD/$1/pid" ] && kill "$(cat "$MD/$1/pid")" 2>/dev/null
    rm -f "$MD/$1/pid"
}

start_munged A >"$TMP/munged" 2>&1; _report $? "munged A starts on its own socket" "$TMP/munged"
start_munged B >"$TMP/munged" 2>&1; _report $? "munged B (another key) starts" "$TMP/munged"
SA=$MD/A/sock
SB=$MD/B/sock

# the security config, as /etc/eddy/security/conf.d/sign.toml would be
mkdir "$TMP/conf"
cat >"$TMP/conf/sign.toml" <<EOF
[sign]
default-type = "munge"
allowed-types = ["munge"]
munge-socket = "$SA"
max-ttl = 5
EOF
ok "eddy config check accepts the [sign] table" eddy config check "$TMP/conf"
printf '[sign]\nmax-ttl = 0\n' >"$TMP/bad.toml"
fails "and refuses max-ttl 0" eddy config check "$TMP/bad.toml"
has "$TMP/out" 'sign.max-ttl: must be > 0' "naming the key"

# A jobspec in the canonical form eddy signs (compact, keys sorted)
cat >"$TMP/js.yaml" <<'YAML'
version: 1
resources:
  - type: slot
    count: 1
    label: task
    with:
      - type: core
        count: 1
tasks:
  - command: ["echo", "signed"]
    slot: task
    count:
      per_slot: 1
attributes:
  system:
    duration: 0
YAML
eddy jobspec convert --level=v1 "$TMP/js.yaml" | tr -d '\n' >"$TMP/js.json"
sed 's/"signed"/"other"/' "$TMP/js.json" >"$TMP/other.json"
munge -S "$SA" --input="$TMP/js.json" --output="$TMP/J.old"
munge -S "$SB" --input="$TMP/js.json" --output="$TMP/J.keyB"
sleep 7 # J.old is now older than max-ttl 5 s
munge -S "$SA" --input="$TMP/js.json" -U 65534 --output="$TMP/J.user" 2>"$TMP/J.user.err" ||
    { command -v runuser >/dev/null &&
          runuser -u nobody -- munge -S "$SA" <"$TMP/js.json" >"$TMP/J.user"; }

cat >"$TMP/sign.sh" <<SH
id=\$(eddy submit --wait echo hello) && echo "signed rc=0"
eddy job info \$id J | grep -q '^"MUNGE:' && echo "J stored"
eddy job attach \$id
id=\$(eddy job submit --signed="$TMP/J.fresh" "$TMP/js.json") && eddy job attach \$id
eddy job submit --signed="$TMP/J.old" "$TMP/js.json"; echo "old rc=\$?"
eddy job submit --signed="$TMP/J.user" "$TMP/js.json"; echo "user rc=\$?"
eddy job submit --signed="$TMP/J.fresh" "$TMP/other.json"; echo "bytes rc=\$?"
eddy job submit --signed="$TMP/J.keyB" "$TMP/js.json"; echo "key rc=\$?"
eddy job submit "$TMP/js.json" >/dev/null && echo "job submit signs"
EDDY_SIGN_TYPE=none eddy submit true; echo "none rc=\$?"
eddy jobs -a -n | wc -l | sed 's/^/count before: /'
kill \$(cat "$MD/A/pid")
timeout 20 eddy submit true; echo "down rc=\$?"
timeout 20 eddy job submit --signed="$TMP/J.fresh" "$TMP/js.json"; echo "ingest down rc=\$?"
eddy jobs -a -n | wc -l | sed 's/^/count after: /'
SH
munge -S "$SA" --input="$TMP/js.json" --output="$TMP/J.fresh"
(cd "$TMP" && EDDY_SECURITY_CONFIG_PATH="$TMP/conf" timeout 120 eddy start sh sign.sh) \
    >"$TMP/run" 2>&1
has "$TMP/run" '^signed rc=0$' "eddy submit signs with munge and the job runs"
has "$TMP/run" '^hello$' "its output"
has "$TMP/run" '^J stored$' "J (the MUNGE credential) is kept beside the jobspec"
has "$TMP/run" '^signed$' "a credential made with munge(1) over the jobspec is accepted"
has "$TMP/run" '^job submit signs$' "eddy job submit signs too"
has "$TMP/run" 'signature expired \(older than max-ttl 5 s\)' "an old credential: expired"
has "$TMP/run" '^old rc=1$' "and refused"
if [ -s "$TMP/J.user" ]; then
    has "$TMP/run" "signed by uid 65534, not $(id -u)" "another user's credential: says whose"
    has "$TMP/run" '^user rc=1$' "and refused"
else
    echo "ok $((T_N + 1)) # skip cannot make a credential as another user (not root)"
fi
has "$TMP/run" 'signature is over other bytes than the jobspec' \
    "a credential over other bytes: says so"
has "$TMP/run" '^bytes rc=1$' "and refused"
has "$TMP/run" 'credential rejected: key mismatch' "a credential from another key: key mismatch"
has "$TMP/run" '^key rc=1$' "and refused"
has "$TMP/run" 'the jobspec must be signed \(allowed-types: munge\)' \
    "an unsigned submission is refused when only munge is allowed"
has "$TMP/run" '^none rc=1$' "with exit 1"
has "$TMP/run" "cannot connect to munged at $SA \\(is munged running\\?\\)" \
    "munged stopped: a clear message"
has "$TMP/run" '^down rc=1$' "exit 1, no hang (timeout would say 124)"
has "$TMP/run" "js.json: cannot connect to munged at $SA \\(is munged running\\?\\)" \
    "a signed job that reaches job-ingest while munged is down: the same message"
has "$TMP/run" '^ingest down rc=1$' "exit 1, no hang"
b=$(sed -n 's/^count before: //p' "$TMP/run")
a=$(sed -n 's/^count after: //p' "$TMP/run")
[ -n "$b" ] && [ "$b" = "$a" ]; _report $? "nothing stored for the refused job ($b jobs, then $a)" "$TMP/run"
[ "$b" = 3 ]; _report $? "only the three good submissions are jobs ($b)" "$TMP/run"

# A single-user instance without [sign] needs no munged at all
(cd "$TMP" && timeout 60 eddy start sh -c 'eddy run echo unsigned') >"$TMP/plain" 2>&1
has "$TMP/plain" '^unsigned$' "without [sign], a single-user instance runs unsigned jobs"
printf '[access]\nallow-guest-user = true\n' >"$TMP/access.toml"
mkdir "$TMP/sec2"
printf '[sign]\ndefault-type = "none"\n' >"$TMP/sec2/sign.toml"
(cd "$TMP" && EDDY_SECURITY_CONFIG_PATH="$TMP/sec2" timeout 60 \
    eddy start --config-path="$TMP/access.toml" true) >"$TMP/multi" 2>&1
[ $? -ne 0 ]; _report $? "'none' with guests allowed: the instance refuses to start" "$TMP/multi"
has "$TMP/multi" "'none' is allowed only in a single-user instance" "and says why"
printf '[sign]\nmax-ttl = 60\n' >"$TMP/both.toml"
(cd "$TMP" && EDDY_SECURITY_CONFIG_PATH="$TMP/conf" timeout 60 \
    eddy start --config-path="$TMP/both.toml" true) >"$TMP/both" 2>&1
[ $? -ne 0 ]; _report $? "[sign] in both the instance's and the security config: refused" "$TMP/both"
has "$TMP/both" 'is set in the instance.s config too' "and says so"
mkdir "$TMP/sec3"
printf '[queues.batch]\n' >"$TMP/sec3/q.toml"
(cd "$TMP" && EDDY_SECURITY_CONFIG_PATH="$TMP/sec3" timeout 60 eddy start true) >"$TMP/sec3.out" 2>&1
[ $? -ne 0 ]; _report $? "another table in the security config: refused" "$TMP/sec3.out"
has "$TMP/sec3.out" 'does not belong in the security config' "and says so"

finish
