// The per-session half of the send side, shared by rtcbroadcastsink and rtccallbin: one
// SessionTrack per track a session sends, an appsrc linked to the session's rtcpeerbin and fed
// through its outlet; the track's bandwidth estimate and rung (send/adaptation.h).
#pragma once

#include "send/direct-sender.h"
#include "send/outgoing.h"
#include "signal/media-figures.h"

namespace rtc
{

// One track of one session: its own appsrc into its rtcpeerbin, fed through its outlet.
struct SessionTrack
{
  std::shared_ptr<Track> track;
  Ptr<GstElement> appsrc;  // the session's own: the outlet pushes into it
  std::shared_ptr<Outlet> outlet;
  const CodecInfo *codec = nullptr; // set once the codec is agreed
  int pt = -1;               // the remote's payload type when it offered, -1 = the codec's own
  Ptr<GstCaps> offered_caps; // the remote offered: its caps for this track, set on the appsrc
  guint twcc_id = 0;         // the transport-wide-cc extension id agreed, 0 = none
  std::shared_ptr<Feed> first_feed; // what the outlet starts with
  // Video: the viewer's bandwidth estimate (fed by TWCC feedback) and, with a ladder, its rung.
  std::shared_ptr<BandwidthEstimate> estimate;
  std::shared_ptr<RungPolicy> policy;
  gint64 started_us = 0, last_tick_us = 0;
  guint64 last_media_bytes = 0, last_padding_bytes = 0;
  std::size_t direct_stream = 0; // its stream in the session's DirectSender, if any
};

// A request pad of @peer with @caps as codec preferences, fed by a new appsrc in @bin.
SessionTrack add_session_track (GstBin *bin, GstElement *peer, const std::shared_ptr<Track> &track,
                                GstCaps *caps);
// Points @st at the feed of its codec (created on first use), with the session's RTP header
// extension ids; with a ladder, sets up its adaptation.
bool route_to_feed (Outgoing &out, SessionTrack &st);
// The caps a session track's appsrc sends with: the codec's (or what the remote offered),
// with the transport-wide-cc extension when agreed.
GstCaps *session_track_caps (const SessionTrack &st);
// Every tick (the element's worker, 250 ms): a session track's estimate and rung; switches the
// outlet when the rung changes.
void adapt_session_track (Outgoing &out, SessionTrack &st, double report_loss);

// The session's send stage of its own (send/direct-sender.h) for @tracks, routed by now: their
// outlets hold their packets back until start_direct_path(). @on_path runs once, on webrtcbin's
// DTLS thread, when the peer is verified: hand it to the element's worker.
std::shared_ptr<DirectSender> prepare_direct_path (GstElement *peer,
                                                   std::vector<SessionTrack> &tracks,
                                                   MediaPathReady on_path);
// The worker, with what @on_path got: the outlets send through @sender, or through webrtcbin
// when @path is none or unusable. Outlets already subscribed start over (a keyframe, or the
// cached GOP), since what they had was held back. Returns whether the path is ours.
bool start_direct_path (GstElement *peer, DirectSender &sender, std::vector<SessionTrack> &tracks,
                        std::shared_ptr<const MediaPath> path, bool subscribed);
// What @sender counted for @tracks, summed (stats of a session that webrtcbin no longer sees).
DirectStats direct_stats (const DirectSender &sender, const std::vector<SessionTrack> &tracks);
// The same as the sending side of a session's media figures (the /stats dashboard).
MediaFigures direct_figures (const DirectSender &sender, const std::vector<SessionTrack> &tracks);

// The "direct-send" property of the elements that send: true (the default), each session's
// media goes through a DirectSender; false, through webrtcbin's RTP chain.
#define RTC_DEFAULT_DIRECT_SEND TRUE
GParamSpec *direct_send_param_spec (GParamFlags flags);

// Subscribes the appsrcs to their feeds (the first time), or asks the feeds for a keyframe.
void subscribe_session_tracks (std::vector<SessionTrack> &tracks, bool &subscribed);
// Before the peer stops: out of the feeds, appsrcs locked.
void detach_session_tracks (std::vector<SessionTrack> &tracks);
// After the peer stopped: appsrcs stopped and removed from @bin.
void remove_session_tracks (GstBin *bin, std::vector<SessionTrack> &tracks);

} // namespace rtc
