// VP8 temporal layers, the fine step of per-viewer adaptation: what rtcencodebin's vp8enc and
// rtpvp8pay write (TID, Y, TL0PICIDX in the payload descriptor), and an outlet that leaves the
// upper layer out: its sequence numbers and picture ids run on without gaps, and what it sends
// decodes.
// Before gstcheck.h: its fail macro would rewrite std::basic_ios::fail in the C++ headers this one
// pulls in.
#include "elements/send/outlet.h"

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#include "elements/common/codecs.h"
#include "elements/send/feed.h"
#include "elements/send/rtp-rewrite.h"

#include <cstring>
#include <memory>
#include <vector>

using rtc::Ptr;

// An RTP packet of a feed and what the feed reads of it (send/feed.cpp does the same).
struct Packet
{
  Ptr<GstBuffer> buf;
  rtc::PacketInfo info;
  rtc::Vp8Temporal t;
};

// @frames of 320x240 VP8 at 30 fps from rtcencodebin with @layers temporal layers, as packets.
static std::vector<Packet>
encode (guint layers, guint frames)
{
  GstElement *bin = gst_element_factory_make ("rtcencodebin", nullptr);
  fail_unless (bin != nullptr, "rtcencodebin is not registered");
  gst_util_set_object_arg (G_OBJECT (bin), "codec", "vp8");
  g_object_set (bin, "temporal-layers", layers, "bitrate", 400u, "keyframe-interval", 0u, nullptr);
  GstHarness *h = gst_harness_new_with_element (bin, "sink", "src");
  gst_object_unref (bin);
  gst_harness_add_src_parse (h,
                             "videotestsrc pattern=smpte ! capsfilter caps=video/x-raw,format=I420,"
                             "width=320,height=240,framerate=30/1",
                             FALSE);
  gst_harness_play (h);
  fail_unless_equals_int (gst_harness_src_crank_and_push_many (h, 0, frames), GST_FLOW_OK);
  std::vector<Packet> out;
  bool frame_start = true;
  while (GstBuffer *b = gst_harness_try_pull (h))
    {
      Packet p;
      p.buf = Ptr<GstBuffer> (b);
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      fail_unless (gst_rtp_buffer_map (b, GST_MAP_READ, &rtp));
      const bool marker = gst_rtp_buffer_get_marker (&rtp);
      gst_rtp_buffer_unmap (&rtp);
      p.info.frame_start = frame_start;
      p.info.key_start = frame_start && rtc::rtp_starts_keyframe ("VP8", b);
      p.info.frame_end = marker;
      frame_start = marker;
      fail_unless (rtc::vp8_temporal_of (b, p.t));
      if (p.t.tid >= 0)
        {
          p.info.temporal_layer = (gint8)p.t.tid;
          p.info.layer_sync = p.t.layer_sync;
        }
      out.push_back (std::move (p));
    }
  gst_harness_teardown (h);
  return out;
}

static std::vector<const Packet *>
frame_starts (const std::vector<Packet> &packets)
{
  std::vector<const Packet *> out;
  for (auto &p : packets)
    if (p.info.frame_start)
      out.push_back (&p);
  return out;
}

GST_START_TEST (two_layers_alternate_and_mark_tid_y_and_tl0picidx)
{
  auto packets = encode (2, 30);
  auto frames = frame_starts (packets);
  fail_unless_equals_int (frames.size (), 30);
  fail_unless (frames[0]->info.key_start);
  for (std::size_t i = 0; i < frames.size (); i++)
    {
      const rtc::Vp8Temporal &t = frames[i]->t;
      // Even frames are the base layer, odd ones the upper layer: each of those is a layer sync.
      fail_unless_equals_int (t.tid, (gint)(i % 2));
      fail_unless_equals_int (t.layer_sync, i % 2 == 1 || i == 0);
      // TL0PICIDX counts the base layer's frames only.
      if (i > 0)
        fail_unless_equals_int (t.tl0picidx, (frames[i - 1]->t.tl0picidx + (i % 2 == 0)) & 0xff);
    }
  // Every packet of a frame carries its frame's fields.
  const rtc::Vp8Temporal *frame = nullptr;
  for (auto &p : packets)
    {
      if (p.info.frame_start)
        frame = &p.t;
      fail_unless_equals_int (p.t.tid, frame->tid);
      fail_unless_equals_int (p.t.tl0picidx, frame->tl0picidx);
    }
}
GST_END_TEST;

