// rtckit viewer: a small client of the signalling protocol (gst-webrtc-signalling-server 1.1,
// JSON over WebSocket at ./ws). The producer (a GStreamer element) sends the offer; we answer.
//
// URL parameters: ?producer=<id> watch this producer instead of the first one;
//                 ?ice-transport-policy=relay: TURN only. ICE servers are the element's (its
//                 welcome carries them), never the URL's.
// For tests and scripts: window.rtckit = { state, error, pc, sessionId, producerId, stats() } plus
// the data-channel API of rtckit-channel.js and, with a `control` channel, rtckit.navigation
// (rtckit-navigation.js); docs/web-api.md.
(() => {
  'use strict';

  const sig = window.rtckitSignalling; // rtckit-signalling.js
  const params = new URLSearchParams(location.search);
  const wantedProducer = params.get('producer');
  let welcomeIce = null;     // the server's ICE servers (its welcome)
  const $ = id => document.getElementById(id);
  const video = $('video');

  const rtckit = window.rtckit = Object.assign(new EventTarget(), {
    state: 'connecting', // connecting | waiting | negotiating | playing | ended | error
    error: null,
    pc: null,
    sessionId: null,
    producerId: null,
    peerId: null,
    navigation: null,    // { channelState, sent, responses, lastResponse } once a `control` channel came
    stats,
  });
  const channels = window.rtckitChannel.attach(rtckit); // rtckit-channel.js
  const navigation = window.rtckitNavigation;            // rtckit-navigation.js
  let stopNavigation = null;

  let ws = null;
  let backoff = 500;          // socket reconnect delay, doubles to 5 s
  let starting = false;       // startSession sent, sessionStarted not yet received
  let pendingIce = [];        // remote candidates that arrived before the offer was set
  let retryTimer = null;      // delayed new session after an error
  let statsPrev = null;
  const closedSessions = new Set(); // ids we closed: late errors about them are not shown

  // ---- page state ---------------------------------------------------------------------------

  const LABELS = {
    connecting: 'connecting…',
    waiting: 'waiting for stream…',
    negotiating: 'negotiating…',
    playing: 'playing',
    ended: 'stream ended',
    error: 'error',
  };

  function setState(s) {
    if (rtckit.state === s) return;
    rtckit.state = s;
    if (s === 'playing') setError(null);
    $('state').textContent = LABELS[s] || s;
    document.body.dataset.state = s;
  }

  function setError(text) {
    sig.showError(rtckit, text);
  }

  // ---- signalling -----------------------------------------------------------------------------

  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  function connect() {
    setState('connecting');
    ws = new WebSocket(sig.wsUrl());
    ws.onopen = () => {
      backoff = 500;
      send({ type: 'setPeerStatus', roles: ['listener'], meta: { name: 'rtckit-viewer' } });
      send({ type: 'list' });
      if (rtckit.state === 'connecting') setState('waiting');
    };
    ws.onmessage = ev => sig.dispatch(ev.data, onMessage);
    ws.onclose = () => {
      ws = null;
      closeSession(false);
      setState('connecting');
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 5000);
    };
    ws.onerror = () => {}; // onclose follows
  }

  function idle() {
    return !rtckit.sessionId && !starting && !retryTimer;
  }

  function onMessage(msg) {
    switch (msg.type) {
      case 'welcome':
        rtckit.peerId = msg.peerId;
        welcomeIce = Array.isArray(msg.iceServers) ? msg.iceServers : null;
        break;
      case 'peerStatusChanged':
        if ((msg.roles || []).includes('producer') && idle() &&
            (!wantedProducer || msg.peerId === wantedProducer)) startSession(msg.peerId);
        break;
      case 'list': {
        if (!idle()) break;
        const ids = (msg.producers || []).map(p => p.id);
        const id = wantedProducer ? ids.find(i => i === wantedProducer) : ids[0];
        if (id) startSession(id);
        break;
      }
      case 'sessionStarted':
        if (!starting) { closedSessions.add(msg.sessionId); send({ type: 'endSession', sessionId: msg.sessionId }); break; }
        starting = false;
        rtckit.sessionId = msg.sessionId;
        break;
      case 'peer':
        if (starting && msg.sessionId && !rtckit.sessionId) { starting = false; rtckit.sessionId = msg.sessionId; }
        if (msg.sessionId !== rtckit.sessionId) break;
        if (msg.sdp) onRemoteSdp(msg.sdp);
        else if (msg.ice) onRemoteIce(msg.ice);
        break;
      case 'endSession':
      case 'endSessionV1_1':
        if (msg.sessionId === rtckit.sessionId) {
          const ice = sig.iceErrorText(rtckit);
          closeSession(false);
          if (msg.error || ice) setError([msg.error, ice].filter(Boolean).join('; '));
          setState('ended');
          retryLater(500);
        }
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
    // Replies about sessions already closed (e.g. to our endSession after a refusal) must not
    // hide the error that mattered.
    if ([...closedSessions].some(id => msg.sessionId === id || text.includes(id))) {
      console.info('rtckit: about a closed session:', text);
      return;
    }
    setError(text);
    // An error about our session, or while one is being set up, ends that attempt. With our
    // session id the server refused or ended it already: no endSession back.
    const aboutOurs = msg.sessionId && msg.sessionId === rtckit.sessionId;
    if (aboutOurs || (!msg.sessionId && (starting || rtckit.state === 'negotiating'))) {
      closeSession(!aboutOurs);
      setState('error');
      retryLater(5000);
    }
  }

  function retryLater(ms) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (rtckit.state !== 'error') setState(ws ? 'waiting' : 'connecting');
      send({ type: 'list' });
    }, ms);
  }

  function startSession(producerId) {
    starting = true;
    rtckit.producerId = producerId;
    setState('negotiating');
    send({ type: 'startSession', peerId: producerId });
  }

  function closeSession(notify) {
    if (rtckit.sessionId) {
      sig.rememberClosed(closedSessions, rtckit.sessionId);
      if (notify) send({ type: 'endSession', sessionId: rtckit.sessionId });
    }
    starting = false;
    pendingIce = [];
    statsPrev = null;
    channels.reset();
    if (stopNavigation) stopNavigation();
    stopNavigation = null;
    if (rtckit.pc) {
      rtckit.pc.ontrack = rtckit.pc.onicecandidate = rtckit.pc.onconnectionstatechange = null;
      rtckit.pc.ondatachannel = null;
      rtckit.pc.close();
    }
    rtckit.pc = null;
    rtckit.sessionId = null;
    rtckit.producerId = null;
    video.srcObject = null;
  }

  // ---- peer connection ------------------------------------------------------------------------

  function createPc() {
    const pc = new RTCPeerConnection(sig.pcConfig(params, welcomeIce));
    const stream = new MediaStream();
    pc.ontrack = ev => {
      stream.addTrack(ev.track);
      if (video.srcObject !== stream) {
        video.srcObject = stream;
        video.play().catch(e => console.warn('rtckit: play()', e));
      }
    };
    pc.onicecandidate = ev => {
      const msg = sig.iceMessage(rtckit.sessionId, ev.candidate);
      if (msg) send(msg);
    };
    // `rtckit` (data-channel=true) for messages, `control` (navigation=true) for our input events.
    pc.ondatachannel = ev => {
      if (rtckit.pc !== pc) return;
      if (ev.channel.label === navigation.LABEL) {
        if (stopNavigation) stopNavigation();
        stopNavigation = navigation.start(video, ev.channel, rtckit);
      } else {
        channels.adopt(ev.channel);
      }
    };
    sig.watchIceErrors(pc, rtckit);
    pc.onconnectionstatechange = () => {
      if (rtckit.pc !== pc) return;
      if (pc.connectionState === 'failed') {
        setError(['connection failed', sig.iceErrorText(rtckit)].filter(Boolean).join(': '));
        closeSession(true);
        setState('waiting');
        retryLater(1000);
      }
    };
    return pc;
  }

  async function onRemoteSdp(sdp) {
    if (sdp.type !== 'offer') { console.warn('rtckit: expected an offer, got', sdp.type); return; }
    const sessionId = rtckit.sessionId;
    try {
      if (!rtckit.pc) rtckit.pc = createPc();
      const pc = rtckit.pc;
      await pc.setRemoteDescription(sdp);
      for (const c of pendingIce.splice(0)) await sig.addIce(pc, c);
      await pc.setLocalDescription(await pc.createAnswer());
      if (rtckit.sessionId !== sessionId) return;
      send({ type: 'peer', sessionId, sdp: { type: 'answer', sdp: pc.localDescription.sdp } });
    } catch (e) {
      if (rtckit.sessionId !== sessionId) return;
      setError(`negotiation failed: ${e.message || e}`);
      closeSession(true);
      setState('error');
      retryLater(5000);
    }
  }

  function onRemoteIce(ice) {
    const pc = rtckit.pc;
    if (!pc || !pc.remoteDescription) { pendingIce.push(ice); return; }
    sig.addIce(pc, ice);
  }

  video.addEventListener('playing', () => { if (rtckit.pc) setState('playing'); });

  // ---- stats ----------------------------------------------------------------------------------

  // A plain summary of inbound-rtp video and audio (rtckit-signalling.js).
  function stats() {
    return sig.inboundStats(rtckit.pc);
  }

  async function showStats() {
    if (!rtckit.pc) { $('stats').textContent = ''; return; }
    let s;
    try { s = await stats(); } catch (e) { return; }
    const r = sig.statsRows(s, statsPrev, 'bytesReceived', 'framesDecoded',
                            (vid, aud) => (vid.packetsLost || 0) + (aud.packetsLost || 0));
    statsPrev = r.prev;
    $('stats').textContent = sig.statsLine(r.rows);
  }

  // ---- start ----------------------------------------------------------------------------------

  $('unmute').addEventListener('click', () => {
    video.muted = !video.muted;
    $('unmute').textContent = video.muted ? 'unmute' : 'mute';
    video.play().catch(() => {});
  });
  setInterval(showStats, 1000);
  setInterval(() => { if (idle()) send({ type: 'list' }); }, 2000);
  connect();
})();
