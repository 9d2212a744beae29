/**
 * SECTION:element-rtcpeerbin
 * @title: rtcpeerbin
 *
 * One WebRTC peer connection: a webrtcbin configured for browsers (max-bundle, NACK/RTX on
 * video, sendonly transceivers whose codec preferences come from the caps given when a pad is
 * requested) with the DTLS certificate checked against the remote SDP's a=fingerprint, which
 * webrtcbin 1.22 does not do by itself. rtcbroadcastsink creates one per viewer; applications
 * can use it directly through its signals and the functions in rtcpeerbin.h.
 *
 * Receive mode (rtcingestsrc): gst_rtc_peer_bin_add_receiver() once per m-line of the remote
 * offer (recvonly, the codec to answer with as codec preferences), then
 * gst_rtc_peer_bin_answer(). Each incoming stream appears as a sometimes src pad
 * `video_src_%u` / `audio_src_%u` (application/x-rtp, %u = m-line index) on its first packet;
 * depayloading is left to the user. The fingerprint check works the same in both directions.
 *
 * ## Example (application code)
 * |[
 * pad = gst_element_request_pad (peer, templ, "video_0", codec_preference_caps);
 * g_signal_connect (peer, "local-description", G_CALLBACK (send_to_remote), NULL);
 * gst_rtc_peer_bin_create_offer (GST_RTC_PEER_BIN (peer));
 * ]|
 */
#include "rtcpeerbin.h"

#include "elements/elements.h"
#include "bin-util.h"
#include "gst-ptr.h"
#include "repair-budget.h"
#include "string-util.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (rtc_peer_bin_debug);
#define GST_CAT_DEFAULT rtc_peer_bin_debug

enum
{
  PROP_0,
  PROP_STUN_SERVER,
  PROP_TURN_SERVERS,
  PROP_ICE_LOCAL_ADDRESSES,
  PROP_SESSION_ID,
  PROP_PEER_ID,
  PROP_CONNECTION_STATE,
  PROP_WEBRTCBIN,
  PROP_RETRANSMISSION_BUDGET,
  PROP_REPAIR_STATS,
};

#define DEFAULT_RETRANSMISSION_BUDGET 25

enum
{
  SIGNAL_LOCAL_DESCRIPTION,
  SIGNAL_LOCAL_CANDIDATE,
  SIGNAL_FAILED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

namespace
{

struct Settings
{
  std::string stun_server;
  std::string turn_servers;
  std::string ice_local_addresses;
  std::string session_id;
  std::string peer_id;
};

// Lock order: settings_lock, then state_lock; neither is held while calling webrtcbin or
// emitting a signal.
struct PeerPrivate
{
  std::mutex settings_lock;
  Settings settings;

  std::mutex state_lock;
  std::string remote_fingerprint; // "sha-256 AA:BB:..." from the remote SDP
  bool fingerprint_checked = false;
  std::vector<gpointer> watched_transports; // DTLS transports whose state we follow
  bool gathering_done = false;              // the end of candidates was emitted

  GstElement *webrtc = nullptr; // owned by the bin
  guint next_pad = 0;
  // Set while the bin stops: our promise callbacks queue no further webrtcbin operation (a
  // set-local-description queued behind the stop started transports that were never stopped).
  std::atomic<bool> stopping{ false };
  rtc::RepairBudget repair{ DEFAULT_RETRANSMISSION_BUDGET };
};

} // namespace

struct _GstRtcPeerBin
{
  GstBin parent;
  PeerPrivate *priv;
};

G_DEFINE_TYPE (GstRtcPeerBin, gst_rtc_peer_bin, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcpeerbin, "rtcpeerbin", GST_RANK_NONE,
                                       GST_TYPE_RTC_PEER_BIN,
                                       GST_DEBUG_CATEGORY_INIT (rtc_peer_bin_debug, "rtcpeerbin", 0,
                                                                "rtckit peer connection"));

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS ("application/x-rtp, media=video"));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE (
    "audio_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS ("application/x-rtp, media=audio"));
static GstStaticPadTemplate video_src_template
    = GST_STATIC_PAD_TEMPLATE ("video_src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
                               GST_STATIC_CAPS ("application/x-rtp, media=video"));
static GstStaticPadTemplate audio_src_template
    = GST_STATIC_PAD_TEMPLATE ("audio_src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
                               GST_STATIC_CAPS ("application/x-rtp, media=audio"));

/* --- DTLS fingerprint verification ------------------------------------------------------ */

static std::string
fingerprint_of_pem (const gchar *pem)
{
  const gchar *begin = strstr (pem, "-----BEGIN CERTIFICATE-----");
  const gchar *end = begin ? strstr (begin, "-----END CERTIFICATE-----") : nullptr;
  if (!begin || !end)
    return {};
  begin += strlen ("-----BEGIN CERTIFICATE-----");
  std::string b64 (begin, end - begin);
  gsize len = 0;
  guchar *der = g_base64_decode (b64.c_str (), &len);
  if (!der || len == 0)
    {
      g_free (der);
      return {};
    }
  guint8 digest[32];
  gsize dlen = sizeof (digest);
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, der, len);
  g_checksum_get_digest (sum, digest, &dlen);
  g_checksum_free (sum);
  g_free (der);
  std::string out;
  char hex[4];
  for (gsize i = 0; i < dlen; i++)
    {
      g_snprintf (hex, sizeof hex, i ? ":%02X" : "%02X", digest[i]);
      out += hex;
    }
  return out;
}

