"""Proves the browser harness itself: Chromium (selenium) and Firefox ESR (WebDriver BiDi) load a
page from a local http.server on 127.0.0.1, run getUserMedia with fake devices, connect a loopback
RTCPeerConnection pair and return inbound video stats through tab.eval. Two tabs in one Chromium
check that tabs are independent. Exits non-zero on failure; 77 only if a browser is absent."""

import http.server
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browsers import Chromium, Firefox, find_chromium, find_firefox  # noqa: E402
from util import SKIP, check, log, run_main, wait_for  # noqa: E402

PAGE = b"""<!doctype html><meta charset="utf-8"><title>harness</title>
<video id="v" muted autoplay playsinline></video>
<script>
window.loop = (async () => {
  const local = await navigator.mediaDevices.getUserMedia({video: {width: 320, height: 240}, audio: true});
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = e => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = e => e.candidate && a.addIceCandidate(e.candidate);
  const remote = new MediaStream();
  b.ontrack = e => { remote.addTrack(e.track); document.getElementById('v').srcObject = remote; };
  local.getTracks().forEach(t => a.addTrack(t, local));
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  window.pcs = {a, b};
  return true;
})();
window.inbound = async () => {
  await window.loop;
  const out = {ua: navigator.userAgent, conn: window.pcs.b.connectionState};
  (await window.pcs.b.getStats()).forEach(s => {
    if (s.type === 'inbound-rtp') out[s.kind] = {framesDecoded: s.framesDecoded ?? null,
      packetsReceived: s.packetsReceived, frameWidth: s.frameWidth ?? null};
  });
  return out;
};
</script>"""


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *a):
        pass


def exercise(browser, url, name, tabs=1):
    opened = [browser.open(url) for _ in range(tabs)]
    for i, tab in enumerate(opened):
        check(tab.eval("1 + 1") == 2, f"{name}: eval of an expression")
        check(tab.eval("Promise.resolve(41).then(x => x + 1);") == 42, f"{name}: eval awaits a promise")
        check(tab.exec("return {a: [1, 'x', null]};") == {"a": [1, "x", None]}, f"{name}: exec of a body")
        try:
            tab.eval("Promise.reject(new Error('boom'))")
            raise AssertionError(f"{name}: a rejected promise must raise")
        except RuntimeError as e:
            check("boom" in str(e), f"{name}: error text carried over ({e})")
        s = wait_for(lambda: (lambda s: s if (s.get("video") or {}).get("framesDecoded", 0) >= 30
                              and (s.get("audio") or {}).get("packetsReceived", 0) > 0 else None)(
                                  tab.eval("window.inbound()")),
                     20, f"{name} tab {i}: 30 decoded frames over the loopback pc",
                     diag=lambda: repr(tab.eval("window.inbound()")))
        log(f"{name} tab {i}: {s}")
    opened[-1].close()
    return opened[:-1]


def main():
    if not find_chromium() or not find_firefox():
        log("a browser binary is absent: skipping")
        return SKIP
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with Chromium() as chromium:
            left = exercise(chromium, url, "chromium", tabs=2)
            check(left[0].eval("typeof window.inbound") == "function", "chromium: other tab still usable")
        with Firefox() as firefox:
            left = exercise(firefox, url, "firefox", tabs=2)
            check(left[0].eval("typeof window.inbound") == "function", "firefox: other tab still usable")
    finally:
        server.shutdown()


if __name__ == "__main__":
    run_main(main)
