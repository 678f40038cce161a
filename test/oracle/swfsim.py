#!/usr/bin/env python3
"""swfsim - an independent oracle for eddy's ideal SWF trace-replay model.

Written from the text of DESIGN.md, section "Trace replay semantics (SWF)",
and the clarifications the project decided on, alone.  It shares no code with
eddy and was written without reading eddy's scheduler, simulator or trace
code, so that agreement between the two is evidence and not an echo.

Usage:
    swfsim.py TRACE[.gz] --policy fcfs|easy|conservative [-P N]
              [--cap-runtime] [--jobs N] [--out FILE.csv] [--summary]

Writes CSV `job_id,submit,start,end` (kept jobs in file order) to --out or
stdout; --summary prints a JSON object of metrics to stderr.  Errors (a
malformed line, no MaxProcs and no -P) exit with status 2.

The model, in short (see DESIGN.md for the normative text):
  * P processors, no topology.
  * id=f1, submit=f2, run=f4, procs=f8 if >0 else f5, req=f9 if >0 else run;
    skip procs<=0, procs>P, run<0 (in that order, counted by reason).
  * Queue order (submit, id).  At an instant t: free completions at t, join
    arrivals at t, run one pass; if that pass started run-0 jobs they end at
    t too: free them and pass again, until a pass starts no run-0 job.
  * Predicted end of a running job: max(start + req, now).
  * fcfs / easy (EASY backfilling, one reservation for the head) /
    conservative (a reservation for every queued job, rebuilt each pass).

Importable: read_swf(), select_jobs(), simulate(), summarize(), main().
"""

import argparse
import bisect
import gzip
import heapq
import json
import re
import sys
from fractions import Fraction

POLICIES = ("fcfs", "easy", "conservative")

# A sentinel larger than any time or processor count in a trace.  An int, so
# that every comparison in the hot loops stays int-vs-int.
INF = 1 << 62


class TraceError(Exception):
    """A trace that cannot be replayed; the message names the line."""


# ---------------------------------------------------------------------------
# Reading SWF
# ---------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_MAXPROCS = re.compile(r";\s*MaxProcs\s*:\s*(\d+)")


def parse_number(tok):
    """An SWF field as an int; a fraction is truncated toward zero.

    Fraction does the truncation so that no float rounding can creep in
    (e.g. "1e20" or long decimals); the regex keeps out things Fraction would
    accept but that are not numbers in a trace ("1/2", "nan")."""
    try:
        return int(tok)
    except ValueError:
        pass
    if not _NUMBER.match(tok):
        raise ValueError(tok)
    return int(Fraction(tok))


def _open(path):
    # Sniff the gzip magic instead of trusting the file name.
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, "r", encoding="utf-8", errors="replace")


def read_swf(path, max_jobs=None):
    """Return (maxprocs or None, records).

    records: list of (line_no, id, submit, run, procs, req) for the job lines,
    in file order, before any skipping.  procs and req already have the
    field-8-else-5 and field-9-else-run rules applied.  Only the first
    max_jobs job lines are read when max_jobs is given."""
    maxprocs = None
    records = []
    with _open(path) as f:
        for line_no, line in enumerate(f, 1):
            s = line.strip()
            if not s:
                # A blank line (e.g. a trailing one) is neither a job nor
                # "a short line"; tolerate it.
                continue
            if s[0] == ";":
                if maxprocs is None:
                    m = _MAXPROCS.match(s)
                    if m:
                        maxprocs = int(m.group(1))
                continue
            if max_jobs is not None and len(records) >= max_jobs:
                break
            toks = s.split()
            if len(toks) != 18:
                raise TraceError("line %d: %d fields, expected 18"
                                 % (line_no, len(toks)))
            try:
                v = [parse_number(t) for t in toks]
            except ValueError as e:
                raise TraceError("line %d: not a number: %r"
                                 % (line_no, e.args[0]))
            run = v[3]
            procs = v[7] if v[7] > 0 else v[4]
            req = v[8] if v[8] > 0 else run
            records.append((line_no, v[0], v[1], run, procs, req))
    return maxprocs, records


class Jobs:
    """The kept jobs as parallel lists, in file order."""

    def __init__(self):
        self.id = []
        self.submit = []
        self.run = []      # what the job really runs for (capped if asked)
        self.procs = []
        self.req = []      # time limit; what backfilling plans with


