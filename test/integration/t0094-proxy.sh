#!/usr/bin/env bash
# ssh:// URIs and eddy proxy against a running instance, through a real
# sshd the test starts on 127.0.0.1 (root only, as the keys and sshd's
# checks need; skipped without Debian's openssh-server): eddy jobs and
# eddy submit reach the instance through ssh; the broker sees the ssh
# user; a bad host or URI fails with a message.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null; then
    echo "ok 1 # skip needs root and Debian's openssh-server (sshd) and openssh-client"
    finish
    exit $?
fi
cd "$TMP" || exit 1
ssh-keygen -q -t ed25519 -N '' -f host_key && ssh-keygen -q -t ed25519 -N '' -f user_key
cp user_key.pub authorized_keys && chmod 600 authorized_keys
port=$((20000 + $$ % 20000))
cat >sshd_config <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $TMP/host_key
AuthorizedKeysFile $TMP/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile $TMP/sshd.pid
CONF
mkdir -p /run/sshd
ok "sshd starts on 127.0.0.1:$port with the test's keys" /usr/sbin/sshd -f "$TMP/sshd_config" -E "$TMP/sshd.log"
trap 'kill $(cat "$TMP/sshd.pid" 2>/dev/null) 2>/dev/null; rm -rf "$TMP"' EXIT
export EDDY_SSH="ssh -i $TMP/user_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
export EDDY_SSH_RCMD=$EDDY_BUILDDIR/cmd/eddy
within 10 ssh -p "$port" -i user_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR -o BatchMode=yes root@127.0.0.1 true
_report $? "ssh to it works" "$TMP/sshd.log"
cat >run.sh <<SH
p=\${EDDY_URI#local://}
eddy submit --quiet --wait --job-name=here true
EDDY_URI=ssh://root@127.0.0.1:$port\$p eddy jobs -a -n -o '{name} {result}' >direct.out; echo "direct rc=\$?"
eddy proxy ssh://root@127.0.0.1:$port\$p sh -c 'echo "\$EDDY_URI" >proxy.uri; eddy submit --quiet --wait --job-name=via-proxy true && eddy jobs -a -n -o "{name} {userid}" && eddy exec -r 0 id -u' >proxy.out; echo "proxy rc=\$?"
eddy jobs -a -n -o '{name}' >after.out
eddy proxy ssh://root@127.0.0.1:$port\$p sh -c 'exit 7'; echo "status rc=\$?"
EDDY_URI=ssh://root@nohost.invalid\$p eddy jobs 2>nohost.err; echo "nohost rc=\$?"
EDDY_URI=ssh://root@127.0.0.1:$port/no/such/socket eddy jobs 2>nosock.err; echo "nosock rc=\$?"
eddy proxy ssh://127.0.0.1 true 2>nopath.err; echo "nopath rc=\$?"
eddy proxy ssh://root@127.0.0.1:xx/p true 2>badport.err; echo "badport rc=\$?"
SH
ok "an instance runs the proxy script" timeout 120 eddy start sh run.sh
cp "$TMP/out" run.log
has run.log '^direct rc=0$' "EDDY_URI=ssh://... eddy jobs exits 0"
has direct.out '^here COMPLETED$' "and lists the instance's job"
has run.log '^proxy rc=0$' "eddy proxy ssh://... runs its command"
has proxy.uri '^local:///.*/eddy-proxy\.[^/]*/local$' "with EDDY_URI a private local socket"
has proxy.out "^via-proxy $(id -u)$" "a job submitted through the proxy is the ssh user's"
has after.out '^via-proxy$' "and is in the instance"
has run.log '^status rc=7$' "the proxy's status is its command's"
has run.log '^nohost rc=1$' "an unknown host fails"
has run.log '^nosock rc=1$' "a socket that does not exist fails"
has run.log '^nopath rc=1$' "a URI without a socket path is refused"
has nopath.err 'expected ssh://\[USER@\]HOST\[:PORT\]/PATH' "saying what was expected"
has run.log '^badport rc=1$' "a port that is not a number is refused"
ok "the proxy left no socket directory behind" sh -c "! ls -d \"\${TMPDIR:-/tmp}\"/eddy-proxy.* 2>/dev/null | grep -q \"\$(sed 's|^local://||; s|/local\$||' proxy.uri)\""
finish
