#!/usr/bin/python3
"""rtccallbin's video follows the caller's link: a caller whose link narrows keeps a fluid
picture at a lower bitrate (send-side congestion control: the caller's transport-cc feedback
drives the bandwidth estimate, the video encoder's bitrate follows it), and gets the full
bitrate back when the link widens.

In tests/e2e/linklab.py's namespaces: rtccallbin in SND sends a 1280x720 30 fps test pattern
(video-bitrate=2500, VP8) and a tone, and takes what the caller sends into fakesinks; headless
Chromium in A calls it on the /call page (adapt_viewer.py --call: its fake camera and
microphone go the other way, checked before the timeline) over A's link of the lab (50 ms one
way and 1 % loss toward A).
Timeline: 10 s as is; A's link capped at 600 kbit/s (tbf, 300 ms queue) for 30 s; the cap
lifted; 20 s more. Asserted, from the caller's own getStats() (inbound-rtp video):
  before the cap: >= 25 fps and > 1500 kbit/s received (over the 10 s);
  from 5 s after the cap until the lift: >= 20 fps, at most one freeze (freezeCount, plus one
    still going at the lift: Chromium counts a freeze when it ends), <= 600 kbit/s received;
    the freezes of the step down itself (the first 5 s) are logged;
  within 15 s of the lift: a second with > 1500 kbit/s received at >= 25 fps;
  and the call stays up, one session throughout (a redial would restart every counter).
The sender's estimate_kbps (its /stats.json, wherever it appears) is logged when reported, and
its /stats.json once while capped. The timeline is printed and written to
tests/e2e/artifacts/call-adaptation-timeline.csv.
Needs root and Chromium; ~90 s. Run: /usr/bin/python3 tests/e2e/test_call_adaptation_chromium.py
"""

import json
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adapt_viewer import Viewer, first_after, latest, window_fps, write_timeline  # noqa: E402
from browsers import find_chromium  # noqa: E402
from linklab import IP, LinkLab  # noqa: E402
from util import (SKIP, Process, TestFailure, artifact_path, fmt, log,  # noqa: E402
                  require_element, run_main, wait_for)

PORT = 8080
VIDEO_KBPS = 2500
CAP_KBPS = 600
PRE_S, CAP_S, POST_S = 10, 30, 20
WARMUP_S = 15      # after the first frame, at most this long for the full rate before the timeline
SETTLE_S = 5       # the caller must be fluid this long after the cap
RECOVER_S = 15     # and back at the full rate this long after the lift
FULL_KBPS = 1500
MIN_FPS = 25       # uncapped
CAPPED_FPS = 20
# pattern=smpte: its noise corner keeps VP8 near its target (pattern=ball needs ~165 kbit/s).
# No -e: rtccallbin does not finish an EOS without a call; SIGINT stops gst-launch at once.
SENDER = (f"rtccallbin name=c address=0.0.0.0:{PORT} ice-local-addresses={IP['SND']} "
          f"video-codecs=vp8 video-bitrate={VIDEO_KBPS} "
          "videotestsrc is-live=true pattern=smpte ! video/x-raw,width=1280,height=720,framerate=30/1 ! c.video_0 "
          "audiotestsrc is-live=true wave=ticks ! c.audio_0 "
          "c.video_src_0 ! fakesink sync=false async=false c.audio_src_0 ! fakesink sync=false async=false")
COLUMNS = ["second", "capped", "state", "fps", "width", "height", "kbps", "freezes", "frozen_s",
           "rtt_ms", "sent_kbps", "pushed_kbps", "estimate_kbps", "tbf_dropped", "forwarder_dropped"]


def window_kbps(samples, t1, t2):
    """kbit/s received between the samples nearest inside [t1, t2]."""
    a, b = first_after(samples, t1), latest(samples, t2)
    if not a or not b or b["t"] - a["t"] < 1:
        return None
    return ((b.get("bytesReceived") or 0) - (a.get("bytesReceived") or 0)) * 8 / 1000 / (b["t"] - a["t"])


