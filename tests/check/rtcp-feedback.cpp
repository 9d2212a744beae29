// A viewer's RTCP read for our streams without a pipeline (send/rtcp-feedback), against
// GStreamer's own RTCP writer (GstRTCPBuffer) and the TWCC format by hand; the sender reports we
// write, read back by GStreamer; NTP time and the round trip; hostile input.
// Before gstcheck.h: its fail macro would rewrite std::basic_ios::fail in the C++ headers this one
// pulls in.
#include "elements/send/rtcp-feedback.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/check/helpers/rtcp-bytes.h"

/* --- reading what GStreamer's RTCP writer wrote ------------------------------------------ */

GST_START_TEST (a_nack_names_every_lost_sequence_number_of_our_streams_once)
{
  GstRtcp w;
  gst_rtcp_packet_rr_set_ssrc (w.add (GST_RTCP_TYPE_RR), kViewer);
  // PID 100 and BLP bits 0 and 2: 100, 101, 103. Then across the wrap: 65534, 65535, 0.
  w.fb (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, kVideo,
        { 0, 100, 0b00000000, 0b00000101, 0xff, 0xfe, 0x00, 0x03 });
  w.fb (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, kOther, { 0, 7, 0, 0 });
  // The same numbers again, and one more: only the new one is added.
  w.fb (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, kVideo, { 0, 100, 0, 1, 0, 100, 0, 0x80 });
  w.fb (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, kAudio, { 0x12, 0x34, 0x80, 0x00 });
  auto r = read (w.bytes ());
  fail_unless_equals_int (r.malformed, 0);
  fail_unless_equals_int (r.nacks.size (), 2);
  fail_unless_equals_int (r.nacks[0].media_ssrc, kVideo);
  fail_unless_equals_int (r.nacks[0].sender_ssrc, kViewer);
  const std::vector<guint16> video = { 100, 101, 103, 65534, 65535, 0, 108 };
  fail_unless (r.nacks[0].seqs == video);
  fail_unless_equals_int (r.nacks[1].media_ssrc, kAudio);
  fail_unless (r.nacks[1].seqs == (std::vector<guint16>{ 0x1234, 0x1234 + 16 }));
}
GST_END_TEST;

GST_START_TEST (pli_and_fir_ask_our_stream_for_a_keyframe_and_a_repeated_fir_is_one_request)
{
  GstRtcp w;
  w.fb (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI, kVideo, {});
  w.fb (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI, kOther, {});
  // FIR: media SSRC 0, one entry per stream: SSRC, sequence number, 3 reserved bytes.
  Bytes fir;
  put32 (fir, kOther);
  put32 (fir, 9 << 24);
  put32 (fir, kVideo);
  put32 (fir, 7 << 24);
  w.fb (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_FIR, 0, fir);
  const Bytes bytes = w.bytes ();
  auto r = read (bytes);
  fail_unless_equals_int (r.malformed, 0);
  fail_unless_equals_int (r.keyframes.size (), 2);
  fail_unless (!r.keyframes[0].fir);
  fail_unless_equals_int (r.keyframes[0].media_ssrc, kVideo);
  fail_unless (r.keyframes[1].fir);
  fail_unless_equals_int (r.keyframes[1].media_ssrc, kVideo);
  fail_unless_equals_int (r.keyframes[1].sender_ssrc, kViewer);
  fail_unless_equals_int (r.keyframes[1].fir_seq, 7);

  // The viewer sends the same compound again until it sees a keyframe: the PLI is a new
  // request each time, the FIR only once, until its number changes.
  rtc::FirFilter filter;
  fail_unless (filter.is_new (r.keyframes[0]));
  fail_unless (filter.is_new (r.keyframes[1]));
  auto again = read (bytes);
  fail_unless (filter.is_new (again.keyframes[0]));
  fail_unless (!filter.is_new (again.keyframes[1]));
  rtc::KeyframeRequest next = again.keyframes[1];
  next.fir_seq = 8;
  fail_unless (filter.is_new (next));
  next.sender_ssrc = kViewer + 1; // another viewer SSRC's number 8 is its own
  fail_unless (filter.is_new (next));
}
GST_END_TEST;