def select_jobs(records, P, cap_runtime=False):
    """Apply the skip rules in their order; return (Jobs, skipped counts)."""
    jobs = Jobs()
    skipped = {"procs_le_0": 0, "procs_gt_P": 0, "run_lt_0": 0}
    for (_, jid, submit, run, procs, req) in records:
        if procs <= 0:
            skipped["procs_le_0"] += 1
            continue
        if procs > P:
            skipped["procs_gt_P"] += 1
            continue
        if run < 0:
            skipped["run_lt_0"] += 1
            continue
        if cap_runtime and req < run:
            run = req
        jobs.id.append(jid)
        jobs.submit.append(submit)
        jobs.run.append(run)
        jobs.procs.append(procs)
        jobs.req.append(req)
    return jobs, skipped


# ---------------------------------------------------------------------------
# Queue index
# ---------------------------------------------------------------------------

class QueueIndex:
    """Segment tree over queue ranks holding, per node, the least procs and
    the least req of the queued jobs below it (INF where no job is queued).

    Queue order is (submit, id) and every arrival has a submit no smaller
    than anything already queued, so a job's queue position is its rank in
    the (submit, id) sort of the whole trace.  The tree therefore has a fixed
    shape, and "the first queued job after position pos that satisfies X"
    is a descent instead of a scan over a queue that can hold hundreds of
    thousands of jobs."""

    def __init__(self, n):
        size, log = 1, 0
        while size < max(n, 1):
            size *= 2
            log += 1
        self.size = size
        self.log = log
        self.mp = [INF] * (2 * size)
        self.mr = [INF] * (2 * size)

    def set(self, i, procs, req):
        mp, mr = self.mp, self.mr
        i += self.size
        mp[i] = procs
        mr[i] = req
        i >>= 1
        while i:
            a, b = mp[2 * i], mp[2 * i + 1]
            np_ = a if a < b else b
            a, b = mr[2 * i], mr[2 * i + 1]
            nr = a if a < b else b
            if mp[i] == np_ and mr[i] == nr:
                break           # nothing above can change either
            mp[i] = np_
            mr[i] = nr
            i >>= 1

    def first(self, lo, hi, maxp, maxr=INF):
        """Least queued position in [lo, hi) with procs <= maxp and
        req <= maxr, or -1.

        Node minima only prune: a node can pass both tests without any single
        job passing both, so this walks subtrees left to right and backs out
        of such nodes; a leaf that passes is an answer by construction."""
        if lo >= hi:
            return -1
        mp, mr = self.mp, self.mr
        size, log = self.size, self.log
        i = lo + size
        while True:
            if mp[i] <= maxp and mr[i] <= maxr:
                if i >= size:
                    return i - size
                i <<= 1           # descend to the left child
                continue
            # Move to the subtree just right of node i.
            while i & 1:
                i >>= 1
            if i == 0:
                return -1
            i += 1
            # First position covered by node i; past hi means not found.
            if (i << (log - (i.bit_length() - 1))) - size >= hi:
                return -1


# ---------------------------------------------------------------------------
# The replay
# ---------------------------------------------------------------------------

