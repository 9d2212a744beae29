// TWCC end to end without our pipeline: GStreamer's rtpsession, receiving our packets as a viewer
// would, writes the feedback (TWCC, NACK, PLI, FIR) that send/rtcp-feedback reads; our TWCC send
// history matches it to what we sent, and the bandwidth estimate takes it.
// Before gstcheck.h: its fail macro would rewrite std::basic_ios::fail in the C++ headers this one
// pulls in.
#include "elements/send/rtcp-feedback.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/check/helpers/rtcp-bytes.h"

#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>

/* --- helpers ----------------------------------------------------------------------------- */

static constexpr const char *kTwccUri
    = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

// One of our RTP packets, its transport-wide number in one-byte extension 5 (-1: none), as it
// arrives at @arrival.
static GstBuffer *
rtp_packet (guint32 ssrc, guint16 seq, bool marker, gint twcc_seq, GstClockTime arrival)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (100, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 96);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, seq * 3000);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_marker (&rtp, marker);
  memset (gst_rtp_buffer_get_payload (&rtp), 0x55, 100);
  if (twcc_seq >= 0)
    {
      guint8 be[2];
      GST_WRITE_UINT16_BE (be, twcc_seq);
      fail_unless (gst_rtp_buffer_add_extension_onebyte_header (&rtp, 5, be, 2));
    }
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = arrival; // rtpsession's arrival time: the DTS
  return buf;
}

// rtpsession as the viewer: our RTP into its recv_rtp_sink, its RTCP out of send_rtcp_src. The
// test clock (the system clock for its RTCP thread) decides when it sends.
class Viewer
{
public:
  explicit Viewer (const char *feedback_caps = nullptr)
  {
    clock_ = gst_test_clock_new ();
    gst_system_clock_set_default (clock_);
    caps_
        = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "video", "clock-rate",
                               G_TYPE_INT, 90000, "encoding-name", G_TYPE_STRING, "VP8", "payload",
                               G_TYPE_INT, 96, "extmap-5", G_TYPE_STRING, kTwccUri, nullptr);
    if (feedback_caps)
      gst_caps_set_simple (caps_, feedback_caps, G_TYPE_BOOLEAN, TRUE, nullptr);
    session_ = gst_element_factory_make ("rtpsession", nullptr);
    fail_unless (session_ != nullptr, "no rtpsession (gst-plugins-good)");
    gst_element_set_clock (session_, clock_);
    g_signal_connect (session_, "request-pt-map", G_CALLBACK (on_pt_map), this);
    rtp_ = gst_harness_new_with_element (session_, "recv_rtp_sink", "recv_rtp_src");
    gst_harness_set_src_caps (rtp_, gst_caps_copy (caps_));
    rtcp_ = gst_harness_new_with_element (session_, "recv_rtcp_sink", "send_rtcp_src");
    gst_harness_set_src_caps_str (rtcp_, "application/x-rtcp");
    g_object_get (session_, "internal-session", &internal_, nullptr);
    g_object_set (internal_, "internal-ssrc", kViewer, nullptr);
  }
  ~Viewer ()
  {
    gst_system_clock_set_default (nullptr);
    gst_harness_teardown (rtcp_);
    gst_harness_teardown (rtp_);
    g_object_unref (internal_);
    gst_object_unref (session_);
    gst_caps_unref (caps_);
    gst_object_unref (clock_);
  }
  Viewer (const Viewer &) = delete;
  Viewer &operator= (const Viewer &) = delete;

  // A packet arrives at @arrival (the clock follows).
  void receive (guint32 ssrc, guint16 seq, bool marker, gint twcc_seq, GstClockTime arrival)
  {
    if (arrival > gst_clock_get_time (clock_))
      gst_test_clock_set_time (GST_TEST_CLOCK (clock_), arrival);
    fail_unless_equals_int (
        gst_harness_push (rtp_, rtp_packet (ssrc, seq, marker, twcc_seq, arrival)), GST_FLOW_OK);
  }
  // Lets the RTCP thread run until it has sent a buffer that @done accepts; returns all it sent.
  std::vector<Bytes> rtcp_until (const std::function<bool (const Bytes &)> &done)
  {
    std::vector<Bytes> out;
    for (int i = 0; i < 200; i++)
      {
        gst_test_clock_crank (GST_TEST_CLOCK (clock_));
        // Settled: the thread waits on the clock again.
        gst_test_clock_wait_for_next_pending_id (GST_TEST_CLOCK (clock_), nullptr);
        while (GstBuffer *b = gst_harness_try_pull (rtcp_))
          out.push_back (take (b));
        if (std::any_of (out.begin (), out.end (), done))
          return out;
      }
    fail ("rtpsession sent no such RTCP in 200 intervals");
    return out;
  }
  std::vector<Bytes> rtcp_any ()
  {
    return rtcp_until ([] (const Bytes &) { return true; });
  }
  // The next buffer it sends (early feedback goes out without a crank).
  Bytes pull ()
  {
    GstBuffer *b = gst_harness_pull (rtcp_);
    fail_unless (b != nullptr);
    return take (b);
  }
  // An upstream event from the depayloader's side: a retransmission or keyframe request.
  void request (GstStructure *s)
  {
    fail_unless (gst_harness_push_upstream_event (
        rtp_, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s)));
  }
  void wait_for_rtcp_thread ()
  {
    gst_test_clock_wait_for_next_pending_id (GST_TEST_CLOCK (clock_), nullptr);
  }