GST_START_TEST (remb_is_the_mantissa_shifted_by_the_exponent_and_absurd_rates_are_ignored)
{
  // 1.5 Mbit/s = 187500 << 3 (the mantissa has 18 bits).
  GstRtcp w;
  w.fb (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_AFB, 0, remb_fci (3, 187500, { kOther, kVideo }));
  auto r = read (w.bytes ());
  fail_unless_equals_int (r.malformed, 0);
  fail_unless_equals_int (r.rembs.size (), 1);
  fail_unless_equals_uint64 (r.rembs[0].bitrate_bps, 1500000);
  fail_unless_equals_int (r.rembs[0].sender_ssrc, kViewer);
  fail_unless (r.rembs[0].ssrcs == (std::vector<guint32>{ kOther, kVideo }));

  struct Case
  {
    guint exp;
    guint32 mantissa;
    bool kept;
  } cases[] = {
    { 0, 0, true },         // 0 bit/s: a viewer may say so
    { 15, 0x3ffff, true },  // 8.6 Gbit/s: the most we believe
    { 16, 0x3ffff, false }, // 17.2 Gbit/s
    { 46, 0x3ffff, false }, // fills 64 bits exactly
    { 63, 0x3ffff, false }, // 81 bits
    { 63, 0, true },        // 0 << 63 is still 0
  };
  for (const auto &c : cases)
    {
      GstRtcp one;
      one.fb (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_AFB, 0,
              remb_fci (c.exp, c.mantissa, { kVideo }));
      auto rr = read (one.bytes ());
      fail_unless (rr.rembs.size () == (c.kept ? 1u : 0u), "2^%u x %u", c.exp, c.mantissa);
      fail_unless (rr.absurd == (c.kept ? 0u : 1u), "2^%u x %u", c.exp, c.mantissa);
      fail_unless_equals_int (rr.malformed, rr.absurd);
      if (c.kept)
        fail_unless_equals_uint64 (rr.rembs[0].bitrate_bps, (guint64)c.mantissa << c.exp);
    }

  // About someone else's streams only: not ours to read, and nothing wrong with it.
  GstRtcp others;
  others.fb (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_AFB, 0, remb_fci (3, 187500, { kOther }));
  auto o = read (others.bytes ());
  fail_unless_equals_int (o.rembs.size (), 0);
  fail_unless_equals_int (o.malformed, 0);
}
GST_END_TEST;

GST_START_TEST (report_blocks_about_our_streams_come_from_receiver_and_sender_reports)
{
  GstRtcp w;
  GstRTCPPacket *rr = w.add (GST_RTCP_TYPE_RR);
  gst_rtcp_packet_rr_set_ssrc (rr, kViewer);
  // fraction 64/256, 1234 lost, highest 0x0001ffff, jitter 90, LSR, DLSR.
  fail_unless (gst_rtcp_packet_add_rb (rr, kVideo, 64, 1234, 0x0001ffff, 90, 0xb7052000, 0x54000));
  fail_unless (gst_rtcp_packet_add_rb (rr, kOther, 1, 1, 1, 1, 1, 1));
  GstRTCPPacket *sr = w.add (GST_RTCP_TYPE_SR);
  gst_rtcp_packet_sr_set_sender_info (sr, kViewer, G_GUINT64_CONSTANT (0x1234567890), 1, 2, 3);
  // Duplicates make the cumulative count negative (24 bits, two's complement).
  fail_unless (gst_rtcp_packet_add_rb (sr, kAudio, 0, -3, 70000, 7, 0, 0));
  auto r = read (w.bytes ());
  fail_unless_equals_int (r.malformed, 0);
  fail_unless_equals_int (r.reports.size (), 2);
  const rtc::ReportBlock &v = r.reports[0];
  fail_unless_equals_int (v.reporter_ssrc, kViewer);
  fail_unless_equals_int (v.ssrc, kVideo);
  fail_unless_equals_int (v.fraction_lost, 64);
  fail_unless_equals_int (v.cumulative_lost, 1234);
  fail_unless_equals_int (v.highest_seq, 0x0001ffff);
  fail_unless_equals_int (v.jitter, 90);
  fail_unless_equals_int (v.lsr, 0xb7052000);
  fail_unless_equals_int (v.dlsr, 0x54000);
  const rtc::ReportBlock &a = r.reports[1];
  fail_unless_equals_int (a.ssrc, kAudio);
  fail_unless_equals_int (a.cumulative_lost, -3);
  fail_unless_equals_int (a.highest_seq, 70000);
  fail_unless_equals_int (a.lsr, 0);
}
GST_END_TEST;

