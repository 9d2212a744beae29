// Per-viewer adaptation without a pipeline: the ladder (send/ladder), each viewer's RTP headers
// over shared payloads (send/rtp-rewrite), its bandwidth estimate and its rung
// (send/adaptation).
// Before gstcheck.h: its fail macro would rewrite std::basic_ios::fail in the C++ headers this one
// pulls in.
#include "elements/send/session-track.h"

#include <gst/check/gstcheck.h>
#include <gst/rtp/rtp.h>

#include "elements/send/adaptation.h"
#include "elements/send/ladder.h"
#include "elements/send/rtp-rewrite.h"

#include <vector>

/* --- helpers ----------------------------------------------------------------------------- */

// An RTP packet as a payloader makes it: one memory for the header, one for the payload.
static GstBuffer *
packet (guint8 pt, guint16 seq, guint32 ts, bool marker, const std::vector<guint8> &payload,
        GstClockTime pts = GST_CLOCK_TIME_NONE)
{
  GstBuffer *hdr = gst_rtp_buffer_new_allocate (0, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gst_rtp_buffer_map (hdr, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, pt);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_set_ssrc (&rtp, 0x1234);
  gst_rtp_buffer_set_marker (&rtp, marker);
  gst_rtp_buffer_unmap (&rtp);
  GstBuffer *body = gst_buffer_new_memdup (payload.data (), payload.size ());
  GstBuffer *out = gst_buffer_append (hdr, body);
  GST_BUFFER_PTS (out) = pts;
  return out;
}

struct Parsed
{
  guint8 pt;
  guint16 seq;
  guint32 ts, ssrc;
  bool marker, padding;
  guint payload_len;
  gint twcc_id = -1;     // the id of a 2-byte element, -1 = none
  gint playout_max = -1; // in 10 ms units
};

static Parsed
parse (GstBuffer *buf, guint8 twcc_id, guint8 playout_id)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  Parsed p;
  p.pt = gst_rtp_buffer_get_payload_type (&rtp);
  p.seq = gst_rtp_buffer_get_seq (&rtp);
  p.ts = gst_rtp_buffer_get_timestamp (&rtp);
  p.ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  p.marker = gst_rtp_buffer_get_marker (&rtp);
  p.padding = gst_rtp_buffer_get_padding (&rtp);
  p.payload_len = gst_rtp_buffer_get_payload_len (&rtp);
  gpointer data;
  guint size;
  if (twcc_id && gst_rtp_buffer_get_extension_onebyte_header (&rtp, twcc_id, 0, &data, &size))
    {
      fail_unless_equals_int (size, 2);
      p.twcc_id = twcc_id;
    }
  if (playout_id
      && gst_rtp_buffer_get_extension_onebyte_header (&rtp, playout_id, 0, &data, &size))
    {
      fail_unless_equals_int (size, 3);
      auto *b = static_cast<guint8 *> (data);
      p.playout_max = ((b[1] & 0x0f) << 8) | b[2];
    }
  gst_rtp_buffer_unmap (&rtp);
  return p;
}

static const std::vector<guint8> kVp8Key = { 0x10, 0x00, 0x9d, 0x01, 0x2a };   // S, P=0
static const std::vector<guint8> kVp8Delta = { 0x10, 0x01, 0x00, 0x00, 0x00 }; // S, P=1
static const std::vector<guint8> kVp8Middle = { 0x00, 0x00, 0x00 };             // not S

/* --- the ladder -------------------------------------------------------------------------- */

GST_START_TEST (auto_ladder_is_full_half_and_quarter_size_best_first)
{
  auto l = rtc::ladder_for ("auto", 1280, 720, 2500);
  fail_unless_equals_int (l.size (), 3);
  fail_unless_equals_int (l[0].width, 1280);
  fail_unless_equals_int (l[0].kbps, 2500);
  fail_unless_equals_int (l[1].width, 640);
  fail_unless_equals_int (l[1].height, 360);
  fail_unless (l[1].kbps < l[0].kbps / 2, "half size at %u kbit/s", l[1].kbps);
  fail_unless_equals_int (l[2].width, 320);
  fail_unless (l[2].kbps < l[1].kbps);
  // A small picture keeps only the rungs that stay useful; encoded input of unknown size none.
  fail_unless_equals_int (rtc::ladder_for ("auto", 320, 240, 1000).size (), 2);
  fail_unless_equals_int (rtc::ladder_for ("auto", 0, 0, 1000).size (), 1);
}
GST_END_TEST;

