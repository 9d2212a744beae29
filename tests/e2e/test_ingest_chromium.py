"""Headless Chromium publishes to rtcingestsrc through examples/record-server.py (loopback only).

1. single: one tab publishes 640x480 camera + microphone (Chromium's fake devices) for 5 s, then
   closes: the recording has one video and one audio track, lasts 5 s +/- 0.5 s (gst-discoverer)
   and decodes to the end without an error.
2. two: two tabs publish at once: two complete files, each with both tracks and its duration.
3. tabclose: a publisher closes its tab mid-stream: its file is finalised (duration written) while
   the server runs on; the next publisher gets a new file that grows; SIGINT then finalises that
   one and the server exits 0.
4. sigkill: SIGKILL of the recorder while recording: the file decodes up to within ~1 s of the
   kill (decoded span compared with the time published before the kill).
5. refuse: rtcingestsrc video-codecs=vp9 and a page forced to H.264 (?codec=h264): no common
   codec, the page shows the element's error and no recording is made.
6. stopstart: the page's Stop button ends the session (file finalised, tracks stopped); Start
   publishes again into a new file.
7. codecs: pages forced to VP8 and to VP9 (?codec=) are recorded in that codec, untouched.

Run: /usr/bin/python3 tests/e2e/test_ingest_chromium.py [scenario ...]
(scenarios: single two tabclose sigkill refuse stopstart codecs readme; default all).
"""

import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium, find_chromium  # noqa: E402
from util import (SKIP, SOURCE_ROOT, Pipeline, TestFailure, artifact_path, check,  # noqa: E402
                  free_port, http_get, log, require_element, run_main, test_env, wait_for,
                  wait_http)

RECORDER = os.path.join(SOURCE_ROOT, "examples", "record-server.py")
PAGE = "/publish?width=640&height=480"
PUBLISH_S = 5.0
DURATION_TOLERANCE_S = 0.5
KILL_LOSS_S = 1.0   # a SIGKILL may lose at most about this much of what was published


class Recorder:
    """examples/record-server.py as a subprocess on a free port, recording into a temp dir."""

    def __init__(self, name, props=()):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.dir = tempfile.mkdtemp(prefix=f"rtckit-rec-{name}-")
        self.log_path = artifact_path(f"ingest-{name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log")
        argv = ["/usr/bin/python3", RECORDER, "--address", f"127.0.0.1:{self.port}", "--dir", self.dir,
                "--ice-local-addresses", "127.0.0.1", *props]
        self._log = open(self.log_path, "wb")
        self._log.write(("$ " + " ".join(shlex.quote(a) for a in argv) + "\n").encode())
        self._log.flush()
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=test_env(), start_new_session=True)
        log(f"recorder pid {self.proc.pid} on {self.base}, files in {self.dir} (log {self.log_path})")
        try:
            wait_http(self.base + "/publish", 20)
        except Exception:
            self.kill()
            raise TestFailure(f"recorder did not serve /publish:\n{self.tail()}")

    def alive(self):
        return self.proc.poll() is None

    def text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def tail(self, n=40):
        return "\n".join(self.text().splitlines()[-n:])

    def files(self, publisher_id=None):
        return sorted(glob.glob(os.path.join(self.dir, f"{publisher_id or ''}*.mkv")))

    def finalised(self, path):
        return f"finalised {path} " in self.text()

    def interrupt(self, timeout=20):
        """SIGINT; returns the exit code."""
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TestFailure(f"recorder ignored SIGINT for {timeout} s:\n{self.tail()}")

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)

    def close(self, keep_files=False):
        self.kill()
        self._log.close()
        if not keep_files:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.close(keep_files=exc_type is not None)
        if exc_type is not None:
            log(f"recordings kept in {self.dir}")


class Diag:
    def __init__(self, rec, browser):
        self.rec, self.browser, self.tabs = rec, browser, []

    def __call__(self):
        out = [f"load average {os.getloadavg()} on {os.cpu_count()} cpus"]
        for name, tab in self.tabs:
            try:
                out.append(f"[{name}] {page_state(tab)} stats={tab.eval('rtckitPublish.stats()')}")
            except Exception as e:
                out.append(f"[{name}] (unreadable: {e!r})")
        for f in self.rec.files():
            out.append(f"file {f}: {os.path.getsize(f)} bytes")
        try:
            out.append(f"/stats: {http_get(self.rec.base + '/stats')[1].decode(errors='replace')}")
        except Exception as e:
            out.append(f"/stats: unreadable ({e!r})")
        for line in self.browser.console_log()[-15:]:
            out.append(f"console: {line}")
        out.append(f"recorder alive={self.rec.alive()}, log {self.rec.log_path}, last lines:")
        out.append(self.rec.tail(30))
        return "\n".join(out)


