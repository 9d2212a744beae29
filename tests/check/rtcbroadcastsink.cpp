/* rtcbroadcastsink: pads, states, errors, and whole sessions driven through an in-process
 * signaller against a real receiving webrtcbin on loopback (no browser, no network). */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "elements/encoder-table.h"
#include "helpers/loopback-peer.h"
#include "helpers/test-signaller.h"

#include <atomic>
#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

/* --- helpers ----------------------------------------------------------------------------- */

static GstElement *
make_sender (TestSignaller *sig, const char *extra, GstElement **sink_out)
{
  std::string launch = std::string ("rtcbroadcastsink name=s ice-local-addresses=127.0.0.1 ") +
                       extra +
                       " videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1"
                       " ! s.video_0 audiotestsrc is-live=true ! s.audio_0";
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch (launch.c_str (), &err);
  fail_unless (pipe != nullptr, "%s", err ? err->message : "");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "s");
  if (sig)
    g_object_set (sink, "signaller", sig, nullptr);
  *sink_out = sink;
  return pipe;
}

// A sender whose video is already H.264 (an IP camera stand-in): passed through, no encoder.
static GstElement *
make_h264_passthrough_sender (TestSignaller *sig, GstElement **sink_out)
{
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch (
      "rtcbroadcastsink name=s ice-local-addresses=127.0.0.1 videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! x264enc tune=zerolatency key-int-max=30 ! "
      "video/x-h264,profile=constrained-baseline ! h264parse ! s.video_0",
      &err);
  fail_unless (pipe != nullptr, "%s", err ? err->message : "");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "s");
  g_object_set (sink, "signaller", sig, nullptr);
  *sink_out = sink;
  return pipe;
}

// Keeps only the listed payload types on the m=video line of an offer (and their attributes).
static std::string
keep_video_pts (const std::string &sdp, const std::vector<std::string> &keep)
{
  std::string out;
  gchar **lines = g_strsplit (sdp.c_str (), "\r\n", -1);
  bool in_video = false;
  for (gchar **l = lines; *l; l++)
    {
      std::string line = *l;
      if (line.empty ())
        continue;
      if (g_str_has_prefix (*l, "m="))
        in_video = g_str_has_prefix (*l, "m=video");
      if (in_video && g_str_has_prefix (*l, "m=video"))
        {
          gchar **f = g_strsplit (*l, " ", -1);
          line = std::string (f[0]) + " " + f[1] + " " + f[2];
          for (auto &k : keep)
            line += " " + k;
          g_strfreev (f);
        }
      else if (in_video && (g_str_has_prefix (*l, "a=rtpmap:") || g_str_has_prefix (*l, "a=fmtp:") ||
                            g_str_has_prefix (*l, "a=rtcp-fb:")))
        {
          std::string pt = line.substr (line.find (':') + 1);
          pt = pt.substr (0, pt.find_first_of (" "));
          if (std::find (keep.begin (), keep.end (), pt) == keep.end ())
            continue;
        }
      out += line + "\r\n";
    }
  g_strfreev (lines);
  return out;
}

/* A receiving webrtcbin in this process: the remote peer of a session. */
struct Receiver
{
  GstElement *pipe = nullptr;
  GstElement *webrtc = nullptr;
  std::atomic<int> video_buffers{ 0 };
  std::mutex lock;
  std::string encoding_name;
  int video_pt = -1;
  int playout_max_ms = -1; // the last playout-delay extension's maximum, -1 = none seen
  int frames_with_playout_delay = 0;
  std::string answer;
};

static GstPadProbeReturn
count_buffers (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  auto *r = static_cast<Receiver *> (data);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (caps)
    {
      const gchar *media = gst_structure_get_string (gst_caps_get_structure (caps, 0), "media");
      if (g_strcmp0 (media, "video") == 0)
        {
          std::lock_guard l (r->lock);
          r->encoding_name = gst_structure_get_string (gst_caps_get_structure (caps, 0), "encoding-name");
          gst_structure_get_int (gst_caps_get_structure (caps, 0), "payload", &r->video_pt);
          GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
          if (gst_rtp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ, &rtp))
            {
              gpointer data = nullptr;
              guint size = 0;
              if (gst_rtp_buffer_get_extension_onebyte_header (&rtp, 6, 0, &data, &size)
                  && size == 3)
                {
                  const guint8 *d = static_cast<const guint8 *> (data);
                  r->playout_max_ms = (((d[1] & 0x0f) << 8) | d[2]) * 10;
                  r->frames_with_playout_delay++;
                }
              gst_rtp_buffer_unmap (&rtp);
            }
          r->video_buffers++;
        }
      gst_caps_unref (caps);
    }
  return GST_PAD_PROBE_OK;
}

static void
on_receiver_pad (GstElement *, GstPad *pad, Receiver *r)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  GstElement *fs = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (fs, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add (GST_BIN (r->pipe), fs);
  gst_element_sync_state_with_parent (fs);
  GstPad *sinkpad = gst_element_get_static_pad (fs, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers, r, nullptr);
}

