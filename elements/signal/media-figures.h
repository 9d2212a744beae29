// A session's media as the /stats dashboard graphs it for every kind of session (viewer,
// publisher, caller): bytes each way, loss, repair requests, the round trip and frames.
//
// Sources: webrtcbin's get-stats for what goes through its own RTP chain, counters on the peer
// bin's video pads for frames (RTP packets that end a frame: the marker bit), and, for a
// subclass that sends past webrtcbin (rtcbroadcastsink's own send stage), the subclass itself
// for its sending side.
//
// Threading: FrameCounters are atomics, counted on streaming threads; MediaFigures is a plain
// value, kept under the signal bin's log lock.
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <atomic>
#include <memory>

namespace rtc
{

struct FrameCounters
{
  std::atomic<guint64> sent{ 0 }, received{ 0 };
};

struct MediaFigures
{
  guint64 bytes_sent = 0, bytes_received = 0;
  guint64 packets_sent = 0, packets_received = 0;
  gint64 lost_sent = 0;      // of what we send, as the remote's receiver reports count
  double fraction_lost = -1; // the worst last fraction those reports gave; -1 before one
  gint64 lost_received = 0;  // of what the remote sends, never received here
  guint64 nack_received = 0, pli_received = 0, fir_received = 0; // the remote asked us
  guint64 nack_sent = 0, pli_sent = 0;                           // we asked the remote
  double rtt_ms = -1;                                            // known when we send; else -1
  // Set by a subclass that counts its sending side itself: webrtcbin's stats then leave it,
  // and frames_sent is the subclass's count (else the peer's pads').
  bool sending_from_subclass = false;
  guint64 frames_sent = 0;
};

// What @stats (a get-stats reply; may be NULL) says.
MediaFigures read_media_stats (const GstStructure *stats);
// @to takes @from's receiving side only.
void take_receiving (MediaFigures &to, const MediaFigures &from);

// Counts frames through @peer's video pads (video_%u in: sent, video_src_%u out: received)
// into @counters. Call before @peer has pads (a new rtcpeerbin has none: they are requested or
// appear later).
void count_frames (GstElement *peer, std::shared_ptr<FrameCounters> counters);

// A "media" member of the object @b is building.
void add_media_json (JsonBuilder *b, const MediaFigures &m, const FrameCounters *frames);

} // namespace rtc
