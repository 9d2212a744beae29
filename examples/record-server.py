#!/usr/bin/python3
"""Recording server: every browser that opens http://ADDRESS/publish is recorded to its own
Matroska file, audio and video as the browser encoded them (no transcoding).

    examples/record-server.py --dir recordings [--address 127.0.0.1:8080]
                              [--ice-local-addresses 127.0.0.1] [PROPERTY=VALUE ...]

Extra PROPERTY=VALUE arguments are set on rtcingestsrc (e.g. video-codecs=vp8, or a child's:
signaller::auth-token=SECRET makes the embedded server's /whip ask for that bearer token).

How it works: rtcingestsrc adds a `video_%u` / `audio_%u` pad per track of each publisher, then
emits `publisher-ready`. In that signal (before any data flows) we build one bin per publisher,
    queue ! [h264parse ! avc3] ! matroskamux ! filesink   (one queue per pad, one muxer per publisher)
and link the publisher's pads to it. When the publisher leaves, its pads get EOS, the muxer
writes its index and duration, and the bin is removed; the server keeps recording the others.

Crash safety: matroskamux starts a new cluster at least every second and filesink writes
unbuffered, so a SIGKILL loses at most the last second or so; such a file has no index or
duration but plays. SIGINT/SIGTERM: EOS into every recording, wait for them to be finalised
(at most 10 s), exit 0 (1 when a recording could not be finalised). A second signal exits at once.

Needs python3-gi (Debian: python3-gi gir1.2-gstreamer-1.0) and the rtckit plugin: run it from a
built tree (GST_PLUGIN_PATH is set to <source>/build/plugins when that exists).
"""

import argparse
import os
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_build_plugins = os.path.join(HERE, "..", "build", "plugins")
if os.path.isdir(_build_plugins) and "GST_PLUGIN_PATH" not in os.environ:
    os.environ["GST_PLUGIN_PATH"] = os.path.normpath(_build_plugins)

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

CLUSTER_NS = 1 * Gst.SECOND      # longest stretch a SIGKILL can lose (plus what is in flight)
FINALISE_TIMEOUT_S = 10


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


def make(factory, name=None, **props):
    e = Gst.ElementFactory.make(factory, name)
    if e is None:
        raise RuntimeError(f"GStreamer element {factory!r} is missing")
    for k, v in props.items():
        e.set_property(k.rstrip("_").replace("_", "-"), v)
    return e


def pad_mentions(pad, publisher_id):
    """True when the pad names this publisher: a publisher-id property, a sticky tag or its name."""
    for prop in ("publisher-id", "publisher_id", "peer-id"):
        if pad.find_property(prop) is not None:
            try:
                if pad.get_property(prop) == publisher_id:
                    return True
            except TypeError:
                pass
    i = 0
    while True:
        ev = pad.get_sticky_event(Gst.EventType.TAG, i)
        if ev is None:
            break
        tags = ev.parse_tag()
        for n in range(tags.n_tags()):
            name = tags.nth_tag_name(n)
            for k in range(tags.get_tag_size(name)):
                if str(tags.get_value_index(name, k)) == publisher_id:
                    return True
        i += 1
    return publisher_id in pad.get_name()