GST_START_TEST (video_layers_none_or_explicit_or_refused)
{
  fail_unless_equals_int (rtc::ladder_for ("none", 1280, 720, 2500).size (), 1);
  auto l = rtc::ladder_for ("320x180:250, 1280x720:2500,640x360:800", 1920, 1080, 9999);
  fail_unless_equals_int (l.size (), 3);
  fail_unless_equals_int (l[0].kbps, 2500); // sorted best first
  fail_unless_equals_int (l[2].width, 320);
  std::vector<rtc::Rung> rungs;
  bool adapt;
  std::string error;
  for (const char *bad : { "1280x720", "big", "1280x720:2500,", "0x0:100", "640x360:5:6" })
    {
      error.clear ();
      fail_if (rtc::parse_video_layers (bad, &rungs, &adapt, &error), "'%s' accepted", bad);
      fail_if (error.empty ());
    }
}
GST_END_TEST;

/* --- one viewer's headers ---------------------------------------------------------------- */

GST_START_TEST (a_switch_keeps_sequence_numbers_and_timestamps_continuous)
{
  rtc::RtpRewriter rw;
  rw.set_ids ({ -1, 0, 0, 90000 });
  rtc::PacketInfo start{ true, true }, middle{ false, false };
  // Rung A: seq 100.., ts 1000 + 3000 a frame (30 fps), PTS 0, 33 ms...
  GstBuffer *a1 = packet (96, 100, 1000, false, kVp8Key, 0);
  GstBuffer *a2 = packet (96, 101, 1000, true, kVp8Middle, 0);
  GstBuffer *o1 = rw.rewrite (a1, start, false, -1);
  GstBuffer *o2 = rw.rewrite (a2, middle, false, -1);
  Parsed p1 = parse (o1, 0, 0), p2 = parse (o2, 0, 0);
  fail_unless_equals_int (p1.seq, 100);
  fail_unless_equals_int (p2.seq, 101);
  fail_unless_equals_int (p1.ts, 1000);
  // Rung B, other numbering; the next frame (PTS 33.3 ms) comes from it.
  GstBuffer *b1 = packet (96, 50000, 777777, true, kVp8Key, GST_SECOND / 30);
  Parsed p3 = parse (rw.rewrite (b1, start, true, -1), 0, 0);
  fail_unless_equals_int (p3.seq, 102);
  fail_unless_equals_int (p3.ts, 1000 + 3000);
  // And B's next packet follows on.
  GstBuffer *b2 = packet (96, 50001, 777777 + 3000, true, kVp8Delta, 2 * GST_SECOND / 30);
  Parsed p4 = parse (rw.rewrite (b2, start, false, -1), 0, 0);
  fail_unless_equals_int (p4.seq, 103);
  fail_unless_equals_int (p4.ts, 1000 + 6000);
  fail_unless_equals_int (p4.ssrc, 0x1234);
  for (auto *b : { a1, a2, o1, o2, b1, b2 })
    gst_buffer_unref (b);
}
GST_END_TEST;

// VP8 with X, I and a 15-bit picture id @pid, then a keyframe header.
static std::vector<guint8>
vp8_with_picture_id (guint16 pid, bool key)
{
  return { 0x90, 0x80, (guint8)(0x80 | (pid >> 8)), (guint8)(pid & 0xff), (guint8)(key ? 0 : 1),
           0xaa, 0xbb };
}

static guint16
picture_id_of (GstBuffer *buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  auto *p = static_cast<guint8 *> (gst_rtp_buffer_get_payload (&rtp));
  guint16 pid = (guint16)(((p[2] & 0x7f) << 8) | p[3]);
  fail_unless_equals_int (p[5], 0xaa); // the rest of the payload is intact
  gst_rtp_buffer_unmap (&rtp);
  return pid;
}

GST_START_TEST (vp8_picture_ids_run_on_across_a_switch)
{
  rtc::RtpRewriter rw;
  rtc::RewriteIds ids;
  ids.picture_ids = rtc::PictureIds::Vp8;
  rw.set_ids (ids);
  GstBuffer *a = packet (96, 1, 0, true, vp8_with_picture_id (20000, true), 0);
  GstBuffer *b = packet (96, 9, 0, true, vp8_with_picture_id (300, true), GST_SECOND / 30);
  GstBuffer *b2 = packet (96, 10, 3000, true, vp8_with_picture_id (301, false), GST_SECOND / 15);
  GstBuffer *oa = rw.rewrite (a, { true, true }, false, -1);
  GstBuffer *ob = rw.rewrite (b, { true, true }, true, -1);
  GstBuffer *ob2 = rw.rewrite (b2, { true, false }, false, -1);
  fail_unless_equals_int (picture_id_of (oa), 20000);
  fail_unless_equals_int (picture_id_of (ob), 20001);
  fail_unless_equals_int (picture_id_of (ob2), 20002);
  for (auto *x : { a, b, b2, oa, ob, ob2 })
    gst_buffer_unref (x);
}
GST_END_TEST;

