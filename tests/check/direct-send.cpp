// The send stage of our own (send/direct-sender) without a peer: its retransmissions read back
// by GStreamer's own RTX receiver, the RTX payload type found in a browser's answer, and the
// ring of packets it keeps for NACK (send/packet-ring).
// Before gstcheck.h: its fail macro would rewrite std::basic_ios::fail in the C++ headers this one
// pulls in.
#include "elements/send/direct-sender.h"
#include "elements/send/packet-ring.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#include <vector>

// A VP8 packet as rtpvp8pay makes it: header, then the payload descriptor with a 15-bit
// picture id (X, I, M), then the VP8 data.
static GstBuffer *
vp8_packet (guint16 seq, guint32 ts, guint16 picture_id)
{
  std::vector<guint8> payload = { 0x90, 0x80, (guint8)(0x80 | (picture_id >> 8)),
                                  (guint8)(picture_id & 0xff) };
  for (int i = 0; i < 300; i++)
    payload.push_back ((guint8)(i * 7));
  GstBuffer *buf = gst_rtp_buffer_new_allocate (payload.size (), 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, 97);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_set_ssrc (&rtp, 0x11223344);
  gst_rtp_buffer_set_marker (&rtp, TRUE);
  memcpy (gst_rtp_buffer_get_payload (&rtp), payload.data (), payload.size ());
  gst_rtp_buffer_unmap (&rtp);
  return buf;
}

static std::vector<guint8>
bytes_of (GstBuffer *buf)
{
  std::vector<guint8> out (gst_buffer_get_size (buf));
  gst_buffer_extract (buf, 0, out.data (), out.size ());
  return out;
}

