"""rtcdisplaymediasrc under Xvfb, broadcast with rtcbroadcastsink, checked in headless Chromium's
decoded pixels (the viewer page's <video id="video"> drawn into a canvas).

The test starts its own Xvfb (1280x720, black root, no TCP) and two windows on it, GStreamer
pipelines into ximagesink whose titles come from a title tag:
  "rtckit-bars"    SMPTE 75 % colour bars, 320x240 at (100,100)
  "rtckit-orange"  solid orange (255,128,0), 240x160 at (700,300)
Scenarios (one Chromium, one pipeline at a time):
  window-title  the bars window by (part of) its title: 320x240, the seven bar colours in order
  window-id     the orange window by its X id: 240x160, orange everywhere
  region        region=650,250,340,260 of the screen: orange inside, black around it
  monitor       the whole screen scaled by video-constraints="width=640": 640x360, bars and
                orange where the windows are
  static        a region where nothing ever changes, frame-rate=15: the viewer decodes >= 15 fps
                (within 5 %: the measurement window's edges)
  cursor        the pointer (xdotool) over the orange window: cursor=true shows it in the pixels
                around its position, cursor=false does not
  window-ends   a captured window moved partly off the screen keeps the capture going; closed
                (three times, at different moments) or hidden, it ends the stream with EOS and
                the message rtckit-display-media-ended {reason closed|hidden}, and the process
                lives on (Xlib's default error handler would have ended it)
  properties    backend and display-surface: NULL before READY, then x11 and monitor, window,
                region (also a region of a window)
  call          rtccallbin sends the bars window to the /call page: its remote video shows them
  errors        a window title that matches nothing: an error naming the title; no DISPLAY and no
                session bus: an error naming DISPLAY
Each capture scenario also checks the rtckit-display-media message (gst-launch -m) for
display-surface and backend.

Run: /usr/bin/python3 tests/e2e/test_displaymedia_chromium.py [scenario ...]
Skips (77) only when Xvfb or Chromium is not installed.
"""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium, find_chromium  # noqa: E402
from util import (SKIP, Diag, Process, TestFailure, check, free_port, log, measure,  # noqa: E402
                  require_element, run_main, test_env, wait_for, wait_http, wait_playing)

SCREEN = (1280, 720)
BARS = {"title": "rtckit-bars", "size": (320, 240), "pos": (100, 100)}
ORANGE = {"title": "rtckit-orange", "size": (240, 160), "pos": (700, 300), "rgb": (255, 128, 0)}
# videotestsrc pattern=smpte75, top two thirds, left to right
BAR_COLOURS = [(191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0), (191, 0, 191),
               (191, 0, 0), (0, 0, 191)]
BLACK = (0, 0, 0)
TOLERANCE = 40  # per channel, after H.264 and two colour conversions
POINTER_PARK = (1200, 680)  # away from every sampled point


