// rtckit publisher: sends this browser's camera and microphone (or screen) to the GStreamer
// element that serves this page (rtcingestsrc), over the signalling protocol of
// gst-webrtc-signalling-server 1.1 (JSON over WebSocket at ./ws).
//
// We announce ourselves as a producer; the element (a local consumer) starts a session with us
// (`startSession`); we send the offer with our tracks (sendonly) and trickle ICE; it answers.
//
// URL parameters:
//   ?width=640&height=480&fps=30   video constraints (ideal values)
//   ?video=0 / ?audio=0            leave out the camera / the microphone
//   ?screen=1                      getDisplayMedia (screen) instead of the camera
//   ?codec=vp8|vp9|h264|av1        offer only this video codec (setCodecPreferences; a list such
//                                  as h264,vp8 keeps that order); default: the browser's own order
//   ?name=...                      a name sent in our producer meta
//   ?ice-transport-policy=relay    TURN only (ICE servers are the element's, never the URL's)
// Every offer carries the `rtckit` data channel (the element accepts it with data-channel=true).
// For tests and scripts: window.rtckitPublish = { state, error, pc, sessionId, peerId, since, stats(),
// stop(), start() } plus the data-channel API of rtckit-channel.js; window.rtckit is the same
// object (docs/web-api.md).
(() => {
  'use strict';

  const sig = window.rtckitSignalling; // rtckit-signalling.js
  const params = new URLSearchParams(location.search);
  const $ = id => document.getElementById(id);
  const preview = $('preview');
  let welcomeIce = null;     // the server's ICE servers (its welcome)
  const wantedCodec = (params.get('codec') || '').toLowerCase();

  const pub = window.rtckitPublish = window.rtckit = Object.assign(new EventTarget(), {
    state: 'connecting', // connecting | waiting | negotiating | publishing | stopped | error
    error: null,
    pc: null,
    sessionId: null,
    peerId: null,
    consumerId: null,
    since: null,         // Date.now() when this session's connection came up
    stream: null,
    stats,
    stop: () => stop(),
    start: () => start(),
  });
  const channels = window.rtckitChannel.attach(pub); // rtckit-channel.js

  let ws = null;
  let backoff = 500;          // socket reconnect delay, doubles to 5 s
  let wanted = true;          // the user wants to publish (Stop clears it)
  let announced = false;      // we told the server we are a producer on this socket
  let pendingIce = [];        // remote candidates that arrived before the answer was set
  let statsPrev = null;
  let mediaPromise = null;
  const closedSessions = new Set(); // ids of ended sessions: late errors about them are not shown

  function intParam(name) {
    const v = parseInt(params.get(name), 10);
    return Number.isFinite(v) && v > 0 ? v : undefined;
  }

  // ---- page state ---------------------------------------------------------------------------

  const LABELS = {
    connecting: 'connecting…',
    waiting: 'waiting for the server…',
    negotiating: 'negotiating…',
    publishing: 'publishing',
    stopped: 'stopped',
    error: 'error',
  };

  function setState(s) {
    if (pub.state === s) return;
    pub.state = s;
    if (s === 'publishing') setError(null);
    $('state').textContent = LABELS[s] || s;
    document.body.dataset.state = s;
    $('toggle').textContent = (s === 'stopped' || s === 'error') ? 'start' : 'stop';
  }

  function setError(text) {
    sig.showError(pub, text);
  }

  // ---- media ----------------------------------------------------------------------------------

  function constraints() {
    const video = {};
    const w = intParam('width'), h = intParam('height'), fps = intParam('fps');
    if (w) video.width = { ideal: w };
    if (h) video.height = { ideal: h };
    if (fps) video.frameRate = { ideal: fps };
    return {
      video: params.get('video') === '0' ? false : (Object.keys(video).length ? video : true),
      audio: params.get('audio') === '0' ? false : true,
    };
  }

  async function getMedia() {
    if (pub.stream && pub.stream.getTracks().some(t => t.readyState === 'live')) return pub.stream;
    const c = constraints();
    let stream;
    if (params.get('screen') === '1') {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: c.video || true, audio: c.audio });
    } else {
      stream = await navigator.mediaDevices.getUserMedia(c);
    }
    // The user ending a screen share (browser UI) stops publishing.
    stream.getTracks().forEach(t => t.addEventListener('ended', () => {
      if (pub.stream === stream && wanted) stop();
    }));
    pub.stream = stream;
    preview.srcObject = stream;
    preview.play().catch(() => {});
    return stream;
  }

  function stopMedia() {
    if (pub.stream) pub.stream.getTracks().forEach(t => t.stop());
    pub.stream = null;
    preview.srcObject = null;
    mediaPromise = null;
  }

  // ---- signalling -----------------------------------------------------------------------------

  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  function connect() {
    if (wanted) setState('connecting');
    const sock = ws = new WebSocket(sig.wsUrl());
    sock.onopen = () => {
      backoff = 500;
      if (wanted) announce();
    };
    sock.onmessage = ev => {
      if (ws === sock) sig.dispatch(ev.data, onMessage);
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      ws = null;
      announced = false;
      closePc();
      if (wanted) setState('connecting');
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 5000);
    };
    sock.onerror = () => {}; // onclose follows
  }

  // Become a producer: the element starts a session with every peer that becomes one.
  async function announce() {
    try {
      if (!mediaPromise) mediaPromise = getMedia();
      await mediaPromise;
    } catch (e) {
      mediaPromise = null;
      wanted = false;
      setError(`camera/microphone unavailable: ${e.name || ''} ${e.message || e}`.trim());
      setState('error');
      return;
    }
    if (!wanted || announced || !ws || ws.readyState !== WebSocket.OPEN) return;
    announced = true;
    const meta = { name: params.get('name') || 'rtckit-publisher', client: 'rtckit-publish' };
    send({ type: 'setPeerStatus', roles: ['producer'], meta });
    setState('waiting');
  }

  // Stop being a producer (so that a later announce() is a new producer to the element).
  function unannounce() {
    if (announced) send({ type: 'setPeerStatus', roles: [], meta: null });
    announced = false;
  }

  function onMessage(msg) {
    switch (msg.type) {
      case 'welcome':
        pub.peerId = msg.peerId;
        welcomeIce = Array.isArray(msg.iceServers) ? msg.iceServers : null;
        break;
      case 'startSession':
        onStartSession(msg);
        break;
      case 'peer':
        if (!msg.sessionId || msg.sessionId !== pub.sessionId) break;
        if (msg.sdp) onRemoteSdp(msg.sdp);
        else if (msg.ice) onRemoteIce(msg.ice);
        break;
      case 'endSession':
      case 'endSessionV1_1':
        if (msg.sessionId && msg.sessionId === pub.sessionId) onRemoteEnd(msg.error || null);
        break;
      case 'error':
        onError(msg);
        break;
      default:
        break;
    }
  }

  function onError(msg) {
    const text = msg.details || 'unknown error';
    // With a session id it is the element's reason for ending our session; the endSession follows.
    // Replies about sessions already ended (candidates we trickled while the element refused
    // us: "unknown session ...") must not hide the error that mattered.
    if ((msg.sessionId && msg.sessionId !== pub.sessionId) ||
        [...closedSessions].some(id => text.includes(id))) {
      console.info('rtckit: about another session:', text);
      return;
    }
    setError(text);
    if (msg.sessionId) {
      closePc();
      pub.sessionId = null;
      unannounce();
      setState('error');
    }
  }

  // The element ended our session: with a reason (error shown), we stay in 'error' until the
  // user presses start; without one (e.g. the element restarted its session), we offer again.
  function onRemoteEnd(reason) {
    closePc();
    pub.sessionId = null;
    unannounce();
    if (reason) {
      setError(reason);
      setState('error');
      return;
    }
    if (wanted) setTimeout(() => { if (wanted && !pub.sessionId) announce(); }, 1000);
    setState('waiting');
  }

  // ---- peer connection ------------------------------------------------------------------------

  async function onStartSession(msg) {
    if (!wanted || pub.sessionId) {
      // not ours to take (stopped, or already publishing): refuse
      send({ type: 'endSession', sessionId: msg.sessionId });
      return;
    }
    const sessionId = msg.sessionId;
    pub.sessionId = sessionId;
    pub.consumerId = msg.peerId;
    setState('negotiating');
    try {
      const stream = await (mediaPromise || (mediaPromise = getMedia()));
      if (pub.sessionId !== sessionId) return;
      const pc = pub.pc = createPc(sessionId);
      for (const track of stream.getTracks()) {
        const tr = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
        if (track.kind === 'video' && wantedCodec) preferCodec(tr, wantedCodec);
      }
      channels.adopt(pc.createDataChannel(window.rtckitChannel.LABEL, { ordered: true }));
      await pc.setLocalDescription(await pc.createOffer());
      if (pub.sessionId !== sessionId) return;
      send({ type: 'peer', sessionId, sdp: { type: 'offer', sdp: pc.localDescription.sdp } });
    } catch (e) {
      if (pub.sessionId !== sessionId) return;
      fail(`negotiation failed: ${e.message || e}`);
    }
  }

  // ?codec=a[,b...]: offer only these video codecs, in this order (RTX/RED/FEC kept after them).
  // Without ?codec the browser's own order is left alone.
  function preferCodec(transceiver, names) {
    const caps = RTCRtpSender.getCapabilities && RTCRtpSender.getCapabilities('video');
    if (!caps || !transceiver.setCodecPreferences) {
      console.warn('rtckit: setCodecPreferences is not supported: ?codec ignored');
      return;
    }
    const wantedList = [];
    for (const name of names.split(',').map(n => n.trim()).filter(Boolean)) {
      wantedList.push(...caps.codecs.filter(c => c.mimeType.toLowerCase() === `video/${name}`));
    }
    if (!wantedList.length) {
      setError(`this browser cannot send ${names.toUpperCase()}: offering its default codecs`);
      return;
    }
    const helpers = caps.codecs.filter(c => /\/(rtx|red|ulpfec|flexfec-03)$/i.test(c.mimeType));
    transceiver.setCodecPreferences([...wantedList, ...helpers]);
  }

  function createPc(sessionId) {
    const pc = new RTCPeerConnection(sig.pcConfig(params, welcomeIce));
    pc.onicecandidate = ev => {
      if (pub.pc !== pc) return;
      const msg = sig.iceMessage(sessionId, ev.candidate);
      if (msg) send(msg);
    };
    pc.ondatachannel = ev => { if (pub.pc === pc) channels.adopt(ev.channel); };
    pc.onconnectionstatechange = () => {
      if (pub.pc !== pc) return;
      if (pc.connectionState === 'connected') {
        if (!pub.since) pub.since = Date.now();
        setState('publishing');
      }
      else if (pc.connectionState === 'failed') fail('connection failed');
    };
    return pc;
  }

  async function onRemoteSdp(sdp) {
    const pc = pub.pc;
    const sessionId = pub.sessionId;
    if (sdp.type !== 'answer' || !pc) { console.warn('rtckit: expected an answer, got', sdp.type); return; }
    try {
      await pc.setRemoteDescription(sdp);
      for (const c of pendingIce.splice(0)) await sig.addIce(pc, c);
    } catch (e) {
      if (pub.sessionId !== sessionId) return;
      fail(`negotiation failed: ${e.message || e}`);
    }
  }

  function onRemoteIce(ice) {
    const pc = pub.pc;
    if (!pc || !pc.remoteDescription) { pendingIce.push(ice); return; }
    sig.addIce(pc, ice);
  }

  // Our side gives up on the session: tell the element, show why.
  function fail(text) {
    setError(text);
    if (pub.sessionId) send({ type: 'endSession', sessionId: pub.sessionId });
    closePc();
    pub.sessionId = null;
    unannounce();
    setState('error');
  }

  // Forget the peer connection and the session (the caller tells the element when needed).
  function closePc() {
    if (pub.sessionId) {
      sig.rememberClosed(closedSessions, pub.sessionId);
    }
    pendingIce = [];
    statsPrev = null;
    channels.reset();
    if (pub.pc) {
      pub.pc.onicecandidate = pub.pc.onconnectionstatechange = pub.pc.ondatachannel = null;
      pub.pc.close();
    }
    pub.pc = null;
    pub.sessionId = null;
    pub.since = null;
  }

  // ---- stop / start ---------------------------------------------------------------------------

  function stop() {
    wanted = false;
    if (pub.sessionId) send({ type: 'endSession', sessionId: pub.sessionId });
    closePc();
    pub.sessionId = null;
    unannounce();
    stopMedia();
    setState('stopped');
  }

  function start() {
    wanted = true;
    setError(null);
    if (pub.sessionId) return;
    unannounce(); // after an error we may still be listed as a producer
    setState(ws && ws.readyState === WebSocket.OPEN ? 'waiting' : 'connecting');
    if (ws && ws.readyState === WebSocket.OPEN) announce();
  }

  $('toggle').addEventListener('click', () => {
    if (pub.state === 'stopped' || pub.state === 'error') start();
    else stop();
  });
  window.addEventListener('pagehide', () => {
    if (pub.sessionId) send({ type: 'endSession', sessionId: pub.sessionId });
  });

  // ---- stats ----------------------------------------------------------------------------------

  // A plain summary of outbound-rtp video and audio; fields a browser lacks are null.
  async function stats() {
    const out = { video: null, audio: null, rtt: null, connectionState: null };
    const pc = pub.pc;
    if (!pc) return out;
    out.connectionState = pc.connectionState;
    const report = await pc.getStats();
    const v = x => (x === undefined ? null : x);
    const codecOf = s => { const c = s.codecId && report.get(s.codecId); return c ? c.mimeType : null; };
    const remote = {};
    report.forEach(s => { if (s.type === 'remote-inbound-rtp') remote[s.localId] = s; });
    report.forEach(s => {
      const kind = s.kind || s.mediaType;
      if (s.type === 'outbound-rtp' && kind === 'video') {
        const r = remote[s.id] || {};
        // with simulcast there could be several: keep the one that sent most
        if (out.video && out.video.bytesSent > (s.bytesSent || 0)) return;
        out.video = {
          framesEncoded: v(s.framesEncoded), framesSent: v(s.framesSent),
          framesPerSecond: v(s.framesPerSecond),
          frameWidth: v(s.frameWidth), frameHeight: v(s.frameHeight),
          packetsSent: v(s.packetsSent), bytesSent: v(s.bytesSent),
          keyFramesEncoded: v(s.keyFramesEncoded),
          nackCount: v(s.nackCount), pliCount: v(s.pliCount), firCount: v(s.firCount),
          qualityLimitationReason: v(s.qualityLimitationReason),
          targetBitrate: v(s.targetBitrate), encoderImplementation: v(s.encoderImplementation),
          packetsLost: v(r.packetsLost), codec: codecOf(s),
        };
      } else if (s.type === 'outbound-rtp' && kind === 'audio') {
        const r = remote[s.id] || {};
        out.audio = { packetsSent: v(s.packetsSent), bytesSent: v(s.bytesSent),
                      packetsLost: v(r.packetsLost), codec: codecOf(s) };
      } else if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded' &&
                 s.currentRoundTripTime !== undefined) {
        out.rtt = s.currentRoundTripTime;
      }
    });
    return out;
  }

  async function showStats() {
    if (!pub.pc) { $('stats').textContent = ''; return; }
    let s;
    try { s = await stats(); } catch (e) { return; }
    const r = sig.statsRows(s, statsPrev, 'bytesSent', 'framesEncoded',
                            (vid, aud) => Math.max(0, vid.packetsLost || 0) + Math.max(0, aud.packetsLost || 0));
    statsPrev = r.prev;
    const rows = r.rows, vid = s.video || {};
    if (vid.qualityLimitationReason && vid.qualityLimitationReason !== 'none') {
      rows.push(['limited by', vid.qualityLimitationReason]);
    }
    $('stats').textContent = sig.statsLine(rows);
  }

  // ---- start ----------------------------------------------------------------------------------

  setInterval(showStats, 1000);
  // Ask for the camera at once (the permission prompt shows while the socket connects).
  mediaPromise = getMedia();
  mediaPromise.catch(() => {}); // reported by announce()
  connect();
})();
