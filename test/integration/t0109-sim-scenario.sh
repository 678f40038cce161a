#!/usr/bin/env bash
# eddy sim run SCENARIO.toml: the CI scenario of 16,384 virtual ranks
# (test/scenarios/router-16k.toml: an interior router killed while jobs
# run, its subtree lost and its resources down, its jobs killed; restarted,
# it rejoins with its subtree and runs jobs again) passes, exit 0, and its
# JSON results say so.  The same scenario without the restart fails the
# checks after it, exit 1, naming the ranks; a wrong count fails naming
# the count; a cut and a heal are seen at the keepalive timeout; drain and
# undrain; bad scenarios are refused with the file and the reason.
. "$(dirname "$0")/lib.sh"

sc="$EDDY_SRCDIR/test/scenarios/router-16k.toml"
start=$(date +%s)
timeout 120 eddy sim run "$sc" --json "$TMP/r.json" >"$TMP/r.out" 2>&1
_report $? "router-16k: every check passes" "$TMP/r.out"
has "$TMP/r.out" '^9 of 9 checks passed \(16384 brokers, 3 events, 81 jobs\)$' "router-16k: 9 of 9 checks"
jq -e '.pass == true and .failed == 0 and .size == 16384 and (.results | length) == 9
       and ([.results[] | select (.pass)] | length) == 9
       and (.results[] | select (.check == "its jobs are killed") | .jobs_seen.killed) == 17' \
    "$TMP/r.json" >"$TMP/r.jq" 2>&1
_report $? "router-16k: the JSON results" "$TMP/r.jq"
secs=$(($(date +%s) - start))
[ "$secs" -le 30 ]; _report $? "router-16k: a CI scenario, $secs s of wall time" "$TMP/r.out"

# without the restart, the subtree never comes back: exit 1, the ranks named
grep -v '^action = "restart"' "$sc" | sed 's/^at = 20$/at = 20\naction = "submit"\ncount = 0/' >"$TMP/norestart.toml"
timeout 120 eddy sim run "$TMP/norestart.toml" --json "$TMP/n.json" >"$TMP/n.out" 2>&1
rc=$?
[ $rc -eq 1 ]; _report $? "without the restart: exit 1 (got $rc)" "$TMP/n.out"
has "$TMP/n.out" '^FAIL it rejoins, with its subtree at 30: overlay: ranks 1,17-32,273-528,4369-8464 are not online$' \
    "without the restart: the rejoin check fails, naming the ranks"
jq -e '.pass == false and .failed == 3' "$TMP/n.json" >"$TMP/n.jq" 2>&1
_report $? "without the restart: the JSON says 3 checks failed" "$TMP/n.jq"

# a small instance: a wrong count, a cut seen at the keepalive timeout, a drain
cat >"$TMP/small.toml" <<'EOF2'
[instance]
size = 7
fanout = 2
[workload]
jobs = 4
run = 100
[[event]]
at = 10
action = "cut"
rank = 2
[[check]]
at = 15
name = "a cut rank is online until the keepalive timeout"
overlay = "online"
ranks = "2,5-6"
[[check]]
at = 25
name = "then lost"
overlay = "lost"
subtree = 2
[[check]]
at = 25
name = "a wrong count"
jobs = { killed = 3 }
[[event]]
at = 30
action = "heal"
rank = 2
[[event]]
at = 31
action = "drain"
ranks = "5-6"
reason = "maintenance"
[[check]]
at = 40
overlay = "online"
ranks = "0-6"
[[check]]
at = 40
resources = "drained"
ranks = "5-6"
[[event]]
at = 41
action = "undrain"
ranks = "5"
[[check]]
at = 42
resources = "undrained"
ranks = "0-5"
EOF2
timeout 60 eddy sim run "$TMP/small.toml" --json "$TMP/s.json" >"$TMP/s.out" 2>&1
rc=$?
[ $rc -eq 1 ]; _report $? "small: one check fails, exit 1 (got $rc)" "$TMP/s.out"
has "$TMP/s.out" '^FAIL a wrong count at 25: jobs killed: 1, not 3$' "the wrong count is named, with what was seen"
has "$TMP/s.out" '^5 of 6 checks passed' "the others pass: cut, lost at the timeout, heal, drain, undrain"

# a trace as the workload (relative to the scenario), cancel, delay
{ printf '; MaxProcs: 4\n; MaxNodes: 4\n'
  for i in 1 2 3 4 5; do echo "$i 0 -1 100 1 -1 -1 1 100 -1 1 1 1 -1 1 -1 -1 -1"; done; } >"$TMP/five.swf"
cat >"$TMP/cancel.toml" <<'EOF2'
[instance]
size = 4
latency = 0
[workload]
trace = "five.swf"
at = 1
[[check]]
at = 2
jobs = { running = 4, queued = 1, total = 5 }
[[event]]
at = 3
action = "cancel"
job = 5
[[event]]
at = 3
action = "delay"
rank = 3
extra = 0.5
[[check]]
at = 4
jobs = { running = 4, canceled = 1 }
[[event]]
at = 5
action = "cancel"
[[check]]
at = 6
jobs = { canceled = 5 }
resources = "free"
ranks = "0-3"
EOF2
ok "a trace workload, cancel of one job then of all, a delayed link" \
    timeout 60 eddy sim run "$TMP/cancel.toml"
has "$TMP/out" '^3 of 3 checks passed \(4 brokers, 3 events, 5 jobs\)$' "cancel: 3 of 3 checks"

# bad scenarios
bad () { # WHAT TOML PATTERN
    printf '%b' "$2" >"$TMP/bad.toml"
    fails "$1" eddy sim run "$TMP/bad.toml"
    has "$TMP/out" "$3" "$1: says why"
}
bad "no [instance]" '[workload]\njobs = 1\n' "bad.toml: needs an \\[instance\\] table"
bad "an unknown table" '[instance]\nsize = 2\n[oops]\n' "unknown table 'oops'"
bad "an unknown action" '[instance]\nsize = 2\n[[event]]\nat = 1\naction = "explode"\nrank = 1\n' "action 'explode' is not kill"
bad "a rank out of range" '[instance]\nsize = 2\n[[event]]\nat = 1\naction = "kill"\nrank = 5\n' "rank is not a rank of the instance"
bad "an unknown job state" '[instance]\nsize = 2\n[[check]]\nat = 1\njobs = { happy = 1 }\n' "jobs.happy is not a job state"
bad "a check of nothing" '[instance]\nsize = 2\n[[check]]\nat = 1\n' "needs overlay, resources or jobs"
bad "invalid TOML" '[instance\n' "bad.toml:1"
fails "a missing file" eddy sim run "$TMP/none.toml"
has "$TMP/out" "none.toml: No such file" "names the file"
finish
