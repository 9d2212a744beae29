#!/usr/bin/python3
"""gst-plugins-rs' own JavaScript client against rtckit's signalling (issue 10), on loopback.

The page is tests/e2e/pages/gstwebrtc-api.html driving the npm package "gstwebrtc-api" (pinned in
tools/dev.sh, installed into <build>/test-deps), the client webrtcsink users serve to browsers.
It speaks to rtckit-signalling-server and to the embedded /ws exactly as it speaks to the
reference server; nothing in the page works around a difference.

1. consume-server: rtcbroadcastsink (serve=false) publishes through rtckit-signalling-server;
   the client lists it and consumes it: Chromium decodes video; when the producer stops, the
   client's producer list drops it.
2. consume-embedded: the same against rtcbroadcastsink's own /ws.
3. produce: the client publishes Chromium's fake camera and microphone through the server;
   the README's consumer line (`rtcingestsrc serve=false signaller::uri=... ! queue ! decodebin !
   videoconvert ! <sink>`, only the sink differs) decodes its video for 10 s while the audio pad
   stays unlinked; the client's consumer list shows that consumer and drops it when it stops.
4. produce-for-consumer: rtcingestsrc waits as a consumer; the client starts the session
   itself (createProducerSessionForConsumer): one session, frames decoded.

Run: /usr/bin/python3 tests/e2e/test_gstwebrtc_api_chromium.py [consume-server consume-embedded
     produce produce-for-consumer]
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium, find_chromium  # noqa: E402
from util import (BUILD_ROOT, SKIP, Pipeline, StaticPages, TestFailure, check, free_port,  # noqa: E402
                  log, require_element, run_main, wait_for, wait_http)
from test_signalling_server import Server, frames_seen, list_peers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GSTWEBRTC_API_DIR = os.environ.get("RTCKIT_GSTWEBRTC_API_DIR") or os.path.join(
    BUILD_ROOT, "test-deps", "node_modules", "gstwebrtc-api")

# The README's consumer line; only the sink differs (no display here): a fakesink that
# gst-launch -v reports every frame of.
README_CONSUMER = ("rtcingestsrc serve=false signaller::uri={uri} ice-local-addresses=127.0.0.1 "
                   "! queue ! decodebin ! videoconvert ! fakesink silent=false sync=false")


class PageServer(StaticPages):
    """The client page and the npm package's bundle (util.StaticPages)."""

    def __init__(self):
        with open(os.path.join(GSTWEBRTC_API_DIR, "package.json")) as f:
            version = json.load(f)["version"]
        bundle = os.path.join(GSTWEBRTC_API_DIR, "dist", f"gstwebrtc-api-{version}.min.js")
        if not os.path.isfile(bundle):
            raise TestFailure(f"{bundle} not found: tools/dev.sh test installs the npm package")
        log(f"gstwebrtc-api {version}")
        super().__init__(os.path.join(HERE, "pages", "gstwebrtc-api.html"), {"gstwebrtc-api.js": bundle})

    def url(self, ws, **params):
        return super().url(ws=ws, **params)


def peers(port, kind):
    """Ids of the server's producers ("list") or consumers ("listConsumers")."""
    return [p["id"] for p in list_peers(port, kind) or []]


def gw(tab):
    return tab.eval("({connected: gw.connected, channelId: gw.channelId, state: gw.state,"
                    " errors: gw.errors, producers: Object.keys(gw.producers),"
                    " consumers: Object.keys(gw.consumers), clients: gw.clients,"
                    " events: gw.events.slice(-12)})")


def stats(tab):
    return tab.eval("gw.stats ? gw.stats() : null") or {}


def diag_for(browser, tab, *pipes):
    def diag():
        out = [f"page {gw(tab)} stats={stats(tab)}", f"console: {browser.console_log()[-10:]}"]
        out += [p.tail(25) for p in pipes]
        return "\n".join(out)
    return diag


def wait_decoding(tab, diag, what, key="framesDecoded", fps_min=15):
    """Waits for frames, then checks the rate over 3 s."""
    wait_for(lambda: (stats(tab).get(key) or 0) > 10, 25, f"{what}: the first frames", diag=diag)
    a, t0 = stats(tab).get(key) or 0, time.monotonic()
    time.sleep(3)
    b = stats(tab).get(key) or 0
    fps = (b - a) / (time.monotonic() - t0)
    log(f"{what}: {fps:.1f} fps ({key}), {stats(tab)}")
    check(fps >= fps_min, f"{what}: >= {fps_min} fps {key} (got {fps:.1f})", diag)


def producer_pipeline(uri_or_port, serve):
    where = (f"serve=false signaller::uri={uri_or_port}" if not serve
             else f"address=127.0.0.1:{uri_or_port}")
    return Pipeline(
        f"rtcbroadcastsink name=s {where} ice-local-addresses=127.0.0.1 "
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 ! s.video_0 "
        "audiotestsrc is-live=true wave=ticks ! s.audio_0", name="gwa-producer")


