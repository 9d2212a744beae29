// rtcencodebin: raw media in, real-time RTP out.
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>

#include "elements/common/gst-ptr.h"
#include "elements/encoder-table.h"

using rtc::Ptr;

static const char *kVideoSrc
    = "videotestsrc pattern=ball ! capsfilter caps=video/x-raw,format=I420,"
      "width=320,height=240,framerate=30/1";
static const char *kNoiseSrc
    = "videotestsrc pattern=snow ! capsfilter caps=video/x-raw,format=I420,"
      "width=320,height=240,framerate=30/1";
static const char *kAudioSrc = "audiotestsrc samplesperbuffer=960 ! capsfilter caps=audio/x-raw,"
                               "format=S16LE,rate=48000,channels=2";

// An rtcencodebin in a harness, configured with @props (a "name=value ..." string) before it
// starts.
static GstHarness *
encoder_harness(const char *props, const char *src)
{
  GstElement *bin = gst_element_factory_make("rtcencodebin", nullptr);
  fail_unless(bin != nullptr, "rtcencodebin is not registered");
  if (props)
    {
      gchar **pairs = g_strsplit(props, " ", -1);
      for (gchar **p = pairs; *p; p++)
        {
          gchar **kv = g_strsplit(*p, "=", 2);
          gst_util_set_object_arg(G_OBJECT(bin), kv[0], kv[1]);
          g_strfreev(kv);
        }
      g_strfreev(pairs);
    }
  GstHarness *h = gst_harness_new_with_element(bin, "sink", "src");
  gst_object_unref(bin);
  gst_harness_add_src_parse(h, src, FALSE);
  gst_harness_play(h);
  return h;
}

static Ptr<GstElement>
child(GstHarness *h, const char *name)
{
  return Ptr<GstElement>(gst_bin_get_by_name(GST_BIN(h->element), name));
}

static Ptr<GstCaps>
output_caps(GstHarness *h)
{
  return Ptr<GstCaps>(gst_pad_get_current_caps(h->sinkpad));
}

static void
push_frames(GstHarness *h, int n)
{
  fail_unless_equals_int(gst_harness_src_crank_and_push_many(h, 0, n), GST_FLOW_OK);
}

// Bytes of RTP payload waiting in the harness, which it drops.
static gsize
drain_payload_bytes(GstHarness *h)
{
  gsize total = 0;
  while (GstBuffer *buf = gst_harness_try_pull(h))
    {
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      fail_unless(gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp));
      total += gst_rtp_buffer_get_payload_len(&rtp);
      gst_rtp_buffer_unmap(&rtp);
      gst_buffer_unref(buf);
    }
  return total;
}

// Whether any waiting RTP packet carries an H.264 IDR slice (NAL type 5), alone, in a STAP-A or
// as the start of an FU-A. Drops the packets.
static bool
drain_has_h264_idr(GstHarness *h)
{
  bool idr = false;
  while (GstBuffer *buf = gst_harness_try_pull(h))
    {
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      fail_unless(gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp));
      const guint8 *p = static_cast<const guint8 *>(gst_rtp_buffer_get_payload(&rtp));
      guint len = gst_rtp_buffer_get_payload_len(&rtp);
      guint type = len ? p[0] & 0x1f : 0;
      if (type == 5)
        idr = true;
      else if (type == 28 && len > 1 && (p[1] & 0x80) && (p[1] & 0x1f) == 5)
        idr = true;
      else if (type == 24)
        for (guint off = 1; off + 2 < len;)
          {
            guint size = GST_READ_UINT16_BE(p + off);
            if ((p[off + 2] & 0x1f) == 5)
              idr = true;
            off += 2 + size;
          }
      gst_rtp_buffer_unmap(&rtp);
      gst_buffer_unref(buf);
    }
  return idr;
}

