/* rtcpeerbin: two peer bins in this process call each other over loopback (real ICE, DTLS,
 * SCTP; no signaller: the test passes the SDP and candidates). Media both ways on the same
 * m-lines, and data channels. */
#include <gst/check/gstcheck.h>
#include <gst/webrtc/webrtc.h>

#include "bin-util.h"
#include "elements/rtcpeerbin.h"
#include "gst-ptr.h"
#include "helpers/test-signaller.h"

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

using rtc::Ptr;

/* --- fixture ----------------------------------------------------------------------------- */

// One side: a pipeline with an rtcpeerbin, and what arrived there (written on webrtcbin's and
// streaming threads, read by the test under @lock).
struct Peer
{
  Ptr<GstElement> pipe;
  GstElement *bin = nullptr; // owned by pipe
  Peer *remote = nullptr;
  std::mutex lock;
  std::vector<std::pair<std::string, std::string>> messages; // label, text
  std::vector<std::pair<std::string, std::string>> datas;    // label, bytes
  std::multiset<std::string> opened, closed;
  std::map<std::string, int> decoded; // src pad name -> decoded buffers
  std::vector<std::string> failures;
  bool ice_live = false; // candidates go to the remote at once (else kept in ice_out)
  std::vector<std::pair<guint, std::string>> ice_out;

  template <typename F> auto read (F f)
  {
    std::lock_guard l (lock);
    return f ();
  }
};

static void
on_local_candidate (GstElement *, guint mline, const gchar *cand, Peer *p)
{
  if (!cand || !*cand)
    return;
  {
    std::lock_guard l (p->lock);
    if (!p->ice_live)
      {
        p->ice_out.emplace_back (mline, cand);
        return;
      }
  }
  g_signal_emit_by_name (p->remote->bin, "add-ice-candidate", mline, cand);
}

// From now on @p's candidates go to its remote (both descriptions are set there).
static void
start_ice (Peer *p)
{
  std::vector<std::pair<guint, std::string>> out;
  {
    std::lock_guard l (p->lock);
    p->ice_live = true;
    out.swap (p->ice_out);
  }
  for (auto &[mline, cand] : out)
    g_signal_emit_by_name (p->remote->bin, "add-ice-candidate", mline, cand.c_str ());
}

static void
peer_init (Peer *p, const char *extra_props = "")
{
  std::string launch
      = std::string ("rtcpeerbin name=peer ice-local-addresses=127.0.0.1 ") + extra_props;
  rtc::Error err;
  GstElement *bin = gst_parse_launch (launch.c_str (), err.out ());
  fail_unless (bin != nullptr, "%s", err.message ());
  p->pipe = Ptr<GstElement> (gst_pipeline_new (nullptr));
  gst_bin_add (GST_BIN (p->pipe.get ()), bin);
  p->bin = bin;
  g_signal_connect (bin, "local-candidate", G_CALLBACK (on_local_candidate), p);
  g_signal_connect (bin, "message",
                    G_CALLBACK (+[] (GstElement *, const gchar *label, const gchar *text, Peer *p) {
                      std::lock_guard l (p->lock);
                      p->messages.emplace_back (label, text);
                    }),
                    p);
  g_signal_connect (bin, "data",
                    G_CALLBACK (+[] (GstElement *, const gchar *label, GBytes *data, Peer *p) {
                      gsize n = 0;
                      auto *d = static_cast<const char *> (g_bytes_get_data (data, &n));
                      std::lock_guard l (p->lock);
                      p->datas.emplace_back (label, std::string (d ? d : "", n));
                    }),
                    p);
  g_signal_connect (bin, "data-channel-opened",
                    G_CALLBACK (+[] (GstElement *, const gchar *label, Peer *p) {
                      std::lock_guard l (p->lock);
                      p->opened.insert (label);
                    }),
                    p);
  g_signal_connect (bin, "data-channel-closed",
                    G_CALLBACK (+[] (GstElement *, const gchar *label, Peer *p) {
                      std::lock_guard l (p->lock);
                      p->closed.insert (label);
                    }),
                    p);
  g_signal_connect (bin, "failed", G_CALLBACK (+[] (GstElement *, const gchar *why, Peer *p) {
                      std::lock_guard l (p->lock);
                      p->failures.emplace_back (why);
                    }),
                    p);
}

static void
pair_init (Peer *a, Peer *b, const char *a_props = "", const char *b_props = "")
{
  peer_init (a, a_props);
  peer_init (b, b_props);
  a->remote = b;
  b->remote = a;
}

