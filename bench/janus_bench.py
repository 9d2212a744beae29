"""Janus (Debian's janus 1.1) streaming plugin in the fan-out series.

Janus skips loopback interfaces when gathering ICE candidates, so it runs in a network namespace of
our own (`rtckit-bench-janus`) joined to the host by a veth pair (10.199.77.1 host side, .2 Janus
side) with `--ice-enforce-list` naming its veth. The feeder sends the same H.264 RTP as for
rtcbroadcastsink to an RTP mountpoint (id 1, port 5004); receivers (bench/receivers.py --janus) speak
Janus's HTTP API from the host and restrict their own ICE to 10.199.77.1. Needs root and iproute2.
"""

import os
import shutil
import subprocess
import tempfile
import time

from lib import PY, Proc, log, wait_port

NS = "rtckit-bench-janus"
HOST_IF, NS_IF = "rbj-host", "rbj-ns"
HOST_IP, NS_IP = "10.199.77.1", "10.199.77.2"
RTP_PORT = 5004

STREAMING_CFG = """general: {
}
bench: {
	type = "rtp"
	id = 1
	description = "rtckit bench: 720p H.264 1 Mbit/s"
	audio = false
	video = true
	videoport = %d
	videopt = 96
	videocodec = "h264"
	videofmtp = "profile-level-id=42e01f;packetization-mode=1"
}
""" % RTP_PORT


class Unavailable(Exception):
    pass


def _sh(*argv, check=True):
    r = subprocess.run(list(argv), capture_output=True, text=True)
    if check and r.returncode != 0:
        raise Unavailable(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r


def setup_netns():
    if os.geteuid() != 0:
        raise Unavailable("needs root for a network namespace (Janus ignores loopback)")
    if not shutil.which("janus"):
        raise Unavailable("janus is not installed (apt-get install janus)")
    teardown_netns()
    _sh("ip", "netns", "add", NS)
    _sh("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF)
    _sh("ip", "link", "set", NS_IF, "netns", NS)
    _sh("ip", "addr", "add", f"{HOST_IP}/30", "dev", HOST_IF)
    _sh("ip", "link", "set", HOST_IF, "up")
    _sh("ip", "netns", "exec", NS, "ip", "addr", "add", f"{NS_IP}/30", "dev", NS_IF)
    _sh("ip", "netns", "exec", NS, "ip", "link", "set", NS_IF, "up")
    _sh("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up")


def teardown_netns():
    _sh("ip", "link", "del", HOST_IF, check=False)
    _sh("ip", "netns", "del", NS, check=False)


def start_janus(wrapper=(), name="fanout-janus", timeout=15):
    """Janus in the namespace; @wrapper: argv before janus's (valgrind, for bench/profile_sendpath.py)."""
    cfg = tempfile.mkdtemp(prefix="rtckit-bench-janus-")
    for f in os.listdir("/etc/janus"):
        if f.startswith(("janus.jcfg", "janus.transport.http", "janus.plugin.streaming")):
            shutil.copy(os.path.join("/etc/janus", f), cfg)
    with open(os.path.join(cfg, "janus.plugin.streaming.jcfg"), "w") as f:
        f.write(STREAMING_CFG)
    # only the streaming plugin and the HTTP transport: keep the others out of the process
    plugins = [p for p in os.listdir("/usr/lib/x86_64-linux-gnu/janus/plugins") if p.endswith(".so")
               and "streaming" not in p] if os.path.isdir("/usr/lib/x86_64-linux-gnu/janus/plugins") else []
    transports = [p for p in os.listdir("/usr/lib/x86_64-linux-gnu/janus/transports") if p.endswith(".so")
                  and "http" not in p] if os.path.isdir("/usr/lib/x86_64-linux-gnu/janus/transports") else []
    events = "/usr/lib/x86_64-linux-gnu/janus/events"
    loggers = "/usr/lib/x86_64-linux-gnu/janus/loggers"
    jc = os.path.join(cfg, "janus.jcfg")
    text = open(jc).read()
    text = text.replace("plugins: {", 'plugins: {\n\tdisable = "%s"' % ",".join(plugins), 1)
    text = text.replace("transports: {", 'transports: {\n\tdisable = "%s"' % ",".join(transports), 1)
    text = text.replace("events: {", 'events: {\n\tbroadcast = false', 1)
    open(jc, "w").write(text)
    p = Proc(["ip", "netns", "exec", NS] + list(wrapper) + ["janus", "-F", cfg, "-E", NS_IF, "-d", "3",
                                                            "-L", os.devnull], name)
    deadline = time.monotonic() + timeout
    import urllib.request
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{NS_IP}:8088/janus/info", timeout=1).read()
            return p, cfg
        except Exception:
            if not p.alive():
                break
            time.sleep(0.2)
    tail = p.text()[-2000:]
    p.stop()
    raise Unavailable(f"Janus did not answer on http://{NS_IP}:8088/janus/info: {tail}")


def fanout(ctx, levels, measure_levels, feeder_line):
    setup_netns()
    janus = feeder = None
    try:
        janus, cfg = start_janus()
        import shlex
        feeder = Proc(["gst-launch-1.0", "-e"] + shlex.split(feeder_line.format(host=NS_IP, port=RTP_PORT)),
                      "fanout-janus-feeder", ready="Setting pipeline to PLAYING")
        time.sleep(1.0)
        return measure_levels(ctx, "Janus streaming plugin", janus.pid, f"http://{NS_IP}:8088/janus", levels,
                              rx_kw={"local_ip": HOST_IP})
    finally:
        if feeder:
            feeder.stop()
        if janus:
            janus.stop()
        teardown_netns()
