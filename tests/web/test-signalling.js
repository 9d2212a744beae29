// The call page's SDP helpers (web/rtckit-signalling.js) without a browser: `node --test`.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const sig = require(path.join(process.env.RTCKIT_SOURCE_ROOT || path.join(__dirname, '..', '..'),
                              'web', 'rtckit-signalling.js'));

// What rtccallbin offers when it sends video but no audio: audio recvonly, video sendrecv, data.
const OFFER = [
  'v=0', 'o=- 1 0 IN IP4 0.0.0.0', 's=-', 't=0 0', 'a=group:BUNDLE audio0 video1 application2',
  'm=audio 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'a=recvonly', 'a=mid:audio0',
  'a=rtpmap:96 OPUS/48000/2',
  'm=video 9 UDP/TLS/RTP/SAVPF 97', 'c=IN IP4 0.0.0.0', 'a=sendrecv', 'a=mid:video1',
  'a=rtpmap:97 VP8/90000',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', 'a=mid:application2',
  'a=sctp-port:5000', '',
].join('\r\n');

test('each m-section gets its own direction, by mid', () => {
  assert.deepEqual(sig.sdpDirections(OFFER),
                   { audio0: 'recvonly', video1: 'sendrecv', application2: 'sendrecv' });
});

test('a session-level direction applies where a section has none', () => {
  const sdp = OFFER.replace('t=0 0\r\n', 't=0 0\r\na=sendonly\r\n');
  assert.deepEqual(sig.sdpDirections(sdp),
                   { audio0: 'recvonly', video1: 'sendrecv', application2: 'sendonly' });
});

test('sections without a mid are left out; LF-only SDP works', () => {
  const sdp = 'v=0\ns=-\nm=audio 9 RTP/AVP 0\na=inactive\nm=video 9 RTP/AVP 96\na=mid:v\na=sendonly\n';
  assert.deepEqual(sig.sdpDirections(sdp), { v: 'sendonly' });
});

test('we send where the element receives and receive where it sends', () => {
  assert.equal(sig.answerDirection('sendrecv', true), 'sendrecv');
  assert.equal(sig.answerDirection('recvonly', true), 'sendonly');
  assert.equal(sig.answerDirection('sendonly', true), 'recvonly');
  assert.equal(sig.answerDirection('inactive', true), 'inactive');
});

test('without a local track of the kind we only receive', () => {
  assert.equal(sig.answerDirection('sendrecv', false), 'recvonly');
  assert.equal(sig.answerDirection('recvonly', false), 'inactive');
  assert.equal(sig.answerDirection('sendonly', false), 'recvonly');
});

test('a local candidate becomes a peer message; the end of gathering none', () => {
  assert.deepEqual(sig.iceMessage('s1', { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMLineIndex: 1 }),
                   { type: 'peer', sessionId: 's1',
                     ice: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMLineIndex: 1 } });
  assert.equal(sig.iceMessage('s1', null), null);
  assert.equal(sig.iceMessage('s1', { candidate: '' }), null);
});

test('ICE servers come from the element (the welcome), never from the URL', () => {
  const element = [{ urls: 'turn:element:3478', username: 'u', credential: 'c' }];
  const url = new URLSearchParams('ice=turn:attacker:3478&ice-transport-policy=relay');
  const cfg = sig.pcConfig(url, element);
  assert.deepEqual(cfg.iceServers, element);
  assert.equal(cfg.iceTransportPolicy, 'relay');
  assert.deepEqual(sig.pcConfig(new URLSearchParams('ice=stun:attacker'), null).iceServers, []);
});