static void
receiver_start (Receiver *r, TestSignaller *sig, const std::string &sid)
{
  r->pipe = gst_pipeline_new (nullptr);
  r->webrtc = gst_element_factory_make ("webrtcbin", nullptr);
  g_object_set (r->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  gst_bin_add (GST_BIN (r->pipe), r->webrtc);
  loopback_peer_use_loopback (r->webrtc);
  g_signal_connect (r->webrtc, "pad-added", G_CALLBACK (on_receiver_pad), r);
  gst_element_set_state (r->pipe, GST_STATE_PLAYING);
  loopback_peer_route_ice (r->webrtc, sig, sid);

}

// Applies @offer to the receiver and returns its answer text.
static std::string
receiver_answer (Receiver *r, const std::string &offer)
{
  loopback_peer_set_remote (r->webrtc, GST_WEBRTC_SDP_TYPE_OFFER, offer);
  return loopback_peer_create_local (r->webrtc, "answer", "receiver produced no answer");
}

static void
receiver_stop (Receiver *r)
{
  if (!r->pipe)
    return;
  gst_element_set_state (r->pipe, GST_STATE_NULL);
  gst_object_unref (r->pipe);
  r->pipe = nullptr;
}

// Waits for the element's offer for @sid and returns it.
static std::string
wait_offer (TestSignaller *sig, const std::string &sid)
{
  fail_unless (wait_until ([&] { return !sent_for (sig, sid, "sdp").empty (); }),
               "no offer for session %s", sid.c_str ());
  auto s = sent_for (sig, sid, "sdp").front ();
  fail_unless_equals_string (s.a.c_str (), "offer");
  return s.b;
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

// The elements made by @factory_name anywhere in @bin (new references).
static std::vector<GstElement *>
elements_by_factory (GstElement *bin, const char *factory_name)
{
  std::vector<GstElement *> out;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK)
    {
      auto *e = GST_ELEMENT (g_value_get_object (&v));
      GstElementFactory *f = gst_element_get_factory (e);
      if (f && g_str_equal (GST_OBJECT_NAME (f), factory_name))
        out.push_back (GST_ELEMENT (gst_object_ref (e)));
      g_value_reset (&v);
    }
  g_value_unset (&v);
  gst_iterator_free (it);
  return out;
}

static guint
count_factory (GstElement *bin, const char *factory_name)
{
  auto found = elements_by_factory (bin, factory_name);
  for (auto *e : found)
    gst_object_unref (e);
  return found.size ();
}

// The "encoder" property of every rtcencodebin in @bin whose codec is @codec_nick: the factory each
// chose, whichever this machine has (x264enc, openh264enc, a hardware encoder).
static std::vector<std::string>
encoders_for (GstElement *bin, const char *codec_nick)
{
  std::vector<std::string> out;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK)
    {
      GstElement *e = GST_ELEMENT (g_value_get_object (&v));
      GstElementFactory *f = gst_element_get_factory (e);
      if (f && g_str_equal (GST_OBJECT_NAME (f), "rtcencodebin"))
        {
          GParamSpec *ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "codec");
          gint codec = 0;
          gchar *encoder = nullptr;
          g_object_get (e, "codec", &codec, "encoder", &encoder, nullptr);
          GEnumValue *ev = g_enum_get_value (G_PARAM_SPEC_ENUM (ps)->enum_class, codec);
          if (ev && g_str_equal (ev->value_nick, codec_nick))
            out.emplace_back (encoder ? encoder : "");
          g_free (encoder);
        }
      g_value_reset (&v);
    }
  g_value_unset (&v);
  gst_iterator_free (it);
  return out;
}

// Fails unless @pipe encodes H.264 with exactly one encoder, an H.264 one by the encoder table.
static void
assert_one_h264_encoder (GstElement *pipe)
{
  const auto h264 = encoders_for (pipe, "h264");
  fail_unless_equals_int (h264.size (), 1);
  const rtc::enc::EncoderInfo *info = rtc::enc::find_encoder_info (h264[0].c_str ());
  fail_unless (info && info->codec == rtc::enc::Codec::H264, "rtcencodebin reports encoder '%s'",
               h264[0].c_str ());
  fail_unless_equals_int (count_factory (pipe, h264[0].c_str ()), 1);
}

/* --- tests ------------------------------------------------------------------------------- */

GST_START_TEST (test_request_pads_are_named_by_kind_and_release_cleanly)
{
  GstElement *sink = gst_element_factory_make ("rtcbroadcastsink", nullptr);
  GstPad *v0 = gst_element_request_pad_simple (sink, "video_%u");
  GstPad *a0 = gst_element_request_pad_simple (sink, "audio_%u");
  GstPad *v1 = gst_element_request_pad_simple (sink, "video_%u");
  fail_unless_equals_string (GST_PAD_NAME (v0), "video_0");
  fail_unless_equals_string (GST_PAD_NAME (a0), "audio_0");
  fail_unless_equals_string (GST_PAD_NAME (v1), "video_1");
  gst_element_release_request_pad (sink, v1);
  gst_object_unref (v1);
  fail_unless_equals_int (sink->numsinkpads, 2);
  gst_element_release_request_pad (sink, v0);
  gst_element_release_request_pad (sink, a0);
  gst_object_unref (v0);
  gst_object_unref (a0);
  fail_unless_equals_int (sink->numsinkpads, 0);
  gst_object_unref (sink);
}
GST_END_TEST;

