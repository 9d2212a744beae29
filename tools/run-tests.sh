#!/usr/bin/env bash
# Runs every meson test and ends with one summary line "N passed, N failed, N skipped".
# A skipped test is reported as skipped, never as passed.
#
# What the numbers count:
# - a TAP test (protocol 'tap': the GLib g_test programs) counts its cases, one per "ok"/"not ok"
#   line of its output: "ok" passed, "ok # SKIP" (g_test_skip) skipped, "not ok" failed;
#   "not ok # TODO" (g_test_incomplete) counts as skipped, since it proved nothing, and
#   "ok # TODO" as failed, as meson has it. When the program itself failed (crash, timeout,
#   "Bail out!", a non-zero exit, fewer cases than its plan) and no case says so, the program
#   adds one failure; cases it never reached are not counted. A TAP test without a single case
#   line counts once, like the others;
# - any other test (gst-check programs, Python e2e tests, fuzz replays and libFuzzer runs) counts
#   once, by its exit code: 0 passed, 77 skipped (e2e: only when a browser is absent; libfuzzer-*:
#   when there is no fuzz build, never under CI=true), anything else failed. The
#   gst-check (libcheck) programs have no way to skip a case: each case passes or fails.
# meson 1.0's testlog.json holds one line per test, not per case, but it keeps the test's stdout:
# the TAP lines are read from there; which tests speak TAP comes from meson-info/intro-tests.json.
set -uo pipefail
BUILD=${1:?build dir}
meson test -C "$BUILD" --print-errorlogs --num-processes 2 "${@:2}"
rc=$?
/usr/bin/python3 - "$BUILD" <<'PY'
import json, os, re, sys

build = sys.argv[1]
with open(os.path.join(build, "meson-info", "intro-tests.json")) as f:
    tap = {t["name"] for t in json.load(f) if t.get("protocol") == "tap"}
# meson's own TAP test line: "ok 3 name # SKIP why" (lines that start with "#" are comments)
case = re.compile(r"(not )?ok\b\s*(?:\d+)?[^#]*(?:#\s*((?i:skip)\S*|(?i:todo))\b)?")
p = f = s = 0
for line in open(os.path.join(build, "meson-logs", "testlog.json")):
    t = json.loads(line)
    result = t.get("result")
    if t["name"].split(" / ")[-1] in tap:
        cp = cf = cs = 0
        for out in (t.get("stdout") or "").splitlines():
            m = case.match(out)
            if not m:
                continue
            ok, directive = m.group(1) is None, (m.group(2) or "").upper()
            if directive.startswith("SKIP") and ok:
                cs += 1
            elif directive == "TODO":
                cf, cs = (cf + 1, cs) if ok else (cf, cs + 1)
            elif ok:
                cp += 1
            else:
                cf += 1
        if cp + cf + cs:
            if result not in ("OK", "SKIP", "EXPECTEDFAIL") and cf == 0:
                cf = 1
            p, f, s = p + cp, f + cf, s + cs
            continue
    if result in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif result == "SKIP":
        s += 1
    else:
        f += 1
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $rc
