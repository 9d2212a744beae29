#!/usr/bin/python3
"""Benchmark senders in one process (the process whose CPU/RSS the runner samples):

  --kind broadcast   SOURCE ! rtcbroadcastsink (its own server and signalling)
  --kind webrtcbin   the baseline: a plain send-only webrtcbin pipeline built per viewer, with the
                     encoder settings of GStreamer's own webrtc examples (gst-examples
                     webrtc-unidirectional-h264 for H.264, webrtc-sendrecv for VP8), behind a tiny
                     signalling shim that speaks the same protocol as rtcbroadcastsink
  --kind per-viewer  one shared raw source, tee, and one encoder + webrtcbin per viewer (what
                     webrtcsink does by default), behind the same shim

SOURCE: --source clock (bench/pixelclock.py, wall clock in the pixels), testsrc (videotestsrc ball),
or udp:PORT (H.264 RTP from another process: an IP camera stand-in, passthrough).
Prints `READY <ws url>` on stdout when viewers can connect.
"""

import argparse
import asyncio
import json
import os
import sys
import threading
import uuid

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pixelclock import APPSRC, PixelClock  # noqa: E402

RAW720 = "video/x-raw,width=1280,height=720,framerate=30/1"
TESTSRC = f"videotestsrc is-live=true pattern=ball ! {RAW720}"

# gst-examples webrtc/sendonly/webrtc-unidirectional-h264.c and webrtc/sendrecv/gst/webrtc_sendrecv.py
BASELINE = {
    "h264": "videoconvert ! queue max-size-buffers=1 ! x264enc bitrate=600 speed-preset=ultrafast "
            "tune=zerolatency key-int-max=15 ! video/x-h264,profile=constrained-baseline ! "
            "queue max-size-time=100000000 ! h264parse ! rtph264pay config-interval=-1 "
            "aggregate-mode=zero-latency ! application/x-rtp,media=video,encoding-name=H264,payload=96",
    "vp8": "videoconvert ! queue ! vp8enc deadline=1 ! rtpvp8pay ! queue ! "
           "application/x-rtp,media=video,encoding-name=VP8,payload=97",
}
# one encoder per viewer, as webrtcsink does by default (x264enc tuned for latency)
PER_VIEWER = ("queue leaky=downstream max-size-buffers=2 ! videoconvert ! x264enc bitrate={kbps} "
              "option-string=nal-hrd=cbr:filler=1:vbv-maxrate={kbps}:vbv-bufsize={half} "
              "speed-preset=ultrafast tune=zerolatency key-int-max=60 ! "
              "video/x-h264,profile=constrained-baseline ! h264parse ! rtph264pay config-interval=-1 "
              "aggregate-mode=zero-latency ! application/x-rtp,media=video,encoding-name=H264,payload=96")


def out(*a):
    print(*a, flush=True)


class Shim:
    """Minimal gst-webrtc-signalling-server 1.1 producer side: one fixed producer (this process),
    sessions started by viewers; the offer comes from our webrtcbin."""

    def __init__(self, port, sender):
        self.port = port
        self.sender = sender
        self.producer = str(uuid.uuid4())
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait(10)

    def _run(self):
        import websockets
        asyncio.set_event_loop(self.loop)

        async def main():
            async with websockets.serve(self._client, "127.0.0.1", self.port, max_size=2 ** 20):
                self.ready.set()
                await asyncio.Future()
        self.loop.run_until_complete(main())

    def send(self, ws, msg):
        data = json.dumps(msg)
        self.loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._safe_send(ws, data)))

    async def _safe_send(self, ws, data):
        try:
            await ws.send(data)
        except Exception:
            pass

    async def _client(self, ws, path=None):
        sessions = set()
        await ws.send(json.dumps({"type": "welcome", "peerId": str(uuid.uuid4())}))
        try:
            async for raw in ws:
                m = json.loads(raw)
                t = m.get("type")
                if t == "list":
                    await ws.send(json.dumps({"type": "list", "producers": [{"id": self.producer, "meta": {}}]}))
                elif t == "startSession":
                    sid = str(uuid.uuid4())
                    sessions.add(sid)
                    await ws.send(json.dumps({"type": "sessionStarted", "peerId": self.producer, "sessionId": sid}))
                    GLib.idle_add(self.sender.start_session, sid, ws)
                elif t == "peer":
                    GLib.idle_add(self.sender.on_peer, m["sessionId"], m)
                elif t == "endSession":
                    sessions.discard(m["sessionId"])
                    GLib.idle_add(self.sender.end_session, m["sessionId"])
        except Exception:
            pass
        finally:
            for sid in sessions:
                GLib.idle_add(self.sender.end_session, sid)


