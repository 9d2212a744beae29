// rtckit signalling client core, shared by the viewer (rtckit.js) and the publish page
// (rtckit-publish.js) and the call page (rtckit-call.js): the socket of the signalling protocol
// (gst-webrtc-signalling-server 1.1, JSON over WebSocket at ./ws), remote ICE candidates, SDP
// directions, and the stats line under the video. Load it before any of them; it defines
// window.rtckitSignalling (and is a CommonJS module for tests/web/ under Node).
(() => {
  'use strict';

  // The RTCPeerConnection configuration. ICE servers: those the server's welcome carried (the
  // element's stun-server / turn-servers, TURN credentials of this page's own), and never any
  // from the URL: a link must not send a viewer's media through a server the element did not
  // choose. ?ice-transport-policy=relay uses TURN only (to check a TURN server).
  function pcConfig(params, welcomeIceServers) {
    const cfg = {
      iceServers: welcomeIceServers || [],
      bundlePolicy: 'max-bundle',
    };
    if (params.get('ice-transport-policy') === 'relay') cfg.iceTransportPolicy = 'relay';
    return cfg;
  }

  // ICE server problems the browser reports (icecandidateerror): a TURN server that refused our
  // credentials (401, 431: expired or wrong) or one it could not reach (701). Kept in
  // api.iceErrors; iceErrorText() says what went wrong in words, or ''.
  function watchIceErrors(pc, api) {
    api.iceErrors = [];
    pc.addEventListener('icecandidateerror', e => {
      if (api.iceErrors.length < 20) api.iceErrors.push({ url: e.url, code: e.errorCode, text: e.errorText });
    });
  }

  function iceErrorText(api) {
    const errs = api.iceErrors || [];
    const auth = errs.find(e => e.code === 401 || e.code === 431);
    if (auth) return `the TURN server ${auth.url} refused our credentials (${auth.code} ${auth.text}): they are expired or wrong`;
    const gone = errs.find(e => e.code === 701);
    if (gone) return `the ICE server ${gone.url} could not be reached`;
    return '';
  }

  function wsUrl() {
    const u = new URL('ws', location.href);
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }

  // One socket message to @onMessage; bad JSON and handler exceptions are logged, not thrown.
  function dispatch(data, onMessage) {
    let msg;
    try { msg = JSON.parse(data); } catch (e) { console.warn('rtckit: bad message', data); return; }
    try { onMessage(msg); } catch (e) { console.error('rtckit: handling', msg, e); }
  }

  // The 'peer' message for a local candidate, or null for the end of gathering (a null
  // candidate: webrtcbin needs no message for it).
  function iceMessage(sessionId, candidate) {
    if (!candidate || !candidate.candidate) return null;
    return { type: 'peer', sessionId,
             ice: { candidate: candidate.candidate, sdpMLineIndex: candidate.sdpMLineIndex } };
  }

  async function addIce(pc, ice) {
    try {
      // An empty candidate string means the end of the remote candidates.
      await pc.addIceCandidate({ candidate: ice.candidate || '', sdpMLineIndex: ice.sdpMLineIndex ?? 0 });
    } catch (e) {
      console.warn('rtckit: addIceCandidate', ice, e);
    }
  }

  // Ids of the last 20 sessions we closed: late errors about them are not shown.
  function rememberClosed(closed, id) {
    closed.add(id);
    if (closed.size > 20) closed.delete(closed.values().next().value);
  }

  // Shows @text in #error (hidden when null) and keeps it in @api.error.
  function showError(api, text) {
    api.error = text;
    const el = document.getElementById('error');
    el.textContent = text || '';
    el.hidden = !text;
    if (text) console.error('rtckit:', text);
  }

  // The rows of the stats line from one stats() summary; @prev carries the last call's totals
  // ({ t, bytes, frames }, or null): returns { rows, prev }.
  function statsRows(s, prev, bytesKey, framesKey, lost) {
    const now = performance.now();
    const vid = s.video || {}, aud = s.audio || {};
    const bytes = (vid[bytesKey] || 0) + (aud[bytesKey] || 0);
    let kbps = null, fps = vid.framesPerSecond;
    if (prev) {
      const dt = (now - prev.t) / 1000;
      kbps = Math.round((bytes - prev.bytes) * 8 / dt / 1000);
      if (fps == null && vid[framesKey] != null) fps = (vid[framesKey] - prev.frames) / dt;
    }
    const rows = [
      ['resolution', vid.frameWidth ? `${vid.frameWidth}×${vid.frameHeight}` : '–'],
      ['fps', fps != null ? Math.round(fps) : '–'],
      ['codec', [vid.codec, aud.codec].filter(Boolean).join(' + ') || '–'],
      ['bitrate', kbps != null ? `${kbps} kbit/s` : '–'],
      ['RTT', s.rtt != null ? `${Math.round(s.rtt * 1000)} ms` : '–'],
      ['packets lost', lost(vid, aud)],
    ];
    return { rows, prev: { t: now, bytes, frames: vid[framesKey] || 0 } };
  }

  function statsLine(rows) {
    return rows.map(([k, val]) => `${k}: ${val}`).join('  ·  ');
  }

  // A plain summary of @pc's inbound-rtp video and audio; fields a browser lacks are null.
  async function inboundStats(pc) {
    const out = { video: null, audio: null, rtt: null, connectionState: null };
    if (!pc) return out;
    out.connectionState = pc.connectionState;
    const report = await pc.getStats();
    const v = x => (x === undefined ? null : x);
    const codecOf = s => { const c = s.codecId && report.get(s.codecId); return c ? c.mimeType : null; };
    report.forEach(s => {
      if (s.type === 'inbound-rtp' && (s.kind || s.mediaType) === 'video') {
        out.video = {
          framesDecoded: v(s.framesDecoded), framesPerSecond: v(s.framesPerSecond),
          frameWidth: v(s.frameWidth), frameHeight: v(s.frameHeight),
          freezeCount: v(s.freezeCount), totalFreezesDuration: v(s.totalFreezesDuration),
          framesDropped: v(s.framesDropped), packetsLost: v(s.packetsLost),
          packetsReceived: v(s.packetsReceived), bytesReceived: v(s.bytesReceived),
          nackCount: v(s.nackCount), pliCount: v(s.pliCount), codec: codecOf(s),
        };
      } else if (s.type === 'inbound-rtp' && (s.kind || s.mediaType) === 'audio') {
        out.audio = { packetsReceived: v(s.packetsReceived), packetsLost: v(s.packetsLost),
                      bytesReceived: v(s.bytesReceived), codec: codecOf(s) };
      } else if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded' &&
                 s.currentRoundTripTime !== undefined) {
        out.rtt = s.currentRoundTripTime;
      } else if (s.type === 'remote-outbound-rtp' && out.rtt === null && s.roundTripTime !== undefined) {
        out.rtt = s.roundTripTime;
      }
    });
    return out;
  }

  // The direction of each m-section of @sdp, by its mid: its own attribute, else the session's,
  // else sendrecv (RFC 8866).
  function sdpDirections(sdp) {
    const out = {};
    const direction = text => {
      const m = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(text);
      return m ? m[1] : null;
    };
    const [session, ...media] = String(sdp).split(/\r?\n(?=m=)/);
    const fallback = direction(session) || 'sendrecv';
    for (const section of media) {
      const mid = /^a=mid:(\S+)/m.exec(section);
      if (mid) out[mid[1]] = direction(section) || fallback;
    }
    return out;
  }

  // Our direction in the answer to an m-line that the other side offered as @offered, when we
  // have (@haveTrack) or lack a local track of its kind: we send where it receives, receive where
  // it sends.
  function answerDirection(offered, haveTrack) {
    const theyReceive = offered === 'sendrecv' || offered === 'recvonly';
    const theySend = offered === 'sendrecv' || offered === 'sendonly';
    const weSend = theyReceive && haveTrack;
    if (weSend && theySend) return 'sendrecv';
    if (weSend) return 'sendonly';
    if (theySend) return 'recvonly';
    return 'inactive';
  }

  const api = {
    pcConfig, watchIceErrors, iceErrorText, wsUrl, dispatch, iceMessage, addIce, rememberClosed, showError, statsRows, statsLine,
    inboundStats, sdpDirections, answerDirection,
  };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else window.rtckitSignalling = api;
})();
