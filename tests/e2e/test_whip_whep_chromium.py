#!/usr/bin/python3
"""WHIP and WHEP with clients rtckit did not write (issue 6), all on loopback.

The page is tests/e2e/pages/whip-whep.html with the npm package "whip-whep" (medooze's WHIPClient
and WHEPClient, installed by tools/dev.sh test into <build>/test-deps), served from its own origin
so the requests to rtckit are cross-origin (CORS preflights included).

1. whep: rtcbroadcastsink (live 640x480 test pattern + audio, bearer token required) and headless
   Chromium plays it through WHEPClient: video decodes at >= 20 fps with no freeze; /stats lists
   the viewer; WHEPClient.stop() (DELETE) frees it; a POST without the token gets 401.
2. whip: examples/record-server.py (rtcingestsrc) with a token; Chromium publishes its fake camera
   and microphone through WHIPClient for 5 s, then stop() (DELETE): the recording is finalised
   with one video and one audio track lasting 5 s +/- 0.5 s.
3. pipeline: rtcingestsrc `signaller=whep signaller::uri=http://.../whep` plays a running
   rtcbroadcastsink's /whep (pipeline to pipeline over WHEP): 60 decoded frames arrive.

Run: /usr/bin/python3 tests/e2e/test_whip_whep_chromium.py [whep whip pipeline]
"""

import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium, find_chromium  # noqa: E402
from util import (BUILD_ROOT, SKIP, Pipeline, StaticPages, TestFailure, check, free_port,  # noqa: E402
                  http_json, log, require_element, run_main, test_env, wait_for, wait_http)
import test_ingest_chromium as ingest  # noqa: E402  (Recorder, discover)

HERE = os.path.dirname(os.path.abspath(__file__))
WHIP_WHEP_DIR = os.environ.get("RTCKIT_WHIP_WHEP_DIR") or os.path.join(
    BUILD_ROOT, "test-deps", "node_modules", "whip-whep")
TOKEN = "e2e-secret"
PUBLISH_S = 5.0


class PageServer(StaticPages):
    """The client page and the npm package's modules (util.StaticPages)."""

    def __init__(self):
        for f in ("whip.js", "whep.js"):
            if not os.path.isfile(os.path.join(WHIP_WHEP_DIR, f)):
                raise TestFailure(f"npm package whip-whep not found in {WHIP_WHEP_DIR}: "
                                  "tools/dev.sh test installs it")
        super().__init__(os.path.join(HERE, "pages", "whip-whep.html"),
                         {f: os.path.join(WHIP_WHEP_DIR, f) for f in ("whip.js", "whep.js")})

    def url(self, mode, target, token=TOKEN):
        return super().url(mode=mode, url=target, token=token)