static void
peer_play (Peer *p)
{
  fail_if (gst_element_set_state (p->pipe.get (), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
}

static void
peer_stop (Peer *p)
{
  if (!p->pipe)
    return;
  fail_unless_equals_int (gst_element_set_state (p->pipe.get (), GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  p->pipe.reset ();
  p->bin = nullptr;
}

// Waits for @promise and returns its reply's "sdp" (failing the test on an "error").
static std::string
promise_sdp (GstPromise *promise, const char *what)
{
  fail_unless_equals_int (gst_promise_wait (promise), GST_PROMISE_RESULT_REPLIED);
  const GstStructure *r = gst_promise_get_reply (promise);
  fail_unless (r != nullptr, "%s: no reply", what);
  fail_if (gst_structure_has_field (r, "error"), "%s: %s", what,
           gst_structure_get_string (r, "error"));
  const gchar *sdp = gst_structure_get_string (r, "sdp");
  std::string out = sdp ? sdp : "";
  gst_promise_unref (promise);
  return out;
}

static std::string
create_offer (Peer *p)
{
  GstPromise *promise = gst_promise_new ();
  g_signal_emit_by_name (p->bin, "create-offer", promise);
  std::string sdp = promise_sdp (promise, "create-offer");
  fail_if (sdp.empty (), "the offer has no SDP");
  return sdp;
}

static void
set_remote (Peer *p, const char *type, const std::string &sdp)
{
  GstPromise *promise = gst_promise_new ();
  g_signal_emit_by_name (p->bin, "set-remote-description", type, sdp.c_str (), promise);
  promise_sdp (promise, "set-remote-description");
}

// @a offers, @b answers ("answer" action: pads requested before send on compatible m-lines).
static void
negotiate (Peer *a, Peer *b)
{
  std::string offer = create_offer (a);
  GstPromise *promise = gst_promise_new ();
  g_signal_emit_by_name (b->bin, "answer", offer.c_str (), promise);
  std::string answer = promise_sdp (promise, "answer");
  set_remote (a, "answer", answer);
  start_ice (a);
  start_ice (b);
}

static bool
has_opened (Peer *p, const std::string &label)
{
  return p->read ([&] { return p->opened.count (label) > 0; });
}

// Two peers playing, a data channel "rtckit" asked for on @a (not negotiated yet).
static void
start_data_pair (Peer *a, Peer *b, const char *a_props = "", const char *b_props = "")
{
  pair_init (a, b, a_props, b_props);
  peer_play (a);
  peer_play (b);
  gboolean ok = FALSE;
  g_signal_emit_by_name (a->bin, "create-data-channel", "rtckit", &ok);
  fail_unless (ok, "create-data-channel refused");
}

// Two peers, data channel "rtckit" from @a, both sides told it is open.
static void
connect_data_pair (Peer *a, Peer *b, const char *a_props = "", const char *b_props = "")
{
  start_data_pair (a, b, a_props, b_props);
  negotiate (a, b);
  fail_unless (
      wait_until ([&] { return has_opened (a, "rtckit") && has_opened (b, "rtckit"); }, 20000),
      "the data channel did not open on both sides (a: %d, b: %d)", has_opened (a, "rtckit"),
      has_opened (b, "rtckit"));
}

static gboolean
send_text (Peer *p, const char *label, const std::string &text)
{
  gboolean ok = FALSE;
  g_signal_emit_by_name (p->bin, "send-message", label, text.c_str (), &ok);
  return ok;
}

static gboolean
send_bytes (Peer *p, const char *label, const std::string &bytes)
{
  GBytes *b = g_bytes_new (bytes.data (), bytes.size ());
  gboolean ok = FALSE;
  g_signal_emit_by_name (p->bin, "send-data", label, b, &ok);
  g_bytes_unref (b);
  return ok;
}

static guint64
dc_stat (Peer *p, const char *field)
{
  GstStructure *s = nullptr;
  g_object_get (p->bin, "data-channel-stats", &s, nullptr);
  guint64 v = 0;
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s in data-channel-stats", field);
  gst_structure_free (s);
  return v;
}

static std::vector<std::string>
texts (Peer *p)
{
  return p->read ([&] {
    std::vector<std::string> out;
    for (auto &[label, text] : p->messages)
      out.push_back (text);
    return out;
  });
}

/* --- media both ways --------------------------------------------------------------------- */

static const char *kVideo = "videotestsrc is-live=true ! video/x-raw,width=160,height=120,"
                            "framerate=15/1 ! vp8enc deadline=1 keyframe-max-dist=15 ! "
                            "rtpvp8pay pt=96 ! application/x-rtp,media=video,encoding-name=VP8,"
                            "payload=96,clock-rate=90000 ! queue";
static const char *kAudio = "audiotestsrc is-live=true wave=ticks ! opusenc ! rtpopuspay pt=111 ! "
                            "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,"
                            "clock-rate=48000 ! queue";

// Requests @templ_name on @p's peer bin (with @codec_caps as its codec preferences; none when
// NULL, as gst-launch does) and feeds it from a new source bin @launch.
static void
add_sender (Peer *p, const char *templ_name, const char *launch, const char *codec_caps)
{
  rtc::Error err;
  GstElement *src = gst_parse_bin_from_description (launch, TRUE, err.out ());
  fail_unless (src != nullptr, "%s", err.message ());
  gst_bin_add (GST_BIN (p->pipe.get ()), src);
  Ptr<GstCaps> caps (codec_caps ? gst_caps_from_string (codec_caps) : nullptr);
  GstPadTemplate *templ
      = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (p->bin), templ_name);
  Ptr<GstPad> sink (gst_element_request_pad (p->bin, templ, nullptr, caps.get ()));
  fail_unless (sink, "no %s pad", templ_name);
  Ptr<GstPad> srcpad (gst_element_get_static_pad (src, "src"));
  fail_unless_equals_int (gst_pad_link (srcpad.get (), sink.get ()), GST_PAD_LINK_OK);
  gst_element_sync_state_with_parent (src);
}

// Received streams are decoded; the decoded buffers are counted per src pad.
static void
on_src_pad (GstElement *, GstPad *pad, Peer *p)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  const bool video = g_str_has_prefix (GST_PAD_NAME (pad), "video_src_");
  const char *launch = video ? "rtpvp8depay ! vp8dec ! fakesink name=out async=false"
                             : "rtpopusdepay ! opusdec ! fakesink name=out async=false";
  GstElement *sink = gst_parse_bin_from_description (launch, TRUE, nullptr);
  gst_bin_add (GST_BIN (p->pipe.get ()), sink);
  Ptr<GstElement> out (gst_bin_get_by_name (GST_BIN (sink), "out"));
  Ptr<GstPad> outpad (gst_element_get_static_pad (out.get (), "sink"));
  struct Count
  {
    Peer *p;
    std::string name;
  };
  gst_pad_add_probe (
      outpad.get (), GST_PAD_PROBE_TYPE_BUFFER,
      [] (GstPad *, GstPadProbeInfo *, gpointer d) {
        auto *c = static_cast<Count *> (d);
        std::lock_guard l (c->p->lock);
        c->p->decoded[c->name]++;
        return GST_PAD_PROBE_OK;
      },
      new Count{ p, GST_PAD_NAME (pad) }, [] (gpointer d) { delete static_cast<Count *> (d); });
  gst_element_sync_state_with_parent (sink);
  Ptr<GstPad> in (gst_element_get_static_pad (sink, "sink"));
  gst_pad_link (pad, in.get ());
}

static int
decoded (Peer *p, const char *pad)
{
  return p->read ([&] { return p->decoded.count (pad) ? p->decoded[pad] : 0; });
}

// Two sendrecv peers playing, each decoding what it receives.
static void
start_decoding_pair (Peer *a, Peer *b)
{
  pair_init (a, b, "direction=sendrecv");
  g_signal_connect (a->bin, "pad-added", G_CALLBACK (on_src_pad), a);
  g_signal_connect (b->bin, "pad-added", G_CALLBACK (on_src_pad), b);
  peer_play (a);
  peer_play (b);
}

// Within 30 s each peer decodes more than @n buffers of the other's video (m-line 0) and
// audio (m-line 1).
static void
expect_both_decode (Peer *a, Peer *b, int n)
{
  bool all = wait_until (
      [&] {
        return decoded (a, "video_src_0") > n && decoded (a, "audio_src_1") > n
               && decoded (b, "video_src_0") > n && decoded (b, "audio_src_1") > n;
      },
      30000);
  fail_unless (all,
               "decoded: A video %d audio %d, B video %d audio %d (want > %d each); "
               "failures A %zu B %zu",
               decoded (a, "video_src_0"), decoded (a, "audio_src_1"),
               decoded (b, "video_src_0"), decoded (b, "audio_src_1"), n, a->failures.size (),
               b->failures.size ());
}

GST_START_TEST (two_peers_send_and_receive_video_and_audio_on_the_same_mlines)
{
  Peer a, b;
  start_decoding_pair (&a, &b);
  add_sender (&a, "video_%u", kVideo, "application/x-rtp,media=video,encoding-name=VP8,payload=96");
  add_sender (&a, "audio_%u", kAudio,
              "application/x-rtp,media=audio,encoding-name=OPUS,payload=111");
  std::string offer = create_offer (&a);
  GST_INFO ("offer:\n%s", offer.c_str ());
  fail_unless (offer.find ("a=sendrecv") != std::string::npos, "the offer is not sendrecv:\n%s",
               offer.c_str ());

  // B: the offer first, then its own senders (bound to the offer's m-lines), then the answer.
  set_remote (&b, "offer", offer);
  add_sender (&b, "video_%u", kVideo, "application/x-rtp,media=video,encoding-name=VP8");
  add_sender (&b, "audio_%u", kAudio, "application/x-rtp,media=audio,encoding-name=OPUS");
  GstPromise *promise = gst_promise_new ();
  g_signal_emit_by_name (b.bin, "create-answer", promise);
  std::string answer = promise_sdp (promise, "create-answer");
  fail_unless (answer.find ("m=video") < answer.find ("m=audio"), "%s", answer.c_str ());
  fail_if (answer.find ("a=recvonly") != std::string::npos, "B answered recvonly:\n%s",
           answer.c_str ());
  fail_if (answer.find ("a=sendonly") != std::string::npos, "B answered sendonly:\n%s",
           answer.c_str ());
  set_remote (&a, "answer", answer);
  start_ice (&a);
  start_ice (&b);

  expect_both_decode (&a, &b, 20);
  fail_unless (a.read ([&] { return a.failures.empty (); }));
  fail_unless (b.read ([&] { return b.failures.empty (); }));
  peer_stop (&a);
  peer_stop (&b);
}
GST_END_TEST;

// Encoded media in, as a gst-launch line links an encoder to the pad: the peer bin payloads it
// itself. A offers what its encoders make (payload types from rtckit's codec table); B, bound to
// A's offer, sends its encoded streams under the offer's payload types.
static const char *kVp8 = "videotestsrc is-live=true ! video/x-raw,width=160,height=120,"
                          "framerate=15/1 ! vp8enc deadline=1 keyframe-max-dist=15 ! queue";
static const char *kOpus = "audiotestsrc is-live=true wave=ticks ! opusenc ! queue";

GST_START_TEST (encoded_media_in_is_payloaded_by_the_peer_bin)
{
  Peer a, b;
  start_decoding_pair (&a, &b);
  add_sender (&a, "video_%u", kVp8, nullptr);
  add_sender (&a, "audio_%u", kOpus, nullptr);
  std::string offer = create_offer (&a);
  fail_unless (offer.find ("VP8/90000") != std::string::npos
                   && offer.find ("OPUS/48000") != std::string::npos,
               "the offer lacks the encoders' codecs:\n%s", offer.c_str ());
  set_remote (&b, "offer", offer);
  add_sender (&b, "video_%u", kVp8, nullptr);
  add_sender (&b, "audio_%u", kOpus, nullptr);
  GstPromise *promise = gst_promise_new ();
  g_signal_emit_by_name (b.bin, "create-answer", promise);
  std::string answer = promise_sdp (promise, "create-answer");
  set_remote (&a, "answer", answer);
  start_ice (&a);
  start_ice (&b);
  expect_both_decode (&a, &b, 20);
  // gst-inspect tells what the pads take: RTP or one of the codecs' encoded streams.
  GstPadTemplate *templ
      = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (a.bin), "video_%u");
  Ptr<GstCaps> want (gst_caps_from_string ("video/x-h264"));
  fail_unless (gst_caps_can_intersect (GST_PAD_TEMPLATE_CAPS (templ), want.get ()));
  peer_stop (&a);
  peer_stop (&b);
}
GST_END_TEST;

// Encoded media the remote offer has no codec for, on a pad that answers it: an element error
// that names the codec and the m-line, not a silent not-linked.
GST_START_TEST (encoded_media_the_offer_lacks_is_an_error_naming_the_codec)
{
  Peer a, b;
  pair_init (&a, &b, "direction=sendrecv");
  peer_play (&a);
  peer_play (&b);
  add_sender (&a, "video_%u", kVp8, nullptr);
  set_remote (&b, "offer", create_offer (&a));
  Ptr<GstBus> bus (gst_element_get_bus (b.pipe.get ()));
  add_sender (&b, "video_%u", "videotestsrc is-live=true ! video/x-raw,width=160,height=120 ! "
                              "x264enc tune=zerolatency ! queue", nullptr);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus.get (), 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != nullptr, "no error");
  GError *err = nullptr;
  gst_message_parse_error (msg, &err, nullptr);
  fail_unless (strstr (err->message, "h264") && strstr (err->message, "m-line 0"), "%s",
               err->message);
  g_error_free (err);
  gst_message_unref (msg);
  peer_stop (&a);
  peer_stop (&b);
}
GST_END_TEST;

