// rtckit call page: a two-way call with rtccallbin (camera and microphone both ways, chat on the
// `rtckit` data channel) over the signalling protocol of gst-webrtc-signalling-server 1.1 (JSON
// over WebSocket at ./ws). As on the viewer, we find the producer and ask it for a session; the
// element offers sendrecv (or recvonly) audio and video plus the channel; we answer with our
// tracks on its transceivers. While the element is in a call with someone else it refuses us
// with a reason starting with "busy": we say so and try again every 3 s.
//
// URL parameters: ?producer=<id> call this producer instead of the first one;
//                 ?width=640&height=480&fps=30 camera constraints (ideal values; these by default);
//                 ?video=0 / ?audio=0 leave out the camera / the microphone;
//                 ?ice-transport-policy=relay: TURN only. ICE servers are the element's (its
//                 welcome carries them), never the URL's.
// For tests and scripts: window.rtckit = { state, error, pc, sessionId, producerId, peerId,
// localStream, remoteFrames(), stats(), hangup(), call() } plus the data-channel API of
// rtckit-channel.js (docs/web-api.md).
(() => {
  'use strict';

  const sig = window.rtckitSignalling; // rtckit-signalling.js
  const params = new URLSearchParams(location.search);
  const wantedProducer = params.get('producer');
  let welcomeIce = null;     // the server's ICE servers (its welcome)
  const $ = id => document.getElementById(id);
  const remote = $('remote');
  const local = $('local');

  const BUSY_RETRY_MS = 3000;

  const rtckit = window.rtckit = Object.assign(new EventTarget(), {
    state: 'connecting', // connecting | waiting | calling | in-call | busy | ended | error
    error: null,
    pc: null,
    sessionId: null,
    producerId: null,
    peerId: null,
    localStream: null,   // our camera and microphone (null until granted, or when refused)
    remoteFrames,
    stats,
    hangup: () => hangup(),
    call: () => call(),
  });
  const channels = window.rtckitChannel.attach(rtckit); // rtckit-channel.js

  let ws = null;
  let backoff = 500;          // socket reconnect delay, doubles to 5 s
  let wanted = true;          // the user wants a call (hang up clears it)
  let starting = false;       // startSession sent, sessionStarted not yet received
  let pendingIce = [];        // remote candidates that arrived before the offer was set
  let retryTimer = null;      // delayed new call after an end, a refusal or an error
  let statsPrev = null;
  let framesSeen = 0;         // remote frames counted by requestVideoFrameCallback
  let mediaPromise = null;
  const closedSessions = new Set(); // ids we closed: late errors about them are not shown

  function intParam(name, dflt) {
    const v = parseInt(params.get(name), 10);
    return Number.isFinite(v) && v > 0 ? v : dflt;
  }

  // ---- page state ---------------------------------------------------------------------------

  const LABELS = {
    connecting: 'connecting…',
    waiting: 'waiting for someone to call…',
    calling: 'calling…',
    'in-call': 'in call',
    busy: 'the line is busy, trying again…',
    ended: 'call ended',
    error: 'error',
  };

  function setState(s) {
    if (rtckit.state === s) return;
    rtckit.state = s;
    if (s === 'in-call' || s === 'busy') setError(null);
    $('state').textContent = LABELS[s] || s;
    document.body.dataset.state = s;
    $('hangup').textContent = wanted ? 'hang up' : 'call';
  }

  function setError(text) {
    sig.showError(rtckit, text);
  }

  function isBusy(reason) {
    return typeof reason === 'string' && /^busy/i.test(reason);
  }

  // ---- media ----------------------------------------------------------------------------------

  // Camera and microphone; failing both, the camera or the microphone alone; failing those too,
  // null: the call still receives.
  async function getMedia() {
    const video = params.get('video') === '0' ? false : {
      width: { ideal: intParam('width', 640) },
      height: { ideal: intParam('height', 480) },
      frameRate: { ideal: intParam('fps', 30) },
    };
    const audio = params.get('audio') !== '0';
    const tries = [{ video, audio }, { video, audio: false }, { video: false, audio }]
      .filter(c => c.video || c.audio);
    let firstError = null;
    for (const c of tries) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia(c);
        rtckit.localStream = stream;
        local.srcObject = stream;
        local.play().catch(() => {});
        return stream;
      } catch (e) {
        firstError = firstError || e;
      }
    }
    if (firstError) {
      setError(`camera/microphone unavailable (${firstError.name || firstError}): receiving only`);
    }
    return null;
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
      send({ type: 'setPeerStatus', roles: ['listener'], meta: { name: 'rtckit-call' } });
      send({ type: 'list' });
      if (rtckit.state === 'connecting') setState(wanted ? 'waiting' : 'ended');
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
    return wanted && !rtckit.sessionId && !starting && !retryTimer;
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
        else if (rtckit.state === 'busy') setState('waiting'); // the other end went away
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
          if (isBusy(msg.error)) { onBusy(); break; }
          closeSession(false);
          if (msg.error) setError(msg.error);
          setState('ended');
          retryLater(2000);
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
    if ([...closedSessions].some(id => msg.sessionId === id || text.includes(id))) {
      console.info('rtckit: about a closed session:', text);
      return;
    }
    // An error about our session, or while one is being set up, ends that attempt. With our
    // session id the server refused or ended it already: no endSession back.
    const aboutOurs = msg.sessionId && msg.sessionId === rtckit.sessionId;
    const settingUp = !msg.sessionId && (starting || rtckit.state === 'calling');
    if ((aboutOurs || settingUp) && isBusy(text)) {
      onBusy(!aboutOurs);
      return;
    }
    setError(text);
    if (aboutOurs || settingUp) {
      closeSession(!aboutOurs);
      setState('error');
      retryLater(5000);
    }
  }

  // The element is in a call with someone else: try again in a while.
  function onBusy(notify = false) {
    closeSession(notify);
    setState('busy');
    retryLater(BUSY_RETRY_MS);
  }

  function retryLater(ms) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (!wanted) return;
      // 'busy' stays up while we ask again; the answer (a call, or busy again) replaces it
      if (rtckit.state !== 'error' && rtckit.state !== 'busy') setState(ws ? 'waiting' : 'connecting');
      send({ type: 'list' });
    }, ms);
  }

  function startSession(producerId) {
    starting = true;
    rtckit.producerId = producerId;
    if (rtckit.state !== 'busy') setState('calling');
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
    if (rtckit.pc) {
      const pc = rtckit.pc;
      pc.ontrack = pc.onicecandidate = pc.onconnectionstatechange = pc.ondatachannel = null;
      pc.close();
    }
    rtckit.pc = null;
    rtckit.sessionId = null;
    rtckit.producerId = null;
    remote.srcObject = null;
  }

  function hangup() {
    wanted = false;
    clearTimeout(retryTimer);
    retryTimer = null;
    closeSession(true);
    setState('ended');
  }

  function call() {
    wanted = true;
    setError(null);
    if (rtckit.sessionId || starting) return;
    setState(ws ? 'waiting' : 'connecting');
    send({ type: 'list' });
  }

  // ---- peer connection ------------------------------------------------------------------------

  function createPc() {
    const pc = new RTCPeerConnection(sig.pcConfig(params, welcomeIce));
    const stream = new MediaStream();
    pc.ontrack = ev => {
      stream.addTrack(ev.track);
      if (remote.srcObject !== stream) {
        remote.srcObject = stream;
        framesSeen = 0;
        countFrames();
        play();
      }
    };
    pc.onicecandidate = ev => {
      const msg = sig.iceMessage(rtckit.sessionId, ev.candidate);
      if (msg) send(msg);
    };
    pc.ondatachannel = ev => { if (rtckit.pc === pc) channels.adopt(ev.channel); };
    pc.onconnectionstatechange = () => {
      if (rtckit.pc !== pc) return;
      if (pc.connectionState === 'connected') {
        setState('in-call');
      } else if (pc.connectionState === 'failed') {
        setError('connection failed');
        closeSession(true);
        setState('error');
        retryLater(3000);
      }
    };
    return pc;
  }

  // Our tracks on the element's transceivers: each m-line gets the first unused track of its kind,
  // in the direction its offer allows.
  async function attachTracks(pc, offerSdp, stream) {
    const offered = sig.sdpDirections(offerSdp);
    const used = new Set();
    for (const t of pc.getTransceivers()) {
      const kind = t.receiver.track.kind;
      const track = stream && stream.getTracks().find(x => x.kind === kind && !used.has(x));
      const dir = sig.answerDirection(offered[t.mid] || 'sendrecv', !!track);
      if (track && (dir === 'sendrecv' || dir === 'sendonly')) {
        await t.sender.replaceTrack(track);
        if (t.sender.setStreams) t.sender.setStreams(stream);
        used.add(track);
      }
      t.direction = dir;
    }
  }

  async function onRemoteSdp(sdp) {
    if (sdp.type !== 'offer') { console.warn('rtckit: expected an offer, got', sdp.type); return; }
    const sessionId = rtckit.sessionId;
    // a first offer (busy is over); a renegotiation keeps 'in-call'
    if (!rtckit.pc || rtckit.pc.connectionState !== 'connected') setState('calling');
    try {
      if (!rtckit.pc) rtckit.pc = createPc();
      const pc = rtckit.pc;
      await pc.setRemoteDescription(sdp);
      for (const c of pendingIce.splice(0)) await sig.addIce(pc, c);
      const stream = await (mediaPromise || (mediaPromise = getMedia()));
      if (rtckit.sessionId !== sessionId) return;
      await attachTracks(pc, sdp.sdp, stream);
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

  // With sound if the browser lets us (a call is meant to be heard), muted otherwise: the unmute
  // button is then the user's gesture that autoplay policies ask for.
  function play() {
    remote.play().catch(() => {
      remote.muted = true;
      $('unmute').textContent = 'unmute';
      remote.play().catch(e => console.warn('rtckit: play()', e));
    });
  }

  // ---- remote frames and stats ----------------------------------------------------------------

  function countFrames() {
    if (!remote.requestVideoFrameCallback) return;
    const src = remote.srcObject;
    const tick = () => {
      if (remote.srcObject !== src || !src) return;
      framesSeen++;
      remote.requestVideoFrameCallback(tick);
    };
    remote.requestVideoFrameCallback(tick);
  }

  // Frames of the remote video decoded so far in this call.
  function remoteFrames() {
    if (!remote.srcObject) return 0;
    const q = remote.getVideoPlaybackQuality && remote.getVideoPlaybackQuality();
    return Math.max(q ? q.totalVideoFrames : 0, framesSeen);
  }

  // What we receive (as the viewer's stats()) and what we send: { ..., sent: { video, audio } }.
  async function stats() {
    const out = await sig.inboundStats(rtckit.pc);
    out.sent = { video: null, audio: null };
    const pc = rtckit.pc;
    if (!pc) return out;
    const report = await pc.getStats();
    const v = x => (x === undefined ? null : x);
    report.forEach(s => {
      const kind = s.kind || s.mediaType;
      if (s.type !== 'outbound-rtp') return;
      if (kind === 'video' && !(out.sent.video && out.sent.video.bytesSent > (s.bytesSent || 0))) {
        out.sent.video = { framesEncoded: v(s.framesEncoded), framesPerSecond: v(s.framesPerSecond),
                           frameWidth: v(s.frameWidth), frameHeight: v(s.frameHeight),
                           packetsSent: v(s.packetsSent), bytesSent: v(s.bytesSent) };
      } else if (kind === 'audio') {
        out.sent.audio = { packetsSent: v(s.packetsSent), bytesSent: v(s.bytesSent) };
      }
    });
    return out;
  }

  async function showStats() {
    if (!rtckit.pc) { $('stats').textContent = ''; return; }
    let s;
    try { s = await stats(); } catch (e) { return; }
    const r = sig.statsRows(s, statsPrev, 'bytesReceived', 'framesDecoded',
                            (vid, aud) => (vid.packetsLost || 0) + (aud.packetsLost || 0));
    statsPrev = r.prev;
    const sent = s.sent.video;
    if (sent && sent.frameWidth) r.rows.push(['sending', `${sent.frameWidth}×${sent.frameHeight}`]);
    $('stats').textContent = sig.statsLine(r.rows);
  }

  // ---- start ----------------------------------------------------------------------------------

  $('hangup').addEventListener('click', () => (wanted ? hangup() : call()));
  $('unmute').addEventListener('click', () => {
    remote.muted = !remote.muted;
    $('unmute').textContent = remote.muted ? 'unmute' : 'mute';
    remote.play().catch(() => {});
  });
  window.addEventListener('pagehide', () => {
    if (rtckit.sessionId) send({ type: 'endSession', sessionId: rtckit.sessionId });
  });
  setInterval(showStats, 1000);
  setInterval(() => { if (idle()) send({ type: 'list' }); }, 2000);
  // Ask for the camera at once (the permission prompt shows while the socket connects).
  mediaPromise = getMedia();
  connect();
})();
