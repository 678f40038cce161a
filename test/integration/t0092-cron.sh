#!/usr/bin/env bash
# eddy cron: interval, event and crontab entries run on rank 0 by the cron
# module through rexec, timed by the reactor; list, stop, start, delete,
# dump; output in the log; failures and overlapping runs counted; bad
# input refused.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
cat >run.sh <<'SH'
eddy cron interval --count=3 --name=tick 0.3 "echo tick >> ticks" >id.tick
eddy cron interval --after=0 --count=1 0.2 "echo hello; echo oops >&2; exit 3" >id.fail
eddy cron interval --count=2 0.2 "sleep 1" >id.slow
eddy cron event --nth=2 --after=1 test.ping "echo ev >> events" >id.ev
echo "*/5 * * * * echo tab
# a comment

0 3 * * mon echo weekly" | eddy cron tab >id.tab
sleep 1.6
for i in 1 2 3 4 5; do eddy event pub test.ping >/dev/null; done
eddy event pub other.topic >/dev/null
sleep 0.5
eddy cron list >list.1
eddy cron list --json >list.json
eddy cron stop "$(head -1 id.tab)"
eddy cron dump "$(cat id.tick)" >dump.json
eddy cron delete "$(cat id.ev)"
eddy event pub test.ping >/dev/null; eddy event pub test.ping >/dev/null; sleep 0.3
eddy cron list >list.2
eddy dmesg >dmesg.out
eddy cron dump 99 2>dump99.err; echo "dump99 rc=$?"
eddy cron interval 0 true 2>zero.err; echo "zero rc=$?"
echo "61 * * * * true" | eddy cron tab 2>badtab.err; echo "badtab rc=$?"
echo "* * * *" | eddy cron tab 2>short.err; echo "short rc=$?"
eddy cron frob 2>frob.err; echo "frob rc=$?"
SH
ok "an instance runs the cron script" timeout 120 eddy start sh run.sh
cp "$TMP/out" run.log
ok "the interval entry ran its 3 times, then stopped" sh -c "[ \$(grep -c tick ticks) -eq 3 ]"
ok "the event entry ran on the 2nd and 4th test.ping after the first (5 events: 2 runs), not on other topics" \
    sh -c "[ \$(grep -c ev events) -eq 2 ]"
has list.1 '^ +[0-9]+ interval tick +3 +0 active ' "list: tick, 3 runs, no failure"
has list.1 '^ +[0-9]+ interval .* +1 +1 active +- +echo hello' "a command exiting 3 counts a failure"
ok "a run still going when the next is due is skipped" \
    python3 -c "import json,sys; e=[x for x in json.load(open('list.json')) if x['command']=='sleep 1'][0]; sys.exit(0 if e['stats']['skipped']>=1 and e['stats']['runs']<=2 else 1)"
has list.1 ' tab .* active +[0-9-]+T[0-9][0-9]:[0-9][05]:00 +echo tab$' "the crontab entry's next run is on a 5-minute mark"
has list.1 ' tab .* active +[0-9-]+T03:00:00 +echo weekly$' "and the weekly one's at 03:00"
ok "crontab comments and blank lines make no entry" sh -c "[ \$(wc -l <id.tab) -eq 2 ]"
has list.2 ' tab .* stopped ' "stop: the entry stays, stopped"
hasnt list.2 ' event ' "delete: the entry is gone"
ok "dump: the entry as JSON with its statistics" \
    python3 -c "import json,sys; d=json.load(open('dump.json')); sys.exit(0 if d['name']=='tick' and d['count']==3 and d['stats']['runs']==3 else 1)"
has dmesg.out 'cron-[0-9]+ \(echo hello; echo oops >&2; exit 3\) stdout: hello' "stdout goes to the log"
has dmesg.out 'cron-[0-9]+ .* stderr: oops' "stderr too"
has dmesg.out 'wait status 768' "and the failure's status"
has run.log '^dump99 rc=1$' "an unknown id fails"
has dump99.err 'no cron entry 99' "and says so"
has run.log '^zero rc=1$' "an interval of 0 is refused"
has run.log '^badtab rc=1$' "a crontab minute of 61 is refused"
has badtab.err "'61' is not a minute" "naming the field"
has run.log '^short rc=1$' "a crontab line without a command is refused"
has run.log '^frob rc=1$' "an unknown subcommand fails"
finish
