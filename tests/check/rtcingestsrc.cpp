/* rtcingestsrc: whole publish sessions driven through an in-process signaller, with real
 * sending webrtcbins (the publishers) in the same process on loopback (no browser, no network). */
#include "elements/signal/session.h" // connections_json: before gstcheck.h (its fail macro)

#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "helpers/loopback-peer.h"
#include "helpers/test-signaller.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

/* --- helpers ----------------------------------------------------------------------------- */

/* A publisher: a sending webrtcbin in this process, the remote peer of a session. */
struct Publisher
{
  GstElement *pipe = nullptr;
  GstElement *webrtc = nullptr;
  std::string sid;
};

static const char *
video_branch (const std::string &codec)
{
  if (codec == "vp8")
    return "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
           "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay ! "
           "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000,"
           "rtcp-fb-nack-pli=true ! w. ";
  if (codec == "h264")
    return "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
           "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! "
           "video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 ! "
           "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
           "packetization-mode=(string)1,rtcp-fb-nack-pli=true ! w. ";
  return "";
}

// Starts a publisher for session @sid and returns its offer (set as its local description).
// Its ICE candidates go to the element through @sig; the element's come back to it.
static std::string
publisher_start (Publisher *p, TestSignaller *sig, const std::string &sid, const std::string &video,
                 bool audio)
{
  p->sid = sid;
  std::string launch
      = "webrtcbin name=w bundle-policy=max-bundle " + std::string (video_branch (video));
  if (audio)
    launch += "audiotestsrc is-live=true wave=ticks ! opusenc ! rtpopuspay ! "
              "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! w. ";
  GError *err = nullptr;
  p->pipe = gst_parse_launch (launch.c_str (), &err);
  fail_unless (p->pipe != nullptr, "%s", err ? err->message : "");
  p->webrtc = gst_bin_get_by_name (GST_BIN (p->pipe), "w");
  loopback_peer_use_loopback (p->webrtc);
  loopback_peer_route_ice (p->webrtc, sig, sid);
  gst_element_set_state (p->pipe, GST_STATE_PLAYING);
  GArray *transceivers = nullptr;
  g_signal_emit_by_name (p->webrtc, "get-transceivers", &transceivers);
  for (guint i = 0; i < transceivers->len; i++)
    g_object_set (g_array_index (transceivers, GstWebRTCRTPTransceiver *, i), "direction",
                  GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
  g_array_unref (transceivers);

  return loopback_peer_create_local (p->webrtc, "offer", "the publisher made no offer");
}

// Waits for the element's answer for the publisher's session and applies it.
static std::string
publisher_take_answer (Publisher *p, TestSignaller *sig)
{
  fail_unless (wait_until ([&] { return !sent_for (sig, p->sid, "sdp").empty (); }),
               "no answer for session %s (sent: %zu ends)", p->sid.c_str (),
               sent_for (sig, p->sid, "end").size ());
  auto s = sent_for (sig, p->sid, "sdp").front ();
  fail_unless_equals_string (s.a.c_str (), "answer");
  loopback_peer_set_remote (p->webrtc, GST_WEBRTC_SDP_TYPE_ANSWER, s.b);
  return s.b;
}

// session-requested (no offer, as the embedded consumer does), then the offer, then the answer.
static void
publish (Publisher *p, TestSignaller *sig, const std::string &sid, const std::string &video,
         bool audio, bool offer_in_request = false)
{
  if (!offer_in_request)
    rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), sid.c_str (),
                                          ("pub-" + sid).c_str (), nullptr);
  std::string offer = publisher_start (p, sig, sid, video, audio);
  if (offer_in_request)
    rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), sid.c_str (),
                                          ("pub-" + sid).c_str (), offer.c_str ());
  else
    rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), sid.c_str (), "offer", offer.c_str ());
  publisher_take_answer (p, sig);
}