GST_START_TEST (each_viewer_gets_its_payload_type_and_extensions_over_the_shared_payload)
{
  rtc::RtpRewriter rw;
  rw.set_ids ({ 120, 3, 9, 90000 });
  GstBuffer *in = packet (96, 7, 1, false, kVp8Key, 0);
  GstBuffer *out = rw.rewrite (in, { true, true }, false, 250);
  Parsed p = parse (out, 3, 9);
  fail_unless_equals_int (p.pt, 120);
  fail_unless_equals_int (p.twcc_id, 3);
  fail_unless_equals_int (p.playout_max, 25);
  fail_unless_equals_int (p.payload_len, kVp8Key.size ());
  // The payload is the feed's memory, not a copy.
  fail_unless (gst_buffer_peek_memory (out, gst_buffer_n_memory (out) - 1)
               == gst_buffer_peek_memory (in, 1));
  // Only a frame's first packet carries the playout delay; every packet the TWCC slot.
  GstBuffer *in2 = packet (96, 8, 1, true, kVp8Middle, 0);
  GstBuffer *out2 = rw.rewrite (in2, { false, false }, false, 250);
  Parsed p2 = parse (out2, 3, 9);
  fail_unless_equals_int (p2.playout_max, -1);
  fail_unless_equals_int (p2.twcc_id, 3);
  for (auto *b : { in, out, in2, out2 })
    gst_buffer_unref (b);
}
GST_END_TEST;

GST_START_TEST (a_viewers_packet_keeps_the_feeds_timing_flags_and_metas)
{
  rtc::RtpRewriter rw;
  rw.set_ids ({ 120, 3, 0, 90000 });
  GstBuffer *in = packet (96, 7, 1, false, kVp8Key, 5 * GST_SECOND);
  GST_BUFFER_DTS (in) = 4 * GST_SECOND;
  GST_BUFFER_DURATION (in) = GST_SECOND / 30;
  GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);
  GstCaps *ref = gst_caps_new_empty_simple ("timestamp/x-ntp");
  gst_buffer_add_reference_timestamp_meta (in, ref, 42 * GST_SECOND, GST_CLOCK_TIME_NONE);
  GstBuffer *out = rw.rewrite (in, { true, true }, false, -1);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 5 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (out), 4 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), GST_SECOND / 30);
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  GstReferenceTimestampMeta *meta = gst_buffer_get_reference_timestamp_meta (out, ref);
  fail_unless (meta && meta->timestamp == 42 * GST_SECOND);
  // Our header, then the feed's payload memory.
  fail_unless_equals_int (gst_buffer_n_memory (out), 2);
  fail_unless_equals_int (parse (out, 3, 0).payload_len, kVp8Key.size ());
  gst_caps_unref (ref);
  gst_buffer_unref (in);
  gst_buffer_unref (out);
}
GST_END_TEST;

GST_START_TEST (padding_probes_take_sequence_numbers_and_carry_no_media)
{
  rtc::RtpRewriter rw;
  rw.set_ids ({ -1, 5, 0, 90000 });
  fail_unless (rw.padding (255) == nullptr, "no padding before the first packet");
  GstBuffer *in = packet (96, 10, 500, true, kVp8Key, 0);
  GstBuffer *out = rw.rewrite (in, { true, true }, false, -1);
  GstBuffer *pad = rw.padding (255);
  Parsed p = parse (pad, 5, 0);
  fail_unless (p.padding);
  fail_unless_equals_int (p.seq, 11);
  fail_unless_equals_int (p.ts, 500);
  fail_unless_equals_int (p.payload_len, 0); // all of it is padding
  fail_unless_equals_int (p.twcc_id, 5);     // counted by the viewer's feedback
  GstBuffer *next = packet (96, 11, 3500, true, kVp8Delta, GST_SECOND / 30);
  GstBuffer *out2 = rw.rewrite (next, { true, false }, false, -1);
  fail_unless_equals_int (parse (out2, 0, 0).seq, 12);
  for (auto *b : { in, out, pad, next, out2 })
    gst_buffer_unref (b);
}
GST_END_TEST;