GST_START_TEST (one_layer_has_no_temporal_fields)
{
  auto packets = encode (1, 4);
  fail_if (packets.empty ());
  for (auto &p : packets)
    {
      fail_unless_equals_int (p.t.tid, -1);
      fail_unless_equals_int (p.t.tl0picidx, -1);
    }
}
GST_END_TEST;

// What an outlet sends, read back from its appsrc.
struct OutletRig
{
  GstElement *pipeline, *appsrc, *appsink;
  std::shared_ptr<rtc::Outlet> outlet;
  std::shared_ptr<rtc::Feed> feed;
  std::atomic<gint> playout{ -1 };

  OutletRig ()
  {
    pipeline
        = gst_parse_launch ("appsrc name=src format=time ! appsink name=sink sync=false", nullptr);
    appsrc = gst_bin_get_by_name (GST_BIN (pipeline), "src");
    appsink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    outlet = std::make_shared<rtc::Outlet> (appsrc, &playout);
    rtc::RewriteIds ids;
    ids.picture_ids = rtc::PictureIds::Vp8;
    outlet->set_ids (ids);
    feed = std::make_shared<rtc::Feed> (rtc::codec_by_name ("vp8"), rtc::Feed::Mode::Encode,
                                        "video", 0x1234);
    outlet->switch_to (feed);
  }
  ~OutletRig ()
  {
    outlet->detach ();
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (appsrc);
    gst_object_unref (appsink);
    gst_object_unref (pipeline);
  }
  void deliver (const Packet &p) { outlet->deliver (feed.get (), p.buf.get (), p.info); }
  std::vector<Ptr<GstBuffer>> sent (std::size_t n)
  {
    std::vector<Ptr<GstBuffer>> out;
    while (out.size () < n)
      {
        GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (appsink), 2 * GST_SECOND);
        if (!s)
          break;
        out.push_back (Ptr<GstBuffer>::ref (gst_sample_get_buffer (s)));
        gst_sample_unref (s);
      }
    return out;
  }
};

static guint16
picture_id_of (GstBuffer *buf)
{
  guint8 d[4];
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  memcpy (d, gst_rtp_buffer_get_payload (&rtp), 4);
  gst_rtp_buffer_unmap (&rtp);
  fail_unless ((d[0] & 0x80) && (d[1] & 0x80) && (d[2] & 0x80)); // X, I, 15 bits
  return (guint16)(((d[2] & 0x7f) << 8) | d[3]);
}

GST_START_TEST (an_outlet_leaves_the_upper_layer_out_without_gaps_and_takes_it_back_at_a_sync)
{
  auto packets = encode (2, 60);
  OutletRig rig;
  // Frames 0-19 with both layers, then the base layer only (from the next frame), then both
  // again (from the next frame that is a layer sync).
  std::size_t frame = 0, expected = 0, left_out = 0;
  std::vector<gint> sent_tids, sent_tl0;
  for (auto &p : packets)
    {
      if (p.info.frame_start)
        {
          if (frame == 20)
            rig.outlet->set_temporal_layer (0);
          if (frame == 40)
            rig.outlet->set_temporal_layer (rtc::kAllTemporalLayers);
          frame++;
        }
      rig.deliver (p);
      if (p.t.tid == 1 && frame > 20 && frame <= 40)
        left_out += p.info.frame_start;
      else
        {
          expected++;
          if (p.info.frame_start)
            sent_tids.push_back (p.t.tid);
          sent_tl0.push_back (p.t.tl0picidx);
        }
    }
  fail_unless_equals_int (left_out, 10);
  fail_unless_equals_int (rig.outlet->frames_left_out (), 10);
  auto sent = rig.sent (expected);
  fail_unless_equals_int (sent.size (), expected);
  // No gap: every sequence number follows the last; every sent frame's picture id too.
  guint16 seq = 0, pid = 0;
  bool frame_starts = true;
  std::size_t frames_sent = 0;
  for (std::size_t i = 0; i < sent.size (); i++)
    {
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      fail_unless (gst_rtp_buffer_map (sent[i].get (), GST_MAP_READ, &rtp));
      const guint16 s = gst_rtp_buffer_get_seq (&rtp);
      const bool marker = gst_rtp_buffer_get_marker (&rtp);
      gst_rtp_buffer_unmap (&rtp);
      const guint16 p = picture_id_of (sent[i].get ());
      if (i > 0)
        {
          fail_unless_equals_int (s, (guint16)(seq + 1));
          fail_unless_equals_int (p, frame_starts ? ((pid + 1) & 0x7fff) : pid);
        }
      // The descriptor stays valid: its temporal fields are the feed's.
      rtc::Vp8Temporal t;
      fail_unless (rtc::vp8_temporal_of (sent[i].get (), t));
      fail_unless_equals_int (t.tl0picidx, sent_tl0[i]);
      if (frame_starts)
        fail_unless_equals_int (t.tid, sent_tids[frames_sent++]);
      seq = s;
      pid = p;
      frame_starts = marker;
    }
  fail_unless_equals_int (frames_sent, 50);
  // The upper layer came back at the first frame after the change: every TL1 frame is a sync.
  fail_unless_equals_int (sent_tids[20], 0);
  fail_unless_equals_int (sent_tids[30], 0);
  fail_unless_equals_int (sent_tids[31], 1);

  // What was sent decodes: every frame, none of them corrupt.
  GstHarness *h = gst_harness_new_parse ("rtpvp8depay wait-for-keyframe=true ! vp8dec");
  gst_harness_set_src_caps_str (
      h, "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=97");
  for (auto &b : sent)
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (b.get ())), GST_FLOW_OK);
  gst_harness_push_event (h, gst_event_new_eos ());
  guint decoded = 0;
  while (GstBuffer *b = gst_harness_try_pull (h))
    {
      decoded++;
      fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_CORRUPTED));
      gst_buffer_unref (b);
    }
  fail_unless_equals_int (decoded, 50);
  gst_harness_teardown (h);
}
GST_END_TEST;

