#!/usr/bin/env python3
"""gen-check.py - check a workload from `eddy sim generate` against the
Lublin-Feitelson model's published parameters, computed here on their own
(this file shares no code with traces/gen.c: its gamma distribution
function is a series and a continued fraction, where gen.c integrates the
density numerically, and its size law is worked out interval by interval).

  gen-check.py sizes SWF P SERIAL POW2 ULOW UMED UHI UPROB
  gen-check.py runtime SWF SIZE A1 B1 A2 B2 PA PB
  gen-check.py arrival SWF AARR BARR LOAD [LNMAX]
  gen-check.py daily SWF ANUM BNUM
  gen-check.py mix SWF AARR_B BARR_B AARR_I BARR_I

Each mode prints what it compared and exits 1 if a figure is off by more
than its tolerance (5 standard errors, or the stated margin).
"""
import math
import sys


def read_swf(path, queue=None):
    jobs = []
    with open(path) as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith(";"):
                continue
            v = s.split()
            if len(v) != 18:
                raise SystemExit("bad line: " + s)
            j = dict(submit=float(v[1]), run=int(v[3]), procs=int(v[7]),
                     req=int(v[8]), queue=int(v[14]))
            if queue is None or j["queue"] == queue:
                jobs.append(j)
    return jobs