class Recording:
    """One publisher: a bin with a queue (and parser) per pad, a matroskamux and a filesink."""

    def __init__(self, server, publisher_id, session_id, pads, path):
        self.server = server
        self.publisher_id = publisher_id
        self.session_id = session_id
        self.path = path
        self.src_pads = list(pads)
        self.started = time.monotonic()
        self.finished = False
        self.bin = Gst.Bin.new(f"rec-{publisher_id}")
        self.mux = make("matroskamux", offset_to_zero=True, streamable=False,
                        max_cluster_duration=CLUSTER_NS, min_cluster_duration=CLUSTER_NS // 2,
                        writing_app="rtckit record-server")
        self.sink = make("filesink", location=path, buffer_mode=2, sync=False, async_=False)
        self.bin.add(self.mux)
        self.bin.add(self.sink)
        self.mux.link(self.sink)
        self.ghosts = []
        self.kinds = []
        for i, pad in enumerate(self.src_pads):
            self.ghosts.append(self._add_stream(i, pad))
        self.sink.get_static_pad("sink").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self._on_sink_event)

    def _add_stream(self, i, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        media = caps.get_structure(0).get_name() if caps and caps.get_size() else ""
        kind = "audio" if media.startswith("audio/") or pad.get_name().startswith("audio") else "video"
        self.kinds.append(media or kind)
        chain = [make("queue", max_size_buffers=0, max_size_bytes=0, max_size_time=3 * Gst.SECOND)]
        # The muxer wants H.264/H.265 access units: the parser converts (no re-encode). avc3/hev1
        # keep the parameter sets in the stream, so a browser that changes resolution mid-stream
        # (its congestion control scales the picture) goes on in the same file; with avc/hvc1 the
        # new codec_data is a caps change that matroskamux refuses.
        if media == "video/x-h264":
            chain += [make("h264parse"), make("capsfilter", caps=Gst.Caps.from_string(
                "video/x-h264,stream-format=avc3,alignment=au"))]
        elif media == "video/x-h265":
            chain += [make("h265parse"), make("capsfilter", caps=Gst.Caps.from_string(
                "video/x-h265,stream-format=hev1,alignment=au"))]
        for e in chain:
            self.bin.add(e)
        for a, b in zip(chain, chain[1:]):
            a.link(b)
        mux_pad = self.mux.request_pad_simple(f"{kind}_%u")
        if mux_pad is None or chain[-1].get_static_pad("src").link(mux_pad) != Gst.PadLinkReturn.OK:
            raise RuntimeError(f"matroskamux cannot take {media or pad.get_name()}")
        ghost = Gst.GhostPad.new(f"sink_{i}", chain[0].get_static_pad("sink"))
        ghost.set_active(True)
        self.bin.add_pad(ghost)
        return ghost

    def attach(self, pipeline):
        pipeline.add(self.bin)
        self.bin.sync_state_with_parent()
        for pad, ghost in zip(self.src_pads, self.ghosts):
            r = pad.link(ghost)
            if r != Gst.PadLinkReturn.OK:
                raise RuntimeError(f"cannot link {pad.get_name()} to the recording: {r.value_nick}")

    def _on_sink_event(self, pad, info):
        if info.get_event().type == Gst.EventType.EOS and not self.finished:
            self.finished = True
            GLib.idle_add(self.server.remove_recording, self)
        return Gst.PadProbeReturn.OK

    def stop(self):
        """Finalise now (server shutdown): drop further data from the source, EOS into the bin."""
        def drop(pad, info):
            return Gst.PadProbeReturn.DROP
        for pad in self.src_pads:
            pad.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST, drop)
        for ghost in self.ghosts:
            ghost.send_event(Gst.Event.new_eos())


