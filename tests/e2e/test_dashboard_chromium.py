#!/usr/bin/python3
"""The connection flow, visible (issue 14): /stats in a browser is a live dashboard of every
session, a working and a failed one side by side; the JSON stays at /stats.json (and at /stats
for clients that do not ask for HTML).

rtcbroadcastsink (connect-timeout=3) gets two viewers: headless Chromium's viewer page, which
plays, and a WebSocket client that answers with ICE credentials and a fingerprint that lead
nowhere and stays (it times out). A second tab opens /stats: the dashboard shows the first as
connected with its selected pair and its timeline, the second as ended with "timeout: ...".
/metrics counts the timed-out session and the live one's selected pair type. A screenshot is
saved in tests/e2e/artifacts/dashboard.png.
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
  state: c.dataset.state,
  pair: c.querySelector('.pair').textContent,
  reason: (c.querySelector('.reason') || {}).textContent || '',
  events: c.querySelectorAll('.timeline div').length}));
"""


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
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                metrics = r.read().decode()
            for line in ('rtckit_sessions_ended_total{why="timed_out"} 1',
                         'rtckit_sessions_selected_pair{local="host",remote="host"} 1'):
                check(line in metrics, f"/metrics lacks {line!r}")
            png = artifact_path("dashboard.png")
            chromium.driver.save_screenshot(png)
            log(f"screenshot: {png}")
            stuck.join(15)
        # The JSON for scripts: at /stats.json, and at /stats without Accept: text/html.
        for path in ("/stats.json", "/stats"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                data = json.loads(r.read())
            check("connections" in data and "viewers" in data, f"{path}: {list(data)}")
    finally:
        sink.stop()


if __name__ == "__main__":
    run_main(main)
