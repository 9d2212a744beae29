#!/usr/bin/python3
"""rtckit benchmark: one command, every series, tables and plots.

    /usr/bin/python3 bench/run.py                  # full run (~10 min): bench/results/*.md, *.png, results.json
    /usr/bin/python3 bench/run.py --smoke          # one short run of each series (~1 min); fails on missing data
    /usr/bin/python3 bench/run.py --update-readme  # full run, then tables into bench/README.md, plots into bench/plots/
    /usr/bin/python3 bench/run.py --only latency,fanout

Series: latency (glass-to-glass, Chromium), ttff (time to first frame), fanout (sender CPU/RSS per
viewer: rtcbroadcastsink, Janus streaming, one encoder per viewer), raw (1 vs 10 viewers of raw input),
recording (rtcingestsrc, when the element is in the build), adaptation (one viewer's link capped:
tests/e2e/test_adaptation_chromium.py's timeline). See bench/README.md.
"""

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (BENCH, PY, RESULTS, ROOT, Proc, StaticServer, cpu_percent, free_port, loadavg, log,  # noqa: E402
                 percentile, proc_rss_mb, wait_port)
import janus_bench  # noqa: E402

RAW720 = "video/x-raw,width=1280,height=720,framerate=30/1"
# The IP camera stand-in / the "same RTP" for every fan-out design: 720p30 H.264 at 1 Mbit/s,
# constrained baseline, 2 s GOP, in its own process so no keyframe request reaches its encoder.
FEEDER = ("videotestsrc is-live=true pattern=ball ! " + RAW720 + " ! x264enc tune=zerolatency "
          "speed-preset=ultrafast bitrate=1000 key-int-max=60 "
          "option-string=nal-hrd=cbr:filler=1:vbv-maxrate=1000:vbv-bufsize=500 ! video/x-h264,profile=constrained-baseline ! "
          "rtph264pay config-interval=-1 pt=96 aggregate-mode=zero-latency ! udpsink host={host} port={port} sync=false")
UDP_CAPS = "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=96"


class Ctx:
    def __init__(self, a):
        self.a = a
        self.smoke = a.smoke
        self.browser = None
        self.static = StaticServer()
        self.results = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "smoke": a.smoke,
                        "load_before": loadavg(), "cpus": os.cpu_count()}

    def chromium(self):
        if self.browser is None:
            from browsers import Chromium
            self.browser = Chromium().start()
        return self.browser

    def close_browser(self):
        if self.browser:
            self.browser.quit()
        self.browser = None
        if hasattr(self, "tab"):
            del self.tab

    def close(self):
        self.close_browser()
        self.static.close()


def gst_launch(line, name, ready=None):
    import shlex
    return Proc(["gst-launch-1.0", "-e"] + shlex.split(line), name, ready=ready or "Setting pipeline to PLAYING")


def sender(kind, codec, source, name, props="", kbps=1000):
    port = free_port()
    p = Proc([PY, os.path.join(BENCH, "sender.py"), "--kind", kind, "--codec", codec, "--source", source,
              "--port", str(port), "--kbps", str(kbps), "--props", props], name, ready="READY")
    wait_port(port)
    return p, f"ws://127.0.0.1:{port}/ws"


def open_viewer(ctx, ws_url):
    b = ctx.chromium()
    if not hasattr(ctx, "tab"):
        ctx.tab = b.open(ctx.static.url())
    else:
        ctx.tab.navigate(ctx.static.url() + f"?n={random.random()}")
    ctx.tab.eval(f"bench.start({json.dumps(ws_url)})")
    return ctx.tab


