// The way around webrtcbin's media chain: what a send stage of rtckit's own needs to put SRTP
// packets on a peer connection's ICE path, and to hear the RTCP the remote sends back.
//
// webrtcbin keeps negotiation, ICE and DTLS; once the DTLS handshake is done and the remote's
// certificate matched its a=fingerprint (transport.cpp), rtcpeerbin hands out the SRTP key
// DTLS agreed for our direction and the ICE agent's stream and component. A send stage that
// takes them protects and sends its own packets (elements/send/direct-sender.*) and so never
// crosses webrtcbin's appsrc thread, rtpbin, RTX sender, SRTP encoder and funnels per packet.
//
// Only BUNDLEd sessions (one transport for every m-line) get a path; anything else, or a
// cipher this code does not speak, is announced as "none": keep sending through webrtcbin.
//
// Threading: the ready callback runs once, on webrtcbin's DTLS thread (or at once, on the
// caller's, when the path was already known); the RTCP tap on webrtcbin's receive thread.
// Internal to rtckit (C++); not part of rtcpeerbin's public API.
#pragma once

#include "rtcpeerbin.h"
#include "gst-ptr.h"

#include <functional>
#include <memory>
#include <vector>

namespace rtc
{

class RepairBudget;

struct MediaPath
{
  Ptr<GObject> agent; // the NiceAgent webrtcbin's ICE transport uses
  guint stream_id = 0;
  guint component_id = 1; // RTP and RTCP share it (rtcp-mux)
  std::vector<guint8> key; // SRTP master key + salt for what we send
  gint cipher = 0;         // srtpenc's GstSrtpCipherType and GstSrtpAuthType
  gint auth = 0;
};

using MediaPathReady = std::function<void (std::shared_ptr<const MediaPath> path)>;
// A decrypted RTCP compound packet from the remote (transfer none).
using RtcpTap = std::function<void (GstBuffer *rtcp)>;

// Calls @ready once with the session's path (nullptr: none, send through webrtcbin) when its
// DTLS is up and verified; at once when that already happened. A later call replaces @ready.
void peer_watch_media_path (GstRtcPeerBin *peer, MediaPathReady ready);
// Every RTCP packet the remote sends, after SRTP, before webrtcbin's RTP session sees it.
// Holds @tap until the peer is disposed; @tap must be cheap and must not block.
void peer_tap_rtcp (GstRtcPeerBin *peer, RtcpTap tap);
// Our send stage writes the RTCP of @ssrc itself: webrtcbin's RTP session, which learned the
// SSRC from caps (a=ssrc announced), must not send reports under it too (each side would count
// its own SRTCP index, and the remote would drop one as replays).
void peer_claim_ssrc (GstRtcPeerBin *peer, guint32 ssrc);
// The peer's retransmission budget (property retransmission-budget, its repair-stats).
RepairBudget &peer_repair_budget (GstRtcPeerBin *peer);

} // namespace rtc
