#!/usr/bin/python3
"""Servers behind NAT (issue 14): with `public-address`, rtcbroadcastsink also announces each host
candidate with the public address (same port, a foundation of its own), keeps ICE within
`ice-port-range`, and prints its URL with the public address.

A WHEP offer from aiortc (recvonly video, on 127.0.0.1) is POSTed to the sink's /whep; the
answer's candidates must come in pairs: 127.0.0.1:P and 203.0.113.7:P, with P in the range.
Nothing is sent to 203.0.113.7: the test only reads the SDP.
Run: /usr/bin/python3 tests/e2e/test_public_address.py
"""

import asyncio
import os
import re
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from util import SKIP, Pipeline, check, free_port, log, require_element, run_main, wait_for, wait_http  # noqa: E402

PUBLIC = "203.0.113.7"  # TEST-NET-3: documentation only, never routed


async def whep_offer():
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]
    from aiortc import RTCConfiguration, RTCPeerConnection
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def main():
    try:
        import aiortc  # noqa: F401
    except ImportError:
        log("python3-aiortc is not installed (tools/dev.sh installs it)")
        return SKIP
    require_element("rtcbroadcastsink")
    port = free_port()
    sink = Pipeline(f"videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
                    f"rtcbroadcastsink address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 "
                    f"video-codecs=vp8 public-address={PUBLIC} ice-port-range=41000-41010",
                    name="public-address-sink")
    try:
        wait_http(f"http://127.0.0.1:{port}/stats", 20)
        printed = wait_for(lambda: re.search(r"open (\S+) in a web browser", sink.tail(50)), 10,
                           "the printed URL")
        log(f"printed URL: {printed.group(1)}")
        check(printed.group(1) == f"http://{PUBLIC}:{port}/", f"printed {printed.group(1)}")
        offer = asyncio.run(whep_offer())
        req = urllib.request.Request(f"http://127.0.0.1:{port}/whep", data=offer.encode(),
                                     headers={"Content-Type": "application/sdp"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            check(r.status == 201, f"WHEP status {r.status}")
            answer = r.read().decode()
        cands = re.findall(r"a=candidate:(\S+) \d+ (\S+) \d+ (\S+) (\d+) typ host", answer)
        log(f"host candidates in the answer: {[(a, p, proto) for _, proto, a, p in cands]}")
        local = {(proto.lower(), p) for _, proto, a, p in cands if a == "127.0.0.1"}
        public = {(proto.lower(), p) for _, proto, a, p in cands if a == PUBLIC}
        check(local and local == public, f"every 127.0.0.1 candidate has a {PUBLIC} twin: "
              f"{sorted(local)} vs {sorted(public)}")
        udp = [int(p) for proto, p in local if proto == "udp"]
        check(udp and all(41000 <= p <= 41010 for p in udp), f"UDP ports {udp} outside 41000-41010")
        founds = {f for f, *_ in cands}
        check(len(founds) == len(cands), "the public twins need foundations of their own")
    finally:
        sink.stop()


if __name__ == "__main__":
    run_main(main)