GST_START_TEST (keyframes_are_found_in_vp8_vp9_and_h264_packets)
{
  auto key = [] (const char *codec, const std::vector<guint8> &payload) {
    GstBuffer *b = packet (96, 1, 1, false, payload);
    bool k = rtc::rtp_starts_keyframe (codec, b);
    gst_buffer_unref (b);
    return k;
  };
  fail_unless (key ("VP8", kVp8Key));
  fail_if (key ("VP8", kVp8Delta));
  fail_if (key ("VP8", kVp8Middle));
  // VP8 with the extended descriptor: X, I with a 15-bit picture id, then the header (P=0).
  fail_unless (key ("VP8", { 0x90, 0x80, 0x81, 0x23, 0x00 }));
  fail_unless (key ("VP9", { 0x88, 0x00 }));  // B, not P
  fail_if (key ("VP9", { 0xc8, 0x00 }));      // P
  fail_unless (key ("H264", { 0x67, 0x42 })); // SPS
  fail_unless (key ("H264", { 0x78, 0x00, 0x0a, 0x67 })); // STAP-A starting with an SPS
  fail_unless (key ("H264", { 0x7c, 0x85 }));             // FU-A start of an IDR
  fail_if (key ("H264", { 0x7c, 0x05 }));                 // FU-A, not the start
  fail_if (key ("H264", { 0x41, 0x9a }));                 // a P slice
}
GST_END_TEST;

// The appsrc of a session track says which transport-wide-cc id the RTP session writes: the one
// agreed with this viewer (its own offer's, or our offer's), or none.
GST_START_TEST (a_session_track_sends_with_the_twcc_id_it_agreed)
{
  rtc::SessionTrack st;
  st.codec = rtc::codec_by_name ("vp8");
  auto field = [] (GstCaps *caps, const char *name) {
    const gchar *v = gst_structure_get_string (gst_caps_get_structure (caps, 0), name);
    return std::string (v ? v : "");
  };
  const std::string ours_field = "extmap-" + std::to_string (rtc::kTwccExtId);
  // Our offer, answered with TWCC.
  st.twcc_id = rtc::kTwccExtId;
  GstCaps *ours = rtc::session_track_caps (st);
  const std::string in_ours = field (ours, ours_field.c_str ());
  fail_unless_equals_string (in_ours.c_str (), rtc::kTwccUri);
  // Answered without: no TWCC on the appsrc.
  st.twcc_id = 0;
  GstCaps *none = rtc::session_track_caps (st);
  const std::string in_none = field (none, ours_field.c_str ());
  fail_unless (in_none.empty (), "TWCC left on the caps: %s", in_none.c_str ());
  // A WHEP player's offer with its own id 3.
  st.offered_caps = rtc::Ptr<GstCaps> (gst_caps_from_string (
      "application/x-rtp, media=video, encoding-name=VP8, payload=120, clock-rate=90000, "
      "extmap-3=http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"));
  st.twcc_id = 3;
  GstCaps *theirs = rtc::session_track_caps (st);
  const std::string in_theirs = field (theirs, "extmap-3");
  fail_unless_equals_string (in_theirs.c_str (), rtc::kTwccUri);
  for (auto *c : { ours, none, theirs })
    gst_caps_unref (c);
}
GST_END_TEST;

/* --- the estimate and the rung ----------------------------------------------------------- */

// Feeds @seconds of a @kbps stream of 1200-byte packets in 100 ms reports; each packet waits in
// a queue that grows by @queue_growth_ms every second; every @lose_every-th is lost.
static gint64
feed (rtc::BandwidthEstimate &e, gint64 now_us, double seconds, double kbps,
      double queue_growth_ms = 0, int lose_every = 0)
{
  static guint64 n = 0;
  const double interval_s = 1200 * 8 / (kbps * 1000);
  const GstClockTime t0 = (GstClockTime)now_us * 1000;
  std::vector<rtc::TwccPacket> report;
  double t = 0;
  for (; t < seconds; t += interval_s)
    {
      rtc::TwccPacket p;
      p.sent = t0 + (GstClockTime)(t * GST_SECOND);
      double queue_s = queue_growth_ms * t / 1000;
      p.received = 5 * GST_SECOND + p.sent + (GstClockTime)(queue_s * GST_SECOND);
      p.size = 1200;
      if (lose_every && ++n % lose_every == 0)
        p.received = GST_CLOCK_TIME_NONE;
      report.push_back (p);
      if (report.size () * interval_s >= 0.1)
        {
          e.on_twcc (report, now_us + (gint64)(t * 1e6));
          report.clear ();
        }
    }
  return now_us + (gint64)(seconds * 1e6);
}

