#!/usr/bin/env python3
"""Run toml-decoder over the toml-test 1.0 vectors; print PASS/FAIL per case.

Valid cases: the decoder must exit 0 and its tagged JSON must match the .json
file under toml-test's comparison rules (types exact; strings and integers as
text; bools case-insensitive; floats numerically with nan == nan; dates and
times as instants, 'T'/' ' and 'Z'/'z' equivalent).  Invalid cases: the
decoder must exit non-zero.  Case id = path under toml-test/.
"""
import datetime
import json
import math
import os
import re
import subprocess
import sys

DT_RE = re.compile(
    r"^(?:(\d{4})-(\d{2})-(\d{2}))?(?:[Tt ]?(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"([Zz]|[+-]\d{2}:\d{2})?$"
)


def instant(kind, text):
    m = DT_RE.match(text)
    if not m:
        raise ValueError("bad %s %r" % (kind, text))
    y, mo, d, h, mi, s, frac, off = m.groups()
    us = int((frac or "0")[:6].ljust(6, "0"))
    if kind == "time-local":
        return (int(h), int(mi), int(s or 0), us // 1000)
    if kind == "date-local":
        return (int(y), int(mo), int(d))
    sec = int(s or 0)
    leap = sec == 60
    base = datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), 59 if leap else sec,
                             us // 1000 * 1000)
    if kind == "datetime-local":
        return (base, leap)
    if off is None:
        raise ValueError("offset datetime without offset: %r" % text)
    if off in ("Z", "z"):
        delta = datetime.timedelta(0)
    else:
        sign = -1 if off[0] == "-" else 1
        delta = sign * datetime.timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))
    return (base - delta, leap)


def parse_float(text):
    t = text.strip().lower()
    if t in ("nan", "+nan", "-nan"):
        return math.nan
    if t in ("inf", "+inf"):
        return math.inf
    if t == "-inf":
        return -math.inf
    return float(t)


def compare(want, got, path):
    """Return None if equal, else a description of the first difference."""
    where = path or "<root>"
    if isinstance(want, dict) and set(want.keys()) == {"type", "value"} and isinstance(
        want.get("value"), str
    ):
        if not isinstance(got, dict) or set(got.keys()) != {"type", "value"}:
            return "%s: want a %s scalar, got %s" % (where, want["type"], json.dumps(got)[:60])
        wt, gt = want["type"], got["type"]
        if wt != gt:
            return "%s: type %s, want %s" % (where, gt, wt)
        wv, gv = want["value"], got["value"]
        if wt in ("string", "integer"):
            ok = wv == gv
        elif wt == "bool":
            ok = wv.lower() == gv.lower()
        elif wt == "float":
            a, b = parse_float(wv), parse_float(gv)
            ok = (math.isnan(a) and math.isnan(b)) or a == b
        elif wt in ("datetime", "datetime-local", "date-local", "time-local"):
            try:
                ok = instant(wt, wv) == instant(wt, gv)
            except ValueError as e:
                return "%s: %s" % (where, e)
        else:
            return "%s: unknown type %s" % (where, wt)
        if not ok:
            return "%s: value %r, want %r" % (where, gv, wv)
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: want a table" % where
        if set(want) != set(got):
            extra = sorted(set(got) - set(want))[:3]
            missing = sorted(set(want) - set(got))[:3]
            return "%s: keys differ (extra %s, missing %s)" % (where, extra, missing)
        for k in want:
            r = compare(want[k], got[k], path + "." + k if path else k)
            if r:
                return r
        return None
    if isinstance(want, list):
        if not isinstance(got, list):
            return "%s: want an array" % where
        if len(want) != len(got):
            return "%s: array length %d, want %d" % (where, len(got), len(want))
        for i, (a, b) in enumerate(zip(want, got)):
            r = compare(a, b, "%s[%d]" % (path, i))
            if r:
                return r
        return None
    return "%s: unexpected expected-value %r" % (where, want)


def run(decoder, tomlfile):
    with open(tomlfile, "rb") as f:
        data = f.read()
    return subprocess.run([decoder], input=data, capture_output=True, timeout=30)


def main():
    vectors = os.environ.get("EDDY_VECTORS", "../shared/vectors")
    root = os.path.join(vectors, "toml-test")
    decoder = os.environ.get("TOML_DECODER", "toml-decoder")
    cases = []
    for sub in ("valid", "invalid"):
        for d, _, files in os.walk(os.path.join(root, sub)):
            for f in files:
                if f.endswith(".toml"):
                    cases.append(os.path.relpath(os.path.join(d, f), root))
    if not cases:
        print("FAIL toml-test: no cases under %s" % root)
        return 1
    for case in sorted(cases):
        path = os.path.join(root, case)
        cid = "toml-test/" + case
        try:
            r = run(decoder, path)
        except Exception as e:  # timeout, missing decoder
            print("FAIL %s: %s" % (cid, e))
            continue
        if r.returncode < 0 or r.returncode > 1:
            print("FAIL %s: decoder crashed (status %d)" % (cid, r.returncode))
            continue
        if case.startswith("invalid/"):
            if r.returncode == 0:
                print("FAIL %s: accepted invalid TOML" % cid)
            else:
                print("PASS %s" % cid)
            continue
        if r.returncode != 0:
            err = r.stderr.decode("utf-8", "replace").strip().splitlines()
            print("FAIL %s: rejected: %s" % (cid, err[-1] if err else "?"))
            continue
        try:
            got = json.loads(r.stdout)
            with open(path[:-5] + ".json", "rb") as f:
                want = json.loads(f.read())
        except ValueError as e:
            print("FAIL %s: bad JSON: %s" % (cid, e))
            continue
        diff = compare(want, got, "")
        print("FAIL %s: %s" % (cid, diff) if diff else "PASS %s" % cid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
