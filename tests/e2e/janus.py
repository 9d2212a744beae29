"""Janus (Debian's package) and simple-whip-server for the e2e tests, in a network namespace of
the test: Janus skips loopback interfaces, so it runs in a namespace with a veth pair
(HOST_IP on the host side, NS_IP inside, `ice_enforce_list` naming the inner veth). Pipelines and
Chromium stay in the host namespace and reach NS_IP over the veth only. Needs root (ip netns).

Also the page script with which headless Chromium subscribes to a VideoRoom publisher through
Janus's HTTP API, and the stats it reports."""

import os
import shutil
import subprocess

from util import BUILD_ROOT, TestFailure, artifact_path, log, wait_for

_N = os.getpid() % 10000
NS = "rtckj%d" % _N
VETH_HOST, VETH_NS = "vjh%d" % _N, "vjn%d" % _N
HOST_IP, NS_IP = "10.77.%d.1" % (_N % 250), "10.77.%d.2" % (_N % 250)
JANUS_HTTP = f"http://{NS_IP}:8088/janus"

# simple-whip-server: tools/install-e2e-deps.sh unpacks it under the build dir, with its Node
# modules; RTCKIT_SWS_DIR etc. point elsewhere (a system install: /usr/share/simple-whip-server).
_SWS_CACHE = os.path.join(BUILD_ROOT, "e2e-deps", "simple-whip-server")
SWS_DIR = os.environ.get("RTCKIT_SWS_DIR",
                         os.path.join(_SWS_CACHE, "root/usr/share/simple-whip-server/src"))
SWS_CONFIG = os.environ.get("RTCKIT_SWS_CONFIG",
                            os.path.join(_SWS_CACHE, "root/etc/simple-whip-server/config.js"))
SWS_NODE_PATH = os.environ.get("RTCKIT_SWS_NODE_PATH", os.path.join(_SWS_CACHE, "node_modules"))


def sh(*argv, check_rc=True):
    r = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check_rc and r.returncode != 0:
        raise TestFailure(f"{' '.join(argv)} failed: {r.stdout}")
    return r