GST_START_TEST (test_null_playing_null_repeated_frees_the_element)
{
  for (int i = 0; i < 4; i++)
    {
      GstElement *sink;
      GstElement *pipe = make_sender (nullptr, "address=127.0.0.1:0", &sink);
      fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
      gchar *url = nullptr;
      fail_unless (wait_until ([&] {
        g_free (url);
        g_object_get (sink, "url", &url, nullptr);
        return url != nullptr;
      }));
      fail_unless (g_str_has_prefix (url, "http://127.0.0.1:"), "url %s", url);
      g_free (url);
      g_usleep (200 * 1000);
      fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
      gst_object_unref (sink);
      gst_check_objects_destroyed_on_unref (pipe, sink, nullptr);
    }
}
GST_END_TEST;

GST_START_TEST (test_signaller_child_takes_the_remote_server_uri_and_names_it_when_unreachable)
{
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch (
      "videotestsrc is-live=true ! rtcbroadcastsink name=s serve=false "
      "signaller::uri=ws://127.0.0.1:1/ws signaller::auth-token=secret", &err);
  fail_unless (pipe != nullptr, "%s", err ? err->message : "");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "s");
  GObject *child = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (sink), "signaller");
  fail_unless (child != nullptr, "no signaller child");
  gchar *uri = nullptr;
  g_object_get (child, "uri", &uri, nullptr);
  fail_unless_equals_string (uri, "ws://127.0.0.1:1/ws");
  g_free (uri);
  g_object_unref (child);

  const std::string error = error_on_start (pipe);
  fail_unless (error.find ("ws://127.0.0.1:1/ws") != std::string::npos,
               "the error does not name the URI: '%s'", error.c_str ());
  gst_object_unref (sink);
  gst_object_unref (pipe);
}
GST_END_TEST;

// Publishing into a real Janus is tests/e2e/test_janus_videoroom.py; here, no Janus answers.
GST_START_TEST (test_janus_uri_gives_a_janus_signaller_naming_uri_and_room_when_unreachable)
{
  GError *err = nullptr;
  // gst-launch 1.22 sets child properties last to first: room before the uri reaches the Janus
  // signaller that the uri made.
  GstElement *pipe = gst_parse_launch (
      "videotestsrc is-live=true ! rtcbroadcastsink name=s serve=false video-codecs=vp8 "
      "signaller::room=4321 signaller::uri=janus+http://127.0.0.1:1/janus", &err);
  fail_unless (pipe != nullptr, "%s", err ? err->message : "");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "s");
  GObject *child = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (sink), "signaller");
  fail_unless_equals_string (G_OBJECT_TYPE_NAME (child), "RtcJanusSignaller");
  guint64 room = 0;
  g_object_get (child, "room", &room, nullptr);
  fail_unless_equals_uint64 (room, 4321);
  g_object_unref (child);

  const std::string error = error_on_start (pipe);
  fail_unless (error.find ("janus+http://127.0.0.1:1/janus") != std::string::npos,
               "the error does not name the URI: '%s'", error.c_str ());
  fail_unless (error.find ("room 4321") != std::string::npos, "the error does not name the room: '%s'",
               error.c_str ());
  gst_object_unref (sink);
  gst_object_unref (pipe);
}
GST_END_TEST;