// A rewritten VP8 packet (TWCC slot, playout delay, picture id moved on by a rung switch),
// sent again as RTX, goes through rtprtxreceive and comes out as the packet we sent first.
GST_START_TEST (test_rtx_is_what_gstreamer_reads_back)
{
  rtc::RtpRewriter rw;
  rtc::RewriteIds ids;
  ids.pt = 97;
  ids.twcc_id = 5;
  ids.playout_id = 6;
  ids.picture_ids = rtc::PictureIds::Vp8;
  rw.set_ids (ids);
  rtc::PacketInfo info;
  info.frame_start = info.key_start = info.frame_end = true;
  GstBuffer *in = vp8_packet (1000, 9000, 300);
  rtc::RewrittenHeader h;
  fail_unless (rw.rewrite_header (in, info, false, 100, h));
  fail_unless (h.rtp_len > 12 && h.len == h.rtp_len + 4, "RTP header %zu, with descriptor %zu",
               h.rtp_len, h.len);

  // Where the send stage writes the transport-wide number: GStreamer finds the same place.
  {
    GstBuffer *hb = gst_buffer_new_memdup (h.bytes, h.rtp_len);
    GstRTPBuffer r = GST_RTP_BUFFER_INIT;
    gpointer data = nullptr;
    guint size = 0;
    fail_unless (gst_rtp_buffer_map (hb, GST_MAP_READ, &r));
    fail_unless (gst_rtp_buffer_get_extension_onebyte_header (&r, 5, 0, &data, &size));
    fail_unless_equals_int (size, 2);
    fail_unless_equals_int ((const guint8 *)data - (const guint8 *)r.data[0], h.twcc_at);
    gst_rtp_buffer_unmap (&r);
    gst_buffer_unref (hb);
    // And in a padding packet's header.
    guint8 pad[256];
    rtc::RewrittenHeader ph;
    const gsize pad_len = rw.padding_into (200, pad, &ph);
    fail_unless_equals_int (pad_len, ph.len + ph.body_len);
    fail_unless_equals_int (ph.body_len, 200);
    hb = gst_rtp_buffer_new_copy_data (pad, pad_len);
    fail_unless (gst_rtp_buffer_map (hb, GST_MAP_READ, &r));
    fail_unless (gst_rtp_buffer_get_extension_onebyte_header (&r, 5, 0, &data, &size));
    fail_unless_equals_int ((const guint8 *)data - (const guint8 *)r.data[0], ph.twcc_at);
    fail_unless_equals_int (gst_rtp_buffer_get_header_len (&r), ph.rtp_len);
    fail_unless_equals_int (memcmp (pad, ph.bytes, ph.len), 0);
    gst_rtp_buffer_unmap (&r);
    gst_buffer_unref (hb);
  }

  guint8 plain[1500], rtx[1500];
  const gsize plain_len = rtc::write_retransmission (h, in, nullptr, plain, sizeof plain);
  rtc::RtxIds rtx_ids{ 96, 0x55667788, 4242 };
  const gsize rtx_len = rtc::write_retransmission (h, in, &rtx_ids, rtx, sizeof rtx);
  fail_unless_equals_int (rtx_len, plain_len + 2);
  // The plain one is the packet itself.
  GstBuffer *again = gst_rtp_buffer_new_copy_data (plain, plain_len);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  fail_unless (gst_rtp_buffer_map (again, GST_MAP_READ, &rtp));
  fail_unless_equals_int (gst_rtp_buffer_get_seq (&rtp), 1000);
  fail_unless_equals_int (gst_rtp_buffer_get_payload_len (&rtp), 304);
  gst_rtp_buffer_unmap (&rtp);

  // GStreamer's RTX receiver: asked for seq 1000 of the media SSRC, it takes the RTX packet
  // (payload type 96 for 97: the map goes from the original to the RTX) and gives back the
  // original.
  GstHarness *hr = gst_harness_new ("rtprtxreceive");
  GstStructure *map = gst_structure_new ("application/x-rtp-pt-map", "97", G_TYPE_UINT, 96, nullptr);
  g_object_set (hr->element, "payload-type-map", map, nullptr);
  gst_structure_free (map);
  gst_harness_set_src_caps_str (hr, "application/x-rtp, media=video, clock-rate=90000, "
                                    "encoding-name=VP8, payload=97");
  gst_harness_push (hr, gst_buffer_ref (again));
  gst_buffer_unref (gst_harness_pull (hr));
  gst_harness_push_upstream_event (
      hr, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                                gst_structure_new ("GstRTPRetransmissionRequest", "seqnum",
                                                   G_TYPE_UINT, 1000, "ssrc", G_TYPE_UINT,
                                                   0x11223344, nullptr)));
  fail_unless_equals_int (gst_harness_push (hr, gst_rtp_buffer_new_copy_data (rtx, rtx_len)),
                          GST_FLOW_OK);
  GstBuffer *restored = gst_harness_try_pull (hr);
  fail_unless (restored != nullptr, "rtprtxreceive did not take our RTX packet");
  fail_unless (bytes_of (restored) == bytes_of (again),
               "the RTX packet did not restore the packet we sent first");
  guint64 associated = 0;
  g_object_get (hr->element, "num-rtx-assoc-packets", &associated, nullptr);
  fail_unless_equals_int (associated, 1);

  gst_buffer_unref (restored);
  gst_buffer_unref (again);
  gst_buffer_unref (in);
  gst_harness_teardown (hr);
}
GST_END_TEST;

// Too small a buffer: nothing written.
GST_START_TEST (test_retransmission_that_does_not_fit)
{
  rtc::RtpRewriter rw;
  rtc::PacketInfo info;
  GstBuffer *in = vp8_packet (1, 2, 3);
  rtc::RewrittenHeader h;
  fail_unless (rw.rewrite_header (in, info, false, -1, h));
  guint8 out[64];
  fail_unless_equals_int (rtc::write_retransmission (h, in, nullptr, out, sizeof out), 0);
  gst_buffer_unref (in);
}
GST_END_TEST;