// A sends VP8 on payload type 100; B's payloader is left to its default (96) with no caps
// filter: the caps query of the bound pad answers with the offer's codec, so B sends on 100.
GST_START_TEST (the_answerer_sends_with_the_payload_type_of_the_offer)
{
  Peer a, b;
  pair_init (&a, &b, "direction=sendrecv");
  g_signal_connect (a.bin, "pad-added", G_CALLBACK (on_src_pad), &a);
  peer_play (&a);
  peer_play (&b);
  add_sender (&a, "video_%u",
              "videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=15/1 ! "
              "vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=100 ! "
              "application/x-rtp,payload=100 ! queue",
              "application/x-rtp,media=video,encoding-name=VP8,payload=100");
  std::string offer = create_offer (&a);
  set_remote (&b, "offer", offer);
  add_sender (&b, "video_%u",
              "videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=15/1 ! "
              "vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay ! queue",
              "application/x-rtp,media=video,encoding-name=VP8");
  GstPromise *promise = gst_promise_new ();
  g_signal_emit_by_name (b.bin, "create-answer", promise);
  std::string answer = promise_sdp (promise, "create-answer");
  fail_unless (answer.find ("a=rtpmap:100 VP8/90000") != std::string::npos, "%s", answer.c_str ());
  set_remote (&a, "answer", answer);
  start_ice (&a);
  start_ice (&b);
  fail_unless (wait_until ([&] { return decoded (&a, "video_src_0") > 10; }, 30000),
               "A decoded %d frames from B", decoded (&a, "video_src_0"));
  peer_stop (&a);
  peer_stop (&b);
}
GST_END_TEST;

