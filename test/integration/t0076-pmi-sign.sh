#!/usr/bin/env bash
# PMI values signed with MUNGE by the brokers that put them (a munged of
# the test's own).  A nested instance (eddy batch -N 2) boots and runs its
# script with signing on.  Against a PMI server that lies (pmi-fake.py):
# another key's value, the server's own value, a value replayed from
# another job are each refused by the broker that gets it, with a clear
# message, a PMI abort and exit 1; a server of another uid gets signing
# without any option; the CURVE secret never passes the server in clear
# (and the server's uid cannot decode its credential), unlike with
# --pmi-sign=none.
. "$(dirname "$0")/lib.sh"

if ! command -v munged >/dev/null || ! command -v unmunge >/dev/null; then
    echo "ok 1 # skip munged and unmunge(1) are not installed (Debian package munge)"
    exit 0
fi
FAKE=$EDDY_SRCDIR/test/integration/pmi-fake.py
MD=$(mktemp -d "${TMPDIR:-/tmp}/eddy-munge.XXXXXX")
chmod 0755 "$MD"
trap 'munged_stop "$MD/m"; rm -rf "$TMP" "$MD"' EXIT
munged_start "$MD/m" >"$TMP/munged" 2>&1
_report $? "munged starts on its own socket" "$TMP/munged"
SOCK=$MD/m/sock
mkdir "$TMP/sec" "$TMP/child"
printf '[sign]\nmunge-socket = "%s"\n' "$SOCK" >"$TMP/sec/sign.toml"
export EDDY_SECURITY_CONFIG_PATH=$TMP/sec

# (1) eddy batch -N 2: the child's brokers sign and verify (munged answers)
cat >"$TMP/inner.sh" <<'SH'
#!/bin/sh
echo "sign $(eddy getattr broker.pmi-sign)"
echo "size $(eddy getattr size)"
eddy run -N 2 -n 2 true && echo "inner run ok"
SH
cat >"$TMP/outer.sh" <<SH
export TMPDIR=$TMP/child
id=\$(eddy batch -N 2 --env=EDDY_PMI_DEBUG=1 --output=b.out --error=b.err inner.sh)
eddy job wait \$id; echo "batch rc=\$?"
SH
(cd "$TMP" && timeout 300 eddy start --size 2 sh outer.sh) >"$TMP/batch" 2>&1
_report $? "a 2-broker instance runs eddy batch -N 2" "$TMP/batch"
has "$TMP/batch" '^batch rc=0$' "the batch job ends with its script's status 0"
touch "$TMP/b.out" "$TMP/b.err"
has "$TMP/b.out" '^sign munge$' "the child's brokers signed their PMI values (broker.pmi-sign munge)"
has "$TMP/b.out" '^size 2$' "the child has its 2 brokers"
has "$TMP/b.out" '^inner run ok$' "and runs a job across them"
has "$TMP/b.err" 'key=eddy.curve-secret value=MUNGE:' "the CURVE secret went through PMI as a credential"
hasnt "$TMP/b.err" 'key=eddy\.[a-z.0-9-]* value=[^M]' "no value went through PMI in clear"

# (2) a PMI server that lies to a 2-task job of `eddy start`
fake () { # NAME [pmi-fake options...] -- the job's tasks: eddy start ...
    local name=$1; shift
    timeout 60 python3 "$FAKE" --size 2 --log "$TMP/$name.log" "$@" \
        sh -c 'eddy getattr broker.pmi-sign; eddy overlay status' >"$TMP/$name.out" 2>&1
    echo "rc=$?" >>"$TMP/$name.out"
}
fake honest --kvsname kvs_A --save "$TMP/kvsA.json" -- eddy start --pmi-sign=munge
has "$TMP/honest.out" '^rc=0$' "an honest server: the 2-broker instance boots and its command runs"
has "$TMP/honest.out" '^munge$' "with its PMI values signed"
has "$TMP/honest.out" '1 .*: full' "rank 1 joined rank 0 over the overlay"

fake swap --swap eddy.tbon.0=eddy.curve-public -- eddy start --pmi-sign=munge
has "$TMP/swap.out" 'eddy-broker\[1\]: PMI eddy\.tbon\.0: signed as the value of eddy\.curve-public: the PMI server substituted another key.s value' \
    "another key's (signed) value for eddy.tbon.0: rank 1 says so"
has "$TMP/swap.log" '^1 -> cmd=abort exitcode=1 eddy-broker rank 1: PMI eddy.tbon.0: signed as the value of' \
    "and aborts the job through PMI"
has "$TMP/swap.log" '^exit 1 1$' "rank 1 exits 1"

fake plain --replace eddy.tbon.0=tcp://127.0.0.1:9 -- eddy start --pmi-sign=munge
has "$TMP/plain.out" 'eddy-broker\[1\]: PMI eddy\.tbon\.0: the value is not signed \(it is the PMI server.s, not a broker.s of this job\): refused' \
    "the server's own endpoint for eddy.tbon.0: refused as unsigned"
has "$TMP/plain.log" '^exit 1 1$' "rank 1 exits 1"

fake replay --kvsname kvs_B --replay "$TMP/kvsA.json" -- eddy start --pmi-sign=munge
has "$TMP/replay.out" 'eddy-broker\[1\]: PMI eddy\.curve-public: signed for job \(kvsname\) kvs_A, not kvs_B: a value replayed from another job' \
    "values replayed from another job (kvs_A in kvs_B): refused"
has "$TMP/replay.log" '^exit 1 1$' "rank 1 exits 1"

