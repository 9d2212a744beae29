/* rtcingestsrc as a WHIP server: an in-process webrtcbin publisher POSTs its offer to the
 * element's own embedded server (/whip on 127.0.0.1, a free port), trickles its candidates with
 * PATCH, and its media comes out of a src pad; DELETE ends the publisher. No test signaller: the
 * real RtcEmbeddedSignaller and HTTP all the way. */
#include <gst/check/gstcheck.h>
#include <gst/webrtc/webrtc.h>
#include <libsoup/soup.h>

#include "helpers/loopback-peer.h"
#include "helpers/test-signaller.h"

#include <mutex>
#include <string>
#include <vector>

namespace
{

struct Http
{
  guint status = 0;
  std::string body, location, etag;
};

/* Blocking is fine here: the server runs on the signaller's own thread. */
Http
http (const char *method, const std::string &url, const std::string &body = {},
      const char *content_type = nullptr, const char *if_match = nullptr)
{
  SoupSession *session = soup_session_new ();
  SoupMessage *msg = soup_message_new (method, url.c_str ());
  fail_unless (msg != nullptr, "bad URL %s", url.c_str ());
  if (content_type)
    {
      GBytes *b = g_bytes_new (body.data (), body.size ());
      soup_message_set_request_body_from_bytes (msg, content_type, b);
      g_bytes_unref (b);
    }
  if (if_match)
    soup_message_headers_append (soup_message_get_request_headers (msg), "If-Match", if_match);
  GError *err = nullptr;
  GBytes *reply = soup_session_send_and_read (session, msg, nullptr, &err);
  fail_unless (reply != nullptr, "%s %s: %s", method, url.c_str (), err ? err->message : "");
  Http r;
  r.status = soup_message_get_status (msg);
  gsize len = 0;
  const char *d = static_cast<const char *> (g_bytes_get_data (reply, &len));
  r.body.assign (d ? d : "", len);
  SoupMessageHeaders *h = soup_message_get_response_headers (msg);
  if (const char *loc = soup_message_headers_get_one (h, "Location"))
    r.location = loc;
  if (const char *etag = soup_message_headers_get_one (h, "ETag"))
    r.etag = etag;
  g_bytes_unref (reply);
  g_object_unref (msg);
  g_object_unref (session);
  return r;
}

/* The publisher's local candidates, as webrtcbin reports them (on its own thread). */
struct Candidates
{
  std::mutex lock;
  std::vector<std::pair<guint, std::string>> list;
};

void
on_candidate (GstElement *, guint mline, gchar *candidate, Candidates *c)
{
  std::lock_guard l (c->lock);
  c->list.emplace_back (mline, candidate);
}

/* The a=mid of each m-line of @sdp. */
std::vector<std::string>
mids_of (const std::string &sdp)
{
  std::vector<std::string> mids;
  gchar **lines = g_strsplit (sdp.c_str (), "\n", -1);
  for (gchar **l = lines; *l; l++)
    {
      g_strchomp (*l);
      if (g_str_has_prefix (*l, "m="))
        mids.emplace_back ();
      else if (g_str_has_prefix (*l, "a=mid:") && !mids.empty ())
        mids.back () = *l + 6;
    }
  g_strfreev (lines);
  return mids;
}

struct Received
{
  std::mutex lock;
  int buffers = 0;
  std::string caps;
  bool eos = false;
};

GstPadProbeReturn
on_data (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *r = static_cast<Received *> (data);
  std::lock_guard l (r->lock);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    r->buffers++;
  else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    r->eos = true;
  else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS)
    {
      GstCaps *caps;
      gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
      gchar *s = gst_caps_to_string (caps);
      r->caps = s;
      g_free (s);
    }
  return GST_PAD_PROBE_OK;
}