/* --- data channels ----------------------------------------------------------------------- */

GST_START_TEST (a_data_channel_only_session_connects)
{
  Peer a, b;
  start_data_pair (&a, &b);
  std::string offer = create_offer (&a);
  fail_unless (offer.find ("m=application") != std::string::npos, "%s", offer.c_str ());
  fail_if (offer.find ("m=video") != std::string::npos
               || offer.find ("m=audio") != std::string::npos,
           "%s", offer.c_str ());
  GstPromise *promise = gst_promise_new ();
  g_signal_emit_by_name (b.bin, "answer", offer.c_str (), promise);
  std::string answer = promise_sdp (promise, "answer");
  set_remote (&a, "answer", answer);
  start_ice (&a);
  start_ice (&b);
  fail_unless (
      wait_until ([&] { return has_opened (&a, "rtckit") && has_opened (&b, "rtckit"); }, 20000));
  fail_unless (send_text (&a, nullptr, "hello"));
  fail_unless (wait_until ([&] { return texts (&b).size () == 1; }));
  fail_unless_equals_string (texts (&b)[0].c_str (), "hello");
  GstWebRTCPeerConnectionState st = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
  fail_unless (wait_until ([&] {
                 g_object_get (a.bin, "connection-state", &st, nullptr);
                 return st == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED;
               }),
               "connection-state is %d", st);
  fail_unless (a.read ([&] { return a.failures.empty (); }));
  fail_unless (b.read ([&] { return b.failures.empty (); }));
  peer_stop (&a);
  peer_stop (&b);
  // Stopping closes the open channel, and says so.
  fail_unless_equals_int (a.closed.count ("rtckit"), 1);
}
GST_END_TEST;

