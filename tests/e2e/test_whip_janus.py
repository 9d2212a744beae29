#!/usr/bin/python3
"""Issue 6, WHIP client: rtcbroadcastsink publishes through simple-whip-server into Janus's
VideoRoom, and headless Chromium subscribing through Janus's HTTP API decodes the video.

Janus skips loopback interfaces, so Janus and simple-whip-server run in a network namespace of
this test (veth pair 10.77.0.1 host / 10.77.0.2 namespace, `ice_enforce_list` naming the veth).
The pipeline and Chromium stay in the host namespace and reach 10.77.0.2 over the veth only.

simple-whip-server: Debian's package (its files from /usr/share/simple-whip-server, or
RTCKIT_SWS_DIR), its Node modules from NODE_PATH (RTCKIT_SWS_NODE_PATH). Needs root (ip netns)."""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from util import (Pipeline, TestFailure, artifact_path, check, log, require_element,  # noqa: E402
                  run_main, wait_for, wait_port)
from browsers import Chromium  # noqa: E402

NS = "rtckwhip%d" % (os.getpid() % 10000)
VH, VN = "vwh%d" % (os.getpid() % 10000), "vwn%d" % (os.getpid() % 10000)
HOST_IP, NS_IP = "10.77.%d.1" % (os.getpid() % 250), "10.77.%d.2" % (os.getpid() % 250)
ROOM = 1234
SWS_DIR = os.environ.get("RTCKIT_SWS_DIR", "/usr/share/simple-whip-server/src")
SWS_CONFIG = os.environ.get("RTCKIT_SWS_CONFIG", "/etc/simple-whip-server/config.js")
SWS_NODE_PATH = os.environ.get("RTCKIT_SWS_NODE_PATH", "/usr/share/nodejs:/usr/lib/nodejs")

SUBSCRIBE_JS = """
const room = %(room)d;
async function api(path, body) {
  const r = await fetch('/janus' + path, {method: 'POST', body: JSON.stringify(
      Object.assign({transaction: Math.random().toString(36).slice(2)}, body))});
  return r.json();
}
window.sub = {state: 'starting', error: null, frames: 0};
(async () => {
  try {
    const s = (await api('', {janus: 'create'})).data.id;
    const h = (await api('/' + s, {janus: 'attach', plugin: 'janus.plugin.videoroom'})).data.id;
    let feed = null;
    for (let i = 0; i < 100 && !feed; i++) {
      const l = await api('/' + s + '/' + h, {janus: 'message',
                          body: {request: 'listparticipants', room}});
      const ps = (l.plugindata.data.participants || []).filter(p => p.publisher);
      if (ps.length) feed = ps[0].id; else await new Promise(r => setTimeout(r, 200));
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
  } catch (e) { sub.state = 'failed'; sub.error = String(e); }
})();
"""

STATS_JS = """(async () => {
  if (!window.pc) return {state: sub.state, error: sub.error};
  const st = await pc.getStats();
  let v = null;
  st.forEach(r => { if (r.type === 'inbound-rtp' && r.kind === 'video') v = r; });
  return {state: sub.state, error: sub.error, pc: pc.connectionState,
          framesDecoded: v ? v.framesDecoded : 0, width: v ? v.frameWidth : 0};
})()"""


def sh(*argv, check_rc=True):
    r = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check_rc and r.returncode != 0:
        raise TestFailure(f"{' '.join(argv)} failed: {r.stdout}")
    return r


class Netns:
    def __enter__(self):
        sh("ip", "netns", "add", NS)
        sh("ip", "link", "add", VH, "type", "veth", "peer", "name", VN)
        sh("ip", "link", "set", VN, "netns", NS)
        sh("ip", "addr", "add", HOST_IP + "/24", "dev", VH)
        sh("ip", "link", "set", VH, "up")
        sh("ip", "netns", "exec", NS, "ip", "addr", "add", NS_IP + "/24", "dev", VN)
        sh("ip", "netns", "exec", NS, "ip", "link", "set", VN, "up")
        sh("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up")
        return self

    def __exit__(self, *exc):
        sh("ip", "link", "del", VH, check_rc=False)
        sh("ip", "netns", "del", NS, check_rc=False)


