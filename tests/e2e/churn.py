"""Viewers and publishers that leave at every moment of a negotiation, for the churn tests.

Each cycle is one WebSocket client of rtckit's signalling (the protocol of gst-plugins-rs'
server) that asks for a session and leaves at one of these moments:

  close-after-started   the socket closes right after sessionStarted
  end-after-started     endSession right after sessionStarted (before the offer)
  vanish-after-offer    the socket closes once the offer arrived
  end-after-answer      an answer goes back (webrtcbin starts its transports and ICE), then
                        endSession at once
  vanish-after-answer   the same, then the socket closes without endSession
  garbage-answer        an answer that is not SDP, then endSession

The answers are made from the offer (same m-lines, first payload type, recvonly, fresh ICE
credentials and a random fingerprint), so webrtcbin accepts them and sets up DTLS and ICE
transports that never connect: exactly the state a browser that vanishes leaves behind.

Publishers (for rtcingestsrc) do the same from the producer side: setPeerStatus producer, wait
for the element's startSession, and leave before or after sending an offer made by hand.
"""

import asyncio
import json
import random
import secrets

VIEWER_KINDS = ["close-after-started", "end-after-started", "vanish-after-offer",
                "end-after-answer", "vanish-after-answer", "garbage-answer"]
PUBLISHER_KINDS = ["close-after-start", "vanish-after-offer", "end-after-offer",
                   "end-after-answer"]

VP8_OPUS_OFFER_MEDIA = [("video", 96, "VP8/90000", None), ("audio", 111, "OPUS/48000/2",
                                                                     "minptime=10;useinbandfec=1")]


def _fingerprint():
    return ":".join(f"{b:02X}" for b in secrets.token_bytes(32))


def _session_header(mids):
    return ("v=0\r\no=- %d 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" % random.randint(1, 2**31)
            + f"a=group:BUNDLE {' '.join(mids)}\r\n")


class _Transport:
    """One bundled transport: the same ICE credentials and fingerprint in every m-line."""

    def __init__(self, setup):
        self.lines = (f"a=ice-ufrag:{secrets.token_hex(4)}\r\na=ice-pwd:{secrets.token_hex(12)}\r\n"
                      f"a=fingerprint:sha-256 {_fingerprint()}\r\na=setup:{setup}\r\na=rtcp-mux\r\n")


def answer_for(offer):
    """A recvonly answer to @offer (first codec of each m-line)."""
    sections, cur = [], None
    for line in offer.replace("\r\n", "\n").split("\n"):
        if line.startswith("m="):
            cur = [line]
            sections.append(cur)
        elif cur is not None and line:
            cur.append(line)
    mids, body, transport = [], "", _Transport("active")
    for i, sec in enumerate(sections):
        kind, _port, proto, *pts = sec[0][2:].split()
        pt = pts[0] if pts else "0"
        mid = next((l[6:] for l in sec if l.startswith("a=mid:")), str(i))
        mids.append(mid)
        body += f"m={kind} 9 {proto} {pt}\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\na=recvonly\r\n"
        body += transport.lines
        for l in sec:
            if l.startswith((f"a=rtpmap:{pt} ", f"a=fmtp:{pt} ")):
                body += l + "\r\n"
    return _session_header(mids) + body


def publisher_offer():
    """A sendonly VP8 + Opus offer such as a browser's, without candidates."""
    mids, body, transport = [], "", _Transport("actpass")
    for i, (kind, pt, rtpmap, fmtp) in enumerate(VP8_OPUS_OFFER_MEDIA):
        mids.append(str(i))
        body += (f"m={kind} 9 UDP/TLS/RTP/SAVPF {pt}\r\nc=IN IP4 0.0.0.0\r\na=mid:{i}\r\n"
                 f"a=sendonly\r\na=rtpmap:{pt} {rtpmap}\r\n")
        if fmtp:
            body += f"a=fmtp:{pt} {fmtp}\r\n"
        body += f"a=ssrc:{random.randint(1, 2**31)} cname:churn\r\n" + transport.lines
    return _session_header(mids) + body