GST_START_TEST (a_link_that_keeps_up_keeps_the_estimate)
{
  rtc::BandwidthEstimate e (3000, 6000);
  gint64 now = 1000000;
  now = feed (e, now, 5, 2500);
  auto s = e.snapshot ();
  fail_unless (s.estimate_kbps >= 3000, "estimate %u", s.estimate_kbps);
  fail_if (s.congested);
  fail_unless (s.received_kbps > 2400 && s.received_kbps < 2800, "received %u", s.received_kbps);
}
GST_END_TEST;

GST_START_TEST (a_growing_queue_or_heavy_loss_lowers_the_estimate_to_what_got_through)
{
  rtc::BandwidthEstimate q (3000, 6000);
  feed (q, 1000000, 3, 2500, 200); // the queue grows 200 ms a second
  auto s = q.snapshot ();
  fail_unless (s.estimate_kbps < 2500, "estimate %u after a growing queue", s.estimate_kbps);

  rtc::BandwidthEstimate l (3000, 6000);
  feed (l, 1000000, 3, 2500, 0, 3); // a third lost
  s = l.snapshot ();
  fail_unless (s.loss > 0.2, "loss %f", s.loss);
  fail_unless (s.estimate_kbps < 2500, "estimate %u after heavy loss", s.estimate_kbps);

  // 1 % loss is a lossy link, not a full one.
  rtc::BandwidthEstimate one (3000, 6000);
  feed (one, 1000000, 5, 2500, 0, 100);
  fail_unless (one.snapshot ().estimate_kbps >= 3000);
}
GST_END_TEST;

// A link that narrows from 3 Mbit/s to 600 kbit/s (a bottleneck queue, as tc tbf makes): the
// first decrease goes to what gets through now, not to the last second's average, which still
// holds what arrived before (a rung picked from that would not fit either).
GST_START_TEST (a_link_that_narrows_brings_the_estimate_to_the_new_link_at_the_first_decrease)
{
  rtc::BandwidthEstimate e (3000, 6000);
  const double send_kbps = 3000, link_kbps = 600;
  const double interval_s = 1200 * 8 / (send_kbps * 1000);
  // Every packet's arrival: 20 ms of path, and from 3 s on a bottleneck that sends one packet
  // at a time at the link's rate.
  std::vector<rtc::TwccPacket> packets;
  GstClockTime link_free = 0;
  for (double t = 0; t < 5; t += interval_s)
    {
      rtc::TwccPacket p;
      p.sent = (GstClockTime)(t * GST_SECOND);
      p.size = 1200;
      p.received = p.sent + 20 * GST_MSECOND;
      if (t >= 3)
        {
          p.received = MAX (p.received, link_free)
                       + (GstClockTime)(1240 * 8 / (link_kbps * 1000) * GST_SECOND);
          link_free = p.received;
        }
      packets.push_back (p);
    }
  // The viewer reports every 100 ms what has arrived by then.
  guint first_decrease = 0;
  std::size_t next = 0;
  for (GstClockTime now = 100 * GST_MSECOND; next < packets.size () && !first_decrease;
       now += 100 * GST_MSECOND)
    {
      std::vector<rtc::TwccPacket> report;
      for (; next < packets.size () && packets[next].received <= now; next++)
        report.push_back (packets[next]);
      if (report.empty ())
        continue;
      e.on_twcc (report, (gint64)(now / GST_USECOND));
      if (now > 3 * GST_SECOND && e.snapshot ().estimate_kbps < 3000)
        first_decrease = e.snapshot ().estimate_kbps;
    }
  fail_unless (first_decrease > 0, "no decrease");
  fail_unless (first_decrease <= link_kbps, "the first decrease went to %u kbit/s", first_decrease);
}
GST_END_TEST;

GST_START_TEST (absurd_feedback_is_ignored)
{
  rtc::BandwidthEstimate e (3000, 6000);
  gint64 now = feed (e, 1000000, 2, 2500);
  std::vector<rtc::TwccPacket> absurd (20);
  for (auto &p : absurd)
    {
      p.sent = (GstClockTime)now * 1000;
      p.received = p.sent + 3600 * GST_SECOND; // an hour late
      p.size = 1200;
    }
  e.on_twcc (absurd, now);
  e.on_report_loss (-0.5, now);
  e.on_report_loss (7, now);
  auto s = e.snapshot ();
  fail_unless (s.ignored >= 22, "ignored %" G_GUINT64_FORMAT, s.ignored);
  fail_unless (s.estimate_kbps >= 3000);
}
GST_END_TEST;

