// Offer, answer, remote descriptions and candidates: operations queued on webrtcbin, chained by
// promise change callbacks (never a wait on webrtcbin's thread).
#include "peer-private.h"

#include <cstring>
#include <mutex>

#define GST_CAT_DEFAULT rtc_peer_bin_debug

namespace rtc::peer
{

/* --- completions ------------------------------------------------------------------------- */

PromiseReply::~PromiseReply ()
{
  if (!replied_)
    send_error ("the peer stopped before the operation ended");
}

void
PromiseReply::send (GstStructure *reply)
{
  if (!replied_ && promise_)
    gst_promise_reply (promise_.get (), reply);
  else if (reply)
    gst_structure_free (reply);
  replied_ = true;
}

void
PromiseReply::send_error (const gchar *message)
{
  send (gst_structure_new ("application/x-rtckit-peer-reply", "error", G_TYPE_STRING, message,
                           nullptr));
}

Completion
completion_from_done (GstRtcPeerBinDoneFunc done, gpointer user_data, GDestroyNotify notify)
{
  auto u = std::make_shared<UserData> (user_data, notify);
  return [done, u] (GstRtcPeerBin *self, const GError *error, const gchar *) {
    if (done && self)
      done (self, error, u->data);
  };
}

Completion
completion_from_promise (GstPromise *promise, const gchar *kind)
{
  auto r = std::make_shared<PromiseReply> (promise);
  std::string k = kind ? kind : "";
  return [r, k] (GstRtcPeerBin *, const GError *error, const gchar *sdp) {
    GstStructure *s = gst_structure_new_empty ("application/x-rtckit-peer-reply");
    if (error)
      gst_structure_set (s, "error", G_TYPE_STRING, error->message, nullptr);
    else if (sdp && !k.empty ())
      gst_structure_set (s, "type", G_TYPE_STRING, k.c_str (), "sdp", G_TYPE_STRING, sdp, nullptr);
    r->send (s);
  };
}

namespace
{
// One operation: the peer bin held weakly, its completion run at most once.
struct Op
{
  WeakSelf self;
  Completion done;
  Op (GstRtcPeerBin *s, Completion d) : self (s), done (std::move (d)) {}
  void finish (GstRtcPeerBin *peer, const gchar *error, const gchar *sdp = nullptr)
  {
    Completion d = std::move (done);
    done = nullptr;
    if (!d)
      return;
    GError *err = error ? g_error_new_literal (GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_FAILED, error)
                        : nullptr;
    d (peer, err, sdp);
    g_clear_error (&err);
  }
};
using OpRef = std::shared_ptr<Op>;
} // namespace

/* --- local descriptions ------------------------------------------------------------------ */

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
  GStr text (gst_sdp_message_as_text (desc->sdp));
  gst_webrtc_session_description_free (desc);
  return text.get ();
}

static void
on_created (GstPromise *promise, OpRef *op, const char *kind)
{
  Ptr<GstRtcPeerBin> self = (*op)->self.get ();
  if (!self)
    return;
  std::string error;
  std::string text = apply_created (self.get (), promise, kind, &error);
  if (text.empty ())
    {
      // An offer nobody asked a reply for still says why the peer cannot go on.
      if (g_str_equal (kind, "offer"))
        fail (self.get (), error.c_str ());
      (*op)->finish (self.get (), error.c_str ());
      return;
    }
  if (g_str_equal (kind, "answer"))
    {
      // The transports exist now that both descriptions are known.
      watch_dtls_transports (self.get ());
      std::lock_guard lock (self->priv->state_lock);
      self->priv->bound_mlines.clear ();
    }
  g_signal_emit (self.get (), signals[SIGNAL_LOCAL_DESCRIPTION], 0, kind, text.c_str ());
  (*op)->finish (self.get (), nullptr, text.c_str ());
}

static void
on_offer_created (GstPromise *promise, OpRef *op)
{
  on_created (promise, op, "offer");
}