class Proc:
    def __init__(self, argv, name, cwd=None, env=None):
        self.log_path = artifact_path(f"{name}-{os.getpid()}.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["ip", "netns", "exec", NS] + argv, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                     start_new_session=True)
        log(f"{name} pid {self.proc.pid} (log {self.log_path})")

    def tail(self, n=20):
        with open(self.log_path, "rb") as f:
            return "\n".join(f.read().decode(errors="replace").splitlines()[-n:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def janus_config(workdir):
    cfg = os.path.join(workdir, "cfg")
    os.makedirs(cfg)
    for f in ("janus.jcfg", "janus.plugin.videoroom.jcfg", "janus.transport.websockets.jcfg",
              "janus.transport.http.jcfg"):
        shutil.copy(os.path.join("/etc/janus", f), cfg)
    p = os.path.join(cfg, "janus.jcfg")
    text = open(p).read()
    text = text.replace('configs_folder = "/etc/janus"', f'configs_folder = "{cfg}"')
    text = text.replace('#ice_enforce_list = "eth0"', f'ice_enforce_list = "{VN}"')
    others = ["voicemail", "recordplay", "sip", "nosip", "streaming", "audiobridge", "textroom",
              "videocall", "echotest", "lua", "duktape"]
    text = text.replace('#disable = "libjanus_voicemail.so,libjanus_recordplay.so"',
                        'disable = "' + ",".join(f"libjanus_{o}.so" for o in others) + '"')
    text = text.replace('#disable = "libjanus_rabbitmq.so"',
                        'disable = "libjanus_rabbitmq.so,libjanus_mqtt.so,libjanus_nanomsg.so,'
                        'libjanus_pfunix.so"')
    open(p, "w").write(text)
    return cfg


def main():
    require_element("rtcbroadcastsink")
    check(os.geteuid() == 0, "root is needed for the network namespace")
    check(shutil.which("janus"), "janus is not installed (apt-get install janus)")
    check(os.path.exists(os.path.join(SWS_DIR, "server.js")),
          f"simple-whip-server not found in {SWS_DIR} (apt-get install simple-whip-server)")
    workdir = artifact_path(f"whip-janus-{os.getpid()}")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    procs = []
    with Netns():
        try:
            cfg = janus_config(workdir)
            janus = Proc(["janus", "-F", cfg, "-C", os.path.join(cfg, "janus.jcfg")], "janus")
            procs.append(janus)
            wait_for(lambda: "WebSockets thread started" in janus.tail(200), 15, "janus up",
                     diag=janus.tail)
            sws_dir = os.path.join(workdir, "sws")
            os.makedirs(sws_dir)
            for f in ("server.js", "whip-janus.js"):
                shutil.copy(os.path.join(SWS_DIR, f), sws_dir)
            shutil.copy(SWS_CONFIG, os.path.join(sws_dir, "config.js"))
            env = dict(os.environ, NODE_PATH=SWS_NODE_PATH)
            sws = Proc(["node", "server.js"], "simple-whip-server", cwd=sws_dir, env=env)
            procs.append(sws)
            wait_for(lambda: "Janus OK" in sws.tail(50), 15, "simple-whip-server up", diag=sws.tail)
            endpoint = "cam-" + uuid.uuid4().hex[:8]
            token = uuid.uuid4().hex
            r = subprocess.run(["curl", "-sf", "-XPOST", "-H", "content-type: application/json",
                                "-d", json.dumps({"id": endpoint, "room": ROOM, "token": token}),
                                f"http://{NS_IP}:7080/whip/create"], capture_output=True, text=True)
            check(r.returncode == 0, f"POST /whip/create failed: {r.stdout} {r.stderr}")

            whip = f"http://{NS_IP}:7080/whip/endpoint/{endpoint}"
            with Pipeline("videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 "
                          f"! rtcbroadcastsink serve=false signaller::uri={whip} "
                          f"signaller::auth-token={token} ice-local-addresses={HOST_IP} "
                          "video-codecs=vp8", name="whip-janus") as pipe:
                wait_for(lambda: "WebRTC media is now available" in janus.tail(400), 20,
                         "Janus receiving the WHIP publisher",
                         diag=lambda: janus.tail(30) + "\n" + pipe.tail(30))
                flags = ["--disable-features=WebRtcHideLocalIpsWithMdns"]
                with Chromium(extra_flags=flags) as browser:
                    tab = browser.open(f"http://{NS_IP}:8088/janus/info")
                    tab.exec(SUBSCRIBE_JS % {"room": ROOM})
                    stats = lambda: tab.eval(STATS_JS)  # noqa: E731
                    diag = lambda: f"{stats()}\n{janus.tail(30)}\n{pipe.tail(20)}"  # noqa: E731
                    wait_for(lambda: (stats().get("framesDecoded") or 0) >= 30, 30,
                             "Chromium decoding 30 frames through Janus", diag=diag)
                    s0 = stats()
                    time.sleep(3)
                    s1 = stats()
                    fps = (s1["framesDecoded"] - s0["framesDecoded"]) / 3.0
                    log(f"Chromium via Janus: {s1}, {fps:.1f} fps")
                    check(fps > 15, f"{fps:.1f} fps decoded", diag=diag)
                    check(s1.get("width") == 320, f"width {s1.get('width')}", diag=diag)
                rc = pipe.stop()
                check(rc == 0, f"gst-launch exit {rc}", diag=pipe.tail)
            # stop() DELETEd the resource: Janus tore the publisher down.
            wait_for(lambda: "No WebRTC media anymore" in janus.tail(400), 10,
                     "the publisher gone from Janus after the DELETE", diag=janus.tail)
        finally:
            for p in reversed(procs):
                p.stop()


if __name__ == "__main__":
    run_main(main)
