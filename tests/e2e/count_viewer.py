#!/usr/bin/python3
"""A pipeline viewer for the e2e tests: rtcingestsrc (serve=false) consuming the first producer
of a signalling server, its video counted. Prints one JSON line a second:
{"frames": N, "nacks": N, "firs": N, "plis": N} (video buffers out of rtcingestsrc, and the
feedback its rtpsession sent), so tests can read rates without gst-launch -v.

Usage: count_viewer.py WS_URI ICE_LOCAL_ADDRESSES
"""

import json
import os
import sys

os.environ.setdefault("GST_DEBUG", "*:1")
import gi  # noqa: E402
gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main():
    uri, addresses = sys.argv[1], sys.argv[2]
    Gst.init(None)
    pipe = Gst.Pipeline.new("viewer")
    src = Gst.parse_launch(f"rtcingestsrc name=src serve=false signaller::uri={uri} "
                           f"ice-local-addresses={addresses}")
    pipe.add(src)
    counts = {"frames": 0, "nacks": 0, "firs": 0, "plis": 0}

    def on_buffer(pad, info):
        counts["frames"] += 1
        return Gst.PadProbeReturn.OK

    def on_pad(el, pad):
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        pipe.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))
        if pad.get_name().startswith("video"):
            pad.add_probe(Gst.PadProbeType.BUFFER, on_buffer)
    src.connect("pad-added", on_pad)

    def feedback():
        # The rtpsession of the (single) peer connection: what this viewer asked the sender for.
        it = pipe.iterate_recurse()
        while True:
            ok, e = it.next()
            if ok != Gst.IteratorResult.OK:
                break
            if e.get_factory() and e.get_factory().get_name() == "rtpsession":
                stats = e.get_property("stats")
                sources = stats.get_value("source-stats")
                for s in sources:
                    if not s.get_value("internal") and s.get_value("clock-rate") == 90000:
                        counts["nacks"] = s.get_value("sent-nack-count")
                        counts["firs"] = s.get_value("sent-fir-count")
                        counts["plis"] = s.get_value("sent-pli-count")
        print(json.dumps(counts), flush=True)
        return True

    loop = GLib.MainLoop()
    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message::error", lambda b, m: (print(json.dumps({"error": str(m.parse_error())}),
                                                      flush=True), loop.quit()))
    GLib.timeout_add(1000, feedback)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2, loop.quit)   # SIGINT
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, loop.quit)  # SIGTERM
    pipe.set_state(Gst.State.PLAYING)
    loop.run()
    pipe.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
