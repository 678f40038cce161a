#!/usr/bin/env bash
# Fair share in replay (eddy sim replay --priority multifactor): each trace
# user submits as its own userid, a bank per SWF group, the replay's
# archive feeds usage back, and a user with usage falls behind others
# (worked out below); --accounts gives banks and users (an unlisted user's
# jobs are refused, a bad line is named); without --priority the schedule
# is the urgency plugin's, unchanged.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

# one core.  A replay starts its first job at virtual time 0, which the
# archive takes for a job that never ran (t_run <= 0), so job 9 (user 5,
# group 4) at 0 only opens the trace.  Job 1 (user 1, group 1) runs
# 1000-2000: 1000 core-seconds.  Job 2 (user 4, group 3) holds the core
# 2000-3000.  X (user 1, group 1), Y (user 2, group 1), Z (user 3, group
# 2) are submitted at 2100, 2200, 2300.  The archive writes job 1's row
# within 60 s; the factors of the 5-minute ticks from 2100 on see it.
# Banks g1-g4 have 1/4 each; users 1 and 2 share g1 (1/8 each). U(user 1)
# = 1 (user 4's job is archived only at 3000): F = 2^(-1/(1/8)) = 2^-8;
# users 2 and 3: F = 1.  With the default weights (fair share 100000, age
# 1000 over 7 days, urgency 1000 x 16/31) X has priority about 907, Y and
# Z about 100517 (Y a little older).  At 3000: Y, Z, X; in submission
# order (the urgency plugin) X, Y, Z.
t='-1 -1 1 1000 -1 1'
cat >t.swf <<SWF
; MaxNodes: 1
; MaxProcs: 1
9 0 0 10 1 $t 5 4 -1 -1 -1 -1 -1
1 1000 0 1000 1 $t 1 1 -1 -1 -1 -1 -1
2 2000 0 1000 1 $t 4 3 -1 -1 -1 -1 -1
3 2100 0 10 1 $t 1 1 -1 -1 -1 -1 -1
4 2200 0 10 1 $t 2 1 -1 -1 -1 -1 -1
5 2300 0 10 1 $t 3 2 -1 -1 -1 -1 -1
SWF
start_order () { # CSV: the ids of jobs 3-5 by start time
    awk -F, 'NR > 1 && $1 >= 3 && $1 <= 5 { print $6, $1 }' "$1" | sort -n | awk '{ printf "%s ", $2 }'
}
ok "replay with urgency" eddy sim replay t.swf --latency 0 --jobs-out u.csv
export -f start_order
ok "...X, Y, Z start in submission order" bash -c "[ \"\$(start_order u.csv)\" = '3 4 5 ' ]"
ok "replay with --priority multifactor" eddy sim replay t.swf --latency 0 --priority multifactor \
    --jobs-out m.csv --summary-out m.json
ok "...Y, Z, then X (user 1 used its share)" bash -c "[ \"\$(start_order m.csv)\" = '4 5 3 ' ]"
ok "...all six completed" sh -c "[ \$(grep -c ',completed,' m.csv) -eq 6 ]"
ok "the same again: identical CSVs" sh -c "eddy sim replay t.swf --latency 0 --priority multifactor \
    --jobs-out m2.csv >/dev/null && cmp m.csv m2.csv"
ok "--priority urgency is the default's schedule" sh -c "eddy sim replay t.swf --latency 0 \
    --priority urgency --jobs-out u2.csv >/dev/null && cmp u.csv u2.csv"

# --accounts: user 3 unlisted: its job is refused
cat >acc.txt <<'ACC'
# banks and users
bank big 2
bank small 1
user 1 big
user 2 small
user 4 small 3
user 5 small
ACC
ok "replay with --accounts" eddy sim replay t.swf --latency 0 --priority multifactor \
    --accounts acc.txt --jobs-out a.csv --summary-out a.json
ok "...the unlisted user's job is refused, the others complete" sh -c \
    "grep -q '^5,.*,denied,' a.csv && [ \$(grep -c ',completed,' a.csv) -eq 5 ]"
printf 'bank big two\n' >bad.txt
eddy sim replay t.swf --priority multifactor --accounts bad.txt >out 2>&1
has out "^eddy-sim: replay: bad.txt:1: shares 'two' is not an integer" "a bad accounts line is named"
fails "--accounts without --priority multifactor" eddy sim replay t.swf --accounts acc.txt
fails "an unknown --priority" eddy sim replay t.swf --priority lottery
finish
