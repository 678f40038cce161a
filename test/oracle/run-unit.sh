#!/usr/bin/env bash
# The oracle's own hand-worked cases (python3 unittest); the closing line
# is the count of cases: "N passed, N failed".
here=$(cd "$(dirname "$0")" && pwd)
out=$(python3 -m unittest discover -s "$here" -p 'test_*.py' 2>&1)
rc=$?
echo "$out"
n=$(echo "$out" | sed -n 's/^Ran \([0-9]*\) test.*/\1/p')
f=$(echo "$out" | sed -n 's/.*FAILED (\(.*\)).*/\1/p' | tr ',' '\n' | sed -n 's/.*=\([0-9]*\)/\1/p' | awk '{s+=$1} END {print s+0}')
echo "$(( ${n:-0} - f )) passed, $f failed"
[ $rc -eq 0 ] && [ "${n:-0}" -gt 0 ]
