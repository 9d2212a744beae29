#!/usr/bin/python3
"""Lightweight viewers for the fan-out series: N webrtcbin receivers (answering, RTP into a
fakesink) in this one process, joining one after another. Speaks the rtckit / gst-webrtc-signalling
protocol (--ws ws://...), or Janus's
HTTP API (--ws http://host:8088/janus) with its streaming plugin (mountpoint --janus-mountpoint). Prints JSON lines: {"joined": i} when receiver i has media, and every second
{"packets": [n0, n1, ...]} (RTP buffers received per receiver)."""

import argparse
import asyncio
import json
import sys
import threading
import uuid

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402


def out(obj):
    print(json.dumps(obj), flush=True)


class Receiver:
    def __init__(self, app, idx):
        self.app, self.idx = app, idx
        self.ws = None
        self.sid = None
        self.count = 0
        self.bytes = 0
        self.joined = False
        self.pipe = Gst.Pipeline.new(f"r{idx}")
        self.webrtc = Gst.ElementFactory.make("webrtcbin")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipe.add(self.webrtc)
        self.agent = self.webrtc.get_property("ice-agent")
        self.agent.emit("add-local-ip-address", app.a.local_ip)
        # no UPnP: libnice would multicast SSDP discovery off this machine
        self.nice = self.agent.get_property("agent")  # keep the reference
        self.nice.set_property("upnp", False)
        self.webrtc.connect("on-ice-candidate", self.on_ice)
        self.webrtc.connect("pad-added", self.on_pad)
        self.pipe.set_state(Gst.State.PLAYING)

    def on_pad(self, webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        self.pipe.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))
        sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
                                              self.on_buffer)

    def on_buffer(self, pad, info):
        lst = info.get_buffer_list() if info.type & Gst.PadProbeType.BUFFER_LIST else None
        if lst is not None:
            self.count += lst.length()
            self.bytes += lst.calculate_size()
        else:
            self.count += 1
            self.bytes += info.get_buffer().get_size()
        if not self.joined:
            self.joined = True
            out({"joined": self.idx})
        return Gst.PadProbeReturn.OK

    def on_ice(self, webrtc, mline, cand):
        self.app.send(self, {"type": "peer", "sessionId": self.sid,
                             "ice": {"candidate": cand, "sdpMLineIndex": mline}})

    def on_offer(self, sdp_text):
        _, sdp = GstSdp.SDPMessage.new_from_text(sdp_text)
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, sdp)

        def on_remote_set(promise, _a, _b):
            self.webrtc.emit("create-answer", None, Gst.Promise.new_with_change_func(self.on_answer, None, None))
        self.webrtc.emit("set-remote-description", offer,
                         Gst.Promise.new_with_change_func(on_remote_set, None, None))
        return False

    def on_answer(self, promise, _a, _b):
        reply = promise.get_reply()
        answer = reply.get_value("answer")
        self.webrtc.emit("set-local-description", answer, Gst.Promise.new())
        self.app.send(self, {"type": "peer", "sessionId": self.sid,
                             "sdp": {"type": "answer", "sdp": answer.sdp.as_text()}})

    def on_ice_remote(self, ice):
        c = ice.get("candidate") or ""
        if c:
            self.webrtc.emit("add-ice-candidate", ice.get("sdpMLineIndex") or 0, c)
        return False


