"""Tests for swfsim, the independent replay oracle.

Hand-worked scenarios: the expected start times are derived by hand from the
rules in DESIGN.md ("Trace replay semantics (SWF)") and the derivation is
written next to each case.  A second, deliberately literal and slow reading of
the rules (`literal_replay` below: no index, no early exits, the running set
re-sorted and the profile re-evaluated from scratch) is compared with swfsim
on random workloads, so the fast paths in swfsim are checked against the plain
text of the rules.

Run: python3 -m unittest discover -s test/oracle
"""

import gzip
import io
import json
import os
import random
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swfsim  # noqa: E402


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def swf_line(jid, submit, run, procs, req, alloc=-1):
    """One 18-field SWF job line: field 8 = procs, field 9 = req,
    field 5 = alloc; everything else -1."""
    f = [-1] * 18
    f[0], f[1], f[3], f[4], f[7], f[8] = jid, submit, run, alloc, procs, req
    return " ".join(str(x) for x in f)


def swf_text(P, jobs, header=True):
    lines = ["; Version: 2.2", "; MaxProcs: %d" % P] if header else []
    lines += [swf_line(*j) for j in jobs]
    return "\n".join(lines) + "\n"


class TempTrace:
    """A trace written to a temporary file (optionally gzipped)."""

    def __init__(self, text, gz=False):
        fd, self.path = tempfile.mkstemp(suffix=".swf.gz" if gz else ".swf")
        os.close(fd)
        data = text.encode()
        with open(self.path, "wb") as f:
            f.write(gzip.compress(data) if gz else data)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        os.unlink(self.path)


def replay(P, jobs, policy, cap=False):
    """{job id: (start, end)} for a list of (id, submit, run, procs, req)."""
    with TempTrace(swf_text(P, jobs)) as path:
        maxprocs, records = swfsim.read_swf(path)
    kept, _ = swfsim.select_jobs(records, maxprocs, cap)
    starts = swfsim.simulate(kept, maxprocs, policy)
    return {kept.id[k]: (starts[k], starts[k] + kept.run[k])
            for k in range(len(kept.id))}


def starts_of(result):
    return {j: se[0] for j, se in result.items()}


