#!/usr/bin/python3
"""rtccallbin and headless Chromium on the embedded server's /call page (loopback only).

The pipeline (in this process) sends a 640x480 test pattern and a tone and counts what it
receives from the browser; the page sends Chromium's fake camera (640x480) and microphone.
1. both directions decode >= 25 fps at 640x480 for 5 s (page: frames shown; pipeline: frames
   out of vp8dec after video_src_0);
2. 100 chat messages each way arrive in order; a 64 KiB binary message arrives intact each way;
3. a second tab is told the line is busy; when the first hangs up, the second gets through;
4. a caller that vanishes (its tab closed) ends the call: its pads end with EOS and the call
   ended message is posted; the next caller gets through.
Run: /usr/bin/python3 tests/e2e/test_call_chromium.py
"""

import hashlib
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium, find_chromium  # noqa: E402
from util import (SKIP, check, free_port, log, require_element, run_main, test_env,  # noqa: E402
                  wait_for, wait_port)

os.environ.update(test_env())  # GST_PLUGIN_PATH for the in-process Gst.init

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

N = 100
FPS_WINDOW = 5.0


class Call:
    """rtccallbin in this process; its signals come on the element's worker thread, buffers on
    streaming threads."""

    def __init__(self, port):
        self.pipe = Gst.parse_launch(
            f"rtccallbin name=c address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 "
            "video-codecs=vp8 "
            "videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1 ! c.video_0 "
            "audiotestsrc is-live=true wave=ticks ! c.audio_0")
        self.bin = self.pipe.get_by_name("c")
        self.lock = threading.Lock()
        self.texts, self.blobs = [], []
        self.frames = 0
        self.eos = set()
        self.bin.connect("message", self._on_message)
        self.bin.connect("data", self._on_data)
        self.bin.connect("pad-added", self._on_pad)

    def _on_message(self, _bin, _sid, _label, text):
        with self.lock:
            self.texts.append(text)

    def _on_data(self, _bin, _sid, _label, data):
        with self.lock:
            self.blobs.append(bytes(data.get_data()))

    def _on_pad(self, _bin, pad):
        # Each call's pads go to a sink of their own; video is decoded (VP8: video-codecs=vp8)
        # and its frames counted.
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        self.pipe.add(sink)
        name = pad.get_name()
        video = name.startswith("video_src_")
        head = sink
        if video:
            head = Gst.ElementFactory.make("vp8dec")
            self.pipe.add(head)
            head.link(sink)
            head.sync_state_with_parent()
            self.video_sink = sink
        sink.sync_state_with_parent()
        sinkpad = sink.get_static_pad("sink")

        def probe(_pad, info):
            if info.type & Gst.PadProbeType.BUFFER and video:
                with self.lock:
                    self.frames += 1
            elif info.type & Gst.PadProbeType.EVENT_DOWNSTREAM and info.get_event().type == Gst.EventType.EOS:
                with self.lock:
                    self.eos.add(name)
            return Gst.PadProbeReturn.OK
        sinkpad.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM, probe)
        pad.link(head.get_static_pad("sink"))

    def decoded_size(self):
        caps = self.video_sink.get_static_pad("sink").get_current_caps()
        s = caps.get_structure(0) if caps else None
        return [s.get_int("width")[1], s.get_int("height")[1]] if s else None

    def count(self):
        with self.lock:
            return self.frames

    def received(self):
        with self.lock:
            return list(self.texts), list(self.blobs), set(self.eos)

    def bus_names(self):
        bus = self.pipe.get_bus()
        names = []
        while True:
            msg = bus.pop_filtered(Gst.MessageType.ELEMENT | Gst.MessageType.ERROR)
            if msg is None:
                return names
            if msg.type == Gst.MessageType.ERROR:
                check(False, f"pipeline error: {msg.parse_error()}")
            names.append(msg.get_structure().get_name())


def page_state(tab):
    return tab.eval("({state: rtckit.state, error: rtckit.error, channel: rtckit.channelState})")