// Whether any waiting RTP packet starts a VP8 keyframe (RFC 7741: S bit, partition 0, P bit 0).
static bool
drain_has_vp8_keyframe(GstHarness *h)
{
  bool key = false;
  while (GstBuffer *buf = gst_harness_try_pull(h))
    {
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      fail_unless(gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp));
      const guint8 *p = static_cast<const guint8 *>(gst_rtp_buffer_get_payload(&rtp));
      guint len = gst_rtp_buffer_get_payload_len(&rtp);
      guint off = 1;
      if (len > 0 && (p[0] & 0x80)) // X: extension byte follows
        {
          guint8 x = p[1];
          off = 2;
          if (x & 0x80) // I: picture id, 7 or 15 bits
            off += (p[off] & 0x80) ? 2 : 1;
          if (x & 0x40) // L
            off += 1;
          if (x & 0x30) // T or K
            off += 1;
        }
      bool start = len > 0 && (p[0] & 0x10) && (p[0] & 0x07) == 0;
      if (start && off < len && (p[off] & 0x01) == 0)
        key = true;
      gst_rtp_buffer_unmap(&rtp);
      gst_buffer_unref(buf);
    }
  return key;
}

static void
assert_rtp_caps(GstCaps *caps, const char *media, const char *encoding, int clock_rate, int pt)
{
  fail_unless(caps != nullptr, "no caps on the src pad");
  GstStructure *s = gst_caps_get_structure(caps, 0);
  fail_unless(gst_structure_has_name(s, "application/x-rtp"));
  fail_unless_equals_string(gst_structure_get_string(s, "media"), media);
  fail_unless_equals_string(gst_structure_get_string(s, "encoding-name"), encoding);
  int v = 0;
  fail_unless(gst_structure_get_int(s, "clock-rate", &v));
  fail_unless_equals_int(v, clock_rate);
  fail_unless(gst_structure_get_int(s, "payload", &v));
  fail_unless_equals_int(v, pt);
}