def gammainc_lower(a, x):
    """Regularized lower incomplete gamma P(a, x)."""
    if x <= 0:
        return 0.0
    lead = math.exp(-x + a * math.log(x) - math.lgamma(a))
    if x < a + 1:
        term = 1.0 / a
        total = term
        n = a
        for _ in range(10000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return total * lead
    # continued fraction for Q (modified Lentz)
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return 1 - lead * h


def gamma_cdf(x, shape, scale):
    return gammainc_lower(shape, x / scale)


failed = []


def check(name, got, want, tol):
    bad = abs(got - want) > tol
    print("%s %s: got %.6g, expected %.6g (tolerance %.3g)"
          % ("FAIL" if bad else "ok", name, got, want, tol))
    if bad:
        failed.append(name)


def size_law(P, serial, pow2, ulow, umed, uhi, uprob):
    """P(size = s) for s = 1..P."""
    law = [0.0] * (P + 1)
    law[1] += serial
    maxsize = min(P, int(math.floor(2 ** uhi + 0.5)))

    def uniform_mass(lo, hi):  # mass of the two-stage uniform in [lo, hi)
        m = 0.0
        for a, b, w in ((ulow, umed, uprob), (umed, uhi, 1 - uprob)):
            if b <= a:
                if a >= lo and a < hi:
                    m += w
                continue
            o = max(0.0, min(hi, b) - max(lo, a))
            m += w * o / (b - a)
        return m

    # power-of-two branch: round(u) = k
    for k in range(0, 40):
        m = uniform_mass(k - 0.5, k + 0.5)
        if m > 0:
            s = min(2 ** k, maxsize)
            if s >= 1:
                law[max(1, s)] += pow2 * m
    # the rest: round(2^u) = s
    rest = 1 - serial - pow2
    for s in range(1, P + 1):
        lo = math.log2(s - 0.5) if s > 1 else -1e9
        hi = math.log2(s + 0.5) if s < maxsize else 1e9
        m = uniform_mass(lo, hi)
        if s <= maxsize:
            law[s] += rest * m
    return law


def mode_sizes(argv):
    path, P = argv[0], int(argv[1])
    serial, pow2, ulow, umed, uhi, uprob = map(float, argv[2:8])
    jobs = read_swf(path)
    n = len(jobs)
    law = size_law(P, serial, pow2, ulow, umed, uhi, uprob)
    counts = [0] * (P + 1)
    for j in jobs:
        if j["procs"] < 1 or j["procs"] > P:
            print("FAIL size %d outside 1..%d" % (j["procs"], P))
            failed.append("range")
            return
        counts[j["procs"]] += 1
    # chi-square over sizes with expected count >= 10 (the rest pooled)
    chi, df, pool_e, pool_o = 0.0, 0, 0.0, 0
    for s in range(1, P + 1):
        e = law[s] * n
        if e >= 10:
            chi += (counts[s] - e) ** 2 / e
            df += 1
        else:
            pool_e += e
            pool_o += counts[s]
    if pool_e >= 10:
        chi += (pool_o - pool_e) ** 2 / pool_e
        df += 1
    df -= 1
    # Wilson-Hilferty: chi/df is about normal(1, 2/(9 df)) cubed
    z = ((chi / df) ** (1 / 3) - (1 - 2 / (9 * df))) / math.sqrt(2 / (9 * df))
    print("sizes: chi-square %.1f on %d degrees of freedom (z = %.2f)" % (chi, df, z))
    check("size law (chi-square z)", z, 0.0, 4.0)
    for s in (1, 2, 32, P):
        p = law[s]
        check("P(size = %d)" % s, counts[s] / n, p, 5 * math.sqrt(p * (1 - p) / n) + 1e-9)


def mode_runtime(argv):
    path, size = argv[0], int(argv[1])
    a1, b1, a2, b2, pa, pb = map(float, argv[2:8])
    jobs = [j for j in read_swf(path) if j["procs"] == size]
    n = len(jobs)
    p = min(1.0, max(0.0, pa * size + pb))
    print("runtime of %d jobs of size %d (p = %.4f)" % (n, size, p))
    if n < 1000:
        print("FAIL too few jobs of size %d: %d" % (size, n))
        failed.append("count")
        return
    runs = sorted(j["run"] for j in jobs)
    trunc = p * gamma_cdf(12, a1, b1) + (1 - p) * gamma_cdf(12, a2, b2)
    for x in (1, 10, 60, 300, 1800, 3600, 14400, 86400):
        # run = floor(exp(v)) <= x  <=>  v < ln(x + 1)
        v = math.log(x + 1)
        want = (p * gamma_cdf(v, a1, b1) + (1 - p) * gamma_cdf(v, a2, b2)) / trunc
        got = sum(1 for r in runs if r <= x) / n
        check("P(run <= %d s | size %d)" % (x, size), got, want,
              5 * math.sqrt(max(want * (1 - want), 1e-6) / n))


def truncated_exp_moment(k, a, b, top):
    """E[exp(k g) | g <= top] for g ~ gamma(a, scale b), k b < 1."""
    scale = b / (1 - k * b)
    return (1 - k * b) ** (-a) * gamma_cdf(top, a, scale) / gamma_cdf(top, a, b)


def mode_arrival(argv):
    path = argv[0]
    a, b, load = map(float, argv[1:4])
    top = float(argv[4]) if len(argv) > 4 else 13.0
    jobs = read_swf(path)
    n = len(jobs)
    t = [j["submit"] for j in jobs]
    if any(t[i] > t[i + 1] for i in range(n - 1)):
        print("FAIL submit times are not in order")
        failed.append("order")
    mean = (t[-1] - t[0]) / (n - 1)
    m1 = truncated_exp_moment(1, a, b, top) / load
    m2 = truncated_exp_moment(2, a, b, top) / load ** 2 if 2 * b < 1 else None
    sd = math.sqrt(m2 - m1 * m1) if m2 else m1 * 3
    check("mean inter-arrival (s)", mean, m1, 5 * sd / math.sqrt(n) + 1)


def mode_daily(argv):
    path = argv[0]
    anum, bnum = map(float, argv[1:3])
    jobs = read_swf(path)
    n = len(jobs)
    w = [0.0] * 48
    for i in range(11, 59):
        w[(i - 1) % 48] = gamma_cdf(i + 0.5, anum, bnum) - gamma_cdf(i - 0.5, anum, bnum)
    total = sum(w)
    hours = [0] * 24
    for j in jobs:
        hours[int(j["submit"] % 86400) // 3600] += 1
    for h in range(24):
        want = (w[2 * h] + w[2 * h + 1]) / total
        got = hours[h] / n
        # arrivals cluster (heavy-tailed gaps): about 3x Poisson noise seen
        check("share of arrivals in hour %02d" % h, got, want, 8 * math.sqrt(want / n) + 0.001)
    want = sum(w[18:34]) / total
    got = sum(hours[9:17]) / n
    check("share of arrivals 09:00-17:00", got, want, 0.01)


def mode_mix(argv):
    path = argv[0]
    ab, bb, ai, bi = map(float, argv[1:5])
    jobs = read_swf(path)
    n = len(jobs)
    rb = 1 / truncated_exp_moment(1, ab, bb, 13.0)
    ri = 1 / truncated_exp_moment(1, ai, bi, 13.0)
    want = ri / (rb + ri)
    got = sum(1 for j in jobs if j["queue"] == 0) / n
    check("share of interactive jobs (queue 0)", got, want, 0.02)


modes = dict(sizes=mode_sizes, runtime=mode_runtime, arrival=mode_arrival,
             daily=mode_daily, mix=mode_mix)
if len(sys.argv) < 3 or sys.argv[1] not in modes:
    raise SystemExit(__doc__)
modes[sys.argv[1]](sys.argv[2:])
sys.exit(1 if failed else 0)