private:
  static Bytes take (GstBuffer *b)
  {
    fail_unless (gst_rtcp_buffer_validate_reduced (b));
    Bytes bytes (gst_buffer_get_size (b));
    gst_buffer_extract (b, 0, bytes.data (), bytes.size ());
    gst_buffer_unref (b);
    return bytes;
  }
  static GstCaps *on_pt_map (GstElement *, guint, Viewer *self)
  {
    return gst_caps_copy (self->caps_);
  }

  GstClock *clock_;
  GstCaps *caps_;
  GstElement *session_;
  GObject *internal_ = nullptr;
  GstHarness *rtp_, *rtcp_;
};

/* --- rtpsession's feedback ---------------------------------------------------------------- */

// What rtpsession, receiving, reports about the packets we push: every number it covers,
// received with its arrival time (the DTS we pushed), or lost.
struct Sent
{
  guint16 seq;
  bool arrives;
  GstClockTime arrival;
};

// The kinds of packet status chunk in the TWCC reports of a compound: "run 0" (a run of lost),
// "run 1" (of small deltas), "1-bit", "2-bit".
static std::set<std::string>
chunk_kinds (const Bytes &b)
{
  std::set<std::string> kinds;
  for (gsize o = 0; o + 4 <= b.size (); o += 4 * (GST_READ_UINT16_BE (&b[o + 2]) + 1))
    {
      if (b[o + 1] != 205 || (b[o] & 0x1f) != 15)
        continue;
      const guint8 *fci = &b[o + 12];
      const guint count = GST_READ_UINT16_BE (fci + 2);
      for (guint covered = 0, pos = 8; covered < count; pos += 2)
        {
          const guint16 c = GST_READ_UINT16_BE (fci + pos);
          if (!(c & 0x8000))
            kinds.insert ("run " + std::to_string ((c >> 13) & 3));
          else
            kinds.insert (c & 0x4000 ? "2-bit" : "1-bit");
          covered += !(c & 0x8000) ? (c & 0x1fff) : (c & 0x4000) ? 7 : 14;
        }
    }
  return kinds;
}

static void
check_twcc_reports (const std::vector<Bytes> &rtcp, const std::vector<Sent> &sent, guint *reports,
                    guint *covered)
{
  std::map<guint16, rtc::TwccArrival> got;
  *reports = 0;
  for (const Bytes &b : rtcp)
    {
      auto r = read (b);
      fail_unless_equals_int (r.malformed, 0);
      for (const auto &fb : r.twcc)
        {
          fail_unless_equals_int (fb.feedback_count, *reports);
          (*reports)++;
          for (const auto &a : fb.packets)
            fail_unless (got.emplace (a.seq, a).second, "#%u reported twice", a.seq);
        }
    }
  *covered = got.size ();
  for (const Sent &s : sent)
    {
      auto it = got.find (s.seq);
      if (it == got.end ())
        {
          // rtpsession starts each report at the first packet it received: a loss between two
          // reports is in neither.
          fail_if (s.arrives, "#%u arrived but is in no report", s.seq);
          continue;
        }
      fail_unless_equals_int (it->second.received, s.arrives);
      if (!s.arrives)
        continue;
      // The reference time is rtpsession's arrival clock in 64 ms: the report says when each
      // packet arrived, to the 250 µs of a delta.
      const gint64 diff = it->second.arrival_us - (gint64)(s.arrival / GST_USECOND);
      fail_unless (diff > -250 && diff < 250,
                   "#%u arrived at %" G_GUINT64_FORMAT " us, reported %" G_GINT64_FORMAT, s.seq,
                   s.arrival / GST_USECOND, it->second.arrival_us);
    }
}

