"""rtcusermediasrc with no devices, to headless Chromium through rtcbroadcastsink.

1. nodevice: every device provider ranked out (GST_PLUGIN_FEATURE_RANK), so the machine's own
   cameras and microphones never count: the default fails with an error naming the camera.
2. fallback: `fallback=test` plays the test sources with the constrained caps; the bus says so
   (rtckit-usermedia-fallback) and the viewer page decodes frames at the constrained 640x360,
   with audio flowing, both pads taken by rtcbroadcastsink as the README shows.

Run: /usr/bin/python3 tests/e2e/test_usermedia_chromium.py [scenario ...]
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium, find_chromium  # noqa: E402
from util import (SKIP, Diag, Pipeline, check, free_port, log, measure, require_element,  # noqa: E402
                  run_main, test_env, wait_for, wait_http, wait_playing)

WIDTH, HEIGHT = 640, 360


def no_devices_env():
    """GST_PLUGIN_FEATURE_RANK with every device provider at rank none: GstDeviceMonitor skips them."""
    out = subprocess.run(["gst-inspect-1.0"], env=test_env(), capture_output=True, text=True).stdout
    names = [line.split(":")[1].split("(")[0].strip() for line in out.splitlines()
             if "(GstDeviceProviderFactory)" in line]
    log(f"ranking out device providers: {names}")
    return {"GST_PLUGIN_FEATURE_RANK": ",".join(f"{n}:NONE" for n in names)}


def nodevice(_browser):
    log("=== nodevice: the default is an error naming what is missing")
    env = test_env()
    env.update(no_devices_env())
    r = subprocess.run(["gst-launch-1.0", "rtcusermediasrc", "audio=false", "!", "fakesink"],
                       env=env, capture_output=True, text=True, timeout=30)
    log(f"  exit {r.returncode}: {(r.stdout + r.stderr).strip().splitlines()[:2]}")
    check(r.returncode != 0, "gst-launch fails without a camera")
    check("No camera found" in r.stdout + r.stderr, "the error names the camera")


def fallback(browser):
    log("=== fallback: test sources to Chromium at the constrained size")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    line = (f"-m rtcusermediasrc fallback=test name=m "
            f"video-constraints=\"width={WIDTH},height={HEIGHT},frame-rate=30\" "
            f"audio-constraints=\"channel-count=1,sample-rate=48000\" "
            f"m.video ! queue ! rtcbroadcastsink name=s address=127.0.0.1:{port} "
            f"ice-local-addresses=127.0.0.1 m.audio ! queue ! s.")
    with Pipeline(line, name="usermedia-chromium", env=no_devices_env()) as pipe:
        diag = Diag(pipe, base)
        diag.browsers.append(browser)
        wait_http(base + "/", 20)
        tab = browser.open(base + "/")
        diag.tabs.append(("viewer", tab))
        try:
            t0 = time.monotonic()
            wait_playing(diag.tabs, 30, diag)
            log(f"  playing {time.monotonic() - t0:.1f} s after the page load")
            r = measure(diag.tabs, 4)["viewer"]
            v = r["last"].get("video") or {}
            log(f"  {r['fps']:.1f} fps, {v.get('frameWidth')}x{v.get('frameHeight')}, "
                f"audio +{r['audio_packets']} packets")
            check((v.get("frameWidth"), v.get("frameHeight")) == (WIDTH, HEIGHT),
                  f"decoded at {WIDTH}x{HEIGHT} (got {v.get('frameWidth')}x{v.get('frameHeight')})", diag)
            check(r["fps"] >= 20, f"decodes >= 20 fps (got {r['fps']:.1f})", diag)
            check(r["audio_packets"] > 0, "audio packetsReceived grows", diag)
        finally:
            tab.close()
        log_text = open(pipe.log_path, errors="replace").read()
        check("rtckit-usermedia-fallback" in log_text and "kind=(string)video" in log_text,
              "the bus says the test source stands in", diag)
        check(pipe.alive(), "pipeline still running", diag)


SCENARIOS = {"nodevice": nodevice, "fallback": fallback}


def main():
    require_element("rtcusermediasrc")
    names = sys.argv[1:] or list(SCENARIOS)
    if "fallback" in names and not find_chromium():
        log("chromium is absent: skipping")
        return SKIP
    with Chromium() as browser:
        for n in names:
            SCENARIOS[n](browser)


if __name__ == "__main__":
    run_main(main)