GST_START_TEST(h264_output_is_constrained_baseline_packetization_mode_1_on_pt_96)
{
  GstHarness *h = encoder_harness("codec=h264", kVideoSrc);
  push_frames(h, 3);
  Ptr<GstCaps> caps = output_caps(h);
  assert_rtp_caps(caps.get(), "video", "H264", 90000, 96);
  GstStructure *s = gst_caps_get_structure(caps.get(), 0);
  fail_unless_equals_string(gst_structure_get_string(s, "packetization-mode"), "1");
  fail_unless_equals_string(gst_structure_get_string(s, "profile-level-id"), "42e01f");
  fail_unless(gst_structure_get_string(s, "sprop-parameter-sets") != nullptr);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(h264_output_matches_a_downstream_that_requires_42e01f)
{
  GstHarness *h = encoder_harness("codec=h264", kVideoSrc);
  // What webrtcbin does once a browser's offer fixed the profile.
  Ptr<GstCaps> wanted(gst_caps_from_string("application/x-rtp,media=video,encoding-name=H264,"
                                           "profile-level-id=(string)42e01f"));
  gst_harness_set_sink_caps(h, gst_caps_ref(wanted.get()));
  push_frames(h, 3);
  Ptr<GstCaps> caps = output_caps(h);
  fail_unless(caps && gst_caps_is_subset(caps.get(), wanted.get()));
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(vp8_output_is_vp8_on_pt_97)
{
  GstHarness *h = encoder_harness("codec=vp8", kVideoSrc);
  push_frames(h, 3);
  assert_rtp_caps(output_caps(h).get(), "video", "VP8", 90000, 97);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(vp9_output_is_vp9_on_pt_98)
{
  GstHarness *h = encoder_harness("codec=vp9", kVideoSrc);
  push_frames(h, 3);
  assert_rtp_caps(output_caps(h).get(), "video", "VP9", 90000, 98);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(opus_output_is_48khz_on_pt_111)
{
  GstHarness *h = encoder_harness("codec=opus", kAudioSrc);
  push_frames(h, 5);
  assert_rtp_caps(output_caps(h).get(), "audio", "OPUS", 48000, 111);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(pcmu_output_is_8khz_on_pt_0)
{
  GstHarness *h = encoder_harness("codec=pcmu", kAudioSrc);
  push_frames(h, 5);
  assert_rtp_caps(output_caps(h).get(), "audio", "PCMU", 8000, 0);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(explicit_pt_overrides_the_codec_default)
{
  GstHarness *h = encoder_harness("codec=vp8 pt=100", kVideoSrc);
  push_frames(h, 2);
  assert_rtp_caps(output_caps(h).get(), "video", "VP8", 90000, 100);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(rtp_packets_never_exceed_the_mtu)
{
  GstHarness *h = encoder_harness("codec=h264 mtu=500 bitrate=4000", kNoiseSrc);
  push_frames(h, 5);
  guint packets = 0;
  while (GstBuffer *buf = gst_harness_try_pull(h))
    {
      fail_unless(gst_buffer_get_size(buf) <= 500, "packet of %" G_GSIZE_FORMAT " bytes",
                  gst_buffer_get_size(buf));
      packets++;
      gst_buffer_unref(buf);
    }
  fail_unless(packets > 5, "noise at 4 Mbit/s should need several packets per frame");
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(upstream_force_key_unit_yields_an_h264_idr)
{
  // No periodic keyframes: an IDR after the first one can only come from the request.
  GstHarness *h = encoder_harness("codec=h264 keyframe-interval=0", kVideoSrc);
  push_frames(h, 10);
  fail_unless(drain_has_h264_idr(h), "the stream starts with an IDR");
  push_frames(h, 10);
  fail_if(drain_has_h264_idr(h), "no IDR without a request");

  fail_unless(gst_harness_push_upstream_event(
      h, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 1)));
  push_frames(h, 5);
  fail_unless(drain_has_h264_idr(h), "an IDR within 5 frames of the request");
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(upstream_force_key_unit_yields_a_vp8_keyframe)
{
  GstHarness *h = encoder_harness("codec=vp8 keyframe-interval=0", kVideoSrc);
  push_frames(h, 10);
  fail_unless(drain_has_vp8_keyframe(h), "the stream starts with a keyframe");
  push_frames(h, 10);
  fail_if(drain_has_vp8_keyframe(h), "no keyframe without a request");

  fail_unless(gst_harness_push_upstream_event(
      h, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 1)));
  push_frames(h, 5);
  fail_unless(drain_has_vp8_keyframe(h), "a keyframe within 5 frames of the request");
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(bitrate_change_in_playing_reaches_the_encoder)
{
  GstHarness *h = encoder_harness("codec=h264 bitrate=4000", kNoiseSrc);
  push_frames(h, 5);
  Ptr<GstElement> encoder = child(h, "encoder");
  fail_unless(encoder);
  guint kbps = 0;
  g_object_get(encoder.get(), "bitrate", &kbps, nullptr);
  fail_unless_equals_int(kbps, 4000);

  g_object_set(h->element, "bitrate", 200u, nullptr);
  g_object_get(encoder.get(), "bitrate", &kbps, nullptr);
  fail_unless_equals_int(kbps, 200);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(lowering_the_bitrate_in_playing_shrinks_the_output)
{
  GstHarness *h = encoder_harness("codec=h264 bitrate=4000", kNoiseSrc);
  push_frames(h, 15);
  drain_payload_bytes(h);
  push_frames(h, 30);
  gsize before = drain_payload_bytes(h);

  g_object_set(h->element, "bitrate", 200u, nullptr);
  push_frames(h, 15); // let rate control settle
  drain_payload_bytes(h);
  push_frames(h, 30);
  gsize after = drain_payload_bytes(h);
  fail_unless(after * 4 < before,
              "%" G_GSIZE_FORMAT " bytes at 200 kbit/s vs %" G_GSIZE_FORMAT " at 4000", after,
              before);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(openh264_bitrate_is_set_in_bits_per_second)
{
  GstHarness *h = encoder_harness("encoder=openh264enc bitrate=300", kVideoSrc);
  push_frames(h, 2);
  Ptr<GstElement> encoder = child(h, "encoder");
  guint bps = 0;
  g_object_get(encoder.get(), "bitrate", &bps, nullptr);
  fail_unless_equals_int(bps, 300000);
  gst_harness_teardown(h);
}
GST_END_TEST;

// Before READY (predicted) and after (built), with hardware=false so the answer does not hang on
// whether a hardware encoder opens here: the encoder table's first software H.264 encoder that is
// installed (x264enc on Debian with gstreamer1.0-plugins-ugly).
GST_START_TEST (encoder_names_the_first_installed_software_h264_encoder)
{
  const char *expected = nullptr;
  for (const auto &row : rtc::enc::kEncoders)
    if (!expected && row.codec == rtc::enc::Codec::H264 && !row.hardware
        && Ptr<GstElementFactory> (gst_element_factory_find (row.factory)))
      expected = row.factory;
  fail_unless (expected != nullptr, "no software H.264 encoder is installed");
  Ptr<GstElement> bin (
      GST_ELEMENT (gst_object_ref_sink (gst_element_factory_make ("rtcencodebin", nullptr))));
  g_object_set (bin.get (), "hardware", FALSE, nullptr);
  rtc::GStr name;
  g_object_get (bin.get (), "encoder", name.out (), nullptr);
  fail_unless_equals_string (name.get (), expected);
  fail_unless_equals_int (gst_element_set_state (bin.get (), GST_STATE_READY),
                          GST_STATE_CHANGE_SUCCESS);
  g_object_get (bin.get (), "encoder", name.out (), nullptr);
  fail_unless_equals_string (name.get (), expected);
  Ptr<GstElement> encoder (gst_bin_get_by_name (GST_BIN (bin.get ()), "encoder"));
  fail_unless (encoder, "no encoder in READY");
  fail_unless_equals_string (GST_OBJECT_NAME (gst_element_get_factory (encoder.get ())), expected);
  gst_element_set_state (bin.get (), GST_STATE_NULL);
}
GST_END_TEST;

GST_START_TEST(forcing_openh264enc_encodes_with_it)
{
  GstHarness *h = encoder_harness("codec=h264 encoder=openh264enc", kVideoSrc);
  push_frames(h, 3);
  Ptr<GstElement> encoder = child(h, "encoder");
  fail_unless_equals_string(GST_OBJECT_NAME(gst_element_get_factory(encoder.get())), "openh264enc");
  rtc::GStr name;
  g_object_get(h->element, "encoder", name.out(), nullptr);
  fail_unless_equals_string(name.get(), "openh264enc");
  assert_rtp_caps(output_caps(h).get(), "video", "H264", 90000, 96);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(codec_changed_in_ready_rebuilds_the_chain)
{
  GstHarness *h = encoder_harness("codec=h264", kVideoSrc);
  gst_element_set_state(h->element, GST_STATE_READY);
  g_object_set(h->element, "codec", 1 /* vp8 */, nullptr);
  gst_harness_play(h);
  push_frames(h, 2);
  assert_rtp_caps(output_caps(h).get(), "video", "VP8", 90000, 97);
  rtc::GStr name;
  g_object_get(h->element, "encoder", name.out(), nullptr);
  const rtc::enc::EncoderInfo *info = rtc::enc::find_encoder_info (name.get ());
  fail_unless (info && info->codec == rtc::enc::Codec::VP8, "encoder %s", name.get ());
  gst_harness_teardown(h);
}
GST_END_TEST;

static GstMessage *
first_error(GstBus *bus)
{
  return gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
}

GST_START_TEST(missing_encoder_fails_the_state_change_with_an_actionable_error)
{
  Ptr<GstElement> bin(
      GST_ELEMENT(gst_object_ref_sink(gst_element_factory_make("rtcencodebin", nullptr))));
  Ptr<GstBus> bus(gst_bus_new());
  gst_element_set_bus(bin.get(), bus.get());
  g_object_set(bin.get(), "encoder", "nosuchenc", nullptr);
  fail_unless_equals_int(gst_element_set_state(bin.get(), GST_STATE_READY),
                         GST_STATE_CHANGE_FAILURE);
  Ptr<GstMessage> msg(first_error(bus.get()));
  fail_unless(msg, "an error message on the bus");
  rtc::Error err;
  gst_message_parse_error(msg.get(), err.out(), nullptr);
  fail_unless(g_error_matches(err.get(), GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN));
  fail_unless(strstr(err.message(), "nosuchenc") != nullptr, "%s", err.message());
  gst_element_set_state(bin.get(), GST_STATE_NULL);
  gst_element_set_bus(bin.get(), nullptr);
}
GST_END_TEST;

GST_START_TEST(forcing_an_encoder_of_another_codec_fails_the_state_change)
{
  Ptr<GstElement> bin(
      GST_ELEMENT(gst_object_ref_sink(gst_element_factory_make("rtcencodebin", nullptr))));
  Ptr<GstBus> bus(gst_bus_new());
  gst_element_set_bus(bin.get(), bus.get());
  g_object_set(bin.get(), "encoder", "vp8enc", nullptr); // codec stays h264
  fail_unless_equals_int(gst_element_set_state(bin.get(), GST_STATE_READY),
                         GST_STATE_CHANGE_FAILURE);
  Ptr<GstMessage> msg(first_error(bus.get()));
  fail_unless(msg);
  rtc::Error err;
  gst_message_parse_error(msg.get(), err.out(), nullptr);
  fail_unless(strstr(err.message(), "H.264") != nullptr, "%s", err.message());
  gst_element_set_state(bin.get(), GST_STATE_NULL);
  gst_element_set_bus(bin.get(), nullptr);
}
GST_END_TEST;

GST_START_TEST(raw_audio_into_a_video_codec_is_not_negotiated)
{
  GstHarness *h = encoder_harness("codec=h264", kAudioSrc);
  fail_unless_equals_int(gst_harness_src_crank_and_push_many(h, 0, 1), GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(raw_video_into_an_audio_codec_is_not_negotiated)
{
  GstHarness *h = encoder_harness("codec=opus", kVideoSrc);
  fail_unless_equals_int(gst_harness_src_crank_and_push_many(h, 0, 1), GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown(h);
}
GST_END_TEST;

// Objects and mini objects the leaks tracer saw created since tracking started and not yet
// destroyed, accumulated in @balance (address -> created minus destroyed) over checkpoints.
// (Its get-live-objects signal is not used: in 1.22 freeing its answer unrefs objects it never
// referenced.)
static guint
created_and_alive(GstTracer *leaks, GHashTable *balance)
{
  GstStructure *cp = nullptr;
  g_signal_emit_by_name(leaks, "activity-get-checkpoint", &cp);
  fail_unless(cp != nullptr);
  auto count = [&](const char *field, gint delta) {
    const GValue *list = gst_structure_get_value(cp, field);
    for (guint i = 0; list && i < gst_value_list_get_size(list); i++)
      {
        const GstStructure *e = gst_value_get_structure(gst_value_list_get_value(list, i));
        gpointer addr = nullptr;
        gst_structure_get(e, "address", G_TYPE_POINTER, &addr, nullptr);
        gint n = GPOINTER_TO_INT(g_hash_table_lookup(balance, addr)) + delta;
        g_hash_table_insert(balance, addr, GINT_TO_POINTER(n));
        if (delta > 0)
          GST_LOG("created %s", gst_structure_get_string(e, "type-name"));
      }
  };
  count("objects-created-list", +1);
  count("objects-removed-list", -1);
  guint alive = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, balance);
  while (g_hash_table_iter_next(&it, nullptr, &value))
    alive += MAX(GPOINTER_TO_INT(value), 0);
  gst_structure_free(cp);
  return alive;
}

static GstTracer *
leaks_tracer()
{
  GstTracer *found = nullptr;
  GList *tracers = gst_tracing_get_active_tracers();
  for (GList *l = tracers; l; l = l->next)
    if (!found && g_str_has_prefix(GST_OBJECT_NAME(l->data), "leaks"))
      found = GST_TRACER(gst_object_ref(l->data));
  g_list_free_full(tracers, gst_object_unref);
  return found;
}

static void
play_and_stop(const char *launch)
{
  rtc::Error err;
  Ptr<GstElement> pipeline(gst_parse_launch(launch, err.out()));
  fail_unless(pipeline, "%s", err.message());
  for (int i = 0; i < 5; i++)
    {
      fail_if(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
      Ptr<GstBus> bus(gst_element_get_bus(pipeline.get()));
      Ptr<GstMessage> msg(gst_bus_timed_pop_filtered(
          bus.get(), GST_CLOCK_TIME_NONE, (GstMessageType)(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
      fail_unless_equals_int(GST_MESSAGE_TYPE(msg.get()), GST_MESSAGE_EOS);
      fail_unless_equals_int(gst_element_set_state(pipeline.get(), GST_STATE_NULL),
                             GST_STATE_CHANGE_SUCCESS);
    }
}

GST_START_TEST(five_play_stop_cycles_leave_no_objects_behind)
{
  Ptr<GstTracer> leaks(leaks_tracer());
  fail_unless(leaks, "the test runs with GST_TRACERS=leaks");
  const char *video = "videotestsrc num-buffers=3 ! video/x-raw,width=160,height=120 ! "
                      "rtcencodebin ! fakesink";
  const char *audio = "audiotestsrc num-buffers=3 ! rtcencodebin codec=opus ! fakesink";
  // Warm up: plugin loading and one-time setup (e.g. the system clock) are not leaks.
  play_and_stop(video);
  play_and_stop(audio);
  g_signal_emit_by_name(leaks.get(), "activity-start-tracking");
  play_and_stop(video);
  play_and_stop(audio);
  // Streaming threads drop their last references just after the state change returns: give
  // them up to 2 s. A leak never reaches zero.
  GHashTable *balance = g_hash_table_new(g_direct_hash, g_direct_equal);
  guint alive = created_and_alive(leaks.get(), balance);
  for (int i = 0; alive > 0 && i < 20; i++)
    {
      g_usleep(100 * 1000);
      alive = created_and_alive(leaks.get(), balance);
    }
  g_hash_table_unref(balance);
  fail_unless_equals_int(alive, 0);
  g_signal_emit_by_name(leaks.get(), "activity-stop-tracking");
}
GST_END_TEST;

static Suite *
rtcencodebin_suite(void)
{
  Suite *s = suite_create("rtcencodebin");
  TCase *caps = tcase_create("caps");
  suite_add_tcase(s, caps);
  tcase_add_test(caps, h264_output_is_constrained_baseline_packetization_mode_1_on_pt_96);
  tcase_add_test(caps, h264_output_matches_a_downstream_that_requires_42e01f);
  tcase_add_test(caps, vp8_output_is_vp8_on_pt_97);
  tcase_add_test(caps, vp9_output_is_vp9_on_pt_98);
  tcase_add_test(caps, opus_output_is_48khz_on_pt_111);
  tcase_add_test(caps, pcmu_output_is_8khz_on_pt_0);
  tcase_add_test(caps, explicit_pt_overrides_the_codec_default);
  tcase_add_test(caps, rtp_packets_never_exceed_the_mtu);
  tcase_add_test(caps, raw_audio_into_a_video_codec_is_not_negotiated);
  tcase_add_test(caps, raw_video_into_an_audio_codec_is_not_negotiated);

  TCase *control = tcase_create("control");
  suite_add_tcase(s, control);
  tcase_add_test(control, upstream_force_key_unit_yields_an_h264_idr);
  tcase_add_test(control, upstream_force_key_unit_yields_a_vp8_keyframe);
  tcase_add_test(control, bitrate_change_in_playing_reaches_the_encoder);
  tcase_add_test(control, lowering_the_bitrate_in_playing_shrinks_the_output);
  tcase_add_test(control, openh264_bitrate_is_set_in_bits_per_second);

  TCase *choice = tcase_create("encoder-choice");
  suite_add_tcase(s, choice);
  tcase_add_test (choice, encoder_names_the_first_installed_software_h264_encoder);
  tcase_add_test(choice, forcing_openh264enc_encodes_with_it);
  tcase_add_test(choice, codec_changed_in_ready_rebuilds_the_chain);
  tcase_add_test(choice, missing_encoder_fails_the_state_change_with_an_actionable_error);
  tcase_add_test(choice, forcing_an_encoder_of_another_codec_fails_the_state_change);

  TCase *lifecycle = tcase_create("lifecycle");
  suite_add_tcase(s, lifecycle);
  tcase_add_test(lifecycle, five_play_stop_cycles_leave_no_objects_behind);
  return s;
}

int
main(int argc, char **argv)
{
  // Before gst_init: the lifecycle test asks the leaks tracer what is still alive.
  g_setenv("GST_TRACERS", "leaks", FALSE);
  gst_check_init(&argc, &argv);
  return gst_check_run_suite(rtcencodebin_suite(), "rtcencodebin", __FILE__);
}