static std::string
sdp_fingerprint (const GstSDPMessage *sdp)
{
  const gchar *fp = gst_sdp_message_get_attribute_val (sdp, "fingerprint");
  for (guint i = 0; !fp && i < gst_sdp_message_medias_len (sdp); i++)
    fp = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, i), "fingerprint");
  return fp ? fp : "";
}

static void
fail (GstRtcPeerBin *self, const gchar *reason)
{
  GST_WARNING_OBJECT (self, "peer connection failed: %s", reason);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, reason);
}

static void
on_dtls_state (GObject *transport, GParamSpec *, GstRtcPeerBin *self)
{
  GstWebRTCDTLSTransportState state;
  g_object_get (transport, "state", &state, nullptr);
  if (state != GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED)
    return;
  rtc::GStr pem;
  g_object_get (transport, "remote-certificate", pem.out (), nullptr);
  std::string expected;
  {
    std::lock_guard lock (self->priv->state_lock);
    expected = self->priv->remote_fingerprint;
    self->priv->fingerprint_checked = true;
  }
  // expected is "<hash-func> <hex>"; only sha-256 is used by every browser and by webrtcbin.
  auto space = expected.find (' ');
  std::string func = space == std::string::npos ? "" : expected.substr (0, space);
  std::string hex = space == std::string::npos ? "" : expected.substr (space + 1);
  if (g_ascii_strcasecmp (func.c_str (), "sha-256") != 0)
    {
      fail (self, "remote SDP has no sha-256 a=fingerprint: refusing an unverifiable DTLS peer");
      return;
    }
  std::string actual = pem ? fingerprint_of_pem (pem.get ()) : "";
  if (actual.empty () || g_ascii_strcasecmp (actual.c_str (), hex.c_str ()) != 0)
    {
      GST_ERROR_OBJECT (self, "DTLS fingerprint mismatch: SDP says %s, certificate is %s",
                        hex.c_str (), actual.c_str ());
      fail (self, "DTLS certificate does not match the SDP fingerprint");
      return;
    }
  GST_INFO_OBJECT (self, "DTLS certificate matches the SDP fingerprint");
}

// Called once the remote description is applied, when webrtcbin has created its transports.
static void
watch_dtls_transports (GstRtcPeerBin *self)
{
  GArray *transceivers = nullptr;
  g_signal_emit_by_name (self->priv->webrtc, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len; i++)
    {
      auto *trans = g_array_index (transceivers, GstWebRTCRTPTransceiver *, i);
      GstWebRTCRTPSender *sender = nullptr;
      g_object_get (trans, "sender", &sender, nullptr);
      GstWebRTCDTLSTransport *dtls = nullptr;
      if (sender)
        g_object_get (sender, "transport", &dtls, nullptr);
      if (dtls)
        {
          std::lock_guard lock (self->priv->state_lock);
          auto &seen = self->priv->watched_transports;
          if (std::find (seen.begin (), seen.end (), dtls) == seen.end ())
            {
              seen.push_back (dtls);
              // The transport lives as long as webrtcbin, which this bin owns.
              g_signal_connect_object (dtls, "notify::state", G_CALLBACK (on_dtls_state), self,
                                       GConnectFlags (0));
            }
          gst_object_unref (dtls);
        }
      if (sender)
        gst_object_unref (sender);
    }
  if (transceivers)
    g_array_unref (transceivers);
}

/* --- webrtcbin callbacks (webrtcbin's threads) -------------------------------------------- */

static void
on_ice_candidate (GstElement *, guint mline, const gchar *candidate, GstRtcPeerBin *self)
{
  g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, mline, candidate);
}

// Gathering done: an empty candidate tells the signaller (WHIP/WHEP put the candidates they
// have into the SDP they send then, instead of waiting for a timeout).
static void
on_gathering_state (GObject *webrtc, GParamSpec *, GstRtcPeerBin *self)
{
  GstWebRTCICEGatheringState state;
  g_object_get (webrtc, "ice-gathering-state", &state, nullptr);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  {
    std::lock_guard lock (self->priv->state_lock);
    if (self->priv->gathering_done)
      return;
    self->priv->gathering_done = true;
  }
  g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, 0u, "");
}

static void
on_connection_state (GObject *, GParamSpec *, GstRtcPeerBin *self)
{
  g_object_notify (G_OBJECT (self), "connection-state");
}

namespace
{
// Callbacks webrtcbin may never call hold the peer bin weakly: webrtcbin drops the promises of
// operations still queued when it stops, unanswered, so their change function never runs, only
// their destroy notify. A strong reference there kept the whole peer (webrtcbin, its transports,
// sockets and threads) alive for good when a viewer left mid-negotiation.
struct WeakSelf
{
  GWeakRef ref;
  explicit WeakSelf (GstRtcPeerBin *self) { g_weak_ref_init (&ref, self); }
  ~WeakSelf () { g_weak_ref_clear (&ref); }
  WeakSelf (const WeakSelf &) = delete;
  WeakSelf &operator= (const WeakSelf &) = delete;
  rtc::Ptr<GstRtcPeerBin> get () { return rtc::Ptr<GstRtcPeerBin> (GST_RTC_PEER_BIN (g_weak_ref_get (&ref))); }
};

// Emits @signal on webrtcbin with a promise whose change function gets @ctx and whose destroy
// notify deletes it, whether or not webrtcbin ever answers: webrtcbin holds the only reference
// once the signal returns.
template <typename Ctx, void (*Change) (GstPromise *, Ctx *)>
void
emit_with_promise (GstElement *webrtc, const char *signal, gpointer arg, Ctx *ctx)
{
  GstPromise *p = gst_promise_new_with_change_func (
      [] (GstPromise *promise, gpointer d) { Change (promise, static_cast<Ctx *> (d)); }, ctx,
      [] (gpointer d) { delete static_cast<Ctx *> (d); });
  if (arg)
    g_signal_emit_by_name (webrtc, signal, arg, p);
  else
    g_signal_emit_by_name (webrtc, signal, nullptr, p);
  gst_promise_unref (p);
}
} // namespace

