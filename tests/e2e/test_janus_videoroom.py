#!/usr/bin/python3
"""Issue 6, Janus VideoRoom: rtcbroadcastsink publishes straight into Debian's Janus through its
HTTP API (signaller=janus signaller::uri=janus+http://...): it creates an H.264 + Opus room (create-room), joins
it as a publisher with a display name and publishes; headless Chromium subscribing through Janus
decodes the video and receives the audio. Stopping the pipeline leaves the room.

Janus runs in a network namespace of this test (see janus.py). Needs root (ip netns)."""

import os
import random
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from util import Pipeline, artifact_path, check, require_element, run_main, wait_for  # noqa: E402
from browsers import Chromium  # noqa: E402
import janus as J  # noqa: E402

DISPLAY = "rtckit-e2e"


def main():
    require_element("rtcbroadcastsink")
    workdir = artifact_path(f"janus-videoroom-{os.getpid()}")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    room = random.randint(100000, 999999)  # not in Janus's config: the signaller creates it
    with J.Netns(), J.start_janus(workdir) as janus:
        # The spelling (signaller=janus): the Janus signaller's settings follow in the
        # order one writes them.
        with Pipeline(f"rtcbroadcastsink name=s signaller=janus "
                      f"signaller::uri=janus+http://{J.NS_IP}:8088/janus signaller::room={room} "
                      f"signaller::display={DISPLAY} signaller::create-room=true "
                      "signaller::keepalive-interval=5 "
                      f"ice-local-addresses={J.HOST_IP} video-codecs=h264 "
                      "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 "
                      "! s.video_0 audiotestsrc is-live=true ! s.audio_0",
                      name="janus-videoroom") as pipe:
            diag = lambda: f"{janus.tail(30)}\n{pipe.tail(20)}"  # noqa: E731
            wait_for(lambda: "WebRTC media is now available" in janus.text(), 20,
                     "Janus receiving the publisher", diag=diag)
            with Chromium(extra_flags=["--disable-features=WebRtcHideLocalIpsWithMdns"]) as browser:
                s, fps, full_diag = J.chromium_decodes_through_janus(browser, room, diag)
                check(s.get("display") == DISPLAY, f"publisher display {s.get('display')!r}",
                      diag=full_diag)
                check(fps > 15, f"{fps:.1f} fps decoded", diag=full_diag)
                check(s.get("width") == 320, f"width {s.get('width')}", diag=full_diag)
                check((s.get("audioPackets") or 0) > 50, "Chromium receives the audio too",
                      diag=full_diag)
            check("Unknown SSRC" not in janus.text(), "Janus dropped packets of an unknown SSRC",
                  diag=diag)
            check(pipe.alive(), "the pipeline is still running", diag=pipe.tail)
            rc = pipe.stop()
            check(rc == 0, f"gst-launch exit {rc}", diag=pipe.tail)
        # stop() sent leave and destroyed the Janus session.
        wait_for(lambda: "No WebRTC media anymore" in janus.text(), 10,
                 "the publisher gone from Janus after stop", diag=janus.tail)


if __name__ == "__main__":
    run_main(main)
