#!/usr/bin/python3
"""A sender, two viewers and a router between them, in network namespaces of the test's own,
with one viewer's link made narrow, late and lossy (all traffic stays inside them). This kernel
has no netem: delay and loss come from a small forwarder of ours, the rate cap from tc tbf.

  SND  10.72.0.2/24  -- s0 ==== rs 10.72.0.1 --\
                                                RT (router)
  A    10.72.1.2/24  -- a0 ==== ra 10.72.1.1 --/|    policy routing: what arrives from rs for A's
  B    10.72.2.2/24  -- b0 ==== rb 10.72.2.1 --/     subnet, and all that arrives from ra, goes
                                                     into the TUN device "fwa" instead
Viewer A's path: sender -> rs -> fwa -> (forwarder: delay, loss) -> fwa -> ra [tbf] -> A, and back
A -> ra -> fwa -> (forwarder) -> fwa -> rs -> sender. A packet the forwarder writes back into fwa
arrives with iif fwa, so the main table routes it on. Viewer B's path is plain routing.

The forwarder (`linklab.py forward`, run by the lab inside RT) reads packets from the TUN device,
drops each with its direction's loss probability (random.Random(seed): the same draws each run),
and writes the rest back after its direction's fixed delay. Due times sit in a heap; one epoll
loop waits exactly until the next one is due (epoll's 1 ms granularity), so it never sleeps per
packet. Defaults act like `netem delay 50ms loss 1%` on the sender's side of A's link: 50 ms and
1 % downstream (toward A) only, upstream untouched (RTT 50 ms); `delay_up_ms` and `loss_up` set
the other direction. It runs SCHED_FIFO when it may, so a busy machine does not add its jitter.

`cap_a(kbps)` puts a tbf on ra (router -> A, after the forwarder, like a last-mile bottleneck) and
`uncap_a()` removes it, both at run time. The default queue holds 300 ms at the cap (a real access
link buffers a few hundred ms; a 50 ms tbf queue drops most of every keyframe), the bucket 8 KB.
Counters: `lab.counters()` (the forwarder's packets and bytes in, dropped and out, per direction;
tbf sent and dropped, summed over caps).

Also the helpers the lab's self-test runs inside namespaces (tests/e2e/test_linklab.py):
  linklab.py blast HOST PORT KBPS SIZE SECONDS   paced UDP, each packet stamped (seq, send time)
  linklab.py recv PORT SECONDS                   counts them: loss, one-way delay, goodput (JSON)
  linklab.py echo PORT SECONDS / probe HOST PORT N   a UDP ping (no ping binary on this machine)
CLOCK_MONOTONIC is the same in every network namespace, so one-way delays are real.
Needs root.
"""

import heapq
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns import LabError, sh  # noqa: E402,F401

HERE = os.path.dirname(os.path.abspath(__file__))
NET = {"SND": "10.72.0", "A": "10.72.1", "B": "10.72.2"}
IP = {x: f"{net}.2" for x, net in NET.items()}        # the hosts
GW = {x: f"{net}.1" for x, net in NET.items()}        # the router's side
DEV = {"SND": ("s0", "rs"), "A": ("a0", "ra"), "B": ("b0", "rb")}  # (host side, router side)
TUN = "fwa"
TABLE = "100"