// The @kind ("offer" or "answer") that create-offer/create-answer replied with becomes our local
// description: returns its text, or "" with *@error saying why webrtcbin made none.
static std::string
apply_created (GstRtcPeerBin *self, GstPromise *promise, const char *kind, std::string *error)
{
  if (self->priv->stopping)
    {
      *error = std::string ("the ") + kind + " came after the peer stopped";
      return "";
    }
  GstWebRTCSessionDescription *desc = nullptr;
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (reply)
    gst_structure_get (reply, kind, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, nullptr);
  if (!desc)
    {
      GError *err = nullptr;
      if (reply)
        gst_structure_get (reply, "error", G_TYPE_ERROR, &err, nullptr);
      *error = std::string ("could not create an ") + kind + ": "
               + (err ? err->message : "webrtcbin returned none");
      g_clear_error (&err);
      return "";
    }
  g_signal_emit_by_name (self->priv->webrtc, "set-local-description", desc, nullptr);
  rtc::GStr text (gst_sdp_message_as_text (desc->sdp));
  gst_webrtc_session_description_free (desc);
  return text.get ();
}

static void
on_offer_created (GstPromise *promise, WeakSelf *weak)
{
  rtc::Ptr<GstRtcPeerBin> self = weak->get ();
  if (!self || self->priv->stopping)
    return;
  std::string error;
  std::string text = apply_created (self.get (), promise, "offer", &error);
  if (text.empty ())
    fail (self.get (), error.c_str ());
  else
    g_signal_emit (self.get (), signals[SIGNAL_LOCAL_DESCRIPTION], 0, "offer", text.c_str ());
}

void
gst_rtc_peer_bin_create_offer (GstRtcPeerBin *self)
{
  emit_with_promise<WeakSelf, on_offer_created> (self->priv->webrtc, "create-offer", nullptr,
                                                new WeakSelf (self));
}

namespace
{
// A caller's callback with its data, for an operation on webrtcbin: the peer bin held weakly,
// the data released (notify) when the context goes, whether the callback ran or not.
template <typename Func> struct CallbackCtx
{
  WeakSelf self;
  Func func;
  gpointer user_data;
  GDestroyNotify notify;
  CallbackCtx (GstRtcPeerBin *s, Func f, gpointer u, GDestroyNotify n)
      : self (s), func (f), user_data (u), notify (n)
  {
  }
  ~CallbackCtx ()
  {
    if (notify)
      notify (user_data);
  }
  CallbackCtx (const CallbackCtx &) = delete;
  CallbackCtx &operator= (const CallbackCtx &) = delete;
};

// A done callback: called at most once.
struct DoneCtx : CallbackCtx<GstRtcPeerBinDoneFunc>
{
  using CallbackCtx::CallbackCtx;
  void
  finish (GstRtcPeerBin *peer, const GError *error)
  {
    if (func)
      func (peer, error, user_data);
    func = nullptr;
  }
};
using RemoteDescCtx = DoneCtx;
} // namespace

static void
on_remote_set (GstPromise *promise, RemoteDescCtx *ctx)
{
  rtc::Ptr<GstRtcPeerBin> self = ctx->self.get ();
  if (!self)
    return;
  GError *err = nullptr;
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (reply)
    gst_structure_get (reply, "error", G_TYPE_ERROR, &err, nullptr);
  if (!err && self->priv->stopping)
    err = g_error_new_literal (GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_FAILED, "the peer stopped");
  if (!err)
    watch_dtls_transports (self.get ());
  ctx->finish (self.get (), err);
  g_clear_error (&err);
}

void
gst_rtc_peer_bin_set_remote_description (GstRtcPeerBin *self, const gchar *type,
                                         const gchar *sdp_text, GstRtcPeerBinDoneFunc done,
                                         gpointer user_data, GDestroyNotify notify)
{
  GstSDPMessage *sdp = nullptr;
  GstWebRTCSDPType sdp_type
      = g_str_equal (type, "offer") ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER;
  gst_sdp_message_new (&sdp);
  if (gst_sdp_message_parse_buffer (reinterpret_cast<const guint8 *> (sdp_text), strlen (sdp_text),
                                    sdp)
          != GST_SDP_OK
      || gst_sdp_message_medias_len (sdp) == 0)
    {
      gst_sdp_message_free (sdp);
      GError *err = g_error_new (GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_FAILED,
                                 "the remote %s is not a valid SDP with media", type);
      if (done)
        done (self, err, user_data);
      g_error_free (err);
      if (notify)
        notify (user_data);
      return;
    }
  {
    std::lock_guard lock (self->priv->state_lock);
    self->priv->remote_fingerprint = sdp_fingerprint (sdp);
  }
  GstWebRTCSessionDescription *desc = gst_webrtc_session_description_new (sdp_type, sdp);
  emit_with_promise<RemoteDescCtx, on_remote_set> (self->priv->webrtc, "set-remote-description",
                                                   desc,
                                                   new RemoteDescCtx (self, done, user_data, notify));
  gst_webrtc_session_description_free (desc);
}

/* --- receive mode ------------------------------------------------------------------------ */

