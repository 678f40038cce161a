#!/usr/bin/env bash
# check-r.sh: RFC 20 R version 1 vectors (r/ in the vectors), per
# r/MANIFEST.tsv.  Cases:
#   r/rfc20/<file>       accept/reject with `eddy R decode --strict` (RFC 20:
#                        nodelist REQUIRED; "invalid(strict)" = reject here)
#   r/flux-core/<file>   accept/reject with the lenient decoder (flux-core)
#   r/values/<file>:<k>  expected values: ranks, nodelist, ncores, ngpus,
#                        nnodes, cores/node, gpus/node, properties, rank->host
#   r/roundtrip/<file>   decode -> encode -> decode keeps ranks, nodelist,
#                        children, hosts and properties
#   r/encode/rfc20-example1  `eddy R encode` rebuilds the RFC 20 example
set -uo pipefail
exec python3 - "$EDDY_VECTORS/r" <<'EOF'
import json, re, subprocess, sys

vdir = sys.argv[1]

def eddy(args, path=None, stdin=None):
    data = open(path, "rb").read() if path else stdin
    p = subprocess.run(["eddy", "R"] + args, input=data, capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()

def report(ok, case, why=""):
    print(("PASS %s" % case) if ok else "FAIL %s: %s" % (case, why))

def expand(ids):
    out = set()
    for part in ids.strip("[]").split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out

rows = [l.rstrip("\n").split("\t") for l in open(vdir + "/MANIFEST.tsv")
        if l.strip() and not l.startswith("#")]
for row in rows:
    row += [""] * (5 - len(row))
    fname, rfc, flux, values, note = row[:5]
    path = "%s/%s" % (vdir, fname)

    rc, out, err = eddy(["decode", "--strict", "--ranks"], path)
    want = rfc == "valid"
    report((rc == 0) == want and (want or err.startswith("eddy-R: ")),
           "r/rfc20/" + fname,
           "expected %s, %s" % ("accept" if want else "reject",
                                 "rejected: " + err.strip() if rc else "accepted"))
    if flux in ("accept", "reject"):
        rc, out, err = eddy(["decode", "--ranks"], path)
        want = flux == "accept"
        report((rc == 0) == want, "r/flux-core/" + fname,
               "expected %s, %s" % (flux, "rejected: " + err.strip() if rc
                                    else "accepted"))
    if rc != 0 and flux != "accept" and rfc != "valid":
        continue

    # expected values
    tokens = values.split()
    i = 0
    checks = []
    while i < len(tokens):
        tok = tokens[i]
        if tok == "properties":
            props = {}
            i += 1
            while i < len(tokens) and "=" in tokens[i] and not tokens[i].startswith(("n", "r")):
                k, v = tokens[i].split("=", 1)
                props[k] = v
                i += 1
            checks.append(("properties", props))
            continue
        if tok.startswith("(") or tok in ("...",):
            # "(rank0=pi3 rank1=pi0 ... rank4=pi4)": rank -> host pairs
            hosts = {}
            while i < len(tokens):
                t = tokens[i].strip("()")
                if t.startswith("rank") and "=" in t:
                    k, v = t.split("=", 1)
                    hosts[int(k[4:])] = v
                done = tokens[i].endswith(")")
                i += 1
                if done:
                    break
            checks.append(("hosts", hosts))
            continue
        if "=" in tok:
            k, v = tok.split("=", 1)
            checks.append((k, v))
        i += 1

    for key, want in checks:
        case = "r/values/%s:%s" % (fname, key)
        if key == "ranks":
            rc, out, err = eddy(["decode", "--ranks"], path)
            report(rc == 0 and expand(out.strip()) == expand(want), case,
                   "got %r want %r" % (out.strip() or err.strip(), want))
        elif key == "nodelist":
            rc, out, err = eddy(["decode", "--nodelist"], path)
            report(rc == 0 and out.strip() == want, case,
                   "got %r want %r" % (out.strip() or err.strip(), want))
        elif key in ("ncores", "ngpus", "nnodes"):
            what = {"ncores": "cores", "ngpus": "gpus", "nnodes": "nodes"}[key]
            rc, out, err = eddy(["decode", "--count=" + what], path)
            report(rc == 0 and out.strip() == want, case,
                   "got %r want %r" % (out.strip() or err.strip(), want))
        elif key in ("cores/node", "gpus/node"):
            rc, out, err = eddy(["decode", "--short"], path)
            kind = key.split("s/")[0]
            ok = rc == 0 and out.strip() != ""
            for line in out.split():
                found = dict(re.findall(r"(core|gpu)(\[[^\]]*\]|\d+)",
                                        line.split("/", 1)[1]))
                got = found.get(kind)
                ok = ok and got is not None and expand(got) == expand(want)
            report(ok, case, "got %r want %s%s" % (out.strip(), kind, want))
        elif key == "properties":
            rc, out, err = eddy(["decode", "--properties"], path)
            got = dict(l.split("=", 1) for l in out.split())
            ok = rc == 0 and got.keys() == want.keys() and all(
                expand(got[k]) == expand(want[k]) for k in want)
            report(ok, case, "got %r want %r" % (got, want))
        elif key == "hosts":
            rc, out, err = eddy(["decode", "--hosts"], path)
            got = {int(l.split()[0]): l.split()[1] for l in out.splitlines()}
            ok = rc == 0 and all(got.get(r) == h for r, h in want.items())
            report(ok, case, "got %r want %r" % (got, want))
        elif key == "nslots":
            continue  # execution.nslots is informative scheduler data, not R
        else:
            report(False, case, "unknown expected value")

    # round trip through eddy's encoder
    view = ["decode", "--ranks", "--short", "--properties"]
    rc, direct, err = eddy(view + (["--hosts"]), path)
    rc2, enc, err2 = eddy(["decode"], path)
    rc3, again, err3 = eddy(view + ["--hosts"], stdin=enc.encode())
    report(rc == 0 and rc2 == 0 and rc3 == 0 and direct == again,
           "r/roundtrip/" + fname, "%r != %r %s" % (direct, again, err3))

# eddy R encode rebuilds the RFC 20 example's resources
rc, out, err = eddy(["encode", "--hosts=node[186-189]", "--ranks=19-22",
                     "--cores=0-47", "--gpus=0-7"])
ex = json.load(open(vdir + "/rfc20/example1.json"))["execution"]
ok = False
if rc == 0:
    got = json.loads(out)["execution"]
    ok = got["R_lite"] == ex["R_lite"] and got["nodelist"] == ex["nodelist"]
report(ok, "r/encode/rfc20-example1", out.strip() or err.strip())
EOF