// The spelling: signaller=whip picks the kind, so its settings may follow in the order
// one writes them (gst-launch 1.22 applies signaller::x last to first).
GST_START_TEST (test_signaller_named_on_the_line_takes_its_settings_in_any_order)
{
  struct Case
  {
    const char *line, *type, *check;
  } cases[] = {
    { "signaller=whip signaller::uri=http://127.0.0.1:1/whip signaller::retries=3",
      "RtcWhipSignaller", "retries" },
    { "signaller=WHIP signaller::retries=3 signaller::uri=http://127.0.0.1:1/whip",
      "RtcWhipSignaller", "retries" },
    { "signaller=janus signaller::uri=janus+http://127.0.0.1:1/janus signaller::room=3",
      "RtcJanusSignaller", "room" },
    { "signaller=ws signaller::uri=ws://127.0.0.1:1/ws", "RtcWsSignaller", nullptr },
  };
  for (const Case &c : cases)
    {
      GError *err = nullptr;
      std::string line = std::string ("videotestsrc is-live=true ! rtcbroadcastsink name=s ") + c.line;
      GstElement *pipe = gst_parse_launch (line.c_str (), &err);
      fail_unless (pipe != nullptr, "%s: %s", c.line, err ? err->message : "");
      GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "s");
      GObject *child = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (sink), "signaller");
      fail_unless_equals_string (G_OBJECT_TYPE_NAME (child), c.type);
      GObject *prop = nullptr;
      g_object_get (sink, "signaller", &prop, nullptr);
      fail_unless (prop == child, "%s: the signaller property is not the child", c.line);
      g_object_unref (prop);
      if (c.check)
        {
          guint64 room = 0;
          guint retries = 0;
          if (g_str_equal (c.check, "room"))
            g_object_get (child, "room", &room, nullptr);
          else
            g_object_get (child, "retries", &retries, nullptr);
          fail_unless (room == 3 || retries == 3, "%s: %s not set", c.line, c.check);
        }
      gchar *uri = nullptr;
      g_object_get (child, "uri", &uri, nullptr);
      fail_unless (uri && strstr (c.line, uri), "%s: uri %s", c.line, uri);
      g_free (uri);
      g_object_unref (child);
      gst_object_unref (sink);
      gst_object_unref (pipe);
    }
  // A name no kind has: a parse error on that property.
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch ("videotestsrc ! rtcbroadcastsink signaller=carrier-pigeon", &err);
  fail_unless (err != nullptr, "signaller=carrier-pigeon parsed");
  fail_unless (strstr (err->message, "signaller") != nullptr, "%s", err->message);
  g_error_free (err);
  if (pipe)
    gst_object_unref (pipe);
}
GST_END_TEST;

// A named signaller is used whatever `serve` says (as an application's is): no embedded server
// starts, and an unreachable URL is the error.
GST_START_TEST (test_a_named_signaller_is_used_instead_of_the_embedded_server)
{
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch (
      "videotestsrc is-live=true ! rtcbroadcastsink name=s signaller=ws "
      "signaller::uri=ws://127.0.0.1:1/ws", &err);
  fail_unless (pipe != nullptr, "%s", err ? err->message : "");
  const std::string error = error_on_start (pipe);
  fail_unless (error.find ("ws://127.0.0.1:1/ws") != std::string::npos, "'%s'", error.c_str ());
  gst_object_unref (pipe);
}
GST_END_TEST;

GST_START_TEST (test_port_in_use_is_an_element_error_naming_the_address)
{
  GError *err = nullptr;
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &err);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  fail_unless (g_socket_bind (sock, addr, FALSE, &err));
  fail_unless (g_socket_listen (sock, &err));
  GSocketAddress *bound = g_socket_get_local_address (sock, &err);
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  gchar *address = g_strdup_printf ("127.0.0.1:%u", port);

  GstElement *sink = gst_element_factory_make ("rtcbroadcastsink", nullptr);
  g_object_set (sink, "address", address, nullptr);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (sink, bus);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != nullptr, "no error message on the bus");
  GError *gerr = nullptr;
  gst_message_parse_error (msg, &gerr, nullptr);
  fail_unless (strstr (gerr->message, address) != nullptr, "error does not name %s: %s", address, gerr->message);
  fail_unless (strstr (gerr->message, "address=") != nullptr, "error does not name the property: %s", gerr->message);
  g_error_free (gerr);
  gst_message_unref (msg);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, nullptr);
  gst_object_unref (bus);
  gst_object_unref (sink);
  g_free (address);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  g_object_unref (sock);
}
GST_END_TEST;

// Runs one whole session: offer from the element, answer from a real webrtcbin, media flows.
static void
run_session (TestSignaller *sig, GstElement *pipe, const std::string &sid,
             const std::vector<std::string> &keep_pts, const char *expect_encoding, Receiver *r)
{
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), sid.c_str (), ("peer-" + sid).c_str (), nullptr);
  std::string offer = wait_offer (sig, sid);
  if (!keep_pts.empty ())
    offer = keep_video_pts (offer, keep_pts);
  receiver_start (r, sig, sid);
  std::string answer = receiver_answer (r, offer);
  r->answer = answer;
  rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), sid.c_str (), "answer", answer.c_str ());
  fail_unless (wait_until ([&] { return r->video_buffers.load () >= 30; }, 15000),
               "session %s: no video reached the receiver (%d buffers)", sid.c_str (),
               r->video_buffers.load ());
  std::lock_guard l (r->lock);
  fail_unless_equals_string (r->encoding_name.c_str (), expect_encoding);
  (void) pipe;
}