GST_START_TEST (the_round_trip_is_arrival_minus_lsr_minus_dlsr)
{
  // RFC 3550 §6.4.1's example: A 46864.500 s, LSR 46853.125 s, DLSR 5.250 s: 6.125 s.
  const guint64 a = G_GUINT64_CONSTANT (0xb7108000) << 16;
  auto rtt = rtc::rtt_us (0xb7052000, 0x00054000, a);
  fail_unless (rtt.has_value ());
  fail_unless_equals_int64 (*rtt, 6125000);
  // No SR of ours yet: no round trip.
  fail_if (rtc::rtt_us (0, 0x00054000, a).has_value ());
  // A loopback round trip rounds a unit below zero: none, not 18 hours.
  rtt = rtc::rtt_us (0xb7108001, 0, a);
  fail_unless (rtt.has_value () && *rtt == 0);
  // A report about some other SR, or a stepped clock: no round trip at all.
  fail_if (rtc::rtt_us (0xb7200000, 0, a).has_value ());
  // Across the 16-bit seconds wrap of the middle 32 bits.
  const guint64 after = G_GUINT64_CONSTANT (0x00000100) << 16;
  fail_unless_equals_int64 (*rtc::rtt_us (0xffffff00, 0x100, after), 0x100 * 1000000 / 65536);

  // Our SR at wall clock t, the viewer holds it 30 ms, it arrives 80 ms after we sent it.
  const gint64 t = g_get_real_time ();
  rtc::ReportBlock rb;
  rb.lsr = rtc::ntp_middle32 (rtc::ntp_from_unix_us (t));
  rb.dlsr = 30 * 65536 / 1000;
  rtt = rtc::rtt_us (rb, rtc::ntp_from_unix_us (t + 80000));
  fail_unless (rtt.has_value ());
  fail_unless (std::abs (*rtt - 50000) <= 2 * 16, "rtt %" G_GINT64_FORMAT " us", *rtt);
}
GST_END_TEST;

GST_START_TEST (ntp_time_of_the_wall_clock_agrees_with_gstreamer)
{
  // 1970 is 2208988800 s after 1900; half a second is half of 2^32.
  fail_unless_equals_uint64 (rtc::ntp_from_unix_us (0), G_GUINT64_CONSTANT (2208988800) << 32);
  fail_unless_equals_uint64 (rtc::ntp_from_unix_us (500000) & G_MAXUINT32, 0x80000000u);
  fail_unless_equals_int (rtc::ntp_middle32 (rtc::ntp_from_unix_us (1500000)),
                          (guint32)(((2208988800u + 1) & 0xffff) << 16 | 0x8000));
  for (gint64 us : { (gint64)0, (gint64)1, (gint64)999999, (gint64)1700000000123456,
                     g_get_real_time (), (gint64)2085978495999999 })
    {
      const guint64 ours = rtc::ntp_from_unix_us (us);
      const guint64 theirs = gst_rtcp_unix_to_ntp (us * 1000);
      fail_unless (ours - theirs + 1 <= 2,
                   "%" G_GINT64_FORMAT ": %" G_GINT64_MODIFIER "x vs %" G_GINT64_MODIFIER "x", us,
                   ours, theirs);
      fail_unless_equals_int64 (rtc::unix_us_from_ntp (ours), us);
    }
  // 2036-02-07 06:28:16 UTC: era 1 starts, NTP seconds are 0 again and still read back.
  const gint64 era1 = G_GINT64_CONSTANT (2085978496) * G_USEC_PER_SEC;
  fail_unless_equals_uint64 (rtc::ntp_from_unix_us (era1), 0);
  fail_unless_equals_int64 (rtc::unix_us_from_ntp (rtc::ntp_from_unix_us (era1 + 250000)),
                            era1 + 250000);
}
GST_END_TEST;

/* --- GStreamer reads what we write -------------------------------------------------------- */

// The SDES GStreamer's own writer makes for @cname.
static Bytes
gst_sdes (guint32 ssrc, const std::string &cname)
{
  GstRtcp w;
  GstRTCPPacket *p = w.add (GST_RTCP_TYPE_SDES);
  fail_unless (gst_rtcp_packet_sdes_add_item (p, ssrc));
  fail_unless (gst_rtcp_packet_sdes_add_entry (p, GST_RTCP_SDES_CNAME, cname.size (),
                                               (const guint8 *)cname.data ()));
  return w.bytes ();
}

