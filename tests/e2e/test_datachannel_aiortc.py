#!/usr/bin/python3
"""rtcpeerbin's data channels against an independent WebRTC stack: aiortc (Debian's
python3-aiortc), in this process, the SDP passed directly (no signalling server).

1. rtcpeerbin offers a channel "rtckit", aiortc answers: text both ways, in order, and a binary
   message from each side.
2. aiortc offers a channel "chat", rtcpeerbin answers ("answer" action): the channel the remote
   opened is accepted, text both ways.

aiortc does no trickle ICE: the candidates travel inside the SDP. rtcpeerbin's are gathered on
127.0.0.1 (ice-local-addresses) and put into its SDP once gathering is complete; aiortc gathers
on 127.0.0.1 only (its host address lookup is replaced) and uses no STUN server.
This file is also the example in docs/rtcpeerbin.md.
Run: /usr/bin/python3 tests/e2e/test_datachannel_aiortc.py
"""

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from util import SKIP, check, log, require_element, run_main, test_env  # noqa: E402

os.environ.update(test_env())  # GST_PLUGIN_PATH for the in-process Gst.init

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

N = 20  # text messages each way
TIMEOUT = 30.0


class Peer:
    """An rtcpeerbin in its own pipeline; its signals arrive on webrtcbin's threads and are
    handed to the asyncio loop (a handler must not block)."""

    def __init__(self, loop):
        self.loop = loop
        self.pipe = Gst.Pipeline.new()
        self.bin = Gst.ElementFactory.make("rtcpeerbin")
        self.bin.set_property("ice-local-addresses", "127.0.0.1")
        self.pipe.add(self.bin)
        self.events = asyncio.Queue()
        self.candidates = []
        self.gathered = asyncio.Event()
        self.bin.connect("local-candidate", self._on_candidate)
        for name in ("message", "data", "data-channel-opened", "data-channel-closed", "failed"):
            self.bin.connect(name, self._on_event, name)

    def _post(self, item):
        self.loop.call_soon_threadsafe(self.events.put_nowait, item)

    def _on_candidate(self, _bin, mline, candidate):
        if candidate:
            self.candidates.append((mline, candidate))
        else:  # "" once gathering is complete
            self.loop.call_soon_threadsafe(self.gathered.set)

    def _on_event(self, _bin, *args):
        *values, name = args
        if name == "data":
            values[1] = bytes(values[1].get_data())
        self._post((name, *values))

    async def call(self, signal, *args):
        """Emits an action signal with a promise and waits (in a worker thread, never on
        webrtcbin's) for its reply: a structure with "sdp" or "error"."""
        promise = Gst.Promise.new()
        self.bin.emit(signal, *args, promise)
        await self.loop.run_in_executor(None, promise.wait)
        reply = promise.get_reply()
        check(reply is not None, f"{signal}: no reply")
        check(not reply.has_field("error"), f"{signal}: {reply.get_string('error')}")
        return reply.get_string("sdp")

    async def with_candidates(self, sdp):
        """@sdp with our gathered candidates in its (bundled) first m-section."""
        await asyncio.wait_for(self.gathered.wait(), TIMEOUT)
        lines = sdp.strip().split("\r\n")
        first_m = next(i for i, l in enumerate(lines) if l.startswith("m="))
        end = next((i for i, l in enumerate(lines) if i > first_m and l.startswith("m=")),
                   len(lines))
        cands = ["a=" + c for m, c in self.candidates if m == 0] + ["a=end-of-candidates"]
        return "\r\n".join(lines[:end] + cands + lines[end:]) + "\r\n"

    async def expect(self, name, count=1):
        """The next @count events called @name (others are kept in order for later)."""
        got, other = [], []
        try:
            while len(got) < count:
                ev = await asyncio.wait_for(self.events.get(), TIMEOUT)
                check(ev[0] != "failed", f"rtcpeerbin failed: {ev[1:]}")
                (got if ev[0] == name else other).append(ev)
        finally:
            for ev in other:
                self.events.put_nowait(ev)
        return got

    def stop(self):
        self.pipe.set_state(Gst.State.NULL)


def aiortc_on_loopback():
    """aiortc gathers on 127.0.0.1 only, with no STUN server (nothing leaves this machine)."""
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]
    from aiortc import RTCConfiguration, RTCPeerConnection
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def collect(channel):
    """A queue of what aiortc receives on @channel."""
    q = asyncio.Queue()
    channel.on("message", q.put_nowait)
    return q