GST_START_TEST (hundred_text_messages_arrive_in_order_both_ways)
{
  Peer a, b;
  connect_data_pair (&a, &b);
  std::vector<std::string> from_a, from_b;
  for (int i = 0; i < 100; i++)
    {
      from_a.push_back ("a->b " + std::to_string (i));
      from_b.push_back ("b->a " + std::to_string (i));
      fail_unless (send_text (&a, "rtckit", from_a.back ()));
      fail_unless (send_text (&b, nullptr, from_b.back ()));
    }
  fail_unless (wait_until ([&] { return texts (&a).size () >= 100 && texts (&b).size () >= 100; }),
               "received: a %zu, b %zu", texts (&a).size (), texts (&b).size ());
  fail_unless (texts (&b) == from_a, "b got them out of order or changed");
  fail_unless (texts (&a) == from_b, "a got them out of order or changed");
  fail_unless_equals_uint64 (dc_stat (&a, "messages-sent"), 100);
  fail_unless_equals_uint64 (dc_stat (&a, "messages-received"), 100);
  fail_unless (dc_stat (&a, "bytes-sent") > 0);
  peer_stop (&a);
  peer_stop (&b);
}
GST_END_TEST;

GST_START_TEST (a_64_kib_binary_message_arrives_intact)
{
  Peer a, b;
  connect_data_pair (&a, &b);
  std::string blob (64 * 1024, '\0');
  for (size_t i = 0; i < blob.size (); i++)
    blob[i] = static_cast<char> ((i * 7 + i / 256) & 0xff);
  fail_unless (send_bytes (&a, nullptr, blob));
  fail_unless (wait_until ([&] { return b.read ([&] { return !b.datas.empty (); }); }));
  b.read ([&] {
    fail_unless_equals_int (b.datas.size (), 1);
    fail_unless_equals_string (b.datas[0].first.c_str (), "rtckit");
    fail_unless_equals_uint64 (b.datas[0].second.size (), blob.size ());
    fail_unless (b.datas[0].second == blob, "the bytes changed on the way");
    return 0;
  });
  fail_unless_equals_uint64 (dc_stat (&b, "bytes-received"), blob.size ());
  peer_stop (&a);
  peer_stop (&b);
}
GST_END_TEST;

