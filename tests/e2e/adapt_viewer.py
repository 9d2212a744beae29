#!/usr/bin/python3
"""Runs inside a network namespace (tests/e2e/test_adaptation_chromium.py): headless Chromium
opens the viewer page at URL and prints, every second until SECONDS have passed (or SIGINT),
one JSON line of the page's inbound video: wall-clock time, page state, session id, and
framesDecoded, frameWidth, frameHeight, freezeCount, totalFreezesDuration, bytesReceived (from
rtckit.pc.getStats(), inbound-rtp video) with a few more counters for the log.
With --call, URL is rtccallbin's /call page (tests/e2e/test_call_adaptation_chromium.py): it
calls at once and exposes the same rtckit.state, sessionId and pc; Chromium sends its fake
camera at 30 fps (its default is 20, as in test_call_chromium.py) and microphone, and each
line also has the caller's outbound video bytes (videoBytesSent). The page's origin is
treated as secure: a plain-http origin other than localhost has no navigator.mediaDevices,
and the page then calls receiving only ("camera/microphone unavailable (TypeError)").
Usage: adapt_viewer.py [--call] URL SECONDS

The tests' side is here too: Viewer runs this script in a lab namespace and reads its lines;
latest(), first_after() and window_fps() pick from the samples.
"""

import csv
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium  # noqa: E402
from util import Process, log  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

STATS_JS = """
const out = {state: rtckit.state, sessionId: rtckit.sessionId, error: rtckit.error};
if (!rtckit.pc) return out;
const stats = await rtckit.pc.getStats();
stats.forEach(s => {
  if (s.type === 'inbound-rtp' && s.kind === 'video') {
    for (const k of ['framesDecoded', 'frameWidth', 'frameHeight', 'freezeCount', 'totalFreezesDuration',
                     'bytesReceived', 'framesDropped', 'packetsLost', 'nackCount', 'pliCount',
                     'firCount', 'keyFramesDecoded', 'framesPerSecond', 'packetsReceived',
                     'retransmittedPacketsReceived', 'ssrc'])
      out[k] = s[k] === undefined ? null : s[k];
  }
  // What the sender's RTCP sender reports told the browser.
  if (s.type === 'remote-outbound-rtp' && s.kind === 'video') {
    out.srReports = s.reportsSent === undefined ? null : s.reportsSent;
    out.srPacketsSent = s.packetsSent === undefined ? null : s.packetsSent;
  }
  if (s.type === 'outbound-rtp' && s.kind === 'video')
    out.videoBytesSent = s.bytesSent === undefined ? null : s.bytesSent;
  if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded')
    out.rttMs = s.currentRoundTripTime === undefined ? null : Math.round(s.currentRoundTripTime * 1000);
});
return out;
"""


class Viewer(Process):
    """This script (headless Chromium) in lab namespace @x: a JSON sample each second; @call for
    rtccallbin's /call page."""

    def __init__(self, lab, x, url, seconds, name, call=False):
        argv = ["/usr/bin/python3", os.path.join(HERE, "adapt_viewer.py")] + (["--call"] if call else [])
        super().__init__(lab.prefix(x) + argv + [url, str(seconds)], name)
        log(f"viewer {x} pid {self.proc.pid} in {lab.ns[x]} (log {self.log_path})")

    def samples(self):
        """The samples so far, each with `fps` and `kbps` since the one before."""
        with open(self.log_path, "rb") as f:
            lines = [l for l in f.read().decode(errors="replace").splitlines() if l.startswith("{")]
        out, prev = [], None
        for line in lines:
            s = json.loads(line)
            if s.get("framesDecoded") is None:
                continue
            if prev:
                dt = s["t"] - prev["t"]
                s["fps"] = (s["framesDecoded"] - prev["framesDecoded"]) / dt
                s["kbps"] = ((s.get("bytesReceived") or 0) - (prev.get("bytesReceived") or 0)) * 8 / 1000 / dt
            out.append(s)
            prev = s
        return out


def latest(samples, t=None):
    for s in reversed(samples):
        if t is None or s["t"] <= t:
            return s
    return None


def first_after(samples, t):
    return next((s for s in samples if s["t"] >= t), None)


def window_fps(samples, t1, t2):
    """framesDecoded per second between the samples nearest inside [t1, t2]."""
    a, b = first_after(samples, t1), latest(samples, t2)
    if not a or not b or b["t"] - a["t"] < 1:
        return None
    return (b["framesDecoded"] - a["framesDecoded"]) / (b["t"] - a["t"])


def on_term(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # so the browser is quit on the way out


def main():
    args = sys.argv[1:]
    call = "--call" in args
    args = [a for a in args if a != "--call"]
    if len(args) != 2:
        sys.exit(__doc__)
    url, seconds = args[0], float(args[1])
    flags = []
    if call:
        origin = "/".join(url.split("/")[:3])
        flags = ["--use-fake-device-for-media-stream=fps=30",
                 f"--unsafely-treat-insecure-origin-as-secure={origin}"]
    # SIGINT too: a parent started in the background (`cmd &`) hands it down ignored.
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    end = time.monotonic() + seconds
    try:
        with Chromium(extra_flags=flags) as chromium:
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


def write_timeline(path, rows, columns):
    """The per-second @rows as CSV at @path (floats to one decimal), for bench plots."""
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: round(v, 1) if isinstance(v, float) else v for k, v in r.items()})
    log(f"timeline: {path}")