def post_status(url, body, headers):
    req = urllib.request.Request(url, data=body.encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def page_state(tab):
    return tab.eval("({state: ww.state, error: ww.error, resource: ww.resource})")


def sink_pipeline(port, extra=""):
    return Pipeline(
        f"rtcbroadcastsink name=s address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 "
        f"signaller::auth-token={TOKEN} {extra} "
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=480,framerate=30/1 ! s.video_0 "
        "audiotestsrc is-live=true wave=ticks ! s.audio_0", name="sink")


def scenario_whep(browser, pages):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with sink_pipeline(port) as sink:
        wait_http(base + "/stats", 20)
        # Without the token: 401, and nothing was created.
        status = post_status(base + "/whep", "v=0\r\n", {"Content-Type": "application/sdp"})
        check(status == 401, f"POST /whep without the token answers 401 (got {status})")

        tab = browser.open(pages.url("whep", base + "/whep"))

        def diag():
            return (f"page {page_state(tab)} stats={tab.eval('ww.stats ? ww.stats() : null')}\n"
                    f"console: {browser.console_log()[-10:]}\n/stats: {http_json(base + '/stats')}\n"
                    f"{sink.tail(30)}")
        wait_for(lambda: page_state(tab)["state"] == "started" or page_state(tab)["state"] == "failed",
                 20, "WHEPClient.view() to finish", diag=diag)
        check(page_state(tab)["state"] == "started", "WHEPClient.view() succeeded", diag)
        check(page_state(tab)["resource"].startswith(base + "/whep/"),
              f"the resource URL is under {base}/whep/", diag)
        wait_for(lambda: ((tab.eval("ww.stats()") or {}).get("framesDecoded") or 0) > 10, 20,
                 "the first decoded frames", diag=diag)
        a = tab.eval("ww.stats()")
        t0 = time.monotonic()
        time.sleep(4)
        b = tab.eval("ww.stats()")
        fps = (b["framesDecoded"] - a["framesDecoded"]) / (time.monotonic() - t0)
        log(f"whep: {fps:.1f} fps decoded, {b}")
        check(fps >= 20, f"Chromium decodes >= 20 fps over WHEP (got {fps:.1f})", diag)
        check(b["freezeCount"] == 0, f"no freeze (freezeCount {b['freezeCount']})", diag)
        viewers = http_json(base + "/stats").get("viewers") or []
        check(len(viewers) == 1, f"/stats lists the WHEP viewer ({len(viewers)})", diag)

        tab.eval("ww.stop()")
        wait_for(lambda: not (http_json(base + "/stats").get("viewers") or []), 10,
                 "the viewer to be gone after DELETE", diag=diag)
        check(sink.alive(), "the sink runs on", diag)
        tab.close()


def scenario_whip(browser, pages):
    with ingest.Recorder("whip", props=[f"signaller::auth-token={TOKEN}"]) as rec:
        tab = browser.open(pages.url("whip", rec.base + "/whip"))

        def diag():
            return (f"page {page_state(tab)} stats={tab.eval('ww.stats ? ww.stats() : null')}\n"
                    f"console: {browser.console_log()[-10:]}\nfiles {rec.files()}\n{rec.tail(30)}")
        wait_for(lambda: page_state(tab)["state"] in ("started", "failed"), 20,
                 "WHIPClient.publish() to finish", diag=diag)
        check(page_state(tab)["state"] == "started", "WHIPClient.publish() succeeded", diag)
        wait_for(lambda: ((tab.eval("ww.stats()") or {}).get("framesEncoded") or 0) > 0, 10,
                 "Chromium encoding video", diag=diag)
        path = wait_for(lambda: (rec.files() or [None])[0], 15, "a recording file", diag=diag)
        time.sleep(PUBLISH_S)
        tab.eval("ww.stop()")
        wait_for(lambda: rec.finalised(path), 15, f"{path} finalised after DELETE", diag=diag)
        dur, video, audio, text = ingest.discover(path)
        log(f"whip: recorded {os.path.basename(path)}: {dur} s, video {video}, audio {audio}")
        check(len(video) == 1 and len(audio) == 1, f"one video and one audio track:\n{text}", diag)
        check(dur is not None and abs(dur - PUBLISH_S) <= 0.8,
              f"the recording lasts about {PUBLISH_S} s (got {dur})", diag)
        check(rec.alive(), "the recorder runs on", diag)
        tab.close()


def scenario_pipeline():
    os.environ.update(test_env())  # GST_PLUGIN_PATH when run by hand
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with sink_pipeline(port) as sink:
        wait_http(base + "/stats", 20)
        p = Gst.Pipeline.new("whep-player")
        src = Gst.parse_launch(
            f"rtcingestsrc signaller=whep signaller::uri={base}/whep ice-local-addresses=127.0.0.1 "
            f"signaller::auth-token={TOKEN}")
        p.add(src)
        frames = {"n": 0, "caps": None}

        def on_pad(el, pad):
            if not pad.get_name().startswith("video"):
                fs = Gst.ElementFactory.make("fakesink")
                p.add(fs)
                fs.sync_state_with_parent()
                pad.link(fs.get_static_pad("sink"))
                return
            dec = Gst.ElementFactory.make("decodebin")
            fs = Gst.ElementFactory.make("fakesink")
            fs.set_property("signal-handoffs", True)
            fs.connect("handoff", lambda *a: frames.__setitem__("n", frames["n"] + 1))
            p.add(dec)
            p.add(fs)
            dec.connect("pad-added", lambda d, dp: dp.link(fs.get_static_pad("sink")))
            dec.sync_state_with_parent()
            fs.sync_state_with_parent()
            frames["caps"] = pad.get_current_caps() and pad.get_current_caps().to_string()
            pad.link(dec.get_static_pad("sink"))
        src.connect("pad-added", on_pad)
        p.set_state(Gst.State.PLAYING)
        bus = p.get_bus()
        try:
            def errors():
                m = bus.pop_filtered(Gst.MessageType.ERROR)
                if m:
                    raise TestFailure(f"rtcingestsrc error: {m.parse_error()}\n{sink.tail(30)}")
                return frames["n"] >= 60
            wait_for(errors, 30, "60 decoded frames through WHEP",
                     diag=lambda: f"frames {frames}\n/stats {http_json(base + '/stats')}\n{sink.tail(30)}")
            log(f"pipeline: {frames['n']} frames decoded, pad caps {frames['caps']}")
            check(len(http_json(base + "/stats").get("viewers") or []) == 1, "the sink counts one viewer")
        finally:
            p.set_state(Gst.State.NULL)
        wait_for(lambda: not (http_json(base + "/stats").get("viewers") or []), 10,
                 "the WHEP session to be deleted when the receiving pipeline stops")


def main():
    require_element("rtcbroadcastsink")
    which = sys.argv[1:] or ["whep", "whip", "pipeline"]
    if "pipeline" in which:
        scenario_pipeline()
    browser_scenarios = [s for s in which if s in ("whep", "whip")]
    if not browser_scenarios:
        return 0
    if not find_chromium():
        log("chromium is not installed")
        return SKIP
    pages = PageServer()
    browser = Chromium().start()
    try:
        for s in browser_scenarios:
            log(f"--- {s}")
            {"whep": scenario_whep, "whip": scenario_whip}[s](browser, pages)
    finally:
        browser.quit()
        pages.close()
    return 0


if __name__ == "__main__":
    run_main(main)