def wait_first_frame(tab, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = tab.eval("({state: bench.state, ttff: bench.ttff, error: bench.error})")
        if st["ttff"] is not None:
            return st["ttff"]
        time.sleep(0.1)
    raise RuntimeError(f"no frame presented after {timeout} s: {st}")


# ---- 1. glass-to-glass latency ------------------------------------------------------------------

LATENCY_ROUNDS = 3  # full run: 3 rounds of 150 frames per variant, 450 frames each
LATENCY_FRAMES_PER_ROUND = 150
LATENCY_VARIANTS = [("rtcbroadcastsink", "broadcast", "h264"), ("webrtcbin baseline", "webrtcbin", "h264"),
                    ("rtcbroadcastsink", "broadcast", "vp8"), ("webrtcbin baseline", "webrtcbin", "vp8")]


def latency_round(ctx, kind, codec, frames, warmup_ms):
    """One viewer of one sender: the frames' latencies after the warm-up, and the browser's view."""
    s, ws = sender(kind, codec, "clock", f"latency-{kind}-{codec}")
    try:
        tab = open_viewer(ctx, ws)
        wait_first_frame(tab)
        deadline = time.monotonic() + warmup_ms / 1000 + frames / 30 * 2 + 10
        while time.monotonic() < deadline:
            n = tab.eval(f"bench.samples.filter(x => x[0] >= bench.firstFrameWall + {warmup_ms}).length")
            if n >= frames:
                break
            time.sleep(0.5)
        st = tab.exec("const r = await bench.pc.getStats(); let o = null;"
                      " r.forEach(x => { if (x.type === 'inbound-rtp' && x.kind === 'video') o = {"
                      "framesDropped: x.framesDropped, freezeCount: x.freezeCount, packetsLost: x.packetsLost,"
                      " jitterBufferMs: 1000 * x.jitterBufferDelay / x.jitterBufferEmittedCount}; });"
                      " return {samples: bench.samples, first: bench.firstFrameWall, bad: bench.undecodable,"
                      " frames: bench.frames, presented: bench.presentedFrames, stats: o};")
        tab.eval("bench.stop()")
    finally:
        s.stop()
    kept = [x for x in st["samples"] if x[0] >= st["first"] + warmup_ms][:frames]
    st["received"] = [x[2] for x in kept if len(x) > 2 and x[2] is not None]
    return [x[1] for x in kept], st


def series_latency(ctx):
    # Rounds alternate the order of the variants (forward, then backward, ...), so a drift of the
    # machine's load during the series weighs on every variant alike; the rows pool every round.
    rounds = 1 if ctx.smoke else LATENCY_ROUNDS
    frames = 30 if ctx.smoke else LATENCY_FRAMES_PER_ROUND
    warmup_ms = 500 if ctx.smoke else 2000
    acc = {v: {"samples": [], "received": [], "p50s": [], "bad": 0, "browser": []} for v in LATENCY_VARIANTS}
    for rnd in range(rounds):
        order = LATENCY_VARIANTS if rnd % 2 == 0 else list(reversed(LATENCY_VARIANTS))
        for v in order:
            label, kind, codec = v
            lat, st = latency_round(ctx, kind, codec, frames, warmup_ms)
            a = acc[v]
            a["samples"] += lat
            a["received"] += st["received"]
            a["p50s"].append(percentile(lat, 50))
            a["bad"] += st["bad"]
            a["browser"].append(st["stats"])
            log(f"latency round {rnd + 1}/{rounds} {label} {codec}: n={len(lat)} p50={percentile(lat, 50):.1f} "
                f"browser={st['stats']}")
    rows = []
    for v in LATENCY_VARIANTS:
        label, kind, codec = v
        a = acc[v]
        lat = a["samples"]
        row = {"variant": label, "codec": codec.upper() if codec == "vp8" else "H.264", "frames": len(lat),
               "p50": percentile(lat, 50), "p95": percentile(lat, 95), "max": max(lat) if lat else float("nan"),
               "received_p50": percentile(a["received"], 50), "round_p50s": a["p50s"], "undecodable": a["bad"], "browser": a["browser"], "samples": lat}
        log(f"latency {label} {codec}: n={len(lat)} p50={row['p50']:.1f} p95={row['p95']:.1f} max={row['max']:.1f}"
            f" rounds p50 {a['p50s']}")
        rows.append(row)
    ctx.results["latency"] = rows
    return all(r["frames"] >= frames * rounds for r in rows)


# ---- 2. time to first frame ---------------------------------------------------------------------

def series_ttff(ctx):
    trials = 1 if ctx.smoke else 6
    rows = []
    feeder = None
    configs = [("rtcbroadcastsink, live H.264 encoder", "live"),
               ("rtcbroadcastsink, passthrough H.264, 2 s GOP", "passthrough"),
               ("webrtcbin baseline, live H.264 (pipeline per viewer)", "baseline")]
    for label, cfg in configs:
        if cfg == "passthrough":
            port = free_port()
            feeder = gst_launch(FEEDER.format(host="127.0.0.1", port=port), "ttff-feeder")
            s, ws = sender("broadcast", "h264", f"udp:{port}", "ttff-passthrough")
        elif cfg == "live":
            s, ws = sender("broadcast", "h264", "testsrc", "ttff-live")
        else:
            s, ws = sender("webrtcbin", "h264", "testsrc", "ttff-baseline")
        vals = []
        try:
            time.sleep(1.0)
            for i in range(trials):
                time.sleep(random.uniform(0.2, 2.2) if cfg == "passthrough" else 0.3)
                tab = open_viewer(ctx, ws)
                vals.append(wait_first_frame(tab))
                tab.eval("bench.stop()")
        finally:
            s.stop()
            if feeder:
                feeder.stop()
                feeder = None
        row = {"config": label, "trials": len(vals), "median": percentile(vals, 50), "max": max(vals), "all": vals}
        log(f"ttff {label}: {[round(v) for v in vals]}")
        rows.append(row)
    ctx.results["ttff"] = rows
    return all(r["trials"] == trials for r in rows)


# ---- 3. fan-out ---------------------------------------------------------------------------------

class Receivers:
    """Receiver processes (bench/receivers.py, 10 webrtcbins each at most) added in chunks."""

    PER_PROC = 10

    def __init__(self, ws, name, local_ip="127.0.0.1", script="receivers.py", netns=None):
        self.ws, self.name, self.local_ip, self.script = ws, name, local_ip, script
        self.procs = []
        self.n = 0

    def add(self, k, interval):
        while k > 0:
            c = min(k, self.PER_PROC)
            self.procs.append(Proc([PY, os.path.join(BENCH, self.script), "--ws", self.ws, "--count", str(c),
                                    "--first", str(self.n), "--interval", str(interval), "--local-ip", self.local_ip],
                                   f"{self.name}-rx{len(self.procs)}"))
            self.n += c
            k -= c

    def state(self):
        joined, packets, errors = set(), {}, []
        self.bytes = {}
        for p in self.procs:
            for line in p.text().splitlines():
                try:
                    m = json.loads(line)
                except ValueError:
                    continue
                if "joined" in m:
                    joined.add(m["joined"])
                elif "packets" in m:
                    for i, c in enumerate(m["packets"]):
                        packets[m["first"] + i] = c
                    for i, c in enumerate(m.get("bytes", [])):
                        self.bytes[m["first"] + i] = c
                elif "event" in m:
                    errors.append(m)
        return joined, packets, errors

    def stop(self):
        for p in self.procs:
            p.stop()


def sink_rungs(stats_url):
    """From an rtcbroadcastsink's /stats.json: viewers off the top rung (on a lower one, or
    switching), and feeds that encode for somebody. None when it does not answer."""
    try:
        st = json.loads(subprocess.run(["curl", "-s", "--max-time", "2", stats_url], capture_output=True,
                                       timeout=5).stdout or b"null")
    except Exception:
        return None, None
    if not st:
        return None, None
    lower = sum(1 for v in st.get("viewers") or [] if (v.get("rung") or 0) > 0 or (v.get("rung_pending") or -1) >= 0)
    encoding = sum(1 for f in st.get("feeds") or [] if f.get("mode") == "encode" and (f.get("viewers") or 0) > 0)
    return lower, encoding


def measure_levels(ctx, label, pid, ws, levels, rx_kw=None, stop_cpu=170.0, stats_url=None):
    rx = Receivers(ws, label.split()[0].replace("/", "-").lower(), **(rx_kw or {}))
    window = 2.0 if ctx.smoke else 5.0
    rows = []
    try:
        for n in levels:
            t0 = time.monotonic()
            rx.add(n - rx.n, 0.05 if ctx.smoke else 0.25)
            deadline = t0 + 20 + 1.0 * n
            while time.monotonic() < deadline:
                joined, packets, errors = rx.state()
                if len(joined) >= n:
                    break
                time.sleep(0.25)
            join_s = time.monotonic() - t0
            joined, p0, errors = rx.state()
            time.sleep(1.0 if ctx.smoke else 2.0)
            _, p0, _ = rx.state()
            b0 = dict(rx.bytes)
            cpu = cpu_percent(pid, window)
            rss = proc_rss_mb(pid)
            lower, encoding = sink_rungs(stats_url) if stats_url else (None, None)
            time.sleep(1.1)  # receivers report every second
            _, p1, errors = rx.state()
            rates = [(p1.get(i, 0) - p0.get(i, 0)) / (window + 1.1) for i in range(n)]
            kbps = percentile([(rx.bytes.get(i, 0) - b0.get(i, 0)) * 8 / 1000 / (window + 1.1) for i in range(n)], 50)
            med = percentile(rates, 50) if rates else 0
            stalled = sum(1 for r in rates if r < 0.5 * max(med, 1))
            row = {"design": label, "viewers": n, "joined": len(joined), "cpu": cpu, "rss": rss,
                   "join_s": join_s, "stalled": stalled, "pkts_per_s": med, "kbps": kbps,
                   "load": loadavg()[0], "lower_rung": lower, "encoding": encoding}
            log(f"fanout {label} n={n}: joined={len(joined)} cpu={cpu:.1f}% rss={rss:.1f} MB stalled={stalled} "
                f"med {med:.0f} pkt/s {kbps:.0f} kbit/s (join {join_s:.1f} s)"
                + (f" lower rung {lower}, encoding feeds {encoding}" if stats_url else ""))
            rows.append(row)
            if len(joined) < n or cpu > stop_cpu:
                log(f"fanout {label}: stopping at {n} viewers ({'saturated' if cpu > stop_cpu else 'viewers did not join'})")
                break
    finally:
        rx.stop()
    return rows


def series_fanout(ctx):
    levels = [1, 3] if ctx.smoke else [1, 5, 10, 25, 50]
    out = []
    # rtcbroadcastsink: passthrough of the feeder's RTP (the same stream Janus gets); with its own
    # send stage (direct-send, the default) and through webrtcbin's RTP chain, in the same run.
    props = ctx.a.fanout_props
    variants = [props, (props + " direct-send=false").strip()]
    for vprops in variants:
        port, wsport = free_port(), free_port()
        feeder = gst_launch(FEEDER.format(host="127.0.0.1", port=port), "fanout-feeder")
        s = gst_launch(f'udpsrc port={port} address=127.0.0.1 caps="{UDP_CAPS}" ! rtph264depay ! h264parse ! '
                       f"rtcbroadcastsink address=127.0.0.1:{wsport} ice-local-addresses=127.0.0.1 video-codecs=h264 {vprops}",
                       "fanout-rtckit")
        try:
            wait_port(wsport)
            out += measure_levels(ctx, "rtcbroadcastsink" + (f" ({vprops})" if vprops else ""), s.pid,
                                  f"ws://127.0.0.1:{wsport}/ws", levels, stats_url=f"http://127.0.0.1:{wsport}/stats.json")
        finally:
            s.stop()
            feeder.stop()
    # Janus streaming plugin, same RTP, in its own network namespace
    try:
        out += janus_bench.fanout(ctx, levels, measure_levels, FEEDER)
    except janus_bench.Unavailable as e:
        log(f"fanout janus: unavailable: {e}")
        ctx.results["janus_unavailable"] = str(e)
    # one encoder per viewer (webrtcsink's default design), same 720p30 1 Mbit/s H.264
    s, ws = sender("per-viewer", "h264", "testsrc", "fanout-per-viewer")
    try:
        out += measure_levels(ctx, "one encoder per viewer", s.pid, ws, levels, stop_cpu=150.0)
    finally:
        s.stop()
    ctx.results["fanout"] = out
    designs = {r["design"] for r in out}
    # A full run may go without Janus (its table says "not measured"); the smoke run may not, or
    # the Janus code would rot unseen.
    wanted = ["rtcbroadcastsink" + (f" ({v})" if v else "") for v in variants]
    wanted += ["one encoder per viewer"] + (["Janus streaming plugin"] if ctx.smoke else [])
    return all(d in designs for d in wanted)


def series_raw(ctx):
    levels = [1, 3] if ctx.smoke else [1, 10]
    wsport = free_port()
    s = gst_launch(f"videotestsrc is-live=true pattern=ball ! {RAW720} ! rtcbroadcastsink "
                   f"address=127.0.0.1:{wsport} ice-local-addresses=127.0.0.1 video-codecs=h264 video-bitrate=1000",
                   "raw-rtckit")
    try:
        wait_port(wsport)
        rows = measure_levels(ctx, "rtcbroadcastsink raw input", s.pid, f"ws://127.0.0.1:{wsport}/ws", levels,
                              stats_url=f"http://127.0.0.1:{wsport}/stats.json")
    finally:
        s.stop()
    ctx.results["raw"] = rows
    return len(rows) == len(levels)


# ---- 4. recording -------------------------------------------------------------------------------

def series_recording(ctx):
    from util import has_element
    if not has_element("rtcingestsrc"):
        ctx.results["recording"] = {"unavailable": "rtcingestsrc is not in this build"}
        log("recording: rtcingestsrc is not in this build: series skipped")
        return None
    seconds = 4 if ctx.smoke else 20
    wsport = free_port()
    path = os.path.join(RESULTS, "recording.mkv")
    s = gst_launch(f"rtcingestsrc name=s address=127.0.0.1:{wsport} ice-local-addresses=127.0.0.1 "
                   f"s. ! queue ! h264parse ! video/x-h264,stream-format=avc3 ! matroskamux ! filesink location={path}", "recording")
    try:
        wait_port(wsport)
        b = ctx.chromium()
        tab = b.open(f"http://127.0.0.1:{wsport}/publish?width=1280&height=720&fps=30&audio=0&codec=h264")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and tab.eval("rtckitPublish.state") != "publishing":
            time.sleep(0.2)
        time.sleep(2)
        cpu = cpu_percent(s.pid, seconds)
        rss = proc_rss_mb(s.pid)
        st = tab.eval("rtckitPublish.stats()")
        try:
            server = json.loads(subprocess.run(["curl", "-s", f"http://127.0.0.1:{wsport}/stats"],
                                               capture_output=True, timeout=5).stdout or b"null")
        except Exception:
            server = None
        tab.eval("rtckitPublish.stop()")
        tab.close()
    finally:
        s.stop()
    size = os.path.getsize(path) if os.path.exists(path) else 0
    ctx.results["recording"] = {"cpu": cpu, "rss": rss, "seconds": seconds, "publisher": st, "server": server,
                                "file_bytes": size}
    log(f"recording: cpu={cpu:.1f}% rss={rss:.1f} MB file={size} bytes publisher={st}")
    return size > 0


# ---- 5. adaptation --------------------------------------------------------------------------------

ADAPT_TEST = os.path.join(ROOT, "tests", "e2e", "test_adaptation_chromium.py")
ADAPT_MIN_FPS = 25  # as the test: a rung is only "reached" at this frame rate
ADAPT_SETTLE_S = 5  # the test's grace after the cap: freezes are counted from here as well


def _num(v):
    """A CSV cell as a number (None when empty), "True"/"False" as booleans."""
    if v in ("", None):
        return None
    if v in ("True", "False"):
        return v == "True"
    try:
        f = float(v)
    except ValueError:
        return v
    return int(f) if f.is_integer() and "." not in v else f


def adaptation_summary(rows):
    """Per phase, from the per-second timeline: the step down, A while capped, the climb back,
    B, the encoders. Times are seconds of the timeline (one sample per second: +-1 s)."""
    out = []
    for phase in dict.fromkeys(r["phase"] for r in rows):
        tl = [r for r in rows if r["phase"] == phase]
        capped = [r["second"] for r in tl if r["capped"]]
        top = max((r["b_width"] or 0 for r in tl), default=0)
        s = {"phase": phase, "seconds": len(tl), "top_width": top}
        if capped:
            cap, lift = capped[0], capped[-1] + 1
            at = {r["second"]: r for r in tl}
            down = next((r["second"] for r in tl if cap <= r["second"] < lift and (r["a_width"] or top) < top
                         and (r["a_fps"] or 0) >= ADAPT_MIN_FPS), None)
            up = next((r["second"] for r in tl if r["second"] >= lift and r["a_width"] == top
                       and (r["a_fps"] or 0) >= ADAPT_MIN_FPS), None)
            settled = [r for r in tl if cap + ADAPT_SETTLE_S <= r["second"] < lift]
            fps = [r["a_fps"] for r in settled if r["a_fps"] is not None]

            def freezes(a, b):
                fa, fb = (at.get(a) or {}).get("a_freezes"), (at.get(b) or {}).get("a_freezes")
                return None if fa is None or fb is None else fb - fa
            s.update(cap_s=cap, lift_s=lift, cap_len_s=lift - cap,
                     down_s=None if down is None else down - cap,
                     a_fps_capped=sum(fps) / len(fps) if fps else None,
                     a_fps_capped_min=min(fps) if fps else None,
                     a_freezes_capped=freezes(cap, lift),
                     a_freezes_settled=freezes(cap + ADAPT_SETTLE_S, lift),
                     a_widths_capped=sorted({r["a_width"] for r in settled if r["a_width"]}),
                     a_estimate_capped=percentile([r["a_estimate_kbps"] for r in settled
                                                   if r["a_estimate_kbps"] is not None], 50),
                     a_received_capped=percentile([r["a_received_kbps"] for r in settled
                                                   if r.get("a_received_kbps") is not None], 50),
                     up_s=None if up is None else up - lift)
        bf = [r["b_fps"] for r in tl if r["b_fps"] is not None]
        s["b_fps_min"] = min(bf) if bf else None
        s["b_widths"] = sorted({r["b_width"] for r in tl if r["b_width"]})
        s["encoders_max"] = max((r["encoders_in_use"] for r in tl if r["encoders_in_use"] is not None), default=None)
        out.append(s)
    return out


def series_adaptation(ctx):
    """Runs the adaptation test (its own lab, sender and two headless Chromiums) and keeps its
    timeline: the smoke run one short phase (H.264 passthrough: 5 s, 15 s capped, 15 s after)."""
    if os.geteuid() != 0:
        ctx.results["adaptation"] = {"unavailable": "needs root (the link lab's network namespaces)"}
        log("adaptation: needs root: series skipped")
        return None
    phases = ["h264"] if ctx.smoke else ["vp8", "h264"]
    # One Chromium at a time on this machine: the test starts its own two.
    ctx.close_browser()
    path = os.path.join(RESULTS, "adaptation-timeline.csv")
    if os.path.exists(path):
        os.remove(path)
    p = Proc([PY, ADAPT_TEST, "--csv", path] + (["--short"] if ctx.smoke else []) + phases, "adaptation")
    try:
        rc = p.proc.wait(timeout=150 * len(phases))
    finally:
        p.stop()
    text = p.text()
    criteria = [line.split(" ", 1)[1] for line in text.splitlines()
                if any(f" {ph}: ok " in line or f" {ph}: FAIL " in line for ph in phases)]
    if rc == 77:
        ctx.results["adaptation"] = {"unavailable": "no Chromium binary"}
        return None
    rows = []
    if os.path.exists(path):
        with open(path, newline="") as f:
            rows = [{k: _num(v) for k, v in r.items()} for r in csv.DictReader(f)]
    summary = adaptation_summary(rows)
    ctx.results["adaptation"] = {"phases": summary, "criteria": criteria, "test_rc": rc, "short": ctx.smoke,
                                 "timeline": rows}
    for s in summary:
        log(f"adaptation {s['phase']}: " + ", ".join(f"{k}={v}" for k, v in s.items() if k != "phase"))
    log(f"adaptation: the test exited with {rc}; criteria: " + "; ".join(criteria))
    # Data, not the test's verdict: every phase ran through its cap with A decoding.
    return all(any(s["phase"] == ph and s.get("cap_s") is not None for s in summary) for ph in phases) and \
        all(any((r["a_fps"] or 0) > 0 for r in rows if r["phase"] == ph) for ph in phases)


# ---- tables and plots ---------------------------------------------------------------------------

def f1(x):
    return "–" if x is None or x != x else f"{x:.1f}"


def f0(x):
    return "–" if x is None or x != x else f"{x:.0f}"


def tables(res):
    md = []
    hdr = (f"Run {res['started']}{' (smoke)' if res['smoke'] else ''} on {res['cpus']} CPUs, load average "
           f"before {res['load_before'][0]:.2f}.\n")
    md.append(hdr)
    if res.get("latency"):
        md.append("### Glass-to-glass latency (1280x720 30 fps, headless Chromium, after a 2 s warm-up)\n")
        md.append("Rounds alternate the variants' order; p50/p95/max pool every round's frames. *Received*: "
                  "capture to the frame's last packet in the browser (Chromium's `receiveTime`), the part "
                  "the sender and the network own; the rest is the browser's decode and render schedule.\n")
        md.append("| sender | codec | frames | p50 ms | p95 ms | max ms | p50 by round | received p50 ms | undecodable |")
        md.append("|---|---|---:|---:|---:|---:|---|---:|---:|")
        for r in res["latency"]:
            by_round = " / ".join(f"{x:.0f}" for x in r.get("round_p50s", []))
            md.append(f"| {r['variant']} | {r['codec']} | {r['frames']} | {f1(r['p50'])} | {f1(r['p95'])} | "
                      f"{f1(r['max'])} | {by_round} | {f1(r.get('received_p50'))} | {r['undecodable']} |")
        md.append("")
    if res.get("ttff"):
        md.append("### Time to first frame (viewer's WebSocket connect to first presented frame)\n")
        md.append("| configuration | trials | median ms | max ms |")
        md.append("|---|---:|---:|---:|")
        for r in res["ttff"]:
            md.append(f"| {r['config']} | {r['trials']} | {r['median']:.0f} | {r['max']:.0f} |")
        md.append("")
    if res.get("fanout"):
        md.append("### Fan-out: sender process, 1280x720 H.264 1 Mbit/s, webrtcbin receivers in other processes\n")
        md.append("*Lower rung*: rtcbroadcastsink's viewers off the top rung at the measurement, and its feeds "
                  "that decode and encode for them (`/stats.json`); a passthrough fan-out should have none.\n")
        md.append("| design | viewers | joined | stalled | kbit/s per viewer | CPU % of a core | RSS MB | join s | "
                  "lower rung (encoding feeds) | load |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in res["fanout"]:
            rung = "" if r.get("lower_rung") is None else f"{r['lower_rung']} ({r.get('encoding')})"
            md.append(f"| {r['design']} | {r['viewers']} | {r['joined']} | {r['stalled']} | {r.get('kbps', 0):.0f} | "
                      f"{f1(r['cpu'])} | {f1(r['rss'])} | {f1(r['join_s'])} | {rung} | {r['load']:.1f} |")
        md.append("")
        md.append("Per extra viewer (least-squares slope over the levels measured):\n")
        md.append("| design | CPU % of a core per viewer | RSS MB per viewer |")
        md.append("|---|---:|---:|")
        for d, (sc, sr) in slopes(res["fanout"]).items():
            md.append(f"| {d} | {sc:.2f} | {sr:.2f} |")
        md.append("")
    if res.get("janus_unavailable"):
        md.append(f"Janus streaming plugin: **not measured**: {res['janus_unavailable']}\n")
    if res.get("raw"):
        md.append("### Raw input (encoder inside rtcbroadcastsink), CPU by viewers\n")
        md.append("| viewers | kbit/s per viewer | CPU % of a core | RSS MB | ratio to 1 viewer |")
        md.append("|---:|---:|---:|---:|---:|")
        base = res["raw"][0]["cpu"] or 1
        for r in res["raw"]:
            md.append(f"| {r['viewers']} | {r.get('kbps', 0):.0f} | {f1(r['cpu'])} | {f1(r['rss'])} | {r['cpu'] / base:.2f} |")
        md.append("")
    ad = res.get("adaptation")
    if ad:
        md.append("### Adaptation: viewer A's link capped at 600 kbit/s, B unconstrained (headless Chromium)\n")
        if "unavailable" in ad:
            md.append(f"Not measured: {ad['unavailable']}.\n")
        else:
            md.append("`tests/e2e/test_adaptation_chromium.py`" + (" --short" if ad.get("short") else "") +
                      ": a 2.5 Mbit/s 1280x720 stream, A behind 50 ms and 1 % loss, its link capped "
                      "for the period shaded in the plot. One sample a second (times +-1 s). *Down*: cap to A "
                      f"decoding a lower rung at >= {ADAPT_MIN_FPS} fps; *up*: lift to A at full width and "
                      f">= {ADAPT_MIN_FPS} fps. A's fps, estimate and received rate: from {ADAPT_SETTLE_S} s "
                      "after the cap to the lift; freezes (Chromium's freezeCount): the whole cap, "
                      f"and from {ADAPT_SETTLE_S} s after it.\n")
            md.append("| phase | capped s | down s | A widths capped | A fps capped (min) | A freezes capped "
                      f"(after {ADAPT_SETTLE_S} s) | A estimate kbit/s | A received kbit/s | up s | B min fps | "
                      "encoders in use, max | test criteria |")
            md.append("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
            crit = ad.get("criteria") or []
            for s in ad["phases"]:
                mine = [c for c in crit if c.startswith(s["phase"] + ":")]
                ok = sum(1 for c in mine if ": ok " in c)
                widths = "/".join(str(w) for w in s.get("a_widths_capped") or []) or "–"
                nz = lambda x: "–" if x is None else str(x)  # noqa: E731
                md.append(f"| {s['phase']} | {nz(s.get('cap_len_s'))} | {nz(s.get('down_s'))} | {widths} | "
                          f"{f1(s.get('a_fps_capped'))} ({f1(s.get('a_fps_capped_min'))}) | "
                          f"{nz(s.get('a_freezes_capped'))} ({nz(s.get('a_freezes_settled'))}) | "
                          f"{f0(s.get('a_estimate_capped'))} | {f0(s.get('a_received_capped'))} | "
                          f"{nz(s.get('up_s'))} | {f1(s.get('b_fps_min'))} | {nz(s.get('encoders_max'))} | "
                          f"{ok} of {len(mine)} met |")
            failed = [c for c in crit if ": FAIL " in c]
            if failed:
                md.append("\nNot met: " + "; ".join(f"`{c}`" for c in failed))
            md.append("")
    rec = res.get("recording")
    if rec:
        md.append("### Recording (rtcingestsrc, browser publishing 1280x720)\n")
        if "unavailable" in rec:
            md.append(f"Not measured: {rec['unavailable']}.\n")
        else:
            lost = ((rec.get("publisher") or {}).get("video") or {}).get("packetsLost")
            md.append("| CPU % of a core | RSS MB | packets lost (publisher's view) | file bytes |")
            md.append("|---:|---:|---:|---:|")
            md.append(f"| {f1(rec['cpu'])} | {f1(rec['rss'])} | {lost} | {rec['file_bytes']} |\n")
    return "\n".join(md)


def slopes(rows):
    out = {}
    for d in dict.fromkeys(r["design"] for r in rows):
        pts = [(r["viewers"], r["cpu"], r["rss"]) for r in rows if r["design"] == d]
        if len(pts) < 2:
            continue
        n = len(pts)
        mx = sum(p[0] for p in pts) / n
        vx = sum((p[0] - mx) ** 2 for p in pts) or 1
        out[d] = tuple(sum((p[0] - mx) * (p[k] - sum(q[k] for q in pts) / n) for p in pts) / vx for k in (1, 2))
    return out


def plots(res):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    made = []
    if res.get("latency"):
        fig, ax = plt.subplots(figsize=(7, 4))
        for r in res["latency"]:
            xs = sorted(r["samples"])
            if xs:
                ax.plot(xs, [i / len(xs) for i in range(len(xs))], label=f"{r['variant']} {r['codec']}")
        ax.set_xlabel("glass-to-glass latency (ms)")
        ax.set_ylabel("fraction of frames")
        ax.set_title("Latency distribution (CDF), 1280x720 30 fps")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(RESULTS, "latency.png"), dpi=80)
        made.append("latency.png")
    for key, col, unit in (("cpu", "cpu", "CPU (% of one core)"), ("rss", "rss", "RSS (MB)")):
        rows = (res.get("fanout") or []) + (res.get("raw") or [])
        if not rows:
            continue
        fig, ax = plt.subplots(figsize=(7, 4))
        for d in dict.fromkeys(r["design"] for r in rows):
            pts = [(r["viewers"], r[col]) for r in rows if r["design"] == d]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=d)
        ax.set_xlabel("viewers")
        ax.set_ylabel(unit)
        ax.set_title(f"Sender {unit} by viewers, 720p H.264 1 Mbit/s")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(RESULTS, f"fanout_{key}.png"), dpi=80)
        made.append(f"fanout_{key}.png")
    if res.get("ttff"):
        fig, ax = plt.subplots(figsize=(7, 3))
        for i, r in enumerate(res["ttff"]):
            ax.scatter(r["all"], [i] * len(r["all"]))
        ax.set_yticks(range(len(res["ttff"])), [r["config"] for r in res["ttff"]], fontsize=7)
        ax.set_xlabel("time to first frame (ms)")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(RESULTS, "ttff.png"), dpi=80)
        made.append("ttff.png")
    ad = res.get("adaptation") or {}
    if ad.get("timeline"):
        made.append(plot_adaptation(plt, ad["timeline"]))
    return made


