# lib.sh - a small harness for integration scripts that boot real
# instances.  Each check prints "ok N - what" or "not ok N - what" (with
# the command's output); `finish` prints "N passed, N failed" and sets the
# exit status.
set -u
: "${EDDY_BUILDDIR:?run through make check}"
export PATH="$EDDY_BUILDDIR/cmd:$EDDY_BUILDDIR/bench:$PATH"
unset EDDY_URI
T_PASS=0
T_FAIL=0
T_N=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/eddy-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

_report () { # status what logfile
    T_N=$((T_N + 1))
    if [ "$1" -eq 0 ]; then
        T_PASS=$((T_PASS + 1)); echo "ok $T_N - $2"
    else
        T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $2"
        sed 's/^/#   /' "$3" | tail -30
    fi
}

# within S CMD...: poll CMD (quietly) every 0.1 s until it succeeds, for
# up to S seconds; fails if it never does
within () {
    local end=$(($(date +%s) + $1)); shift
    while [ "$(date +%s)" -lt "$end" ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# ok WHAT CMD...: CMD must succeed
ok () {
    local what=$1; shift
    "$@" >"$TMP/out" 2>&1
    _report $? "$what" "$TMP/out"
}

# fails WHAT CMD...: CMD must exit nonzero
fails () {
    local what=$1; shift
    "$@" >"$TMP/out" 2>&1
    local rc=$?
    [ $rc -ne 0 ]; _report $? "$what (exit $rc)" "$TMP/out"
}

# has FILE PATTERN WHAT: FILE contains a line matching the extended regex
has () {
    grep -Eq -- "$2" "$1"; _report $? "$3" "$1"
}

# hasnt FILE PATTERN WHAT: no line of FILE matches the extended regex
hasnt () {
    ! grep -Eq -- "$2" "$1"; _report $? "$3" "$1"
}

# csv_columns FILE NAME...: the named columns of a CSV file whose first
# line names them, in the order asked, one line per row, separated by
# spaces; fails if the header lacks a name.
csv_columns () {
    local file=$1; shift
    awk -F, -v want="$*" '
        NR == 1 {
            n = split (want, w, " ")
            for (i = 1; i <= NF; i++) col[$i] = i
            for (k = 1; k <= n; k++)
                if (!(w[k] in col)) { print "no column " w[k] >"/dev/stderr"; exit 1 }
            next
        }
        { for (k = 1; k <= n; k++) printf "%s%s", $col[w[k]], k < n ? " " : "\n" }' "$file"
}

# alive PID: the process exists and is not a zombie
alive () {
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$st" ] && [ "$st" != Z ]
}

# gone_within SECONDS PID...: polls (every 0.05 s) until none of the
# processes is alive; fails if one still is after SECONDS
gone_within () {
    local n p left
    n=$(awk -v s="$1" 'BEGIN { print int (s * 20) }'); shift
    for _ in $(seq 0 "$n"); do
        left=
        for p in "$@"; do alive "$p" && left="$left $p"; done
        [ -z "$left" ] && return 0
        sleep 0.05
    done
    echo "still alive:$left" >&2
    return 1
}

# munged_start DIR: a munged of the test's own, with a new key, its socket
# DIR/sock (DIR is made 0755: munged checks the directories above its
# socket, and other users must reach it); munged_stop DIR stops it and
# waits (it writes its seed file as it exits).  Needs munged (package munge).
munged_start () {
    mkdir -p "$1" && chmod 0755 "$1"
    dd if=/dev/urandom of="$1/key" bs=1 count=1024 2>/dev/null
    chmod 0600 "$1/key"
    munged --force --key-file="$1/key" --socket="$1/sock" --pid-file="$1/pid" \
        --log-file="$1/log" --seed-file="$1/seed" >"$1/out" 2>&1 ||
        { cat "$1/out" "$1/log" 2>/dev/null; return 1; }
    within 10 test -S "$1/sock"
}
munged_stop () {
    local p
    p=$(cat "$1/pid" 2>/dev/null) || return 0
    kill "$p" 2>/dev/null && gone_within 5 "$p"
    rm -f "$1/pid"
}

finish () {
    echo "$T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
}