static void
publisher_stop (Publisher *p)
{
  if (!p->pipe)
    return;
  gst_element_set_state (p->pipe, GST_STATE_NULL);
  gst_object_unref (p->webrtc);
  gst_object_unref (p->pipe);
  p->pipe = nullptr;
}

/* The receiving side: a pipeline with rtcingestsrc whose pads each go to a fakesink. */
struct PadInfo
{
  std::string name, publisher_id, caps, tag_publisher;
  int buffers = 0;
  bool eos = false;
  bool removed = false;
};

struct Ingest
{
  GstElement *pipe = nullptr;
  GstElement *src = nullptr;
  GstBus *bus = nullptr;
  std::mutex lock;
  std::map<std::string, PadInfo> pads;
  int total_buffers = 0;
  // Seen in publisher-ready: the pads of that publisher and the buffers that had passed.
  std::vector<std::string> ready_pads;
  int buffers_at_ready = -1;
  std::vector<std::string> ready_publishers;
  // Pads left unlinked, as gst-launch leaves the ones it cannot link ("*": all of them).
  std::vector<std::string> unlinked;
};

static GstPadProbeReturn
on_ingest_data (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  auto *in = static_cast<Ingest *> (data);
  std::lock_guard l (in->lock);
  PadInfo &pi = in->pads[GST_PAD_NAME (pad)];
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    {
      pi.buffers++;
      in->total_buffers++;
      return GST_PAD_PROBE_OK;
    }
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
    pi.eos = true;
  else if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS)
    {
      GstCaps *caps;
      gst_event_parse_caps (ev, &caps);
      gchar *s = gst_caps_to_string (caps);
      pi.caps = s;
      g_free (s);
    }
  else if (GST_EVENT_TYPE (ev) == GST_EVENT_TAG)
    {
      GstTagList *tags;
      gst_event_parse_tag (ev, &tags);
      gchar *id = nullptr;
      if (gst_tag_list_get_string (tags, "rtckit-publisher-id", &id))
        pi.tag_publisher = id;
      g_free (id);
    }
  return GST_PAD_PROBE_OK;
}

static bool
left_unlinked (Ingest *in, const char *name)
{
  for (const auto &u : in->unlinked)
    if (u == "*" || u == name)
      return true;
  return false;
}

static void
on_ingest_pad_added (GstElement *, GstPad *pad, Ingest *in)
{
  if (left_unlinked (in, GST_PAD_NAME (pad)))
    {
      std::lock_guard l (in->lock);
      in->pads[GST_PAD_NAME (pad)].name = GST_PAD_NAME (pad);
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_ingest_data, in, nullptr);
      return;
    }
  GstElement *fs = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (fs, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add (GST_BIN (in->pipe), fs);
  gst_element_sync_state_with_parent (fs);
  GstPad *sinkpad = gst_element_get_static_pad (fs, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
  gchar *pid = nullptr;
  g_object_get (pad, "publisher-id", &pid, nullptr);
  {
    std::lock_guard l (in->lock);
    PadInfo &pi = in->pads[GST_PAD_NAME (pad)];
    pi.name = GST_PAD_NAME (pad);
    pi.publisher_id = pid ? pid : "";
  }
  g_free (pid);
  gst_pad_add_probe (
      pad, GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      on_ingest_data, in, nullptr);
}

static void
on_ingest_pad_removed (GstElement *, GstPad *pad, Ingest *in)
{
  std::lock_guard l (in->lock);
  in->pads[GST_PAD_NAME (pad)].removed = true;
}

static void
on_publisher_ready (GstElement *src, const gchar *publisher_id, const gchar *, Ingest *in)
{
  std::vector<std::string> names;
  GstIterator *it = gst_element_iterate_src_pads (src);
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK)
    {
      GstPad *pad = GST_PAD (g_value_get_object (&v));
      gchar *pid = nullptr;
      g_object_get (pad, "publisher-id", &pid, nullptr);
      if (g_strcmp0 (pid, publisher_id) == 0)
        names.push_back (GST_PAD_NAME (pad));
      g_free (pid);
      g_value_reset (&v);
    }
  g_value_unset (&v);
  gst_iterator_free (it);
  std::lock_guard l (in->lock);
  in->ready_pads = names;
  in->buffers_at_ready = in->total_buffers;
  in->ready_publishers.push_back (publisher_id);
}