static void
on_answer_created (GstPromise *promise, OpRef *op)
{
  on_created (promise, op, "answer");
}

// webrtcbin's sink pads that have no caps yet.
static std::vector<Ptr<GstPad>>
sink_pads_without_caps (GstRtcPeerBin *self)
{
  std::vector<Ptr<GstPad>> out;
  GstIterator *it = gst_element_iterate_sink_pads (self->priv->webrtc);
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      auto *pad = GST_PAD (g_value_get_object (&item));
      if (!gst_pad_has_current_caps (pad))
        out.push_back (Ptr<GstPad>::ref (pad));
      g_value_reset (&item);
    }
  g_value_unset (&item);
  gst_iterator_free (it);
  return out;
}

namespace
{
// An offer or answer waits for caps on every sink pad (webrtcbin 1.22 makes a NULL description
// without them). notify::caps comes once the caps are stored on the pad, so connecting first and
// then looking at the pads misses none (an event probe could see the event pass before it is
// stored).
struct CapsWait
{
  WeakSelf self;
  std::function<void (GstRtcPeerBin *)> then;
  std::mutex lock; // guards the members below
  std::vector<std::pair<Ptr<GstPad>, gulong>> handlers;
  bool done = false;
  CapsWait (GstRtcPeerBin *s, std::function<void (GstRtcPeerBin *)> t)
      : self (s), then (std::move (t))
  {
  }
};
} // namespace

// Runs w->then once every waited-for pad has caps; once only.
static void
caps_wait_check (const std::shared_ptr<CapsWait> &w)
{
  std::vector<std::pair<Ptr<GstPad>, gulong>> handlers;
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
  if (Ptr<GstRtcPeerBin> self = w->self.get (); self && !self->priv->stopping)
    w->then (self.get ());
}

static void
on_sink_caps (GstPad *, GParamSpec *, gpointer data)
{
  caps_wait_check (*static_cast<std::shared_ptr<CapsWait> *> (data));
}

