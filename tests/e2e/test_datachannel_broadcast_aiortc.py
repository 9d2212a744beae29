#!/usr/bin/python3
"""rtcbroadcastsink data-channel=true watched by an independent peer: aiortc (Debian's
python3-aiortc) as a consumer of the embedded server's /ws (our signalling protocol, the one
gstwebrtc-api speaks), exchanging messages with the pipeline both ways.

1. aiortc lists the producers, starts a session, answers the sink's offer (video + the "rtckit"
   data channel) and receives the video track;
2. the pipeline's `send-message` (to every session) reaches aiortc in order, and so does one
   `send-data`; what aiortc sends arrives as the sink's `message` signal, in order, and as the
   `rtckit-message` bus message;
3. `send-message` to a session that does not exist is refused;
4. a flood: aiortc sends 3000 messages at once while the application's handler takes 5 ms a
   message. The session's inbox is bounded: messages past it are dropped and counted in /stats
   (messages_received + messages_dropped = all sent), and the video keeps coming meanwhile.

aiortc does no trickle ICE: its candidates travel inside its answer; the sink's trickled
candidates are added as they come. Everything stays on 127.0.0.1.
Run: /usr/bin/python3 tests/e2e/test_datachannel_broadcast_aiortc.py
"""

import asyncio
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from util import (SKIP, check, free_port, http_json, log, require_element, run_main,  # noqa: E402
                  test_env)

os.environ.update(test_env())  # GST_PLUGIN_PATH for the in-process Gst.init

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

N = 50
TIMEOUT = 30.0


def aiortc_on_loopback():
    """aiortc gathers on 127.0.0.1 only, with no STUN server (nothing leaves this machine)."""
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]
    from aiortc import RTCConfiguration, RTCPeerConnection
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


class Sink:
    """The pipeline, in this process; its signals come on the element's worker thread."""

    def __init__(self, port):
        self.pipe = Gst.parse_launch(
            f"videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
            f"rtcbroadcastsink name=s address=127.0.0.1:{port} data-channel=true "
            f"ice-local-addresses=127.0.0.1 video-codecs=vp8")
        self.sink = self.pipe.get_by_name("s")
        self.lock = threading.Lock()
        self.texts = []
        self.sessions = set()
        self.slow = False  # the application's handler takes 5 ms a message
        self.sink.connect("message", self._on_message)

    def _on_message(self, _sink, session_id, label, text):
        with self.lock:
            self.texts.append((label, text))
            self.sessions.add(session_id)
        if self.slow:
            time.sleep(0.005)

    def received(self):
        with self.lock:
            return list(self.texts)

    def bus_messages(self):
        bus = self.pipe.get_bus()
        out = []
        while True:
            msg = bus.pop_filtered(Gst.MessageType.ELEMENT | Gst.MessageType.ERROR)
            if msg is None:
                return out
            if msg.type == Gst.MessageType.ERROR:
                check(False, f"pipeline error: {msg.parse_error()}")
            s = msg.get_structure()
            if s.get_name() == "rtckit-message":
                out.append(s.get_string("text"))


async def until(cond, what, timeout=TIMEOUT):
    end = asyncio.get_running_loop().time() + timeout
    while not cond():
        check(asyncio.get_running_loop().time() < end, f"timed out: {what}")
        await asyncio.sleep(0.05)


