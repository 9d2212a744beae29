"""rtcbroadcastsink to headless Chromium viewers over loopback (one Chromium, several tabs).

1. raw input, default codecs: three tabs decode 1280x720 at >= 25 fps (framesDecoded delta over
   5 s), at most one freeze of <= 0.3 s per tab (see check_viewers), audio flowing, codec H264;
   closing one leaves two decoding and /stats at 2.
2. the same with pre-encoded H.264 input, and with video-codecs=vp8 (VP8 in the viewers).
3. one encoder per codec: /stats "encoders" has exactly one entry for the codec in use.
5. bad input on a real socket: malformed JSON and unknown session ids get error replies and the
   socket stays usable; max-viewers=1 shows an error in a second viewer, the first keeps playing.
Also: the viewer page reconnects by itself across a server restart on the same port.
(4, Firefox + Chromium together, is in test_broadcast_firefox.py.)

Run: /usr/bin/python3 tests/e2e/test_broadcast_chromium.py [scenario ...]
(scenarios: raw preencoded vp8 badinput reconnect; default all). Uses GST_PLUGIN_PATH from meson's test env,
or <source>/build/plugins when run by hand.
"""

import asyncio
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium, find_chromium  # noqa: E402
from util import (SKIP, Diag, Pipeline, check, free_port, log, measure, require_element,  # noqa: E402
                  run_main, server_stats, viewer_state, wait_for, wait_http, wait_playing)

RAW_VIDEO = "videotestsrc is-live=true ! video/x-raw,width=1280,height=720,framerate=30/1"
# speed-preset=superfast: x264's default "medium" preset alone takes ~2/3 of a core at 720p30 here,
# which left too little of the 2 cores for three decoding tabs; this scenario tests passthrough.
H264_VIDEO = (RAW_VIDEO + " ! x264enc tune=zerolatency speed-preset=superfast key-int-max=60"
              " ! video/x-h264,profile=constrained-baseline ! h264parse")
AUDIO = "audiotestsrc is-live=true"

MIN_FPS = 25.0


def launch(port, video, props=""):
    return (f"rtcbroadcastsink name=s address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 {props} "
            f"{video} ! s.video_0 {AUDIO} ! s.audio_0")


MAX_FREEZE_S = 0.3


def codec_name(mime):
    return (mime or "").split("/")[-1].upper()


def encoders_for(stats, codec):
    return [e for e in stats.get("encoders", []) if str(e.get("codec", "")).lower() == codec]


def check_viewers(result, names, codec, diag, check_size=True):
    for name in names:
        r = result[name]
        v = r["last"].get("video") or {}
        log(f"  {name}: {r['fps']:.1f} fps over the window, {v.get('frameWidth')}x{v.get('frameHeight')}, "
            f"codec {v.get('codec')}, freezes {v.get('freezeCount')}, dropped {v.get('framesDropped')}, "
            f"lost {v.get('packetsLost')}, nack {v.get('nackCount')}, pli {v.get('pliCount')}, "
            f"audio +{r['audio_packets']} packets")
        check(r["fps"] >= MIN_FPS, f"{name}: decodes >= {MIN_FPS} fps (got {r['fps']:.1f})", diag)
        if check_size:
            check((v.get("frameWidth"), v.get("frameHeight")) == (1280, 720),
                  f"{name}: 1280x720 (got {v.get('frameWidth')}x{v.get('frameHeight')})", diag)
        # At most one short freeze per viewer: on this 2-core machine one x264/libvpx 720p30
        # encoder and three 720p decoders in one Chromium share the cores with the harness, and
        # about 1 run in 5 showed a single ~200 ms stall in one tab (no loss, no NACK, the other
        # tabs smooth). Two freezes, or one longer than MAX_FREEZE_S, fail.
        freezes, frozen = v.get("freezeCount") or 0, v.get("totalFreezesDuration") or 0
        check(freezes <= 1 and frozen <= MAX_FREEZE_S,
              f"{name}: at most one freeze of <= {MAX_FREEZE_S} s (got {freezes}, {frozen:.3f} s)", diag)
        check(r["audio_packets"] > 0, f"{name}: audio packetsReceived grows", diag)
        check(codec_name(v.get("codec")) == codec.upper(), f"{name}: codec {codec} (got {v.get('codec')})", diag)