GST_START_TEST (our_sender_report_and_cname_are_read_by_gstreamer)
{
  // Every CNAME length pads differently: 1 to 8 bytes, a typical one, the longest.
  for (std::string cname :
       { std::string ("a"), std::string ("ab"), std::string ("abc"), std::string ("abcd"),
         std::string ("abcde"), std::string ("abcdef"), std::string ("abcdefg"),
         std::string ("abcdefgh"), std::string ("rtckit-5d4c3b2a@viewer"), std::string (255, 'x') })
    {
      rtc::SenderInfo info;
      info.ssrc = kVideo;
      info.ntp = rtc::ntp_from_unix_us (g_get_real_time ());
      info.rtp_ts = 0xfedcba98;
      info.packets = 123456;
      info.octets = 0x89abcdef;
      guint8 out[400];
      const gsize len = rtc::write_sender_report (out, sizeof out, info, cname.c_str ());
      fail_unless_equals_int (len, rtc::sender_report_size (cname.c_str ()));
      fail_unless (len > 0 && len % 4 == 0);
      // The SDES, byte for byte what GStreamer writes.
      fail_unless (Bytes (out + 28, out + len) == gst_sdes (kVideo, cname), "CNAME of %u bytes",
                   (guint)cname.size ());

      GstBuffer *buf = gst_rtcp_buffer_new_copy_data (out, len);
      fail_unless (gst_rtcp_buffer_validate (buf), "CNAME of %u bytes", (guint)cname.size ());
      GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
      GstRTCPPacket p;
      fail_unless (gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp));
      fail_unless_equals_int (gst_rtcp_buffer_get_packet_count (&rtcp), 2);
      fail_unless (gst_rtcp_buffer_get_first_packet (&rtcp, &p));
      fail_unless_equals_int (gst_rtcp_packet_get_type (&p), GST_RTCP_TYPE_SR);
      fail_unless_equals_int (gst_rtcp_packet_get_rb_count (&p), 0);
      guint32 ssrc, rtp_ts, packets, octets;
      guint64 ntp;
      gst_rtcp_packet_sr_get_sender_info (&p, &ssrc, &ntp, &rtp_ts, &packets, &octets);
      fail_unless_equals_int (ssrc, kVideo);
      fail_unless_equals_uint64 (ntp, info.ntp);
      fail_unless_equals_int (rtp_ts, 0xfedcba98);
      fail_unless_equals_int (packets, 123456);
      fail_unless_equals_int (octets, 0x89abcdef);

      fail_unless (gst_rtcp_packet_move_to_next (&p));
      fail_unless_equals_int (gst_rtcp_packet_get_type (&p), GST_RTCP_TYPE_SDES);
      fail_unless_equals_int (gst_rtcp_packet_sdes_get_item_count (&p), 1);
      fail_unless (gst_rtcp_packet_sdes_first_item (&p));
      fail_unless_equals_int (gst_rtcp_packet_sdes_get_ssrc (&p), kVideo);
      // GStreamer 1.22 finds no entry in an 8-byte chunk (a 1-byte CNAME), even one it wrote
      // itself: gst_rtcp_packet_sdes_first_entry compares an offset that counts the header with
      // a length that does not. The bytes above are the proof for that one.
      if (cname.size () >= 2)
        {
          fail_unless (gst_rtcp_packet_sdes_first_entry (&p));
          GstRTCPSDESType type;
          guint8 n;
          guint8 *data;
          fail_unless (gst_rtcp_packet_sdes_get_entry (&p, &type, &n, &data));
          fail_unless_equals_int (type, GST_RTCP_SDES_CNAME);
          fail_unless_equals_int (n, cname.size ());
          fail_unless (memcmp (data, cname.data (), n) == 0);
          fail_if (gst_rtcp_packet_sdes_next_entry (&p));
        }
      fail_if (gst_rtcp_packet_move_to_next (&p));
      gst_rtcp_buffer_unmap (&rtcp);
      gst_buffer_unref (buf);
    }
  // No CNAME, too long a one, too small a buffer: nothing written.
  guint8 out[400];
  const std::string too_long (256, 'x');
  fail_unless_equals_int (rtc::write_sender_report (out, sizeof out, {}, ""), 0);
  fail_unless_equals_int (rtc::write_sender_report (out, sizeof out, {}, too_long.c_str ()), 0);
  // SR 28, SDES header and SSRC 8, CNAME 2 + 4, a null, a pad: 44.
  fail_unless_equals_int (rtc::write_sender_report (out, 43, {}, "abcd"), 0);
  fail_unless_equals_int (rtc::write_sender_report (out, 44, {}, "abcd"), 44);
}
GST_END_TEST;

/* --- TWCC feedback: the format ---------------------------------------------------------- */

