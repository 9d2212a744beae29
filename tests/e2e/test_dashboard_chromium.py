#!/usr/bin/python3
"""The connection flow, visible (issue 14): /stats in a browser is a live dashboard of every
session, a working and a failed one side by side; the JSON stays at /stats.json (and at /stats
for clients that do not ask for HTML).

rtcbroadcastsink (connect-timeout=3) gets two viewers: headless Chromium's viewer page, which
plays, and a WebSocket client that answers with ICE credentials and a fingerprint that lead
nowhere and stays (it times out). A second tab opens /stats: the dashboard shows the first as
connected with its selected pair and its timeline, the second as ended with "timeout: ...".
/metrics counts the timed-out session and the live one's selected pair type. The viewer's card
graphs its media (bitrate, RTT, loss, NACK, PLI, frames a second). A screenshot is saved in
tests/e2e/artifacts/dashboard.png. Then the same graphs for a publisher (Chromium's /publish into
rtcingestsrc) and a caller (Chromium's /call with rtccallbin), whose /stats.json say frames and
bytes were received.
Run: /usr/bin/python3 tests/e2e/test_dashboard_chromium.py
"""

import asyncio
import json
import os
import sys
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import churn  # noqa: E402
from browsers import Chromium, find_chromium  # noqa: E402
from util import (SKIP, Pipeline, artifact_path, check, free_port, log, require_element,  # noqa: E402
                  run_main, viewer_state, wait_for, wait_http)


async def stuck_viewer(url, hold_s):
    """A viewer whose answer leads nowhere (churn.answer_for: fresh ICE credentials, a random
    fingerprint, no candidates) and that keeps its socket open."""
    import websockets
    async with websockets.connect(url) as ws:
        await churn._recv(ws, "welcome")
        producer = await churn._producer_id(ws)
        await ws.send(json.dumps({"type": "startSession", "peerId": producer}))
        sid = (await churn._recv(ws, "sessionStarted"))["sessionId"]
        offer = await churn._recv(ws, ("peer",), timeout=10)
        while offer and "sdp" not in offer:
            offer = await churn._recv(ws, ("peer",), timeout=10)
        await ws.send(json.dumps({"type": "peer", "sessionId": sid, "sdp": {
            "type": "answer", "sdp": churn.answer_for(offer["sdp"]["sdp"])}}))
        await asyncio.sleep(hold_s)


DASHBOARD_JS = """
return Array.from(document.querySelectorAll('section.conn')).map(c => ({
  kind: c.querySelector('h2 span').textContent,
  state: c.dataset.state,
  pair: c.querySelector('.pair').textContent,
  reason: (c.querySelector('.reason') || {}).textContent || '',
  events: c.querySelectorAll('.timeline div').length,
  graphs: Object.fromEntries(Array.from(c.querySelectorAll('.graph > div:first-child')).map(d => {
    const at = d.textContent.indexOf(': ');
    return [d.textContent.slice(0, at), parseFloat(d.textContent.slice(at + 2))];
  }))}));
"""


def graphs_of(dash, kind, want):
    """The graphs of the first connected @kind card once @want(graphs) holds, else None."""
    for c in dash.exec(DASHBOARD_JS):
        if c["kind"] == kind and c["state"] == "connected" and want(c["graphs"]):
            return c["graphs"]
    return None


def media_flows(g):
    return g.get("bitrate", 0) > 50 and g.get("frames", 0) > 5