GST_START_TEST (twcc_feedback_from_rtpsession_reads_as_what_arrived)
{
  Viewer viewer;
  std::vector<Sent> sent;
  std::vector<Bytes> rtcp;
  guint16 seq = 65500; // across the wrap of the transport-wide numbers
  GstClockTime t = 10 * GST_SECOND + 123 * GST_USECOND;
  auto send = [&] (bool arrives, GstClockTime gap, bool marker = false) {
    t += gap;
    sent.push_back ({ seq, arrives, t });
    if (arrives)
      viewer.receive (kVideo, seq, marker, seq, t);
    seq++;
  };
  // Each phase ends with a marker: rtpsession writes its report then; the next RTCP carries it.
  auto report = [&] {
    auto out = viewer.rtcp_until ([] (const Bytes &b) { return !read (b).twcc.empty (); });
    rtcp.insert (rtcp.end (), out.begin (), out.end ());
  };
  // 1. 10 packets 1 ms apart: one run of small deltas.
  for (int i = 0; i < 10; i++)
    send (true, GST_MSECOND + 7 * GST_USECOND, i == 9);
  report ();
  // 2. 20 packets 5 ms apart, three lost: vectors with gaps.
  for (int i = 0; i < 20; i++)
    send (i != 3 && i != 4 && i != 11, 5 * GST_MSECOND + 333 * GST_USECOND, i == 19);
  report ();
  // 3. 200 ms of silence (a large delta), then two packets in the wrong order (a negative
  //    delta), then more.
  send (true, 200 * GST_MSECOND);
  {
    const guint16 a = seq, b = seq + 1;
    const GstClockTime ta = t + 3 * GST_MSECOND, tb = t + 1 * GST_MSECOND;
    viewer.receive (kVideo, b, false, b, tb);
    viewer.receive (kVideo, a, false, a, ta);
    sent.push_back ({ a, true, ta });
    sent.push_back ({ b, true, tb });
    seq += 2;
    t = ta;
  }
  for (int i = 0; i < 5; i++)
    send (true, 2 * GST_MSECOND, i == 4);
  report ();
  // 4. one packet, 40 lost in a row, then 30 on time: run lengths of lost and of received.
  send (true, GST_MSECOND);
  for (int i = 0; i < 40; i++)
    send (false, GST_MSECOND);
  for (int i = 0; i < 30; i++)
    send (true, 500 * GST_USECOND, i == 29);
  report ();
  // 5. a loss between two reports (in none of them), then a last one.
  send (false, GST_MSECOND);
  for (int i = 0; i < 3; i++)
    send (true, GST_MSECOND, i == 2);
  report ();

  guint reports = 0, covered = 0;
  check_twcc_reports (rtcp, sent, &reports, &covered);
  fail_unless_equals_int (reports, 5);
  fail_unless_equals_int (covered, sent.size () - 1);
  // rtpsession wrote every kind of chunk there is.
  std::set<std::string> kinds;
  for (const Bytes &b : rtcp)
    for (const auto &k : chunk_kinds (b))
      kinds.insert (k);
  for (const char *k : { "run 0", "run 1", "1-bit", "2-bit" })
    fail_unless (kinds.count (k), "no %s chunk", k);

  // And its receiver reports are about our stream too.
  bool rr = false;
  for (const Bytes &b : rtcp)
    for (const auto &block : read (b).reports)
      {
        rr = true;
        fail_unless_equals_int (block.ssrc, kVideo);
        fail_unless_equals_int (block.reporter_ssrc, kViewer);
      }
  fail_unless (rr);
}
GST_END_TEST;