// The answer Chromium gave to one of our offers: RTX 96 pairs with VP8 97; H.264 has none.
GST_START_TEST (test_rtx_payload_type_from_the_answer)
{
  const char *text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                     "m=video 9 UDP/TLS/RTP/SAVPF 97 96 102\r\n"
                     "a=rtpmap:97 VP8/90000\r\na=rtcp-fb:97 nack\r\n"
                     "a=rtpmap:96 rtx/90000\r\na=fmtp:96 apt=97\r\n"
                     "a=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1\r\n"
                     "m=audio 9 UDP/TLS/RTP/SAVPF 111 98\r\n"
                     "a=rtpmap:111 OPUS/48000/2\r\na=rtpmap:98 red/48000\r\na=fmtp:98 apt=111\r\n";
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text (text, &sdp);
  fail_unless_equals_int (rtc::rtx_payload_type (sdp, 97), 96);
  fail_unless_equals_int (rtc::rtx_payload_type (sdp, 102), -1);
  // apt names Opus, but 98 is not rtx.
  fail_unless_equals_int (rtc::rtx_payload_type (sdp, 111), -1);
  fail_unless_equals_int (rtc::rtx_payload_type (nullptr, 97), -1);
  gst_sdp_message_free (sdp);
}
GST_END_TEST;

/* --- the NACK ring ----------------------------------------------------------------------- */

struct Kept
{
  bool in = false;
  guint16 seq = 0;
  gint64 sent_us = 0;
};

// A second of packets kept, 128 slots at first, at most 2048.
struct Ring
{
  rtc::PacketRing<Kept> ring{ G_USEC_PER_SEC, 128, 2048 };
  guint16 next = 60000; // wraps within the tests
  gint64 now = 0;

  void
  send (guint per_second, double seconds)
  {
    for (guint i = 0; i < per_second * seconds; i++)
      keep (now += G_USEC_PER_SEC / per_second);
  }
  void
  burst (guint n) // all at once: a joining viewer's cached GOP
  {
    for (guint i = 0; i < n; i++)
      keep (now);
  }
  void
  keep (gint64 at)
  {
    Kept &k = ring.to_keep (next, at);
    k = { true, next, at };
    next++;
  }
  // Whether the packet @back before the newest is still there.
  bool
  has (guint back)
  {
    const guint16 seq = (guint16)(next - 1 - back);
    const Kept &k = ring.at (seq);
    return k.in && k.seq == seq;
  }
};

GST_START_TEST (test_nack_ring_keeps_a_second_whatever_the_rate)
{
  Ring r;
  r.send (100, 5); // ~1 Mbit/s: the first ring holds 1.28 s of it
  fail_unless_equals_int (r.ring.size (), 128);
  fail_unless (r.has (99) && r.has (127));
  r.send (1000, 2); // ~10 Mbit/s: it doubles until a second fits
  fail_unless_equals_int (r.ring.size (), 1024);
  for (guint back = 0; back < 1000; back++)
    fail_unless (r.has (back), "packet %u back lost", back);
  r.send (5000, 1); // past the most it holds
  fail_unless_equals_int (r.ring.size (), 2048);
  fail_unless (r.has (2047));
  fail_if (r.has (2048));
}
GST_END_TEST;

GST_START_TEST (test_nack_ring_gives_back_what_a_join_burst_took)
{
  Ring r;
  r.send (100, 2);
  r.burst (400); // the cached GOP, sent at once
  fail_unless_equals_int (r.ring.size (), 512);
  for (guint back = 0; back < 500; back++)
    fail_unless (r.has (back));
  // Back to 100 packets a second: once the burst is over a second old, the ring halves at each
  // wrap, keeping the newest, until its first size holds a second again.
  r.send (100, 6);
  fail_unless_equals_int (r.ring.size (), 128);
  for (guint back = 0; back < 128; back++)
    fail_unless (r.has (back), "packet %u back lost in the shrinking", back);
  // And it grows again when asked to.
  r.send (300, 2);
  fail_unless_equals_int (r.ring.size (), 512);
  for (guint back = 0; back < 300; back++)
    fail_unless (r.has (back));
}
GST_END_TEST;

static Suite *
direct_send_suite ()
{
  Suite *s = suite_create ("direct-send");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rtx_is_what_gstreamer_reads_back);
  tcase_add_test (tc, test_retransmission_that_does_not_fit);
  tcase_add_test (tc, test_rtx_payload_type_from_the_answer);
  tcase_add_test (tc, test_nack_ring_keeps_a_second_whatever_the_rate);
  tcase_add_test (tc, test_nack_ring_gives_back_what_a_join_burst_took);
  return s;
}

GST_CHECK_MAIN (direct_send);
