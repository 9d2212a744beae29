"""Scenario 4: Firefox ESR and Chromium watch the same rtcbroadcastsink stream (raw input, default
video-codecs "h264,vp8").

Firefox ESR here has no H.264 (its OpenH264 plugin is a download), so the sink must fall back to
VP8 for that viewer while Chromium stays on H.264: two encoders run, one per codec, each exactly
once. Both viewers must decode. Thresholds: Chromium >= 25 fps as in the Chromium test; Firefox
>= 20 fps, because on this 2-core machine the pipeline runs two 720p encoders (x264 and VP8) while
two browsers decode 720p, and Firefox's headless software path paints with fewer spare cycles; a
real stall still shows as far below 20.

Run: /usr/bin/python3 tests/e2e/test_broadcast_firefox.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium, Firefox, find_chromium, find_firefox  # noqa: E402
from util import (SKIP, Diag, Pipeline, check, free_port, log, measure, require_element,  # noqa: E402
                  run_main, server_stats, wait_http, wait_playing)

RAW_VIDEO = "videotestsrc is-live=true ! video/x-raw,width=1280,height=720,framerate=30/1"
MIN_FPS = {"chromium": 25.0, "firefox": 20.0}
CODEC = {"chromium": "H264", "firefox": "VP8"}


def main():
    if not find_chromium() or not find_firefox():
        log("a browser is absent: skipping")
        return SKIP
    require_element("rtcbroadcastsink")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    line = (f"rtcbroadcastsink name=s address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 "
            f"{RAW_VIDEO} ! s.video_0 audiotestsrc is-live=true ! s.audio_0")
    with Pipeline(line, name="broadcast-firefox") as pipe, Chromium() as chromium, Firefox() as firefox:
        diag = Diag(pipe, base)
        diag.browsers += [chromium, firefox]
        wait_http(base + "/", 20)
        tabs = [("firefox", firefox.open(base + "/")), ("chromium", chromium.open(base + "/"))]
        diag.tabs = list(tabs)
        t0 = time.monotonic()
        wait_playing(tabs, 40, diag)
        log(f"both viewers playing after {time.monotonic() - t0:.1f} s")
        result = measure(tabs, 5)
        for name, _ in tabs:
            r = result[name]
            v = r["last"].get("video") or {}
            log(f"  {name}: {r['fps']:.1f} fps over 5 s, {v.get('frameWidth')}x{v.get('frameHeight')}, "
                f"codec {v.get('codec')}, freezes {v.get('freezeCount')}, dropped {v.get('framesDropped')}, "
                f"lost {v.get('packetsLost')}, audio +{r['audio_packets']} packets")
            codec = (v.get("codec") or "").split("/")[-1].upper()
            check(codec == CODEC[name], f"{name}: codec {CODEC[name]} (got {v.get('codec')})", diag)
            check(r["fps"] >= MIN_FPS[name], f"{name}: >= {MIN_FPS[name]} fps (got {r['fps']:.1f})", diag)
            check((v.get("frameWidth"), v.get("frameHeight")) == (1280, 720),
                  f"{name}: 1280x720 (got {v.get('frameWidth')}x{v.get('frameHeight')})", diag)
            check(r["audio_packets"] > 0, f"{name}: audio packets flowing", diag)

        st = server_stats(base)
        viewers = st.get("viewers", [])
        codecs = sorted(str(v.get("video_codec", "")).lower() for v in viewers)
        log(f"  /stats: viewers {[(v.get('id'), v.get('state'), v.get('video_codec')) for v in viewers]}, "
            f"encoders {st.get('encoders')}")
        check(codecs == ["h264", "vp8"], f"/stats: one h264 and one vp8 viewer (got {codecs})", diag)
        encs = [str(e.get("codec", "")).lower() for e in st.get("encoders", [])]
        check(encs.count("h264") == 1 and encs.count("vp8") == 1,
              f"/stats: exactly one h264 and one vp8 encoder (got {st.get('encoders')})", diag)
        check(pipe.alive(), "pipeline still running", diag)


if __name__ == "__main__":
    run_main(main)