static void
ingest_start (Ingest *in, TestSignaller *sig, const char *extra = "")
{
  std::string launch = std::string ("rtcingestsrc name=src ice-local-addresses=127.0.0.1 ") + extra;
  GError *err = nullptr;
  in->pipe = gst_parse_launch (launch.c_str (), &err);
  fail_unless (in->pipe != nullptr, "%s", err ? err->message : "");
  if (GST_IS_PIPELINE (in->pipe) == FALSE)
    {
      GstElement *pipe = gst_pipeline_new (nullptr);
      gst_bin_add (GST_BIN (pipe), in->pipe);
      in->pipe = pipe;
    }
  in->src = gst_bin_get_by_name (GST_BIN (in->pipe), "src");
  if (sig)
    g_object_set (in->src, "signaller", sig, nullptr);
  in->bus = gst_element_get_bus (in->pipe);
  g_signal_connect (in->src, "pad-added", G_CALLBACK (on_ingest_pad_added), in);
  g_signal_connect (in->src, "pad-removed", G_CALLBACK (on_ingest_pad_removed), in);
  g_signal_connect (in->src, "publisher-ready", G_CALLBACK (on_publisher_ready), in);
  fail_if (gst_element_set_state (in->pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
}

static void
ingest_stop (Ingest *in)
{
  gst_element_set_state (in->pipe, GST_STATE_NULL);
  gst_object_unref (in->bus);
  gst_object_unref (in->src);
  gst_object_unref (in->pipe);
}

static PadInfo
pad_info (Ingest *in, const std::string &name)
{
  std::lock_guard l (in->lock);
  auto it = in->pads.find (name);
  return it == in->pads.end () ? PadInfo{} : it->second;
}

static bool
pad_has_buffers (Ingest *in, const std::string &name, int n)
{
  return pad_info (in, name).buffers >= n;
}

static std::vector<GstStructure *>
element_messages (GstBus *bus, const char *name)
{
  std::vector<GstStructure *> out;
  while (GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))
    {
      const GstStructure *s = gst_message_get_structure (m);
      if (s && gst_structure_has_name (s, name))
        out.push_back (gst_structure_copy (s));
      gst_message_unref (m);
    }
  return out;
}

/* --- tests ------------------------------------------------------------------------------- */

GST_START_TEST (test_vp8_and_opus_publisher_gets_one_pad_per_track_with_encoded_caps)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  ingest_start (&in, sig);
  Publisher p;
  publish (&p, sig, "s1", "vp8", true);
  fail_unless (wait_until ([&] {
                 return pad_has_buffers (&in, "video_0", 10)
                        && pad_has_buffers (&in, "audio_0", 10);
               }),
               "no media on video_0 (%d) / audio_0 (%d)", pad_info (&in, "video_0").buffers,
               pad_info (&in, "audio_0").buffers);
  PadInfo v = pad_info (&in, "video_0"), a = pad_info (&in, "audio_0");
  fail_unless (g_str_has_prefix (v.caps.c_str (), "video/x-vp8"), "video caps %s", v.caps.c_str ());
  fail_unless (g_str_has_prefix (a.caps.c_str (), "audio/x-opus"), "audio caps %s",
               a.caps.c_str ());
  fail_unless_equals_string (v.publisher_id.c_str (), "pub-s1");
  fail_unless_equals_string (a.publisher_id.c_str (), "pub-s1");
  guint publishers = 0;
  g_object_get (in.src, "publishers", &publishers, nullptr);
  fail_unless_equals_int (publishers, 1);
  auto joined = element_messages (in.bus, "rtckit-publisher-joined");
  fail_unless_equals_int (joined.size (), 1);
  fail_unless_equals_string (gst_structure_get_string (joined[0], "publisher-id"), "pub-s1");
  fail_unless_equals_string (gst_structure_get_string (joined[0], "session-id"), "s1");
  for (auto *s : joined)
    gst_structure_free (s);
  publisher_stop (&p);
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

// The connection record of @session in @src's /stats (its "media" object), or nullptr.
static JsonObject *
media_of (GstElement *src, const char *session, JsonParser *parser)
{
  const std::string json = rtc::connections_json (GST_RTC_SIGNAL_BIN (src));
  if (!json_parser_load_from_data (parser, json.c_str (), -1, nullptr))
    return nullptr;
  JsonArray *conns = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (conns); i++)
    {
      JsonObject *c = json_array_get_object_element (conns, i);
      if (g_str_equal (json_object_get_string_member (c, "session"), session))
        return json_object_get_object_member (c, "media");
    }
  return nullptr;
}