GST_START_TEST (test_offer_lists_every_preferred_codec_and_the_answer_picks_one)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  GstElement *sink;
  GstElement *pipe = make_sender (sig, "", &sink);
  GstBus *bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "s1", "p1", nullptr);
  std::string offer = wait_offer (sig, "s1");
  fail_unless (offer.find ("H264/90000") != std::string::npos, "offer lacks H264:\n%s", offer.c_str ());
  fail_unless (offer.find ("VP8/90000") != std::string::npos, "offer lacks VP8:\n%s", offer.c_str ());
  fail_unless (offer.find ("opus/48000") != std::string::npos || offer.find ("OPUS/48000") != std::string::npos,
               "offer lacks Opus:\n%s", offer.c_str ());
  fail_unless (offer.find ("profile-level-id=42e01f") != std::string::npos);
  // H.264 is preferred: it comes first on the m-line.
  fail_unless (offer.find ("m=video 9 UDP/TLS/RTP/SAVPF 96 97") != std::string::npos, "%s", offer.c_str ());

  Receiver r;
  receiver_start (&r, sig, "s1");
  std::string answer = receiver_answer (&r, offer);
  rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), "s1", "answer", answer.c_str ());
  fail_unless (wait_until ([&] { return r.video_buffers.load () >= 30; }, 15000), "no video flowed");
  {
    std::lock_guard l (r.lock);
    fail_unless_equals_string (r.encoding_name.c_str (), "H264");
  }
  auto joined = element_messages (bus, "rtckit-viewer-joined");
  fail_unless_equals_int (joined.size (), 1);
  fail_unless_equals_string (gst_structure_get_string (joined[0], "video-codec"), "h264");
  fail_unless_equals_string (gst_structure_get_string (joined[0], "audio-codec"), "opus");
  for (auto *s : joined)
    gst_structure_free (s);
  guint viewers = 0;
  g_object_get (sink, "viewers", &viewers, nullptr);
  fail_unless_equals_int (viewers, 1);

  // The viewer leaves: its peer is gone and a left message says so.
  rtc_signaller_emit_session_ended (RTC_SIGNALLER (sig), "s1");
  fail_unless (wait_until ([&] {
    g_object_get (sink, "viewers", &viewers, nullptr);
    return viewers == 0;
  }));
  fail_unless (wait_until ([&] { return count_factory (pipe, "rtcpeerbin") == 0; }));
  receiver_stop (&r);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_a_peer_without_h264_gets_vp8_from_a_second_encoder)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  GstElement *sink;
  GstElement *pipe = make_sender (sig, "", &sink);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  Receiver r;
  run_session (sig, pipe, "vp8-viewer", { "97" }, "VP8", &r);
  fail_unless_equals_int (count_factory (pipe, "vp8enc"), 1);
  receiver_stop (&r);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_three_viewers_of_one_codec_share_one_video_encoder)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  GstElement *sink;
  GstElement *pipe = make_sender (sig, "", &sink);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  Receiver r[3];
  for (int i = 0; i < 3; i++)
    {
      run_session (sig, pipe, "v" + std::to_string (i), {}, "H264", &r[i]);
    }
  fail_unless_equals_int (count_factory (pipe, "rtcpeerbin"), 3);
  assert_one_h264_encoder (pipe);
  fail_unless_equals_int (encoders_for (pipe, "vp8").size (), 0);
  // One viewer goes away; the others keep receiving.
  rtc_signaller_emit_session_ended (RTC_SIGNALLER (sig), "v0");
  fail_unless (wait_until ([&] { return count_factory (pipe, "rtcpeerbin") == 2; }));
  int before1 = r[1].video_buffers.load (), before2 = r[2].video_buffers.load ();
  fail_unless (wait_until ([&] {
    return r[1].video_buffers.load () > before1 + 30 && r[2].video_buffers.load () > before2 + 30;
  }), "remaining viewers stopped receiving");
  for (auto &x : r)
    receiver_stop (&x);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_pre_encoded_h264_is_passed_through_without_an_encoder)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  GstElement *sink;
  GstElement *pipe = make_h264_passthrough_sender (sig, &sink);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "pt", "p", nullptr);
  std::string offer = wait_offer (sig, "pt");
  fail_unless (offer.find ("VP8") == std::string::npos, "passthrough H.264 must offer only H.264:\n%s", offer.c_str ());
  Receiver r;
  receiver_start (&r, sig, "pt");
  rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), "pt", "answer", receiver_answer (&r, offer).c_str ());
  fail_unless (wait_until ([&] { return r.video_buffers.load () >= 30; }, 15000));
  fail_unless_equals_int (count_factory (pipe, "rtcencodebin"), 0);
  fail_unless_equals_int (count_factory (pipe, "x264enc"), 1); // the user's own
  receiver_stop (&r);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_object_unref (sig);
}
GST_END_TEST;

// A viewer that offers (a WHEP player): recvonly transceivers with its own payload numbers, or
// transceivers of @direction.
static std::string
receiver_offer (Receiver *r, const char *video_caps, const char *audio_caps,
                GstWebRTCRTPTransceiverDirection direction
                = GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY)
{
  for (const char *c : { video_caps, audio_caps })
    {
      if (!c)
        continue;
      GstCaps *caps = gst_caps_from_string (c);
      GstWebRTCRTPTransceiver *trans = nullptr;
      g_signal_emit_by_name (r->webrtc, "add-transceiver", direction, caps, &trans);
      gst_caps_unref (caps);
      fail_unless (trans != nullptr);
      gst_object_unref (trans);
    }
  return loopback_peer_create_local (r->webrtc, "offer", "the viewer produced no offer");
}

