#!/usr/bin/python3
"""Runs inside a network namespace (tests/e2e/test_nat_matrix.py): headless Chromium opens the
viewer page at URL and prints one JSON line: the page's state, the selected candidate pair,
the time from navigation to the first video frame, and the frame rate over MEASURE seconds.
With --publish the page is the publish page (Chromium's fake camera into rtcingestsrc): the
state, the pair, and the time until it publishes.
Usage: nat_viewer.py [--publish] URL [MEASURE]
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium  # noqa: E402

PAIR_JS = """
const stats = await rtckit.pc.getStats();
let pair = null;
stats.forEach(s => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
if (!pair) return null;
const l = stats.get(pair.localCandidateId), r = stats.get(pair.remoteCandidateId);
return {local: l.candidateType, local_protocol: l.protocol, relay_protocol: l.relayProtocol || null,
        remote: r.candidateType, remote_address: r.address || r.ip, remote_port: r.port};
"""
# Registered as soon as the page is open; read later (ms since navigation started).
FIRST_FRAME_JS = """
const v = document.getElementById('video');
window.__firstFrame = null;
v.requestVideoFrameCallback((now) => { window.__firstFrame = now; });
// Where the time to the first frame goes: page state, ICE and connection states, when each changed.
window.__timeline = [];
let last = '';
const tick = setInterval(() => {
  const pc = rtckit.pc;
  const now = `${rtckit.state} ice=${pc ? pc.iceConnectionState : '-'} pc=${pc ? pc.connectionState : '-'} gather=${pc ? pc.iceGatheringState : '-'}`;
  if (now !== last) { window.__timeline.push([Math.round(performance.now()), now]); last = now; }
  if (window.__firstFrame !== null) clearInterval(tick);
}, 5);
return true;
"""
PAIRS_JS = """
if (!rtckit.pc) return null;
const stats = await rtckit.pc.getStats();
const out = [];
stats.forEach(s => { if (s.type === 'candidate-pair') {
  const l = stats.get(s.localCandidateId), r = stats.get(s.remoteCandidateId);
  out.push(`${l.candidateType} ${l.address}:${l.port} -> ${r.candidateType} ${r.address}:${r.port} ${s.state}`); } });
stats.forEach(s => { if (s.type === 'local-candidate' || s.type === 'remote-candidate')
  out.push(`${s.type} ${s.candidateType} ${s.protocol} ${s.address}:${s.port}`); });
return out;
"""
FRAMES_JS = "document.getElementById('video').getVideoPlaybackQuality().totalVideoFrames"


def publish(url, out):
    Chromium.FLAGS = [f for f in Chromium.FLAGS if "WebRtcHideLocalIpsWithMdns" not in f]
    # getUserMedia needs a secure context: plain http is one only on localhost.
    from urllib.parse import urlsplit
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    with Chromium(extra_flags=[f"--unsafely-treat-insecure-origin-as-secure={origin}"]) as chromium:
        tab = chromium.open(url)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            out["state"] = tab.eval("rtckit.state")
            if out["state"] == "publishing":
                out["publishing_ms"] = tab.eval("performance.now()")
                break
            time.sleep(0.1)
        if out["state"] != "publishing":
            out["pairs"] = tab.exec(PAIRS_JS)
            raise RuntimeError(f"not publishing after 30 s: {out['state']}")
        out["pair"] = tab.exec(PAIR_JS)
        time.sleep(5)  # the pipeline counts what arrives meanwhile
        out["ice_servers"] = [s.get("urls") for s in tab.eval("rtckit.pc.getConfiguration().iceServers")]
        out["url_has_password"] = "ice=" in url


def main():
    args = sys.argv[1:]
    publishing = args[:1] == ["--publish"]
    if publishing:
        args = args[1:]
    url = args[0]
    measure = float(args[1]) if len(args) > 1 else 5.0
    if publishing:
        out = {"state": None, "pair": None, "error": None}
        try:
            publish(url, out)
        except Exception as e:  # noqa: BLE001 - reported to the test as data
            out["error"] = f"{type(e).__name__}: {e}"[:1500]
        print(json.dumps(out), flush=True)
        return
    out = {"state": None, "pair": None, "first_frame_ms": None, "fps": 0.0, "error": None}
    # The test's own self-signed TURN-over-TLS certificate (a deployment has a real one).
    flags = os.environ.get("NAT_VIEWER_FLAGS", "").split()
    # Chromium as users run it: its host candidates hidden behind mDNS names (the loopback tests
    # turn that off to pair on 127.0.0.1). Behind a NAT they only cost the sender a hopeless
    # host-to-host check that holds libnice's nomination ~2 s (bench/README.md).
    Chromium.FLAGS = [f for f in Chromium.FLAGS if "WebRtcHideLocalIpsWithMdns" not in f]
    try:
        with Chromium(extra_flags=flags) as chromium:
            tab = chromium.open(url)
            tab.exec(FIRST_FRAME_JS)
            end = time.monotonic() + 30
            while time.monotonic() < end:
                out["state"] = tab.eval("rtckit.state")
                if out["state"] == "playing" and tab.eval("window.__firstFrame") is not None:
                    break
                time.sleep(0.2)
            out["first_frame_ms"] = tab.eval("window.__firstFrame")
            out["timeline"] = tab.eval("window.__timeline")
            if out["state"] != "playing":
                out["pairs"] = tab.exec(PAIRS_JS)
                out["console"] = chromium.console_log()[-10:]
                raise RuntimeError(f"not playing after 30 s: {out['state']}")
            out["pair"] = tab.exec(PAIR_JS)
            f0, t0 = tab.eval(FRAMES_JS), time.monotonic()
            time.sleep(measure)
            out["fps"] = (tab.eval(FRAMES_JS) - f0) / (time.monotonic() - t0)
            out["ice_servers"] = [s.get("urls") for s in tab.eval("rtckit.pc.getConfiguration().iceServers")]
            out["url_has_password"] = "ice=" in url
    except Exception as e:  # noqa: BLE001 - reported to the test as data
        out["error"] = f"{type(e).__name__}: {e}"[:1500]
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
