#!/usr/bin/env bash
# eddy sim replay --real: a window of a real trace on the simulator and on
# a real instance of 4 brokers (the test exec, time compressed), fed from
# inside the broker; the comparison's figures are there, are computed as
# said (checked here from --real-jobs-out and --jobs-out with code of its
# own), and the two schedules agree closely; bad input.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
SAMPLE=$EDDY_SRCDIR/traces/samples/KTH-SP2-1996-2.1-cln-head2000.swf
ok "150 jobs of KTH-SP2 on 4 x 25 cores, simulated and real at 20000x" \
    timeout 300 eddy sim replay "$SAMPLE" --jobs 150 --nodes 4 --cores-per-node 25 --policy easy \
    --real --speedup 20000 --real-jobs-out real.csv --jobs-out sim.csv --summary-out s.json
cp "$TMP/out" run.out
has run.out '^real: 150 jobs, start order agrees for' "prints the comparison"
cat >check.py <<'PY'
import csv, json, sys
s = json.load(open("s.json"))["real"]
rows = list(csv.DictReader(open("real.csv")))
sim = {r["job_id"]: r for r in csv.DictReader(open("sim.csv"))}
assert len(rows) == 150, len(rows)
tie = s["tie_seconds"]
assert abs(tie - 200) < 1e-9, tie                    # 0.01 x 20000
st = []
for r in rows:
    a, b = float(r["sim_start"]), float(r["real_start"])
    assert abs(a - float(sim[r["job_id"]]["start"])) < 1e-6   # sim_start is the replay's start
    assert b >= float(r["submit"]) - 1e-6, r                 # nothing starts before it is submitted
    assert float(r["real_end"]) >= b
    st.append((a, b, float(r["submit"])))
sign = lambda d: 0 if abs(d) <= tie else (1 if d > 0 else -1)
pairs = agree = 0
for i in range(len(st)):
    for j in range(i + 1, len(st)):
        pairs += 1
        agree += sign(st[i][0] - st[j][0]) == sign(st[i][1] - st[j][1])
d = sorted(abs(b - a) for a, b, _ in st)
ws = sum(a - t for a, _, t in st) / len(st)
wr = sum(b - t for _, b, t in st) / len(st)
for k, v in (("pairs", pairs), ("order_agreement", agree / pairs), ("start_diff_max", d[-1]),
             ("start_diff_mean", sum(d) / len(d)), ("mean_wait_sim", ws), ("mean_wait_real", wr)):
    assert abs(s[k] - v) <= 1e-6 * max(1, abs(v)), (k, s[k], v)
print("agreement %.4f, mean waits %.1f / %.1f" % (agree / pairs, ws, wr))
# closeness: the target of issue 14 is >= 95% of pairs and mean waits within 5%;
# a short window at a high speedup is held to a looser bound here
assert agree / pairs >= 0.90, agree / pairs
assert abs(wr - ws) <= 0.10 * max(ws, 60), (ws, wr)
PY
ok "the figures are what the two schedules say, and they agree (>= 90% of pairs, waits within 10%)" \
    python3 check.py
fails "--real without --speedup" eddy sim replay "$SAMPLE" --jobs 10 --real
fails "--speedup without --real" eddy sim replay "$SAMPLE" --jobs 10 --speedup 10
fails "--real on 100 brokers (one per node on this machine)" \
    eddy sim replay "$SAMPLE" --jobs 10 --real --speedup 1000
has "$TMP/out" 'too many' "says why"
finish