static int
received_video_pt (Receiver *r)
{
  std::lock_guard l (r->lock);
  return r->video_pt;
}

GST_START_TEST (test_a_viewer_that_offers_gets_an_answer_in_its_own_payload_types)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  GstElement *sink;
  GstElement *pipe = make_sender (sig, "", &sink);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  Receiver r;
  receiver_start (&r, sig, "whep");
  // VP8 first in the offer, H.264 under a number we never use: the stream's own preference
  // (H.264) wins, sent under the viewer's number.
  std::string offer = receiver_offer (
      &r,
      "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=120;"
      "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=102,"
      "packetization-mode=(string)1,profile-level-id=(string)42e01f",
      "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=109");
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "whep", "player", offer.c_str ());
  fail_unless (wait_until ([&] { return !sent_for (sig, "whep", "sdp").empty (); }),
               "no answer from the element");
  auto sent = sent_for (sig, "whep", "sdp").front ();
  fail_unless_equals_string (sent.a.c_str (), "answer");
  fail_unless (sent.b.find ("a=rtpmap:102 H264/90000") != std::string::npos, "%s", sent.b.c_str ());
  fail_unless (sent.b.find ("a=sendonly") != std::string::npos, "%s", sent.b.c_str ());
  loopback_peer_set_remote (r.webrtc, GST_WEBRTC_SDP_TYPE_ANSWER, sent.b);
  fail_unless (wait_until ([&] { return r.video_buffers.load () >= 30; }, 15000),
               "no video reached the viewer that offered (%d buffers)", r.video_buffers.load ());
  {
    std::lock_guard l (r.lock);
    fail_unless_equals_string (r.encoding_name.c_str (), "H264");
  }
  fail_unless_equals_int (received_video_pt (&r), 102);
  assert_one_h264_encoder (pipe);
  receiver_stop (&r);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_an_offer_without_a_codec_the_stream_sends_is_refused_with_a_reason)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  GstElement *sink;
  GstElement *pipe = make_h264_passthrough_sender (sig, &sink);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  Receiver r;
  receiver_start (&r, sig, "vp8only");
  std::string offer = receiver_offer (
      &r, "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96", nullptr);
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "vp8only", "player", offer.c_str ());
  fail_unless (wait_until ([&] { return !sent_for (sig, "vp8only", "end").empty (); }));
  auto end = sent_for (sig, "vp8only", "end").front ();
  fail_unless (end.a.find ("no common video codec") != std::string::npos, "%s", end.a.c_str ());
  fail_unless (end.a.find ("h264") != std::string::npos, "%s", end.a.c_str ());
  fail_unless_equals_int (count_factory (pipe, "rtcpeerbin"), 0);
  // Garbage is refused the same way, and the element carries on.
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "junk", "player", "not sdp");
  fail_unless (wait_until ([&] { return !sent_for (sig, "junk", "end").empty (); }));
  fail_unless_equals_int (count_factory (pipe, "rtcpeerbin"), 0);
  receiver_stop (&r);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_video_frames_carry_the_playout_delay_the_property_asks_for)
{
  for (int delay : { 0, 150, -1 })
    {
      auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
      GstElement *sink;
      std::string extra = "playout-delay=" + std::to_string (delay);
      GstElement *pipe = make_sender (sig, extra.c_str (), &sink);
      gst_element_set_state (pipe, GST_STATE_PLAYING);
      Receiver r;
      rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "pd", "p", nullptr);
      std::string offer = wait_offer (sig, "pd");
      fail_unless (offer.find ("a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay")
                       != std::string::npos,
                   "the offer announces the extension:\n%s", offer.c_str ());
      receiver_start (&r, sig, "pd");
      rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), "pd", "answer", receiver_answer (&r, offer).c_str ());
      fail_unless (wait_until ([&] { return r.video_buffers.load () >= 150; }, 15000));
      {
        std::lock_guard l (r.lock);
        if (delay < 0)
          {
            fail_unless_equals_int (r.frames_with_playout_delay, 0);
          }
        else
          {
            // Once per frame (the first packet), not on every packet.
            fail_unless (r.frames_with_playout_delay > 5, "%d", r.frames_with_playout_delay);
            fail_unless (r.frames_with_playout_delay < r.video_buffers.load ());
            fail_unless_equals_int (r.playout_max_ms, delay);
          }
      }
      receiver_stop (&r);
      gst_element_set_state (pipe, GST_STATE_NULL);
      gst_object_unref (sink);
      gst_object_unref (pipe);
      g_object_unref (sig);
    }
}
GST_END_TEST;

// The first element made by @factory anywhere in @bin (a new reference), or null.
static GstElement *
find_by_factory (GstElement *bin, const char *factory)
{
  auto found = elements_by_factory (bin, factory);
  for (std::size_t i = 1; i < found.size (); i++)
    gst_object_unref (found[i]);
  return found.empty () ? nullptr : found[0];
}

