// Per-viewer statistics: parsed from webrtcbin's get-stats, served as /stats JSON and /metrics.
#pragma once

#include "send/outgoing.h" // EncoderSnapshot
#include "signal/media-figures.h"

#include <gst/gst.h>

#include <string>
#include <vector>

namespace rtc
{

struct ViewerSnapshot
{
  std::string session_id;
  std::string peer_id;
  std::string state = "new"; // RTCPeerConnection.connectionState
  std::string video_codec;
  std::string audio_codec;
  std::string send_path; // "direct" (our own send stage), "webrtcbin", "" until the DTLS is up
  gint64 created_us = 0;
  gint64 connected_us = 0;
  guint64 bytes_sent = 0;
  guint64 packets_sent = 0;
  guint64 nack_count = 0;
  guint64 pli_count = 0;
  guint64 fir_count = 0;
  guint64 retransmitted = 0;           // RTX let through the retransmission budget
  guint64 retransmissions_dropped = 0; // asked for, over the budget
  guint64 keyframes_for_loss = 0;      // asked for instead of those
  guint64 messages_received = 0;       // data channel messages handed to the application
  guint64 messages_dropped = 0;        // over the session's inbox bound (a flooding peer)
  gint64 packets_lost = 0;
  double rtt_ms = -1; // -1 until the first RTCP receiver report
  double fraction_lost = -1; // -1 until the first RTCP receiver report
  // Loss between the last two get-stats replies, from the receiver reports' cumulative count
  // (their fraction lost repeats until the next report); -1 = nothing new. The tick takes it.
  double report_loss = -1;
  // Adaptation (video): the bandwidth estimate and the rung of the ladder the viewer is on.
  gint rung = -1;               // 0 = the top; -1 = no ladder
  gint rung_pending = -1;       // switching to this rung at its next keyframe, -1 = none
  Rung rung_size;               // width/height 0: the input's
  guint estimate_kbps = 0;      // 0 until feedback
  guint received_kbps = 0;      // what the viewer received, by its feedback
  double queue_ms = 0;          // queueing delay on the path
  double feedback_loss = 0;     // fraction lost, by the feedback of the last second
  guint64 twcc_feedback = 0;    // transport-wide congestion control reports taken
  guint64 padding_bytes = 0;    // sent to probe the link
  guint64 rung_switches = 0;
  // The highest temporal layer sent (VP8 rungs have two): 0 = the base layer only, half the
  // frames; -1 = the rung has one layer.
  gint temporal_layer = -1;
  guint64 frames_left_out = 0; // frames of upper temporal layers not sent
};

struct BroadcastTotals
{
  std::string url;
  guint64 viewers_joined = 0;
  guint64 viewers_left = 0;
};

// The sending side of @m into @out's counters.
void take_sending (ViewerSnapshot &out, const MediaFigures &m);

std::string stats_json (const BroadcastTotals &totals, const std::vector<ViewerSnapshot> &viewers,
                        const std::vector<EncoderSnapshot> &encoders);
std::string metrics_text (const BroadcastTotals &totals, const std::vector<ViewerSnapshot> &viewers,
                          const std::vector<EncoderSnapshot> &encoders);

} // namespace rtc
