#!/usr/bin/env bash
# check-jobspec.sh: RFC 14 / RFC 25 jobspec vectors (jobspec/ in the vectors).
# Cases:
#   jobspec/<dir>/<file>:<level>      valid files accepted, invalid rejected
#   jobspec/json/<dir>/<file>:<level> the same through the JSON mirror
#   jobspec/convert/<dir>/<file>      YAML -> canonical JSON equals the mirror
#                                     (types compared strictly: 1 != 1.0)
#   jobspec/fragment/<file>           RFC 26 dependency arrays accepted when
#                                     embedded in a jobspec
#   jobspec/summary/<reader>/<file>   scheduler summary vs flux-core readers
set -uo pipefail
V="$EDDY_VECTORS/jobspec"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

accept() { # id level file
    if out=$(eddy jobspec validate --level="$2" "$3" 2>&1); then
        echo "PASS $1"
    else
        echo "FAIL $1: rejected: $out"
    fi
}

reject() { # id level file
    if out=$(eddy jobspec validate --level="$2" "$3" 2>&1); then
        echo "FAIL $1: accepted"
    elif ! grep -q "^eddy-jobspec: .*: ." <<<"$out"; then
        echo "FAIL $1: no error message: $out"
    else
        echo "PASS $1"
    fi
}

# Levels per folder: valid V1 files are valid canonical jobspecs too.
for ext in yaml json; do
    if [ $ext = yaml ]; then base="$V"; pre="jobspec"; else base="$V/json"; pre="jobspec/json"; fi
    for f in "$base"/valid/rfc14/*.$ext "$base"/valid/flux-core-canonical/*.$ext; do
        rel=${f#"$base"/}
        accept "$pre/$rel:canonical" canonical "$f"
    done
    for f in "$base"/valid/rfc25/*.$ext "$base"/valid/flux-core-v1/*.$ext; do
        rel=${f#"$base"/}
        accept "$pre/$rel:v1" v1 "$f"
        accept "$pre/$rel:canonical" canonical "$f"
    done
    for f in "$base"/invalid/flux-core-canonical/*.$ext; do
        rel=${f#"$base"/}
        reject "$pre/$rel:canonical" canonical "$f"
        reject "$pre/$rel:v1" v1 "$f"
    done
    for f in "$base"/invalid/flux-core-v1/*.$ext; do
        rel=${f#"$base"/}
        reject "$pre/$rel:v1" v1 "$f"
    done
done

# YAML -> canonical JSON must equal the collector's PyYAML conversion.
for f in "$V"/valid/*/*.yaml; do
    rel=${f#"$V"/valid/}
    mirror="$V/json/valid/${rel%.yaml}.json"
    id="jobspec/convert/$rel"
    if ! eddy jobspec convert --level=canonical "$f" >"$tmp/out.json" 2>"$tmp/err"; then
        echo "FAIL $id: $(cat "$tmp/err")"
        continue
    fi
    python3 - "$tmp/out.json" "$mirror" "$id" <<'EOF'
import json, sys
def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b
got = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))
print(("PASS %s" % sys.argv[3]) if same(got, want)
      else "FAIL %s: %s != %s" % (sys.argv[3], json.dumps(got), json.dumps(want)))
EOF
done

# RFC 26 fragments: embed each dependency array in a minimal jobspec.
for f in "$V"/json/fragments/rfc26-dependencies/*.json; do
    name=$(basename "$f" .json)
    python3 - "$f" >"$tmp/frag.json" <<'EOF'
import json, sys
deps = json.load(open(sys.argv[1]))
print(json.dumps({"version": 1,
                  "resources": [{"type": "slot", "count": 1, "label": "task",
                                 "with": [{"type": "core", "count": 1}]}],
                  "tasks": [{"command": ["true"], "slot": "task",
                             "count": {"per_slot": 1}}],
                  "attributes": {"system": {"duration": 0,
                                            "dependencies": deps}}}))
EOF
    accept "jobspec/fragment/$name" v1 "$tmp/frag.json"
done

# Summaries.  rreq-reader is flux-core's current reader: every row applies.
# jj-reader is the older one; its "ok" rows and its "Unable to determine"
# errors apply, its other errors come from not reading count ranges or
# from the duration lookup, which eddy does not share.
tail -n +2 "$V/flux-core-sched-simple-summary.tsv" | while IFS=$'\t' read -r reader file result output; do
    id="jobspec/summary/$reader/$file"
    if [ "$result" = error ] && [[ "$output" != *"Unable to determine"* ]]; then
        continue
    fi
    got=$(eddy jobspec summary --level=canonical "$V/$file" 2>&1)
    rc=$?
    got=${got% ntasks=*}
    if [ "$result" = ok ]; then
        if [ $rc -eq 0 ] && [ "$got" = "$output" ]; then
            echo "PASS $id"
        else
            echo "FAIL $id: got '$got', want '$output'"
        fi
    else
        want=${output#*: }
        want=${want#jj-reader: }
        if [ $rc -ne 0 ] && [[ "$got" == *"$want"* ]]; then
            echo "PASS $id"
        else
            echo "FAIL $id: got '$got', want error '$want'"
        fi
    fi
done
