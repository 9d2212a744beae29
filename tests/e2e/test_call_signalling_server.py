#!/usr/bin/python3
"""Two pipelines call each other through rtckit-signalling-server (loopback only): one
rtccallbin waits for calls, the other is given the peer to call (call=<its peer id>, then
call=first), over the server's WebSocket protocol. Both receive the other's video and audio,
and messages go both ways on the call's data channel. When the caller stops, the waiting side's
pads end with EOS, and a new caller gets through.
Run: /usr/bin/python3 tests/e2e/test_call_signalling_server.py
"""

import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from util import (BUILD_ROOT, artifact_path, check, free_port, log, require_element,  # noqa: E402
                  run_main, test_env, wait_for, wait_port)

os.environ.update(test_env())

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

SERVER = os.path.join(BUILD_ROOT, "signaling", "rtckit-signalling-server")


class Side:
    """One pipeline with rtccallbin; counts received buffers per pad kind, collects messages."""

    def __init__(self, uri, call=None, pattern="smpte"):
        props = f"call={call} " if call else ""
        self.pipe = Gst.parse_launch(
            f"rtccallbin name=c serve=false ice-local-addresses=127.0.0.1 {props}"
            f"signaller::uri={uri} "
            f"videotestsrc is-live=true pattern={pattern} ! video/x-raw,width=320,height=240 ! c.video_0 "
            "audiotestsrc is-live=true ! c.audio_0")
        self.bin = self.pipe.get_by_name("c")
        self.lock = threading.Lock()
        self.buffers = {"video": 0, "audio": 0}
        self.texts = []
        self.eos = 0
        self.bin.connect("pad-added", self._on_pad)
        self.bin.connect("message", self._on_message)

    def _on_message(self, _bin, _sid, _label, text):
        with self.lock:
            self.texts.append(text)

    def _on_pad(self, _bin, pad):
        kind = "video" if pad.get_name().startswith("video") else "audio"
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        self.pipe.add(sink)
        sink.sync_state_with_parent()

        def probe(_pad, info):
            with self.lock:
                if info.type & Gst.PadProbeType.BUFFER:
                    self.buffers[kind] += 1
                elif info.get_event().type == Gst.EventType.EOS:
                    self.eos += 1
            return Gst.PadProbeReturn.OK
        sink.get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM, probe)
        pad.link(sink.get_static_pad("sink"))

    def got(self):
        with self.lock:
            return dict(self.buffers), list(self.texts), self.eos

    def play(self):
        check(self.pipe.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE, "PLAYING")

    def stop(self):
        self.pipe.set_state(Gst.State.NULL)


def main():
    Gst.init(None)
    require_element("rtccallbin")
    port = free_port()
    log_file = open(artifact_path(f"call-signalling-server-{port}.log"), "wb")
    server = subprocess.Popen([SERVER, "--address", f"127.0.0.1:{port}"], stdout=log_file,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=test_env())
    uri = f"ws://127.0.0.1:{port}/ws"
    sides = []
    try:
        wait_port(port, 10)
        waiting = Side(uri)
        sides.append(waiting)
        waiting.play()
        # The waiting side's peer id: what the caller is given.
        callee = wait_for(lambda: waiting.bin.get_child_by_name("signaller").get_property("peer-id"),
                          10, "the waiting side registers")
        log(f"1. a pipeline calls {callee}")
        caller = Side(uri, call=callee, pattern="ball")
        sides.append(caller)
        caller.play()
        wait_for(lambda: all(n >= 30 for n in waiting.got()[0].values())
                 and all(n >= 30 for n in caller.got()[0].values()), 30,
                 "media both ways", diag=lambda: f"waiting {waiting.got()}, caller {caller.got()}")
        log(f"   waiting side got {waiting.got()[0]}, caller got {caller.got()[0]}")

        log("2. messages both ways")
        wait_for(lambda: waiting.bin.emit("send-message", None, "hi caller"), 10, "the waiting side sends")
        wait_for(lambda: caller.bin.emit("send-message", None, "hi callee"), 10, "the caller sends")
        wait_for(lambda: "hi caller" in caller.got()[1] and "hi callee" in waiting.got()[1], 15,
                 "both messages arrive", diag=lambda: f"{waiting.got()[1]} / {caller.got()[1]}")

        log("3. the caller stops: the waiting side's pads end; call=first gets through next")
        caller.stop()
        wait_for(lambda: waiting.got()[2] >= 2, 30, "EOS on the waiting side's pads",
                 diag=lambda: f"waiting {waiting.got()}")
        check(waiting.bin.get_property("peer") is None, "the waiting side still names a peer")
        before = waiting.got()[0]["video"]
        second = Side(uri, call="first", pattern="snow")
        sides.append(second)
        second.play()
        wait_for(lambda: second.got()[0]["video"] >= 30 and waiting.got()[0]["video"] > before + 30,
                 30, "the second call's media", diag=lambda: f"waiting {waiting.got()}, second {second.got()}")
    finally:
        for s in sides:
            s.stop()
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
        log_file.close()


if __name__ == "__main__":
    run_main(main)