void
gst_rtc_peer_bin_add_receiver (GstRtcPeerBin *self, const GstCaps *caps)
{
  const GstStructure *s
      = caps && gst_caps_get_size (caps) ? gst_caps_get_structure (caps, 0) : nullptr;
  bool video = s && g_strcmp0 (gst_structure_get_string (s, "media"), "video") == 0;
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_signal_emit_by_name (self->priv->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
  if (!trans)
    return;
  // Loss on video is repaired by NACK (RTX when the sender offers it) before a PLI.
  if (video)
    g_object_set (trans, "do-nack", TRUE, nullptr);
  gst_object_unref (trans);
}

namespace
{
// One answer in the making, shared by the steps it passes (remote description set, caps
// awaited, answer created); released by whichever step drops it last.
using AnswerCtx = std::shared_ptr<DoneCtx>;
} // namespace

static void
answer_finish (GstRtcPeerBin *self, const AnswerCtx &ctx, const gchar *error)
{
  GError *err
      = error ? g_error_new_literal (GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_FAILED, error) : nullptr;
  ctx->finish (self, err);
  g_clear_error (&err);
}

static void
on_answer_created (GstPromise *promise, AnswerCtx *ctx)
{
  rtc::Ptr<GstRtcPeerBin> self = (*ctx)->self.get ();
  if (!self)
    return;
  std::string error;
  std::string text = apply_created (self.get (), promise, "answer", &error);
  if (text.empty ())
    {
      answer_finish (self.get (), *ctx, error.c_str ());
      return;
    }
  // The transports exist now that both descriptions are known.
  watch_dtls_transports (self.get ());
  g_signal_emit (self.get (), signals[SIGNAL_LOCAL_DESCRIPTION], 0, "answer", text.c_str ());
  answer_finish (self.get (), *ctx, nullptr);
}

static void
create_answer_now (GstRtcPeerBin *self, const AnswerCtx &ctx)
{
  // Never wait on a promise here (webrtcbin's thread): chain with a change callback.
  emit_with_promise<AnswerCtx, on_answer_created> (self->priv->webrtc, "create-answer", nullptr,
                                                   new AnswerCtx (ctx));
}

// webrtcbin's sink pads (send mode) that have no caps yet.
static std::vector<rtc::Ptr<GstPad>>
sink_pads_without_caps (GstRtcPeerBin *self)
{
  std::vector<rtc::Ptr<GstPad>> out;
  GstIterator *it = gst_element_iterate_sink_pads (self->priv->webrtc);
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      auto *pad = GST_PAD (g_value_get_object (&item));
      if (!gst_pad_has_current_caps (pad))
        out.push_back (rtc::Ptr<GstPad>::ref (pad));
      g_value_reset (&item);
    }
  g_value_unset (&item);
  gst_iterator_free (it);
  return out;
}

namespace
{
// Send mode answers wait for caps on every sink pad (webrtcbin 1.22 answers NULL without them).
// notify::caps comes once the caps are stored on the pad, so connecting first and then looking
// at the pads misses none (an event probe could see the event pass before it is stored).
struct CapsWait
{
  AnswerCtx ctx;
  std::mutex lock; // guards the members below
  std::vector<std::pair<rtc::Ptr<GstPad>, gulong>> handlers;
  bool done = false;
};
} // namespace

// Creates the answer once every waited-for pad has caps; once only.
static void
caps_wait_check (const std::shared_ptr<CapsWait> &w)
{
  std::vector<std::pair<rtc::Ptr<GstPad>, gulong>> handlers;
  {
    std::lock_guard lock (w->lock);
    if (w->done)
      return;
    for (auto &[pad, id] : w->handlers)
      if (!gst_pad_has_current_caps (pad.get ()))
        return;
    w->done = true;
    handlers = std::move (w->handlers);
  }
  for (auto &[pad, id] : handlers)
    g_signal_handler_disconnect (pad.get (), id);
  if (rtc::Ptr<GstRtcPeerBin> self = w->ctx->self.get (); self && !self->priv->stopping)
    create_answer_now (self.get (), w->ctx);
}

static void
on_sink_caps (GstPad *, GParamSpec *, gpointer data)
{
  caps_wait_check (*static_cast<std::shared_ptr<CapsWait> *> (data));
}

static void
create_answer_when_caps (GstRtcPeerBin *self, const AnswerCtx &ctx)
{
  auto pads = sink_pads_without_caps (self);
  if (pads.empty ())
    {
      create_answer_now (self, ctx);
      return;
    }
  GST_DEBUG_OBJECT (self, "the answer waits for caps on %zu pad(s)", pads.size ());
  auto w = std::make_shared<CapsWait> ();
  w->ctx = ctx;
  {
    std::lock_guard lock (w->lock);
    for (auto &pad : pads)
      {
        gulong id = g_signal_connect_data (
            pad.get (), "notify::caps", G_CALLBACK (on_sink_caps),
            new std::shared_ptr<CapsWait> (w),
            [] (gpointer d, GClosure *) { delete static_cast<std::shared_ptr<CapsWait> *> (d); },
            GConnectFlags (0));
        w->handlers.emplace_back (pad, id);
      }
  }
  // Caps may have been stored before the handlers were connected.
  caps_wait_check (w);
}

void
gst_rtc_peer_bin_answer (GstRtcPeerBin *self, const gchar *offer, GstRtcPeerBinDoneFunc done,
                         gpointer user_data, GDestroyNotify notify)
{
  auto *ctx = new AnswerCtx (std::make_shared<DoneCtx> (self, done, user_data, notify));
  gst_rtc_peer_bin_set_remote_description (
      self, "offer", offer,
      [] (GstRtcPeerBin *self, const GError *error, gpointer data) {
        const AnswerCtx &ctx = *static_cast<AnswerCtx *> (data);
        if (error)
          {
            std::string msg = std::string ("the offer was refused: ") + error->message;
            answer_finish (self, ctx, msg.c_str ());
            return;
          }
        create_answer_when_caps (self, ctx);
      },
      ctx, [] (gpointer data) { delete static_cast<AnswerCtx *> (data); });
}