static void
when_caps (GstRtcPeerBin *self, std::function<void (GstRtcPeerBin *)> then)
{
  auto pads = sink_pads_without_caps (self);
  if (pads.empty ())
    {
      then (self);
      return;
    }
  GST_DEBUG_OBJECT (self, "waiting for caps on %zu pad(s)", pads.size ());
  auto w = std::make_shared<CapsWait> (self, std::move (then));
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
create_offer (GstRtcPeerBin *self, bool wait_for_caps, Completion done)
{
  auto op = std::make_shared<Op> (self, std::move (done));
  auto now = [op] (GstRtcPeerBin *peer) {
    emit_with_promise<OpRef, on_offer_created> (peer->priv->webrtc, "create-offer", nullptr,
                                                new OpRef (op));
  };
  if (wait_for_caps)
    when_caps (self, now);
  else
    now (self);
}

void
create_answer (GstRtcPeerBin *self, Completion done)
{
  auto op = std::make_shared<Op> (self, std::move (done));
  // Never wait on a promise here (maybe webrtcbin's thread): chain with a change callback.
  when_caps (self, [op] (GstRtcPeerBin *peer) {
    emit_with_promise<OpRef, on_answer_created> (peer->priv->webrtc, "create-answer", nullptr,
                                                 new OpRef (op));
  });
}

/* --- remote descriptions ----------------------------------------------------------------- */

static void
on_remote_set (GstPromise *promise, OpRef *op)
{
  Ptr<GstRtcPeerBin> self = (*op)->self.get ();
  if (!self)
    return;
  GError *err = nullptr;
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (reply)
    gst_structure_get (reply, "error", G_TYPE_ERROR, &err, nullptr);
  std::string error = err ? err->message : "";
  g_clear_error (&err);
  if (error.empty () && self->priv->stopping)
    error = "the peer stopped";
  if (error.empty ())
    watch_dtls_transports (self.get ());
  (*op)->finish (self.get (), error.empty () ? nullptr : error.c_str ());
}

void
set_remote_description (GstRtcPeerBin *self, const gchar *type, const gchar *sdp_text,
                        Completion done)
{
  auto op = std::make_shared<Op> (self, std::move (done));
  const bool offer = g_strcmp0 (type, "offer") == 0;
  if (!offer && g_strcmp0 (type, "answer") != 0)
    {
      op->finish (self, "the remote description type must be \"offer\" or \"answer\"");
      return;
    }
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new (&sdp);
  if (!sdp_text
      || gst_sdp_message_parse_buffer (reinterpret_cast<const guint8 *> (sdp_text),
                                       strlen (sdp_text), sdp)
             != GST_SDP_OK
      || gst_sdp_message_medias_len (sdp) == 0)
    {
      gst_sdp_message_free (sdp);
      GStr msg (g_strdup_printf ("the remote %s is not a valid SDP with media", type));
      op->finish (self, msg.get ());
      return;
    }
  remember_remote_fingerprint (self, sdp);
  if (offer)
    {
      std::lock_guard lock (self->priv->state_lock);
      self->priv->bound_mlines.clear ();
    }
  GstWebRTCSessionDescription *desc = gst_webrtc_session_description_new (
      offer ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  emit_with_promise<OpRef, on_remote_set> (self->priv->webrtc, "set-remote-description", desc,
                                           new OpRef (op));
  gst_webrtc_session_description_free (desc);
}

void
answer (GstRtcPeerBin *self, const gchar *offer, Completion done)
{
  auto shared = std::make_shared<Completion> (std::move (done));
  set_remote_description (
      self, "offer", offer, [shared] (GstRtcPeerBin *peer, const GError *error, const gchar *) {
        if (!peer)
          return; // the completion replies when the last copy goes
        if (error)
          {
            std::string msg = std::string ("the offer was refused: ") + error->message;
            GError *e
                = g_error_new_literal (GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_FAILED, msg.c_str ());
            (*shared) (peer, e, nullptr);
            g_error_free (e);
            return;
          }
        create_answer (peer, *shared);
      });
}

} // namespace rtc::peer

/* --- the C API --------------------------------------------------------------------------- */

using namespace rtc::peer;

void
gst_rtc_peer_bin_create_offer (GstRtcPeerBin *self)
{
  g_return_if_fail (GST_IS_RTC_PEER_BIN (self));
  create_offer (self, false, nullptr);
}

void
gst_rtc_peer_bin_set_remote_description (GstRtcPeerBin *self, const gchar *type, const gchar *sdp,
                                         GstRtcPeerBinDoneFunc done, gpointer user_data,
                                         GDestroyNotify notify)
{
  g_return_if_fail (GST_IS_RTC_PEER_BIN (self));
  set_remote_description (self, type, sdp, completion_from_done (done, user_data, notify));
}

void
gst_rtc_peer_bin_answer (GstRtcPeerBin *self, const gchar *offer, GstRtcPeerBinDoneFunc done,
                         gpointer user_data, GDestroyNotify notify)
{
  g_return_if_fail (GST_IS_RTC_PEER_BIN (self));
  answer (self, offer, completion_from_done (done, user_data, notify));
}

void
gst_rtc_peer_bin_create_answer (GstRtcPeerBin *self, GstRtcPeerBinDoneFunc done, gpointer user_data,
                                GDestroyNotify notify)
{
  g_return_if_fail (GST_IS_RTC_PEER_BIN (self));
  create_answer (self, completion_from_done (done, user_data, notify));
}

void
gst_rtc_peer_bin_add_ice_candidate (GstRtcPeerBin *self, guint mline_index, const gchar *candidate)
{
  g_return_if_fail (GST_IS_RTC_PEER_BIN (self));
  if (!candidate || !*candidate)
    return; // webrtcbin 1.22 has no end-of-candidates handling; nothing to do
  const gchar *c = g_str_has_prefix (candidate, "a=") ? candidate + 2 : candidate;
  g_signal_emit_by_name (self->priv->webrtc, "add-ice-candidate", mline_index, c);
}