class App:
    def __init__(self, a):
        self.a = a
        self.receivers = []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self._run, daemon=True).start()

    def send(self, r, msg):
        if self.a.ws.startswith("http"):
            return janus_send(r, msg)
        data = json.dumps(msg)

        async def s():
            try:
                await r.ws.send(data)
            except Exception:
                pass
        self.loop.call_soon_threadsafe(lambda: asyncio.ensure_future(s()))

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self):
        for i in range(self.a.count):
            r = await self._make(i)
            if self.a.ws.startswith("http"):
                threading.Thread(target=janus_client, args=(self, r), daemon=True).start()
            else:
                asyncio.ensure_future(self._client(r))
            await asyncio.sleep(self.a.interval)
        await asyncio.Future()

    async def _make(self, i):
        fut = self.loop.create_future()

        def mk():
            r = Receiver(self, self.a.first + i)
            self.receivers.append(r)
            self.loop.call_soon_threadsafe(fut.set_result, r)
            return False
        GLib.idle_add(mk)
        return await fut

    async def _client(self, r):
        import websockets
        async with websockets.connect(self.a.ws, max_size=2 ** 22) as ws:
            r.ws = ws
            await ws.send(json.dumps({"type": "setPeerStatus", "roles": ["listener"], "meta": {"name": "bench-rx"}}))
            await ws.send(json.dumps({"type": "list"}))
            started = False
            async for raw in ws:
                m = json.loads(raw)
                t = m.get("type")
                if t == "list" and not started:
                    if m.get("producers"):
                        started = True
                        await ws.send(json.dumps({"type": "startSession", "peerId": m["producers"][0]["id"]}))
                    else:
                        await asyncio.sleep(0.1)
                        await ws.send(json.dumps({"type": "list"}))
                elif t == "sessionStarted":
                    r.sid = m["sessionId"]
                elif t == "peer":
                    r.sid = r.sid or m.get("sessionId")
                    if "sdp" in m:
                        GLib.idle_add(r.on_offer, m["sdp"]["sdp"])
                    elif "ice" in m:
                        GLib.idle_add(r.on_ice_remote, m["ice"])
                elif t in ("endSession", "endSessionV1_1", "error"):
                    out({"event": t, "receiver": r.idx, "details": m.get("details")})


# ---- Janus streaming plugin over its HTTP API ----------------------------------------------------

def _post(url, body):
    import urllib.request
    body = dict(body, transaction=uuid.uuid4().hex)
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as f:
        return json.loads(f.read())


def janus_client(app, r):
    import concurrent.futures
    import urllib.request
    base = app.a.ws
    try:
        sess = _post(base, {"janus": "create"})["data"]["id"]
        handle = _post(f"{base}/{sess}", {"janus": "attach", "plugin": "janus.plugin.streaming"})["data"]["id"]
        r.janus_url = f"{base}/{sess}/{handle}"
        r.janus_q = concurrent.futures.ThreadPoolExecutor(max_workers=1)  # keeps answer before trickle
        _post(r.janus_url, {"janus": "message", "body": {"request": "watch", "id": app.a.janus_mountpoint}})
        while True:  # long poll (also keeps the session alive)
            with urllib.request.urlopen(f"{base}/{sess}?maxev=5&rid={uuid.uuid4().hex}", timeout=60) as f:
                evs = json.loads(f.read())
            for ev in evs if isinstance(evs, list) else [evs]:
                jsep = ev.get("jsep")
                if jsep and jsep.get("type") == "offer":
                    GLib.idle_add(r.on_offer, jsep["sdp"])
                elif ev.get("janus") in ("hangup", "detached") or \
                        (ev.get("plugindata", {}).get("data", {}).get("error")):
                    out({"event": "janus", "receiver": r.idx, "details": ev})
    except Exception as e:
        out({"event": "janus-error", "receiver": r.idx, "details": repr(e)})


def janus_send(r, msg):
    if "sdp" in msg:
        body = {"janus": "message", "body": {"request": "start"}, "jsep": msg["sdp"]}
    else:
        body = {"janus": "trickle", "candidate": msg["ice"]}
    r.janus_q.submit(_post, r.janus_url, body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ws", required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--first", type=int, default=0, help="index of the first receiver (for logs)")
    ap.add_argument("--interval", type=float, default=0.3, help="seconds between joins")
    ap.add_argument("--local-ip", default="127.0.0.1")
    ap.add_argument("--janus-mountpoint", type=int, default=1)
    a = ap.parse_args()
    Gst.init(None)
    loop = GLib.MainLoop()
    app = App(a)

    def report():
        out({"packets": [r.count for r in app.receivers], "bytes": [r.bytes for r in app.receivers],
             "first": a.first})
        return True
    GLib.timeout_add(1000, report)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2, loop.quit)
    loop.run()
    for r in app.receivers:
        r.pipe.set_state(Gst.State.NULL)


if __name__ == "__main__":
    sys.exit(main())
