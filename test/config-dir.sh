#!/usr/bin/env bash
# config-dir.sh: `eddy config` on conf.d directories: files merge in name
# order, a key set by two files is an error naming both, other files are
# ignored, and TOML errors carry FILE:LINE:COL.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
ok() { echo "ok: $1"; }
bad() { echo "FAILED: $1"; failures=$((failures + 1)); }

# expect NAME STATUS PATTERN CMD...: exit STATUS and combined output
# matching the bash glob PATTERN.
expect() {
    local name=$1 status=$2 pattern=$3
    shift 3
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$status" ] && [[ "$out" == $pattern ]]; then
        ok "$name"
    else
        bad "$name: exit $rc, output: $out"
    fi
}

mkdir "$tmp/merge"
printf '[resource]\npath = "/etc/eddy/R"\n' >"$tmp/merge/a.toml"
printf '[resource]\nnoverify = true\n[tbon]\ntopo = "kary:2"\n' >"$tmp/merge/b.toml"
printf 'this is not toml\n' >"$tmp/merge/README"
printf 'not = toml = either\n' >"$tmp/merge/.hidden.toml"
expect "tables split over files merge" 0 "" eddy config check "$tmp/merge"
expect "merged table has keys from both files" 0 '{"path":"/etc/eddy/R","noverify":true}' \
    eddy config get --config-path="$tmp/merge" resource
expect "get reads nested keys" 0 '"kary:2"' eddy config get -c "$tmp/merge" tbon.topo
expect "get of a missing key fails" 1 "eddy-config: tbon.nope: no such key in*" \
    eddy config get -c "$tmp/merge" tbon.nope

mkdir "$tmp/dup"
printf '[tbon]\ntopo = "binary"\n' >"$tmp/dup/10-site.toml"
printf '# local override\n[tbon]\ntopo = "kary:4"\n' >"$tmp/dup/2-local.toml"
expect "a key in two files names both files (later one first)" 1 \
    "eddy-config: $tmp/dup/2-local.toml: 'tbon.topo' is already defined in $tmp/dup/10-site.toml" \
    eddy config check "$tmp/dup"

mkdir "$tmp/kind"
printf 'exec = 1\n' >"$tmp/kind/a.toml"
printf '[exec]\nimp = "x"\n' >"$tmp/kind/b.toml"
expect "a value in one file and a table in another conflict" 1 \
    "eddy-config: $tmp/kind/b.toml: 'exec' is already defined in $tmp/kind/a.toml" \
    eddy config check "$tmp/kind"

mkdir "$tmp/aot"
printf '[[resource.config]]\nhosts = "a"\n' >"$tmp/aot/a.toml"
printf '[[resource.config]]\nhosts = "b"\n' >"$tmp/aot/b.toml"
expect "an array of tables in two files conflicts" 1 \
    "*b.toml: 'resource.config' is already defined in *a.toml" eddy config check "$tmp/aot"

mkdir "$tmp/broken"
printf '[ok]\nx = 1\n' >"$tmp/broken/a.toml"
printf '[b]\ny = [1,\n  2\n' >"$tmp/broken/b.toml"
expect "a TOML error in a directory names file, line and column" 1 \
    "eddy-config: $tmp/broken/b.toml:2:5: unterminated array" eddy config check "$tmp/broken"
expect "an error in a single file" 1 "eddy-config: $tmp/broken/b.toml:2:5: unterminated array" \
    eddy config check "$tmp/broken/b.toml"

mkdir "$tmp/empty"
expect "an empty directory is an empty config" 0 "" eddy config check "$tmp/empty"
expect "a missing path is an error" 1 "eddy-config: $tmp/none: No such file or directory" \
    eddy config check "$tmp/none"
expect "--help prints usage" 0 "Usage: eddy config*" eddy config --help
expect "no subcommand is a usage error that says so" 1 "eddy-config: needs a subcommand: *Usage: eddy config*" eddy config

[ "$failures" -eq 0 ]
