#!/usr/bin/env bash
# The configurations eddy installs are valid as they are, and the unit
# starts the installed broker in system mode as the eddy user.
set -u
: "${EDDY_BUILDDIR:?run through make check}" "${EDDY_SRCDIR:?}"
fail=0
check () { # WHAT CMD...
    local what=$1; shift
    if "$@" >/tmp/eddy-configs.$$ 2>&1; then echo "ok - $what"; else
        echo "not ok - $what"; sed 's/^/#   /' /tmp/eddy-configs.$$; fail=1; fi
}
check "etc/conf.d is a valid conf.d" "$EDDY_BUILDDIR/cmd/eddy" config check "$EDDY_SRCDIR/etc/conf.d"
for f in "$EDDY_SRCDIR"/etc/examples/*.toml; do
    check "$(basename "$f") is valid" "$EDDY_BUILDDIR/cmd/eddy" config check "$f"
done
unit="$EDDY_BUILDDIR/etc/eddy.service"
check "the unit is Type=notify" grep -qx 'Type=notify' "$unit"
check "the unit runs the installed eddy-broker --system" grep -Eqx 'ExecStart=/.*/bin/eddy-broker --system' "$unit"
check "the unit reloads with SIGHUP" grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit"
check "the unit runs as eddy" grep -qx 'User=eddy' "$unit"
check "the unit delegates its cgroup (a cgroup per job)" grep -qx 'Delegate=yes' "$unit"
check "no @VARIABLE@ is left" sh -c "! grep -q '@[a-z]*@' '$unit'"
rm -f /tmp/eddy-configs.$$
exit $fail