// A viewer that asks for far more retransmissions than its stream affords (a narrow link
// losing packets) gets at most the budget; the rest are dropped and one keyframe is asked for
// instead. The RTX history is short enough to resend nothing a viewer can no longer play.
GST_START_TEST (test_retransmissions_stay_within_the_budget_and_a_keyframe_replaces_the_rest)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  GstElement *sink;
  GstElement *pipe = make_sender (sig, "video-codecs=vp8", &sink);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  Receiver r;
  run_session (sig, pipe, "rb", {}, "VP8", &r);

  GstElement *peer = find_by_factory (sink, "rtcpeerbin");
  fail_unless (peer != nullptr);
  GstElement *rtx = find_by_factory (peer, "rtprtxsend");
  fail_unless (rtx != nullptr, "the viewer's peer has no RTX sender");
  guint history = 0;
  g_object_get (rtx, "max-size-time", &history, nullptr);
  fail_unless_equals_int (history, 1000);
  // 200 lost packets asked for at once.
  GstPad *src = gst_element_get_static_pad (rtx, "src");
  for (guint i = 0; i < 200; i++)
    gst_pad_send_event (src, gst_event_new_custom (
                                 GST_EVENT_CUSTOM_UPSTREAM,
                                 gst_structure_new ("GstRTPRetransmissionRequest", "seqnum",
                                                    G_TYPE_UINT, i, "ssrc", G_TYPE_UINT, 0, nullptr)));
  gst_object_unref (src);
  GstStructure *st = nullptr;
  g_object_get (peer, "repair-stats", &st, nullptr);
  fail_unless (st != nullptr);
  guint64 requested = 0, resent = 0, dropped = 0, keyframes = 0;
  gst_structure_get (st, "retransmissions-requested", G_TYPE_UINT64, &requested,
                     "retransmitted", G_TYPE_UINT64, &resent, "retransmissions-dropped",
                     G_TYPE_UINT64, &dropped, "keyframes-for-loss", G_TYPE_UINT64, &keyframes,
                     nullptr);
  gst_structure_free (st);
  fail_unless_equals_int (requested, 200);
  fail_unless (resent <= 50, "%" G_GUINT64_FORMAT " retransmissions let through", resent);
  fail_unless_equals_int (resent + dropped, 200);
  fail_unless_equals_int (keyframes, 1);
  // The stream goes on.
  const int before = r.video_buffers.load ();
  fail_unless (wait_until ([&] { return r.video_buffers.load () >= before + 30; }, 10000));

  gst_object_unref (rtx);
  gst_object_unref (peer);
  receiver_stop (&r);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_max_viewers_refuses_the_next_viewer_with_a_reason)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  GstElement *sink;
  GstElement *pipe = make_sender (sig, "max-viewers=1", &sink);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "first", "p1", nullptr);
  wait_offer (sig, "first");
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "second", "p2", nullptr);
  fail_unless (wait_until ([&] { return !sent_for (sig, "second", "end").empty (); }));
  auto end = sent_for (sig, "second", "end").front ();
  fail_unless (end.a.find ("max-viewers") != std::string::npos, "reason: %s", end.a.c_str ());
  fail_unless (sent_for (sig, "second", "sdp").empty (), "the refused viewer got an offer");
  fail_unless (sent_for (sig, "first", "end").empty (), "the first viewer was disturbed");
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_an_answer_without_a_common_video_codec_ends_only_that_session)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  GstElement *sink;
  GstElement *pipe = make_sender (sig, "", &sink);
  GstBus *bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  Receiver good;
  run_session (sig, pipe, "good", {}, "H264", &good);

  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "bad", "p2", nullptr);
  std::string offer = wait_offer (sig, "bad");
  Receiver r;
  receiver_start (&r, sig, "bad");
  std::string answer = receiver_answer (&r, offer);
  // A browser that knows none of our video codecs answers with one we never offered.
  GRegex *re = g_regex_new ("m=video 9 UDP/TLS/RTP/SAVPF [0-9 ]+", GRegexCompileFlags (0), GRegexMatchFlags (0), nullptr);
  gchar *munged = g_regex_replace_literal (re, answer.c_str (), -1, 0, "m=video 9 UDP/TLS/RTP/SAVPF 45",
                                           GRegexMatchFlags (0), nullptr);
  g_regex_unref (re);
  rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), "bad", "answer", munged);
  g_free (munged);
  fail_unless (wait_until ([&] { return !sent_for (sig, "bad", "end").empty (); }));
  auto end = sent_for (sig, "bad", "end").front ();
  fail_unless (end.a.find ("no common video codec") != std::string::npos, "reason: %s", end.a.c_str ());
  fail_unless (sent_for (sig, "good", "end").empty (), "the good viewer was ended");
  GstMessage *warn = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (warn != nullptr, "no warning on the bus");
  gst_message_unref (warn);
  int before = good.video_buffers.load ();
  fail_unless (wait_until ([&] { return good.video_buffers.load () > before + 30; }));
  receiver_stop (&r);
  receiver_stop (&good);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_object_unref (sig);
}
GST_END_TEST;