class LinkLab:
    def __init__(self, delay_ms=50.0, loss=0.01, delay_up_ms=0.0, loss_up=0.0, seed=1):
        tag = os.getpid()
        self.ns = {x: f"rtck-ll-{x.lower()}-{tag}" for x in ("SND", "RT", "A", "B")}
        self.ip = dict(IP)
        self.settings = {"delay_down_ms": delay_ms, "loss_down": loss, "delay_up_ms": delay_up_ms,
                         "loss_up": loss_up, "seed": seed}
        self.forwarder = None
        self.capped_kbps = None
        self._tbf_done = {"sent_bytes": 0, "sent_pkts": 0, "dropped": 0}
        self._dir = None

    # -- running things in the namespaces
    def ex(self, ns, *argv, check=True):
        return sh("ip", "netns", "exec", self.ns[ns], *argv, check=check)

    def prefix(self, ns):
        """argv prefix that runs a command in namespace @ns ("SND", "RT", "A", "B")."""
        return ["ip", "netns", "exec", self.ns[ns]]

    def fetch(self, ns, url, timeout=2.0):
        """GET @url from inside namespace @ns; the body, or None when it did not answer."""
        r = subprocess.run(self.prefix(ns) + ["curl", "-sf", "--max-time", str(timeout), url],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return r.stdout if r.returncode == 0 else None

    # -- building and tearing down
    def __enter__(self):
        if os.geteuid() != 0:
            raise LabError("root is needed for the network namespaces (ip netns)")
        if not os.path.exists("/dev/net/tun"):
            raise LabError("/dev/net/tun is missing: the delay/loss forwarder needs a TUN device")
        try:
            self._build()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _build(self):
        self._dir = tempfile.mkdtemp(prefix="rtckit-linklab-")
        for name in self.ns.values():
            sh("ip", "netns", "add", name)
            os.makedirs(f"/etc/netns/{name}", exist_ok=True)
            with open(f"/etc/netns/{name}/resolv.conf", "w") as f:
                f.write("nameserver 127.0.0.1\n")  # Chromium's background lookups stay inside
            sh("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
            # IPv4 only: no link-local IPv6 candidates that can never pair across the router.
            sh("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1")
        # Packets come back out of fwa with a source that routes via another interface.
        self.ex("RT", "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0")
        for x, (host, router) in DEV.items():
            sh("ip", "link", "add", host, "netns", self.ns[x], "type", "veth", "peer", "name", router,
               "netns", self.ns["RT"])
            self.ex(x, "ip", "addr", "add", f"{IP[x]}/24", "dev", host)
            self.ex(x, "ip", "link", "set", host, "up")
            self.ex(x, "ip", "route", "add", "default", "via", GW[x])
            self.ex("RT", "ip", "addr", "add", f"{GW[x]}/24", "dev", router)
            self.ex("RT", "ip", "link", "set", router, "up")
        self.ex("RT", "ip", "tuntap", "add", "dev", TUN, "mode", "tun")
        self.ex("RT", "sysctl", "-qw", f"net.ipv4.conf.{TUN}.rp_filter=0")
        self.ex("RT", "ip", "link", "set", TUN, "up")
        self._start_forwarder()
        self.ex("RT", "ip", "route", "add", "default", "dev", TUN, "table", TABLE)
        self.ex("RT", "ip", "rule", "add", "iif", DEV["SND"][1], "to", f"{NET['A']}.0/24",
                "lookup", TABLE, "pref", "100")
        self.ex("RT", "ip", "rule", "add", "iif", DEV["A"][1], "lookup", TABLE, "pref", "101")

    def _start_forwarder(self):
        self.ctl_path = os.path.join(self._dir, "ctl")
        s = self.settings
        argv = self.prefix("RT") + [sys.executable, os.path.abspath(__file__), "forward", TUN,
                                    f"{NET['A']}.0/24", str(s["delay_down_ms"]), str(s["loss_down"]),
                                    str(s["delay_up_ms"]), str(s["loss_up"]), str(s["seed"]),
                                    self.ctl_path]
        self._fwd_log = open(os.path.join(self._dir, "forwarder.log"), "wb")
        self.forwarder = subprocess.Popen(argv, stdout=self._fwd_log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.forwarder_counters()
                return
            except OSError:
                if self.forwarder.poll() is not None or time.monotonic() > deadline:
                    with open(self._fwd_log.name, "rb") as f:
                        raise LabError(f"the forwarder did not start: {f.read().decode()[-2000:]}")
                time.sleep(0.05)

    def __exit__(self, *exc):
        if self.forwarder and self.forwarder.poll() is None:
            try:
                os.killpg(self.forwarder.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.forwarder.wait(5)
        for name in self.ns.values():
            # Whatever still runs in our namespaces was started by this test: end it, by pid.
            for pid in sh("ip", "netns", "pids", name, check=False).split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        sh("ip", "netns", "exec", self.ns["RT"], "ip", "tuntap", "del", "dev", TUN, "mode", "tun",
           check=False)
        for name in self.ns.values():
            sh("ip", "netns", "del", name, check=False)
            shutil.rmtree(f"/etc/netns/{name}", ignore_errors=True)
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # -- the narrow link
    def cap_a(self, kbps, latency_ms=300, burst_bytes=8192):
        """Caps router -> A at @kbps with a queue of @latency_ms at that rate (replaces a cap).
        The queue is given as tbf's `limit` (bytes): its `latency` adds the bucket on top (a
        `latency 300ms` queue with an 8 KB bucket held 395 ms at 600 kbit/s)."""
        self._fold_tbf()
        limit = max(int(kbps * 1000 / 8 * latency_ms / 1000), 2 * 1514)
        self.ex("RT", "tc", "qdisc", "replace", "dev", DEV["A"][1], "root", "tbf", "rate",
                f"{kbps}kbit", "burst", str(burst_bytes), "limit", str(limit))
        self.capped_kbps = kbps

    def uncap_a(self):
        self._fold_tbf()
        self.ex("RT", "tc", "qdisc", "del", "dev", DEV["A"][1], "root", check=False)
        self.capped_kbps = None

    def _tbf_now(self):
        out = self.ex("RT", "tc", "-s", "qdisc", "show", "dev", DEV["A"][1])
        if "tbf" not in out:
            return {"sent_bytes": 0, "sent_pkts": 0, "dropped": 0}
        m = re.search(r"qdisc tbf.*?Sent (\d+) bytes (\d+) pkt \(dropped (\d+)", out, re.S)
        if not m:
            raise LabError(f"no tbf counters in: {out}")
        return dict(zip(("sent_bytes", "sent_pkts", "dropped"), (int(v) for v in m.groups())))

    def _fold_tbf(self):
        """Keeps the counters of a tbf about to be replaced or removed."""
        if self.capped_kbps is not None:
            for k, v in self._tbf_now().items():
                self._tbf_done[k] += v

    def tbf_counters(self):
        """tbf's sent bytes/packets and drops toward A, summed over every cap so far."""
        now = self._tbf_now() if self.capped_kbps is not None else {}
        return {k: v + now.get(k, 0) for k, v in self._tbf_done.items()}

    def forwarder_counters(self):
        """{"down": {...}, "up": {...}}: in_pkts, in_bytes, dropped, out_pkts, out_bytes, queued,
        and dropped_by_ssrc (RTP packets dropped, by SSRC as a decimal string)."""
        return json.loads(_ctl(self.ctl_path, {"cmd": "stats"}))

    def set_forwarder(self, **settings):
        """Changes delay_down_ms, loss_down, delay_up_ms, loss_up at run time."""
        return json.loads(_ctl(self.ctl_path, {"cmd": "set", **settings}))

    def counters(self):
        return {"forwarder": self.forwarder_counters(), "tbf": self.tbf_counters(),
                "capped_kbps": self.capped_kbps}


def _ctl(path, msg, timeout=2.0):
    """One request/reply with the forwarder over its UNIX datagram socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    me = f"{path}.{os.getpid()}.{time.monotonic_ns()}"
    try:
        s.bind(me)
        s.settimeout(timeout)
        s.sendto(json.dumps(msg).encode(), path)
        return s.recv(65536).decode()
    finally:
        s.close()
        try:
            os.unlink(me)
        except OSError:
            pass


# ---- the forwarder (runs inside RT) ---------------------------------------------------------

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def rtp_ssrc(pkt):
    """The SSRC (as a decimal string, a JSON key) of the RTP packet in IPv4/UDP datagram @pkt, or
    None: SRTP leaves the RTP header in the clear. RTCP (payload types 192-223 on the second
    byte, RFC 5761), STUN and DTLS are not RTP."""
    ihl = (pkt[0] & 0x0F) * 4
    if pkt[9] != 17 or len(pkt) < ihl + 8 + 12:
        return None
    rtp = ihl + 8
    if pkt[rtp] >> 6 != 2 or 192 <= pkt[rtp + 1] <= 223:
        return None
    return str(struct.unpack_from("!I", pkt, rtp + 8)[0])


def forward(tun, down_net, delay_down_ms, loss_down, delay_up_ms, loss_up, seed, ctl_path):
    import ipaddress
    import random
    import fcntl

    net = ipaddress.ip_network(down_net)
    net_addr, net_mask = int(net.network_address), int(net.netmask)
    cfg = {"delay_down_ms": float(delay_down_ms), "loss_down": float(loss_down),
           "delay_up_ms": float(delay_up_ms), "loss_up": float(loss_up)}
    rng = random.Random(int(seed))
    try:  # a busy machine (compiles, browsers) would otherwise add its scheduling delay
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except OSError:
        os.nice(-10)
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tun.encode(), IFF_TUN | IFF_NO_PI))
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ctl.bind(ctl_path)
    ctl.setblocking(False)
    stats = {d: {"in_pkts": 0, "in_bytes": 0, "dropped": 0, "out_pkts": 0, "out_bytes": 0,
                 "write_errors": 0, "queued": 0, "late_max_ms": 0.0, "dropped_by_ssrc": {}}
             for d in ("down", "up")}
    heap = []  # (due, seq, direction, packet)
    seq = 0
    ep = select.epoll()
    ep.register(fd, select.EPOLLIN)
    ep.register(ctl.fileno(), select.EPOLLIN)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    print(f"forwarding on {tun}: down {down_net} {cfg}, seed {seed}", flush=True)
    while True:
        timeout = max(0.0, heap[0][0] - time.monotonic()) if heap else 1.0
        events = ep.poll(timeout)
        now = time.monotonic()
        for efd, _ in events:
            if efd == fd:
                while True:
                    try:
                        pkt = os.read(fd, 65536)
                    except BlockingIOError:
                        break
                    if len(pkt) < 20 or pkt[0] >> 4 != 4:
                        continue  # IPv4 only (the lab has no IPv6)
                    dst = struct.unpack_from("!I", pkt, 16)[0]
                    d = "down" if dst & net_mask == net_addr else "up"
                    st = stats[d]
                    st["in_pkts"] += 1
                    st["in_bytes"] += len(pkt)
                    if rng.random() < cfg["loss_" + d]:
                        st["dropped"] += 1
                        ssrc = rtp_ssrc(pkt)
                        if ssrc is not None:
                            st["dropped_by_ssrc"][ssrc] = st["dropped_by_ssrc"].get(ssrc, 0) + 1
                        continue
                    seq += 1
                    st["queued"] += 1
                    heapq.heappush(heap, (now + cfg["delay_" + d + "_ms"] / 1000.0, seq, d, pkt))
            else:
                try:
                    msg, peer = ctl.recvfrom(65536)
                    req = json.loads(msg)
                    if req.get("cmd") == "set":
                        for k in cfg:
                            if k in req:
                                cfg[k] = float(req[k])
                        reply = cfg
                    else:
                        reply = stats
                    ctl.sendto(json.dumps(reply).encode(), peer)
                except (BlockingIOError, OSError, ValueError):
                    pass
        now = time.monotonic()
        while heap and heap[0][0] <= now:
            due, _, d, pkt = heapq.heappop(heap)
            st = stats[d]
            st["queued"] -= 1
            st["late_max_ms"] = max(st["late_max_ms"], (now - due) * 1000.0)
            try:
                os.write(fd, pkt)
                st["out_pkts"] += 1
                st["out_bytes"] += len(pkt)
            except OSError:
                st["write_errors"] += 1


# ---- self-test helpers (run inside namespaces) -------------------------------------------------

STAMP = struct.Struct("!Qd")  # sequence number, CLOCK_MONOTONIC at sending


def blast(host, port, kbps, size, seconds):
    """Paced UDP of @size-byte payloads at @kbps (payload bits) for @seconds. Prints the count."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    size, seconds = int(size), float(seconds)
    interval = size * 8 / (float(kbps) * 1000)
    pad = b"\0" * (size - STAMP.size)
    start = time.monotonic()
    n = 0
    while True:
        due = start + n * interval
        if due - start >= seconds:
            break
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            s.sendto(STAMP.pack(n, time.monotonic()) + pad, (host, int(port)))
        except OSError:
            pass
        n += 1
    print(json.dumps({"sent": n}), flush=True)


def recv(port, seconds):
    """Receives blast() packets for @seconds; prints loss, one-way delay and per-second goodput."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("0.0.0.0", int(port)))
    s.settimeout(0.2)
    end = time.monotonic() + float(seconds)
    got, delays, top, per_sec, first, size = 0, [], -1, {}, None, 0
    while time.monotonic() < end:
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        now = time.monotonic()
        n, sent = STAMP.unpack_from(data)
        first = first if first is not None else now
        got += 1
        size = len(data)
        top = max(top, n)
        delays.append((now - sent) * 1000.0)
        sec = int(now - first)
        per_sec[sec] = per_sec.get(sec, 0) + len(data)
    delays.sort()

    def pct(p):
        return round(delays[min(len(delays) - 1, int(p * len(delays)))], 2) if delays else None
    print(json.dumps({"received": got, "highest_seq": top, "size": size,
                      "delay_ms": {"min": pct(0), "p50": pct(0.5), "p99": pct(0.99),
                                   "max": pct(1.0) if delays else None},
                      "bytes_per_second": [per_sec.get(i, 0) for i in range(max(per_sec, default=-1) + 1)]}),
          flush=True)


def echo(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    s.settimeout(0.2)
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        try:
            data, peer = s.recvfrom(2048)
            s.sendto(data, peer)
        except socket.timeout:
            pass


def probe(host, port, count):
    """A UDP ping: @count probes 50 ms apart; prints the round-trip times in ms (JSON)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    rtts, lost = [], 0
    for i in range(int(count)):
        t0 = time.monotonic()
        s.sendto(struct.pack("!I", i), (host, int(port)))
        try:
            while True:
                data = s.recv(64)
                if struct.unpack("!I", data)[0] == i:
                    rtts.append((time.monotonic() - t0) * 1000.0)
                    break
        except socket.timeout:
            lost += 1
        time.sleep(max(0.0, 0.05 - (time.monotonic() - t0)))
    print(json.dumps({"rtt_ms": [round(r, 2) for r in rtts], "lost": lost}), flush=True)


if __name__ == "__main__":
    cmds = {"forward": forward, "blast": blast, "recv": recv, "echo": echo, "probe": probe}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