GST_START_TEST (rtpsession_feedback_through_the_history_gives_the_estimate_its_delays_and_losses)
{
  // Our side numbers the packets, the path delays them 20 ms and drops every 20th; rtpsession
  // reports; the history matches; the estimate sees an empty queue and 5 % loss.
  Viewer viewer;
  rtc::TwccHistory history;
  rtc::BandwidthEstimate estimate (1000, 5000);
  const gint64 start_us = 5 * G_USEC_PER_SEC;
  std::vector<rtc::TwccPacket> packets;
  guint16 rtp_seq = 1;
  for (int i = 0; i < 200; i++)
    {
      const gint64 sent_us = start_us + i * 5000;
      const guint16 twcc = history.on_send (sent_us, 1000 + i);
      const bool marker = i % 10 == 9;
      if (i % 20 != 7)
        viewer.receive (kVideo, rtp_seq, marker, twcc, (sent_us + 20000) * GST_USECOND);
      rtp_seq++;
      if (marker)
        for (const Bytes &b :
             viewer.rtcp_until ([] (const Bytes &b) { return !read (b).twcc.empty (); }))
          for (const auto &fb : read (b).twcc)
            {
              auto some = history.on_feedback (fb);
              estimate.on_twcc (some, sent_us);
              packets.insert (packets.end (), some.begin (), some.end ());
            }
    }
  fail_unless_equals_int (packets.size (), 200);
  guint lost = 0;
  gint64 min_delay = G_MAXINT64, max_delay = G_MININT64;
  for (const auto &p : packets)
    {
      fail_unless (GST_CLOCK_TIME_IS_VALID (p.sent));
      fail_unless (p.size >= 1000);
      if (!GST_CLOCK_TIME_IS_VALID (p.received))
        {
          lost++;
          continue;
        }
      const gint64 delay = (gint64)p.received - (gint64)p.sent;
      min_delay = std::min (min_delay, delay);
      max_delay = std::max (max_delay, delay);
    }
  fail_unless_equals_int (lost, 10);
  // The one-way delay (any offset: two clocks) is the same for every packet, to a delta's
  // 250 µs.
  fail_unless (max_delay - min_delay < 250 * GST_USECOND, "delays spread %" G_GINT64_FORMAT " ns",
               max_delay - min_delay);
  fail_unless_equals_int (history.counters ().unknown, 0);
  fail_unless_equals_int (history.counters ().lost_reports, 0);
  auto snap = estimate.snapshot ();
  fail_unless (snap.twcc);
  fail_unless_equals_int (snap.ignored, 0);
  fail_unless (snap.queue_ms < 1, "queue %.2f ms", snap.queue_ms);
  fail_unless (snap.loss > 0.04 && snap.loss < 0.06, "loss %.3f", snap.loss);
}
GST_END_TEST;