class Netns:
    """The namespace and its veth pair, removed on exit."""

    def __enter__(self):
        if os.geteuid() != 0:
            raise TestFailure("root is needed for the network namespace (ip netns)")
        sh("ip", "netns", "add", NS)
        try:
            sh("ip", "link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS)
            sh("ip", "link", "set", VETH_NS, "netns", NS)
            sh("ip", "addr", "add", HOST_IP + "/24", "dev", VETH_HOST)
            sh("ip", "link", "set", VETH_HOST, "up")
            sh("ip", "netns", "exec", NS, "ip", "addr", "add", NS_IP + "/24", "dev", VETH_NS)
            sh("ip", "netns", "exec", NS, "ip", "link", "set", VETH_NS, "up")
            sh("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        sh("ip", "link", "del", VETH_HOST, check_rc=False)
        sh("ip", "netns", "del", NS, check_rc=False)


class Proc:
    """A program inside the namespace, its output in tests/e2e/artifacts."""

    def __init__(self, argv, name, cwd=None, env=None):
        self.name = name
        self.log_path = artifact_path(f"{name}-{os.getpid()}.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["ip", "netns", "exec", NS] + argv, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                     start_new_session=True)
        log(f"{name} pid {self.proc.pid} (log {self.log_path})")

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def tail(self, n=20):
        return "\n".join(self.text().splitlines()[-n:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _janus_config(workdir):
    cfg = os.path.join(workdir, "janus-cfg")
    os.makedirs(cfg)
    for f in ("janus.jcfg", "janus.plugin.videoroom.jcfg", "janus.transport.websockets.jcfg",
              "janus.transport.http.jcfg"):
        shutil.copy(os.path.join("/etc/janus", f), cfg)
    p = os.path.join(cfg, "janus.jcfg")
    text = open(p).read()
    text = text.replace('configs_folder = "/etc/janus"', f'configs_folder = "{cfg}"')
    text = text.replace('#ice_enforce_list = "eth0"', f'ice_enforce_list = "{VETH_NS}"')
    others = ["voicemail", "recordplay", "sip", "nosip", "streaming", "audiobridge", "textroom",
              "videocall", "echotest", "lua", "duktape"]
    text = text.replace('#disable = "libjanus_voicemail.so,libjanus_recordplay.so"',
                        'disable = "' + ",".join(f"libjanus_{o}.so" for o in others) + '"')
    text = text.replace('#disable = "libjanus_rabbitmq.so"',
                        'disable = "libjanus_rabbitmq.so,libjanus_mqtt.so,libjanus_nanomsg.so,'
                        'libjanus_pfunix.so"')
    open(p, "w").write(text)
    return cfg


def start_janus(workdir):
    """Janus with its HTTP (:8088 /janus) and WebSocket (:8188) APIs and the VideoRoom plugin."""
    if not shutil.which("janus"):
        raise TestFailure("janus is not installed (apt-get install janus)")
    cfg = _janus_config(workdir)
    janus = Proc(["janus", "-F", cfg, "-C", os.path.join(cfg, "janus.jcfg")], "janus")
    try:
        wait_for(lambda: "WebSockets thread started" in janus.text()
                 and "HTTP webserver started" in janus.text(), 15, "janus up", diag=janus.tail)
    except BaseException:
        janus.stop()
        raise
    return janus


def start_simple_whip_server(workdir):
    """Debian's simple-whip-server (REST on NS_IP:7080/whip) in front of start_janus()'s Janus."""
    if not os.path.exists(os.path.join(SWS_DIR, "server.js")):
        raise TestFailure(f"simple-whip-server not found in {SWS_DIR}: run tools/install-e2e-deps.sh "
                          "BUILD_DIR (tools/dev.sh test does) or set RTCKIT_SWS_DIR")
    sws_dir = os.path.join(workdir, "sws")
    os.makedirs(sws_dir)
    for f in ("server.js", "whip-janus.js"):
        shutil.copy(os.path.join(SWS_DIR, f), sws_dir)
    shutil.copy(SWS_CONFIG, os.path.join(sws_dir, "config.js"))
    env = dict(os.environ, NODE_PATH=SWS_NODE_PATH)
    sws = Proc(["node", "server.js"], "simple-whip-server", cwd=sws_dir, env=env)
    try:
        wait_for(lambda: "Janus OK" in sws.text(), 15, "simple-whip-server up", diag=sws.tail)
    except BaseException:
        sws.stop()
        raise
    return sws


# Subscribes to the first publisher of room %(room)d through Janus's HTTP API, from a page
# served by Janus itself (same origin as the API). window.sub tells how far it got.
SUBSCRIBE_JS = """
const room = %(room)d;
async function api(path, body) {
  const r = await fetch('/janus' + path, {method: 'POST', body: JSON.stringify(
      Object.assign({transaction: Math.random().toString(36).slice(2)}, body))});
  return r.json();
}
window.sub = {state: 'starting', error: null, display: null};
(async () => {
  try {
    const s = (await api('', {janus: 'create'})).data.id;
    const h = (await api('/' + s, {janus: 'attach', plugin: 'janus.plugin.videoroom'})).data.id;
    let feed = null;
    for (let i = 0; i < 100 && !feed; i++) {
      const l = await api('/' + s + '/' + h, {janus: 'message',
                          body: {request: 'listparticipants', room}});
      const ps = ((l.plugindata && l.plugindata.data.participants) || []).filter(p => p.publisher);
      if (ps.length) { feed = ps[0].id; sub.display = ps[0].display || null; }
      else await new Promise(r => setTimeout(r, 200));
    }
    if (!feed) throw new Error('no publisher in room ' + room);
    sub.state = 'joining';
    await api('/' + s + '/' + h, {janus: 'message',
              body: {request: 'join', ptype: 'subscriber', room, streams: [{feed}]}});
    let offer = null;
    while (!offer) {
      const ev = await (await fetch('/janus/' + s + '?maxev=1&rid=' + Date.now())).json();
      if (ev.jsep) offer = ev.jsep;
    }
    const pc = new RTCPeerConnection();
    window.pc = pc;
    pc.ontrack = e => {
      const v = document.createElement('video');
      v.muted = true; v.autoplay = true; v.srcObject = e.streams[0] || new MediaStream([e.track]);
      document.body.appendChild(v); v.play().catch(() => {});
    };
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    await new Promise(r => { if (pc.iceGatheringState === 'complete') r();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
      setTimeout(r, 3000); });
    await api('/' + s + '/' + h, {janus: 'message', body: {request: 'start', room},
              jsep: {type: 'answer', sdp: pc.localDescription.sdp}});
    sub.state = 'answered';
    (async () => { for (;;) { await fetch('/janus/' + s + '?maxev=5&rid=' + Date.now()); } })();
    setInterval(() => api('/' + s, {janus: 'keepalive'}), 20000);
  } catch (e) { sub.state = 'failed'; sub.error = String(e); }
})();
"""

STATS_JS = """(async () => {
  if (!window.pc) return {state: sub.state, error: sub.error};
  const st = await pc.getStats();
  let v = null, a = null;
  st.forEach(r => { if (r.type === 'inbound-rtp' && r.kind === 'video') v = r;
                    if (r.type === 'inbound-rtp' && r.kind === 'audio') a = r; });
  return {state: sub.state, error: sub.error, display: sub.display, pc: pc.connectionState,
          framesDecoded: v ? v.framesDecoded : 0, width: v ? v.frameWidth : 0,
          freezeCount: v ? v.freezeCount : 0, pliCount: v ? v.pliCount : 0,
          bytesReceived: v ? v.bytesReceived : 0, audioPackets: a ? a.packetsReceived : 0};
})()"""


def chromium_decodes_through_janus(browser, room, diag, seconds=3.0):
    """Chromium subscribes to room's publisher through Janus, decodes 30 frames, then decodes for
    `seconds`; returns (stats, fps, diag). diag.stats() reads the tab's stats again later."""
    import time
    tab = browser.open(f"{JANUS_HTTP}/info")
    tab.exec(SUBSCRIBE_JS % {"room": room})
    stats = lambda: tab.eval(STATS_JS)  # noqa: E731
    full_diag = lambda: f"{stats()}\n{diag()}"  # noqa: E731
    full_diag.stats = stats
    wait_for(lambda: (stats().get("framesDecoded") or 0) >= 30, 30,
             "Chromium decoding 30 frames through Janus", diag=full_diag)
    s0, t0 = stats(), time.monotonic()
    time.sleep(seconds)
    s1 = stats()
    fps = (s1["framesDecoded"] - s0["framesDecoded"]) / (time.monotonic() - t0)
    log(f"Chromium via Janus: {s1}, {fps:.1f} fps")
    return s1, fps, full_diag