GST_START_TEST (twcc_feedback_reads_as_the_draft_describes)
{
  // 20 packets from 65534 (across the wrap); reference time 258 x 64 ms; report number 7.
  //  - a run of 3 received with small deltas: 65534, 65535, 0;
  //  - a 1-bit vector of 14: 1 received, 2 and 3 lost, 4..13 received, 14 lost;
  //  - a 2-bit vector of 7, 5 of them used: 15 large (+100 ms), 16 small, 17 lost,
  //    18 negative (-2 ms), 19 small (the most a byte says: 63.75 ms).
  Bytes deltas = { 4, 4, 4 };  // 1 ms each
  for (int i = 0; i < 11; i++) // 1 and 4..13: 0.25 ms apart
    deltas.push_back (1);
  put16 (deltas, 400);         // 15: +100 ms
  deltas.push_back (8);        // 16: +2 ms
  put16 (deltas, (guint16)-8); // 18: -2 ms
  deltas.push_back (255);      // 19: +63.75 ms
  const Bytes fci = twcc_fci (65534, 20, 258, 7,
                              { run_length (kSmall, 3), vector1 ("10011111111110"),
                                vector2 ({ kLarge, kSmall, kLost, kLarge, kSmall, 0, 0 }) },
                              deltas);
  auto r = read (feedback (205, 15, kVideo, fci));
  fail_unless_equals_int (r.malformed, 0);
  fail_unless_equals_int (r.twcc.size (), 1);
  const rtc::TwccFeedback &fb = r.twcc[0];
  fail_unless_equals_int (fb.sender_ssrc, kViewer);
  fail_unless_equals_int (fb.media_ssrc, kVideo);
  fail_unless_equals_int (fb.base_seq, 65534);
  fail_unless_equals_int (fb.status_count, 20);
  fail_unless_equals_int (fb.reference_time, 258);
  fail_unless_equals_int (fb.feedback_count, 7);
  fail_unless_equals_int (fb.packets.size (), 20);

  const gint64 ref = 258 * 64000;
  std::map<guint16, gint64> expected; // seq -> arrival µs, absent: lost
  gint64 t = ref;
  for (guint16 s : { 65534, 65535, 0 })
    expected[s] = t += 1000;
  for (guint16 s : { 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 })
    expected[s] = t += 250;
  expected[15] = t += 100000;
  expected[16] = t += 2000;
  expected[18] = t -= 2000;
  expected[19] = t += 63750;
  for (guint i = 0; i < 20; i++)
    {
      const rtc::TwccArrival &a = fb.packets[i];
      fail_unless_equals_int (a.seq, (guint16)(65534 + i));
      auto e = expected.find (a.seq);
      fail_unless_equals_int (a.received, e != expected.end ());
      if (a.received)
        fail_unless_equals_int64 (a.arrival_us, e->second);
    }
  // Only the packets the count covers: the last chunk's unused symbols are padding.
}
GST_END_TEST;

/* --- hostile input ----------------------------------------------------------------------- */

static Bytes
valid_pli ()
{
  return feedback (206, 1, kVideo, {});
}