def three_viewers(browser, video, props, codec, name, encoder_codec=None):
    """Scenarios 1-3: three tabs, measure, close one, measure the other two, /stats."""
    log(f"=== {name}: {props or 'default codecs'}, expecting {codec}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with Pipeline(launch(port, video, props), name=f"broadcast-chromium-{name}") as pipe:
        diag = Diag(pipe, base)
        diag.browsers.append(browser)
        wait_http(base + "/", 20)
        tabs = []
        try:
            for i in range(3):  # open all three before waiting for any: they join together
                tabs.append((f"tab{i}", browser.open(base + "/")))
                diag.tabs.append(tabs[-1])
            t0 = time.monotonic()
            wait_playing(tabs, 30, diag)
            log(f"three viewers playing {time.monotonic() - t0:.1f} s after the last page load")
            result = measure(tabs, 5)
            check_viewers(result, [n for n, _ in tabs], codec, diag)

            st = server_stats(base)
            viewers = st.get("viewers", [])
            log(f"  /stats: {len(viewers)} viewers {[(v.get('id'), v.get('state'), v.get('video_codec')) for v in viewers]}"
                f", encoders {st.get('encoders')}")
            check(len(viewers) == 3, f"/stats shows 3 viewers (got {len(viewers)})", diag)
            for v in viewers:
                check(str(v.get("video_codec", "")).lower() == codec.lower(),
                      f"/stats viewer {v.get('id')} video_codec {codec} (got {v.get('video_codec')})", diag)
            if encoder_codec:
                encs = encoders_for(st, encoder_codec)
                check(len(encs) == 1, f"exactly one {encoder_codec} encoder for three viewers "
                      f"(got {st.get('encoders')})", diag)

            name_closed, closed = tabs.pop()
            diag.tabs.remove((name_closed, closed))
            closed.close()
            log(f"closed {name_closed}")
            result = measure(tabs, 3)
            check_viewers(result, [n for n, _ in tabs], codec, diag)
            n = wait_for(lambda: (lambda c: c if c == 2 else None)(len(server_stats(base).get("viewers", []))),
                         5, "/stats to show 2 viewers", diag=diag)
            log(f"  /stats shows {n} viewers after the close")
        finally:
            for _, tab in tabs:
                tab.close()
        check(pipe.alive(), "pipeline still running at the end", diag)


async def ws_exchange(url):
    """Scenario 5, raw socket part. Returns a list of (what, reply) for the log."""
    import websockets
    log_ = []
    async with websockets.connect(url, open_timeout=5) as ws:
        async def recv_type(types, timeout=5):
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {types} reply within {timeout} s")
                msg = json.loads(await asyncio.wait_for(ws.recv(), left))
                if msg.get("type") in types:
                    return msg

        welcome = await recv_type({"welcome"})
        log_.append(("welcome", welcome))
        check(bool(welcome.get("peerId")), "welcome carries a peerId")

        for what, raw in [("malformed JSON", "{not json"),
                          ("not an object", "[1, 2, 3]"),
                          ("unknown type", json.dumps({"type": "noSuchMessage"})),
                          ("startSession with an unknown peer", json.dumps(
                              {"type": "startSession", "peerId": str(uuid.uuid4())}))]:
            await ws.send(raw)
            err = await recv_type({"error"})
            log_.append((what, err))
            check(bool(err.get("details")), f"{what}: error reply with details (got {err})")
            # still usable: a list request is answered and shows our producer
            await ws.send(json.dumps({"type": "list"}))
            lst = await recv_type({"list"})
            check(len(lst.get("producers", [])) >= 1, f"after {what}: socket usable, list shows the producer ({lst})")
        # What gst-plugins-rs' server tolerates (a session that is over: the message crossed its
        # end on the wire) gets no reply here either: the next answer is the list.
        for what, raw in [("peer on an unknown session", json.dumps(
                              {"type": "peer", "sessionId": str(uuid.uuid4()),
                               "ice": {"candidate": "candidate:1 1 UDP 1 127.0.0.1 9 typ host", "sdpMLineIndex": 0}})),
                          ("endSession on an unknown session", json.dumps(
                              {"type": "endSession", "sessionId": str(uuid.uuid4())}))]:
            await ws.send(raw)
            await ws.send(json.dumps({"type": "list"}))
            reply = await recv_type({"list", "error"})
            log_.append((what, reply))
            check(reply.get("type") == "list", f"{what}: tolerated without an error (got {reply})")
    return log_


def bad_input(browser):
    log("=== badinput: raw socket errors, max-viewers=1")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with Pipeline(launch(port, RAW_VIDEO, "max-viewers=1"), name="broadcast-chromium-badinput") as pipe:
        diag = Diag(pipe, base)
        diag.browsers.append(browser)
        wait_http(base + "/", 20)
        try:
            exchanges = asyncio.run(ws_exchange(f"ws://127.0.0.1:{port}/ws"))
        except AssertionError as e:
            raise AssertionError(f"{e}\n{diag()}")
        for what, reply in exchanges:
            log(f"  {what}: {reply}")
        check(pipe.alive(), "pipeline survives the bad messages", diag)

        tabs = []
        try:
            tabs.append(("first", browser.open(base + "/")))
            diag.tabs = list(tabs)
            wait_playing(tabs, 30, diag)
            tabs.append(("second", browser.open(base + "/")))
            diag.tabs = list(tabs)
            second = tabs[1][1]
            err = wait_for(lambda: (lambda s: s if s["error"] and "max-viewers" in s["error"].lower() else None)(
                viewer_state(second)), 10, "the second viewer to show a max-viewers error", diag=diag)
            banner = second.eval("document.getElementById('error').hidden ? '' : document.getElementById('error').textContent")
            log(f"  second viewer: state {err['state']}, error {err['error']!r}, banner {banner!r}")
            check("max-viewers" in banner.lower(), f"error shown on the page (banner {banner!r})", diag)
            result = measure(tabs[:1], 3)
            check_viewers(result, ["first"], "H264", diag)
            st = server_stats(base)
            check(len(st.get("viewers", [])) == 1, f"/stats: one viewer with max-viewers=1 ({st.get('viewers')})", diag)
        finally:
            for _, tab in tabs:
                tab.close()


def reconnect(browser):
    """The viewer page recovers on its own: the pipeline stops (socket closes, state
    'connecting') and a new one on the same port is played again without a reload."""
    log("=== reconnect: the viewer page survives a server restart")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tab = None
    try:
        with Pipeline(launch(port, RAW_VIDEO), name="broadcast-chromium-reconnect-1") as pipe:
            diag = Diag(pipe, base)
            wait_http(base + "/", 20)
            tab = browser.open(base + "/")
            diag.tabs = [("viewer", tab)]
            wait_playing(diag.tabs, 30, diag)
            first = viewer_state(tab)["sessionId"]
        st = wait_for(lambda: (lambda s: s if s["state"] == "connecting" else None)(viewer_state(tab)),
                      10, "the viewer to notice the server went away", diag=lambda: repr(viewer_state(tab)))
        log(f"  server stopped: viewer state {st['state']}")
        with Pipeline(launch(port, RAW_VIDEO), name="broadcast-chromium-reconnect-2") as pipe:
            diag = Diag(pipe, base)
            diag.tabs = [("viewer", tab)]
            t0 = time.monotonic()
            wait_playing(diag.tabs, 30, diag)
            second = viewer_state(tab)["sessionId"]
            log(f"  playing again {time.monotonic() - t0:.1f} s after the restart, session {first} -> {second}")
            check(second and second != first, "a new session after the restart", diag)
            result = measure(diag.tabs, 3)
            check_viewers(result, ["viewer"], "H264", diag)
    finally:
        if tab:
            tab.close()


SCENARIOS = {
    "raw": lambda b: three_viewers(b, RAW_VIDEO, "", "H264", "raw", encoder_codec="h264"),
    "preencoded": lambda b: three_viewers(b, H264_VIDEO, "", "H264", "preencoded"),
    "vp8": lambda b: three_viewers(b, RAW_VIDEO, "video-codecs=vp8", "VP8", "vp8", encoder_codec="vp8"),
    "badinput": bad_input,
    "reconnect": reconnect,
}


def main():
    if not find_chromium():
        log("chromium is absent: skipping")
        return SKIP
    require_element("rtcbroadcastsink")
    names = sys.argv[1:] or list(SCENARIOS)
    with Chromium() as browser:
        for n in names:
            SCENARIOS[n](browser)


if __name__ == "__main__":
    run_main(main)
