#!/usr/bin/python3
"""A viewer on a narrow link (issue 11): repairs stay within the retransmission budget.

Two network namespaces of the test's own, joined by a veth pair, all traffic inside them:
  rtck-nl-snd-<pid>  10.99.0.1  rtcbroadcastsink (2.5 Mbit/s VP8 + Opus) and a steady viewer on
                                the namespace's own loopback;
  rtck-nl-view-<pid> 10.99.0.2  the narrow viewer (an rtcingestsrc pipeline), behind a tbf of
                                600 kbit/s on the sender's side of the veth.
The narrow viewer loses what the link cannot carry and asks for repairs. Over 20 s the test
measures what the sender pushed toward it (tbf's sent + dropped packets): at most the stream
plus the retransmission budget (a quarter), and the steady viewer keeps ~30 fps throughout.
A webrtcbin 1.22 viewer of a sender without a=ssrc asks with FIRs, not NACKs (it cannot tie the
SSRC to a transceiver); the budget's own behaviour under a flood of NACKs is a unit test
(tests/check/rtcbroadcastsink.cpp).

This kernel has no netem: delay and loss come from the tbf queue alone (a 50 ms queue).
Needs root. Run: /usr/bin/python3 tests/e2e/test_narrow_link.py
"""

import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from util import (Pipeline, Process, TestFailure, check, log, require_element,  # noqa: E402
                  run_main, wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
SND, VIEW = f"rtck-nl-snd-{os.getpid()}", f"rtck-nl-view-{os.getpid()}"
VETH_SND, VETH_VIEW = f"rnls{os.getpid() % 100000}", f"rnlv{os.getpid() % 100000}"
SND_IP, VIEW_IP = "10.99.0.1", "10.99.0.2"
PORT = 8080
LINK_KBPS = 600
STREAM_KBPS = 2500
MEASURE_S = 20


def sh(*argv, check_rc=True):
    r = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check_rc and r.returncode != 0:
        raise TestFailure(f"{' '.join(argv)} failed: {r.stdout}")
    return r.stdout


class Namespaces:
    def __enter__(self):
        if os.geteuid() != 0:
            raise TestFailure("root is needed for the network namespaces (ip netns)")
        sh("ip", "netns", "add", SND)
        sh("ip", "netns", "add", VIEW)
        try:
            sh("ip", "link", "add", VETH_SND, "netns", SND, "type", "veth", "peer", "name",
               VETH_VIEW, "netns", VIEW)
            for ns, dev, ip in ((SND, VETH_SND, SND_IP), (VIEW, VETH_VIEW, VIEW_IP)):
                sh("ip", "netns", "exec", ns, "ip", "addr", "add", ip + "/30", "dev", dev)
                sh("ip", "netns", "exec", ns, "ip", "link", "set", dev, "up")
                sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
            # The narrow link: what the sender sends toward the viewer.
            sh("ip", "netns", "exec", SND, "tc", "qdisc", "add", "dev", VETH_SND, "root", "tbf",
               "rate", f"{LINK_KBPS}kbit", "burst", "8kb", "latency", "50ms")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        sh("ip", "netns", "del", SND, check_rc=False)
        sh("ip", "netns", "del", VIEW, check_rc=False)

    def link_counters(self):
        """(bytes sent, packets sent, packets dropped) by the tbf toward the viewer."""
        out = sh("ip", "netns", "exec", SND, "tc", "-s", "qdisc", "show", "dev", VETH_SND)
        m = re.search(r"Sent (\d+) bytes (\d+) pkt \(dropped (\d+)", out)
        if not m:
            raise TestFailure(f"no tbf counters in: {out}")
        return tuple(int(x) for x in m.groups())


class Viewer(Process):
    """count_viewer.py in namespace @ns: video frames received and NACK/FIR/PLI sent, each second."""

    def __init__(self, ns, uri, addresses, name):
        super().__init__(["ip", "netns", "exec", ns, "/usr/bin/python3",
                          os.path.join(HERE, "count_viewer.py"), uri, addresses], name)
        log(f"{ns}: viewer pid {self.proc.pid} of {uri}")

    def last(self):
        with open(self.log_path, "rb") as f:
            lines = [l for l in f.read().decode(errors="replace").splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {"frames": 0}


def sink_stats():
    out = sh("ip", "netns", "exec", SND, "curl", "-s", "--max-time", "3",
             f"http://{SND_IP}:{PORT}/stats", check_rc=False)
    try:
        return json.loads(out)
    except ValueError:
        return {}


def run_budget(budget):
    sender = Pipeline((
        f"rtcbroadcastsink name=s address=0.0.0.0:{PORT} ice-local-addresses={SND_IP},127.0.0.1 "
        f"video-codecs=vp8 video-bitrate={STREAM_KBPS} retransmission-budget={budget} "
        "videotestsrc is-live=true pattern=snow ! video/x-raw,width=320,height=240,framerate=30/1 ! "
        "s.video_0 audiotestsrc is-live=true wave=ticks ! s.audio_0"), f"narrow-sender-{budget}",
        prefix=["ip", "netns", "exec", SND])
    steady = narrow = None
    try:
        wait_for(lambda: sink_stats() or None, 20, "the sender's server")
        steady = Viewer(SND, f"ws://127.0.0.1:{PORT}/ws", "127.0.0.1", f"narrow-steady-{budget}")
        wait_for(lambda: steady.last()["frames"] > 30, 30, "the steady viewer receives",
                 diag=lambda: sender.tail(20) + "\n" + steady.tail())
        narrow = Viewer(VIEW, f"ws://{SND_IP}:{PORT}/ws", VIEW_IP, f"narrow-viewer-{budget}")
        wait_for(lambda: narrow.last()["frames"] + narrow.last().get("firs", 0) > 0, 30,
                 "the narrow viewer receives packets",
                 diag=lambda: sender.tail(20) + "\n" + narrow.tail())
        time.sleep(3)
        c0, s0, n0, t0 = ns.link_counters(), steady.last(), narrow.last(), time.monotonic()
        time.sleep(MEASURE_S)
        c1, s1, n1, t1 = ns.link_counters(), steady.last(), narrow.last(), time.monotonic()
        stats = sink_stats()
        dt = t1 - t0
        sent_b, sent_p, dropped = (c1[i] - c0[i] for i in range(3))
        avg = sent_b / sent_p if sent_p else 1200
        pushed_kbps = (sent_b + dropped * avg) * 8 / 1000 / dt
        steady_fps = (s1["frames"] - s0["frames"]) / dt
        repair = {}
        for v in stats.get("viewers", []):
            if v.get("retransmitted") is not None and v.get("nack_count", 0) >= repair.get("nack_count", -1):
                repair = {k: v.get(k) for k in ("nack_count", "retransmitted", "retransmissions_dropped",
                                                "keyframes_for_loss", "pli_count")}
        row = {"budget": budget, "pushed_kbps": round(pushed_kbps), "delivered_kbps":
               round(sent_b * 8 / 1000 / dt), "dropped_pkts": dropped, "steady_fps": round(steady_fps, 1),
               "narrow_fps": round((n1["frames"] - n0["frames"]) / dt, 1),
               "narrow_nacks": n1.get("nacks", 0) - n0.get("nacks", 0),
               "narrow_firs": n1.get("firs", 0) - n0.get("firs", 0), **repair}
        log(f"budget {budget}: {row}")
        check(sender.alive(), f"budget {budget}: the sender runs on", diag=lambda: sender.tail(30))
        return row
    finally:
        for p in (narrow, steady, sender):
            if p:
                p.stop()


ns = None


def main():
    global ns
    require_element("rtcbroadcastsink")
    require_element("rtcingestsrc")
    with Namespaces() as n:
        ns = n
        r = run_budget(25)
    log("| pushed toward the viewer kbit/s | delivered kbit/s | dropped on the link | viewer NACKs | "
        "viewer FIRs | retransmitted | over budget | steady viewer fps |")
    log(f"| {r['pushed_kbps']} | {r['delivered_kbps']} | {r['dropped_pkts']} | {r['narrow_nacks']} | "
        f"{r['narrow_firs']} | {r.get('retransmitted')} | {r.get('retransmissions_dropped')} | "
        f"{r['steady_fps']} |")
    bound = 1.25 * (STREAM_KBPS + 64) * 1.1  # the stream plus the budget, 10 % for headers
    check(r["pushed_kbps"] <= bound,
          f"the sender pushes toward the narrow viewer at most the stream plus the retransmission "
          f"budget ({r['pushed_kbps']} kbit/s, bound {bound:.0f})")
    check(r["steady_fps"] >= 25, f"the steady viewer is untouched ({r['steady_fps']} fps)")


if __name__ == "__main__":
    run_main(main)