GST_START_TEST (nack_pli_and_fir_from_rtpsession_read_back)
{
  auto first_rtcp = [] (Viewer &viewer) {
    viewer.receive (kVideo, 1000, true, -1, GST_SECOND);
    // The first regular report, after which early feedback is allowed.
    viewer.rtcp_any ();
  };
  {
    Viewer viewer;
    first_rtcp (viewer);
    viewer.request (gst_structure_new (
        "GstRTPRetransmissionRequest", "running-time", GST_TYPE_CLOCK_TIME, GST_CLOCK_TIME_NONE,
        "ssrc", G_TYPE_UINT, kVideo, "seqnum", G_TYPE_UINT, 1234, "delay", G_TYPE_UINT, 0,
        "deadline", G_TYPE_UINT, 0, "avg-rtt", G_TYPE_UINT, 0, nullptr));
    auto r = read (viewer.pull ());
    fail_unless_equals_int (r.malformed, 0);
    fail_unless_equals_int (r.nacks.size (), 1);
    fail_unless_equals_int (r.nacks[0].media_ssrc, kVideo);
    fail_unless_equals_int (r.nacks[0].sender_ssrc, kViewer);
    fail_unless (r.nacks[0].seqs == std::vector<guint16>{ 1234 });
  }
  auto key_unit = [] {
    return gst_structure_new ("GstForceKeyUnit", "running-time", GST_TYPE_CLOCK_TIME,
                              GST_CLOCK_TIME_NONE, "all-headers", G_TYPE_BOOLEAN, TRUE, "count",
                              G_TYPE_UINT, 0, "ssrc", G_TYPE_UINT, kVideo, "payload", G_TYPE_UINT,
                              96, nullptr);
  };
  {
    Viewer viewer ("rtcp-fb-nack-pli");
    first_rtcp (viewer);
    viewer.request (key_unit ());
    auto r = read (viewer.pull ());
    fail_unless_equals_int (r.malformed, 0);
    fail_unless_equals_int (r.keyframes.size (), 1);
    fail_unless (!r.keyframes[0].fir);
    fail_unless_equals_int (r.keyframes[0].media_ssrc, kVideo);
    fail_unless_equals_int (r.keyframes[0].sender_ssrc, kViewer);
  }
  {
    Viewer viewer ("rtcp-fb-ccm-fir");
    viewer.receive (kVideo, 1000, true, -1, GST_SECOND);
    viewer.wait_for_rtcp_thread ();
    viewer.request (key_unit ());
    auto out = viewer.rtcp_until ([] (const Bytes &b) { return !read (b).keyframes.empty (); });
    rtc::RtcpFeedback r;
    for (const Bytes &b : out)
      {
        auto one = read (b);
        fail_unless_equals_int (one.malformed, 0);
        r.keyframes.insert (r.keyframes.end (), one.keyframes.begin (), one.keyframes.end ());
      }
    fail_unless_equals_int (r.keyframes.size (), 1);
    fail_unless (r.keyframes[0].fir);
    fail_unless_equals_int (r.keyframes[0].media_ssrc, kVideo);
    fail_unless_equals_int (r.keyframes[0].fir_seq, 1); // rtpsession counts from 1
  }
}
GST_END_TEST;

/* --- TWCC: our side ---------------------------------------------------------------------- */

// A report that every packet from @base arrived, @step_us apart from @first_us.
static rtc::TwccFeedback
all_arrived (guint16 base, guint n, gint64 first_us, gint64 step_us, guint8 fb_count,
             guint32 reference = 0)
{
  rtc::TwccFeedback fb;
  fb.base_seq = base;
  fb.status_count = n;
  fb.reference_time = reference;
  fb.feedback_count = fb_count;
  for (guint i = 0; i < n; i++)
    fb.packets.push_back ({ (guint16)(base + i), true, first_us + i * step_us });
  return fb;
}

GST_START_TEST (twcc_history_numbers_wrap_and_feedback_finds_them_across_the_wrap)
{
  rtc::TwccHistory history;
  for (guint i = 0; i < 65534; i++)
    fail_unless_equals_int (history.on_send (i, 100), i);
  // 65534, 65535, then 0, 1...: the unwrapped count runs on.
  for (guint i = 0; i < 6; i++)
    history.on_send (100000 + i * 1000, 1000 + i);
  fail_unless_equals_uint64 (history.sent (), 65540);
  auto out = history.on_feedback (all_arrived (65534, 6, 50000, 1000, 0));
  fail_unless_equals_int (out.size (), 6);
  for (guint i = 0; i < 6; i++)
    {
      fail_unless_equals_uint64 (out[i].sent, (100000 + i * 1000) * GST_USECOND);
      fail_unless_equals_int (out[i].size, 1000 + i);
      fail_unless (GST_CLOCK_TIME_IS_VALID (out[i].received));
    }
  // Arrival times keep their differences (the base is the history's own).
  fail_unless_equals_uint64 (out[5].received - out[0].received, 5000 * GST_USECOND);
}
GST_END_TEST;