def main():
    if not find_chromium():
        log("no chromium binary")
        return SKIP
    Gst.init(None)
    require_element("rtccallbin")
    port = free_port()
    call = Call(port)
    call.pipe.set_state(Gst.State.PLAYING)
    wait_port(port, 10)
    url = f"http://127.0.0.1:{port}/call"
    try:
        # Chromium's fake camera runs at 20 fps unless told otherwise.
        with Chromium(extra_flags=["--use-fake-device-for-media-stream=fps=30"]) as chromium:
            tab = chromium.open(url)
            diag = lambda: f"page {page_state(tab)}; console {chromium.console_log()[-10:]}"
            wait_for(lambda: page_state(tab)["state"] == "in-call", 30, "the call is up", diag=diag)
            wait_for(lambda: page_state(tab)["channel"] == "open", 15, "the chat channel opens",
                     diag=diag)

            log("1. frames both ways over 5 s")
            wait_for(lambda: tab.eval("rtckit.remoteFrames()") > 30 and call.count() > 30, 20,
                     "frames flow both ways", diag=lambda: f"{diag()}; pipeline frames {call.count()}")
            # Chromium starts below the camera's size and raises it as its bandwidth estimate grows.
            t_up = time.monotonic()
            wait_for(lambda: call.decoded_size() == [640, 480], 30, "the browser sends 640x480",
                     diag=lambda: f"decoded {call.decoded_size()}")
            log(f"   the browser's video reached 640x480 after {time.monotonic() - t_up:.1f} s more")
            page0, pipe0, t0 = tab.eval("rtckit.remoteFrames()"), call.count(), time.monotonic()
            time.sleep(FPS_WINDOW)
            page1, pipe1, t1 = tab.eval("rtckit.remoteFrames()"), call.count(), time.monotonic()
            page_fps, pipe_fps = (page1 - page0) / (t1 - t0), (pipe1 - pipe0) / (t1 - t0)
            size = tab.eval("[document.getElementById('remote').videoWidth, "
                            "document.getElementById('remote').videoHeight]")
            decoded = call.decoded_size()
            limits = tab.exec("const r = []; (await rtckit.pc.getStats()).forEach(s => { "
                              "if (s.type === 'outbound-rtp' && s.kind === 'video') r.push([s.qualityLimitationReason, "
                              "s.frameWidth, s.frameHeight, s.targetBitrate, JSON.stringify(s.qualityLimitationDurations)]); }); return r;")
            log(f"   the browser's sender: {limits}")
            log(f"   browser shows {page_fps:.1f} fps at {size}, pipeline decodes {pipe_fps:.1f} fps "
                f"at {decoded}")
            check(size == [640, 480], f"the browser shows {size}")
            check(decoded == [640, 480], f"the pipeline decodes {decoded}")
            check(page_fps >= 25, f"the browser decoded {page_fps:.1f} fps")
            check(pipe_fps >= 25, f"the pipeline received {pipe_fps:.1f} fps")

            log("2. 100 chat messages each way, in order; 64 KiB binary each way")
            for i in range(N):
                check(call.bin.emit("send-message", None, f"pipeline {i}"), "send-message refused")
            tab.exec(f"for (let i = 0; i < {N}; i++) if (!rtckit.send('browser ' + i)) "
                     "throw new Error('send refused'); return true;")
            wait_for(lambda: len(call.received()[0]) >= N, 20, "the pipeline gets the chat")
            texts = call.received()[0]
            check(texts == [f"browser {i}" for i in range(N)], f"pipeline got {texts[:5]}...")
            wait_for(lambda: tab.eval("rtckit.messages.filter(m => typeof m.data === 'string')"
                                      ".length") >= N, 20, "the page gets the chat")
            got = tab.eval("rtckit.messages.filter(m => typeof m.data === 'string').map(m => m.data)")
            check(got[:N] == [f"pipeline {i}" for i in range(N)], f"page got {got[:5]}...")
            chat_items = tab.eval("document.querySelectorAll('#chat-log li').length")
            check(chat_items >= 2 * N, f"the chat shows {chat_items} lines")

            blob = bytes((i * 7 + i // 251) & 0xFF for i in range(64 * 1024))
            check(call.bin.emit("send-data", None, GLib.Bytes.new(blob)), "send-data refused")
            tab.exec("const b = new Uint8Array(65536); for (let i = 0; i < b.length; i++) "
                     "b[i] = (i * 7 + Math.floor(i / 251)) & 255; "
                     "if (!rtckit.sendData(b)) throw new Error('sendData refused'); return true;")
            wait_for(lambda: len(call.received()[1]) >= 1, 20, "the pipeline gets the binary message")
            check(call.received()[1][0] == blob, "the pipeline got other bytes")
            digest = tab.exec(
                "for (let t = 0; t < 200; t++) { const m = rtckit.messages.find(m => m.data instanceof ArrayBuffer); "
                "if (m) { const d = await crypto.subtle.digest('SHA-256', m.data); "
                "return [m.data.byteLength, Array.from(new Uint8Array(d)).map(x => x.toString(16).padStart(2, '0')).join('')]; } "
                "await new Promise(r => setTimeout(r, 100)); } return null;")
            check(digest is not None, "the page got no binary message")
            check(digest == [len(blob), hashlib.sha256(blob).hexdigest()], f"the page got {digest}")

            log("3. a second caller hears the line is busy, and gets through after a hang-up")
            second = chromium.open(url)
            wait_for(lambda: page_state(second)["state"] == "busy", 20, "the second tab is busy",
                     diag=lambda: f"second {page_state(second)}")
            check(page_state(tab)["state"] == "in-call", "the first call was disturbed")
            tab.eval("rtckit.hangup()")
            wait_for(lambda: page_state(second)["state"] == "in-call", 30, "the second tab gets through",
                     diag=lambda: f"second {page_state(second)}")
            frames = call.count()
            wait_for(lambda: call.count() > frames + 30, 20, "the second caller's video reaches the pipeline")

            log("4. the caller vanishes: the call ends, its pads end with EOS")
            second.close()
            wait_for(lambda: "video_src_0" in call.received()[2], 40,
                     "EOS on the vanished caller's video pad",
                     diag=lambda: f"eos on {call.received()[2]}")
            names = call.bus_names()
            check("rtckit-call-ended" in names, f"bus messages {names}")
            check(call.bin.get_property("peer") is None, "the element still names a peer")
            third = chromium.open(url)
            wait_for(lambda: page_state(third)["state"] == "in-call", 30, "the next caller gets through",
                     diag=lambda: f"third {page_state(third)}")
            frames = call.count()
            wait_for(lambda: call.count() > frames + 30, 20, "the next caller's video reaches the pipeline")
    finally:
        call.pipe.set_state(Gst.State.NULL)


if __name__ == "__main__":
    run_main(main)