class Xvfb:
    """Our own X server on a display number it picks itself (-displayfd), killed at the end."""

    def __init__(self):
        r, w = os.pipe()
        self.log_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "artifacts",
                                     f"xvfb-{os.getpid()}.log")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
             "-nolisten", "tcp", "-br", "-noreset"],
            pass_fds=(w,), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        os.close(w)
        number = b""
        deadline = time.monotonic() + 15
        with os.fdopen(r, "rb") as f:
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                chunk = f.read(1)
                if not chunk:
                    break
                number += chunk
        if not number.strip():
            self.stop()
            raise TestFailure(f"Xvfb did not report its display number (log {self.log_path})")
        self.display = ":" + number.decode().strip()
        log(f"Xvfb pid {self.proc.pid} on {self.display}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def x_env(xvfb):
    return {"DISPLAY": xvfb.display}


def xdotool(xvfb, *args):
    env = dict(os.environ, DISPLAY=xvfb.display)
    r = subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        raise TestFailure(f"xdotool {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout.strip()


def open_window(xvfb, spec, pattern):
    """A gst-launch window on Xvfb, titled through a title tag (ximagesink shows it), placed."""
    w, h = spec["size"]
    line = (f"videotestsrc {pattern} ! video/x-raw,width={w},height={h},framerate=10/1 ! "
            f"taginject tags=title={spec['title']} ! ximagesink")
    proc = Process(["gst-launch-1.0", *line.split()], f"displaymedia-window-{spec['title']}",
                   env=x_env(xvfb))
    wid = wait_for(lambda: xdotool(xvfb, "search", "--name", spec["title"]).split()[:1], 15,
                   f"window {spec['title']}", diag=proc.tail)[0]
    xdotool(xvfb, "windowmove", wid, str(spec["pos"][0]), str(spec["pos"][1]))
    # windowmove returns before the server has moved it
    wait_for(lambda: f"Position: {spec['pos'][0]},{spec['pos'][1]}" in xdotool(
        xvfb, "getwindowgeometry", wid), 5, f"{spec['title']} at {spec['pos']}")
    log(f"window {spec['title']} id {wid} at {spec['pos']} size {spec['size']}")
    return proc, int(wid)


# ---- pixels in the page ------------------------------------------------------------------------

GRAB_JS = """
const v = document.getElementById(%s);
if (!v || !v.videoWidth) return null;
const c = document.createElement('canvas');
c.width = v.videoWidth; c.height = v.videoHeight;
const g = c.getContext('2d', {willReadFrequently: true});
g.drawImage(v, 0, 0);
const points = %s, box = %s;
const samples = points.map(([x, y]) => {
  const d = g.getImageData(x - 2, y - 2, 5, 5).data;
  const s = [0, 0, 0];
  for (let i = 0; i < d.length; i += 4) { s[0] += d[i]; s[1] += d[i + 1]; s[2] += d[i + 2]; }
  return s.map(t => Math.round(t / (d.length / 4)));
});
let boxPixels = null;
if (box) {
  const d = g.getImageData(box[0], box[1], box[2], box[3]).data;
  boxPixels = [];
  for (let i = 0; i < d.length; i += 4) boxPixels.push([d[i], d[i + 1], d[i + 2]]);
}
return {width: c.width, height: c.height, samples, box: boxPixels};
"""


def grab(tab, points, box=None, video="video"):
    import json
    return tab.exec(GRAB_JS % (json.dumps(video), json.dumps(points), json.dumps(box)))


def close_to(rgb, want, tol=TOLERANCE):
    return all(abs(a - b) <= tol for a, b in zip(rgb, want))


def wait_pixels(tab, size, expect, diag, what, video="video"):
    """Poll the decoded picture in <video id=@video> until it is @size and every (x, y) ->
    colour in @expect matches."""
    points = [p for p, _ in expect]
    last = {}

    def ok():
        g = grab(tab, points, video=video)
        last["g"] = g
        if not g or (g["width"], g["height"]) != size:
            return None
        return all(close_to(s, want) for s, (_, want) in zip(g["samples"], expect))

    try:
        wait_for(ok, 15, what, diag=diag)
    except TestFailure as e:
        g = last.get("g")
        detail = "no picture" if not g else (
            f"{g['width']}x{g['height']} (want {size[0]}x{size[1]}); " + ", ".join(
                f"{p}: got {tuple(s)} want {w}" for s, (p, w) in zip(g["samples"], expect)))
        raise TestFailure(f"{e}\n{what}: {detail}")
    g = last["g"]
    log(f"  {what}: {g['width']}x{g['height']}, " + ", ".join(
        f"{tuple(p)}={tuple(s)}" for s, (p, _) in zip(g["samples"], expect)))


# ---- one capture, broadcast, watched --------------------------------------------------------------

class Broadcast:
    """`gst-launch-1.0 -e -m rtcdisplaymediasrc PROPS ! rtcbroadcastsink` on Xvfb, one viewer."""

    def __init__(self, browser, xvfb, props, name):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        line = ["gst-launch-1.0", "-e", "-m", "rtcdisplaymediasrc", *props, "!",
                "rtcbroadcastsink", f"address=127.0.0.1:{self.port}", "ice-local-addresses=127.0.0.1"]
        self.proc = Process(line, f"displaymedia-{name}", env=x_env(xvfb))
        log(f"pipeline pid {self.proc.proc.pid}: {' '.join(line[3:])} (log {self.proc.log_path})")
        self.diag = Diag(self.proc, self.base)
        self.diag.browsers.append(browser)
        self.browser = browser
        self.tab = None

    def __enter__(self):
        try:
            wait_http(self.base + "/", 20)
            self.tab = self.browser.open(self.base + "/")
            self.diag.tabs = [("viewer", self.tab)]
            wait_playing(self.diag.tabs, 30, self.diag)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        if self.tab:
            self.tab.close()
        self.proc.stop()

    def capture_message(self):
        with open(self.proc.log_path, errors="replace") as f:
            m = re.search(r"rtckit-display-media, (.*)", f.read())
        check(m, "an rtckit-display-media element message", self.diag)
        return dict(re.findall(r"([a-z-]+)=\(\w+\)\"?([^,\"]*)\"?", m.group(1)))

    def check_surface(self, surface):
        msg = self.capture_message()
        log(f"  rtckit-display-media: {msg}")
        check(msg.get("backend") == "x11", f"backend x11 (got {msg.get('backend')})", self.diag)
        check(msg.get("display-surface") == surface,
              f"display-surface {surface} (got {msg.get('display-surface')})", self.diag)
        return msg


def bar_points(x0, y0, w, h, scale=1.0):
    """(point, colour) at the middle of each colour bar of a bars window at (x0, y0)."""
    return [([round((x0 + w * (i + 0.5) / 7) * scale), round((y0 + h / 3) * scale)], c)
            for i, c in enumerate(BAR_COLOURS)]


def scenario_window_title(browser, xvfb, windows):
    log("=== window-title: the bars window by part of its title")
    with Broadcast(browser, xvfb, ["window-title=rtckit-bars"], "window-title") as b:
        wait_pixels(b.tab, BARS["size"], bar_points(0, 0, *BARS["size"]), b.diag,
                    "bars window, seven bars")
        msg = b.check_surface("window")
        check(int(msg.get("window-id", 0)) == windows["bars"], f"window-id {windows['bars']}", b.diag)


def scenario_window_id(browser, xvfb, windows):
    log("=== window-id: the orange window by its id")
    w, h = ORANGE["size"]
    expect = [([x, y], ORANGE["rgb"]) for x, y in [(10, 10), (w // 2, h // 2), (w - 10, h - 10),
                                                   (w - 10, 10), (10, h - 10)]]
    with Broadcast(browser, xvfb, [f"window-id={windows['orange']}"], "window-id") as b:
        wait_pixels(b.tab, ORANGE["size"], expect, b.diag, "orange window")
        b.check_surface("window")


def scenario_region(browser, xvfb, windows):
    log("=== region: part of the screen around the orange window")
    rx, ry, rw, rh = 650, 250, 340, 260
    ox, oy = ORANGE["pos"][0] - rx, ORANGE["pos"][1] - ry  # the window inside the region
    expect = [([ox + 120, oy + 80], ORANGE["rgb"]), ([ox + 10, oy + 10], ORANGE["rgb"]),
              ([20, 20], BLACK), ([rw - 20, rh - 20], BLACK), ([20, rh - 20], BLACK)]
    with Broadcast(browser, xvfb, [f"region={rx},{ry},{rw},{rh}"], "region") as b:
        wait_pixels(b.tab, (rw, rh), expect, b.diag, "region: orange inside black")
        b.check_surface("region")


def scenario_monitor(browser, xvfb, windows):
    log("=== monitor: the whole screen, scaled to width=640 by video-constraints")
    s = 0.5
    bx, by = BARS["pos"]
    ox, oy = ORANGE["pos"]
    expect = bar_points(bx, by, *BARS["size"], scale=s) + [
        ([round((ox + 120) * s), round((oy + 80) * s)], ORANGE["rgb"]),
        ([40, 300], BLACK), ([600, 40], BLACK)]
    with Broadcast(browser, xvfb, ["video-constraints=width=640"], "monitor") as b:
        wait_pixels(b.tab, (640, 360), expect, b.diag, "screen at 640x360")
        msg = b.check_surface("monitor")
        check((msg.get("width"), msg.get("height")) == ("1280", "720"),
              f"captured 1280x720 before scaling ({msg})", b.diag)


def scenario_static(browser, xvfb, windows):
    rate = 15
    log(f"=== static: a screen region where nothing changes, frame-rate={rate}")
    with Broadcast(browser, xvfb, ["region=0,480,640,224", f"frame-rate={rate}"], "static") as b:
        wait_pixels(b.tab, (640, 224), [([320, 112], BLACK)], b.diag, "black, unchanging")
        r = measure(b.diag.tabs, 6)["viewer"]
        v = r["last"].get("video") or {}
        log(f"  viewer: {r['fps']:.2f} fps decoded over 6 s (asked {rate}), freezes {v.get('freezeCount')}")
        check(r["fps"] >= rate * 0.95, f"a still screen gives >= {rate} fps (within 5 %), got "
              f"{r['fps']:.2f}", b.diag)


def dark_pixels(box, colour, threshold=150):
    return sum(1 for p in box if sum(abs(a - b) for a, b in zip(p, colour)) > threshold)


def scenario_cursor(browser, xvfb, windows):
    log("=== cursor: the pointer over the orange window, cursor=true and cursor=false")
    px, py = ORANGE["pos"][0] + 120, ORANGE["pos"][1] + 80
    rx, ry, rw, rh = px - 60, py - 40, 120, 80  # all inside the orange window
    xdotool(xvfb, "mousemove", str(px), str(py))
    box = [rw // 2 - 12, rh // 2 - 12, 24, 24]  # 24x24 around the hotspot
    counts = {}
    try:
        for cursor in ("true", "false"):
            with Broadcast(browser, xvfb, [f"region={rx},{ry},{rw},{rh}", f"cursor={cursor}"],
                           f"cursor-{cursor}") as b:
                wait_pixels(b.tab, (rw, rh), [([8, 8], ORANGE["rgb"]), ([rw - 8, rh - 8], ORANGE["rgb"])],
                            b.diag, f"cursor={cursor}: orange around the pointer")
                g = grab(b.tab, [], box)
                counts[cursor] = dark_pixels(g["box"], ORANGE["rgb"])
                log(f"  cursor={cursor}: {counts[cursor]} of {box[2] * box[3]} pixels around "
                    f"the pointer are not orange")
    finally:
        xdotool(xvfb, "mousemove", *map(str, POINTER_PARK))
    # The X server's default pointer (a black-and-white X, about 16x16) left 176 of the 576
    # pixels not orange in a run here; without it none were.
    check(counts["true"] >= 20, f"cursor=true draws the pointer (got {counts['true']} pixels)")
    check(counts["false"] <= 3, f"cursor=false leaves it out (got {counts['false']} pixels)")


def scenario_call(browser, xvfb, windows):
    log("=== call: rtccallbin sends the bars window to Chromium's /call page")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # no -e: rtccallbin without a call does not finish an EOS (it waits ~10 s to be killed)
    line = ["gst-launch-1.0", "-m", "rtccallbin", "name=c", f"address=127.0.0.1:{port}",
            "ice-local-addresses=127.0.0.1", "rtcdisplaymediasrc", "window-title=rtckit-bars", "!",
            "c.video_0", "c.video_src_0", "!", "fakesink"]
    with Process(line, "displaymedia-call", env=x_env(xvfb)) as proc:
        diag = Diag(proc, None)
        diag.browsers.append(browser)
        wait_http(base + "/call", 20)
        tab = browser.open(base + "/call")
        try:
            wait_for(lambda: tab.eval("rtckit.state") == "in-call", 30, "the call is up", diag=diag)
            wait_pixels(tab, BARS["size"], bar_points(0, 0, *BARS["size"]), diag,
                        "the call's remote video shows the bars", video="remote")
        finally:
            tab.close()


def scenario_window_ends(browser, xvfb, windows):
    log("=== window-ends: a captured window moves off the screen, is closed, is hidden")
    doomed = {"title": "rtckit-doomed", "size": (160, 120), "pos": (500, 500)}
    for attempt, (how, delay) in enumerate([("closed", 0.5), ("closed", 0.77), ("closed", 1.13),
                                            ("hidden", 0.6)]):
        window, wid = open_window(xvfb, doomed, "pattern=solid-color foreground-color=0xff0000ff")
        try:
            argv = ["gst-launch-1.0", "-m", "rtcdisplaymediasrc", f"window-id={wid}", "!", "fakesink"]
            with Process(argv, f"displaymedia-window-ends-{attempt}", env=x_env(xvfb)) as capture:
                wait_for(lambda: "rtckit-display-media," in read_log(capture), 10, "the capture to start",
                         diag=capture.tail)
                if attempt == 0:
                    # partly off the screen: X11 cannot read those pixels; the stream goes on
                    xdotool(xvfb, "windowmove", str(wid), str(SCREEN[0] - 60), str(SCREEN[1] - 40))
                    time.sleep(1.0)
                    check(capture.alive(), "a window partly off the screen does not end the capture",
                          capture.tail)
                    xdotool(xvfb, "windowmove", str(wid), *map(str, doomed["pos"]))
                time.sleep(delay)
                if how == "closed":
                    window.stop()
                else:
                    xdotool(xvfb, "windowunmap", str(wid))
                wait_for(lambda: not capture.alive(), 5, f"the capture to end after the window was {how}",
                         diag=capture.tail)
                rc = capture.proc.returncode
                text = read_log(capture)
                m = re.search(r"rtckit-display-media-ended, reason=\(string\)(\w+)", text)
                log(f"  window {how} after {delay} s: gst-launch exit {rc}, "
                    f"rtckit-display-media-ended reason={m.group(1) if m else None}")
                check(rc == 0 and "Got EOS from element" in text,
                      f"the stream ends with EOS, the process with 0 (exit {rc})", capture.tail)
                check(m and m.group(1) == how, f"rtckit-display-media-ended reason={how}", capture.tail)
        finally:
            window.stop()


PROPS_PY = """
import sys, gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
e = Gst.ElementFactory.make("rtcdisplaymediasrc")
for kv in sys.argv[1:]:
    k, v = kv.split("=", 1)
    Gst.util_set_object_arg(e, k, v)
before = (e.get_property("backend"), e.get_property("display-surface"))
ok = e.set_state(Gst.State.READY) == Gst.StateChangeReturn.SUCCESS
print(before, ok, (e.get_property("backend"), e.get_property("display-surface")))
e.set_state(Gst.State.NULL)
"""


def scenario_properties(browser, xvfb, windows):
    log("=== properties: backend and display-surface read in READY")
    env = test_env()
    env["DISPLAY"] = xvfb.display
    for props, surface in [([], "monitor"), (["window-title=rtckit-orange"], "window"),
                           (["region=0,0,64,64"], "region"),
                           (["window-title=rtckit-bars", "region=0,0,32,32"], "region")]:
        r = subprocess.run(["/usr/bin/python3", "-c", PROPS_PY, *props], env=env, capture_output=True,
                           text=True, timeout=30)
        want = f"(None, None) True ('x11', '{surface}')"
        log(f"  {' '.join(props) or '(none)'}: {r.stdout.strip()}")
        check(r.stdout.strip() == want, f"{props}: {want} (got {r.stdout.strip()!r} {r.stderr[-500:]})")


def read_log(proc):
    with open(proc.log_path, errors="replace") as f:
        return f.read()


def run_for_error(props, env, what):
    argv = ["gst-launch-1.0", "rtcdisplaymediasrc", *props, "!", "fakesink"]
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
    out = r.stdout + r.stderr
    line = next((ln for ln in out.splitlines() if ln.startswith("ERROR: from element")), "")
    log(f"  {what}: exit {r.returncode}, {line}")
    check(r.returncode != 0 and line, f"{what}: gst-launch fails with an element error\n{out}")
    return line


def scenario_errors(browser, xvfb, windows):
    log("=== errors: a window title that matches nothing; no DISPLAY")
    env = test_env()
    env["DISPLAY"] = xvfb.display
    line = run_for_error(["window-title=no window is called this"], env, "missing window title")
    check("no window is called this" in line, f"the error names the title ({line})")
    env = test_env()
    for k in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
        env.pop(k, None)
    line = run_for_error([], env, "no display")
    check("DISPLAY" in line, f"the error names DISPLAY ({line})")


SCENARIOS = {
    "errors": scenario_errors,
    "window-title": scenario_window_title,
    "window-id": scenario_window_id,
    "region": scenario_region,
    "monitor": scenario_monitor,
    "static": scenario_static,
    "cursor": scenario_cursor,
    "call": scenario_call,
    "window-ends": scenario_window_ends,
    "properties": scenario_properties,
}


def main():
    if not shutil.which("Xvfb"):
        log("Xvfb is absent: skipping")
        return SKIP
    if not find_chromium():
        log("chromium is absent: skipping")
        return SKIP
    for tool in ("xdotool",):
        check(shutil.which(tool), f"{tool} is installed (tools/dev.sh installs it)")
    for element in ("rtcdisplaymediasrc", "rtcbroadcastsink", "ximagesrc", "ximagesink"):
        require_element(element)
    names = sys.argv[1:] or list(SCENARIOS)
    xvfb = Xvfb()
    procs = []
    try:
        p, bars = open_window(xvfb, BARS, "pattern=smpte75")
        procs.append(p)
        p, orange = open_window(xvfb, ORANGE, "pattern=solid-color foreground-color=0xffff8000")
        procs.append(p)
        xdotool(xvfb, "mousemove", *map(str, POINTER_PARK))
        windows = {"bars": bars, "orange": orange}
        with Chromium() as browser:
            for n in names:
                t0 = time.monotonic()
                SCENARIOS[n](browser, xvfb, windows)
                log(f"  ({n}: {time.monotonic() - t0:.1f} s)")
    finally:
        for p in procs:
            p.stop()
        xvfb.stop()


if __name__ == "__main__":
    run_main(main)
