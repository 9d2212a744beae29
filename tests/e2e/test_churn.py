#!/usr/bin/python3
"""Churn (issue 11): sessions that end at every moment of negotiation leave nothing behind.

1. sink: rtcbroadcastsink serves two steady viewers (rtcingestsrc pipelines over its /ws) while
   300 WebSocket viewers ask for a session and leave at every moment of the negotiation (see
   churn.py). The steady viewers keep receiving; afterwards the sink's file descriptors and
   threads are back to their baseline, its RSS within ALLOWANCE_MB, it stops on SIGINT, and the
   leaks tracer finds no rtckit or webrtcbin object alive at exit.
2. ingest: the same for rtcingestsrc: two steady publishers (rtcbroadcastsink clients of its
   /ws) and 300 publishers that vanish mid-negotiation.
3. call: the same for rtccallbin waiting for calls: 300 callers leave at every moment, two at a
   time (one is often told the line is busy); afterwards a real call carries video.

All on 127.0.0.1. Numbers are printed; bench/README.md keeps the latest.
Run: /usr/bin/python3 tests/e2e/test_churn.py [sink ingest call]
"""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import churn  # noqa: E402
from util import (Pipeline, check, free_port, http_json, log, require_element,  # noqa: E402
                  run_main, test_env, wait_for, wait_http)

CYCLES = int(os.environ.get("RTCKIT_CHURN_CYCLES", "300"))
ALLOWANCE_MB = 25  # RSS growth allowed over the run (allocator caches, GStreamer pools)
FD_ALLOWANCE = 2
THREAD_ALLOWANCE = 1
# Objects of ours or of a peer connection's that must not be alive at exit. Not GstDtlsAgent:
# gst-plugins-bad's DTLS elements share one for the whole process, on purpose.
LEAK_TYPES = re.compile(r"type-name=\(string\)(GstRtc\w+|GstWebRTC\w+|GstNice\w+|NiceAgent|"
                        r"TransportReceiveBin|TransportSendBin|GstDtls(?!Agent)\w+|GstSrtp\w+|"
                        r"GstRtpBin|GstPromise|GstAppSrc|GstTee)")


def traced(pipeline_line, name):
    env = {"GST_TRACERS": "leaks", "GST_DEBUG": test_env()["GST_DEBUG"] + ",GST_TRACER:7"}
    return Pipeline(pipeline_line, name=name, env=env)


def frames(pipe, marker="chain   *"):
    with open(pipe.log_path, "rb") as f:
        return f.read().decode(errors="replace").count(marker)


def frames_by_sink(pipe):
    """fakesink name -> frames, from gst-launch -v last-message lines."""
    counts = {}
    with open(pipe.log_path, "rb") as f:
        for m in re.finditer(rb"/GstFakeSink:(\w+): last-message = chain", f.read()):
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def settle(pid, baseline, timeout=20):
    """Waits for fds and threads to come back to @baseline; returns the last reading."""
    end = time.monotonic() + timeout
    while True:
        u = churn.proc_usage(pid)
        if (u["fds"] <= baseline["fds"] + FD_ALLOWANCE
                and u["threads"] <= baseline["threads"] + THREAD_ALLOWANCE) or time.monotonic() > end:
            return u
        time.sleep(0.5)


def stop_and_check(pipe, what, left=()):
    """Stops @pipe with SIGINT; then no object of ours or of a peer connection may be alive, and
    nothing in @left (what churn_and_measure found left over) may have been."""
    t0 = time.monotonic()
    pipe.proc.send_signal(signal.SIGINT)
    try:
        pipe.proc.wait(15)
    except Exception:
        pass
    took = time.monotonic() - t0
    alive = pipe.alive()
    pipe.stop()
    log(f"{what}: stopped {took:.2f} s after SIGINT")
    check(not alive, f"{what} stops on SIGINT (still running after {took:.1f} s)",
          diag=lambda: pipe.tail(40))
    with open(pipe.log_path, "rb") as f:
        text = f.read().decode(errors="replace")
    leaked = sorted(set(LEAK_TYPES.findall(text)))
    alive_lines = text.count("object-alive")
    log(f"{what}: leaks tracer: {alive_lines} object(s) alive at exit, ours/webrtc: {leaked}")
    check(not leaked, f"{what}: no rtckit or webrtcbin object alive at exit ({leaked})",
          diag=lambda: "\n".join(l for l in text.splitlines() if "object-alive" in l)[:4000])
    check(not left, "; ".join(left))
    return took


