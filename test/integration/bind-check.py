#!/usr/bin/env python3
"""bind-check.py MODE R-FILE TASKS-FILE [NOGPU-VALUE [GPU-MODE]]: check the tasks of
one job against its R, for t0065/t0066.  Each line of TASKS-FILE is what a
task printed (key=value words after "task N").  The expected cpus of a
task come from R's cores on its broker, dealt as flux-shell's
cpu-affinity MODE says (on: all of them; per-task: task i of n gets cores
[i*c/n, (i+1)*c/n), or core i*c/n when c < n), mapped to OS cpus by
hwloc-calc (the topology in HWLOC_SYNTHETIC, or this machine's); its gpu
variables are the broker's gpus (GPU-MODE on, the default), task i's
share of them dealt as its cores are (per-task), or NOGPU-VALUE (default:
unset) without gpus or with GPU-MODE off.
Prints one line per problem and exits 1 if there is any."""
import json
import subprocess
import sys


def ids(text):
    out = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def os_cpus(cores):
    if not cores:
        return []
    locs = ["core:%d" % c for c in cores]
    out = subprocess.run(["hwloc-calc", "--physical-output", "--intersect", "PU"] + locs,
                         capture_output=True, text=True, check=True).stdout.strip()
    return sorted(int(x) for x in out.split(","))


def main():
    mode, rfile, tfile = sys.argv[1:4]
    nogpu = sys.argv[4] if len(sys.argv) > 4 else "unset"
    gmode = sys.argv[5] if len(sys.argv) > 5 else "on"
    R = json.load(open(rfile))
    ranks = {}
    for e in R["execution"]["R_lite"]:
        for r in ids(e["rank"]):
            ranks[r] = (ids(e["children"].get("core", "")), ids(e["children"].get("gpu", "")))
    tasks = []
    for line in open(tfile):
        w = line.split()
        if len(w) < 2 or w[0] != "task":
            continue
        kv = dict(x.split("=", 1) for x in w[2:])
        kv["rank"] = int(w[1])
        tasks.append(kv)
    bad = []
    size = len(tasks)
    if sorted(t["rank"] for t in tasks) != list(range(size)):
        bad.append("task ranks are not 0..%d once each" % (size - 1))
    for t in tasks:
        for k, v in (("size", str(size)), ("nnodes", str(len(ranks))), ("id", tasks[0]["id"])):
            if t[k] != v:
                bad.append("task %d: %s=%s, expected %s" % (t["rank"], k, t[k], v))
    for b in sorted({int(t["broker"]) for t in tasks}):
        if b not in ranks:
            bad.append("broker %d runs tasks but is not in R" % b)
            continue
        cores, gpus = ranks[b]
        mine = sorted((t for t in tasks if int(t["broker"]) == b), key=lambda t: t["rank"])
        n, c = len(mine), len(cores)
        for i, t in enumerate(mine):
            if t["local"] != str(i):
                bad.append("task %d: local=%s, expected %d" % (t["rank"], t["local"], i))
            if mode == "off":
                want = "unset"
            else:
                if mode == "on":
                    sel = cores
                elif c >= n:
                    sel = cores[i * c // n:(i + 1) * c // n]
                else:
                    sel = [cores[i * c // n]]
                want = os_cpus(sel)
            got = "unset" if t["cpus"] == "unset" else ids(t["cpus"])
            if got != want:
                bad.append("task %d on broker %d (cores %s): cpus %s, expected %s"
                           % (t["rank"], b, cores, t["cpus"], want))
            g = len(gpus)
            if gmode == "per-task" and g >= n:
                mygpus = gpus[i * g // n:(i + 1) * g // n]
            elif gmode == "per-task" and g:
                mygpus = [gpus[i * g // n]]
            else:
                mygpus = gpus
            gw = ",".join(str(x) for x in mygpus) if mygpus and gmode != "off" else nogpu
            for var in ("cuda", "rocr"):
                if t[var] != gw:
                    bad.append("task %d: %s=%s, expected %s" % (t["rank"], var, t[var], gw))
    for m in bad:
        print(m)
    print("%s: %d tasks on %d brokers, %d problems" % (tfile, size, len(ranks), len(bad)))
    return 1 if bad else 0


sys.exit(main())