// /stats's connection record of a publisher counts what it received: the dashboard's graphs.
GST_START_TEST (test_a_publishers_connection_record_counts_the_media_received)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  ingest_start (&in, sig);
  Publisher p;
  publish (&p, sig, "s1", "vp8", true);
  JsonParser *parser = json_parser_new ();
  auto got = [&] (const char *field) {
    JsonObject *m = media_of (in.src, "s1", parser);
    return m ? json_object_get_int_member (m, field) : 0;
  };
  fail_unless (wait_until ([&] {
                 return got ("frames_received") >= 10 && got ("bytes_received") > 1000;
               }),
               "frames %" G_GINT64_FORMAT ", bytes %" G_GINT64_FORMAT, got ("frames_received"),
               got ("bytes_received"));
  // As many frames as reached the video pad, give or take those in flight.
  const gint64 frames = got ("frames_received");
  const int buffers = pad_info (&in, "video_0").buffers;
  fail_unless (frames <= buffers + 30 && buffers <= frames + 30, "%" G_GINT64_FORMAT " frames counted, %d on the pad",
               frames, buffers);
  fail_unless_equals_int (got ("frames_sent"), 0); // it only receives
  g_object_unref (parser);
  publisher_stop (&p);
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_h264_publisher_offering_in_its_request_gets_parsed_h264_access_units)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  ingest_start (&in, sig);
  Publisher p;
  publish (&p, sig, "h", "h264", false, true);
  fail_unless (wait_until ([&] { return pad_has_buffers (&in, "video_0", 10); }),
               "no H.264 arrived");
  PadInfo v = pad_info (&in, "video_0");
  GstCaps *caps = gst_caps_from_string (v.caps.c_str ());
  GstStructure *s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_has_name (s, "video/x-h264"), "caps %s", v.caps.c_str ());
  fail_unless_equals_string (gst_structure_get_string (s, "alignment"), "au");
  const gchar *fmt = gst_structure_get_string (s, "stream-format");
  fail_unless (g_strcmp0 (fmt, "byte-stream") == 0 || g_strcmp0 (fmt, "avc") == 0, "caps %s",
               v.caps.c_str ());
  fail_unless (gst_structure_has_field (s, "width"), "not parsed: %s", v.caps.c_str ());
  gst_caps_unref (caps);
  publisher_stop (&p);
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_every_pad_of_a_publisher_exists_before_any_buffer_flows)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  ingest_start (&in, sig);
  Publisher p;
  publish (&p, sig, "s1", "vp8", true);
  fail_unless (wait_until ([&] {
                 std::lock_guard l (in.lock);
                 return !in.ready_publishers.empty ();
               }),
               "publisher-ready was not emitted");
  {
    std::lock_guard l (in.lock);
    std::sort (in.ready_pads.begin (), in.ready_pads.end ());
    fail_unless_equals_int (in.ready_pads.size (), 2);
    fail_unless_equals_string (in.ready_pads[0].c_str (), "audio_0");
    fail_unless_equals_string (in.ready_pads[1].c_str (), "video_0");
    fail_unless_equals_int (in.buffers_at_ready, 0);
  }
  GstMessage *m = gst_bus_timed_pop_filtered (in.bus, 5 * GST_SECOND, GST_MESSAGE_ELEMENT);
  const GstStructure *s = nullptr;
  while (m
         && !gst_structure_has_name ((s = gst_message_get_structure (m)), "rtckit-publisher-ready"))
    {
      gst_message_unref (m);
      m = gst_bus_timed_pop_filtered (in.bus, 5 * GST_SECOND, GST_MESSAGE_ELEMENT);
    }
  fail_unless (m != nullptr, "no rtckit-publisher-ready message");
  const gchar *const *pads = nullptr;
  const GValue *pv = gst_structure_get_value (s, "pads");
  fail_unless (pv && G_VALUE_HOLDS (pv, G_TYPE_STRV));
  pads = static_cast<const gchar *const *> (g_value_get_boxed (pv));
  fail_unless_equals_int (g_strv_length ((gchar **)pads), 2);
  fail_unless_equals_string (gst_structure_get_string (s, "publisher-id"), "pub-s1");
  gst_message_unref (m);
  fail_unless (wait_until ([&] { return pad_has_buffers (&in, "video_0", 5); }),
               "data never flowed after ready");
  publisher_stop (&p);
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_an_unlinked_pad_stops_neither_the_pipeline_nor_the_other_pads)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  in.unlinked = { "audio_0" };
  ingest_start (&in, sig);
  Publisher p;
  publish (&p, sig, "s1", "vp8", true);
  // The probe on the unlinked pad counts what was pushed into nothing.
  fail_unless (wait_until ([&] {
                 return pad_has_buffers (&in, "video_0", 10)
                        && pad_has_buffers (&in, "audio_0", 10);
               }),
               "no media (video_0 %d, audio_0 %d)", pad_info (&in, "video_0").buffers,
               pad_info (&in, "audio_0").buffers);
  const int video = pad_info (&in, "video_0").buffers, audio = pad_info (&in, "audio_0").buffers;
  // Two more seconds: both keep flowing, and nothing stopped the pipeline.
  GstMessage *err = gst_bus_timed_pop_filtered (in.bus, 2 * GST_SECOND, GST_MESSAGE_ERROR);
  if (err)
    {
      GError *e = nullptr;
      gst_message_parse_error (err, &e, nullptr);
      fail ("the pipeline failed: %s", e->message);
    }
  fail_unless (pad_info (&in, "video_0").buffers > video + 20, "video stalled at %d",
               pad_info (&in, "video_0").buffers);
  fail_unless (pad_info (&in, "audio_0").buffers > audio + 20, "audio stalled at %d",
               pad_info (&in, "audio_0").buffers);
  publisher_stop (&p);
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_when_every_pad_is_unlinked_the_publisher_fails_with_not_linked)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  in.unlinked = { "*" };
  ingest_start (&in, sig);
  Publisher p;
  publish (&p, sig, "s1", "vp8", true);
  /* The publisher's connection fails with a warning that says why; the pipeline goes on. */
  GstMessage *err = gst_bus_timed_pop_filtered (in.bus, 10 * GST_SECOND, GST_MESSAGE_WARNING);
  fail_unless (err != nullptr, "no warning with every pad unlinked");
  fail_if (gst_bus_pop_filtered (in.bus, GST_MESSAGE_ERROR) != nullptr, "a pipeline error");
  GError *e = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_warning (err, &e, &debug);
  fail_unless (strstr (debug, "not-linked") != nullptr, "error %s (%s)", e->message, debug);
  g_error_free (e);
  g_free (debug);
  gst_message_unref (err);
  publisher_stop (&p);
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_pads_carry_a_publisher_id_stream_tag)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  ingest_start (&in, sig);
  Publisher p;
  publish (&p, sig, "tagged", "vp8", true);
  fail_unless (wait_until ([&] {
                 return pad_info (&in, "video_0").tag_publisher == "pub-tagged"
                        && pad_info (&in, "audio_0").tag_publisher == "pub-tagged";
               }),
               "no rtckit-publisher-id tag (video '%s', audio '%s')",
               pad_info (&in, "video_0").tag_publisher.c_str (),
               pad_info (&in, "audio_0").tag_publisher.c_str ());
  publisher_stop (&p);
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_a_publisher_ending_its_session_ends_its_pads_with_eos_then_removes_them)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  ingest_start (&in, sig);
  Publisher p;
  publish (&p, sig, "s1", "vp8", true);
  fail_unless (wait_until (
      [&] { return pad_has_buffers (&in, "video_0", 10) && pad_has_buffers (&in, "audio_0", 1); }));
  gst_bus_set_flushing (in.bus, TRUE);
  gst_bus_set_flushing (in.bus, FALSE);
  rtc_signaller_emit_session_ended (RTC_SIGNALLER (sig), "s1");
  fail_unless (wait_until ([&] {
                 return pad_info (&in, "video_0").removed && pad_info (&in, "audio_0").removed;
               }),
               "pads not removed");
  fail_unless (pad_info (&in, "video_0").eos, "video_0 got no EOS");
  fail_unless (pad_info (&in, "audio_0").eos, "audio_0 got no EOS");
  fail_unless_equals_int (in.src->numsrcpads, 0);
  auto left = element_messages (in.bus, "rtckit-publisher-left");
  fail_unless_equals_int (left.size (), 1);
  fail_unless_equals_string (gst_structure_get_string (left[0], "publisher-id"), "pub-s1");
  fail_unless (gst_structure_get_string (left[0], "reason") != nullptr);
  for (auto *s : left)
    gst_structure_free (s);
  guint publishers = 1;
  g_object_get (in.src, "publishers", &publishers, nullptr);
  fail_unless_equals_int (publishers, 0);
  // A new publisher takes its place with new pads.
  Publisher p2;
  publish (&p2, sig, "s2", "vp8", false);
  fail_unless (wait_until ([&] { return pad_has_buffers (&in, "video_1", 5); }),
               "second publisher got no pad");
  publisher_stop (&p2);
  publisher_stop (&p);
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_two_publishers_at_once_get_their_own_pads)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  ingest_start (&in, sig);
  Publisher a, b;
  publish (&a, sig, "a", "vp8", false);
  publish (&b, sig, "b", "vp8", false);
  fail_unless (wait_until ([&] {
                 return pad_has_buffers (&in, "video_0", 10)
                        && pad_has_buffers (&in, "video_1", 10);
               }),
               "both publishers should flow");
  std::string p0 = pad_info (&in, "video_0").publisher_id,
              p1 = pad_info (&in, "video_1").publisher_id;
  fail_unless (p0 != p1, "both pads belong to %s", p0.c_str ());
  fail_unless ((p0 == "pub-a" || p0 == "pub-b") && (p1 == "pub-a" || p1 == "pub-b"));
  // One leaves; the other keeps flowing.
  rtc_signaller_emit_session_ended (RTC_SIGNALLER (sig), "a");
  std::string other = p0 == "pub-a" ? "video_1" : "video_0";
  int before = pad_info (&in, other).buffers;
  fail_unless (wait_until ([&] { return pad_info (&in, other).buffers > before + 20; }),
               "the other publisher stopped");
  fail_if (pad_info (&in, other).removed);
  publisher_stop (&a);
  publisher_stop (&b);
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_max_publishers_refuses_the_next_publisher_with_a_reason)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  ingest_start (&in, sig, "max-publishers=1");
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "first", "p1", nullptr);
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "second", "p2", nullptr);
  fail_unless (wait_until ([&] { return !sent_for (sig, "second", "end").empty (); }));
  auto end = sent_for (sig, "second", "end").front ();
  fail_unless (end.a.find ("max-publishers") != std::string::npos, "reason: %s", end.a.c_str ());
  fail_unless (sent_for (sig, "first", "end").empty (), "the first publisher was disturbed");
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_an_offer_without_an_accepted_codec_is_refused_and_others_still_publish)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  ingest_start (&in, sig, "video-codecs=vp8");
  Publisher bad;
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "bad", "pb", nullptr);
  std::string offer = publisher_start (&bad, sig, "bad", "h264", false);
  rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), "bad", "offer", offer.c_str ());
  fail_unless (wait_until ([&] { return !sent_for (sig, "bad", "end").empty (); }),
               "the H.264-only offer was not refused");
  auto end = sent_for (sig, "bad", "end").front ();
  fail_unless (end.a.find ("no supported video codec in the offer: we accept vp8")
                   != std::string::npos,
               "reason: %s", end.a.c_str ());
  fail_unless (sent_for (sig, "bad", "sdp").empty (), "the refused publisher got an answer");
  GstMessage *warn = gst_bus_pop_filtered (in.bus, GST_MESSAGE_WARNING);
  fail_unless (warn != nullptr, "no warning on the bus");
  gst_message_unref (warn);
  Publisher good;
  publish (&good, sig, "good", "vp8", false);
  fail_unless (wait_until ([&] { return pad_has_buffers (&in, "video_0", 5); }),
               "the VP8 publisher got no pad");
  publisher_stop (&bad);
  publisher_stop (&good);
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_garbage_sdp_ends_only_that_session)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  ingest_start (&in, sig);
  Publisher good;
  publish (&good, sig, "good", "vp8", false);
  fail_unless (wait_until ([&] { return pad_has_buffers (&in, "video_0", 5); }));
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "garbage", "pg", nullptr);
  rtc_signaller_emit_ice (RTC_SIGNALLER (sig), "garbage", 9, "candidate:bogus");
  rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), "garbage", "offer", "this is not SDP");
  fail_unless (wait_until ([&] { return !sent_for (sig, "garbage", "end").empty (); }));
  // An answer instead of an offer, and messages for unknown sessions.
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "answerer", "pa", nullptr);
  rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), "answerer", "answer", "v=0\r\n");
  rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), "nobody", "offer", "v=0\r\n");
  rtc_signaller_emit_ice (RTC_SIGNALLER (sig), "nobody", 0,
                          "candidate:1 1 UDP 1 127.0.0.1 9 typ host");
  rtc_signaller_emit_session_ended (RTC_SIGNALLER (sig), "nobody");
  fail_unless (wait_until ([&] { return !sent_for (sig, "answerer", "end").empty (); }));
  // Refused for being an answer, whatever its text.
  const std::string reason = sent_for (sig, "answerer", "end").front ().a;
  fail_unless (reason.find ("must send an SDP offer, not answer") != std::string::npos,
               "reason: %s", reason.c_str ());
  fail_unless (sent_for (sig, "good", "end").empty (), "the good publisher was ended");
  int before = pad_info (&in, "video_0").buffers;
  fail_unless (wait_until ([&] { return pad_info (&in, "video_0").buffers > before + 20; }));
  publisher_stop (&good);
  ingest_stop (&in);
  g_object_unref (sig);
}
GST_END_TEST;