def run_main(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = swfsim.main(argv)
    return rc, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------------------
# hand-worked scenarios
# ---------------------------------------------------------------------------

class TestEasy(unittest.TestCase):

    def test_shadow_time_from_job_started_in_same_pass(self):
        # P = 10.
        # t=0:  job 1 (5 procs, req = run = 100) starts; idle 5.
        # t=10: jobs 2, 3, 4 arrive.  One pass:
        #   fcfs part: job 2 (3 procs) fits -> starts at 10, predicted end
        #   30; idle 2.  Job 3 (5 procs) does not fit -> it is H.
        #   Walk running jobs by predicted end: job 2 (30) first:
        #   2 + 3 = 5 >= 5 -> S = 30.  extra = 2 + 3 - 5 = 0.
        #   Job 4 (2 procs, req 50): 2 <= free 2, but 10 + 50 = 60 > 30 and
        #   2 > extra 0 -> does not start.
        # t=30: job 2 ends; idle 5; job 3 starts at 30 (pred. end 130).
        # t=100: job 1 ends; idle 5; job 4 starts at 100.
        # Expected: 1:0, 2:10, 3:30, 4:100.
        #
        # An implementation that forgets job 2 (started by this same pass)
        # walks only job 1 (end 100): 2 + 5 = 7 >= 5 -> S = 100, extra 2;
        # job 4 (10 + 50 <= 100) backfills at 10, and job 3 then waits for
        # job 4's end: 1:0, 2:10, 3:60, 4:10.
        jobs = [(1, 0, 100, 5, 100),
                (2, 10, 20, 3, 20),
                (3, 10, 100, 5, 100),
                (4, 10, 50, 2, 50)]
        self.assertEqual(starts_of(replay(10, jobs, "easy")),
                         {1: 0, 2: 10, 3: 30, 4: 100})

    def test_extra_counts_every_job_ending_at_shadow_time(self):
        # P = 10.
        # t=0: jobs 1 (4 procs, req 100), 2 (3 procs, req 100), 3 (2 procs,
        #   req 200) all start (fcfs); idle 1.
        # t=5: jobs 4 (H, 5 procs) and 5 (1 proc, req 1000) arrive.
        #   H does not fit (idle 1).  Walk by (predicted end, start order):
        #   job 1 (100): 1 + 4 = 5 >= 5 -> S = 100.
        #   extra = free 1 + job 1 (4) + job 2 (3, also ends at 100) - 5 = 3.
        #   Job 5: 1 <= free 1; 5 + 1000 > 100 but 1 <= extra 3 -> starts at
        #   5, extra 2, free 0.
        # t=100: jobs 1, 2 end; idle 7: H (5) starts at 100.
        # Expected: 1:0, 2:0, 3:0, 4:100, 5:5.
        #
        # Counting only the jobs walked until the total reached H.procs
        # (job 1) gives extra = 1 + 4 - 5 = 0 and job 5 would wait until
        # t=100 (started behind H by the fcfs part): 5:100.
        jobs = [(1, 0, 100, 4, 100),
                (2, 0, 100, 3, 100),
                (3, 0, 200, 2, 200),
                (4, 5, 50, 5, 50),
                (5, 5, 1000, 1, 1000)]
        self.assertEqual(starts_of(replay(10, jobs, "easy")),
                         {1: 0, 2: 0, 3: 0, 4: 100, 5: 5})

    def test_short_job_before_shadow_leaves_extra_alone(self):
        # P = 10.  t=0: job 1 (8 procs, req 100) starts; idle 2.
        # t=1: H = job 2 (10 procs); S = 100, extra = 2 + 8 - 10 = 0.
        #   Job 3 (1 proc, req 50): 1 + 50 <= 100 -> starts at 1 (the first
        #   branch of the "or"; extra stays 0).  free 1.
        #   Job 4 (1 proc, req 99): 1 + 99 = 100 <= 100 -> starts at 1
        #   (ending exactly at S is allowed).  free 0.
        # t=100: job 1 ends; job 4 ends (run 99 -> 100); job 3 ended at 51.
        #   Job 2 starts at 100.
        # Expected: 1:0, 2:100, 3:1, 4:1.
        jobs = [(1, 0, 100, 8, 100),
                (2, 1, 10, 10, 10),
                (3, 1, 50, 1, 50),
                (4, 1, 99, 1, 99)]
        self.assertEqual(starts_of(replay(10, jobs, "easy")),
                         {1: 0, 2: 100, 3: 1, 4: 1})

    def test_job_ending_by_shadow_does_not_consume_extra(self):
        # P = 10.  t=0: job 1 (6 procs, req 100), job 2 (2 procs, req 200)
        #   start; idle 2.
        # t=1: job 3 (H, 7 procs), job 4 (1 proc, req 50), job 5 (1 proc,
        #   req 500) arrive.  Walk: job 1 (100): 2 + 6 = 8 >= 7 -> S = 100;
        #   extra = 2 + 6 - 7 = 1 (job 2 ends at 200 > S).
        #   job 4: 1 + 50 <= 100 -> starts; the "or" is satisfied by its
        #   first half, so extra stays 1; free 1.
        #   job 5: 1 + 500 > 100, 1 <= extra 1 -> starts; extra 0; free 0.
        # t=100: job 1 ends; idle 6 + 1 (job 4 ended at 51) = 7: H starts.
        # Expected: 1:0, 2:0, 3:100, 4:1, 5:1.
        # Charging job 4 to extra as well would refuse job 5 at 1; it would
        # then start only when job 2 ends: 5:200.
        jobs = [(1, 0, 100, 6, 100),
                (2, 0, 200, 2, 200),
                (3, 1, 10, 7, 10),
                (4, 1, 50, 1, 50),
                (5, 1, 500, 1, 500)]
        self.assertEqual(starts_of(replay(10, jobs, "easy")),
                         {1: 0, 2: 0, 3: 100, 4: 1, 5: 1})

    def test_overrunning_job_predicted_end_is_now(self):
        # P = 4.  t=0: job 1 (2 procs, run 500, req 10) and job 2 (1 proc,
        #   run 1000, req 1000) start; idle 1.  Job 1 overruns from t=10.
        # t=20: job 3 (H, 3 procs), job 4 (1 proc, req 30), job 5 (1 proc,
        #   run 0, req -1 -> req = run = 0) arrive.
        #   Walk: job 1's predicted end is max(0 + 10, 20) = 20:
        #   1 + 2 = 3 -> S = 20 (= now); extra = 1 + 2 - 3 = 0.
        #   job 4: 20 + 30 > 20 and 1 > 0 -> no.
        #   job 5: 20 + 0 <= 20 -> starts at 20 (and ends there: a round
        #   at t=20 frees it; the next pass starts nothing).
        # t=500: job 1 ends; idle 3; H starts at 500.  t=510: H ends; job 4
        #   starts at 510.
        # Expected: 1:0, 2:0, 3:500, 4:510, 5:20.
        # Without the max(., now) clamp, S = 10 < now and job 5 would be
        # refused (20 > 10, 1 > extra 0), starting only at 510.
        jobs = [(1, 0, 500, 2, 10),
                (2, 0, 1000, 1, 1000),
                (3, 20, 10, 3, 10),
                (4, 20, 30, 1, 30),
                (5, 20, 0, 1, -1)]
        self.assertEqual(starts_of(replay(4, jobs, "easy")),
                         {1: 0, 2: 0, 3: 500, 4: 510, 5: 20})

    def test_overrunning_job_makes_shadow_now(self):
        # P = 4.  Job 1 (3 procs, run 100, req 10) starts at 0.
        # t=50: job 2 (H, 2 procs) and job 3 (1 proc, run 5, req 5) arrive.
        #   idle 1; H needs 2.  Walk: job 1 predicted end max(10, 50) = 50:
        #   1 + 3 = 4 >= 2 -> S = 50 = now; extra = 1 + 3 - 2 = 2.
        #   Job 3: 50 + 5 > 50, but 1 <= extra 2 -> starts at 50.
        # t=100: job 1 ends; H starts at 100.
        # Expected: 1:0, 2:100, 3:50.
        jobs = [(1, 0, 100, 3, 10),
                (2, 50, 10, 2, 10),
                (3, 50, 5, 1, 5)]
        self.assertEqual(starts_of(replay(4, jobs, "easy")),
                         {1: 0, 2: 100, 3: 50})


class TestConservative(unittest.TestCase):

    JOBS = [(1, 0, 100, 6, 100),
            (2, 1, 50, 8, 50),
            (3, 1, 10, 10, 10),
            (4, 1, 200, 2, 200),
            (5, 1, 99, 4, 99)]

    def test_backfill_allowed_and_refused(self):
        # P = 10.  t=0: job 1 (6 procs, req 100) starts; idle 4.
        # t=1: jobs 2..5 arrive.  Profile: [1,100) 4, [100,inf) 10.
        #   job 2 (8, req 50): earliest [100,150).
        #     profile: [1,100) 4, [100,150) 2, [150,inf) 10.
        #   job 3 (10, req 10): [150,160).
        #     profile: [1,100) 4, [100,150) 2, [150,160) 0, [160,inf) 10.
        #   job 4 (2, req 200): at 1 it needs 2 on [1,201): [150,160) has 0
        #     -> refused (it fits the idle processors but would delay job 3);
        #     reserves [160,360).
        #   job 5 (4, req 99): [1,100) has 4 -> reservation at now, 4 idle
        #     -> starts at 1 (ends at 100, before job 2's reservation).
        # t=100: jobs 1 and 5 end together; idle 10.
        #   job 2 (8) starts at 100; idle 2.  job 3 reserves [150,160);
        #   job 4 (2, req 200) at 100 would overlap [150,160) where 0 are
        #   left -> reserves [160,360), does not start although 2 are idle.
        # t=150: job 2 ends; job 3 starts.  t=160: job 3 ends; job 4 starts.
        # Expected: 1:0, 2:100, 3:150, 4:160, 5:1.
        self.assertEqual(starts_of(replay(10, self.JOBS, "conservative")),
                         {1: 0, 2: 100, 3: 150, 4: 160, 5: 1})

    def test_same_jobs_under_easy(self):
        # The same jobs under EASY (only the head is protected):
        # t=1: H = job 2; S = 100; extra = 4 + 6 - 8 = 2.
        #   job 3 (10) > free 4.  job 4 (2): 1 + 200 > 100 but 2 <= extra 2
        #   -> starts at 1; free 2, extra 0.  job 5 (4) > free 2.
        # t=100: job 1 ends; idle 8; job 2 starts.
        # t=150: job 2 ends; idle 8; H = job 3 (10): walk job 4 (end 201):
        #   8 + 2 = 10 -> S = 201, extra 0.  job 5: 150 + 99 > 201, 4 > 0.
        # t=201: job 4 ends; job 3 starts.  t=211: job 5 starts.
        # Expected: 1:0, 2:100, 3:201, 4:1, 5:211.
        self.assertEqual(starts_of(replay(10, self.JOBS, "easy")),
                         {1: 0, 2: 100, 3: 201, 4: 1, 5: 211})

    def test_reservation_at_now_but_processors_busy(self):
        # P = 4.  Job 1 (2 procs, run 100, req 10) overruns from t=10.
        # t=50: job 2 (4 procs, req 10) and job 3 (2 procs, req 10) arrive.
        #   Profile: job 1's predicted end is max(10, 50) = 50, so
        #   [50,inf) has 4.  job 2 reserves [50,60) -- at now, but only 2
        #   processors are really idle -> does not start.  Profile on
        #   [50,60) is now 0; job 3 reserves [60,70): not now.
        # t=100: job 1 ends.  job 2 starts at 100; job 3 waits (0 idle).
        # t=110: job 3 starts.
        # Expected: 1:0, 2:100, 3:110.
        jobs = [(1, 0, 100, 2, 10), (2, 50, 10, 4, 10), (3, 50, 10, 2, 10)]
        self.assertEqual(starts_of(replay(4, jobs, "conservative")),
                         {1: 0, 2: 100, 3: 110})

    def test_req_zero_reserves_nothing(self):
        # P = 4.  At t=0 jobs arrive in this order:
        #   job 1 (3 procs, run 0, req 0): reserves only its start instant
        #     (nothing is subtracted from the profile); reservation at 0 and
        #     3 idle -> starts; idle 1.
        #   job 2 (2 procs, run 0, req 0): profile at 0 still shows 4 ->
        #     reservation at now, but only 1 idle -> does not start.
        #   job 3 (1 proc, run 7, req 7): [0,7) has 4 -> starts; idle 0.
        # Round at t=0: job 1 ends; idle 3.  job 2 (2) starts; idle 1.
        # Round at t=0: job 2 ends; nothing left to start.
        # Expected: 1:0, 2:0, 3:0 (job 3 started in the first pass, i.e.
        # before job 2 in start order).
        jobs = [(1, 0, 0, 3, -1), (2, 0, 0, 2, -1), (3, 0, 7, 1, 7)]
        r = replay(4, jobs, "conservative")
        self.assertEqual(r, {1: (0, 0), 2: (0, 0), 3: (0, 7)})
        # The times alone cannot show it; the start order can: 1, 3, 2.
        # (Starting job 2 in the first pass, ignoring the idle count, would
        # give 1, 2, 3.)
        with TempTrace(swf_text(4, jobs)) as path:
            _, records = swfsim.read_swf(path)
        kept, _ = swfsim.select_jobs(records, 4)
        rp = swfsim.Replay(kept, 4, "conservative").run_all()
        order = sorted(range(3), key=lambda rank: rp.start_seq[rank])
        self.assertEqual([kept.id[rp.order[rank]] for rank in order],
                         [1, 3, 2])


class TestEventsAndRounds(unittest.TestCase):

    def test_run_zero_rounds_at_same_instant(self):
        # P = 4, fcfs.  All three arrive at 0.
        # pass 1: job 1 (4 procs, run 0) starts; idle 0; job 2 waits.
        # round: job 1 ends at 0, idle 4; pass 2: job 2 (4, run 0) starts.
        # round: job 2 ends at 0; pass 3: job 3 (4, run 3) starts at 0.
        # Expected: 1:[0,0], 2:[0,0], 3:[0,3].
        jobs = [(1, 0, 0, 4, 10), (2, 0, 0, 4, 10), (3, 0, 3, 4, 10)]
        for policy in swfsim.POLICIES:
            self.assertEqual(replay(4, jobs, policy),
                             {1: (0, 0), 2: (0, 0), 3: (0, 3)}, policy)

    def test_run_zero_job_counts_as_running_in_easy_walk(self):
        # P = 4, easy.  Arrivals at 0: job 1 (2 procs, run 0, req 100),
        # job 2 (4 procs, H), job 3 (2 procs, run 20, req 20).
        # pass 1: fcfs starts job 1 (pred. end 0 + 100 = 100); idle 2.
        #   H = job 2 (4): walk job 1 (100): 2 + 2 = 4 -> S = 100, extra 0.
        #   job 3: 0 + 20 <= 100 -> starts at 0; idle 0.
        # round: job 1 ends at 0; idle 2; H still does not fit; job 2 walks
        #   job 3 (20): S = 20.  Nothing else queued.
        # t=20: job 3 ends; H starts at 20.
        # Expected: 1:0, 2:20, 3:0.
        jobs = [(1, 0, 0, 2, 100), (2, 0, 5, 4, 5), (3, 0, 20, 2, 20)]
        self.assertEqual(starts_of(replay(4, jobs, "easy")),
                         {1: 0, 2: 20, 3: 0})

    def test_completions_before_arrivals_and_ties(self):
        # P = 4, fcfs.  Jobs 1 and 2 (2 procs each, run 10) start at 0 and
        # end together at 10.  At t=10 both free their cores first, then
        # the arrivals at 10 join, then one pass.
        # The two arrivals at 10 are written in the file as id 7 (4 procs)
        # before id 6 (2 procs); queue order is (submit, id), so job 6 is
        # ahead: it starts at 10, and job 7 (4) then does not fit and waits
        # until job 6 ends at 15.
        # Expected: 1:0, 2:0, 6:10, 7:15.  (File order would give 7:10,
        # 6:20.)
        jobs = [(1, 0, 10, 2, 10), (2, 0, 10, 2, 10),
                (7, 10, 10, 4, 10), (6, 10, 5, 2, 5)]
        self.assertEqual(starts_of(replay(4, jobs, "fcfs")),
                         {1: 0, 2: 0, 6: 10, 7: 15})

    def test_fcfs_stops_at_first_misfit(self):
        # P = 4.  Job 1 (3 procs, run 10) runs; job 2 (2 procs) waits and
        # job 3 (1 proc), although it fits, may not pass it under fcfs.
        # t=10: job 2 starts (idle 2), job 3 starts (idle 1).
        jobs = [(1, 0, 10, 3, 10), (2, 1, 5, 2, 5), (3, 1, 5, 1, 5)]
        self.assertEqual(starts_of(replay(4, jobs, "fcfs")),
                         {1: 0, 2: 10, 3: 10})
        # Under easy job 3 backfills at 1 (1 + 5 <= S = 10).
        self.assertEqual(starts_of(replay(4, jobs, "easy")),
                         {1: 0, 2: 10, 3: 1})


class TestFieldsAndSkips(unittest.TestCase):

    def test_skip_rules_in_order(self):
        # P = 8.  id: (field 5, field 8, run)
        #  1: procs 0 / 0, run -1    -> procs_le_0 (checked first)
        #  2: field 8 = 9 > P, run -1  -> procs_gt_P (before run_lt_0)
        #  3: run -1, procs 2        -> run_lt_0
        #  4: field 8 = -1, field 5 = 3 -> procs 3 (from field 5), kept
        #  5: run 0                  -> kept
        #  6: field 8 = -1, field 5 = -1 -> procs_le_0
        text = "\n".join([
            "; MaxProcs: 8",
            swf_line(1, 0, -1, 0, 10, alloc=0),
            swf_line(2, 0, -1, 9, 10, alloc=1),
            swf_line(3, 0, -1, 2, 10),
            swf_line(4, 0, 5, -1, 10, alloc=3),
            swf_line(5, 0, 0, 1, 10),
            swf_line(6, 0, 5, -1, 10, alloc=-1),
        ]) + "\n"
        with TempTrace(text) as path:
            maxprocs, records = swfsim.read_swf(path)
        self.assertEqual(maxprocs, 8)
        kept, skipped = swfsim.select_jobs(records, maxprocs)
        self.assertEqual(skipped, {"procs_le_0": 2, "procs_gt_P": 1,
                                   "run_lt_0": 1})
        self.assertEqual(kept.id, [4, 5])
        self.assertEqual(kept.procs, [3, 1])
        # A smaller -P skips more as procs_gt_P.
        kept, skipped = swfsim.select_jobs(records, 2)
        self.assertEqual(kept.id, [5])
        self.assertEqual(skipped["procs_gt_P"], 2)

    def test_req_defaults_to_run_and_fractions_truncate(self):
        # req = field 9 if > 0 else run; fractions truncate toward zero.
        text = ("; MaxProcs: 4\n"
                "1 10.9 -1 100.7 -1 -1 -1 2.99 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1\n"
                "2 11 -1 100 -1 -1 -1 2 0.5 -1 -1 -1 -1 -1 -1 -1 -1 -1\n"
                "3 12 -1 100 -1 -1 -1 2 50.5 -1 -1 -1 -1 -1 -1 -1 -1 -1\n")
        with TempTrace(text) as path:
            _, records = swfsim.read_swf(path)
        # (line, id, submit, run, procs, req)
        self.assertEqual(records[0][1:], (1, 10, 100, 2, 100))
        self.assertEqual(records[1][1:], (2, 11, 100, 2, 100))  # 0.5 -> 0
        self.assertEqual(records[2][1:], (3, 12, 100, 2, 50))

    def test_cap_runtime(self):
        # P = 2.  Job 1 (2 procs, run 100, req 30), job 2 (2 procs, run 10)
        # submitted at 1.
        # No cap: job 1 runs [0,100) past its req; job 2 starts at 100.
        # --cap-runtime: job 1 runs min(100, 30) = 30; job 2 starts at 30.
        jobs = [(1, 0, 100, 2, 30), (2, 1, 10, 2, 10)]
        self.assertEqual(replay(2, jobs, "fcfs"),
                         {1: (0, 100), 2: (100, 110)})
        self.assertEqual(replay(2, jobs, "fcfs", cap=True),
                         {1: (0, 30), 2: (30, 40)})

    def test_malformed_lines(self):
        good = swf_line(1, 0, 10, 1, 10)
        short = " ".join(good.split()[:17])
        for bad, what in ((short, "17 fields"),
                          (good + " 5", "19 fields"),
                          (good.replace(" 10 ", " ten ", 1), "not a number")):
            text = "; MaxProcs: 4\n;\n" + good + "\n" + bad + "\n"
            with TempTrace(text) as path:
                with self.assertRaises(swfsim.TraceError) as cm:
                    swfsim.read_swf(path)
                self.assertIn("line 4", str(cm.exception), what)
                rc, out, err = run_main([path, "--policy", "fcfs"])
                self.assertEqual(rc, 2)
                self.assertIn("line 4", err)
                self.assertEqual(out, "")

    def test_missing_maxprocs(self):
        text = swf_text(4, [(1, 0, 10, 1, 10)], header=False)
        with TempTrace(text) as path:
            rc, _, err = run_main([path, "--policy", "easy"])
            self.assertEqual(rc, 2)
            self.assertIn("MaxProcs", err)
            rc, out, _ = run_main([path, "--policy", "easy", "-P", "4"])
            self.assertEqual(rc, 0)
            self.assertEqual(out, "job_id,submit,start,end\n1,0,0,10\n")


class TestCommandLine(unittest.TestCase):

    def test_csv_summary_jobs_gzip(self):
        # P = 4, fcfs.
        #  job 3: submit 0, run 10, 4 procs -> [0,10): wait 0, resp 10,
        #         bsld max(1, 10/10) = 1
        #  job 1: submit 5, run 2, 2 procs  -> [10,12): wait 5, resp 7,
        #         bsld max(1, 7/10) = 1
        #  job 2: submit 6, run 40, 2 procs -> [10,50): wait 4, resp 44,
        #         bsld 44/40 = 1.1
        #  job 9: fourth job line, dropped by --jobs 3.
        # mean wait 3, mean bsld 3.1/3, makespan 50 - 0 = 50,
        # utilization (40 + 4 + 80) / (4 * 50) = 0.62.
        jobs = [(3, 0, 10, 4, 10), (1, 5, 2, 2, 2), (2, 6, 40, 2, 40),
                (9, 7, 1, 1, 1)]
        with TempTrace(swf_text(4, jobs), gz=True) as path:
            fd, out = tempfile.mkstemp(suffix=".csv")
            os.close(fd)
            try:
                rc, stdout, err = run_main([path, "--policy", "fcfs",
                                            "--jobs", "3", "--out", out,
                                            "--summary"])
                self.assertEqual(rc, 0)
                self.assertEqual(stdout, "")
                with open(out) as f:
                    self.assertEqual(f.read(),
                                     "job_id,submit,start,end\n"
                                     "3,0,0,10\n1,5,10,12\n2,6,10,50\n")
            finally:
                os.unlink(out)
        s = json.loads(err)
        self.assertEqual(s["jobs"], 3)
        self.assertEqual(s["skipped"], {"procs_le_0": 0, "procs_gt_P": 0,
                                        "run_lt_0": 0})
        self.assertAlmostEqual(s["mean_wait"], 3.0)
        self.assertAlmostEqual(s["mean_bsld"], 3.1 / 3)
        self.assertEqual(s["makespan"], 50)
        self.assertAlmostEqual(s["utilization"], 0.62)


# ---------------------------------------------------------------------------
# a literal second reading of the rules, for differential tests
# ---------------------------------------------------------------------------

def literal_replay(jobs, P, policy):
    """jobs: list of dicts with id, submit, run, procs, req (already kept).
    Returns {index: start}.  Written for clarity, not speed."""
    n = len(jobs)
    queue_order = sorted(range(n), key=lambda k: (jobs[k]["submit"],
                                                  jobs[k]["id"], k))
    arrived = 0
    queue = []
    running = []      # dicts: k, start, seq
    start = {}
    seq = [0]

    def idle():
        return P - sum(jobs[r["k"]]["procs"] for r in running)

    def begin(k, now):
        start[k] = now
        running.append({"k": k, "start": now, "seq": seq[0]})
        seq[0] += 1
        queue.remove(k)

    def pred_end(r, now):
        return max(r["start"] + jobs[r["k"]]["req"], now)

    def fcfs_part(now):
        while queue and jobs[queue[0]]["procs"] <= idle():
            begin(queue[0], now)

    def easy(now):
        fcfs_part(now)
        if not queue:
            return
        H = jobs[queue[0]]
        free = idle()
        total = free
        S = None
        for r in sorted(running, key=lambda r: (pred_end(r, now), r["seq"])):
            total += jobs[r["k"]]["procs"]
            if total >= H["procs"]:
                S = pred_end(r, now)
                break
        if S is None:
            S = float("inf")
            extra = 0
        else:
            extra = free + sum(jobs[r["k"]]["procs"] for r in running
                               if pred_end(r, now) <= S) - H["procs"]
        for k in list(queue[1:]):
            J = jobs[k]
            if J["procs"] <= free:
                if now + J["req"] <= S:
                    ok = True
                elif J["procs"] <= extra:
                    extra -= J["procs"]
                    ok = True
                else:
                    ok = False
                if ok:
                    begin(k, now)
                    free -= J["procs"]

    def conservative(now):
        # The profile of this pass: processors idle at its start, plus
        # releases at the predicted ends of the jobs running at its start,
        # minus every reservation made so far in the pass (those of jobs
        # started by the pass included: it is what holds their processors).
        free0 = idle()
        releases = [(pred_end(r, now), jobs[r["k"]]["procs"])
                    for r in running]
        reservations = []     # (t0, t1, procs)

        def avail(t):
            return (free0 + sum(p for (e, p) in releases if e <= t)
                    - sum(p for (t0, t1, p) in reservations if t0 <= t < t1))

        for k in list(queue):
            J = jobs[k]
            points = sorted(set([now] + [e for (e, _) in releases if e > now]
                                + [t1 for (_, t1, _) in reservations]))
            for t in points:
                checks = [t] + [b for b in points if t < b < t + J["req"]]
                if all(avail(b) >= J["procs"] for b in checks):
                    break
            else:
                raise AssertionError("no reservation found")
            if J["req"] > 0:
                reservations.append((t, t + J["req"], J["procs"]))
            if t == now and J["procs"] <= idle():
                begin(k, now)

    do_pass = {"fcfs": fcfs_part, "easy": easy,
               "conservative": conservative}[policy]
    while arrived < n or running:
        cand = [jobs[queue_order[arrived]]["submit"]] if arrived < n else []
        cand += [r["start"] + jobs[r["k"]]["run"] for r in running]
        now = min(cand)
        running[:] = [r for r in running
                      if r["start"] + jobs[r["k"]]["run"] > now]
        while arrived < n and jobs[queue_order[arrived]]["submit"] <= now:
            queue.append(queue_order[arrived])
            arrived += 1
        do_pass(now)
        while any(r["start"] + jobs[r["k"]]["run"] <= now for r in running):
            running[:] = [r for r in running
                          if r["start"] + jobs[r["k"]]["run"] > now]
            do_pass(now)
    return start


class TestLiteralReading(unittest.TestCase):
    """swfsim's fast paths against the literal reading on random loads."""

    def random_jobs(self, rng, P, arrays=False):
        n = rng.randint(1, 40)
        jobs = []
        t = 0
        for i in range(n):
            t += rng.choice([0, 0, 0, 1, 2, 5, 10, 30])
            run = rng.choice([0, 0, 1, 3, 5, 10, 20, 40, 100])
            req = rng.choice([-1, 0, run, run, run + 5, max(1, run // 2),
                              rng.randint(1, 150)])
            procs = rng.randint(1, P)
            if arrays and jobs and rng.random() < 0.6:
                # a job array: the shape (procs, req) of the job before,
                # its own run (at most req, so the shape stays the same)
                procs, req = jobs[-1][3], jobs[-1][4]
                if req > 0:
                    run = rng.randint(0, req)
            jid = rng.randint(1, 10 ** 6) if rng.random() < 0.2 else i + 1
            jobs.append((jid, t, run, procs, req))
        return jobs

    def check(self, seed, arrays=False):
        rng = random.Random(seed)
        P = rng.choice([1, 2, 3, 4, 6, 8, 16])
        raw = self.random_jobs(rng, P, arrays)
        ids = set()
        raw = [j for j in raw if not (j[0] in ids or ids.add(j[0]))]
        cap = rng.random() < 0.3
        with TempTrace(swf_text(P, raw)) as path:
            _, records = swfsim.read_swf(path)
        kept, _ = swfsim.select_jobs(records, P, cap)
        lit_jobs = [{"id": kept.id[k], "submit": kept.submit[k],
                     "run": kept.run[k], "procs": kept.procs[k],
                     "req": kept.req[k]} for k in range(len(kept.id))]
        for policy in swfsim.POLICIES:
            fast = swfsim.simulate(kept, P, policy)
            lit = literal_replay(lit_jobs, P, policy)
            self.assertEqual(fast, [lit[k] for k in range(len(kept.id))],
                             "seed %d policy %s" % (seed, policy))

    def test_random_workloads(self):
        for seed in range(400):
            self.check(seed)

    def test_random_workloads_with_job_arrays(self):
        # runs of one shape, which conservative reserves together
        for seed in range(400):
            self.check(seed, arrays=True)


if __name__ == "__main__":
    unittest.main()
