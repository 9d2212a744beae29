#!/usr/bin/python3
"""Runs inside a network namespace (tests/e2e/test_adaptation_chromium.py): headless Chromium
opens the viewer page at URL and prints, every second until SECONDS have passed (or SIGINT),
one JSON line of the page's inbound video: wall-clock time, page state, session id, and
framesDecoded, frameWidth, frameHeight, freezeCount, totalFreezesDuration, bytesReceived (from
rtckit.pc.getStats(), inbound-rtp video) with a few more counters for the log.
Usage: adapt_viewer.py URL SECONDS
"""

import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium  # noqa: E402

STATS_JS = """
const out = {state: rtckit.state, sessionId: rtckit.sessionId};
if (!rtckit.pc) return out;
const stats = await rtckit.pc.getStats();
stats.forEach(s => {
  if (s.type === 'inbound-rtp' && s.kind === 'video') {
    for (const k of ['framesDecoded', 'frameWidth', 'frameHeight', 'freezeCount', 'totalFreezesDuration',
                     'bytesReceived', 'framesDropped', 'packetsLost', 'nackCount', 'pliCount',
                     'firCount', 'keyFramesDecoded', 'framesPerSecond'])
      out[k] = s[k] === undefined ? null : s[k];
  }
  if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded')
    out.rttMs = s.currentRoundTripTime === undefined ? null : Math.round(s.currentRoundTripTime * 1000);
});
return out;
"""


def on_term(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # so the browser is quit on the way out


def main():
    url, seconds = sys.argv[1], float(sys.argv[2])
    # SIGINT too: a parent started in the background (`cmd &`) hands it down ignored.
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    end = time.monotonic() + seconds
    try:
        with Chromium() as chromium:
            tab = chromium.open(url)
            tick = time.monotonic()
            while tick < end:
                try:
                    sample = tab.exec(STATS_JS, timeout=5)
                except Exception as e:  # noqa: BLE001 - a missed sample, reported as data
                    sample = {"error": f"{type(e).__name__}: {e}"[:300]}
                sample["t"] = time.time()
                print(json.dumps(sample), flush=True)
                tick += 1.0
                time.sleep(max(0.0, tick - time.monotonic()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