def churn_and_measure(pipe, url, kinds, cycle, steady_frames, what, stats_url=None, parallel=4,
                      refused_ok=()):
    """@refused_ok: outcomes that count as reached (a caller told the line is busy)."""
    pid = pipe.proc.pid
    # One warm-up round: pools, caches and lazily made threads exist before the baseline.
    log(f"{what}: warm-up {churn.run_cycles(url, kinds, 2 * len(kinds), cycle, parallel)}")
    time.sleep(3)
    baseline = settle(pid, churn.proc_usage(pid), timeout=5)
    log(f"{what}: baseline {baseline}")
    before = steady_frames()
    t0 = time.monotonic()
    outcomes = churn.run_cycles(url, kinds, CYCLES, cycle, parallel)
    elapsed = time.monotonic() - t0
    after_frames = steady_frames()
    log(f"{what}: {CYCLES} cycles in {elapsed:.1f} s: {outcomes}")
    check(sum(v for k, v in outcomes.items() if k in kinds or k in refused_ok) >= CYCLES * 0.95,
          f"{what}: the cycles reached their leaving points ({outcomes})", diag=lambda: pipe.tail(30))
    check(sum(v for k, v in outcomes.items() if k in kinds) >= CYCLES * 0.3,
          f"{what}: most cycles got a session ({outcomes})", diag=lambda: pipe.tail(30))
    for name, n in before.items():
        got = after_frames.get(name, 0) - n
        log(f"{what}: steady {name.decode() if isinstance(name, bytes) else name}: {got} frames "
            f"during the churn ({got / elapsed:.1f} fps)")
        check(got >= 10 * elapsed, f"{what}: steady {name} kept receiving ({got} frames in "
              f"{elapsed:.1f} s)", diag=lambda: pipe.tail(30))
    u = settle(pid, baseline)
    log(f"{what}: after {u} (baseline {baseline})")
    stats = None
    if stats_url:
        try:
            stats = http_json(stats_url)
        except Exception as e:  # noqa: BLE001 - diagnostics only
            log(f"{what}: /stats unreadable: {e!r}")
    # What is left over is judged after the element stops (stop_and_check): the leaks tracer
    # then names the objects that still held them.
    left = []
    if u["fds"] > baseline["fds"] + FD_ALLOWANCE:
        left.append(f"{what}: file descriptors back to baseline ({u['fds']} vs {baseline['fds']})")
        log(f"{what}: {left[-1]}: open now:\n{churn.fd_report(pid, stats)}")
    if u["threads"] > baseline["threads"] + THREAD_ALLOWANCE:
        left.append(f"{what}: threads back to baseline ({u['threads']} vs {baseline['threads']})")
        log(f"{what}: {left[-1]}:\n" + os.popen(f"cat /proc/{pid}/task/*/comm | sort | uniq -c").read())
    if u["rss_mb"] > baseline["rss_mb"] + ALLOWANCE_MB:
        left.append(f"{what}: RSS within {ALLOWANCE_MB} MB of baseline ({u['rss_mb']} vs "
                    f"{baseline['rss_mb']})")
    return left