void
gst_rtc_peer_bin_add_ice_candidate (GstRtcPeerBin *self, guint mline_index, const gchar *candidate)
{
  if (!candidate || !*candidate)
    return; // webrtcbin 1.22 has no end-of-candidates handling; nothing to do
  const gchar *c = g_str_has_prefix (candidate, "a=") ? candidate + 2 : candidate;
  g_signal_emit_by_name (self->priv->webrtc, "add-ice-candidate", mline_index, c);
}

namespace
{
using StatsCtx = CallbackCtx<GstRtcPeerBinStatsFunc>;
} // namespace

static void
on_stats (GstPromise *promise, StatsCtx *ctx)
{
  rtc::Ptr<GstRtcPeerBin> self = ctx->self.get ();
  if (!self)
    return;
  const GstStructure *reply = nullptr;
  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  ctx->func (self.get (), reply, ctx->user_data);
}

void
gst_rtc_peer_bin_get_stats (GstRtcPeerBin *self, GstRtcPeerBinStatsFunc func, gpointer user_data,
                            GDestroyNotify notify)
{
  emit_with_promise<StatsCtx, on_stats> (self->priv->webrtc, "get-stats", nullptr,
                                         new StatsCtx (self, func, user_data, notify));
}

/* --- pads -------------------------------------------------------------------------------- */

static GstPad *
request_new_pad (GstElement *element, GstPadTemplate *templ, const gchar *name, const GstCaps *caps)
{
  auto *self = GST_RTC_PEER_BIN (element);
  bool video = g_str_has_prefix (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "video");
  rtc::Ptr<GstPad> wpad (gst_element_request_pad_simple (self->priv->webrtc, "sink_%u"));
  if (!wpad)
    return nullptr;
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_object_get (wpad.get (), "transceiver", &trans, nullptr);
  if (trans)
    {
      g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
      if (caps && !gst_caps_is_any (caps) && !gst_caps_is_empty (caps))
        g_object_set (trans, "codec-preferences", caps, nullptr);
      if (video)
        g_object_set (trans, "do-nack", TRUE, nullptr);
      gst_object_unref (trans);
    }
  rtc::GStr pad_name;
  if (name)
    pad_name = rtc::GStr (g_strdup (name));
  else
    pad_name = rtc::GStr (g_strdup_printf (video ? "video_%u" : "audio_%u", self->priv->next_pad));
  self->priv->next_pad++;
  GstPad *ghost = gst_ghost_pad_new_from_template (pad_name.get (), wpad.get (), templ);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (element, ghost);
  return ghost;
}

static void
release_pad (GstElement *element, GstPad *pad)
{
  auto *self = GST_RTC_PEER_BIN (element);
  rtc::Ptr<GstPad> target (gst_ghost_pad_get_target (GST_GHOST_PAD (pad)));
  gst_element_remove_pad (element, pad);
  if (target)
    gst_element_release_request_pad (self->priv->webrtc, target.get ());
}

// The m-line of @media that carries payload type @pt in the negotiated session, or -1.
static gint
mline_for_payload (GstRtcPeerBin *self, const gchar *media, gint pt)
{
  GstWebRTCSessionDescription *desc = nullptr;
  g_object_get (self->priv->webrtc, "current-local-description", &desc, nullptr);
  if (!desc)
    return -1;
  gint found = -1;
  const std::string want = std::to_string (pt);
  for (guint i = 0; i < gst_sdp_message_medias_len (desc->sdp) && found < 0; i++)
    {
      const GstSDPMedia *m = gst_sdp_message_get_media (desc->sdp, i);
      if (g_strcmp0 (gst_sdp_media_get_media (m), media) != 0)
        continue;
      for (guint f = 0; f < gst_sdp_media_formats_len (m); f++)
        if (want == gst_sdp_media_get_format (m, f))
          found = static_cast<gint> (i);
    }
  gst_webrtc_session_description_free (desc);
  return found;
}

// Transceivers webrtcbin makes for a remote offer's m-lines: video ones ask for lost packets
// again (NACK, and RTX when the offer has it), as the ones we add ourselves do. Called with
// webrtcbin's lock held: read nothing from webrtcbin here.
static void
on_new_transceiver (GstElement *, GstWebRTCRTPTransceiver *trans, GstRtcPeerBin *)
{
  // The kind is often still unknown here (webrtcbin 1.22 learns it from the caps later); an
  // audio m-line gets no NACK all the same, as offers do not ask for it there.
  GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
  g_object_get (trans, "kind", &kind, nullptr);
  if (kind != GST_WEBRTC_KIND_AUDIO)
    g_object_set (trans, "do-nack", TRUE, nullptr);
}