// A Janus VideoRoom client only publishes: named on a receiving element, it is an error that
// says so, not a publisher in disguise.
GST_START_TEST (test_a_signaller_kind_that_only_publishes_is_refused_with_a_reason)
{
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch (
      "rtcingestsrc name=src signaller=janus signaller::uri=janus+http://127.0.0.1:1/janus "
      "src.video_0 ! fakesink", &err);
  fail_unless (pipe != nullptr, "%s", err ? err->message : "");
  const std::string error = error_on_start (pipe);
  fail_unless (error.find ("signaller=janus") != std::string::npos
                   && error.find ("publishes") != std::string::npos,
               "'%s'", error.c_str ());
  gst_object_unref (pipe);
}
GST_END_TEST;

GST_START_TEST (test_null_playing_null_repeated_frees_the_element)
{
  for (int i = 0; i < 4; i++)
    {
      GstElement *pipe = gst_pipeline_new (nullptr);
      GstElement *src = gst_element_factory_make ("rtcingestsrc", nullptr);
      g_object_set (src, "address", "127.0.0.1:0", nullptr);
      gst_bin_add (GST_BIN (pipe), src);
      gst_object_ref (src);
      fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
      gchar *url = nullptr;
      fail_unless (wait_until ([&] {
        g_free (url);
        g_object_get (src, "url", &url, nullptr);
        return url != nullptr;
      }));
      fail_unless (g_str_has_prefix (url, "http://127.0.0.1:"), "url %s", url);
      fail_unless (g_str_has_suffix (url, "/publish"), "url %s", url);
      g_free (url);
      g_usleep (100 * 1000);
      fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL),
                              GST_STATE_CHANGE_SUCCESS);
      gst_object_unref (src);
      gst_check_objects_destroyed_on_unref (pipe, src, nullptr);
    }
}
GST_END_TEST;