GST_START_TEST (malformed_packets_are_skipped_and_counted_and_the_rest_is_read)
{
  Bytes body24;
  put32 (body24, kViewer);
  body24.resize (20);
  Bytes rr_two_blocks; // says 2 blocks, holds 1
  put32 (rr_two_blocks, kViewer);
  rr_two_blocks.resize (4 + 24);
  Bytes fir_half;
  put32 (fir_half, kVideo);
  Bytes twcc_ok_deltas = { 4, 4, 4 };
  Bytes remb_short = remb_fci (3, 1, { kVideo }); // says 2 SSRCs, holds 1
  remb_short[4] = 2;
  struct Case
  {
    const char *what;
    Bytes packet;
    bool absurd;
  } cases[] = {
    { "version 1", rtcp (201, 0, { 0, 0, 0, 1 }, 0x40), false },
    { "padding count 0", rtcp (201, 0, { 0, 0, 0, 1, 0, 0, 0, 0 }, 0xa0), false },
    { "padding longer than the packet", rtcp (201, 0, { 0, 0, 0, 1, 0, 0, 0, 9 }, 0xa0), false },
    { "SR shorter than its sender info", rtcp (200, 0, body24), false },
    { "RR with more blocks than bytes", rtcp (201, 2, rr_two_blocks), false },
    { "RR without SSRC", rtcp (201, 0, {}), false },
    { "feedback without media SSRC", rtcp (205, 1, { 0, 0, 0, 1 }), false },
    { "NACK without entries", feedback (205, 1, kVideo, {}), false },
    { "NACK with half an entry (padding)",
      rtcp (205, 1, { 0, 0, 0xbe, 0xef, 0x11, 0x22, 0x33, 0x44, 0, 1, 0, 2 }, 0xa0), false },
    { "FIR with half an entry", feedback (206, 4, 0, fir_half), false },
    { "FIR without entries", feedback (206, 4, 0, {}), false },
    { "REMB with the wrong identifier",
      feedback (206, 15, 0, Bytes{ 'R', 'E', 'M', 'X', 1, 0, 0, 1, 0x11, 0x22, 0x33, 0x44 }),
      false },
    { "REMB with more SSRCs than bytes", feedback (206, 15, 0, remb_short), false },
    { "REMB at 17 Gbit/s", feedback (206, 15, 0, remb_fci (16, 0x3ffff, { kVideo })), true },
    { "REMB beyond 64 bits", feedback (206, 15, 0, remb_fci (63, 0x3ffff, { kVideo })), true },
    { "TWCC shorter than its header", feedback (205, 15, kVideo, { 0, 1, 0, 1 }), false },
    { "TWCC about no packet", feedback (205, 15, kVideo, twcc_fci (0, 0, 0, 0, {}, {})), false },
    { "TWCC status count beyond its chunks",
      feedback (205, 15, kVideo, twcc_fci (0, 20, 0, 0, { vector1 ("11111111111111") }, {})),
      false },
    { "TWCC deltas truncated",
      feedback (205, 15, kVideo, twcc_fci (0, 3, 0, 0, { run_length (kLarge, 3) }, { 0, 1 })),
      false },
    { "TWCC run of the reserved status",
      feedback (205, 15, kVideo,
                twcc_fci (0, 3, 0, 0, { run_length (Status (3), 3) }, twcc_ok_deltas)),
      false },
    { "TWCC vector with the reserved status",
      feedback (205, 15, kVideo, twcc_fci (0, 2, 0, 0, { vector2 ({ 1, 3 }) }, twcc_ok_deltas)),
      false },
    { "TWCC about 10,001 packets",
      feedback (
          205, 15, kVideo,
          twcc_fci (0, 10001, 0, 0, { run_length (kLost, 8191), run_length (kLost, 8191) }, {})),
      true },
  };
  for (const auto &c : cases)
    {
      // Between two good packets: both are read.
      auto r = read (valid_pli () + c.packet + valid_pli ());
      fail_unless (r.malformed == 1, "%s: %u malformed", c.what, r.malformed);
      fail_unless (r.absurd == (c.absurd ? 1u : 0u), "%s: %u absurd", c.what, r.absurd);
      fail_unless (r.keyframes.size () == 2, "%s: %u keyframe requests", c.what,
                   (guint)r.keyframes.size ());
      fail_unless (r.nacks.empty () && r.rembs.empty () && r.twcc.empty () && r.reports.empty (),
                   "%s", c.what);
    }

  // A length past the end: what comes before is read, nothing after can be found.
  Bytes past = valid_pli () + rtcp (201, 0, { 0, 0, 0, 1 });
  past[past.size () - 5] = 9; // says 10 words
  auto r = read (past + valid_pli ());
  fail_unless_equals_int (r.malformed, 1);
  fail_unless_equals_int (r.keyframes.size (), 1);
  // Fewer than 4 bytes left.
  r = read (valid_pli () + Bytes{ 0x81, 201 });
  fail_unless_equals_int (r.malformed, 1);
  fail_unless_equals_int (r.keyframes.size (), 1);

  // What is not ours to read is not malformed: unknown types, SDES, BYE, loss notification.
  r = read (valid_pli () + rtcp (210, 0, { 1, 2, 3, 4 }) + rtcp (203, 1, { 0, 0, 0xbe, 0xef })
            + feedback (206, 15, 0, { 'L', 'N', 'T', 'F', 0, 1, 0, 2 }) + valid_pli ());
  fail_unless_equals_int (r.malformed, 0);
  fail_unless_equals_int (r.keyframes.size (), 2);
  // Nothing at all.
  r = rtc::read_rtcp (nullptr, 0, kOurs);
  fail_unless_equals_int (r.malformed, 0);
}
GST_END_TEST;

// Everything a read found, as text: equal texts, equal reads.
static std::string
describe (const rtc::RtcpFeedback &r)
{
  GString *s = g_string_new (nullptr);
  for (const auto &n : r.nacks)
    {
      g_string_append_printf (s, "nack %x:", n.media_ssrc);
      for (guint16 q : n.seqs)
        g_string_append_printf (s, " %u", q);
      g_string_append (s, "\n");
    }
  for (const auto &k : r.keyframes)
    g_string_append_printf (s, "key %x %d %u\n", k.media_ssrc, k.fir, k.fir_seq);
  for (const auto &m : r.rembs)
    g_string_append_printf (s, "remb %" G_GUINT64_FORMAT " %u\n", m.bitrate_bps,
                            (guint)m.ssrcs.size ());
  for (const auto &t : r.twcc)
    {
      g_string_append_printf (s, "twcc %u %u %u %u:", t.base_seq, t.status_count, t.reference_time,
                              t.feedback_count);
      for (const auto &a : t.packets)
        g_string_append_printf (s, " %u/%d/%" G_GINT64_FORMAT, a.seq, a.received, a.arrival_us);
      g_string_append (s, "\n");
    }
  for (const auto &b : r.reports)
    g_string_append_printf (s, "rb %x %u %d %u %u %u %u\n", b.ssrc, b.fraction_lost,
                            b.cumulative_lost, b.highest_seq, b.jitter, b.lsr, b.dlsr);
  std::string out (s->str);
  g_string_free (s, TRUE);
  return out;
}