GST_START_TEST (twcc_history_holds_two_seconds_of_packets_whatever_the_rate)
{
  rtc::TwccHistory history; // at most 4096 packets, 2 s
  gint64 now = 0;
  auto send = [&] (guint per_second, guint seconds) {
    for (guint i = 0; i < per_second * seconds; i++)
      history.on_send (now += G_USEC_PER_SEC / per_second, 1000);
  };
  // 100 packets a second (about 1 Mbit/s): the first ring holds 2.5 s of them.
  send (100, 10);
  fail_unless_equals_int (history.slots (), 256);
  // 1000 a second: the ring doubles until it holds 2 s.
  send (1000, 3);
  fail_unless_equals_int (history.slots (), 2048);
  // A report on a packet sent 1.9 s ago finds it; its neighbours too, across the doublings.
  const guint64 sent = history.sent ();
  auto out = history.on_feedback (all_arrived ((guint16)(sent - 1900), 3, 0, 1000, 0));
  fail_unless_equals_int (out.size (), 3);
  for (const auto &p : out)
    fail_unless (GST_CLOCK_TIME_IS_VALID (p.sent));
  fail_unless_equals_uint64 (out[0].sent, (GstClockTime)(now - 1899 * 1000) * GST_USECOND);
  // 5000 a second: no more than the capacity; what is older than 4096 packets is gone.
  send (5000, 2);
  fail_unless_equals_int (history.slots (), 4096);
  out = history.on_feedback (all_arrived ((guint16)(history.sent () - 4097), 2, 0, 1000, 5));
  fail_if (GST_CLOCK_TIME_IS_VALID (out[0].sent));
  fail_unless (GST_CLOCK_TIME_IS_VALID (out[1].sent));
  // Back to 100 a second: the ring gives back what the faster rate took, halving at each wrap
  // (4096 + 2048 + 1024 + 512 packets on) while half of it still holds 2 s, and finds what it
  // holds.
  send (100, 80);
  fail_unless_equals_int (history.slots (), 256);
  out = history.on_feedback (all_arrived ((guint16)(history.sent () - 190), 1, 0, 1000, 6));
  fail_unless (GST_CLOCK_TIME_IS_VALID (out[0].sent));
  fail_unless_equals_uint64 (out[0].sent, (GstClockTime)(now - 189 * 10000) * GST_USECOND);
}
GST_END_TEST;

GST_START_TEST (twcc_history_ignores_feedback_for_numbers_never_sent_or_long_gone)
{
  rtc::TwccHistory history (64, 2 * G_USEC_PER_SEC);
  // Nothing sent yet: nothing to match.
  auto out = history.on_feedback (all_arrived (0, 2, 0, 1000, 0));
  fail_unless_equals_int (out.size (), 2);
  fail_if (GST_CLOCK_TIME_IS_VALID (out[0].sent)); // what the estimate counts and skips
  for (guint i = 0; i < 100; i++)
    history.on_send (i * 1000, 100);
  // 0..35 have left the ring of 64; 100..103 were never sent. (Reports 10 and 20: not right
  // after one another, so that nothing between them counts as lost.)
  out = history.on_feedback (all_arrived (30, 10, 0, 1000, 10));
  fail_unless_equals_int (out.size (), 10);
  for (guint i = 0; i < 10; i++)
    fail_unless_equals_int (GST_CLOCK_TIME_IS_VALID (out[i].sent), 30 + i >= 36);
  out = history.on_feedback (all_arrived (98, 6, 0, 1000, 20));
  guint known = 0;
  for (const auto &p : out)
    known += GST_CLOCK_TIME_IS_VALID (p.sent);
  fail_unless_equals_int (known, 2);
  fail_unless_equals_int (history.counters ().unknown, 2 + 6 + 4);

  // Long gone: sent more than 2 s before the newest.
  history.on_send (99000 + 3 * G_USEC_PER_SEC, 100);
  out = history.on_feedback (all_arrived (95, 1, 0, 1000, 30));
  fail_unless_equals_int (out.size (), 1);
  fail_if (GST_CLOCK_TIME_IS_VALID (out[0].sent));
}
GST_END_TEST;