// A REMB (Janus caps its publishers with one) brings the estimate down to it, with TWCC or
// without; a REMB of nothing or of more than 10 Gbit/s is ignored.
GST_START_TEST (remb_caps_the_estimate_without_twcc)
{
  rtc::BandwidthEstimate e (3000, 6000);
  e.on_remb (128, 1000000);
  auto s = e.snapshot ();
  fail_unless_equals_int (s.estimate_kbps, 128);
  e.on_remb (5000, 2000000); // up: no faster than our own growth
  fail_unless_equals_int (e.snapshot ().estimate_kbps, 128);
  fail_unless (e.has_feedback_since (1500000));
  e.on_remb (0, 3000000);
  e.on_remb (2e7, 3000000);
  fail_unless_equals_int (e.snapshot ().ignored, 2);

  // Receiver reports without loss do not lift it above the last REMB while that stands...
  rtc::BandwidthEstimate r (3000, 6000);
  r.on_remb (128, 1000000);
  for (gint64 t = 2; t <= 10; t++)
    r.on_report_loss (0, t * G_USEC_PER_SEC);
  fail_unless_equals_int (r.snapshot ().estimate_kbps, 128);
  // ...and a REMB 10 s old no longer caps it.
  for (gint64 t = 12; t <= 14; t++)
    r.on_report_loss (0, t * G_USEC_PER_SEC);
  fail_unless (r.snapshot ().estimate_kbps > 128);

  // With TWCC too (Janus negotiates it and caps its publishers by REMB): down at once, and
  // what TWCC says gets through does not lift it above the REMB while that stands.
  rtc::BandwidthEstimate t (3000, 6000);
  feed (t, 1000000, 2, 2500);
  fail_unless (t.snapshot ().twcc);
  fail_unless (t.snapshot ().estimate_kbps > 128);
  t.on_remb (128, 3000000);
  fail_unless_equals_int (t.snapshot ().estimate_kbps, 128);
  feed (t, 3000000, 5, 2500);
  fail_unless_equals_int (t.snapshot ().estimate_kbps, 128);
}
GST_END_TEST;

// A policy's ticks a second apart, with feedback, the media at @media_kbps.
struct Ticks
{
  rtc::RungPolicy &policy;
  gint64 now = 0;
  rtc::RungPolicy::Decision
  operator() (guint estimate, bool congested, double media_kbps)
  {
    rtc::EstimateSnapshot e;
    e.estimate_kbps = estimate;
    e.congested = congested;
    e.twcc = true;
    now += G_USEC_PER_SEC;
    return policy.tick (e, true, media_kbps, now);
  }
};

GST_START_TEST (the_rung_follows_the_estimate_down_at_once_and_up_after_a_hold)
{
  std::vector<rtc::Rung> ladder = { { 1280, 720, 2500 }, { 640, 360, 750 }, { 320, 180, 277 } };
  rtc::RungPolicy policy (ladder, 0);
  Ticks ticks{ policy };
  auto tick = [&] (guint estimate) { return ticks (estimate, false, ladder[policy.rung ()].kbps); };
  fail_unless_equals_int (tick (3200).rung, 0);
  fail_unless_equals_int (tick (510).rung, 2); // far under: at once, as far as needed
  // Up only after a better rung has fitted for a second, to the best that fitted all along.
  fail_unless_equals_int (tick (1000).rung, 2);
  fail_unless_equals_int (tick (4000).rung, 1);
  // A rung that no longer fits by a little (750 needs 900): down on the second tick in a row.
  fail_unless_equals_int (tick (850).rung, 1);
  fail_unless_equals_int (tick (950).rung, 1);
  fail_unless_equals_int (tick (850).rung, 1);
  fail_unless_equals_int (tick (850).rung, 2);
  fail_unless_equals_int (policy.switches (), 3);
}
GST_END_TEST;

