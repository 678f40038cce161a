#!/usr/bin/env bash
# mkroot.sh DIR: a minimal Debian 12 root for test/systemd/t-systemd.sh,
# with systemd, dbus, procps (for the unit's /bin/kill) and the libraries
# eddy's package depends on, so installing the .deb needs no network.
# It is built in DIR.tmp and renamed, so an interrupted run leaves no
# half-made root behind; an existing DIR is kept (the cache).
#   EDDY_DEBIAN_MIRROR  mirror for debootstrap (default deb.debian.org)
set -euo pipefail
dir=${1:?usage: mkroot.sh DIR}
[ -x "$dir/lib/systemd/systemd" ] && exit 0
command -v debootstrap >/dev/null || {
    echo "mkroot: debootstrap is missing (apt-get install -y debootstrap)" >&2; exit 1; }
mirror=${EDDY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
libs="libzmq5,libjansson4,libsodium23,libev4,libsqlite3-0,libhwloc15,libmunge2,libyaml-0-2,zlib1g"
mkdir -p "$(dirname "$dir")"
rm -rf "$dir.tmp"
debootstrap --variant=minbase --include="systemd,dbus,procps,passwd,$libs" \
    bookworm "$dir.tmp" "$mirror" >"$dir.log" 2>&1 || {
    echo "mkroot: debootstrap failed; see $dir.log" >&2; exit 1; }
rm -rf "$dir"
mv "$dir.tmp" "$dir"
