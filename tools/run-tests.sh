#!/usr/bin/env bash
# Runs every meson test and ends with one summary line "N passed, N failed, N skipped".
# A skipped test is reported as skipped, never as passed.
set -uo pipefail
BUILD=${1:?build dir}
meson test -C "$BUILD" --print-errorlogs --num-processes 2 "${@:2}"
rc=$?
/usr/bin/python3 - "$BUILD/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r == "OK": p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $rc