// @packets decoded by rtpvp8depay ! vp8dec: the frames.
static std::vector<Ptr<GstBuffer>>
decode (const std::vector<GstBuffer *> &packets)
{
  GstHarness *h = gst_harness_new_parse ("rtpvp8depay ! vp8dec");
  gst_harness_set_src_caps_str (
      h, "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=97");
  for (auto *b : packets)
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (b)), GST_FLOW_OK);
  gst_harness_push_event (h, gst_event_new_eos ());
  std::vector<Ptr<GstBuffer>> out;
  while (GstBuffer *b = gst_harness_try_pull (h))
    out.push_back (Ptr<GstBuffer> (b));
  gst_harness_teardown (h);
  return out;
}

static bool
same_pixels (GstBuffer *a, GstBuffer *b)
{
  GstMapInfo ma, mb;
  fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
  fail_unless (gst_buffer_map (b, &mb, GST_MAP_READ));
  const bool same = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return same;
}

GST_START_TEST (the_base_layer_alone_decodes_to_the_same_pictures)
{
  // From the first frame: a viewer that never gets the upper layer. Its base-layer pictures are
  // the very pictures a viewer of both layers sees: nothing in the base layer predicts from a
  // frame it did not get.
  auto packets = encode (2, 40);
  OutletRig rig;
  rig.outlet->set_temporal_layer (0);
  std::size_t expected = 0;
  std::vector<GstBuffer *> all;
  for (auto &p : packets)
    {
      rig.deliver (p);
      expected += p.t.tid == 0;
      all.push_back (p.buf.get ());
    }
  auto sent = rig.sent (expected);
  fail_unless_equals_int (sent.size (), expected);
  std::vector<GstBuffer *> base;
  for (auto &b : sent)
    base.push_back (b.get ());
  auto full = decode (all), thin = decode (base);
  fail_unless_equals_int (full.size (), 40);
  fail_unless_equals_int (thin.size (), 20);
  for (std::size_t i = 0; i < thin.size (); i++)
    fail_unless (same_pixels (thin[i].get (), full[2 * i].get ()), "base frame %zu differs", i);
}
GST_END_TEST;

static Suite *
temporal_layers_suite ()
{
  Suite *s = suite_create ("temporal-layers");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, two_layers_alternate_and_mark_tid_y_and_tl0picidx);
  tcase_add_test (tc, one_layer_has_no_temporal_fields);
  tcase_add_test (tc,
                  an_outlet_leaves_the_upper_layer_out_without_gaps_and_takes_it_back_at_a_sync);
  tcase_add_test (tc, the_base_layer_alone_decodes_to_the_same_pictures);
  return s;
}

GST_CHECK_MAIN (temporal_layers);