def scenario_consume_server(browser, pages):
    port = free_port()
    uri = f"ws://127.0.0.1:{port}/ws"
    server = Server(port)
    try:
        producer = producer_pipeline(uri, serve=False)
        with producer:
            wait_for(lambda: peers(port, "list") or None, 15, "the producer registered",
                     diag=lambda: producer.tail(20))
            pid = peers(port, "list")[0]
            tab = browser.open(pages.url(uri, mode="consume"))
            diag = diag_for(browser, tab, producer)
            wait_for(lambda: gw(tab)["connected"], 10, "gstwebrtc-api connected (status echo)", diag=diag)
            check(pid in gw(tab)["producers"], f"the client lists producer {pid}", diag)
            wait_decoding(tab, diag, "consume through rtckit-signalling-server")
            check(not gw(tab)["errors"], f"no error reached the client: {gw(tab)['errors']}", diag)
        # The producer left: the client's list follows.
        wait_for(lambda: pid not in gw(tab)["producers"], 10, "the client drops the producer that left",
                 diag=diag)
        tab.close()
    finally:
        server.stop()


def scenario_consume_embedded(browser, pages):
    port = free_port()
    producer = producer_pipeline(port, serve=True)
    with producer:
        wait_http(f"http://127.0.0.1:{port}/stats", 20)
        tab = browser.open(pages.url(f"ws://127.0.0.1:{port}/ws", mode="consume"))
        diag = diag_for(browser, tab, producer)
        wait_for(lambda: gw(tab)["connected"], 10, "gstwebrtc-api connected to the embedded /ws", diag=diag)
        check(len(gw(tab)["producers"]) == 1, "the client lists the element as the one producer", diag)
        wait_decoding(tab, diag, "consume through the embedded /ws")
        check(not gw(tab)["errors"], f"no error reached the client: {gw(tab)['errors']}", diag)
        tab.close()


def scenario_produce(browser, pages):
    port = free_port()
    uri = f"ws://127.0.0.1:{port}/ws"
    server = Server(port)
    try:
        tab = browser.open(pages.url(uri, mode="produce"))
        diag0 = diag_for(browser, tab)
        wait_for(lambda: gw(tab)["connected"] and peers(port, "list"), 15,
                 "the client registered as a producer", diag=diag0)
        # The README's consumer line, with gst-launch: video is linked, audio is not.
        consumer = Pipeline("-v " + README_CONSUMER.format(uri=uri), name="gwa-readme-consumer")
        diag = diag_for(browser, tab, consumer)
        try:
            wait_for(lambda: frames_seen(consumer) >= 30, 25, "the README's consumer line decodes frames",
                     diag=diag)
            wait_for(lambda: len(gw(tab)["consumers"]) == 1, 10, "the client lists the consumer", diag=diag)
            f0 = frames_seen(consumer)
            time.sleep(10)
            f1 = frames_seen(consumer)
            log(f"produce: README consumer line decoded {f1 - f0} frames in 10 s")
            check(consumer.alive(), "the consumer line still runs after 10 s (the unlinked audio pad "
                  "did not stop it)", diag)
            check(f1 - f0 >= 150, f"the consumer line decodes >= 15 fps for 10 s ({f1 - f0} frames)", diag)
            wait_decoding(tab, diag, "Chromium encoding for the consumer", key="framesEncoded")
        finally:
            consumer.stop()
        wait_for(lambda: not gw(tab)["consumers"], 10, "the client drops the consumer that left", diag=diag)
        tab.close()
    finally:
        server.stop()


def scenario_produce_for_consumer(browser, pages):
    port = free_port()
    uri = f"ws://127.0.0.1:{port}/ws"
    server = Server(port)
    try:
        consumer = Pipeline("-v " + README_CONSUMER.format(uri=uri), name="gwa-waiting-consumer")
        with consumer:
            wait_for(lambda: peers(port, "listConsumers") or None, 15, "rtcingestsrc registered as a consumer",
                     diag=lambda: consumer.tail(20))
            cid = peers(port, "listConsumers")[0]
            tab = browser.open(pages.url(uri, mode="produce", consumer=cid))
            diag = diag_for(browser, tab, consumer)
            wait_for(lambda: frames_seen(consumer) >= 60, 25,
                     "frames from the session the producer started reach rtcingestsrc", diag=diag)
            check(gw(tab)["clients"] == 1, f"exactly one session between the two ({gw(tab)['clients']})", diag)
            check(not gw(tab)["errors"], f"no error reached the client: {gw(tab)['errors']}", diag)
            log(f"produce-for-consumer: {frames_seen(consumer)} frames, page {gw(tab)}")
            tab.close()
    finally:
        server.stop()


SCENARIOS = {
    "consume-server": scenario_consume_server,
    "consume-embedded": scenario_consume_embedded,
    "produce": scenario_produce,
    "produce-for-consumer": scenario_produce_for_consumer,
}


def main():
    require_element("rtcbroadcastsink")
    require_element("rtcingestsrc")
    if not find_chromium():
        log("chromium is not installed")
        return SKIP
    which = sys.argv[1:] or list(SCENARIOS)
    pages = PageServer()
    browser = Chromium().start()
    try:
        for s in which:
            log(f"--- {s}")
            SCENARIOS[s](browser, pages)
    finally:
        browser.quit()
        pages.close()
    return 0


if __name__ == "__main__":
    run_main(main)
