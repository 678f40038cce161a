#!/usr/bin/env bash
# bench-config.sh [SIZE...] - how long a configuration reload takes to be in
# force on every rank of an `eddy start --size SIZE` instance (default 16
# and 64 brokers, fanout 2, one machine).  Each of REPEAT (default 10)
# rounds edits the conf.d, runs `eddy config reload`, and waits for it.
# From the brokers' logs (wall-clock stamps, one machine):
#   reload -> all   from `eddy config reload` being run to the last rank
#                   logging "configuration generation G applied"
#   rank 0 -> all   from rank 0 logging "config reloaded: generation G" (the
#                   files are read) to that last rank: the distribution
set -euo pipefail
bd="${EDDY_BUILDDIR:-$(pwd)}"
export PATH="$bd/cmd:$PATH"
repeat=${REPEAT:-10}
sizes=${*:-16 64}
dir=$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench-config.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat >"$dir/inside.sh" <<'SH'
set -eu
dir=$1 repeat=$2 size=$3
: >"$dir/t0"
for i in $(seq 1 "$repeat"); do
    if [ $((i % 2)) -eq 1 ]; then p=easy; else p=fcfs; fi
    printf '[sched]\npolicy = "%s"\n[exec]\nkill-timeout = %d\n' "$p" "$i" >"$dir/conf.d/sched.toml"
    g=$(($(eddy getattr config.generation) + 1))
    echo "$g $(date +%s.%N)" >>"$dir/t0"
    eddy config reload
    last=$((size - 1))
    until [ "$(eddy getattr --rank $last config.generation)" -ge "$g" ]; do sleep 0.01; done
done
sleep 0.5
for r in $(seq 0 $((size - 1))); do eddy dmesg --rank "$r"; done >"$dir/dmesg"
SH

for n in $sizes; do
    rm -rf "$dir/conf.d"
    mkdir "$dir/conf.d"
    printf '[sched]\npolicy = "fcfs"\n' >"$dir/conf.d/sched.toml"
    eddy start --size "$n" --config-path "$dir/conf.d" sh "$dir/inside.sh" "$dir" "$repeat" "$n"
    python3 - "$dir" "$n" <<'PY'
import re, sys, datetime, statistics
d, n = sys.argv[1], int(sys.argv[2])
def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
t0 = {int(g): float(t) for g, t in (l.split() for l in open(d + "/t0"))}
start, applied = {}, {}
for line in open(d + "/dmesg"):
    m = re.match(r"(\S+) config\.\w+\[(\d+)\]: (.*)", line)
    if not m:
        continue
    t, rank, msg = ts(m.group(1)), int(m.group(2)), m.group(3)
    g = re.match(r"config reloaded: generation (\d+)", msg)
    if g and rank == 0:
        start[int(g.group(1))] = t
    g = re.match(r"configuration generation (\d+) applied", msg)
    if g:
        applied.setdefault(int(g.group(1)), {})[rank] = t
full, dist = [], []
for g in sorted(t0):
    ranks = applied.get(g, {})
    if len(ranks) != n:
        sys.exit("generation %d reached %d of %d ranks" % (g, len(ranks), n))
    last = max(ranks.values())
    full.append(last - t0[g])
    dist.append(last - start[g])
ms = lambda v: "%.1f ms" % (v * 1e3)
print("size %d (%d reloads): reload -> all: median %s, max %s; rank 0 -> all: median %s, max %s"
      % (n, len(full), ms(statistics.median(full)), ms(max(full)),
         ms(statistics.median(dist)), ms(max(dist))))
PY
done
