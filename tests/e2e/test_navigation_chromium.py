#!/usr/bin/python3
"""rtcbroadcastsink navigation=true: a click in headless Chromium's viewer page reaches
navigationtest upstream of the sink, in the video's own coordinates (loopback only).

The pipeline runs in this process: videotestsrc ! navigationtest ! rtcbroadcastsink; a probe on
navigationtest's src pad sees the upstream navigation events. Selenium clicks the middle of the
<video> and presses a key; the events must be a button press and release at the middle of the
320x240 picture, and a key press.
Run: /usr/bin/python3 tests/e2e/test_navigation_chromium.py
"""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium, find_chromium  # noqa: E402
from util import (SKIP, check, free_port, log, require_element, run_main, test_env,  # noqa: E402
                  viewer_state, wait_for, wait_port)

os.environ.update(test_env())

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import Gst, GstVideo  # noqa: E402


def main():
    if not find_chromium():
        log("no chromium binary")
        return SKIP
    Gst.init(None)
    require_element("rtcbroadcastsink")
    require_element("navigationtest")
    port = free_port()
    pipe = Gst.parse_launch(
        "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
        "navigationtest name=nav ! videoconvert ! "
        f"rtcbroadcastsink name=s navigation=true address=127.0.0.1:{port} "
        "ice-local-addresses=127.0.0.1 video-codecs=vp8")
    lock = threading.Lock()
    events = []

    def on_upstream(_pad, info):
        ev = info.get_event()
        if ev.type == Gst.EventType.NAVIGATION:
            kind = GstVideo.Navigation.event_get_type(ev)
            with lock:
                if kind in (GstVideo.NavigationEventType.MOUSE_BUTTON_PRESS,
                            GstVideo.NavigationEventType.MOUSE_BUTTON_RELEASE):
                    ok, button, x, y = GstVideo.Navigation.event_parse_mouse_button_event(ev)
                    events.append((kind.value_nick, button, round(x), round(y)))
                elif kind == GstVideo.NavigationEventType.KEY_PRESS:
                    ok, key = GstVideo.Navigation.event_parse_key_event(ev)
                    events.append((kind.value_nick, key))
        return Gst.PadProbeReturn.OK

    nav_src = pipe.get_by_name("nav").get_static_pad("src")
    nav_src.add_probe(Gst.PadProbeType.EVENT_UPSTREAM, on_upstream)
    pipe.set_state(Gst.State.PLAYING)
    wait_port(port, 10)
    try:
        with Chromium() as chromium:
            tab = chromium.open(f"http://127.0.0.1:{port}/")
            wait_for(lambda: viewer_state(tab)["state"] == "playing", 30, "the viewer plays",
                     diag=lambda: f"{viewer_state(tab)} {chromium.console_log()[-5:]}")
            wait_for(lambda: tab.eval("rtckit.navigation && rtckit.navigation.channelState") == "open",
                     15, "the control channel opens",
                     diag=lambda: tab.eval("JSON.stringify(rtckit.navigation)"))
            from selenium.webdriver.common.action_chains import ActionChains
            from selenium.webdriver.common.by import By
            # Click once the picture has its size: the page maps the click into the picture's
            # pixels by the video element's box, which changes when the first frames arrive.
            wait_for(lambda: tab.eval("document.getElementById('video').videoWidth") == 320, 10,
                     "the picture is 320 wide")
            video = chromium.driver.find_element(By.ID, "video")
            ActionChains(chromium.driver).move_to_element(video).click().send_keys("a").perform()

            def seen():
                with lock:
                    return list(events)
            wait_for(lambda: any(e[0] == "key-press" for e in seen())
                     and any(e[0] == "mouse-button-release" for e in seen()), 15,
                     "the click and the key reach navigationtest", diag=lambda: f"events {seen()}")
            got = seen()
            log(f"navigation events upstream of the sink: {got}")
            press = next(e for e in got if e[0] == "mouse-button-press")
            check(press[1] == 1, f"button {press[1]}")
            check(abs(press[2] - 160) <= 4 and abs(press[3] - 120) <= 4,
                  f"the click at the middle of the picture came at {press[2:]}, not (160, 120)")
            check(("key-press", "a") in got, f"no key press 'a' in {got}")
            # The sink answers each request on the channel; the answers may trail the events.
            wait_for(lambda: tab.eval("rtckit.navigation.responses") >= 2, 5,
                     "the page gets a control response for the click and the key",
                     diag=lambda: f"responses {tab.eval('rtckit.navigation.responses')}")
    finally:
        pipe.set_state(Gst.State.NULL)


if __name__ == "__main__":
    run_main(main)
