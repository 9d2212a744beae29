#!/usr/bin/python3
"""Smoke run of the benchmark (bench/run.py --smoke): one short run of each series, so the
benchmark code cannot rot. Fails when run.py fails or when a series, or one of its variants or
designs, produced no data in bench/results/results.json; numbers are not asserted."""

import json
import math
import os
import subprocess
import time

from util import SOURCE_ROOT, TestFailure, log, run_main, test_env

RESULTS_JSON = os.path.join(SOURCE_ROOT, "bench", "results", "results.json")
# What every series of bench/run.py returns, by the names it writes them under.
LATENCY_VARIANTS = {("rtcbroadcastsink", "H.264"), ("rtcbroadcastsink", "VP8"),
                    ("webrtcbin baseline", "H.264"), ("webrtcbin baseline", "VP8")}
TTFF_CONFIGS = 3
FANOUT_DESIGNS = ("rtcbroadcastsink", "Janus streaming plugin", "one encoder per viewer")
ADAPTATION_PHASES = ("h264",)  # the smoke run's short form: one phase


def _number(x):
    return isinstance(x, (int, float)) and not math.isnan(x)


def _received(rows):
    """Rows of a fan-out level in which viewers joined and packets arrived."""
    return [r for r in rows if r.get("joined", 0) >= 1 and (r.get("pkts_per_s") or 0) > 0]


def missing_data(res):
    """What the smoke run's results lack: one line per empty series, variant or design."""
    missing = []
    latency = {(r.get("variant"), r.get("codec")): r for r in res.get("latency") or []}
    for v in sorted(LATENCY_VARIANTS):
        r = latency.get(v)
        if not r or not r.get("frames") or not _number(r.get("p50")):
            missing.append(f"latency {v[0]} {v[1]}: no frame measured")
    ttff = res.get("ttff") or []
    if len(ttff) != TTFF_CONFIGS:
        missing.append(f"ttff: {len(ttff)} of {TTFF_CONFIGS} configurations")
    for r in ttff:
        if not r.get("trials") or not _number(r.get("median")):
            missing.append(f"ttff {r.get('config')}: no first frame")
    if res.get("janus_unavailable"):
        missing.append(f"fanout Janus streaming plugin: unavailable: {res['janus_unavailable']}")
    fanout = res.get("fanout") or []
    for d in FANOUT_DESIGNS:
        if not _received([r for r in fanout if r.get("design") == d]):
            missing.append(f"fanout {d}: no viewer received packets")
    if not _received(res.get("raw") or []):
        missing.append("raw: no viewer received packets")
    rec = res.get("recording")
    if not isinstance(rec, dict) or "unavailable" in rec:
        missing.append(f"recording: {(rec or {}).get('unavailable', 'no result')}")
    elif not rec.get("file_bytes"):
        missing.append("recording: the file is empty")
    ad = res.get("adaptation")
    if not isinstance(ad, dict) or "unavailable" in ad:
        missing.append(f"adaptation: {(ad or {}).get('unavailable', 'no result')}")
    else:
        for phase in ADAPTATION_PHASES:
            s = next((s for s in ad.get("phases") or [] if s.get("phase") == phase), None)
            if not s or s.get("cap_s") is None:
                missing.append(f"adaptation {phase}: no timeline through the cap")
            elif not any((r.get("a_fps") or 0) > 0 for r in ad.get("timeline") or [] if r.get("phase") == phase):
                missing.append(f"adaptation {phase}: viewer A decoded nothing")
    return missing


def main():
    env = test_env()
    cmd = ["/usr/bin/python3", os.path.join(SOURCE_ROOT, "bench", "run.py"), "--smoke"]
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    log("running", " ".join(cmd))
    rc = subprocess.run(cmd, env=env, timeout=280).returncode
    try:
        with open(RESULTS_JSON) as f:
            res = json.load(f)
    except (OSError, ValueError) as e:
        raise TestFailure(f"bench/run.py --smoke exited with {rc} and left no results: {e!r}")
    # run.py rewrites results.json on every run: an older one means this run wrote none.
    if not res.get("smoke") or res.get("started", "") < started:
        raise TestFailure(f"bench/run.py --smoke exited with {rc}; {RESULTS_JSON} is not this "
                          f"smoke run's (started {res.get('started')})")
    missing = missing_data(res)
    if missing:
        raise TestFailure(f"bench/run.py --smoke exited with {rc}; series without data:\n  "
                          + "\n  ".join(missing))
    if rc != 0:
        raise TestFailure(f"bench/run.py --smoke exited with {rc} (its log is above)")


if __name__ == "__main__":
    run_main(main)