async def _recv(ws, want, timeout=10):
    """Messages until one of type @want (a str or a tuple); returns it (None on timeout)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        left = end - loop.time()
        if left <= 0:
            return None
        try:
            m = json.loads(await asyncio.wait_for(ws.recv(), left))
        except asyncio.TimeoutError:
            return None
        if m.get("type") in ((want,) if isinstance(want, str) else want):
            return m


async def _producer_id(ws):
    await ws.send(json.dumps({"type": "list"}))
    m = await _recv(ws, "list")
    return m["producers"][0]["id"] if m and m.get("producers") else None


async def viewer_cycle(url, kind):
    """One viewer that leaves at @kind; returns a short outcome for the log."""
    import websockets
    async with websockets.connect(url, open_timeout=5, close_timeout=1) as ws:
        await _recv(ws, "welcome")
        producer = await _producer_id(ws)
        if not producer:
            return "no-producer"
        await ws.send(json.dumps({"type": "startSession", "peerId": producer}))
        started = await _recv(ws, "sessionStarted")
        if not started:
            return "no-session"
        sid = started["sessionId"]
        if kind == "close-after-started":
            return kind  # the context manager closes the socket
        if kind == "end-after-started":
            await ws.send(json.dumps({"type": "endSession", "sessionId": sid}))
            return kind
        offer = await _recv(ws, ("peer", "endSession"))
        if not offer or "sdp" not in offer:
            return "no-offer"
        if kind == "vanish-after-offer":
            return kind
        sdp = "not an sdp" if kind == "garbage-answer" else answer_for(offer["sdp"]["sdp"])
        await ws.send(json.dumps({"type": "peer", "sessionId": sid,
                                  "sdp": {"type": "answer", "sdp": sdp}}))
        if kind == "vanish-after-answer":
            await asyncio.sleep(random.uniform(0, 0.05))
            return kind
        await ws.send(json.dumps({"type": "endSession", "sessionId": sid}))
        return kind


async def publisher_cycle(url, kind):
    """One publisher (a producer on rtcingestsrc's server) that leaves at @kind."""
    import websockets
    async with websockets.connect(url, open_timeout=5, close_timeout=1) as ws:
        await _recv(ws, "welcome")
        await ws.send(json.dumps({"type": "setPeerStatus", "roles": ["producer"],
                                  "meta": {"name": "churn"}}))
        start = await _recv(ws, "startSession")
        if not start:
            return "no-session"
        sid = start["sessionId"]
        if kind == "close-after-start":
            return kind
        await ws.send(json.dumps({"type": "peer", "sessionId": sid,
                                  "sdp": {"type": "offer", "sdp": publisher_offer()}}))
        if kind == "vanish-after-offer":
            return kind
        if kind == "end-after-answer":
            await _recv(ws, "peer", timeout=5)
        await ws.send(json.dumps({"type": "endSession", "sessionId": sid}))
        return kind


def run_cycles(url, kinds, count, cycle, parallel=4):
    """@count cycles, @parallel at a time, kinds in turn; returns {outcome: n}."""
    async def main():
        outcomes = {}
        sem = asyncio.Semaphore(parallel)

        async def one(i):
            async with sem:
                try:
                    r = await cycle(url, kinds[i % len(kinds)])
                except Exception as e:  # a refused or reset socket is an outcome too
                    r = f"error:{type(e).__name__}"
                outcomes[r] = outcomes.get(r, 0) + 1
        await asyncio.gather(*(one(i) for i in range(count)))
        return outcomes
    return asyncio.run(main())


def proc_usage(pid):
    """fds, threads and RSS (MB) of process @pid."""
    import os
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    threads = len(os.listdir(f"/proc/{pid}/task"))
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    return {"fds": fds, "threads": threads, "rss_mb": round(rss, 1)}


def fd_report(pid, stats=None):
    """Process @pid's open file descriptors, a line each: a socket with its protocol, local
    port and state, and the sessions in @stats (the element's /stats) that had that port among
    their local candidates, with how they ended: who held a socket left over."""
    import os
    sockets = {}  # inode -> (protocol, local port, state)
    for proto in ("udp", "tcp", "udp6", "tcp6", "unix"):
        try:
            with open(f"/proc/{pid}/net/{proto}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if proto == "unix":
                if len(cols) >= 7:
                    sockets[cols[6]] = ("unix", cols[7] if len(cols) > 7 else "", cols[5])
            elif len(cols) >= 10:
                sockets[cols[9]] = (proto, int(cols[1].rsplit(":", 1)[1], 16), cols[3])
    sessions = ((stats or {}).get("connections") or [])
    lines = []
    for fd in sorted(os.listdir(f"/proc/{pid}/fd"), key=int):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        line = f"{fd:>4} {target}"
        if target.startswith("socket:["):
            proto, port, state = sockets.get(target[8:-1], ("?", "", ""))
            line += f" {proto} {port} state {state}"
            if proto in ("udp", "tcp") and port:
                for c in sessions:
                    if any(cand.endswith(f":{port}") or f":{port} " in cand
                           for cand in c.get("local_candidates") or []):
                        line += (f"\n       session {c.get('session')} ({c.get('state')}: "
                                 f"{c.get('end_reason') or 'open'}) events {c.get('events')}")
        lines.append(line)
    return "\n".join(lines)
