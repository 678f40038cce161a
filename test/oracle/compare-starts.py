#!/usr/bin/env python3
"""Compare two schedules job for job: every job's start time in A must equal
its start time in B.  Each file is a CSV with a header naming at least the
columns job_id and start (an empty start: the job never ran).  Prints a
one-line verdict and the first differences; exits 0 when they agree, 1 when
they do not, 2 on unreadable input.

Usage: compare-starts.py A.csv B.csv [--label TEXT]
"""
import csv
import sys


def starts(path):
    with open(path, newline="") as f:
        rows = csv.DictReader(f)
        if not rows.fieldnames or "job_id" not in rows.fieldnames \
                or "start" not in rows.fieldnames:
            raise ValueError(f"{path}: no job_id and start columns")
        out = {}
        for n, row in enumerate(rows, 2):
            jid = row["job_id"]
            if jid in out:
                raise ValueError(f"{path}: line {n}: job {jid} listed twice")
            s = row["start"].strip()
            # compare as numbers: "12" and "12.0" are one time
            out[jid] = float(s) if s else None
        return out


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--label")]
    label = ""
    for i, a in enumerate(argv):
        if a.startswith("--label="):
            label = a.split("=", 1)[1] + ": "
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    try:
        a, b = starts(args[0]), starts(args[1])
    except (OSError, ValueError) as e:
        print(f"compare-starts: {e}", file=sys.stderr)
        return 2
    diffs = []
    for jid in a:
        if jid not in b:
            diffs.append(f"job {jid}: only in {args[0]}")
        elif a[jid] != b[jid]:
            diffs.append(f"job {jid}: start {a[jid]} vs {b[jid]}")
    for jid in b:
        if jid not in a:
            diffs.append(f"job {jid}: only in {args[1]}")
    if diffs:
        print(f"{label}{len(diffs)} of {len(a)} jobs differ; first: " + "; ".join(diffs[:5]))
        return 1
    print(f"{label}all {len(a)} start times equal")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
