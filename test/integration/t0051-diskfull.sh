#!/usr/bin/env bash
# The disk fills up under a running instance (its state directory is a
# small tmpfs, filled by a filler file and freed by deleting it), with
# submits, urgency changes and cancels going on and restarts in between:
# while it is full, requests fail with the store's error and eddy jobs
# shows only what is stored; a job whose allocation was not stored is not
# started; afterwards every acknowledged operation is in the eventlogs,
# no refused one is, no job ran twice (each job appends its id to a file
# outside the tmpfs) and every job's listed state is what its eventlog
# says.

# The tmpfs is mounted in a mount namespace of this script's own (as root,
# or as the mapped root of a user namespace), so it cannot outlive it.
if [ -z "${T0051_NS:-}" ]; then
    ns=(-m)
    [ "$(id -u)" -eq 0 ] || ns=(-r -m)
    if ! unshare "${ns[@]}" true 2>/dev/null; then
        echo "skipped: cannot make a mount namespace (needs root or user namespaces)"
        exit 77
    fi
    T0051_NS=1 exec unshare "${ns[@]}" "$BASH" "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

state="$TMP/state"
mkdir -p "$state"
if ! mount -t tmpfs -o size=16m tmpfs "$state"; then
    echo "skipped: cannot mount a tmpfs"
    exit 77
fi
trap 'umount "$state" 2>/dev/null; rm -rf "$TMP"' EXIT
export T="$TMP"
: >"$TMP/acked"
: >"$TMP/refused"
: >"$TMP/side"

# What every instance's script uses: fill/free the disk, and operations
# that record whether they were acknowledged.  Urgency values are unique
# across the test, so each attempt can be looked for in the eventlogs.
cat >"$TMP/ops.sh" <<'SH'
fill () { dd if=/dev/zero of="$T/state/filler" bs=4k >/dev/null 2>&1; sync; }
unfill () { rm -f "$T/state/filler"; }
job () { # [--sleep S] OPTIONS...: submit a job that appends its id to the side file
    local id d=0
    if [ "${1:-}" = --sleep ]; then d=$2; shift 2; fi
    if id=$(eddy submit "$@" sh -c 'sleep "$1"; echo $EDDY_JOB_ID >> "$0"' "$T/side" "$d" \
                2>>"$T/errs"); then
        echo "submit $(eddy job id "$id")" >>"$T/acked"
        echo "$id"
    else
        echo "submit -" >>"$T/refused"
        return 1
    fi
}
next_urgency () {
    local v=$(($(cat "$T/uval" 2>/dev/null || echo 0) + 1))
    [ "$v" -eq 16 ] && v=17
    echo "$v" >"$T/uval"
    echo "$v"
}
urg () { # ID: a new urgency
    local v
    v=$(next_urgency)
    if eddy job urgency "$1" "$v" 2>>"$T/errs"; then
        echo "urgency $(eddy job id "$1") $v" >>"$T/acked"
    else
        echo "urgency $(eddy job id "$1") $v" >>"$T/refused"
        return 1
    fi
}
can () { # ID (each job is canceled at most once)
    if eddy job cancel "$1" 2>>"$T/errs"; then
        echo "cancel $(eddy job id "$1")" >>"$T/acked"
    else
        echo "cancel $(eddy job id "$1")" >>"$T/refused"
        return 1
    fi
}
state_of () { eddy jobs -a -n -o '{id.f58} {state}' | awk -v id="$1" '$1 == id { print $2 }'; }
SH

# 1. A job holds both cores for 3 s with others queued behind it and held
# ones beside; the disk fills; the requests meanwhile fail; the blocker
# ends on a full disk, and the instance stops before any space is back.
cat >"$TMP/one.sh" <<'SH'
. "$T/ops.sh"
b=$(job --sleep 3 -c 2) || exit 1
echo "$b" >"$T/blocker"
w1=$(job) && w2=$(job) || exit 1
echo "$w1 $w2" >"$T/waiting"
h1=$(job --urgency=0) && h2=$(job --urgency=0) && h3=$(job --urgency=0) || exit 1
echo "$h1 $h2 $h3" >"$T/held"
urg "$h1" || exit 1
for i in $(seq 1 100); do [ "$(state_of "$b")" = RUN ] && break; sleep 0.05; done
fill
urg "$h2"; echo "full: urgency rc=$?"
can "$h3"; echo "full: cancel rc=$?"
can "$w2"; echo "full: cancel waiting rc=$?"
job; echo "full: submit rc=$?"
# the blocker ends now, on the full disk
sleep 3.5
echo "blocker: $(state_of "$b")"
echo "waiting: $(state_of "$w1") $(state_of "$w2")"
# (last: where it is acted on, it cancels the held jobs)
eddy job cancelall -f -s pending 2>>"$T/errs"; echo "full: cancelall rc=$?"
SH
(cd "$TMP" && timeout 120 eddy start --statedir "$state" sh one.sh) >"$TMP/one" 2>&1
_report $? "the first instance runs until the disk is full and stops on a full disk" "$TMP/one"
cat "$TMP/errs" >>"$TMP/one"
has "$TMP/one" '^full: urgency rc=[1-9]' "an urgency change on a full disk fails"
has "$TMP/one" '^full: cancel rc=[1-9]' "so does a cancel"
has "$TMP/one" '^full: cancel waiting rc=[1-9]' "of a queued job too"
has "$TMP/one" '^full: submit rc=[1-9]' "and a submit"
has "$TMP/one" '^full: cancelall rc=[1-9]' "and a cancelall"
has "$TMP/errs" 'eddy-job: .*(No space left on device|disk is full)' \
    "the client of a refused request is told the store's error"
