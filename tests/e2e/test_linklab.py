#!/usr/bin/python3
"""The network lab itself (tests/e2e/linklab.py), before any test trusts it:
  - a UDP ping from A to the sender takes the forwarder's 50 ms (one way, downstream), from B ~0;
  - 3 Mbit/s of 1200-byte UDP toward A loses ~1 % and arrives 50 ms later, with the forwarder's
    own jitter within a few ms (p99 of the one-way delay);
  - with cap_a(600) the same blast arrives at 600 kbit/s (tbf counts Ethernet frames) and tbf
    drops the rest; after uncap_a() it all arrives again;
  - B's path is untouched meanwhile.
Prints the measurements (the lab's accuracy). Needs root, no browser, ~30 s.
Run: /usr/bin/python3 tests/e2e/test_linklab.py
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from linklab import IP, LinkLab  # noqa: E402
from util import check, log, run_main  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LINKLAB = os.path.join(HERE, "linklab.py")
PORT = 9000
SIZE = 1200
OVERHEAD = 8 + 20 + 14  # UDP, IPv4 and Ethernet headers: what tbf counts beyond the payload


def helper(lab, ns, *args):
    return subprocess.Popen(lab.prefix(ns) + [sys.executable, LINKLAB, *map(str, args)],
                            stdout=subprocess.PIPE, text=True)


def result(proc, timeout=60):
    out, _ = proc.communicate(timeout=timeout)
    lines = [l for l in out.splitlines() if l.startswith("{")]
    check(lines, f"a lab helper printed nothing (rc {proc.returncode})")
    return json.loads(lines[-1])


def ping(lab, ns, count=40):
    server = helper(lab, "SND", "echo", PORT, 5)
    time.sleep(0.3)
    r = result(helper(lab, ns, "probe", IP["SND"], PORT, count))
    server.wait(10)
    rtts = sorted(r["rtt_ms"])
    return {"min": rtts[0], "median": rtts[len(rtts) // 2], "max": rtts[-1], "lost": r["lost"]}


def udp(lab, ns, kbps, seconds):
    rx = helper(lab, ns, "recv", PORT, seconds + 1.5)
    time.sleep(0.3)
    sent = result(helper(lab, "SND", "blast", IP[ns], PORT, kbps, SIZE, seconds))["sent"]
    r = result(rx)
    r["sent"] = sent
    r["loss"] = 1 - r["received"] / sent
    return r


def main():
    with LinkLab() as lab:
        p_a, p_b = ping(lab, "A"), ping(lab, "B")
        log(f"UDP ping A -> sender: {p_a} ms; B -> sender: {p_b} ms")
        check(49 <= p_a["median"] <= 55, f"A's round trip carries the 50 ms delay: {p_a}")
        check(p_b["median"] < 5, f"B's round trip has no delay: {p_b}")

        f0 = lab.forwarder_counters()
        r = udp(lab, "A", 3000, 10)
        f1 = lab.forwarder_counters()
        d = {k: f1["down"][k] - f0["down"][k] for k in ("in_pkts", "dropped", "out_pkts")}
        log(f"3 Mbit/s toward A: sent {r['sent']}, received {r['received']} (loss {r['loss']:.2%}), "
            f"one-way delay {r['delay_ms']} ms; forwarder down {d}, late at most "
            f"{f1['down']['late_max_ms']:.1f} ms")
        check(0.005 <= r["loss"] <= 0.016, f"~1 % loss toward A: {r['loss']:.2%}")
        check(d["dropped"] == r["sent"] - r["received"], f"every loss is the forwarder's: {d}, {r}")
        check(50 <= r["delay_ms"]["p50"] <= 52, f"the one-way delay is 50 ms: {r['delay_ms']}")
        check(r["delay_ms"]["p99"] <= 55, f"the forwarder adds at most a few ms of jitter: {r['delay_ms']}")

        lab.cap_a(600)
        r = udp(lab, "A", 1500, 8)
        tbf = lab.tbf_counters()
        per_s = r["bytes_per_second"][2:-1]  # steady state: after the bucket and the queue fill
        wire_kbps = sum(per_s) * (SIZE + OVERHEAD) / SIZE * 8 / 1000 / len(per_s)
        log(f"cap 600 kbit/s, 1.5 Mbit/s sent: {wire_kbps:.0f} kbit/s on the wire (per second: "
            f"{[round(b * 8 / 1000) for b in r['bytes_per_second']]} kbit/s payload), loss {r['loss']:.1%}, "
            f"one-way delay {r['delay_ms']} ms, tbf {tbf}")
        check(570 <= wire_kbps <= 630, f"the cap holds A at 600 kbit/s: {wire_kbps:.0f}")
        check(tbf["dropped"] > 0, f"tbf drops what exceeds the cap: {tbf}")
        check(r["delay_ms"]["max"] <= 50 + 300 + 60, f"the queue holds ~300 ms: {r['delay_ms']}")

        r_b = udp(lab, "B", 3000, 4)
        log(f"B meanwhile: loss {r_b['loss']:.2%}, one-way delay {r_b['delay_ms']} ms")
        check(r_b["loss"] == 0 and r_b["delay_ms"]["p99"] < 5, f"B's path is untouched: {r_b}")

        lab.uncap_a()
        r = udp(lab, "A", 3000, 4)
        log(f"uncapped: loss {r['loss']:.2%}, one-way delay {r['delay_ms']} ms; counters {lab.counters()}")
        check(r["loss"] <= 0.03 and r["delay_ms"]["p99"] <= 55, f"uncap_a() lifts the cap: {r}")


if __name__ == "__main__":
    run_main(main)