GST_START_TEST (an_oversize_message_is_refused_when_sent_and_dropped_when_received)
{
  Peer a, b;
  // A accepts 1000 bytes at most; B has no limit of its own.
  connect_data_pair (&a, &b, "max-message-size=1000", "max-message-size=0");
  const std::string big (2000, 'x');
  fail_if (send_text (&a, nullptr, big), "A sent a message over its max-message-size");
  fail_if (send_bytes (&a, nullptr, big), "A sent data over its max-message-size");
  fail_unless (send_text (&a, nullptr, "small from a"));
  // B may send it; A drops it on arrival and counts it.
  fail_unless (send_text (&b, nullptr, big));
  fail_unless (send_text (&b, nullptr, "small from b"));
  fail_unless (wait_until ([&] { return !texts (&a).empty () && !texts (&b).empty (); }));
  fail_unless_equals_int (texts (&a).size (), 1);
  fail_unless_equals_string (texts (&a)[0].c_str (), "small from b");
  fail_unless_equals_int (texts (&b).size (), 1);
  fail_unless_equals_string (texts (&b)[0].c_str (), "small from a");
  fail_unless_equals_uint64 (dc_stat (&a, "messages-dropped"), 1);
  fail_unless_equals_uint64 (dc_stat (&a, "messages-received"), 1);
  fail_unless_equals_uint64 (dc_stat (&a, "messages-sent"), 1);
  peer_stop (&a);
  peer_stop (&b);
}
GST_END_TEST;

GST_START_TEST (sending_without_such_a_channel_is_refused)
{
  Peer a, b;
  pair_init (&a, &b);
  fail_if (send_text (&a, nullptr, "nobody"), "sent with no channel at all");
  gst_element_set_state (a.pipe.get (), GST_STATE_READY);
  gboolean ok = FALSE;
  g_signal_emit_by_name (a.bin, "create-data-channel", "chat", &ok);
  fail_unless (ok);
  g_signal_emit_by_name (a.bin, "create-data-channel", "chat", &ok);
  fail_if (ok, "a second channel of the same label was made");
  fail_if (send_text (&a, "other", "nobody"), "sent on a label that does not exist");
  fail_unless (send_text (&a, "chat", "queued"));
  peer_stop (&a);
  peer_stop (&b);
}
GST_END_TEST;

GST_START_TEST (messages_queued_before_open_are_delivered_in_order)
{
  Peer a, b;
  pair_init (&a, &b);
  peer_play (&a);
  peer_play (&b);
  gboolean ok = FALSE;
  g_signal_emit_by_name (a.bin, "create-data-channel", "rtckit", &ok);
  fail_unless (ok);
  std::vector<std::string> sent;
  for (guint i = 0; i < 64; i++)
    {
      sent.push_back ("early " + std::to_string (i));
      fail_unless (send_text (&a, nullptr, sent.back ()), "message %u refused", i);
    }
  fail_if (send_text (&a, nullptr, "one too many"), "the queue took a 65th message");
  negotiate (&a, &b);
  fail_unless (wait_until ([&] { return texts (&b).size () >= 64; }), "b got %zu",
               texts (&b).size ());
  fail_unless (texts (&b) == sent);
  peer_stop (&a);
  peer_stop (&b);
}
GST_END_TEST;

GST_START_TEST (a_channel_the_remote_opens_is_accepted)
{
  Peer a, b;
  connect_data_pair (&a, &b);
  // B (the answerer) opens a second channel on the running SCTP association.
  gboolean ok = FALSE;
  g_signal_emit_by_name (b.bin, "create-data-channel", "from-b", &ok);
  fail_unless (ok);
  fail_unless (send_text (&b, "from-b", "hi from b"));
  fail_unless (wait_until ([&] { return has_opened (&a, "from-b"); }),
               "A was not told of B's channel");
  fail_unless (wait_until ([&] {
    return a.read ([&] {
      for (auto &[label, text] : a.messages)
        if (label == "from-b" && text == "hi from b")
          return true;
      return false;
    });
  }));
  // And A answers on it.
  fail_unless (send_text (&a, "from-b", "hi back"));
  fail_unless (wait_until ([&] {
    return b.read ([&] {
      for (auto &[label, text] : b.messages)
        if (label == "from-b" && text == "hi back")
          return true;
      return false;
    });
  }));
  peer_stop (&a);
  peer_stop (&b);
}
GST_END_TEST;

