#!/usr/bin/python3
"""Reach any viewer (issue 14): rtcbroadcastsink behind one NAT, headless Chromium behind
another, coturn on the "public" bridge between them (tests/e2e/natlab.py). The page gets every
ICE server from the sink (nothing in its URL); each case asserts the selected candidate pair and
>= 25 fps for 5 s, and records the time from navigation to the first frame (printed; the
benchmark table keeps the figures, tests assert no timing).

  cone/cone        endpoint-independent NATs, STUN: server-reflexive (or peer-reflexive) pair
  cone/cone+turn   the same with TURN configured too: still the srflx pair
  symmetric        both NATs --random-fully, TURN with turn-secret: a relay pair
  udp-blocked      the viewer's router drops outgoing UDP: TURN over TCP
  udp-blocked-tls  the same through turns:// (TURN over TLS; the test's self-signed certificate,
                   which the viewer's Chromium is told to accept)
  port-forward     no STUN/TURN: the sender's router forwards TCP 8080 and UDP 50000-50010,
                   the sink says public-address=<router's WAN> and ice-port-range: a pair to
                   the forwarded host candidate
  one-tcp-port     only TCP 50000 forwarded (ice-port-range=50000-50000): ICE-TCP to it
  publish-symmetric  Chromium's publish page into rtcingestsrc, both behind symmetric NATs:
                   a relay pair, and the pipeline receives the browser's video
Needs root. Run: /usr/bin/python3 tests/e2e/test_nat_matrix.py [case ...]
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import find_chromium  # noqa: E402
from natlab import LAN, PUB_IP, WAN, Lab  # noqa: E402
from util import SKIP, Pipeline, artifact_path, check, log, require_element, run_main  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "rtckit-nat-secret"
PORT = 8080
RESULTS = []


def tls_files():
    """A self-signed certificate for the TURN server's address (TURN over TLS)."""
    cert, key = artifact_path("turn-cert.pem"), artifact_path("turn-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={PUB_IP}", "-addext", f"subjectAltName=IP:{PUB_IP}",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def start_coturn(lab):
    log_path = artifact_path(f"coturn-nat-{lab.tag}.log")
    cert, key = tls_files()
    proc = subprocess.Popen(
        ["ip", "netns", "exec", lab.ns["PUB"], "turnserver", "-n", f"--listening-ip={PUB_IP}",
         f"--relay-ip={PUB_IP}", "--listening-port=3478", "--tls-listening-port=5349",
         f"--cert={cert}", f"--pkey={key}", "--min-port=49160", "--max-port=49400",
         "--realm=rtckit", "--use-auth-secret", f"--static-auth-secret={SECRET}",
         "--cli-password=unused-cli-pass", "--no-dtls", "--no-multicast-peers",
         f"--log-file={log_path}", "--simple-log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    time.sleep(0.5)
    check(proc.poll() is None, f"coturn exited: see {log_path}")
    return proc


def run_case(name, symmetric=(), ice="", extra="", setup=None, expect=None, viewer_flags=""):
    log(f"--- {name}")
    with Lab(symmetric=symmetric) as lab:
        coturn = start_coturn(lab)
        lab.forward("A", "tcp", str(PORT))  # the signalling (and the page) only
        if setup:
            setup(lab)
        sink = Pipeline(
            f"videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1 ! "
            f"rtcbroadcastsink address={LAN['A'][1]}:{PORT} video-codecs=vp8 {ice} {extra}",
            name=f"nat-{name}-sink", prefix=lab.prefix("HOSTA").split())
        try:
            time.sleep(1.0)
            r = subprocess.run(["ip", "netns", "exec", lab.ns["HOSTB"], "/usr/bin/python3",
                                os.path.join(HERE, "nat_viewer.py"), f"http://{WAN['A']}:{PORT}/"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120,
                               env=dict(os.environ, NAT_VIEWER_FLAGS=viewer_flags))
            lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
            check(lines, f"{name}: the viewer printed nothing: {r.stderr[-2000:]}")
            res = json.loads(lines[-1])
            log(f"{name}: {res}")
            RESULTS.append((name, res))
            check(res["error"] is None, f"{name}: {res['error']}", diag=lambda: sink.tail(20))
            check(res["state"] == "playing", f"{name}: the page is {res['state']}")
            check(not res["url_has_password"], "ICE servers in the URL")
            check(res["fps"] >= 25, f"{name}: {res['fps']:.1f} fps")
            expect(res["pair"])
        finally:
            sink.stop()
            coturn.terminate()
            coturn.wait(5)


def cone():
    def expect(pair):
        check(pair["local"] in ("srflx", "prflx") or pair["remote"] in ("srflx", "prflx"),
              f"cone/cone should cross by STUN: {pair}")
        check("relay" not in (pair["local"], pair["remote"]), f"cone/cone used a relay: {pair}")
    run_case("cone-cone", ice=f"stun-server=stun://{PUB_IP}:3478", expect=expect)


def cone_with_turn():
    """The same NATs with a TURN server configured too (as deployments have): libnice has two
    valid pairs early and nominates the best one at once, instead of waiting for the hopeless
    host pair to time out (bench/README.md)."""
    def expect(pair):
        check(pair["local"] in ("srflx", "prflx") or pair["remote"] in ("srflx", "prflx"),
              f"cone/cone with TURN should still cross by STUN: {pair}")
    run_case("cone-cone+turn", ice=f"stun-server=stun://{PUB_IP}:3478 "
             f"turn-servers=turn://{PUB_IP}:3478 turn-secret={SECRET}", expect=expect)


def symmetric():
    def expect(pair):
        check("relay" in (pair["local"], pair["remote"]), f"symmetric NATs need a relay: {pair}")
    run_case("symmetric", symmetric=("A", "B"),
             ice=f"stun-server=stun://{PUB_IP}:3478 turn-servers=turn://{PUB_IP}:3478 "
                 f"turn-secret={SECRET}", expect=expect)


def udp_blocked():
    def expect(pair):
        check(pair["local"] == "relay" and pair["relay_protocol"] == "tcp",
              f"a viewer without UDP goes through TURN over TCP: {pair}")
    run_case("udp-blocked", setup=lambda lab: lab.block_udp("B"),
             ice=f"turn-servers=turn://{PUB_IP}:3478?transport=tcp turn-secret={SECRET}",
             expect=expect)


def udp_blocked_tls():
    def expect(pair):
        check(pair["local"] == "relay" and pair["relay_protocol"] == "tls",
              f"a viewer without UDP goes through TURN over TLS: {pair}")
    run_case("udp-blocked-tls", setup=lambda lab: lab.block_udp("B"),
             ice=f"turn-servers=turns://{PUB_IP}:5349?transport=tcp turn-secret={SECRET}",
             expect=expect, viewer_flags="--ignore-certificate-errors")


def port_forward():
    def setup(lab):
        lab.forward("A", "udp", "50000:50010")

    def expect(pair):
        check(pair["remote_address"] == WAN["A"] and 50000 <= int(pair["remote_port"]) <= 50010,
              f"the page should reach the forwarded public address: {pair}")
    run_case("port-forward", setup=setup,
             extra=f"public-address={WAN['A']} ice-port-range=50000-50010", expect=expect)


def publish_through_turn():
    """A browser behind a symmetric NAT publishes into rtcingestsrc behind another one: the
    publish page gets the TURN server from the element too, and the media goes by a relay."""
    log("--- publish-symmetric")
    with Lab(symmetric=("A", "B")) as lab:
        coturn = start_coturn(lab)
        lab.forward("A", "tcp", str(PORT))
        ingest = Pipeline(
            f"-v rtcingestsrc name=src address={LAN['A'][1]}:{PORT} video-codecs=vp8 "
            f"stun-server=stun://{PUB_IP}:3478 turn-servers=turn://{PUB_IP}:3478 "
            f"turn-secret={SECRET} src.video_0 ! fakesink name=got silent=false sync=false",
            name="nat-publish-ingest", prefix=lab.prefix("HOSTA").split())
        try:
            time.sleep(1.0)
            r = subprocess.run(["ip", "netns", "exec", lab.ns["HOSTB"], "/usr/bin/python3",
                                os.path.join(HERE, "nat_viewer.py"), "--publish",
                                f"http://{WAN['A']}:{PORT}/publish"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
            lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
            check(lines, f"the publisher printed nothing: {r.stderr[-2000:]}")
            res = json.loads(lines[-1])
            log(f"publish-symmetric: {res}")
            check(res["error"] is None, f"publish-symmetric: {res['error']}",
                  diag=lambda: ingest.tail(20))
            check(not res["url_has_password"], "ICE servers in the URL")
            check("relay" in (res["pair"]["local"], res["pair"]["remote"]),
                  f"symmetric NATs need a relay: {res['pair']}")
            frames = ingest.tail(400).count("chain")
            log(f"publish-symmetric: the pipeline got {frames} video buffers (last lines of its log)")
            check(frames >= 60, f"the pipeline received {frames} buffers from the browser")
        finally:
            ingest.stop()
            coturn.terminate()
            coturn.wait(5)


def one_tcp_port():
    """The sender reachable only through one forwarded TCP port (and the signalling's): ICE-TCP
    to the public-address on it."""
    def setup(lab):
        lab.forward("A", "tcp", "50000")

    def expect(pair):
        check(pair["local_protocol"] == "tcp" and pair["remote_address"] == WAN["A"]
              and int(pair["remote_port"]) == 50000,
              f"the page should reach the one forwarded TCP port: {pair}")
    run_case("one-tcp-port", setup=setup,
             extra=f"public-address={WAN['A']} ice-port-range=50000-50000", expect=expect)


CASES = {"cone-cone": cone, "cone-cone+turn": cone_with_turn, "symmetric": symmetric, "udp-blocked": udp_blocked,
         "udp-blocked-tls": udp_blocked_tls,
         "port-forward": port_forward, "one-tcp-port": one_tcp_port, "publish-symmetric": publish_through_turn}


def main():
    if not find_chromium():
        log("no chromium binary")
        return SKIP
    if not shutil.which("turnserver"):
        log("coturn is not installed (tools/dev.sh installs it)")
        return SKIP
    require_element("rtcbroadcastsink")
    try:
        for name in sys.argv[1:] or CASES:
            CASES[name]()
    finally:
        log("case          pair (local/remote)          first frame   fps")
        for name, res in RESULTS:
            p = res.get("pair") or {}
            log(f"{name:13} {str(p.get('local')) + '/' + str(p.get('remote')):28} "
                f"{res.get('first_frame_ms') or 0:8.0f} ms  {res.get('fps', 0):5.1f}")


if __name__ == "__main__":
    run_main(main)