has "$TMP/one" '^blocker: RUN$' "eddy jobs does not show the blocker's end, which is not stored"
has "$TMP/one" '^waiting: SCHED SCHED$' \
    "the queued jobs are not started while the blocker's end and their allocations are not stored"

unfill () { rm -f "$state/filler"; }
unfill

# 2. Back with space: the requests work, the queued jobs run; the disk
# fills again under running jobs and is freed within the instance.  (h3,
# whose cancel was refused, stays held to the end.)
cat >"$TMP/two.sh" <<'SH'
. "$T/ops.sh"
read -r h1 h2 h3 <"$T/held"
read -r w1 w2 <"$T/waiting"
for w in $w1 $w2; do eddy job wait "$w" >/dev/null 2>&1; done
echo "blocker after restart: $(state_of "$(cat "$T/blocker")")"
urg "$h2"; echo "space: urgency rc=$?"
s1=$(job --sleep 2 -c 2) || exit 1
s2=$(job) && s3=$(job --urgency=0) || exit 1
for i in $(seq 1 100); do [ "$(state_of "$s1")" = RUN ] && break; sleep 0.05; done
eddy kvs put test.value=1 || exit 1
fill
eddy kvs put test.value=2 test.other=3; echo "full again: kvs put rc=$?"
echo "full again: kvs get $(eddy kvs get test.value) $(eddy kvs get test.other 2>&1 >/dev/null | wc -l)"
urg "$s3"; echo "full again: urgency rc=$?"
can "$s2"; echo "full again: cancel rc=$?"
sleep 2.5
unfill
# the job manager tries again within 5 s: s1's end is stored then, and
# requests work again
for i in $(seq 1 200); do [ "$(state_of "$s1")" = INACTIVE ] && break; sleep 0.1; done
urg "$s3"; echo "freed: urgency rc=$?"
for j in $s1 $s2 $s3 $h1 $h2; do eddy job wait "$j" >/dev/null 2>&1; done
eddy kvs put test.value=4 test.other=5; echo "freed: kvs put rc=$?"
s5=$(job --urgency=0) || exit 1
can "$s5"; echo "freed: cancel rc=$?"
eddy job wait "$s5" >/dev/null 2>&1
s4=$(job) && eddy job wait "$s4" >/dev/null 2>&1
echo "submit after: rc=$?"
SH
(cd "$TMP" && timeout 120 eddy start --statedir "$state" sh two.sh) >"$TMP/two" 2>&1
_report $? "the second instance starts on the same state, with space" "$TMP/two"
has "$TMP/two" '^blocker after restart: INACTIVE$' \
    "the blocker, whose end was never stored, ends with the restart"
has "$TMP/two" '^space: urgency rc=0$' "with space an urgency change works"
has "$TMP/two" '^full again: urgency rc=[1-9]' "on a full disk again it fails"
has "$TMP/two" '^full again: cancel rc=[1-9]' "and so does a cancel"
has "$TMP/two" '^full again: kvs put rc=[1-9]' "a KVS commit on a full disk fails"
has "$TMP/two" '^full again: kvs get 1 1$' "and leaves the KVS as it was (no part of it seen)"
has "$TMP/two" '^freed: kvs put rc=0$' "once space is back, KVS commits work"
has "$TMP/two" '^freed: urgency rc=0$' "and so do requests"
has "$TMP/two" '^freed: cancel rc=0$' "a cancel too"
has "$TMP/two" '^submit after: rc=0$' "and jobs run"
unfill

# 3. A last instance reads everything back.
cat >"$TMP/three.sh" <<'SH'
echo "kvs after restarts: $(eddy kvs get test.value) $(eddy kvs get test.other)"
eddy jobs -a -n -o '{id.f58} {state} {result}' >"$T/jobs"
while read -r id; do
    echo "== $(eddy job id "$id")"
    eddy job eventlog "$id"
done < <(awk '{ print $1 }' "$T/jobs") >"$T/eventlogs"
SH
(cd "$TMP" && timeout 120 eddy start --statedir "$state" bash three.sh) >"$TMP/three" 2>&1
_report $? "a third instance lists the jobs and their eventlogs" "$TMP/three"
has "$TMP/three" '^kvs after restarts: 4 5$' "what the KVS acknowledged is there after the restarts"
has "$TMP/errs" 'No space left on device' "the client sees ENOSPC's words"