/* --- teardown under churn ---------------------------------------------------------------- */

static GstTracer *
leaks_tracer ()
{
  GstTracer *found = nullptr;
  GList *tracers = gst_tracing_get_active_tracers ();
  for (GList *l = tracers; l; l = l->next)
    if (!found && g_str_has_prefix (GST_OBJECT_NAME (l->data), "leaks"))
      found = GST_TRACER (gst_object_ref (l->data));
  g_list_free_full (tracers, gst_object_unref);
  return found;
}

// Objects of the peer connection (ours, webrtcbin's, its data channels and SCTP/DTLS/ICE
// elements) created since tracking started and still alive, accumulated over checkpoints.
static guint
peer_objects_alive (GstTracer *leaks, std::map<gpointer, std::pair<int, std::string>> &balance)
{
  GstStructure *cp = nullptr;
  g_signal_emit_by_name (leaks, "activity-get-checkpoint", &cp);
  fail_unless (cp != nullptr);
  auto count = [&] (const char *field, int delta) {
    const GValue *list = gst_structure_get_value (cp, field);
    for (guint i = 0; list && i < gst_value_list_get_size (list); i++)
      {
        const GstStructure *e = gst_value_get_structure (gst_value_list_get_value (list, i));
        gpointer addr = nullptr;
        gst_structure_get (e, "address", G_TYPE_POINTER, &addr, nullptr);
        auto &entry = balance[addr];
        entry.first += delta;
        if (const gchar *t = gst_structure_get_string (e, "type-name"))
          entry.second = t;
      }
  };
  count ("objects-created-list", +1);
  count ("objects-removed-list", -1);
  gst_structure_free (cp);
  guint alive = 0;
  for (auto &[addr, e] : balance)
    if (e.first > 0
        && (e.second.find ("RtcPeerBin") != std::string::npos
            || e.second.find ("WebRTC") != std::string::npos
            || e.second.find ("DataChannel") != std::string::npos
            || e.second.find ("Sctp") != std::string::npos
            || e.second.find ("Nice") != std::string::npos))
      {
        if (alive < 5)
          GST_INFO ("alive: %s %p", e.second.c_str (), addr);
        alive++;
      }
  return alive;
}

static void
one_cycle (int i)
{
  Peer a, b;
  connect_data_pair (&a, &b);
  fail_unless (send_text (&a, nullptr, "ping " + std::to_string (i)));
  fail_unless (send_text (&b, nullptr, "pong " + std::to_string (i)));
  fail_unless (wait_until ([&] { return texts (&a).size () == 1 && texts (&b).size () == 1; }),
               "cycle %d: no exchange", i);
  peer_stop (&a);
  peer_stop (&b);
}

GST_START_TEST (fifty_connect_exchange_destroy_cycles_leave_no_peer_objects)
{
  Ptr<GstTracer> leaks (leaks_tracer ());
  fail_unless (leaks, "the test runs with GST_TRACERS=leaks");
  one_cycle (-1); // warm up: plugin loading, one-time setup
  g_signal_emit_by_name (leaks.get (), "activity-start-tracking");
  const gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < 50; i++)
    one_cycle (i);
  GST_INFO ("50 cycles in %.1f s", (g_get_monotonic_time () - start) / 1e6);
  // Threads drop their last references just after the state change returns: give them up to
  // 3 s. A leak never reaches zero.
  std::map<gpointer, std::pair<int, std::string>> balance;
  guint alive = peer_objects_alive (leaks.get (), balance);
  for (int i = 0; alive > 0 && i < 30; i++)
    {
      g_usleep (100 * 1000);
      alive = peer_objects_alive (leaks.get (), balance);
    }
  g_signal_emit_by_name (leaks.get (), "activity-stop-tracking");
  fail_unless_equals_int (alive, 0);
}
GST_END_TEST;