def page_state(tab):
    return tab.eval("({state: rtckitPublish.state, error: rtckitPublish.error, peerId: rtckitPublish.peerId,"
                    " sessionId: rtckitPublish.sessionId, since: rtckitPublish.since})")


def open_publisher(browser, rec, diag, name, query=""):
    tab = browser.open(rec.base + PAGE + query)
    diag.tabs.append((name, tab))
    return tab


def wait_publishing(tab, rec, diag, name, timeout=30, exclude=()):
    """Until the page publishes, video frames go out and the recorder made this peer's file.
    Returns (peer id, file path, wall-clock time the page's connection came up)."""
    st = wait_for(lambda: (lambda s: s if s["state"] == "publishing" and s["since"] else None)(page_state(tab)),
                  timeout, f"{name} publishing", diag=diag)
    t0 = st["since"] / 1000.0  # Date.now() in the page: the same clock as time.time() here
    peer = st["peerId"]
    wait_for(lambda: ((tab.eval("rtckitPublish.stats()").get("video") or {}).get("framesEncoded") or 0) > 0,
             10, f"{name} encoding video", diag=diag)
    path = wait_for(lambda: ([f for f in rec.files(peer) if f not in exclude] or [None])[0], 10,
                    f"a recording for {name} ({peer})", diag=diag)
    log(f"{name}: publishing as {peer} -> {os.path.basename(path)}")
    return peer, path, t0


def discover(path):
    """gst-discoverer-1.0 (GstPbutils' discoverer when the CLI is not installed): returns
    (duration s, video codecs, audio codecs, text)."""
    if shutil.which("gst-discoverer-1.0"):
        r = subprocess.run(["gst-discoverer-1.0", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60, env=test_env())
        text = r.stdout.decode(errors="replace")
        if r.returncode != 0 or "error" in text.lower():
            raise TestFailure(f"gst-discoverer-1.0 {path} failed (exit {r.returncode}):\n{text}")
        m = re.search(r"Duration: (\d+):(\d+):([\d.]+)", text)
        dur = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)) if m else None
        video = re.findall(r"video #\d+: (.*)", text)
        audio = re.findall(r"audio #\d+: (.*)", text)
        return dur, video, audio, text
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstPbutils", "1.0")
    from gi.repository import Gst, GstPbutils
    Gst.init(None)
    info = GstPbutils.Discoverer.new(30 * Gst.SECOND).discover_uri(Gst.filename_to_uri(path))
    video = [GstPbutils.pb_utils_get_codec_description(s.get_caps()) for s in info.get_video_streams()]
    audio = [GstPbutils.pb_utils_get_codec_description(s.get_caps()) for s in info.get_audio_streams()]
    return info.get_duration() / 1e9, video, audio, f"(GstPbutils) result {info.get_result()}"


