"""A small Internet of network namespaces for NAT tests (all traffic stays inside them).

  PUB    bridge 198.18.0.1/24 (RFC 2544 benchmark range): coturn (STUN and TURN) listens here;
         its default route goes into a veth nobody reads, so what coturn sends toward private
         addresses fails quietly instead of closing its allocations (WEBRTC-NOTES).
  NATA   router: wan 198.18.0.10 on the bridge, lan 10.10.0.1/24 ->  HOSTA 10.10.0.2
  NATB   router: wan 198.18.0.20 on the bridge, lan 10.20.0.1/24 ->  HOSTB 10.20.0.2

Each router masquerades its LAN (endpoint-independent mapping; `--random-fully` makes it
symmetric) and drops unsolicited packets from the WAN, so that hole punching behaves as behind
a real home router. Each namespace has its own resolv.conf pointing at 127.0.0.1.
Needs root.
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns import LabError, sh  # noqa: E402,F401

PUB_IP = "198.18.0.1"
WAN = {"A": "198.18.0.10", "B": "198.18.0.20"}
LAN = {"A": ("10.10.0.1", "10.10.0.2"), "B": ("10.20.0.1", "10.20.0.2")}


class Lab:
    def __init__(self, symmetric=()):
        """@symmetric: the routers ("A", "B") whose NAT maps each destination to a new port."""
        tag = os.getpid() % 100000
        self.ns = {"PUB": f"rtck-pub-{tag}", "NATA": f"rtck-nata-{tag}", "HOSTA": f"rtck-hosta-{tag}",
                   "NATB": f"rtck-natb-{tag}", "HOSTB": f"rtck-hostb-{tag}"}
        self.tag = tag
        self.symmetric = set(symmetric)

    def ex(self, ns, *argv, check=True):
        return sh("ip", "netns", "exec", self.ns[ns], *argv, check=check)

    def prefix(self, ns):
        return f"ip netns exec {self.ns[ns]}"

    def __enter__(self):
        if os.geteuid() != 0:
            raise LabError("root is needed for the network namespaces (ip netns)")
        if not shutil.which("iptables"):
            raise LabError("iptables is missing (tools/dev.sh installs it)")
        try:
            self._build()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _build(self):
        for name in self.ns.values():
            sh("ip", "netns", "add", name)
            os.makedirs(f"/etc/netns/{name}", exist_ok=True)
            with open(f"/etc/netns/{name}/resolv.conf", "w") as f:
                f.write("nameserver 127.0.0.1\n")
            sh("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        self.ex("PUB", "ip", "link", "add", "name", "pubbr", "type", "bridge")
        self.ex("PUB", "ip", "addr", "add", f"{PUB_IP}/24", "dev", "pubbr")
        self.ex("PUB", "ip", "link", "set", "pubbr", "up")
        # A veth whose other end nobody reads: sends succeed and go nowhere (no dummy module here).
        self.ex("PUB", "ip", "link", "add", "void", "type", "veth", "peer", "name", "void2")
        self.ex("PUB", "ip", "link", "set", "void", "up")
        self.ex("PUB", "ip", "link", "set", "void2", "up")
        self.ex("PUB", "ip", "route", "add", "default", "dev", "void")
        for x in ("A", "B"):
            nat, host = self.ns[f"NAT{x}"], self.ns[f"HOST{x}"]
            port = f"rp{x.lower()}{self.tag}"
            sh("ip", "link", "add", "wan", "netns", nat, "type", "veth", "peer", "name", port,
               "netns", self.ns["PUB"])
            self.ex("PUB", "ip", "link", "set", port, "master", "pubbr", "up")
            self.ex(f"NAT{x}", "ip", "addr", "add", f"{WAN[x]}/24", "dev", "wan")
            self.ex(f"NAT{x}", "ip", "link", "set", "wan", "up")
            self.ex(f"NAT{x}", "ip", "route", "add", "default", "via", PUB_IP)
            sh("ip", "link", "add", "lan", "netns", nat, "type", "veth", "peer", "name", "eth0",
               "netns", host)
            gw, ip = LAN[x]
            self.ex(f"NAT{x}", "ip", "addr", "add", f"{gw}/24", "dev", "lan")
            self.ex(f"NAT{x}", "ip", "link", "set", "lan", "up")
            self.ex(f"HOST{x}", "ip", "addr", "add", f"{ip}/24", "dev", "eth0")
            self.ex(f"HOST{x}", "ip", "link", "set", "eth0", "up")
            self.ex(f"HOST{x}", "ip", "route", "add", "default", "via", gw)
            self.ex(f"NAT{x}", "sysctl", "-qw", "net.ipv4.ip_forward=1")
            masq = ["iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE"]
            if x in self.symmetric:
                masq.append("--random-fully")
            self.ex(f"NAT{x}", *masq)
            # Nothing from the WAN that the LAN did not ask for (or that is not forwarded). Also
            # toward the router itself: an early check from the other side, accepted there, would
            # take the NAT mapping that the reply to our own check needs.
            for chain, extra in (("FORWARD", ["-o", "lan"]), ("INPUT", [])):
                for rule in (["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
                             ["-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT"],
                             ["-j", "DROP"]):
                    self.ex(f"NAT{x}", "iptables", "-A", chain, "-i", "wan", *extra, *rule)

    def forward(self, x, proto, ports, to_port=None):
        """Forwards @proto @ports ("8080" or "50000:50010") on router @x's WAN to its host."""
        dest = LAN[x][1] + (f":{to_port}" if to_port else "")
        self.ex(f"NAT{x}", "iptables", "-t", "nat", "-A", "PREROUTING", "-i", "wan", "-p", proto,
                "--dport", ports, "-j", "DNAT", "--to-destination", dest)

    def block_udp(self, x):
        """The host behind router @x cannot send UDP out (a strict corporate firewall)."""
        self.ex(f"NAT{x}", "iptables", "-I", "FORWARD", "-i", "lan", "-p", "udp", "-j", "DROP")

    def __exit__(self, *exc):
        for name in self.ns.values():
            sh("ip", "netns", "del", name, check=False)
            shutil.rmtree(f"/etc/netns/{name}", ignore_errors=True)