async def watch(port, sink):
    import websockets
    from aiortc import RTCSessionDescription
    from aiortc.sdp import candidate_from_sdp

    pc = aiortc_on_loopback()
    frames = {"n": 0}
    consumers = []
    channel_fut = asyncio.get_running_loop().create_future()
    inbox = asyncio.Queue()

    @pc.on("track")
    def on_track(track):
        async def consume():
            while True:
                await track.recv()
                frames["n"] += 1
        consumers.append(asyncio.ensure_future(consume()))

    @pc.on("datachannel")
    def on_datachannel(ch):
        ch.on("message", inbox.put_nowait)
        if not channel_fut.done():
            channel_fut.set_result(ch)

    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        async def recv(kind):
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                if msg.get("type") == kind:
                    return msg
                if msg.get("type") in ("endSession", "error"):
                    check(False, f"server said {msg}")

        await recv("welcome")
        await ws.send(json.dumps({"type": "setPeerStatus", "roles": ["listener"], "meta": {"name": "aiortc"}}))
        await ws.send(json.dumps({"type": "list"}))
        producers = (await recv("list"))["producers"]
        check(len(producers) == 1, f"producers {producers}")
        await ws.send(json.dumps({"type": "startSession", "peerId": producers[0]["id"]}))
        sid = (await recv("sessionStarted"))["sessionId"]
        log(f"1. session {sid}: waiting for the sink's offer")
        while True:
            msg = await recv("peer")
            if "sdp" in msg:
                break
        check(msg["sdp"]["type"] == "offer", f"expected an offer: {msg['sdp']['type']}")
        offer = msg["sdp"]["sdp"]
        check("m=application" in offer, "the offer has no data channel m-line")
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())  # gathers: candidates inside
        await ws.send(json.dumps({"type": "peer", "sessionId": sid,
                                  "sdp": {"type": "answer", "sdp": pc.localDescription.sdp}}))

        async def trickle():
            while True:
                m = json.loads(await ws.recv())
                if m.get("type") == "peer" and "ice" in m and m["ice"].get("candidate"):
                    c = candidate_from_sdp(m["ice"]["candidate"].split(":", 1)[1])
                    c.sdpMLineIndex = m["ice"].get("sdpMLineIndex", 0)
                    await pc.addIceCandidate(c)
        trickler = asyncio.ensure_future(trickle())
        try:
            channel = await asyncio.wait_for(channel_fut, TIMEOUT)
            check(channel.label == "rtckit", f"label {channel.label!r}")
            log("2. the data channel is open: messages both ways")
            for i in range(N):
                check(sink.sink.emit("send-message", None, f"from pipeline {i}"), "send-message refused")
            got = [await asyncio.wait_for(inbox.get(), TIMEOUT) for _ in range(N)]
            check(got == [f"from pipeline {i}" for i in range(N)], f"aiortc received {got[:5]}...")
            blob = bytes(range(256)) * 32
            check(sink.sink.emit("send-data", None, GLib.Bytes.new(blob)), "send-data refused")
            check(await asyncio.wait_for(inbox.get(), TIMEOUT) == blob, "aiortc got other bytes")
            for i in range(N):
                channel.send(f"from aiortc {i}")
            await until(lambda: len(sink.received()) >= N, "the sink's message signals")
            check(sink.received() == [("rtckit", f"from aiortc {i}") for i in range(N)],
                  f"the sink received {sink.received()[:5]}...")
            on_bus = sink.bus_messages()
            check(on_bus[:N] == [f"from aiortc {i}" for i in range(N)], f"bus: {on_bus[:5]}...")
            check(sink.sessions == {sid}, f"sessions named {sink.sessions}, not {sid}")
            log("3. a message to an unknown session is refused")
            check(not sink.sink.emit("send-message", "no-such-session", "x"), "accepted for nobody")
            check(sink.sink.emit("send-message", sid, "to you"), "refused for the session")
            check(await asyncio.wait_for(inbox.get(), TIMEOUT) == "to you", "wrong message")

            log("4. a flood of 3000 messages against a slow handler")
            sink.slow = True
            await until(lambda: frames["n"] > 30, "video frames reach aiortc")
            before_frames, before_texts = frames["n"], len(sink.received())
            flood = 3000
            for i in range(flood):
                channel.send(f"flood {i}")
            t0 = time.monotonic()
            await asyncio.sleep(3)
            video_fps = (frames["n"] - before_frames) / (time.monotonic() - t0)
            log(f"   video during the flood: {video_fps:.1f} fps")
            check(video_fps >= 10, f"the video stalled during the flood ({video_fps:.1f} fps)")

            def counters():
                v = http_json(f"http://127.0.0.1:{port}/stats")["viewers"]
                return (v[0]["messages_received"], v[0]["messages_dropped"]) if v else (0, 0)
            total = N + flood  # everything aiortc sent on the channel
            await until(lambda: sum(counters()) >= total, f"the counters add up: {counters()} of {total}",
                        timeout=20)
            received, dropped = counters()
            log(f"   /stats: {received} received, {dropped} dropped of {total} sent")
            check(received + dropped == total, f"{received} + {dropped} != {total}")
            check(dropped > 0, "nothing was dropped: the inbox is not bounded")
            got = [t for _, t in sink.received()[before_texts:]]
            check(got == sorted(got, key=lambda t: int(t.split()[1])),
                  "the messages that got through are out of order")
        finally:
            trickler.cancel()
            for c in consumers:
                c.cancel()
            await pc.close()


def main():
    try:
        import aiortc  # noqa: F401
        import websockets  # noqa: F401
    except ImportError as e:
        log(f"{e.name} is not installed (tools/dev.sh installs python3-aiortc and python3-websockets)")
        return SKIP
    Gst.init(None)
    require_element("rtcbroadcastsink")
    port = free_port()
    sink = Sink(port)
    sink.pipe.set_state(Gst.State.PLAYING)
    try:
        asyncio.run(watch(port, sink))
    finally:
        sink.pipe.set_state(Gst.State.NULL)


if __name__ == "__main__":
    run_main(main)