GST_START_TEST (with_temporal_layers_a_rung_that_no_longer_fits_drops_its_upper_layer_first)
{
  std::vector<rtc::Rung> ladder = { { 1280, 720, 2500 }, { 640, 360, 750 }, { 320, 180, 277 } };
  rtc::RungPolicy policy (ladder, 0, true);
  Ticks ticks{ policy };
  auto tick = [&] (guint estimate) { return ticks (estimate, false, ladder[policy.rung ()].kbps); };
  const guint8 all = rtc::kAllTemporalLayers;
  fail_unless_equals_int (tick (3200).temporal_layer, all);
  // 2500 needs 3000, its base layer 1800: the base layer at once, the rung stays.
  auto d = tick (2200);
  fail_unless_equals_int (d.rung, 0);
  fail_unless_equals_int (d.temporal_layer, 0);
  fail_unless_equals_int (tick (2200).rung, 0);
  // Fits again: the upper layer back after a second of fitting.
  fail_unless_equals_int (tick (3100).temporal_layer, 0);
  fail_unless_equals_int (tick (3100).temporal_layer, all);
  fail_unless_equals_int (policy.switches (), 0);
  // Half the frames for long: a lower rung at full rate instead.
  fail_unless_equals_int (tick (2200).temporal_layer, 0);
  fail_unless_equals_int (tick (2200).rung, 0);
  fail_unless_equals_int (tick (2200).rung, 0);
  d = tick (2200);
  fail_unless_equals_int (d.rung, 1);
  fail_unless_equals_int (d.temporal_layer, all);
  // Under the base layer's need: down as without layers, all layers on the rung that fits.
  d = tick (400);
  fail_unless_equals_int (d.rung, 2);
  fail_unless_equals_int (d.temporal_layer, all);
  // The lowest rung that no longer fits: its base layer is the last step, on the second tick
  // in a row (a failed probe's dip of one tick costs no frames).
  fail_unless_equals_int (tick (300).temporal_layer, all);
  fail_unless_equals_int (tick (400).temporal_layer, all);
  fail_unless_equals_int (tick (300).temporal_layer, all);
  fail_unless_equals_int (tick (300).temporal_layer, 0);
}
GST_END_TEST;

// The lowest rung's encoder serves every viewer on it: it goes down only as far as the viewer
// that can take the most, never under an eighth of the rung, and back up when nobody needs less.
GST_START_TEST (a_rungs_encoder_follows_the_highest_wish_of_its_viewers)
{
  rtc::BitrateWishes w (600);
  int a, b; // two viewers
  gint64 now = 0;
  fail_unless_equals_int (w.current (), 600);
  fail_unless_equals_int (w.wish (&a, 106, now), 106); // alone on the rung: what it takes
  fail_unless_equals_int (w.wish (&b, 400, now), 400); // the other takes more: it wins
  fail_unless_equals_int (w.wish (&b, 420, now), 400); // under 10 %: the encoder stays
  fail_unless_equals_int (w.wish (&b, 600, now), 600);
  fail_unless_equals_int (w.wish (&b, 0, now), 106); // b left the rung
  fail_unless_equals_int (w.wish (&a, 10, now), 75);  // an eighth of the rung at least
  // A wish not renewed for 3 s is gone (a viewer that left without saying so).
  now += 4 * G_USEC_PER_SEC;
  fail_unless_equals_int (w.wish (&b, 300, now), 300);
  now += 4 * G_USEC_PER_SEC;
  fail_unless_equals_int (w.wish (&a, 0, now), 600); // nobody wishes: the rung's own
}
GST_END_TEST;

// Under a REMB that the lowest rung does not fit (Janus caps its publishers at 128 kbit/s), the
// viewer wishes the rung what its link takes; at that bitrate the rung fits, with all its frames,
// and no padding probes for a rung the REMB rules out.
GST_START_TEST (on_the_lowest_rung_a_viewer_wishes_what_its_link_takes)
{
  std::vector<rtc::Rung> ladder = { { 320, 240, 2000 }, { 160, 120, 600 } };
  rtc::RungPolicy policy (ladder, 0, true);
  gint64 now = 0;
  rtc::EstimateSnapshot e;
  e.twcc = true;
  e.estimate_kbps = 128;
  e.remb_kbps = 128;
  auto tick = [&] () { return policy.tick (e, true, 100, now += G_USEC_PER_SEC); };
  fail_unless_equals_int (policy.lowest_wish (e, true), 0); // not on the lowest rung
  tick ();
  auto d = tick ();
  fail_unless_equals_int (d.rung, 1);
  fail_unless_equals_int (policy.lowest_wish (e, true), 106); // 128 less the headroom
  fail_unless_equals_int (policy.lowest_wish (e, false), 600); // no feedback: the rung's own
  // Two ticks of not fitting at 600: the base layer alone, the last step...
  tick ();
  fail_unless_equals_int (tick ().temporal_layer, 0);
  // ...until the encoder runs at what the link takes: all layers again, and no probe.
  policy.set_lowest_kbps (106);
  for (int i = 0; i < 3; i++)
    d = tick ();
  fail_unless_equals_int (d.temporal_layer, rtc::kAllTemporalLayers);
  fail_unless_equals_int (d.padding_kbps, 0);
  // A link that takes the rung whole wishes for all of it.
  e.estimate_kbps = 800;
  e.remb_kbps = 0;
  fail_unless_equals_int (policy.lowest_wish (e, true), 600);
}
GST_END_TEST;

