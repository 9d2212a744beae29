"""Signalling as a service (issue 5): rtcbroadcastsink and rtcingestsrc in two processes talk
through the standalone rtckit-signalling-server (serve=false, signaller::uri=...).

1. pipeline to pipeline: frames the producer sends reach the consumer pipeline's sink;
2. the server is killed (SIGKILL): the running peer connection keeps delivering frames; it is
   restarted on the same port: the producer is listed again within 3 s, and a new consumer
   pipeline receives frames again;
3. headless Chromium opens the server's list page, follows the producer's link and decodes video.

Run: /usr/bin/python3 tests/e2e/test_signalling_server.py
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium  # noqa: E402
from util import (BUILD_ROOT, Pipeline, artifact_path, check, free_port, log,  # noqa: E402
                  require_element, run_main, test_env, viewer_state, viewer_stats, wait_for,
                  wait_port)

SERVER = os.path.join(BUILD_ROOT, "signaling", "rtckit-signalling-server")

# The consumer: rtcingestsrc into identity elements that count frames (printed with -v as
# last-message would be noisy); gst-launch prints a line per handoff with silent=false.
CONSUMER = ("rtcingestsrc name=src serve=false signaller::uri={uri} ice-local-addresses=127.0.0.1 "
            "src.video_0 ! fakesink name=frames sync=false silent=false")


class Server:
    def __init__(self, port):
        self.port = port
        self.log_path = artifact_path(f"signalling-server-{port}-{time.time():.0f}.log")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([SERVER, "--address", f"127.0.0.1:{port}", "--keepalive", "2"],
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=test_env())
        wait_port(port, 10)
        log(f"signalling server pid {self.proc.pid} on {port}")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)
        self._log.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if not self._log.closed:
            self._log.close()
        return self.proc.returncode


def list_peers(port, kind="list"):
    """The server's producers ("list") or consumers ("listConsumers"), as a plain client asks
    (python3-websockets); None when the server does not answer."""
    import asyncio
    import websockets
    field = "producers" if kind == "list" else "consumers"

    async def ask():
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws", open_timeout=3) as ws:
            json.loads(await asyncio.wait_for(ws.recv(), 3))  # welcome
            await ws.send(json.dumps({"type": kind}))
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 3))
                if m.get("type") == kind:
                    return m[field]
    try:
        return asyncio.run(ask())
    except Exception as e:  # server down or restarting
        log(f"{kind} failed: {e!r}")
        return None


def producers(port):
    return list_peers(port, "list")


def frames_seen(pipe):
    with open(pipe.log_path, "rb") as f:
        return f.read().decode(errors="replace").count("chain   *")


def wait_frames(pipe, n, timeout, what):
    wait_for(lambda: frames_seen(pipe) >= n or None, timeout, what,
             diag=lambda: pipe.tail(30))


def main():
    require_element("rtcbroadcastsink")
    require_element("rtcingestsrc")
    check(os.path.exists(SERVER), f"{SERVER} is built")
    port = free_port()
    uri = f"ws://127.0.0.1:{port}/ws"
    server = Server(port)
    producer = Pipeline(
        f"videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=30/1 ! "
        f"rtcbroadcastsink serve=false signaller::uri={uri} ice-local-addresses=127.0.0.1 "
        f"video-codecs=vp8", name="ss-producer")
    consumers = []
    try:
        wait_for(lambda: producers(port) or None, 10, "the producer registered with the server",
                 diag=lambda: producer.tail(20))
        first = producers(port)
        log("producers:", first)

        # 1. pipeline to pipeline through the server
        c1 = Pipeline("-v " + CONSUMER.format(uri=uri), name="ss-consumer1")
        consumers.append(c1)
        wait_frames(c1, 60, 20, "frames from the producer reach the first consumer")
        log(f"consumer 1: {frames_seen(c1)} frames")

        # 2. the server dies: the running peer connection carries on without it
        server.kill()
        log("server killed")
        before = frames_seen(c1)
        wait_frames(c1, before + 60, 10, "frames keep flowing while the signalling server is down")
        log(f"consumer 1 during the outage: +{frames_seen(c1) - before} frames")
        check(producer.alive(), "the producer survives its signalling server dying",
              diag=lambda: producer.tail(20))
        c1.stop()

        # ... and comes back on the same port
        t0 = time.monotonic()
        server = Server(port)
        wait_for(lambda: producers(port) or None, 3.0, "the producer is back within 3 s",
                 interval=0.1, diag=lambda: producer.tail(20))
        log(f"producer listed again {time.monotonic() - t0:.2f} s after the restart")
        c2 = Pipeline("-v " + CONSUMER.format(uri=uri), name="ss-consumer2")
        consumers.append(c2)
        wait_frames(c2, 60, 20, "a new consumer receives frames after the restart")
        log(f"consumer 2: {frames_seen(c2)} frames")
        c2.stop()

        # 3. a browser plays the producer from the server's list page
        with Chromium() as chromium:
            tab = chromium.open(f"http://127.0.0.1:{port}/")
            wait_for(lambda: tab.eval("window.rtckitList && window.rtckitList.producers.length") or None,
                     10, "the list page shows the producer")
            href = tab.eval("document.querySelector('#producers a').href")
            log("list page links to", href)
            check("producer=" in href, f"the link names a producer: {href}")
            tab.navigate(href)
            wait_for(lambda: viewer_state(tab)["state"] == "playing" or None, 20,
                     "the viewer page plays the producer", diag=lambda: viewer_state(tab))
            f0 = (viewer_stats(tab).get("video") or {}).get("framesDecoded") or 0
            time.sleep(3)
            f1 = (viewer_stats(tab).get("video") or {}).get("framesDecoded") or 0
            log(f"browser decoded {f1 - f0} frames in 3 s")
            check(f1 - f0 >= 45, f"the browser decodes the stream (>= 15 fps), got {f1 - f0} frames in 3 s")
    finally:
        for c in consumers:
            c.stop()
        producer.stop()
        server.stop()
    log("PASS")


if __name__ == "__main__":
    run_main(main)