def scenario_sink():
    port = free_port()
    url = f"ws://127.0.0.1:{port}/ws"
    sink = traced(f"rtcbroadcastsink name=s address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 "
                  "video-codecs=vp8 videotestsrc is-live=true ! "
                  "video/x-raw,width=320,height=240,framerate=30/1 ! s.video_0 "
                  "audiotestsrc is-live=true wave=ticks ! s.audio_0", "churn-sink")
    viewers = []
    try:
        wait_http(f"http://127.0.0.1:{port}/stats", 20)
        for i in range(2):
            viewers.append(Pipeline(
                f"-v rtcingestsrc name=src serve=false signaller::uri={url} "
                f"ice-local-addresses=127.0.0.1 src.video_0 ! fakesink name=steady{i} silent=false "
                "sync=false", name=f"churn-steady-viewer{i}"))
        wait_for(lambda: all(frames(v) > 30 for v in viewers), 30, "both steady viewers receive",
                 diag=lambda: sink.tail(20))

        def steady():
            return {f"viewer{i}": frames(v) for i, v in enumerate(viewers)}
        left = churn_and_measure(sink, url, churn.VIEWER_KINDS, churn.viewer_cycle, steady,
                                 "sink", stats_url=f"http://127.0.0.1:{port}/stats")
        check(all(v.alive() for v in viewers), "the steady viewers run on")
    finally:
        for v in viewers:
            v.stop()
    stop_and_check(sink, "sink", left)


def scenario_ingest():
    port = free_port()
    url = f"ws://127.0.0.1:{port}/ws"
    ingest = traced(f"-v rtcingestsrc name=src address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 "
                    "video-codecs=vp8 src.video_0 ! fakesink name=steady0 silent=false sync=false "
                    "src.video_1 ! fakesink name=steady1 silent=false sync=false", "churn-ingest")
    publishers = []
    try:
        wait_http(f"http://127.0.0.1:{port}/publish", 20)
        for i in range(2):
            publishers.append(Pipeline(
                f"videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
                f"rtcbroadcastsink serve=false signaller::uri={url} ice-local-addresses=127.0.0.1 "
                "video-codecs=vp8", name=f"churn-steady-publisher{i}"))
        wait_for(lambda: len(frames_by_sink(ingest)) == 2 and min(frames_by_sink(ingest).values()) > 30,
                 30, "both steady publishers are received", diag=lambda: ingest.tail(20))
        left = churn_and_measure(ingest, url, churn.PUBLISHER_KINDS, churn.publisher_cycle,
                                 lambda: frames_by_sink(ingest), "ingest")
        check(all(p.alive() for p in publishers), "the steady publishers run on")
    finally:
        for p in publishers:
            p.stop()
    stop_and_check(ingest, "ingest", left)


def scenario_call():
    """rtccallbin waits for calls: callers that leave at every moment, two at a time (so one of
    them is often told the line is busy); then a real call still works."""
    port = free_port()
    url = f"ws://127.0.0.1:{port}/ws"
    call = traced(f"rtccallbin name=c address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 "
                  "video-codecs=vp8 videotestsrc is-live=true ! "
                  "video/x-raw,width=320,height=240,framerate=30/1 ! c.video_0 "
                  "audiotestsrc is-live=true wave=ticks ! c.audio_0", "churn-call")
    caller = None
    try:
        wait_http(f"http://127.0.0.1:{port}/call", 20)
        left = churn_and_measure(call, url, churn.VIEWER_KINDS, churn.viewer_cycle, dict, "call",
                                 parallel=2, refused_ok=("no-offer",))
        caller = Pipeline(f"-v rtccallbin name=c serve=false call=first signaller::uri={url} "
                          "ice-local-addresses=127.0.0.1 videotestsrc is-live=true ! "
                          "video/x-raw,width=320,height=240 ! c.video_0 "
                          "c.video_src_0 ! fakesink name=steady0 silent=false sync=false",
                          name="churn-caller")
        wait_for(lambda: frames(caller) > 30, 30, "a call after the churn carries video",
                 diag=lambda: call.tail(20) + caller.tail(20))
    finally:
        if caller:
            caller.stop()
    stop_and_check(call, "call", left)


def main():
    require_element("rtcbroadcastsink")
    require_element("rtcingestsrc")
    require_element("rtccallbin")
    which = sys.argv[1:] or ["sink", "ingest", "call"]
    for s in which:
        log(f"--- {s}")
        {"sink": scenario_sink, "ingest": scenario_ingest, "call": scenario_call}[s]()


if __name__ == "__main__":
    run_main(main)