GST_START_TEST (test_state_cycles_with_a_publisher_free_everything)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  Ingest in;
  ingest_start (&in, sig);
  Publisher p;
  publish (&p, sig, "s1", "vp8", true);
  fail_unless (wait_until ([&] { return pad_has_buffers (&in, "video_0", 5); }));
  // Stopping tears the publisher down and tells it why.
  fail_unless_equals_int (gst_element_set_state (in.pipe, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (in.src->numsrcpads, 0);
  fail_if (sent_for (sig, "s1", "end").empty (), "the publisher was not told");
  publisher_stop (&p);
  GstElement *src = in.src, *pipe = in.pipe;
  gst_object_unref (in.bus);
  gst_object_unref (src);
  gst_check_objects_destroyed_on_unref (pipe, src, nullptr);
  g_object_unref (sig);
}
GST_END_TEST;

static Suite *
rtcingestsrc_suite (void)
{
  Suite *s = suite_create ("rtcingestsrc");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 90);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vp8_and_opus_publisher_gets_one_pad_per_track_with_encoded_caps);
  tcase_add_test (tc, test_a_publishers_connection_record_counts_the_media_received);
  tcase_add_test (tc, test_h264_publisher_offering_in_its_request_gets_parsed_h264_access_units);
  tcase_add_test (tc, test_every_pad_of_a_publisher_exists_before_any_buffer_flows);
  tcase_add_test (tc, test_an_unlinked_pad_stops_neither_the_pipeline_nor_the_other_pads);
  tcase_add_test (tc, test_when_every_pad_is_unlinked_the_publisher_fails_with_not_linked);
  tcase_add_test (tc, test_pads_carry_a_publisher_id_stream_tag);
  tcase_add_test (tc, test_a_publisher_ending_its_session_ends_its_pads_with_eos_then_removes_them);
  tcase_add_test (tc, test_two_publishers_at_once_get_their_own_pads);
  tcase_add_test (tc, test_max_publishers_refuses_the_next_publisher_with_a_reason);
  tcase_add_test (tc, test_an_offer_without_an_accepted_codec_is_refused_and_others_still_publish);
  tcase_add_test (tc, test_garbage_sdp_ends_only_that_session);
  tcase_add_test (tc, test_a_signaller_kind_that_only_publishes_is_refused_with_a_reason);
  tcase_add_test (tc, test_null_playing_null_repeated_frees_the_element);
  tcase_add_test (tc, test_state_cycles_with_a_publisher_free_everything);
  return s;
}

GST_CHECK_MAIN (rtcingestsrc);
