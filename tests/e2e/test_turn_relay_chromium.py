#!/usr/bin/python3
"""ICE configuration follows the element (issue 14): the viewer page gets the sink's TURN server
from the signalling welcome, with credentials of its own made from `turn-secret` (coturn's
use-auth-secret), with nothing in the page's URL but `?ice-transport-policy=relay` (TURN only).

coturn runs on 127.0.0.1 (allow-loopback-peers). For TURN over UDP and over TCP:
1. the page's RTCPeerConnection has the TURN server, its username is "EXPIRY:<its peer id>";
2. the page plays through a relay candidate (the selected pair's local candidate is a relay of
   that protocol) at >= 20 fps;
3. coturn accepted the credentials (it logs the allocation), and a sink with the wrong secret
   gets no viewer through.
Run: /usr/bin/python3 tests/e2e/test_turn_relay_chromium.py
"""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium, find_chromium  # noqa: E402
from nat_viewer import PAIR_JS  # noqa: E402
from util import (SKIP, Pipeline, artifact_path, check, free_port, log, require_element,  # noqa: E402
                  run_main, viewer_state, wait_for, wait_http)

SECRET = "rtckit-test-secret"



class Coturn:
    def __init__(self, port):
        self.log_path = artifact_path(f"coturn-{port}.log")
        self.proc = subprocess.Popen(
            ["turnserver", "-n", "--listening-ip=127.0.0.1", f"--listening-port={port}",
             "--relay-ip=127.0.0.1", "--min-port=49160", "--max-port=49200", "--realm=rtckit",
             "--use-auth-secret", f"--static-auth-secret={SECRET}", "--allow-loopback-peers",
             "--cli-password=unused-cli-pass", "--no-tls", "--no-dtls", "--no-multicast-peers",
             f"--log-file={self.log_path}", "--simple-log", "--verbose"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        time.sleep(0.5)
        check(self.proc.poll() is None, f"coturn exited: see {self.log_path}")

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def sink(port, turn, secret):
    return Pipeline(f"videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
                    f"rtcbroadcastsink address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 "
                    f"video-codecs=vp8 turn-servers={turn} turn-secret={secret}", name="turn-sink")


def relay_case(chromium, turn_port, transport):
    port = free_port()
    query = "?transport=tcp" if transport == "tcp" else ""
    s = sink(port, f"turn://127.0.0.1:{turn_port}{query}", SECRET)
    try:
        wait_http(f"http://127.0.0.1:{port}/stats", 20)
        tab = chromium.open(f"http://127.0.0.1:{port}/?ice-transport-policy=relay")
        wait_for(lambda: viewer_state(tab)["state"] == "playing", 30, f"TURN/{transport}: playing",
                 diag=lambda: f"{viewer_state(tab)} {chromium.console_log()[-5:]}")
        cfg = tab.eval("rtckit.pc.getConfiguration().iceServers")
        log(f"TURN/{transport}: the page's ICE servers {[(c['urls'], c.get('username')) for c in cfg]}")
        check(len(cfg) == 1 and f"turn:127.0.0.1:{turn_port}{query}" in str(cfg[0]["urls"]),
              f"the page's ICE servers {cfg}")
        user = cfg[0].get("username", "")
        peer = tab.eval("rtckit.peerId")
        check(user.endswith(":" + peer) and int(user.split(":")[0]) > time.time(),
              f"username {user!r} is not EXPIRY:{peer}")
        pair = wait_for(lambda: tab.exec(PAIR_JS), 10, "a selected candidate pair")
        log(f"TURN/{transport}: selected pair {pair}")
        check(pair["local"] == "relay" and pair["relay_protocol"] == transport,
              f"the page does not go through a {transport} relay: {pair}")
        frames = lambda: tab.eval("document.getElementById('video').getVideoPlaybackQuality().totalVideoFrames")
        f0, t0 = frames(), time.monotonic()
        time.sleep(3)
        fps = (frames() - f0) / (time.monotonic() - t0)
        log(f"TURN/{transport}: {fps:.1f} fps through the relay")
        check(fps >= 20, f"{fps:.1f} fps through the relay")
        tab.close()
    finally:
        s.stop()


def main():
    if not find_chromium():
        log("no chromium binary")
        return SKIP
    if not shutil.which("turnserver"):
        log("coturn is not installed (tools/dev.sh installs it)")
        return SKIP
    require_element("rtcbroadcastsink")
    turn_port = free_port()
    coturn = Coturn(turn_port)
    try:
        with Chromium() as chromium:
            relay_case(chromium, turn_port, "udp")
            relay_case(chromium, turn_port, "tcp")

            log("a sink with the wrong secret: the page's credentials are refused, no viewer plays")
            port = free_port()
            s = sink(port, f"turn://127.0.0.1:{turn_port}", "not-the-secret")
            try:
                wait_http(f"http://127.0.0.1:{port}/stats", 20)
                tab = chromium.open(f"http://127.0.0.1:{port}/?ice-transport-policy=relay")
                errors = wait_for(lambda: tab.eval("rtckit.iceErrors && rtckit.iceErrors.length ? rtckit.iceErrors : null"),
                                  15, "the page hears the TURN server's refusal")
                state = viewer_state(tab)["state"]
                check(state != "playing", "a viewer played with credentials coturn must refuse")
                check(any(e["code"] == 401 for e in errors), f"the page's ICE errors: {errors}")
                words = tab.eval("rtckitSignalling.iceErrorText(rtckit)")
                log(f"   the page says: {words}")
                check("refused our credentials" in words, f"the page says {words!r}")
                log(f"   the page is {state!r}; coturn says: "
                    f"{[l for l in coturn.log().splitlines() if '401' in l or 'integrity' in l.lower()][-1:]}")
            finally:
                s.stop()
    finally:
        coturn.stop()


if __name__ == "__main__":
    run_main(main)