def publisher_and_caller(chromium):
    """rtcingestsrc's and rtccallbin's dashboards graph their publisher's and caller's media."""
    for what, element, page, kind in (
            ("ingest", "rtcingestsrc name=e address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 "
                       "video-codecs=vp8 e. ! fakesink sync=false", "/publish?audio=0", "publisher"),
            ("call", "rtccallbin name=e address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 "
                     "video-codecs=vp8 videotestsrc is-live=true ! video/x-raw,width=320,height=240 "
                     "! e.video_0 e. ! fakesink sync=false", "/call?audio=0", "caller")):
        port = free_port()
        with Pipeline(element.format(port=port), name=f"dashboard-{what}") as pipe:
            wait_http(f"http://127.0.0.1:{port}/stats", 20)
            tab = chromium.open(f"http://127.0.0.1:{port}{page}")
            dash = chromium.open(f"http://127.0.0.1:{port}/stats")
            g = wait_for(lambda: graphs_of(dash, kind, media_flows), 40,
                         f"the {what} dashboard graphs its {kind}'s media",
                         diag=lambda: f"{dash.exec(DASHBOARD_JS)}\n{pipe.tail(15)}")
            log(f"{what}: {kind} graphs {g}")
            check(set(g) >= {"bitrate", "RTT", "lost", "NACK", "PLI", "frames"}, f"graphs {g}")
            data = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/stats.json",
                                                     timeout=5).read())
            live = [c for c in data["connections"] if not c["ended_ms"]]
            check(live and live[0]["media"]["frames_received"] > 0
                  and live[0]["media"]["bytes_received"] > 0,
                  f"{what}: /stats.json media {live and live[0]['media']}")
            if what == "call":  # the call sends too (through rtckit's own send stage)
                check(live[0]["media"]["frames_sent"] > 0 and live[0]["media"]["bytes_sent"] > 0,
                      f"call: nothing sent in /stats.json: {live[0]['media']}")
            dash.close()
            tab.close()


def main():
    if not find_chromium():
        log("no chromium binary")
        return SKIP
    require_element("rtcbroadcastsink")
    port = free_port()
    sink = Pipeline(f"videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
                    f"rtcbroadcastsink address=127.0.0.1:{port} ice-local-addresses=127.0.0.1 "
                    f"video-codecs=vp8 connect-timeout=3", name="dashboard-sink")
    try:
        wait_http(f"http://127.0.0.1:{port}/stats", 20)
        with Chromium() as chromium:
            viewer = chromium.open(f"http://127.0.0.1:{port}/")
            wait_for(lambda: viewer_state(viewer)["state"] == "playing", 30, "the viewer plays")
            stuck = threading.Thread(target=lambda: asyncio.run(
                stuck_viewer(f"ws://127.0.0.1:{port}/ws", 8)), daemon=True)
            stuck.start()
            dash = chromium.open(f"http://127.0.0.1:{port}/stats")

            def cards():
                return dash.exec(DASHBOARD_JS)
            got = wait_for(lambda: (lambda c: c if any(x["state"] == "connected" and "host" in x["pair"]
                                                       for x in c)
                                    and any(x["state"] == "ended" and x["reason"].startswith("timeout")
                                            for x in c) else None)(cards()),
                           30, "a working and a timed-out session on the dashboard",
                           diag=lambda: f"{cards()}")
            log(f"dashboard: {got}")
            check(all(x["events"] >= 3 for x in got), f"timelines too short: {got}")
            g = wait_for(lambda: graphs_of(dash, "viewer", media_flows), 20,
                         "the viewer's graphs show its media", diag=lambda: f"{cards()}")
            log(f"viewer graphs {g}")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                metrics = r.read().decode()
            for line in ('rtckit_sessions_ended_total{why="timed_out"} 1',
                         'rtckit_sessions_selected_pair{local="host",remote="host"} 1'):
                check(line in metrics, f"/metrics lacks {line!r}")
            png = artifact_path("dashboard.png")
            chromium.driver.save_screenshot(png)
            log(f"screenshot: {png}")
            stuck.join(15)
            publisher_and_caller(chromium)
        # The JSON for scripts: at /stats.json, and at /stats without Accept: text/html.
        for path in ("/stats.json", "/stats"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                data = json.loads(r.read())
            check("connections" in data and "viewers" in data, f"{path}: {list(data)}")
    finally:
        sink.stop()


if __name__ == "__main__":
    run_main(main)