// webrtcbin connects each transport's receive bin to its ICE transport's "state" and never
// disconnects it. An ICE state change after the session stopped (libnice's agent failing or
// closing while the session ends) blocked the bin's pad again, and that block held a ref on
// the bin: the bin, its nicesrc and the agent's sockets outlived the session for good (seen in
// test_churn). The peer bin detaches the receive bins before they stop.
GST_START_TEST (an_ice_state_change_after_the_stop_keeps_no_receive_bin_alive)
{
  // A session that never connects, as a viewer that vanishes after its answer leaves it: the
  // receive bins hold their pads blocked until ICE connects.
  Peer a, b;
  start_data_pair (&a, &b);
  const std::string offer = create_offer (&a);
  GstPromise *promise = gst_promise_new ();
  g_signal_emit_by_name (b.bin, "answer", offer.c_str (), promise);
  set_remote (&a, "answer", promise_sdp (promise, "answer")); // and no candidates: no ICE
  std::vector<GWeakRef *> receive_bins;
  rtc::each_element (GST_BIN (a.bin), [&receive_bins] (GstElement *e) {
    if (g_str_equal (G_OBJECT_TYPE_NAME (e), "TransportReceiveBin"))
      {
        auto *w = g_new0 (GWeakRef, 1);
        g_weak_ref_init (w, e);
        receive_bins.push_back (w);
      }
  });
  fail_if (receive_bins.empty (), "webrtcbin made no receive bin");
  GstElement *webrtc = nullptr;
  rtc::each_element (GST_BIN (a.bin), [&webrtc] (GstElement *e) {
    if (!webrtc && g_str_equal (G_OBJECT_TYPE_NAME (e), "GstWebRTCBin"))
      webrtc = e;
  });
  fail_unless (webrtc != nullptr);
  GObject *sctp = nullptr, *dtls = nullptr, *ice = nullptr;
  g_object_get (webrtc, "sctp-transport", &sctp, nullptr);
  fail_unless (sctp != nullptr);
  g_object_get (sctp, "transport", &dtls, nullptr);
  fail_unless (dtls != nullptr);
  g_object_get (dtls, "transport", &ice, nullptr);
  fail_unless (ice != nullptr);
  g_object_unref (dtls);
  g_object_unref (sctp);

  fail_unless_equals_int (gst_element_set_state (a.pipe.get (), GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  g_object_notify (ice, "state"); // the agent's late word
  a.pipe.reset ();
  a.bin = nullptr;
  g_object_unref (ice);
  // Threads drop their last references just after the state change: up to 3 s.
  auto alive = [&] {
    int n = 0;
    for (GWeakRef *w : receive_bins)
      if (GObject *o = static_cast<GObject *> (g_weak_ref_get (w)))
        {
          n++;
          g_object_unref (o);
        }
    return n;
  };
  fail_unless (wait_until ([&] { return alive () == 0; }, 3000),
               "%d receive bin(s) alive after the session ended", alive ());
  for (GWeakRef *w : receive_bins)
    {
      g_weak_ref_clear (w);
      g_free (w);
    }
  peer_stop (&b);
}
GST_END_TEST;

static Suite *
rtcpeerbin_suite (void)
{
  Suite *s = suite_create ("rtcpeerbin");
  TCase *media = tcase_create ("media");
  suite_add_tcase (s, media);
  tcase_add_test (media, two_peers_send_and_receive_video_and_audio_on_the_same_mlines);
  tcase_add_test (media, the_answerer_sends_with_the_payload_type_of_the_offer);
  tcase_add_test (media, encoded_media_in_is_payloaded_by_the_peer_bin);
  tcase_add_test (media, encoded_media_the_offer_lacks_is_an_error_naming_the_codec);

  TCase *dc = tcase_create ("data-channels");
  suite_add_tcase (s, dc);
  tcase_add_test (dc, a_data_channel_only_session_connects);
  tcase_add_test (dc, hundred_text_messages_arrive_in_order_both_ways);
  tcase_add_test (dc, a_64_kib_binary_message_arrives_intact);
  tcase_add_test (dc, an_oversize_message_is_refused_when_sent_and_dropped_when_received);
  tcase_add_test (dc, sending_without_such_a_channel_is_refused);
  tcase_add_test (dc, messages_queued_before_open_are_delivered_in_order);
  tcase_add_test (dc, a_channel_the_remote_opens_is_accepted);

  TCase *churn = tcase_create ("churn");
  suite_add_tcase (s, churn);
  tcase_set_timeout (churn, 240);
  tcase_add_test (churn, fifty_connect_exchange_destroy_cycles_leave_no_peer_objects);
  tcase_add_test (churn, an_ice_state_change_after_the_stop_keeps_no_receive_bin_alive);
  return s;
}

int
main (int argc, char **argv)
{
  // Before gst_init: the churn test asks the leaks tracer what is still alive, and every test
  // fails when one of these is alive at exit. Only the peer connection's objects are followed:
  // the dtls plugin keeps one GstDtlsAgent for the process on purpose.
  g_setenv ("GST_TRACERS",
            "leaks(filters=\"GstRtcPeerBin,GstWebRTCBin,WebRTCDataChannel,WebRTCSCTPTransport,"
            "GstWebRTCDTLSTransport,GstWebRTCNice,GstWebRTCNiceTransport,GstWebRTCNiceStream,"
            "TransportStream,TransportSendBin,TransportReceiveBin,GstSctpEnc,GstSctpDec,"
            "GstNiceSrc,GstNiceSink,GstDtlsEnc,GstDtlsDec,GstDtlsSrtpEnc,GstDtlsSrtpDec\")",
            FALSE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (rtcpeerbin_suite (), "rtcpeerbin", __FILE__);
}