def decoded_span(path, timeout=60):
    """Decode the whole file to fakesinks. Returns ({'video': (first, last), 'audio': ...} in
    seconds of stream time, error message or None)."""
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    p = Gst.parse_launch(f'filesrc location="{path}" ! decodebin name=d')
    spans = {}

    def on_pad(_, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        kind = caps.get_structure(0).get_name().split("/")[0]
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        p.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

        def probe(_pad, info):
            b = info.get_buffer()
            if b.pts != Gst.CLOCK_TIME_NONE:
                end = b.pts + (b.duration if b.duration != Gst.CLOCK_TIME_NONE else 0)
                lo, hi = spans.get(kind, (b.pts, end))
                spans[kind] = (min(lo, b.pts), max(hi, end))
            return Gst.PadProbeReturn.OK
        sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)

    p.get_by_name("d").connect("pad-added", on_pad)
    p.set_state(Gst.State.PLAYING)
    msg = p.get_bus().timed_pop_filtered(timeout * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    err = None
    if msg is None:
        err = f"no EOS within {timeout} s"
    elif msg.type == Gst.MessageType.ERROR:
        e, dbg = msg.parse_error()
        err = f"{e.message} ({dbg})"
    p.set_state(Gst.State.NULL)
    return {k: (lo / 1e9, hi / 1e9) for k, (lo, hi) in spans.items()}, err


def check_complete(path, published_s, name, diag):
    """A finalised recording: one video + one audio track, duration ~ published_s, decodes fully."""
    dur, video, audio, text = discover(path)
    spans, err = decoded_span(path)
    log(f"  {name}: {os.path.basename(path)} {os.path.getsize(path)} bytes, discoverer duration {dur} s, "
        f"video {video}, audio {audio}; decoded {spans}; published {published_s:.2f} s")
    check(len(video) == 1 and len(audio) == 1, f"{name}: one video and one audio track (got video {video}, "
          f"audio {audio})\n{text}", diag)
    check(dur is not None and abs(dur - published_s) <= DURATION_TOLERANCE_S,
          f"{name}: duration {dur} s within {DURATION_TOLERANCE_S} s of the {published_s:.2f} s published", diag)
    check(err is None, f"{name}: decodes to the end without error (got {err})", diag)
    for kind in ("video", "audio"):
        lo, hi = spans.get(kind, (0, 0))
        check(hi - lo >= published_s - DURATION_TOLERANCE_S - 0.2,
              f"{name}: decoded {kind} spans {hi - lo:.2f} s of {published_s:.2f} s published", diag)
    return dur


def publish_for(tab, t0, seconds):
    left = t0 + seconds - time.time()
    if left > 0:
        time.sleep(left)


def close_tab(browser, tab, diag, name):
    """Close the tab (pagehide ends the session, the socket closes). Returns the close time."""
    diag.tabs = [(n, t) for n, t in diag.tabs if t is not tab]
    t = time.time()
    tab.close()
    return t


# ---- scenarios ----------------------------------------------------------------------------------

def single(browser):
    log("=== single: one publisher for 5 s")
    with Recorder("single") as rec:
        diag = Diag(rec, browser)
        tab = open_publisher(browser, rec, diag, "pub")
        peer, path, t0 = wait_publishing(tab, rec, diag, "pub")
        publish_for(tab, t0, PUBLISH_S)
        t1 = close_tab(browser, tab, diag, "pub")
        wait_for(lambda: rec.finalised(path), 10, f"{path} finalised", diag=diag)
        dur = check_complete(path, t1 - t0, "pub", diag)
        check(abs(dur - PUBLISH_S) <= DURATION_TOLERANCE_S, f"lasts {PUBLISH_S} +/- {DURATION_TOLERANCE_S} s "
              f"(got {dur} s)", diag)
        check(len(rec.files()) == 1, f"exactly one file ({rec.files()})", diag)
        check(rec.alive(), "recorder still running", diag)
        rc = rec.interrupt()
        check(rc == 0, f"recorder exits 0 on SIGINT (got {rc})", diag)


def two(browser):
    log("=== two: two publishers at once")
    with Recorder("two") as rec:
        diag = Diag(rec, browser)
        tabs = [open_publisher(browser, rec, diag, f"pub{i}") for i in range(2)]
        pubs = [wait_publishing(t, rec, diag, f"pub{i}") for i, t in enumerate(tabs)]
        check(pubs[0][0] != pubs[1][0] and pubs[0][1] != pubs[1][1], "two publishers, two files", diag)
        ends = []
        for i, (tab, (peer, path, t0)) in enumerate(zip(tabs, pubs)):
            publish_for(tab, t0, PUBLISH_S)
            ends.append(close_tab(browser, tab, diag, f"pub{i}"))
        for i, (peer, path, t0) in enumerate(pubs):
            wait_for(lambda: rec.finalised(path), 10, f"{path} finalised", diag=diag)
            check_complete(path, ends[i] - t0, f"pub{i}", diag)
        check(len(rec.files()) == 2, f"exactly two files ({rec.files()})", diag)
        rc = rec.interrupt()
        check(rc == 0, f"recorder exits 0 on SIGINT (got {rc})", diag)


def tabclose(browser):
    log("=== tabclose: a publisher leaves mid-stream, the next one is recorded, SIGINT finalises")
    with Recorder("tabclose") as rec:
        diag = Diag(rec, browser)
        a = open_publisher(browser, rec, diag, "a")
        _, path_a, t0 = wait_publishing(a, rec, diag, "a")
        publish_for(a, t0, 3.0)
        t1 = close_tab(browser, a, diag, "a")
        wait_for(lambda: rec.finalised(path_a), 10, f"{path_a} finalised", diag=diag)
        check(rec.alive(), "recorder still running after a publisher left", diag)
        check_complete(path_a, t1 - t0, "a", diag)

        b = open_publisher(browser, rec, diag, "b")
        _, path_b, t0b = wait_publishing(b, rec, diag, "b")
        check(path_b != path_a, "the next publisher gets a new file", diag)
        sizes = []
        for _ in range(3):
            time.sleep(1)
            sizes.append(os.path.getsize(path_b))
        log(f"  b: file grows {sizes}")
        check(sizes[0] < sizes[1] < sizes[2], f"the new file grows ({sizes})", diag)
        publish_for(b, t0b, 4.0)
        t_int = time.time()
        rc = rec.interrupt()
        log(f"  SIGINT: recorder exit {rc} after {time.time() - t_int:.2f} s")
        check(rc == 0, f"recorder exits 0 on SIGINT (got {rc})", diag)
        check(rec.finalised(path_b), f"{path_b} finalised on SIGINT", diag)
        check_complete(path_b, t_int - t0b, "b", diag)
        close_tab(browser, b, diag, "b")


def sigkill(browser):
    log("=== sigkill: kill -9 the recorder mid-recording")
    with Recorder("sigkill") as rec:
        diag = Diag(rec, browser)
        tab = open_publisher(browser, rec, diag, "pub")
        _, path, t0 = wait_publishing(tab, rec, diag, "pub")
        publish_for(tab, t0, 4.0)
        t_kill = time.time()
        rec.kill()
        published = t_kill - t0
        close_tab(browser, tab, diag, "pub")
        dur, video, audio, text = discover(path)
        spans, err = decoded_span(path)
        log(f"  {os.path.basename(path)}: {os.path.getsize(path)} bytes after SIGKILL at {published:.2f} s; "
            f"discoverer video {video} audio {audio}; decoded {spans}, error {err}")
        check(len(video) == 1 and len(audio) == 1, f"killed file: one video and one audio track\n{text}", diag)
        check(err is None, f"killed file decodes without error (got {err})", diag)
        for kind in ("video", "audio"):
            lo, hi = spans.get(kind, (0, 0))
            log(f"  {kind}: decodable up to {hi:.2f} s; published {published:.2f} s before the kill, "
                f"lost {published - hi:.2f} s")
            check(hi >= published - KILL_LOSS_S,
                  f"killed file: {kind} decodes up to {hi:.2f} s, within {KILL_LOSS_S} s of the "
                  f"{published:.2f} s published before the kill", diag)


def refuse(browser):
    log("=== refuse: no common video codec (element vp9 only, page h264 only)")
    with Recorder("refuse", props=["video-codecs=vp9"]) as rec:
        diag = Diag(rec, browser)
        tab = open_publisher(browser, rec, diag, "pub", "&codec=h264")
        st = wait_for(lambda: (lambda s: s if s["state"] == "error" and s["error"] else None)(page_state(tab)),
                      20, "the page to show an error", diag=diag)
        time.sleep(1.5)  # late replies (e.g. to candidates trickled before the refusal) must not hide it
        st = page_state(tab)
        banner = tab.eval("document.getElementById('error').hidden ? '' : document.getElementById('error').textContent")
        log(f"  page: state {st['state']}, error {st['error']!r}, banner {banner!r}")
        check(st["state"] == "error", f"page state error (got {st['state']})", diag)
        check("codec" in banner.lower(), f"the codec error is shown on the page (banner {banner!r})", diag)
        files = [f for f in rec.files() if os.path.getsize(f) > 0]
        check(not files, f"no recording for a refused publisher ({files})", diag)
        check(rec.alive(), "recorder still running after the refusal", diag)
        close_tab(browser, tab, diag, "pub")


def stopstart(browser):
    log("=== stopstart: the page's Stop button ends the session and stops the tracks, Start publishes again")
    with Recorder("stopstart") as rec:
        diag = Diag(rec, browser)
        tab = open_publisher(browser, rec, diag, "pub")
        peer, path1, t0 = wait_publishing(tab, rec, diag, "pub")
        publish_for(tab, t0, 3.0)
        t1 = time.time()
        tab.exec("document.getElementById('toggle').click(); return 1;")
        st = page_state(tab)
        live = tab.eval("rtckitPublish.stream ? rtckitPublish.stream.getTracks().filter(t => t.readyState === 'live').length : 0")
        log(f"  after Stop: state {st['state']}, live tracks {live}")
        check(st["state"] == "stopped" and live == 0, f"Stop: state stopped, no live track (got {st}, {live})", diag)
        wait_for(lambda: rec.finalised(path1), 10, f"{path1} finalised after Stop", diag=diag)
        check_complete(path1, t1 - t0, "first", diag)
        tab.exec("document.getElementById('toggle').click(); return 1;")
        _, path2, t2 = wait_publishing(tab, rec, diag, "pub again", exclude=(path1,))
        publish_for(tab, t2, 3.0)
        t3 = close_tab(browser, tab, diag, "pub")
        wait_for(lambda: rec.finalised(path2), 10, f"{path2} finalised", diag=diag)
        check_complete(path2, t3 - t2, "second", diag)


def codecs(browser):
    log("=== codecs: pages forced to VP8 and VP9 (?codec=) are recorded as they were sent")
    with Recorder("codecs") as rec:
        diag = Diag(rec, browser)
        tabs = {c: open_publisher(browser, rec, diag, c, f"&codec={c}") for c in ("vp8", "vp9")}
        pubs = {c: wait_publishing(t, rec, diag, c) for c, t in tabs.items()}
        for c, tab in tabs.items():
            publish_for(tab, pubs[c][2], 3.0)
            sent = (tab.eval("rtckitPublish.stats()").get("video") or {}).get("codec")
            t1 = close_tab(browser, tab, diag, c)
            path = pubs[c][1]
            wait_for(lambda: rec.finalised(path), 10, f"{path} finalised", diag=diag)
            check_complete(path, t1 - pubs[c][2], c, diag)
            video = discover(path)[1]
            check(str(sent).lower() == f"video/{c}", f"{c}: the page sent {c} (stats codec {sent})", diag)
            check(c in video[0].lower().replace(" ", ""), f"{c}: recorded as {c} (got {video})", diag)


README_RECORDING = "# one publisher's VP8 or H.264 video and Opus audio into a Matroska file, untouched"


def readme_line(marker):
    """The command right under @marker in README.md, its continuation lines joined."""
    with open(os.path.join(SOURCE_ROOT, "README.md")) as f:
        lines = f.read().splitlines()
    i = next(n for n, line in enumerate(lines) if line.strip() == marker) + 1
    out = lines[i].rstrip()
    while out.endswith("\\"):
        i += 1
        out = out[:-1].rstrip() + " " + lines[i].strip()
    return out


def readme(browser):
    log("=== readme: the README's recording line, as written, records a browser's camera and microphone")
    line = readme_line(README_RECORDING)
    prefix = "gst-launch-1.0 -e rtcingestsrc name=src "
    check(line.startswith(prefix) and "location=out.mkv" in line, f"the README's line changed: {line}")
    port = free_port()
    out = artifact_path("readme-recording.mkv")
    if os.path.exists(out):
        os.unlink(out)
    # Only where it listens and the file's path differ from the README (Pipeline runs
    # gst-launch-1.0 -e itself).
    args = ("rtcingestsrc name=src address=127.0.0.1:" + str(port) + " "
            + line[len(prefix):].replace("location=out.mkv", "location=" + out))
    pipe = Pipeline(args, name="readme-recording")
    try:
        wait_http(f"http://127.0.0.1:{port}/publish", 20)
        tab = browser.open(f"http://127.0.0.1:{port}/publish")
        wait_for(lambda: page_state(tab)["state"] == "publishing", 30, "the page publishes",
                 diag=lambda: f"{page_state(tab)}\n{pipe.tail(20)}")
        time.sleep(4)
        pipe.proc.send_signal(signal.SIGINT)  # -e: EOS first, so the file is finalised
        try:
            pipe.proc.wait(15)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"the README's line did not end 15 s after SIGINT:\n{pipe.tail(20)}")
        tab.close()
    finally:
        pipe.stop()
    dur, video, audio, text = discover(out)
    log(f"  readme: {os.path.getsize(out)} bytes, {dur} s, video {video}, audio {audio}")
    check(len(video) == 1 and len(audio) == 1, f"one video and one audio track: {video} {audio}\n{text}")
    check(dur is not None and dur >= 3, f"the recording lasts {dur} s of ~4 s published")


SCENARIOS = {"single": single, "two": two, "tabclose": tabclose, "sigkill": sigkill, "refuse": refuse,
             "stopstart": stopstart, "codecs": codecs, "readme": readme}


def main():
    if not find_chromium():
        log("chromium is absent: skipping")
        return SKIP
    require_element("rtcingestsrc")
    names = sys.argv[1:] or list(SCENARIOS)
    with Chromium() as browser:
        for n in names:
            SCENARIOS[n](browser)


if __name__ == "__main__":
    run_main(main)
