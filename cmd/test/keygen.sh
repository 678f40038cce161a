#!/usr/bin/env bash
# eddy keygen: a private certificate file, refusal to overwrite, --force.
set -u
fail=0
check() { # description command...
    local what=$1; shift
    if "$@"; then echo "ok: $what"; else echo "not ok: $what"; fail=1; fi
}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cert=$dir/curve.cert

check "keygen writes PATH" eddy keygen "$cert"
check "mode is 0600" test "$(stat -c %a "$cert")" = 600
check "public key line" grep -Eq '^public-key = "[]0-9A-Za-z.:+=^!/*?&<>()@%$#{}[-]{40}"$' "$cert"
check "secret key line" grep -Eq '^secret-key = "[]0-9A-Za-z.:+=^!/*?&<>()@%$#{}[-]{40}"$' "$cert"
check "comment header" grep -q '^# eddy CURVE certificate' "$cert"
old=$(grep public-key "$cert")

err=$(eddy keygen "$cert" 2>&1); rc=$?
check "existing file is refused" test $rc -ne 0
check "refusal message" test "$err" = "eddy-keygen: $cert: file exists (use --force)"
check "file untouched" test "$(grep public-key "$cert")" = "$old"

check "--force replaces" eddy keygen --force "$cert"
check "new key differs" test "$(grep public-key "$cert")" != "$old"
check "still 0600" test "$(stat -c %a "$cert")" = 600
check "no temporary left" test "$(ls "$dir" | wc -l)" -eq 1

check "--help exits 0" eddy keygen --help >/dev/null
eddy keygen >/dev/null 2>&1; check "no PATH is a usage error" test $? -ne 0
eddy keygen a b >/dev/null 2>&1; check "two PATHs is a usage error" test $? -ne 0
err=$(eddy keygen "$dir/no/such/dir" 2>&1); rc=$?
check "unwritable path fails" test $rc -ne 0
check "error names the path" grep -q "^eddy-keygen: $dir/no/such/dir: " <<<"$err"
exit $fail