# the eventlogs, one line per entry: DECID NAME CONTEXT
awk '/^== / { id = $2; next } { print id, $0 }' "$TMP/eventlogs" |
    sed -E 's/^([0-9]+) \{"timestamp":[^,]*,"name":"([a-z-]+)"(,"context":)?(.*)\}$/\1 \2 \4/' \
    >"$TMP/entries"

check_acked () {
    local bad=0 op id v
    while read -r op id v; do
        case "$op" in
        submit) grep -q "^$id submit " "$TMP/entries" || { echo "submit $id missing"; bad=1; } ;;
        urgency) grep -q "^$id urgency .*\"urgency\":$v," "$TMP/entries" ||
                     { echo "urgency $id $v missing"; bad=1; } ;;
        cancel) grep -q "^$id exception .*\"type\":\"cancel\"" "$TMP/entries" ||
                    { echo "cancel $id missing"; bad=1; } ;;
        esac
    done <"$TMP/acked"
    return $bad
}
check_acked >"$TMP/out" 2>&1
_report $? "every acknowledged submit, urgency and cancel is in the eventlogs" "$TMP/out"

check_refused () {
    local bad=0 op id v nacked njobs
    while read -r op id v; do
        case "$op" in
        urgency) ! grep -q "^$id urgency .*\"urgency\":$v," "$TMP/entries" ||
                     { echo "refused urgency $id $v stored"; bad=1; } ;;
        cancel) ! grep -q "^$id exception .*\"type\":\"cancel\"" "$TMP/entries" ||
                    { echo "refused cancel $id stored"; bad=1; } ;;
        esac
    done <"$TMP/refused"
    nacked=$(grep -c '^submit ' "$TMP/acked")
    njobs=$(grep -c '^== ' "$TMP/eventlogs")
    [ "$nacked" -eq "$njobs" ] || { echo "$nacked submits acknowledged, $njobs jobs stored"; bad=1; }
    return $bad
}
check_refused >"$TMP/out" 2>&1
_report $? "no refused operation is (no refused submit left a job)" "$TMP/out"
grep -c . "$TMP/refused" >"$TMP/out"
[ "$(cat "$TMP/out")" -ge 6 ]
_report $? "some operations were refused" "$TMP/out"

# (jobs write their ids in F58)
eddy job id <"$TMP/side" >"$TMP/side.dec"
sort "$TMP/side.dec" | uniq -d >"$TMP/out"
[ ! -s "$TMP/out" ]
_report $? "no job ran twice" "$TMP/out"

# What each eventlog says: the state as the job manager replays it, and
# the result eddy jobs derives from it.
awk '
    function flush () {
        if (id == "") return
        if (clean) { st = "INACTIVE"
            res = fatal ? (ftype == "cancel" ? "CANCELED" : "FAILED") \
                        : (fin && status == 0 ? "COMPLETED" : "FAILED") }
        else { res = "" }
        printf "%s %s%s\n", id, st, res == "" ? "" : " " res
    }
    $2 == "submit" { flush(); id = $1; st = "DEPEND"; clean = fatal = fin = 0; status = 0; ftype = "" }
    $2 == "depend" && st == "DEPEND" { st = "PRIORITY" }
    $2 == "priority" && st == "PRIORITY" { st = "SCHED" }
    $2 == "alloc" && st == "SCHED" { st = "RUN" }
    $2 == "finish" { fin = 1; match ($0, /"status":[0-9]+/); status = substr ($0, RSTART + 9, RLENGTH - 9) + 0
                     if (st == "RUN") st = "CLEANUP" }
    $2 == "exception" && /"severity":0/ { if (!fatal) { fatal = 1; match ($0, /"type":"[a-z-]+"/)
                                              ftype = substr ($0, RSTART + 8, RLENGTH - 9) }
                                          if (st != "CLEANUP") st = "CLEANUP" }
    $2 == "clean" { clean = 1 }
    END { flush() }' "$TMP/entries" | sort >"$TMP/expected"
while read -r id st res; do
    echo "$(eddy job id "$id") $st${res:+ $res}"
done <"$TMP/jobs" | sort >"$TMP/listed"
diff "$TMP/expected" "$TMP/listed" >"$TMP/out" 2>&1
_report $? "every job's listed state and result are what its eventlog says" "$TMP/out"

# every job that completed ran exactly once
awk '$3 == "COMPLETED" { print $1 }' "$TMP/expected" | while read -r id; do
    n=$(grep -cx "$id" "$TMP/side.dec")
    [ "$n" -eq 1 ] || echo "job $id: $n runs"
done >"$TMP/out"
[ ! -s "$TMP/out" ]
_report $? "every completed job left its side effect once" "$TMP/out"

finish