GST_START_TEST (twcc_history_takes_reordered_and_repeated_feedback_once)
{
  rtc::TwccHistory history;
  for (guint i = 0; i < 40; i++)
    history.on_send (i * 1000, 100);
  // Reports 1 and 0 arrive in the wrong order: both are matched.
  auto second = all_arrived (10, 10, 80000, 1000, 1, 1);
  auto first = all_arrived (0, 10, 50000, 1000, 0, 0);
  auto a = history.on_feedback (second);
  auto b = history.on_feedback (first);
  fail_unless_equals_int (a.size (), 10);
  fail_unless_equals_int (b.size (), 10);
  // The reference time went back: one clock for both all the same.
  fail_unless_equals_uint64 (a[0].received - b[0].received, (80000 - 50000) * GST_USECOND);
  fail_unless_equals_int (history.counters ().lost_reports, 0);
  // The same report again: nothing new.
  fail_unless_equals_int (history.on_feedback (second).size (), 0);
  fail_unless_equals_int (history.counters ().repeated, 10);
  // Lost in one report, received in the next (reordered on the path): counted as received too.
  rtc::TwccFeedback lost = all_arrived (20, 2, 0, 0, 2, 2);
  lost.packets[1] = { 21, false, 0 };
  auto c = history.on_feedback (lost);
  fail_unless_equals_int (c.size (), 2);
  fail_if (GST_CLOCK_TIME_IS_VALID (c[1].received));
  auto d = history.on_feedback (all_arrived (21, 1, 200000, 0, 3, 3));
  fail_unless_equals_int (d.size (), 1);
  fail_unless (GST_CLOCK_TIME_IS_VALID (d[0].received));
  // Report 5 after 3: one lost.
  history.on_feedback (all_arrived (30, 2, 300000, 1000, 5, 5));
  fail_unless_equals_int (history.counters ().lost_reports, 1);
}
GST_END_TEST;

GST_START_TEST (twcc_history_fills_in_what_gstreamer_leaves_between_two_reports)
{
  rtc::TwccHistory history;
  for (guint i = 0; i < 20; i++)
    history.on_send (i * 1000, 100);
  history.on_feedback (all_arrived (0, 5, 0, 1000, 0));
  // The next report (count 1) starts at 8: 5, 6 and 7 were lost.
  auto out = history.on_feedback (all_arrived (8, 2, 10000, 1000, 1));
  fail_unless_equals_int (out.size (), 5);
  for (guint i = 0; i < 3; i++)
    {
      fail_unless_equals_uint64 (out[i].sent, (5 + i) * 1000 * GST_USECOND);
      fail_if (GST_CLOCK_TIME_IS_VALID (out[i].received));
    }
  // After a lost report, the gap may be what that one covered: nothing is made up.
  out = history.on_feedback (all_arrived (15, 1, 20000, 1000, 3));
  fail_unless_equals_int (out.size (), 1);
}
GST_END_TEST;

GST_START_TEST (twcc_history_arrivals_run_on_across_the_reference_time_wrap)
{
  rtc::TwccHistory history;
  for (guint i = 0; i < 10; i++)
    history.on_send (i * 1000, 100);
  // The viewer's reference time wraps from 0xffffff to 0x000001 (128 ms later).
  auto before = all_arrived (0, 2, 0xffffff * G_GINT64_CONSTANT (64000), 1000, 0, 0xffffff);
  auto after = all_arrived (2, 2, 1 * 64000, 1000, 1, 1);
  auto a = history.on_feedback (before);
  auto b = history.on_feedback (after);
  fail_unless_equals_uint64 (b[0].received - a[0].received, 128000 * GST_USECOND);
  // And back again, a late report from before the wrap: earlier, still positive.
  auto late = all_arrived (4, 1, 0xfffffe * G_GINT64_CONSTANT (64000), 0, 255, 0xfffffe);
  auto c = history.on_feedback (late);
  fail_unless_equals_int (c.size (), 1);
  fail_unless_equals_uint64 (a[0].received - c[0].received, 64000 * GST_USECOND);
}
GST_END_TEST;

static Suite *
rtcp_twcc_suite ()
{
  Suite *s = suite_create ("rtcp-twcc");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, twcc_feedback_from_rtpsession_reads_as_what_arrived);
  tcase_add_test (tc,
                  rtpsession_feedback_through_the_history_gives_the_estimate_its_delays_and_losses);
  tcase_add_test (tc, nack_pli_and_fir_from_rtpsession_read_back);
  tcase_add_test (tc, twcc_history_numbers_wrap_and_feedback_finds_them_across_the_wrap);
  tcase_add_test (tc, twcc_history_holds_two_seconds_of_packets_whatever_the_rate);
  tcase_add_test (tc, twcc_history_ignores_feedback_for_numbers_never_sent_or_long_gone);
  tcase_add_test (tc, twcc_history_takes_reordered_and_repeated_feedback_once);
  tcase_add_test (tc, twcc_history_fills_in_what_gstreamer_leaves_between_two_reports);
  tcase_add_test (tc, twcc_history_arrivals_run_on_across_the_reference_time_wrap);
  return s;
}

GST_CHECK_MAIN (rtcp_twcc);