# a server of another uid (nobody, as the instance's account would be):
# signing without --pmi-sign, and an unsigned value refused
fake other --server-uid 65534 --kvsname kvs_O -- eddy start
has "$TMP/other.out" '^rc=0$' "a server of another uid: the instance boots without --pmi-sign"
has "$TMP/other.out" '^munge$' "and signs (auto: the socket's peer is another user)"
fake otherplain --server-uid 65534 --replace eddy.tbon.0=tcp://127.0.0.1:9 -- eddy start
has "$TMP/otherplain.out" 'PMI eddy\.tbon\.0: the value is not signed' \
    "and refuses that server's own value without --pmi-sign"
has "$TMP/otherplain.log" '^exit 1 1$' "rank 1 exits 1"

# (3) the CURVE secret never in clear (the server of another uid, no
# option): take it out of its credential (as root, who may), then look
# for it in all the server saw
sed -n 's/^0 -> cmd=put kvsname=kvs_O key=eddy.curve-secret value=//p' "$TMP/other.log" >"$TMP/cred"
has "$TMP/cred" '^MUNGE:' "rank 0 put the secret as a MUNGE credential"
unmunge -S "$SOCK" --metadata=/dev/null <"$TMP/cred" >"$TMP/payload" 2>"$TMP/unmunge.err"
secret=$(sed -n 5p "$TMP/payload")
ok "the secret's credential binds the format, kvsname, rank 0 and the key" \
    test "$(head -4 "$TMP/payload" | tr '\n' ' ')" = "eddy-pmi-sign 1 kvs_O 0 eddy.curve-secret "
ok "and holds a 40-character CURVE key" test "${#secret}" -eq 40
[ "${#secret}" -eq 40 ] || secret="no secret decoded"
fails "it is nowhere in what the server read or wrote" grep -qF -e "$secret" "$TMP/other.log"
fails "the server's uid (nobody) cannot decode the credential" \
    sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups unmunge -S '$SOCK' <'$TMP/cred'"
has "$TMP/out" 'Unauthorized' "munged says it is unauthorized"
fake clear --kvsname kvs_C -- eddy start --pmi-sign=none
secret=$(sed -n 's/^0 -> cmd=put kvsname=kvs_C key=eddy.curve-secret value=//p' "$TMP/clear.log")
ok "with --pmi-sign=none the secret is in clear (the check above can see it)" \
    test "${#secret}" -eq 40
has "$TMP/clear.out" '^none$' "and broker.pmi-sign is none"
# (4) the batch script of a nested instance whose parent is not trusted
# (--pmi-sign=munge here; by default a PMI server of another user) is the
# one in the job's signed J, not the parent's copy of the jobspec: held
# jobs whose stored jobspec (and J) the parent then rewrites
mkdir "$TMP/sec4"
printf '[sign]\nmunge-socket = "%s"\ndefault-type = "munge"\n' "$SOCK" >"$TMP/sec4/sign.toml"
cat >"$TMP/rewrite.sh" <<SH
export TMPDIR=$TMP/child
held () { # NAME PMI-SIGN [forge]: a held batch job, its jobspec rewritten
    id=\$(eddy submit --urgency=0 -N 2 -n 2 --output=\$1.out \\
        --setattr=batch.script="\$(printf '#!/bin/sh\\necho the signed script')" \\
        eddy start --pmi-sign=\$2 --batch)
    key=\$(eddy job id --to=kvs \$id)
    eddy job info \$id jobspec | sed 's/echo the signed script/echo the parent script/' >js.json
    eddy kvs put "\$key.jobspec=\$(cat js.json)"
    if [ "\${3-}" = forge ]; then
        # a J over the rewritten jobspec, by another user (nobody)
        setpriv --reuid=65534 --regid=65534 --clear-groups munge -S $SOCK <js.json >J.forged
        eddy kvs put "\$key.J=\$(cat J.forged)"
    fi
    eddy job urgency \$id default
    eddy job wait \$id; echo "\$1 rc=\$?"
}
held signed munge
held unverified none
held forged munge forge
SH
(cd "$TMP" && EDDY_SECURITY_CONFIG_PATH=$TMP/sec4 timeout 300 eddy start --size 2 sh rewrite.sh) \
    >"$TMP/rewrite" 2>&1
_report $? "held batch jobs with their stored jobspec rewritten by the parent" "$TMP/rewrite"
touch "$TMP/signed.out" "$TMP/unverified.out" "$TMP/forged.out"
has "$TMP/rewrite" '^signed rc=0$' "a batch job, parent not trusted: it runs"
has "$TMP/signed.out" '^the signed script$' "the script that ran is the signed one (from J)"
hasnt "$TMP/signed.out" 'the parent script' "not the one the parent stored"
has "$TMP/unverified.out" '^the parent script$' "with --pmi-sign=none the parent's copy runs (what the check stops)"
has "$TMP/rewrite" '^forged rc=[1-9]' "a J the parent replaced by another user's: the job fails"
has "$TMP/rewrite" 'exception exec: .*eddy start: job .*: J: signed by uid 65534, not 0 \(this instance.s user\)' \
    "with a clear message (the PMI abort's, in the job's exception)"
hasnt "$TMP/forged.out" 'the parent script' "and the parent's script does not run"

fails "a bad --pmi-sign is refused" eddy start --pmi-sign=maybe true
has "$TMP/out" "eddy-start: --pmi-sign: 'maybe' is not auto, munge or none" "with a clear message"

finish
