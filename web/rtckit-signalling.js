// rtckit signalling client core, shared by the viewer (rtckit.js) and the publish page
// (rtckit-publish.js): the socket of the signalling protocol (gst-webrtc-signalling-server 1.1,
// JSON over WebSocket at ./ws), remote ICE candidates, and the stats line under the video.
// Load it before either of them; it defines window.rtckitSignalling.
(() => {
  'use strict';

  // ?ice=<url,url> or ?ice=<JSON array of RTCIceServer>; none by default.
  function parseIce(s) {
    if (!s) return [];
    try {
      if (s.trim().startsWith('[')) return JSON.parse(s);
      return s.split(',').filter(Boolean).map(urls => ({ urls }));
    } catch (e) {
      console.warn('rtckit: bad ?ice= parameter', e);
      return [];
    }
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

  window.rtckitSignalling = {
    parseIce, wsUrl, dispatch, iceMessage, addIce, rememberClosed, showError, statsRows, statsLine,
  };
})();