class RecordServer:
    def __init__(self, args, extra_props):
        self.args = args
        self.loop = GLib.MainLoop()
        self.lock = threading.Lock()
        self.pending_pads = []        # pads added and not yet given to a recording
        self.recordings = {}          # publisher id -> Recording
        self.stopping = False
        self.exit_code = 0
        self.pipeline = Gst.Pipeline.new("record-server")
        self.src = make("rtcingestsrc", "ingest")
        Gst.util_set_object_arg(self.src, "address", args.address)
        if args.ice_local_addresses:
            Gst.util_set_object_arg(self.src, "ice-local-addresses", args.ice_local_addresses)
        for kv in extra_props:
            k, _, v = kv.partition("=")
            target = self.src
            if "::" in k:  # a child's property, e.g. signaller::auth-token=SECRET
                found, target, pspec = self.src.lookup(k)
                if not found:
                    raise SystemExit(f"rtcingestsrc has no property {k!r}")
                k = pspec.name
            Gst.util_set_object_arg(target, k, v)
        self.pipeline.add(self.src)
        self.src.connect("pad-added", self.on_pad_added)
        self.src.connect("pad-removed", self.on_pad_removed)
        self.src.connect("publisher-ready", self.on_publisher_ready)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    # ---- streaming-thread callbacks -------------------------------------------------------------

    def on_pad_added(self, element, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        with self.lock:
            self.pending_pads.append(pad)

    def on_pad_removed(self, element, pad):
        with self.lock:
            if pad in self.pending_pads:
                self.pending_pads.remove(pad)

    def on_publisher_ready(self, element, publisher_id, session_id):
        """Runs before the publisher's data flows: build and link its recording right here."""
        with self.lock:
            if self.stopping:
                log(f"publisher {publisher_id}: not recorded (shutting down)")
                return
            mine = [p for p in self.pending_pads if pad_mentions(p, publisher_id)]
            if not mine:  # pads that do not name their publisher: the ones added since the last ready
                mine = list(self.pending_pads)
            for p in mine:
                self.pending_pads.remove(p)
            if not mine:
                log(f"publisher {publisher_id}: ready without pads, nothing to record")
                return
            path = self.file_for(publisher_id)
            try:
                rec = Recording(self, publisher_id, session_id, mine, path)
                rec.attach(self.pipeline)
            except Exception as e:
                log(f"publisher {publisher_id}: cannot record: {e}")
                return
            self.recordings[publisher_id] = rec
        log(f"recording publisher {publisher_id} ({', '.join(rec.kinds)}) to {path}")

    def file_for(self, publisher_id):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = os.path.join(self.args.dir, f"{publisher_id}-{stamp}")
        path, n = base + ".mkv", 1
        while os.path.exists(path):
            path, n = f"{base}-{n}.mkv", n + 1
        return path

    # ---- main-loop callbacks --------------------------------------------------------------------

    def remove_recording(self, rec):
        rec.bin.set_state(Gst.State.NULL)
        self.pipeline.remove(rec.bin)
        with self.lock:
            if self.recordings.get(rec.publisher_id) is rec:
                del self.recordings[rec.publisher_id]
            left = len(self.recordings)
        try:
            size = os.path.getsize(rec.path)
        except OSError:
            size = -1
        log(f"finalised {rec.path} ({size} bytes, {time.monotonic() - rec.started:.1f} s)")
        if self.stopping and left == 0:
            self.loop.quit()
        return GLib.SOURCE_REMOVE

    def recording_of(self, obj):
        with self.lock:
            recs = list(self.recordings.values())
        while obj is not None:
            for rec in recs:
                if obj is rec.bin:
                    return rec
            obj = obj.get_parent()
        return None

    def on_message(self, bus, msg):
        t = msg.type
        if t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s and s.get_name().startswith("rtckit-"):
                log(f"{s.get_name()}: {s.to_string()}")
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            rec = self.recording_of(msg.src)
            if rec is not None:  # one recording failed: drop it, keep serving the others
                log(f"recording {rec.path} failed: {err.message} ({dbg})")
                rec.finished = True
                GLib.idle_add(self.remove_recording, rec)
                return
            log(f"error from {msg.src.get_path_string()}: {err.message} ({dbg})")
            self.exit_code = 1
            self.loop.quit()
        elif t == Gst.MessageType.WARNING:
            w, dbg = msg.parse_warning()
            log(f"warning from {msg.src.get_path_string()}: {w.message}")
        elif t == Gst.MessageType.EOS:
            # All current sinks are at EOS: only meaningful when we are shutting down.
            with self.lock:
                if self.stopping and not self.recordings:
                    self.loop.quit()

    def on_signal(self, signum):
        if self.stopping:
            log("second signal: exiting without waiting")
            self.exit_code = 1
            self.loop.quit()
            return GLib.SOURCE_CONTINUE
        log(f"signal {signum}: finalising {len(self.recordings)} recording(s)")
        with self.lock:
            self.stopping = True
            recs = list(self.recordings.values())
        if not recs:
            self.loop.quit()
            return GLib.SOURCE_CONTINUE
        for rec in recs:
            rec.stop()

        def timeout():
            with self.lock:
                left = [r.path for r in self.recordings.values()]
            if left:
                log(f"not finalised after {FINALISE_TIMEOUT_S} s: {left}")
                self.exit_code = 1
                self.loop.quit()
            return GLib.SOURCE_REMOVE
        GLib.timeout_add_seconds(FINALISE_TIMEOUT_S, timeout)
        return GLib.SOURCE_CONTINUE

    def run(self):
        os.makedirs(self.args.dir, exist_ok=True)
        for s in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, s, self.on_signal, s)
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            log("cannot start rtcingestsrc (address in use?)")
            return 1
        url = None
        if self.src.find_property("url") is not None:
            url = self.src.get_property("url")
        if not url or "/publish" not in url:
            host = (url.split("//", 1)[-1].split("/", 1)[0] if url else self.args.address)
            url = f"http://{host}/publish"
        log(f"recording every publisher to {os.path.abspath(self.args.dir)}/: open {url} in a browser")
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        log(f"exit {self.exit_code}")
        return self.exit_code


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--address", default="127.0.0.1:8080",
                    help="where the embedded server listens (default 127.0.0.1:8080; 0.0.0.0:8080 for a LAN)")
    ap.add_argument("--dir", default="recordings", help="directory for the .mkv files (default ./recordings)")
    ap.add_argument("--ice-local-addresses", default=None,
                    help="restrict ICE to these local IPs, comma-separated (tests: 127.0.0.1)")
    ap.add_argument("props", nargs="*", metavar="PROPERTY=VALUE", help="more rtcingestsrc properties")
    args = ap.parse_args()
    for kv in args.props:
        if "=" not in kv:
            ap.error(f"expected PROPERTY=VALUE, got {kv!r}")
    Gst.init(None)
    try:
        server = RecordServer(args, args.props)
    except RuntimeError as e:
        log(e)
        return 1
    return server.run()


if __name__ == "__main__":
    sys.exit(main())