// webrtcbin's src_%u (one per received stream) appear on their first packet, on a streaming
// thread. Bundled streams are told apart by payload type here: webrtcbin 1.22 tied an SSRC that
// no a=ssrc announced to the wrong transceiver (the audio of a sender without a=ssrc came out on
// the video m-line, and its video on a second pad of the same name, which nobody could link).
static void
on_webrtc_pad_added (GstElement *, GstPad *pad, GstRtcPeerBin *self)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  bool video = false;
  guint mline = 0;
  bool by_payload = false;
  if (rtc::Ptr<GstCaps> caps{ gst_pad_get_current_caps (pad) })
    {
      const GstStructure *st = gst_caps_get_structure (caps.get (), 0);
      const gchar *media = gst_structure_get_string (st, "media");
      gint pt = -1;
      if (media && gst_structure_get_int (st, "payload", &pt))
        {
          const gint m = mline_for_payload (self, media, pt);
          if (m >= 0)
            {
              mline = static_cast<guint> (m);
              video = g_str_equal (media, "video");
              by_payload = true;
            }
        }
    }
  GstWebRTCRTPTransceiver *trans = nullptr;
  if (!by_payload)
    g_object_get (pad, "transceiver", &trans, nullptr);
  if (trans)
    {
      GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
      g_object_get (trans, "mlineindex", &mline, "kind", &kind, nullptr);
      video = kind == GST_WEBRTC_KIND_VIDEO;
      if (kind == GST_WEBRTC_KIND_UNKNOWN)
        {
          rtc::Ptr<GstCaps> caps (gst_pad_get_current_caps (pad));
          const gchar *media
              = caps ? gst_structure_get_string (gst_caps_get_structure (caps.get (), 0), "media")
                     : nullptr;
          video = g_strcmp0 (media, "video") == 0;
        }
      gst_object_unref (trans);
    }
  else if (!by_payload && sscanf (GST_PAD_NAME (pad), "src_%u", &mline) != 1)
    return;
  rtc::GStr name (g_strdup_printf (video ? "video_src_%u" : "audio_src_%u", mline));
  // A second stream on the same m-line (the sender changed its SSRC): a name of its own.
  if (rtc::Ptr<GstPad> existing{ gst_element_get_static_pad (GST_ELEMENT (self), name.get ()) })
    name = rtc::GStr (g_strdup_printf ("%s_%s", name.get (), GST_PAD_NAME (pad)));
  GstPadTemplate *templ
      = gst_static_pad_template_get (video ? &video_src_template : &audio_src_template);
  GstPad *ghost = gst_ghost_pad_new_from_template (name.get (), pad, templ);
  gst_object_unref (templ);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
}

static void
on_webrtc_pad_removed (GstElement *, GstPad *pad, GstRtcPeerBin *self)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  GstPad *found = nullptr;
  GST_OBJECT_LOCK (self);
  for (GList *l = GST_ELEMENT (self)->srcpads; l && !found; l = l->next)
    {
      rtc::Ptr<GstPad> target (gst_ghost_pad_get_target (GST_GHOST_PAD (l->data)));
      if (target.get () == pad)
        found = GST_PAD (gst_object_ref (l->data));
    }
  GST_OBJECT_UNLOCK (self);
  if (found)
    {
      gst_element_remove_pad (GST_ELEMENT (self), found);
      gst_object_unref (found);
    }
}

/* --- element ----------------------------------------------------------------------------- */