async def receive(q, count):
    return [await asyncio.wait_for(q.get(), TIMEOUT) for _ in range(count)]


async def rtcpeerbin_offers(loop):
    from aiortc import RTCSessionDescription
    log("1. rtcpeerbin offers a data channel, aiortc answers")
    peer = Peer(loop)
    pc = aiortc_on_loopback()
    try:
        peer.pipe.set_state(Gst.State.PLAYING)
        check(peer.bin.emit("create-data-channel", "rtckit"), "create-data-channel refused")
        # Queued until the channel opens.
        check(peer.bin.emit("send-message", None, "sent before open"), "send-message refused")
        offer = await peer.with_candidates(await peer.call("create-offer"))
        remote_channel = asyncio.get_running_loop().create_future()
        pc.on("datachannel", lambda ch: remote_channel.set_result((ch, collect(ch))))
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())  # gathers: candidates in the SDP
        await peer.call("set-remote-description", "answer", pc.localDescription.sdp)
        await peer.expect("data-channel-opened")
        channel, inbox = await asyncio.wait_for(remote_channel, TIMEOUT)
        check(channel.label == "rtckit", f"aiortc sees label {channel.label!r}")

        sent = [f"to aiortc {i}" for i in range(N)]
        for text in sent:
            check(peer.bin.emit("send-message", "rtckit", text), "send-message refused")
        got = await receive(inbox, N + 1)
        check(got == ["sent before open"] + sent, f"aiortc received {got!r}")
        for i in range(N):
            channel.send(f"to rtcpeerbin {i}")
        got = [text for _, _, text in await peer.expect("message", N)]
        check(got == [f"to rtcpeerbin {i}" for i in range(N)], f"rtcpeerbin received {got!r}")

        blob = bytes(range(256)) * 64  # 16 KiB
        check(peer.bin.emit("send-data", None, GLib.Bytes.new(blob)), "send-data refused")
        check(await receive(inbox, 1) == [blob], "aiortc got other bytes")
        channel.send(blob[::-1])
        (_, label, data), = await peer.expect("data")
        check(label == "rtckit" and data == blob[::-1], "rtcpeerbin got other bytes")

        stats = peer.bin.get_property("data-channel-stats")
        log(f"   rtcpeerbin {stats.to_string()}")
        check(stats.get_uint64("messages-sent")[1] == N + 2, "messages-sent")
        check(stats.get_uint64("messages-received")[1] == N + 1, "messages-received")
    finally:
        await pc.close()
        peer.stop()


async def aiortc_offers(loop):
    from aiortc import RTCSessionDescription
    log("2. aiortc offers a data channel, rtcpeerbin answers")
    peer = Peer(loop)
    pc = aiortc_on_loopback()
    try:
        peer.pipe.set_state(Gst.State.PLAYING)
        channel = pc.createDataChannel("chat")
        inbox = collect(channel)
        opened = asyncio.get_running_loop().create_future()
        channel.on("open", lambda: opened.set_result(True))
        await pc.setLocalDescription(await pc.createOffer())
        answer = await peer.with_candidates(await peer.call("answer", pc.localDescription.sdp))
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await asyncio.wait_for(opened, TIMEOUT)
        (_, label), = await peer.expect("data-channel-opened")
        check(label == "chat", f"rtcpeerbin accepted a channel labelled {label!r}")

        for i in range(N):
            channel.send(f"hello {i}")
        got = [(label, text) for _, label, text in await peer.expect("message", N)]
        check(got == [("chat", f"hello {i}") for i in range(N)], f"rtcpeerbin received {got!r}")
        # NULL label: no "rtckit" channel here, so the first open one.
        for i in range(N):
            check(peer.bin.emit("send-message", None, f"hi {i}"), "send-message refused")
        got = await receive(inbox, N)
        check(got == [f"hi {i}" for i in range(N)], f"aiortc received {got!r}")
    finally:
        await pc.close()
        peer.stop()


def main():
    try:
        import aiortc  # noqa: F401
    except ImportError:
        log("python3-aiortc is not installed (tools/dev.sh installs it)")
        return SKIP
    Gst.init(None)
    require_element("rtcpeerbin")

    async def both():
        loop = asyncio.get_running_loop()
        await rtcpeerbin_offers(loop)
        await aiortc_offers(loop)

    asyncio.run(both())


if __name__ == "__main__":
    run_main(main)