def find_key(obj, key):
    """The first value of @key anywhere in the JSON @obj (the call's stats have no fixed place)."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        obj = list(obj.values())
    if isinstance(obj, list):
        for v in obj:
            found = find_key(v, key)
            if found is not None:
                return found
    return None


def print_table(rows):
    log("   s cap state     |  fps  width kbit/s frz frozen rtt | sent pushed  est | tbf-drop fwd-drop")
    for r in rows:
        log(f"{r['second']:4} {'cap' if r['capped'] else '   '} {fmt(r['state']):9} | "
            f"{fmt(r['fps'], '4.1f')} {fmt(r['width']):>6} {fmt(r['kbps'], '6.0f')} {fmt(r['freezes']):>3} "
            f"{fmt(r['frozen_s'], '6.1f')} {fmt(r['rtt_ms']):>3} | {fmt(r['sent_kbps'], '4.0f')} "
            f"{fmt(r['pushed_kbps'], '6.0f')} {fmt(r['estimate_kbps']):>4} | "
            f"{fmt(r['tbf_dropped']):>8} {fmt(r['forwarder_dropped']):>8}")


def run(lab, rows):
    """The call and the timeline; appends one row a second to @rows; returns the caller's
    samples and the times (t0, t_cap, t_lift, t_end)."""
    base = f"http://{IP['SND']}:{PORT}"
    sender = Process(lab.prefix("SND") + ["gst-launch-1.0"] + shlex.split(SENDER), "calladapt-sender")
    log(f"sender pid {sender.proc.pid}: {SENDER}  (log {sender.log_path})")
    caller = None
    try:
        wait_for(lambda: lab.fetch("SND", base + "/call"), 20, "the sender's server",
                 diag=lambda: sender.tail(20))
        caller = Viewer(lab, "A", base + "/call", 40 + PRE_S + CAP_S + POST_S + 10, "calladapt-caller",
                        call=True)

        def diag():
            return f"{sender.tail(15)}\n[caller] {caller.tail(5)}"
        wait_for(lambda: (latest(caller.samples()) or {}).get("framesDecoded"), 40,
                 "the caller decodes the pipeline's video", interval=0.5, diag=diag)
        # A call, not a viewer: the caller's camera goes the other way (its feedback shares that path).
        wait_for(lambda: (latest(caller.samples()) or {}).get("videoBytesSent"), 15,
                 "the caller sends its camera", interval=0.5,
                 diag=lambda: f"page error: {(latest(caller.samples()) or {}).get('error')}\n{diag()}")
        t_first = time.time()
        full = None
        while full is None and time.time() - t_first < WARMUP_S:
            time.sleep(0.5)
            s = latest(caller.samples()) or {}
            if (s.get("kbps") or 0) > FULL_KBPS and (s.get("fps") or 0) >= MIN_FPS:
                full = s
        log(f"the call is up; {'full rate after %.1f s' % (full['t'] - t_first) if full else 'no second at full rate in %d s' % WARMUP_S}"
            f" ({fmt((latest(caller.samples()) or {}).get('kbps'), '.0f')} kbit/s)")

        t0 = time.time()
        t_cap = t_lift = None
        down0 = lab.forwarder_counters()["down"]
        tbf0 = lab.tbf_counters()["dropped"]
        pushed_prev, t_prev = down0["in_bytes"], t0
        for k in range(PRE_S + CAP_S + POST_S + 1):
            time.sleep(max(0.0, t0 + k - time.time()))
            if k == PRE_S:
                lab.cap_a(CAP_KBPS)
                t_cap = time.time()
                log(f"the caller's link capped at {CAP_KBPS} kbit/s")
            elif k == PRE_S + CAP_S:
                lab.uncap_a()
                t_lift = time.time()
                log("the caller's link uncapped")
            if not sender.alive():
                raise TestFailure(f"the sender exited\n{diag()}")
            body = lab.fetch("SND", base + "/stats.json")
            try:
                stats = json.loads(body) if body else None
            except ValueError:
                stats = None
            if k == PRE_S + SETTLE_S:
                log(f"the sender's /stats.json while capped: {body.decode(errors='replace')[:1500] if body else None}")
            down, now = lab.forwarder_counters()["down"], time.time()
            samples = caller.samples()
            a = latest(samples) or {}
            prev = latest(samples, a["t"] - 0.5) if a else None
            sent = None
            if prev and a.get("videoBytesSent") is not None and prev.get("videoBytesSent") is not None:
                sent = (a["videoBytesSent"] - prev["videoBytesSent"]) * 8 / 1000 / (a["t"] - prev["t"])
            rows.append({
                "second": k, "capped": t_cap is not None and t_lift is None, "state": a.get("state"),
                "fps": a.get("fps"), "width": a.get("frameWidth"), "height": a.get("frameHeight"),
                "kbps": a.get("kbps"), "freezes": a.get("freezeCount"),
                "frozen_s": a.get("totalFreezesDuration"), "rtt_ms": a.get("rttMs"), "sent_kbps": sent,
                # what the sender pushed toward A (IP bytes into the lab's forwarder, before the cap)
                "pushed_kbps": (down["in_bytes"] - pushed_prev) * 8 / 1000 / max(now - t_prev, 0.001),
                "estimate_kbps": find_key(stats, "estimate_kbps"),
                "tbf_dropped": lab.tbf_counters()["dropped"] - tbf0,
                "forwarder_dropped": down["dropped"] - down0["dropped"]})
            pushed_prev, t_prev = down["in_bytes"], now
        t_end = time.time()
        return caller.samples(), (t0, t_cap, t_lift, t_end)
    finally:
        if caller:
            caller.stop()
        sender.stop()
        lab.uncap_a()


def judge(samples, t0, t_cap, t_lift, t_end):
    """The criteria on the caller's samples; returns the failed ones (texts)."""
    failed = []

    def expect(ok, text):
        log(f"{'ok  ' if ok else 'FAIL'} {text}")
        if not ok:
            failed.append(text)

    run = [s for s in samples if t0 <= s["t"] <= t_end]
    sessions = sorted({s.get("sessionId") for s in run}, key=str)
    expect(len(sessions) == 1 and sessions[0], f"the call stays up, one session throughout (seen {sessions})")

    fps, kbps = window_fps(samples, t0, t_cap), window_kbps(samples, t0, t_cap)
    expect(fps is not None and fps >= MIN_FPS and kbps is not None and kbps > FULL_KBPS,
           f"before the cap: >= {MIN_FPS} fps and > {FULL_KBPS} kbit/s "
           f"({fmt(fps, '.1f')} fps, {fmt(kbps, '.0f')} kbit/s)")

    settled = [s for s in samples if t_cap + SETTLE_S <= s["t"] <= t_lift]
    fps, kbps = window_fps(samples, t_cap + SETTLE_S, t_lift), window_kbps(samples, t_cap + SETTLE_S, t_lift)
    expect(fps is not None and fps >= CAPPED_FPS,
           f"capped, from {SETTLE_S} s after the cap to the lift: >= {CAPPED_FPS} fps ({fmt(fps, '.1f')} fps; "
           f"per second {[round(s['fps']) for s in settled if 'fps' in s]})")
    expect(kbps is not None and kbps <= CAP_KBPS,
           f"capped: <= {CAP_KBPS} kbit/s received ({fmt(kbps, '.0f')} kbit/s; widths seen "
           f"{sorted({s.get('frameWidth') for s in settled}, key=str)})")
    f_cap, f_settled, f_lift = latest(samples, t_cap), latest(samples, t_cap + SETTLE_S), latest(samples, t_lift)
    if f_cap and f_settled and f_settled.get("freezeCount") is not None:
        log(f"the step down: {f_settled['freezeCount'] - (f_cap.get('freezeCount') or 0)} freeze(s), "
            f"{(f_settled.get('totalFreezesDuration') or 0) - (f_cap.get('totalFreezesDuration') or 0):.1f} s")
    freezes = frozen = ongoing_s = None
    ongoing = False
    if f_settled and f_lift and f_lift.get("freezeCount") is not None:
        freezes = f_lift["freezeCount"] - (f_settled.get("freezeCount") or 0)
        frozen = (f_lift.get("totalFreezesDuration") or 0) - (f_settled.get("totalFreezesDuration") or 0)
        # No frame in the last second before the lift is a freeze still going (a second is far
        # past Chromium's threshold, max(3 frames, 1 frame + 150 ms)).
        ongoing = f_lift.get("fps", MIN_FPS) < 1
        freezes += ongoing
        if ongoing:
            moving = [s for s in samples if s["t"] <= t_lift and s.get("fps", 0) >= 1]
            ongoing_s = t_lift - (moving[-1]["t"] if moving else t0)
    expect(freezes is not None and freezes <= 1,
           f"capped: at most one freeze from {SETTLE_S} s after the cap to the lift ({fmt(freezes)} freezes"
           f"{', one still going at the lift, %.0f s long' % ongoing_s if ongoing else ''}; "
           f"{fmt(frozen, '.1f')} s frozen in those that ended)")

    back = next((s for s in samples if s["t"] > t_lift and (s.get("kbps") or 0) > FULL_KBPS
                 and s.get("fps", 0) >= MIN_FPS), None)
    expect(back is not None and back["t"] - t_lift <= RECOVER_S,
           f"after the lift: > {FULL_KBPS} kbit/s at >= {MIN_FPS} fps within {RECOVER_S} s "
           f"({'after %.1f s' % (back['t'] - t_lift) if back else 'never, in %d s' % POST_S})")
    return failed


def main():
    if not find_chromium():
        log("no chromium binary")
        return SKIP
    require_element("rtccallbin")
    rows, failed = [], []
    try:
        with LinkLab() as lab:
            samples, times = run(lab, rows)
            print_table(rows)
            failed = judge(samples, *times)
            log(f"lab counters: {lab.counters()}")
    finally:
        if rows:
            write_timeline(artifact_path("call-adaptation-timeline.csv"), rows, COLUMNS)
    if failed:
        raise TestFailure("the call's video follows the caller's link:\n  " + "\n  ".join(failed))


if __name__ == "__main__":
    run_main(main)