GST_START_TEST (test_out_of_order_and_unknown_session_messages_are_harmless)
{
  auto *sig = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  GstElement *sink;
  GstElement *pipe = make_sender (sig, "", &sink);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  // Messages for sessions that never existed.
  rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), "nobody", "answer", "v=0\r\n");
  rtc_signaller_emit_ice (RTC_SIGNALLER (sig), "nobody", 0, "candidate:1 1 UDP 1 127.0.0.1 9 typ host");
  rtc_signaller_emit_session_ended (RTC_SIGNALLER (sig), "nobody");
  // A peer whose offer only sends (a publisher at the viewers' door) is refused with a reason. The
  // offer is real SDP in a codec the stream sends: the direction is what the element refuses.
  Receiver publisher;
  receiver_start (&publisher, sig, "offerer");
  const std::string sendonly = receiver_offer (
      &publisher,
      "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=102,"
      "packetization-mode=(string)1,profile-level-id=(string)42e01f",
      nullptr, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY);
  fail_unless (sendonly.find ("a=sendonly") != std::string::npos, "%s", sendonly.c_str ());
  fail_unless (sendonly.find ("a=rtpmap:102 H264/90000") != std::string::npos, "%s",
               sendonly.c_str ());
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "offerer", "p", sendonly.c_str ());
  fail_unless (wait_until ([&] { return !sent_for (sig, "offerer", "end").empty (); }));
  const std::string refused = sent_for (sig, "offerer", "end").front ().a;
  fail_unless (refused.find ("the offer asks for no media this stream sends") != std::string::npos,
               "reason: %s", refused.c_str ());
  fail_unless (sent_for (sig, "offerer", "sdp").empty (), "the refused peer got an answer");
  receiver_stop (&publisher);
  // Garbage instead of an answer ends that session only.
  rtc_signaller_emit_session_requested (RTC_SIGNALLER (sig), "garbage", "p", nullptr);
  wait_offer (sig, "garbage");
  rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), "garbage", "answer", "this is not SDP");
  rtc_signaller_emit_ice (RTC_SIGNALLER (sig), "garbage", 7, "candidate:bogus");
  fail_unless (wait_until ([&] { return !sent_for (sig, "garbage", "end").empty (); }));
  // An answer sent twice ends the session rather than confusing it.
  Receiver r;
  run_session (sig, pipe, "twice", {}, "H264", &r);
  rtc_signaller_emit_sdp (RTC_SIGNALLER (sig), "twice", "answer", r.answer.c_str ());
  fail_unless (wait_until ([&] { return !sent_for (sig, "twice", "end").empty (); }));
  fail_unless (wait_until ([&] { return count_factory (pipe, "rtcpeerbin") == 0; }));
  receiver_stop (&r);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_object_unref (sig);
}
GST_END_TEST;

static Suite *
rtcbroadcastsink_suite (void)
{
  Suite *s = suite_create ("rtcbroadcastsink");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 90);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_request_pads_are_named_by_kind_and_release_cleanly);
  tcase_add_test (tc, test_null_playing_null_repeated_frees_the_element);
  tcase_add_test (tc, test_port_in_use_is_an_element_error_naming_the_address);
  tcase_add_test (tc, test_offer_lists_every_preferred_codec_and_the_answer_picks_one);
  tcase_add_test (tc, test_a_peer_without_h264_gets_vp8_from_a_second_encoder);
  tcase_add_test (tc, test_three_viewers_of_one_codec_share_one_video_encoder);
  tcase_add_test (tc, test_pre_encoded_h264_is_passed_through_without_an_encoder);
  tcase_add_test (tc, test_a_viewer_that_offers_gets_an_answer_in_its_own_payload_types);
  tcase_add_test (tc, test_an_offer_without_a_codec_the_stream_sends_is_refused_with_a_reason);
  tcase_add_test (tc, test_video_frames_carry_the_playout_delay_the_property_asks_for);
  tcase_add_test (tc, test_retransmissions_stay_within_the_budget_and_a_keyframe_replaces_the_rest);
  tcase_add_test (tc, test_max_viewers_refuses_the_next_viewer_with_a_reason);
  tcase_add_test (tc, test_an_answer_without_a_common_video_codec_ends_only_that_session);
  tcase_add_test (tc, test_out_of_order_and_unknown_session_messages_are_harmless);
  tcase_add_test (tc, test_signaller_child_takes_the_remote_server_uri_and_names_it_when_unreachable);
  tcase_add_test (tc, test_janus_uri_gives_a_janus_signaller_naming_uri_and_room_when_unreachable);
  tcase_add_test (tc, test_signaller_named_on_the_line_takes_its_settings_in_any_order);
  tcase_add_test (tc, test_a_named_signaller_is_used_instead_of_the_embedded_server);
  return s;
}

GST_CHECK_MAIN (rtcbroadcastsink);