// One of each: SR with a block about us, SDES, NACK, PLI, FIR, REMB, TWCC.
static std::vector<Bytes>
valid_packets ()
{
  GstRtcp w;
  GstRTCPPacket *sr = w.add (GST_RTCP_TYPE_SR);
  gst_rtcp_packet_sr_set_sender_info (sr, kViewer, 1, 2, 3, 4);
  gst_rtcp_packet_add_rb (sr, kVideo, 10, 20, 30, 40, 50, 60);
  GstRTCPPacket *sdes = w.add (GST_RTCP_TYPE_SDES);
  gst_rtcp_packet_sdes_add_item (sdes, kViewer);
  gst_rtcp_packet_sdes_add_entry (sdes, GST_RTCP_SDES_CNAME, 5, (const guint8 *)"alice");
  const Bytes reports = w.bytes ();
  const gsize sr_len = 4 * (GST_READ_UINT16_BE (reports.data () + 2) + 1);
  Bytes fir;
  put32 (fir, kVideo);
  put32 (fir, 3 << 24);
  return {
    Bytes (reports.begin (), reports.begin () + sr_len),
    Bytes (reports.begin () + sr_len, reports.end ()),
    feedback (205, 1, kVideo, { 0, 100, 0x80, 0x01 }),
    valid_pli (),
    feedback (206, 4, 0, fir),
    feedback (206, 15, 0, remb_fci (3, 187500, { kVideo })),
    feedback (
        205, 15, kVideo,
        twcc_fci (65534, 20, 258, 7,
                  { run_length (kSmall, 3), vector1 ("10011111111110"),
                    vector2 ({ kLarge, kSmall, kLost, kLarge, kSmall, 0, 0 }) },
                  { 4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0x01, 0x90, 8, 0xff, 0xf8, 255 })),
  };
}

GST_START_TEST (every_truncation_of_a_valid_compound_reads_its_whole_packets_only)
{
  const auto packets = valid_packets ();
  Bytes all;
  std::vector<gsize> ends; // where each packet ends
  for (const Bytes &p : packets)
    {
      all = all + p;
      ends.push_back (all.size ());
    }
  auto full = read (all);
  fail_unless_equals_int (full.malformed, 0);
  fail_unless_equals_int (full.reports.size (), 1);
  fail_unless_equals_int (full.nacks.size (), 1);
  fail_unless_equals_int (full.keyframes.size (), 2);
  fail_unless_equals_int (full.rembs.size (), 1);
  fail_unless_equals_int (full.twcc.size (), 1);
  fail_unless_equals_int (full.twcc[0].packets.size (), 20);

  for (gsize len = 0; len <= all.size (); len++)
    {
      // The whole packets in the first len bytes, read alone.
      gsize whole = 0;
      while (whole < ends.size () && ends[whole] <= len)
        whole++;
      const gsize boundary = whole ? ends[whole - 1] : 0;
      // A copy of exactly len bytes: valgrind sees a read past it.
      Bytes cut (all.begin (), all.begin () + len);
      auto r = read (cut);
      auto expected = read (Bytes (all.begin (), all.begin () + boundary));
      fail_unless (r.malformed == (len == boundary ? 0u : 1u), "cut at %u", (guint)len);
      fail_unless (describe (r) == describe (expected), "cut at %u", (guint)len);
    }
}
GST_END_TEST;