class Replay:
    """One replay of a set of jobs on P processors under one policy."""

    def __init__(self, jobs, P, policy):
        if policy not in POLICIES:
            raise ValueError("unknown policy %r" % policy)
        self.P = P
        self.policy = policy
        n = len(jobs.id)
        # Rank order = queue order (submit, id); file index breaks exact ties
        # so that the order is total.
        order = sorted(range(n), key=lambda k: (jobs.submit[k], jobs.id[k], k))
        self.order = order
        self.submit = [jobs.submit[k] for k in order]
        self.run = [jobs.run[k] for k in order]
        self.procs = [jobs.procs[k] for k in order]
        self.req = [jobs.req[k] for k in order]
        self.n = n
        self.start_time = [None] * n          # by rank
        self.start_seq = [None] * n           # by rank: global start order
        self.started = [False] * n
        self.idle = P
        self.seq = 0                          # global start-order counter
        self.heap = []                        # (end, seq, rank) completions
        # Running jobs as (start + req, seq, procs, rank), kept sorted.  The
        # order by (max(start + req, now), seq) differs from this only among
        # jobs whose start + req <= now, which all have predicted end `now`;
        # within one predicted-end value the order never changes S, extra or
        # the conservative profile, so this incremental order serves.
        self.running = []
        self.narrived = 0                     # ranks [0, narrived) arrived
        self.head = 0                         # least queued rank
        self.index = QueueIndex(n) if policy != "fcfs" else None
        self.queue = []                       # conservative: queued ranks
        # conservative: run_end[k] = the first rank after k of another
        # shape (procs, req); ranks k .. run_end[k] - 1 have k's shape
        self.run_end = None
        if policy == "conservative":
            run_end = [n] * n
            for k in range(n - 2, -1, -1):
                if (self.procs[k + 1], self.req[k + 1]) == (self.procs[k], self.req[k]):
                    run_end[k] = run_end[k + 1]
                else:
                    run_end[k] = k + 1
            self.run_end = run_end
        self.passes = 0

    # -- bookkeeping ------------------------------------------------------

    def _start(self, j, now):
        self.started[j] = True
        self.start_time[j] = now
        self.idle -= self.procs[j]
        seq = self.seq
        self.seq = seq + 1
        self.start_seq[j] = seq
        heapq.heappush(self.heap, (now + self.run[j], seq, j))
        if self.index is not None:
            self.index.set(j, INF, INF)
            bisect.insort(self.running,
                          (now + self.req[j], seq, self.procs[j], j))

    def _complete(self, seq, j):
        self.idle += self.procs[j]
        if self.index is not None:
            running = self.running
            k = bisect.bisect_left(running,
                                   (self.start_time[j] + self.req[j], seq))
            del running[k]

    def _arrive(self, j):
        if self.index is not None:
            self.index.set(j, self.procs[j], self.req[j])
        if self.policy == "conservative":
            self.queue.append(j)

    def _advance_head(self):
        head, started, na = self.head, self.started, self.narrived
        while head < na and started[head]:
            head += 1
        self.head = head

    # -- the event loop ---------------------------------------------------

    def run_all(self):
        submit, heap = self.submit, self.heap
        n = self.n
        do_pass = {"fcfs": self._pass_fcfs, "easy": self._pass_easy,
                   "conservative": self._pass_conservative}[self.policy]
        while self.narrived < n or heap:
            t = INF
            if self.narrived < n:
                t = submit[self.narrived]
            if heap and heap[0][0] < t:
                t = heap[0][0]
            # Completions at t free their cores first (all of them, ties
            # included), then arrivals at t join, then one pass.
            while heap and heap[0][0] <= t:
                _, seq, j = heapq.heappop(heap)
                self._complete(seq, j)
            while self.narrived < n and submit[self.narrived] <= t:
                self._arrive(self.narrived)
                self.narrived += 1
            self._advance_head()
            do_pass(t)
            self.passes += 1
            # Jobs this pass started with run 0 end at t: a further round at
            # the same instant (free, then another pass), as long as a pass
            # keeps starting run-0 jobs.
            while heap and heap[0][0] <= t:
                while heap and heap[0][0] <= t:
                    _, seq, j = heapq.heappop(heap)
                    self._complete(seq, j)
                self._advance_head()
                do_pass(t)
                self.passes += 1
        return self

    # -- policies ---------------------------------------------------------

    def _fcfs_heads(self, now):
        """Start queue heads while they fit; stop at the first that does
        not."""
        procs, started = self.procs, self.started
        while self.head < self.narrived and procs[self.head] <= self.idle:
            self._start(self.head, now)
            head, na = self.head + 1, self.narrived
            while head < na and started[head]:
                head += 1
            self.head = head

    def _pass_fcfs(self, now):
        self._fcfs_heads(now)

    def _pass_easy(self, now):
        self._fcfs_heads(now)
        head, na = self.head, self.narrived
        if head >= na or self.idle == 0:
            return      # empty queue, or nothing can start: procs >= 1
        index = self.index
        # Nothing after the head fits the idle processors at all: the pass
        # would start nothing whatever S is; spare the reservation walk.
        if index.first(head + 1, na, self.idle) < 0:
            return
        # Reservation for the head H: walk the running jobs (including the
        # ones just started) by predicted end, accumulating processors.
        hp = self.procs[head]
        acc = self.idle
        S = INF
        running = self.running
        nr = len(running)
        k = 0
        while k < nr:
            e = running[k][0]
            acc += running[k][2]
            k += 1
            if acc >= hp:
                S = e if e > now else now
                break
        if S == INF:
            # Cannot happen when H.procs <= P (jobs above P are skipped);
            # an unreachable reservation delays nobody.
            extra = 0
            D = INF
        else:
            # Every job predicted to end at or before S, not just the ones
            # needed to reach H.procs.  max(e, now) <= S iff e <= S, S >= now.
            while k < nr and running[k][0] <= S:
                acc += running[k][2]
                k += 1
            extra = acc - hp
            D = S - now         # now + req <= S  <=>  req <= D
        # Backfill.  The rule visits every later queued job in order; since
        # free and extra only shrink during the pass, a job that fails when
        # visited fails for the rest of the pass too, so jumping straight to
        # the next job that satisfies the rule with the current free/extra
        # starts exactly the same jobs.  That job is the earlier of
        #   a: the first with procs <= min(free, extra), and
        #   b: the first with procs <= free and req <= D.
        procs, req = self.procs, self.req
        pos = head + 1
        while self.idle > 0:
            free = self.idle
            m = free if free < extra else extra
            a = index.first(pos, na, m) if m > 0 else -1
            b = index.first(pos, a if a >= 0 else na, free, D)
            j = b if b >= 0 else a
            if j < 0:
                break
            # The rule, literally: the "or" short-circuits, so a job that
            # ends by S leaves extra alone.
            if now + req[j] <= S:
                pass
            elif procs[j] <= extra:
                extra -= procs[j]
            else:   # unreachable: a/b were chosen to satisfy the rule
                raise AssertionError("backfill choice violates the rule")
            self._start(j, now)
            pos = j + 1

    def _pass_conservative(self, now):
        head, na = self.head, self.narrived
        if head >= na or self.idle == 0:
            return
        index = self.index
        if index.first(head, na, self.idle) < 0:
            return      # no queued job fits the idle processors
        # Availability profile as a step function: A[i] processors are
        # available during [T[i], T[i+1]) (the last step lasts forever and
        # equals P).  Releases at predicted ends max(start + req, now), so
        # jobs past their req count as released now.
        T = [now]
        A = [self.idle]
        for (e, _, p, _) in self.running:
            if e <= now:
                A[0] += p
            elif e == T[-1]:
                A[-1] += p
            else:
                T.append(e)
                A.append(A[-1] + p)
        procs, req = self.procs, self.req
        queue = self.queue
        started_any = False
        # A job can still start now only if it has procs <= idle (real idle
        # processors) and A >= procs on every step that meets [now, now +
        # req): a reservation at now.  Reservations and starts only lower A
        # and idle, so a job that fails this once fails it for the rest of
        # the pass.  `nxt` is the next queued job that passes; past the
        # last one the remaining reservations cannot change anything this
        # pass, so the pass stops there.  cap = min(idle, A[0]) is the
        # cheap part of the test, done by the index.
        def reservable_now(j):
            p = procs[j]
            end = T[0] + req[j]
            x, n = 0, len(T)
            while x < n and (x == 0 or T[x] < end):
                if A[x] < p:
                    return False
                x += 1
            return True

        run_end = self.run_end

        def candidate(lo, cap):
            while cap > 0:
                c = index.first(lo, na, cap)
                if c < 0 or reservable_now(c):
                    return c
                lo = run_end[c]     # its whole run fails alike
            return -1

        cap = min(self.idle, A[0])
        nxt = candidate(head, cap)
        qi = 0
        nq = len(queue)
        lo = 0
        # Queued jobs of one run (consecutive ranks of one shape) follow
        # each other in the queue.  Once one of them is reserved at T[i],
        # no breakpoint before i can take the next one (the profile only
        # lost processors since), so the next starts its search at i, and
        # as many as fit side by side at T[i] (the least A over their
        # interval, in units of p) all take T[i]: the same reservations,
        # one at a time or together.
        while qi < nq and nxt >= 0:
            j = queue[qi]
            if self.started[j]:
                qi += 1
                continue
            p, r = procs[j], req[j]
            # the queue is in rank order: its part of j's run is a slice
            same = bisect.bisect_left(queue, run_end[j], qi) - qi
            # Earliest breakpoint i >= lo such that A >= p on every step
            # that meets [T[i], T[i] + r), and on step i itself even when
            # r == 0.  (The earliest feasible start is always a
            # breakpoint: a start inside step i that is feasible makes
            # T[i] feasible too.)  The last step equals P (every release
            # in, every reservation ended), so the search always ends.
            n = len(T)
            i = lo
            while True:
                if A[i] < p:
                    i += 1
                    continue
                end = T[i] + r
                x = i + 1
                while x < n and T[x] < end:
                    if A[x] < p:
                        break
                    x += 1
                else:
                    break
                # Step x is short of p, and any start s in [i, x] has
                # T[s] <= T[x] < T[i] + r <= T[s] + r, so it meets step x.
                i = x + 1
            if r > 0:
                end = T[i] + r
                x = bisect.bisect_left(T, end, i)
                k = min(min(A[i:x]) // p, same)
                if x == n or T[x] != end:
                    T.insert(x, end)
                    A.insert(x, A[x - 1])
                for y in range(i, x):
                    A[y] -= k * p
            else:
                k = same            # holds nothing past its start
            if i == 0:
                for y in queue[qi:qi + k]:
                    if p <= self.idle:
                        self._start(y, now)
                        started_any = True
            last = queue[qi + k - 1]
            qi += k
            lo = i + 1 if k < same else 0
            c = min(self.idle, A[0])
            if last >= nxt:
                cap = c
                nxt = candidate(last + 1, cap)
            elif c != cap or not reservable_now(nxt):
                # the jobs before nxt failed already, under more than now
                cap = c
                nxt = candidate(nxt, cap)
        if started_any:
            self.queue = [j for j in queue if not self.started[j]]

    # -- results ----------------------------------------------------------

    def starts_by_file_order(self):
        """Start times indexed like the Jobs lists (file order)."""
        out = [None] * self.n
        for rank, k in enumerate(self.order):
            out[k] = self.start_time[rank]
        return out


def simulate(jobs, P, policy):
    """Replay jobs; return start times in the order of the Jobs lists."""
    return Replay(jobs, P, policy).run_all().starts_by_file_order()


def summarize(jobs, starts, P, skipped):
    n = len(jobs.id)
    out = {"jobs": n, "skipped": dict(skipped)}
    if n == 0:
        out.update(mean_wait=None, mean_bsld=None, utilization=None,
                   makespan=0)
        return out
    tw = 0
    tb = 0.0
    work = 0
    last_end = None
    for k in range(n):
        s, sub, run = starts[k], jobs.submit[k], jobs.run[k]
        end = s + run
        tw += s - sub
        resp = end - sub
        tb += max(1.0, resp / max(run, 10))
        work += run * jobs.procs[k]
        if last_end is None or end > last_end:
            last_end = end
    makespan = last_end - min(jobs.submit)
    out["mean_wait"] = tw / n
    out["mean_bsld"] = tb / n
    out["utilization"] = work / (P * makespan) if makespan > 0 else None
    out["makespan"] = makespan
    return out


def write_csv(f, jobs, starts):
    f.write("job_id,submit,start,end\n")
    f.writelines("%d,%d,%d,%d\n" % (jobs.id[k], jobs.submit[k], starts[k],
                                    starts[k] + jobs.run[k])
                 for k in range(len(jobs.id)))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Independent oracle for eddy's SWF replay model.")
    ap.add_argument("trace")
    ap.add_argument("--policy", required=True, choices=POLICIES)
    ap.add_argument("-P", type=int, default=None,
                    help="processors (default: the header's MaxProcs)")
    ap.add_argument("--cap-runtime", action="store_true",
                    help="a job runs min(run, req)")
    ap.add_argument("--jobs", type=int, default=None,
                    help="keep only the first N job lines (before skipping)")
    ap.add_argument("--out", default=None, help="CSV file (default stdout)")
    ap.add_argument("--summary", action="store_true",
                    help="print a JSON summary to stderr")
    a = ap.parse_args(argv)
    try:
        maxprocs, records = read_swf(a.trace, a.jobs)
    except TraceError as e:
        sys.stderr.write("swfsim: %s: %s\n" % (a.trace, e))
        return 2
    except OSError as e:
        sys.stderr.write("swfsim: %s\n" % e)
        return 2
    P = a.P if a.P is not None else maxprocs
    if P is None:
        sys.stderr.write("swfsim: %s: no '; MaxProcs:' header line; "
                         "give -P N\n" % a.trace)
        return 2
    if P <= 0:
        sys.stderr.write("swfsim: P must be positive (got %d)\n" % P)
        return 2
    jobs, skipped = select_jobs(records, P, a.cap_runtime)
    starts = simulate(jobs, P, a.policy)
    if a.out:
        with open(a.out, "w") as f:
            write_csv(f, jobs, starts)
    else:
        write_csv(sys.stdout, jobs, starts)
    if a.summary:
        sys.stderr.write(json.dumps(summarize(jobs, starts, P, skipped))
                         + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
