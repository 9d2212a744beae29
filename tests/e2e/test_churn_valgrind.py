#!/usr/bin/python3
"""Churn under valgrind (issue 11): rtcbroadcastsink (with a data channel per viewer) runs under
valgrind's memcheck while 24 WebSocket viewers leave at every moment of the negotiation
(churn.py), then stops on SIGINT. No block definitely lost may have been allocated by rtckit
(a stack through libgstrtckit or rtc::); GLib's and others' one-off leaks are listed, not judged.
Run: /usr/bin/python3 tests/e2e/test_churn_valgrind.py
"""

import os
import re
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import churn  # noqa: E402
from util import SKIP, artifact_path, check, free_port, log, run_main, test_env, wait_http  # noqa: E402

CYCLES = 24


def main():
    if not shutil.which("valgrind"):
        log("valgrind is not installed (tools/dev.sh installs it)")
        return SKIP
    port = free_port()
    env = test_env()
    env["G_SLICE"] = "always-malloc"
    env["GST_DEBUG"] = "*:0"
    log_path = artifact_path(f"churn-valgrind-{port}.log")
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            ["valgrind", "--leak-check=full", "--show-leak-kinds=definite", "--num-callers=40",
             "gst-launch-1.0", "-e", "videotestsrc", "is-live=true", "!",
             "video/x-raw,width=160,height=120,framerate=15/1", "!", "rtcbroadcastsink",
             f"address=127.0.0.1:{port}", "ice-local-addresses=127.0.0.1", "video-codecs=vp8",
             "data-channel=true"],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            wait_http(f"http://127.0.0.1:{port}/stats", 120)
            outcomes = churn.run_cycles(f"ws://127.0.0.1:{port}/ws", churn.VIEWER_KINDS, CYCLES,
                                        churn.viewer_cycle, 2)
            log(f"{CYCLES} cycles under valgrind: {outcomes}")
            check(sum(n for k, n in outcomes.items() if k in churn.VIEWER_KINDS) >= CYCLES // 2,
                  f"the viewers did not get far enough to test anything: {outcomes}")
            proc.send_signal(signal.SIGINT)
            proc.wait(240)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    with open(log_path, errors="replace") as f:
        text = f.read()
    summary = re.search(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks", text)
    check(summary, f"no leak summary in {log_path}")
    log(f"valgrind: definitely lost {summary.group(1)} bytes in {summary.group(2)} blocks")
    records = re.split(r"==\d+== \n", text)
    ours = [r for r in records if "definitely lost" in r and ("libgstrtckit" in r or "rtc::" in r)]
    for r in records:
        if "are definitely lost" in r:
            first = [l for l in r.splitlines() if " by 0x" in l][:4]
            log("   " + " | ".join(l.split(": ", 1)[-1] for l in first))
    check(not ours, f"{len(ours)} definite leak(s) of rtckit: {ours[0][:3000] if ours else ''}")


if __name__ == "__main__":
    run_main(main)