// xorshift64*: a fixed seed, so that a failure repeats.
struct Rng
{
  guint64 s = 0x9E3779B97F4A7C15ull;
  guint64 next ()
  {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  guint below (guint n) { return n ? (guint)(next () % n) : 0; }
};

// What any read promises, whatever the input.
static void
check_invariants (const Bytes &in, const rtc::RtcpFeedback &r)
{
  auto ours = [] (guint32 s) { return s == kVideo || s == kAudio; };
  fail_unless (r.absurd <= r.malformed);
  for (const auto &n : r.nacks)
    {
      fail_unless (ours (n.media_ssrc));
      fail_if (n.seqs.empty ());
      std::set<guint16> unique (n.seqs.begin (), n.seqs.end ());
      fail_unless_equals_int (unique.size (), n.seqs.size ());
      fail_unless (n.seqs.size () <= in.size () / 4 * 17);
    }
  for (const auto &k : r.keyframes)
    fail_unless (ours (k.media_ssrc));
  for (const auto &m : r.rembs)
    {
      fail_unless (m.bitrate_bps <= G_GUINT64_CONSTANT (10000000000));
      fail_unless (std::any_of (m.ssrcs.begin (), m.ssrcs.end (), ours));
    }
  for (const auto &t : r.twcc)
    {
      fail_unless (t.status_count >= 1 && t.status_count <= 10000);
      fail_unless_equals_int (t.packets.size (), t.status_count);
      fail_unless (t.reference_time <= 0xffffff);
      const gint64 ref = (gint64)t.reference_time * 64000;
      for (guint i = 0; i < t.packets.size (); i++)
        {
          const auto &a = t.packets[i];
          fail_unless_equals_int (a.seq, (guint16)(t.base_seq + i));
          // No further from the reference than 2-byte deltas can take it.
          if (a.received)
            fail_unless (std::abs (a.arrival_us - ref) <= (gint64)(i + 1) * 32768 * 250);
          else
            fail_unless_equals_int64 (a.arrival_us, 0);
        }
    }
  for (const auto &b : r.reports)
    fail_unless (ours (b.ssrc));
}

GST_START_TEST (random_bytes_and_mutations_never_crash_or_report_garbage)
{
  Rng rng;
  rtc::TwccHistory history;
  for (guint i = 0; i < 3000; i++)
    history.on_send (i * 300, 1000);
  auto take = [&] (const Bytes &b) {
    auto r = read (b);
    check_invariants (b, r);
    for (const auto &fb : r.twcc)
      {
        auto out = history.on_feedback (fb);
        fail_unless (out.size () <= fb.packets.size () + 4096);
      }
  };
  // Random bytes, most starting like RTCP (V=2) so that they get past the first check.
  for (int i = 0; i < 20000; i++)
    {
      Bytes b (rng.below (160));
      for (auto &x : b)
        x = rng.next ();
      if (b.size () >= 4 && rng.below (4))
        {
          b[0] = 0x80 | (b[0] & 0x3f);
          b[1] = 200 + rng.below (8);
          GST_WRITE_UINT16_BE (b.data () + 2, b.size () / 4 - 1 + rng.below (2));
        }
      take (b);
    }
  // Mutations of a valid compound: bytes changed, cut, repeated.
  const auto packets = valid_packets ();
  Bytes all;
  for (const Bytes &p : packets)
    all = all + p;
  for (int i = 0; i < 20000; i++)
    {
      Bytes b = all;
      for (guint m = 1 + rng.below (4); m > 0; m--)
        switch (rng.below (4))
          {
          case 0:
            b[rng.below (b.size ())] ^= 1 << rng.below (8);
            break;
          case 1:
            b[rng.below (b.size ())] = rng.next ();
            break;
          case 2:
            b.resize (rng.below (b.size () + 1));
            if (b.empty ())
              b = all;
            break;
          default:
            {
              const guint from = rng.below (b.size ());
              Bytes piece (b.begin () + from, b.begin () + from + rng.below (b.size () - from));
              b.insert (b.begin () + rng.below (b.size ()), piece.begin (), piece.end ());
            }
          }
      take (b);
    }
}
GST_END_TEST;

static Suite *
rtcp_feedback_suite ()
{
  Suite *s = suite_create ("rtcp-feedback");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, a_nack_names_every_lost_sequence_number_of_our_streams_once);
  tcase_add_test (tc, pli_and_fir_ask_our_stream_for_a_keyframe_and_a_repeated_fir_is_one_request);
  tcase_add_test (tc, remb_is_the_mantissa_shifted_by_the_exponent_and_absurd_rates_are_ignored);
  tcase_add_test (tc, report_blocks_about_our_streams_come_from_receiver_and_sender_reports);
  tcase_add_test (tc, the_round_trip_is_arrival_minus_lsr_minus_dlsr);
  tcase_add_test (tc, ntp_time_of_the_wall_clock_agrees_with_gstreamer);
  tcase_add_test (tc, our_sender_report_and_cname_are_read_by_gstreamer);
  tcase_add_test (tc, twcc_feedback_reads_as_the_draft_describes);
  tcase_add_test (tc, malformed_packets_are_skipped_and_counted_and_the_rest_is_read);
  tcase_add_test (tc, every_truncation_of_a_valid_compound_reads_its_whole_packets_only);
  tcase_add_test (tc, random_bytes_and_mutations_never_crash_or_report_garbage);
  return s;
}

GST_CHECK_MAIN (rtcp_feedback);