def plot_adaptation(plt, rows):
    """One column per phase: rates on top (A's estimate, rung, received; the cap), frame rates
    and A's width below; the cap period shaded."""
    phases = list(dict.fromkeys(r["phase"] for r in rows))
    fig, axes = plt.subplots(2, len(phases), figsize=(6.5 * len(phases), 6), sharex="col", squeeze=False,
                             gridspec_kw={"height_ratios": [3, 2]})
    for i, phase in enumerate(phases):
        tl = [r for r in rows if r["phase"] == phase]
        t = [r["second"] for r in tl]

        def col(k):
            return [r.get(k) if r.get(k) is not None else float("nan") for r in tl]
        rate, fps = axes[0][i], axes[1][i]
        capped = [r["second"] for r in tl if r["capped"]]
        for ax in (rate, fps):
            if capped:
                ax.axvspan(capped[0], capped[-1] + 1, color="tab:red", alpha=0.08, lw=0)
            ax.grid(alpha=0.3)
        rate.plot(t, col("a_estimate_kbps"), label="A estimate", color="tab:blue")
        if any(r.get("a_rung_kbps") is not None for r in tl):
            rate.step(t, col("a_rung_kbps"), where="post", label="A rung", color="tab:green")
        rate.plot(t, col("a_received_kbps"), label="A received (TWCC)", color="tab:orange")
        rate.plot(t, col("a_kbps"), label="A in the browser", color="tab:orange", ls=":", lw=1)
        if capped:
            rate.hlines(600, capped[0], capped[-1] + 1, colors="tab:red", linestyles="--", label="cap")
        # Log scale: the estimate's 6000 and the capped 300 both readable.
        rate.set_yscale("log")
        rate.set_ylim(100, 10000)
        rate.set_yticks([100, 300, 600, 1000, 3000, 10000], ["100", "300", "600", "1000", "3000", "10000"])
        rate.set_ylabel("kbit/s")
        rate.set_title(f"{phase}: viewer A capped (shaded), B unconstrained")
        fps.plot(t, col("a_fps"), label="A fps", color="tab:blue")
        fps.plot(t, col("b_fps"), label="B fps", color="tab:gray", ls="--")
        fps.set_ylim(0, 40)
        fps.set_ylabel("frames/s")
        fps.set_xlabel("s")
        width = fps.twinx()
        width.step(t, col("a_width"), where="post", color="tab:green", lw=1, label="A width")
        width.set_ylim(0, 1400)
        width.set_ylabel("A frame width (px)")
        if i == 0:
            rate.legend(fontsize=7, loc="upper right")
            h1, l1 = fps.get_legend_handles_labels()
            h2, l2 = width.get_legend_handles_labels()
            fps.legend(h1 + h2, l1 + l2, fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(os.path.join(RESULTS, "adaptation.png"), dpi=80)
    return "adaptation.png"


def update_readme(md, made):
    plots_dir = os.path.join(BENCH, "plots")
    os.makedirs(plots_dir, exist_ok=True)
    for p in made:
        shutil.copy(os.path.join(RESULTS, p), os.path.join(plots_dir, p))
    body = md + "\n" + "\n".join(f"![{p}](plots/{p})" for p in made) + "\n"
    path = os.path.join(BENCH, "README.md")
    text = open(path).read()
    b, e = "<!-- results:begin -->", "<!-- results:end -->"
    i, j = text.index(b) + len(b), text.index(e)
    open(path, "w").write(text[:i] + "\n" + body + text[j:])
    log(f"updated {path} and {plots_dir}")


SERIES = {"latency": series_latency, "ttff": series_ttff, "fanout": series_fanout, "raw": series_raw,
          "recording": series_recording, "adaptation": series_adaptation}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="one short run of each series; exit 1 if one has no data")
    ap.add_argument("--only", default="", help="comma-separated series: " + ",".join(SERIES))
    ap.add_argument("--update-readme", action="store_true")
    ap.add_argument("--fanout-props", default="", metavar="PROPS",
                    help="extra rtcbroadcastsink properties in the fan-out series, e.g. video-layers=none")
    a = ap.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    names = [n for n in (a.only.split(",") if a.only else SERIES)]
    ctx = Ctx(a)
    failed = []
    t0 = time.monotonic()
    try:
        for n in names:
            log(f"=== series {n}")
            try:
                ok = SERIES[n](ctx)
            except Exception:
                traceback.print_exc()
                ok = False
            # None: the series could not run here (recording without rtcingestsrc); a smoke run
            # counts that as missing data.
            if ok is False or (ok is None and a.smoke):
                failed.append(n)
    finally:
        ctx.close()
    res = ctx.results
    res["load_after"] = loadavg()
    res["duration_s"] = time.monotonic() - t0
    with open(os.path.join(RESULTS, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    md = tables(res)
    with open(os.path.join(RESULTS, "tables.md"), "w") as f:
        f.write(md)
    made = plots(res)
    print(md)
    log(f"done in {res['duration_s']:.0f} s; results in {RESULTS}")
    if a.update_readme and not a.smoke:
        update_readme(md, made)
    if failed:
        log(f"FAILED (no or too little data): {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