static void
apply_ice_settings (GstRtcPeerBin *self)
{
  Settings s;
  {
    std::lock_guard lock (self->priv->settings_lock);
    s = self->priv->settings;
  }
  // No UPnP: libnice would multicast SSDP discovery to the LAN for every viewer and open a
  // GUPnP HTTP server per agent; seen ending in a double free when many agents share a process.
  {
    GObject *ice = nullptr, *agent = nullptr;
    g_object_get (self->priv->webrtc, "ice-agent", &ice, nullptr);
    if (ice && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
      g_object_get (ice, "agent", &agent, nullptr);
    if (agent)
      {
        g_object_set (agent, "upnp", FALSE, nullptr);
        g_object_unref (agent);
      }
    if (ice)
      g_object_unref (ice);
  }
  if (!s.stun_server.empty ())
    g_object_set (self->priv->webrtc, "stun-server", s.stun_server.c_str (), nullptr);
  for (const auto &turn : rtc::split_list (s.turn_servers))
    {
      gboolean ok = FALSE;
      g_signal_emit_by_name (self->priv->webrtc, "add-turn-server", turn.c_str (), &ok);
      if (!ok)
        GST_WARNING_OBJECT (self, "webrtcbin refused TURN server %s", turn.c_str ());
    }
  auto addrs = rtc::split_list (s.ice_local_addresses);
  if (!addrs.empty ())
    {
      GObject *ice = nullptr;
      g_object_get (self->priv->webrtc, "ice-agent", &ice, nullptr);
      for (const auto &a : addrs)
        {
          gboolean ok = FALSE;
          if (ice)
            g_signal_emit_by_name (ice, "add-local-ip-address", a.c_str (), &ok);
          if (!ok)
            GST_WARNING_OBJECT (self, "could not restrict ICE to %s", a.c_str ());
        }
      if (ice)
        g_object_unref (ice);
    }
}

// webrtcbin 1.22 creates a session's transport bins on its own thread (create-offer,
// set-remote-description). When the bin stops while such an operation runs, the new bins join
// after the stop went through the children and follow the state the parent had: a nicesrc
// stayed PLAYING, its task and sockets alive for good, and gst_deinit() then waited for that
// task forever (SIGINT hung). Once webrtcbin is in NULL its thread is joined: stop what is left.
static void
stop_late_children (GstRtcPeerBin *self)
{
  std::vector<rtc::Ptr<GstElement>> running;
  rtc::each_element (GST_BIN (self), [&running] (GstElement *e) {
    if (GST_STATE (e) != GST_STATE_NULL || GST_STATE_PENDING (e) != GST_STATE_VOID_PENDING)
      running.push_back (rtc::Ptr<GstElement>::ref (e));
  });
  for (auto &e : running)
    {
      GST_DEBUG_OBJECT (self, "stopping %s, left running by webrtcbin", GST_ELEMENT_NAME (e.get ()));
      gst_element_set_state (e.get (), GST_STATE_NULL);
    }
}

// Waits until webrtcbin's thread has run what was queued before (an offer or an answer in the
// making adds transport bins): a get-stats round trip, as its operations run in order. Bounded,
// in case that thread is stuck; woken too when webrtcbin drops the promise unanswered.
static void
drain_operations (GstRtcPeerBin *self)
{
  struct Wait
  {
    std::mutex lock;
    std::condition_variable cond;
    bool done = false;
    void
    wake ()
    {
      {
        std::lock_guard l (lock);
        done = true;
      }
      cond.notify_all ();
    }
  };
  auto w = std::make_shared<Wait> ();
  GstPromise *p = gst_promise_new_with_change_func (
      [] (GstPromise *, gpointer d) { (*static_cast<std::shared_ptr<Wait> *> (d))->wake (); },
      new std::shared_ptr<Wait> (w),
      [] (gpointer d) {
        auto *sw = static_cast<std::shared_ptr<Wait> *> (d);
        (*sw)->wake ();
        delete sw;
      });
  g_signal_emit_by_name (self->priv->webrtc, "get-stats", nullptr, p);
  gst_promise_unref (p);
  std::unique_lock l (w->lock);
  if (!w->cond.wait_for (l, std::chrono::seconds (2), [&] { return w->done; }))
    GST_WARNING_OBJECT (self, "webrtcbin did not finish its operations within 2 s");
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_PEER_BIN (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY)
    {
      self->priv->stopping = false;
      apply_ice_settings (self);
    }
  // Before the children stop: no transport may be created behind their backs.
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    {
      self->priv->stopping = true;
      drain_operations (self);
    }
  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS (gst_rtc_peer_bin_parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    stop_late_children (self);
  return ret;
}

static void
handle_message (GstBin *bin, GstMessage *msg)
{
  // This bin is one viewer among many: its transport sinks' EOS must not end the pipeline.
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
    {
      gst_message_unref (msg);
      return;
    }
  GST_BIN_CLASS (gst_rtc_peer_bin_parent_class)->handle_message (bin, msg);
}

static void
gst_rtc_peer_bin_init (GstRtcPeerBin *self)
{
  self->priv = new PeerPrivate ();
  self->priv->webrtc = gst_element_factory_make ("webrtcbin", "webrtcbin");
  if (!self->priv->webrtc)
    {
      GST_ERROR_OBJECT (self, "webrtcbin is missing: install gstreamer1.0-plugins-bad");
      return;
    }
  g_object_set (self->priv->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  gst_bin_add (GST_BIN (self), self->priv->webrtc);
  // Not a sink or source of the pipeline: a viewer joining or leaving must not change the
  // pipeline's preroll, EOS or liveness.
  GST_OBJECT_FLAG_UNSET (self, GST_ELEMENT_FLAG_SINK | GST_ELEMENT_FLAG_SOURCE);
  g_signal_connect (self->priv->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (self->priv->webrtc, "notify::connection-state",
                    G_CALLBACK (on_connection_state), self);
  g_signal_connect (self->priv->webrtc, "notify::ice-gathering-state",
                    G_CALLBACK (on_gathering_state), self);
  g_signal_connect (self->priv->webrtc, "pad-added", G_CALLBACK (on_webrtc_pad_added), self);
  g_signal_connect (self->priv->webrtc, "on-new-transceiver", G_CALLBACK (on_new_transceiver),
                    self);
  // webrtcbin's RTX sender (in rtpbin's aux sender bin) gets the retransmission budget.
  g_signal_connect (self, "deep-element-added",
                    G_CALLBACK (+[] (GstBin *, GstBin *, GstElement *e, GstRtcPeerBin *self) {
                      self->priv->repair.watch (e);
                    }),
                    self);
  g_signal_connect (self->priv->webrtc, "pad-removed", G_CALLBACK (on_webrtc_pad_removed), self);
}

static void
dispose (GObject *object)
{
  auto *self = GST_RTC_PEER_BIN (object);
  // webrtcbin may outlive this bin for a moment (its pads are freed on its own state change).
  if (self->priv->webrtc)
    g_signal_handlers_disconnect_by_data (self->priv->webrtc, self);
  G_OBJECT_CLASS (gst_rtc_peer_bin_parent_class)->dispose (object);
  self->priv->webrtc = nullptr; // the bin released it
}

static void
finalize (GObject *object)
{
  auto *self = GST_RTC_PEER_BIN (object);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_peer_bin_parent_class)->finalize (object);
}

static void
set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_PEER_BIN (object);
  std::lock_guard lock (self->priv->settings_lock);
  auto str = [value] {
    return std::string (g_value_get_string (value) ? g_value_get_string (value) : "");
  };
  switch (prop_id)
    {
    case PROP_STUN_SERVER:
      self->priv->settings.stun_server = str ();
      break;
    case PROP_TURN_SERVERS:
      self->priv->settings.turn_servers = str ();
      break;
    case PROP_ICE_LOCAL_ADDRESSES:
      self->priv->settings.ice_local_addresses = str ();
      break;
    case PROP_SESSION_ID:
      self->priv->settings.session_id = str ();
      break;
    case PROP_PEER_ID:
      self->priv->settings.peer_id = str ();
      break;
    case PROP_RETRANSMISSION_BUDGET:
      self->priv->repair.set_percent (g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_PEER_BIN (object);
  switch (prop_id)
    {
    case PROP_CONNECTION_STATE:
      {
        GstWebRTCPeerConnectionState st = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
        if (self->priv->webrtc)
          g_object_get (self->priv->webrtc, "connection-state", &st, nullptr);
        g_value_set_enum (value, st);
        return;
      }
    case PROP_WEBRTCBIN:
      g_value_set_object (value, self->priv->webrtc);
      return;
    case PROP_RETRANSMISSION_BUDGET:
      g_value_set_uint (value, self->priv->repair.percent ());
      return;
    case PROP_REPAIR_STATS:
      {
        const rtc::RepairCounts c = self->priv->repair.counts ();
        g_value_take_boxed (value, gst_structure_new ("application/x-rtckit-repair-stats",
                                                      "retransmissions-requested", G_TYPE_UINT64,
                                                      c.requests, "retransmitted", G_TYPE_UINT64,
                                                      c.resent, "retransmissions-dropped",
                                                      G_TYPE_UINT64, c.dropped,
                                                      "keyframes-for-loss", G_TYPE_UINT64,
                                                      c.keyframes, nullptr));
        return;
      }
    default:
      break;
    }
  std::lock_guard lock (self->priv->settings_lock);
  switch (prop_id)
    {
    case PROP_STUN_SERVER:
      g_value_set_string (value, self->priv->settings.stun_server.empty ()
                                     ? nullptr
                                     : self->priv->settings.stun_server.c_str ());
      break;
    case PROP_TURN_SERVERS:
      g_value_set_string (value, self->priv->settings.turn_servers.c_str ());
      break;
    case PROP_ICE_LOCAL_ADDRESSES:
      g_value_set_string (value, self->priv->settings.ice_local_addresses.c_str ());
      break;
    case PROP_SESSION_ID:
      g_value_set_string (value, self->priv->settings.session_id.c_str ());
      break;
    case PROP_PEER_ID:
      g_value_set_string (value, self->priv->settings.peer_id.c_str ());
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_rtc_peer_bin_class_init (GstRtcPeerBinClass *klass)
{
  auto *gobject_class = G_OBJECT_CLASS (klass);
  auto *element_class = GST_ELEMENT_CLASS (klass);
  gobject_class->dispose = dispose;
  gobject_class->finalize = finalize;
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  element_class->change_state = change_state;
  element_class->request_new_pad = request_new_pad;
  element_class->release_pad = release_pad;
  GST_BIN_CLASS (klass)->handle_message = handle_message;

  const auto rw_ready
      = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property (
      gobject_class, PROP_STUN_SERVER,
      g_param_spec_string (
          "stun-server", "STUN server",
          "STUN server as stun://host:port, e.g. stun://stun.example.org:3478 (none by default)",
          nullptr, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_TURN_SERVERS,
      g_param_spec_string ("turn-servers", "TURN servers",
                           "Comma-separated TURN servers as turn(s)://user:password@host:port", "",
                           rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_ICE_LOCAL_ADDRESSES,
      g_param_spec_string (
          "ice-local-addresses", "ICE local addresses",
          "Comma-separated local IP addresses ICE may gather on (e.g. 127.0.0.1 to stay on "
          "loopback); empty means every interface except loopback",
          "", rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_SESSION_ID,
      g_param_spec_string ("session-id", "Session id", "Signalling session this peer belongs to",
                           "", GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_PEER_ID,
      g_param_spec_string ("peer-id", "Peer id", "Signalling id of the remote peer", "",
                           GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_CONNECTION_STATE,
      g_param_spec_enum ("connection-state", "Connection state",
                         "The peer connection state, as RTCPeerConnection.connectionState",
                         GST_TYPE_WEBRTC_PEER_CONNECTION_STATE,
                         GST_WEBRTC_PEER_CONNECTION_STATE_NEW,
                         GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_RETRANSMISSION_BUDGET,
      g_param_spec_uint ("retransmission-budget", "Retransmission budget",
                         "Retransmissions (RTX) sent at most per 100 media packets; past it the "
                         "sender asks for a keyframe instead (at most one a second), so a lossy "
                         "or narrow link is not flooded with repairs",
                         0, 100, DEFAULT_RETRANSMISSION_BUDGET,
                         GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                      | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_REPAIR_STATS,
      g_param_spec_boxed ("repair-stats", "Repair statistics",
                          "Retransmissions requested, retransmitted, dropped over the budget, "
                          "and keyframes asked for instead",
                          GST_TYPE_STRUCTURE,
                          GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_WEBRTCBIN,
      g_param_spec_object ("webrtcbin", "webrtcbin", "The webrtcbin inside, for advanced use",
                           GST_TYPE_ELEMENT,
                           GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  /**
   * GstRtcPeerBin::local-description:
   * @type: "offer" or "answer"
   * @sdp: the SDP text, to send to the remote peer
   *
   * Emitted from a webrtcbin thread once a local description is set.
   */
  signals[SIGNAL_LOCAL_DESCRIPTION]
      = g_signal_new ("local-description", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                      nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcPeerBin::local-candidate:
   * @mline_index: the m-line the candidate belongs to
   * @candidate: "candidate:..." to send to the remote peer, or "" once when gathering is
   *   complete (the end of candidates; @mline_index is 0 then)
   */
  signals[SIGNAL_LOCAL_CANDIDATE]
      = g_signal_new ("local-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                      nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstRtcPeerBin::failed:
   * @reason: why the connection cannot go on (offer failed, DTLS fingerprint mismatch, ...)
   */
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         nullptr, nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_add_static_pad_template (element_class, &video_src_template);
  gst_element_class_add_static_pad_template (element_class, &audio_src_template);
  gst_element_class_set_static_metadata (
      element_class, "WebRTC peer connection", "Filter/Network/WebRTC",
      "One WebRTC peer connection that sends RTP to a browser or "
      "receives what it publishes, with codec preferences per track and DTLS fingerprint "
      "verification",
      "rtckit developers");
}