void
on_pad_added (GstElement *src, GstPad *pad, Received *r)
{
  GstElement *pipe = GST_ELEMENT (gst_element_get_parent (src));
  GstElement *fs = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (fs, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add (GST_BIN (pipe), fs);
  gst_element_sync_state_with_parent (fs);
  GstPad *sinkpad = gst_element_get_static_pad (fs, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
  gst_object_unref (pipe);
  gst_pad_add_probe (
      pad, GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      on_data, r, nullptr);
}

} // namespace

GST_START_TEST (test_a_whip_publisher_posting_to_slash_whip_gets_its_video_out_of_a_pad)
{
  /* The element with its embedded server on a free port. */
  GstElement *pipe = gst_pipeline_new (nullptr);
  GstElement *src = gst_element_factory_make ("rtcingestsrc", nullptr);
  g_object_set (src, "address", "127.0.0.1:0", "ice-local-addresses", "127.0.0.1", nullptr);
  gst_bin_add (GST_BIN (pipe), src);
  Received received;
  g_signal_connect (src, "pad-added", G_CALLBACK (on_pad_added), &received);
  fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  gchar *page = nullptr;
  g_object_get (src, "url", &page, nullptr);
  fail_unless (page != nullptr);
  std::string base (page);
  g_free (page);
  base = base.substr (0, base.find ('/', strlen ("http://")));

  /* The publisher: a sendonly VP8 webrtcbin on loopback. */
  GError *err = nullptr;
  GstElement *pub = gst_parse_launch (
      "webrtcbin name=w bundle-policy=max-bundle videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! vp8enc deadline=1 keyframe-max-dist=30 ! "
      "rtpvp8pay ! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! "
      "w.",
      &err);
  fail_unless (pub != nullptr, "%s", err ? err->message : "");
  GstElement *webrtc = gst_bin_get_by_name (GST_BIN (pub), "w");
  loopback_peer_use_loopback (webrtc);
  Candidates cands;
  g_signal_connect (webrtc, "on-ice-candidate", G_CALLBACK (on_candidate), &cands);
  gst_element_set_state (pub, GST_STATE_PLAYING);
  GArray *transceivers = nullptr;
  g_signal_emit_by_name (webrtc, "get-transceivers", &transceivers);
  for (guint i = 0; i < transceivers->len; i++)
    g_object_set (g_array_index (transceivers, GstWebRTCRTPTransceiver *, i), "direction",
                  GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
  g_array_unref (transceivers);
  const std::string offer = loopback_peer_create_local (webrtc, "offer", "no offer");

  /* POST the offer: 201 with the element's answer and its candidates. */
  Http created = http ("POST", base + "/whip", offer, "application/sdp");
  fail_unless_equals_int (created.status, 201);
  fail_unless (g_str_has_prefix (created.location.c_str (), "/whip/"), "Location %s",
               created.location.c_str ());
  fail_unless (created.body.find ("a=candidate:") != std::string::npos,
               "the answer carries no candidate:\n%s", created.body.c_str ());
  loopback_peer_set_remote (webrtc, GST_WEBRTC_SDP_TYPE_ANSWER, created.body);

  /* Trickle our candidates (gathered meanwhile) with one PATCH. */
  fail_unless (wait_until ([&] {
    std::lock_guard l (cands.lock);
    return !cands.list.empty ();
  }));
  const std::vector<std::string> mids = mids_of (offer);
  std::string frag;
  {
    std::lock_guard l (cands.lock);
    for (guint m = 0; m < mids.size (); m++)
      {
        frag += "m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:" + mids[m] + "\r\n";
        for (const auto &[mline, c] : cands.list)
          if (mline == m)
            frag += "a=" + c + "\r\n";
      }
  }
  Http patched = http ("PATCH", base + created.location, frag, "application/trickle-ice-sdpfrag",
                       created.etag.c_str ());
  fail_unless_equals_int (patched.status, 204);

  /* Media comes out of the element. */
  fail_unless (wait_until ([&] {
                 std::lock_guard l (received.lock);
                 return received.buffers >= 10;
               }),
               "no media arrived (%d buffers)", received.buffers);
  {
    std::lock_guard l (received.lock);
    fail_unless (g_str_has_prefix (received.caps.c_str (), "video/x-vp8"), "caps %s",
                 received.caps.c_str ());
  }
  guint publishers = 0;
  g_object_get (src, "publishers", &publishers, nullptr);
  fail_unless_equals_int (publishers, 1);

  /* DELETE ends the publisher: its pad gets EOS and goes, the resource is gone. */
  fail_unless_equals_int (http ("DELETE", base + created.location).status, 200);
  fail_unless (wait_until ([&] {
    guint n = 1;
    g_object_get (src, "publishers", &n, nullptr);
    return n == 0;
  }));
  fail_unless (wait_until ([&] {
                 std::lock_guard l (received.lock);
                 return received.eos;
               }),
               "the publisher's pad got no EOS");
  fail_unless (wait_until ([&] {
                 GST_OBJECT_LOCK (src);
                 const bool none = GST_ELEMENT (src)->numsrcpads == 0;
                 GST_OBJECT_UNLOCK (src);
                 return none;
               }),
               "the publisher's pad was not removed");
  fail_unless_equals_int (http ("DELETE", base + created.location).status, 404);

  gst_element_set_state (pub, GST_STATE_NULL);
  gst_object_unref (webrtc);
  gst_object_unref (pub);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
}
GST_END_TEST;

static Suite *
rtcingestsrc_whip_suite ()
{
  Suite *s = suite_create ("rtcingestsrc-whip");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_a_whip_publisher_posting_to_slash_whip_gets_its_video_out_of_a_pad);
  return s;
}

GST_CHECK_MAIN (rtcingestsrc_whip);