class Session:
    def __init__(self, sender, sid, ws, webrtc, bin_or_pipeline):
        self.sender, self.sid, self.ws = sender, sid, ws
        self.webrtc = webrtc
        self.element = bin_or_pipeline
        self.agent = webrtc.get_property("ice-agent")  # keep the reference (1.22 bindings)
        self.agent.emit("add-local-ip-address", "127.0.0.1")
        # no UPnP: libnice would multicast SSDP discovery off this machine
        self.nice = self.agent.get_property("agent")  # keep the reference
        self.nice.set_property("upnp", False)
        webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        webrtc.connect("on-ice-candidate", self.on_ice_candidate)

    def send(self, msg):
        msg["sessionId"] = self.sid
        self.sender.shim.send(self.ws, msg)

    def on_negotiation_needed(self, webrtc):
        for i in range(8):
            tr = webrtc.emit("get-transceiver", i)
            if tr is None:
                break
            tr.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        webrtc.emit("create-offer", None, Gst.Promise.new_with_change_func(self.on_offer, webrtc, None))

    def on_offer(self, promise, webrtc, _):
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        webrtc.emit("set-local-description", offer, Gst.Promise.new())
        self.send({"type": "peer", "sdp": {"type": "offer", "sdp": offer.sdp.as_text()}})

    def on_ice_candidate(self, webrtc, mline, cand):
        self.send({"type": "peer", "ice": {"candidate": cand, "sdpMLineIndex": mline}})

    def on_peer(self, m):
        if "sdp" in m:
            _, sdp = GstSdp.SDPMessage.new_from_text(m["sdp"]["sdp"])
            ans = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp)
            self.webrtc.emit("set-remote-description", ans, Gst.Promise.new())
        elif "ice" in m:
            c = m["ice"].get("candidate") or ""
            if c:
                self.webrtc.emit("add-ice-candidate", m["ice"].get("sdpMLineIndex") or 0, c)


class Sender:
    def __init__(self, a):
        self.a = a
        self.sessions = {}
        self.clock = PixelClock().start() if a.source == "clock" else None
        self.shim = None
        self.pipeline = None

    def source_desc(self):
        if self.a.source == "clock":
            return APPSRC
        if self.a.source == "testsrc":
            return TESTSRC
        port = int(self.a.source.split(":")[1])
        return (f'udpsrc port={port} address=127.0.0.1 caps="application/x-rtp,media=video,'
                f'encoding-name=H264,clock-rate=90000,payload=96" ! rtph264depay ! h264parse')

    def watch_bus(self, pipeline):
        bus = pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", lambda b, m: out("ERROR", m.parse_error()[0].message))

    def start(self):
        a = self.a
        if a.kind == "broadcast":
            desc = (f"{self.source_desc()} ! rtcbroadcastsink name=s address=127.0.0.1:{a.port} "
                    f"ice-local-addresses=127.0.0.1 video-codecs={a.codec} video-bitrate={a.kbps} {a.props}")
            self.pipeline = Gst.parse_launch(desc)
            self.watch_bus(self.pipeline)
            if self.clock:
                self.clock.set_appsrc(self.pipeline.get_by_name("clocksrc"))
            self.pipeline.set_state(Gst.State.PLAYING)
            out(f"READY ws://127.0.0.1:{a.port}/ws")
            return
        if a.kind == "per-viewer":
            if a.source.startswith("udp"):
                raise SystemExit("per-viewer needs a raw source")
            self.pipeline = Gst.parse_launch(f"{self.source_desc()} ! tee name=t allow-not-linked=true")
            self.watch_bus(self.pipeline)
            if self.clock:
                self.clock.set_appsrc(self.pipeline.get_by_name("clocksrc"))
            self.pipeline.set_state(Gst.State.PLAYING)
        self.shim = Shim(a.port, self)
        out(f"READY ws://127.0.0.1:{a.port}/ws")

    def start_session(self, sid, ws):
        a = self.a
        if a.kind == "webrtcbin":
            # the baseline, as the examples build it: the whole pipeline per peer
            p = Gst.parse_launch(f"{self.source_desc()} ! {BASELINE[a.codec]} ! "
                                 "webrtcbin name=webrtc bundle-policy=max-bundle")
            self.watch_bus(p)
            s = Session(self, sid, ws, p.get_by_name("webrtc"), p)
            self.sessions[sid] = s
            if self.clock:
                self.clock.set_appsrc(p.get_by_name("clocksrc"))
            p.set_state(Gst.State.PLAYING)
        else:
            b = Gst.parse_bin_from_description(
                PER_VIEWER.format(kbps=a.kbps, half=a.kbps // 2) + " ! webrtcbin name=webrtc bundle-policy=max-bundle", True)
            s = Session(self, sid, ws, b.get_by_name("webrtc"), b)
            self.sessions[sid] = s
            self.pipeline.add(b)
            b.sync_state_with_parent()
            tee = self.pipeline.get_by_name("t")
            s.teepad = tee.request_pad_simple("src_%u")
            s.teepad.link(b.get_static_pad("sink"))
        return False

    def on_peer(self, sid, m):
        s = self.sessions.get(sid)
        if s:
            s.on_peer(m)
        return False

    def end_session(self, sid):
        s = self.sessions.pop(sid, None)
        if not s:
            return False
        if self.a.kind == "webrtcbin":
            if self.clock:
                self.clock.set_appsrc(None)
            s.element.set_state(Gst.State.NULL)
        else:
            tee = self.pipeline.get_by_name("t")
            s.teepad.unlink(s.element.get_static_pad("sink"))
            tee.release_request_pad(s.teepad)
            s.element.set_state(Gst.State.NULL)
            self.pipeline.remove(s.element)
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=["broadcast", "webrtcbin", "per-viewer"], required=True)
    ap.add_argument("--codec", choices=["h264", "vp8"], default="h264")
    ap.add_argument("--source", default="clock")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--kbps", type=int, default=1000)
    ap.add_argument("--props", default="", help="extra rtcbroadcastsink properties")
    a = ap.parse_args()
    Gst.init(None)
    loop = GLib.MainLoop()
    s = Sender(a)
    s.start()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2, loop.quit)
    loop.run()
    if s.clock:
        s.clock.stop()
    for sid in list(s.sessions):
        s.end_session(sid)
    if s.pipeline:
        s.pipeline.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