GST_START_TEST (without_temporal_layers_the_policy_always_sends_all_layers)
{
  std::vector<rtc::Rung> ladder = { { 1280, 720, 2500 }, { 640, 360, 750 } };
  rtc::RungPolicy policy (ladder, 0);
  Ticks ticks{ policy };
  for (guint e : { 3200u, 2200u, 2200u, 800u, 300u })
    fail_unless_equals_int (ticks (e, false, 1000).temporal_layer, rtc::kAllTemporalLayers);
}
GST_END_TEST;

GST_START_TEST (probes_pad_a_little_above_the_estimate_and_back_off_after_congestion)
{
  std::vector<rtc::Rung> ladder = { { 1280, 720, 2500 }, { 320, 180, 277 } };
  rtc::RungPolicy policy (ladder, 1);
  Ticks ticks{ policy };
  auto tick = [&] (guint estimate, bool congested = false) { return ticks (estimate, congested, 280); };
  // Probing starts at once from a start on a low rung, a little above the estimate.
  auto d = tick (500);
  fail_unless_equals_int (d.rung, 1);
  fail_unless (d.padding_kbps > 200 && d.padding_kbps <= 500 * 1.05 - 280 + 1, "padding %u",
               d.padding_kbps);
  // Congestion: no padding, and none for the backoff (4 s).
  d = tick (480, true);
  fail_unless_equals_int (d.padding_kbps, 0);
  for (int i = 0; i < 3; i++)
    fail_unless_equals_int (tick (500).padding_kbps, 0);
  fail_unless (tick (500).padding_kbps > 0);
  // Receiver reports cannot measure padding: no probe without TWCC.
  rtc::RungPolicy reports (ladder, 1);
  rtc::EstimateSnapshot r;
  r.estimate_kbps = 500;
  fail_unless_equals_int (reports.tick (r, true, 280, G_USEC_PER_SEC).padding_kbps, 0);
  // Without any feedback a viewer stays on the lowest rung and gets no padding.
  rtc::RungPolicy blind (ladder, 0);
  rtc::EstimateSnapshot e;
  e.estimate_kbps = 5000;
  d = blind.tick (e, false, 0, G_USEC_PER_SEC);
  fail_unless_equals_int (d.rung, 1);
  fail_unless_equals_int (d.padding_kbps, 0);
}
GST_END_TEST;

static Suite *
adaptation_suite ()
{
  Suite *s = suite_create ("adaptation");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, auto_ladder_is_full_half_and_quarter_size_best_first);
  tcase_add_test (tc, video_layers_none_or_explicit_or_refused);
  tcase_add_test (tc, a_switch_keeps_sequence_numbers_and_timestamps_continuous);
  tcase_add_test (tc, each_viewer_gets_its_payload_type_and_extensions_over_the_shared_payload);
  tcase_add_test (tc, a_viewers_packet_keeps_the_feeds_timing_flags_and_metas);
  tcase_add_test (tc, vp8_picture_ids_run_on_across_a_switch);
  tcase_add_test (tc, a_session_track_sends_with_the_twcc_id_it_agreed);
  tcase_add_test (tc, padding_probes_take_sequence_numbers_and_carry_no_media);
  tcase_add_test (tc, keyframes_are_found_in_vp8_vp9_and_h264_packets);
  tcase_add_test (tc, a_link_that_keeps_up_keeps_the_estimate);
  tcase_add_test (tc, a_growing_queue_or_heavy_loss_lowers_the_estimate_to_what_got_through);
  tcase_add_test (tc, a_link_that_narrows_brings_the_estimate_to_the_new_link_at_the_first_decrease);
  tcase_add_test (tc, absurd_feedback_is_ignored);
  tcase_add_test (tc, remb_caps_the_estimate_without_twcc);
  tcase_add_test (tc, the_rung_follows_the_estimate_down_at_once_and_up_after_a_hold);
  tcase_add_test (tc, probes_pad_a_little_above_the_estimate_and_back_off_after_congestion);
  tcase_add_test (tc, with_temporal_layers_a_rung_that_no_longer_fits_drops_its_upper_layer_first);
  tcase_add_test (tc, without_temporal_layers_the_policy_always_sends_all_layers);
  tcase_add_test (tc, a_rungs_encoder_follows_the_highest_wish_of_its_viewers);
  tcase_add_test (tc, on_the_lowest_rung_a_viewer_wishes_what_its_link_takes);
  return s;
}

GST_CHECK_MAIN (adaptation);
