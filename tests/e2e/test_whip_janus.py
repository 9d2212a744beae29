#!/usr/bin/python3
"""Issue 6, WHIP client: rtcbroadcastsink (signaller=whip) publishes through Debian's simple-whip-server into
Debian's Janus VideoRoom, and headless Chromium subscribing through Janus's HTTP API decodes
the video. Janus drops RTP of SSRCs its SDP does not know, so this also proves that offers made
for a WHIP endpoint announce their SSRC, and (issue 15) that the sink follows the REMB with which
Janus caps its publishers.

Janus and simple-whip-server run in a network namespace of this test (see janus.py); the pipeline
and Chromium reach them over a veth pair. simple-whip-server comes from tools/install-e2e-deps.sh
(or RTCKIT_SWS_DIR, RTCKIT_SWS_CONFIG, RTCKIT_SWS_NODE_PATH). Needs root (ip netns)."""

import json
import time
import os
import shutil
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from util import Pipeline, artifact_path, check, log, require_element, run_main, wait_for  # noqa: E402
from browsers import Chromium  # noqa: E402
import janus as J  # noqa: E402

ROOM = 1234  # the demo room of Debian's videoroom config: VP8


def main():
    require_element("rtcbroadcastsink")
    workdir = artifact_path(f"whip-janus-{os.getpid()}")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    with J.Netns(), J.start_janus(workdir) as janus, J.start_simple_whip_server(workdir) as sws:
        endpoint = "cam-" + uuid.uuid4().hex[:8]
        token = uuid.uuid4().hex
        r = subprocess.run(["curl", "-sf", "-XPOST", "-H", "content-type: application/json",
                            "-d", json.dumps({"id": endpoint, "room": ROOM, "token": token}),
                            f"http://{J.NS_IP}:7080/whip/create"], capture_output=True, text=True)
        check(r.returncode == 0, f"POST /whip/create failed: {r.stdout} {r.stderr}")

        whip = f"http://{J.NS_IP}:7080/whip/endpoint/{endpoint}"
        with Pipeline("videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 "
                      f"! rtcbroadcastsink signaller=whip signaller::uri={whip} "
                      f"signaller::auth-token={token} ice-local-addresses={J.HOST_IP} "
                      "video-codecs=vp8", name="whip-janus") as pipe:
            diag = lambda: f"{janus.tail(30)}\n{sws.tail(10)}\n{pipe.tail(20)}"  # noqa: E731
            wait_for(lambda: "WebRTC media is now available" in janus.text(), 20,
                     "Janus receiving the WHIP publisher", diag=diag)
            with Chromium(extra_flags=["--disable-features=WebRtcHideLocalIpsWithMdns"]) as browser:
                s, fps, full_diag = J.chromium_decodes_through_janus(browser, ROOM, diag)
                # Janus's room 1234 caps its publishers at 128 kbit/s and says so by REMB (32,
                # 43, 64, then 128 kbit/s, then 128 every 5 s), while it also sends TWCC feedback.
                # The sink follows the REMB down its ladder (320x240 input: rungs 320x240 at
                # 2000 kbit/s and 160x120 at 600; none smaller) as a browser publisher lowers its
                # bitrate. First the lowest rung's VP8 base layer alone (every other frame)...
                check(fps >= 14, f"{fps:.1f} fps decoded", diag=full_diag)
                check(s.get("width") == 160,
                      f"width {s.get('width')}: Janus's REMB (128 kbit/s) not followed down the "
                      "ladder", diag=full_diag)
                # ...then, the publisher being the rung's only viewer, the rung's encoder runs at
                # what the REMB allows: all frames, within Janus's cap; and TWCC's estimate of the
                # (loopback) link does not lift it back up the ladder while Janus keeps sending it.
                time.sleep(5)
                s0, t0 = full_diag.stats(), time.monotonic()
                time.sleep(4)
                s = full_diag.stats()
                dt = time.monotonic() - t0
                fps = (s["framesDecoded"] - s0["framesDecoded"]) / dt
                kbps = (s["bytesReceived"] - s0["bytesReceived"]) * 8 / 1000 / dt
                log(f"Chromium via Janus, 9 s on: {s}, {fps:.1f} fps, {kbps:.0f} kbit/s")
                check(s.get("width") == 160, f"9 s on: width {s.get('width')}: the sink climbed back "
                      "up its ladder under Janus's 128 kbit/s REMB", diag=full_diag)
                check(fps >= 25 and kbps <= 160,
                      f"9 s on: {fps:.1f} fps at {kbps:.0f} kbit/s: the lowest rung should run at "
                      "full rate within Janus's 128 kbit/s (25 % over it allowed)", diag=full_diag)
            check("Unknown SSRC" not in janus.text(), "Janus dropped packets of an unknown SSRC",
                  diag=diag)
            rc = pipe.stop()
            check(rc == 0, f"gst-launch exit {rc}", diag=pipe.tail)
        # stop() DELETEd the resource: Janus tore the publisher down.
        wait_for(lambda: "No WebRTC media anymore" in janus.text(), 10,
                 "the publisher gone from Janus after the DELETE", diag=janus.tail)


if __name__ == "__main__":
    run_main(main)
