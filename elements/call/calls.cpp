// rtccallbin's call, as rtcsignalbin hooks, on the element's worker thread. Waiting for calls
// (no `call`), the element is a producer and offers: one sendrecv m-line per request pad, a
// recvonly one for each kind it does not send, and the data channel. Calling (`call=ID|first`),
// it is a consumer and answers the producer's offer, sending on the offer's m-lines of the kinds
// it has.
#include "call/call-private.h"

#include "closure.h"
#include "common/offer-choice.h"
#include "rtcpeerbin.h"

#include <gst/app/gstappsrc.h>
#include <gst/sdp/sdp.h>

using namespace rtc::call;
using rtc::CodecInfo;
using rtc::Ptr;

namespace
{

GstRtcCallBin *
callbin_of (GstRtcSignalBin *bin)
{
  return GST_RTC_CALL_BIN (bin);
}

Call &
call_of (rtc::Session &session)
{
  return static_cast<Call &> (session);
}

Call *
find_call (GstRtcCallBin *self, const std::string &session_id)
{
  rtc::Session *s = rtc::find_session (GST_RTC_SIGNAL_BIN (self), session_id);
  return s ? &call_of (*s) : nullptr;
}

void
set_peer (GstRtcCallBin *self, const std::string &peer_id)
{
  {
    std::lock_guard lock (self->priv->state_lock);
    self->priv->peer = peer_id;
  }
  g_object_notify (G_OBJECT (self), "peer");
}

std::vector<const CodecInfo *>
receive_codecs (GstRtcCallBin *self, bool video)
{
  Settings s = copy_settings (self);
  return rtc::parse_codec_list (video ? s.video_codecs : s.audio_codecs, video ? "video" : "audio");
}

struct SessionRef
{
  GstRtcCallBin *self;
  std::string session_id;
};

// Runs @fn for the call of @ref on the worker, with @error's text ("" on success).
void
on_worker (gpointer data, const GError *error,
           void (*fn) (GstRtcCallBin *, Call &, const std::string &))
{
  auto *ref = static_cast<SessionRef *> (data);
  auto *self = ref->self;
  std::string sid = ref->session_id, err = error ? error->message : "";
  rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self, sid, err, fn] {
    if (Call *c = find_call (self, sid))
      fn (self, *c, err);
  });
}

// With direct-send, the call's routed tracks go through a send stage of its own once its DTLS
// peer is verified (send/direct-sender.h); until then they hold back.
static void
use_direct_path (GstRtcCallBin *self, Call &c)
{
  if (!copy_settings (self).direct_send || c.direct)
    return;
  const std::string id = c.session_id;
  c.direct = rtc::prepare_direct_path (
      c.peer.get (), c.send, [self, id] (std::shared_ptr<const rtc::MediaPath> path) {
        rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self, id, path] {
          Call *c = find_call (self, id);
          if (!c || !c->direct)
            return;
          const bool direct
              = rtc::start_direct_path (c->peer.get (), *c->direct, c->send, path, c->subscribed);
          if (!direct)
            c->direct.reset ();
          GST_INFO_OBJECT (self, "call %s: %s", id.c_str (),
                           direct ? "sending through our own send stage" : "sending through webrtcbin");
        });
      });
}

void
start_flowing (Call &c)
{
  if (c.answered && c.connected && !c.flowing)
    {
      c.flowing = true;
      rtc::subscribe_session_tracks (c.send, c.subscribed);
    }
}

// Both descriptions are applied: the call is up.
void
call_joined (GstRtcCallBin *self, Call &c, const std::string &err)
{
  if (!err.empty ())
    {
      rtc::end_session (GST_RTC_SIGNAL_BIN (self), c.session_id, err.c_str ());
      return;
    }
  c.answered = true;
  GST_INFO_OBJECT (self, "in a call with %s (session %s): sending %zu track(s), receiving %zu",
                   c.peer_id.c_str (), c.session_id.c_str (), c.send.size (), c.in.expected_tracks);
  rtc::post_element_message (GST_RTC_SIGNAL_BIN (self),
                             gst_structure_new ("rtckit-call-started", "session-id", G_TYPE_STRING,
                                                c.session_id.c_str (), "peer-id", G_TYPE_STRING,
                                                c.peer_id.c_str (), nullptr));
  start_flowing (c);
}

GstElement *
make_peer (GstRtcCallBin *self, Call &c)
{
  GstElement *peer = rtc::new_peer (GST_RTC_SIGNAL_BIN (self), c);
  if (!peer)
    return nullptr;
  gst_util_set_object_arg (G_OBJECT (peer), "direction", "sendrecv");
  self->priv->in->attach (peer, c.in, c.session_id, c.peer_id);
  return peer;
}

/* --- we wait for calls and offer --------------------------------------------------------- */

void
offer_call (GstRtcCallBin *self, Call &c)
{
  auto *bin = GST_RTC_SIGNAL_BIN (self);
  c.waiting = false;
  c.we_offer = true;
  GstElement *peer = make_peer (self, c);
  if (!peer)
    return;
  bool video = false, audio = false;
  for (auto &track : self->priv->out->tracks ())
    {
      (track->video ? video : audio) = true;
      Ptr<GstCaps> caps (rtc::offer_caps_for (self->priv->out->codecs_of (*track)));
      rtc::ask_for_feedback (caps.get ()); // sendrecv: we receive video on it too
      c.send.push_back (rtc::add_session_track (GST_BIN (self), peer, track, caps.get ()));
    }
  // What we do not send we still receive: one recvonly m-line per missing kind.
  for (bool v : { true, false })
    if (!(v ? video : audio))
      {
        auto codecs = receive_codecs (self, v);
        if (codecs.empty ())
          continue;
        Ptr<GstCaps> caps (rtc::offer_caps_for (codecs));
        rtc::ask_for_feedback (caps.get ());
        gst_rtc_peer_bin_add_receiver (GST_RTC_PEER_BIN (peer), caps.get ());
      }
  rtc::start_peer (bin, c, true);
  // Our offer needs no caps on webrtcbin's pads: with direct-send the appsrcs start only if the
  // call falls back to webrtcbin (start_direct_path).
  if (!copy_settings (self).direct_send)
    for (auto &st : c.send)
      gst_element_sync_state_with_parent (st.appsrc.get ());
  GST_INFO_OBJECT (self, "call from %s (session %s): sending offer", c.peer_id.c_str (),
                   c.session_id.c_str ());
  gst_rtc_peer_bin_create_offer (GST_RTC_PEER_BIN (peer));
}

// The caller's answer to our offer: per m-line, the codec we send (the first of ours it
// lists) and the one it sends to us (its first), then applied.
void
apply_answer (GstRtcCallBin *self, Call &c, const std::string &answer)
{
  auto *bin = GST_RTC_SIGNAL_BIN (self);
  GstSDPMessage *sdp = rtc::parse_sdp (answer);
  if (!sdp)
    {
      rtc::refuse_session (bin, c.session_id, "the answer is not a valid SDP with media");
      return;
    }
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
      const gchar *media = gst_sdp_media_get_media (m);
      if ((gst_sdp_media_get_port (m) == 0 && !gst_sdp_media_get_attribute_val (m, "bundle-only"))
          || gst_sdp_media_formats_len (m) == 0
          || (g_strcmp0 (media, "video") != 0 && g_strcmp0 (media, "audio") != 0))
        continue;
      // Our send tracks are the first m-lines, in order; then the receive-only ones.
      if (i < c.send.size ())
        {
          auto &st = c.send[i];
          auto codecs = self->priv->out->codecs_of (*st.track);
          for (guint f = 0; !st.codec && f < gst_sdp_media_formats_len (m); f++)
            for (auto *codec : codecs)
              if (codec->pt == (guint)atoi (gst_sdp_media_get_format (m, f)))
                st.codec = codec;
          if (st.track->video)
            st.twcc_id = rtc::twcc_extmap_id (m);
        }
      // The caller sends unless it answered recvonly or inactive.
      if (gst_sdp_media_get_attribute_val (m, "recvonly")
          || gst_sdp_media_get_attribute_val (m, "inactive"))
        continue;
      const CodecInfo *codec = rtc::codec_by_pt (atoi (gst_sdp_media_get_format (m, 0)));
      if (codec && g_strcmp0 (codec->media, media) == 0)
        c.in.ref->codecs[i] = codec;
    }
  gst_sdp_message_free (sdp);
  c.in.expected_tracks = c.in.ref->codecs.size ();
  for (auto &st : c.send)
    {
      if (!st.codec || !rtc::route_to_feed (*self->priv->out, st))
        continue;
      Ptr<GstCaps> caps (rtc::session_track_caps (st));
      gst_app_src_set_caps (GST_APP_SRC (st.appsrc.get ()), caps.get ());
    }
  use_direct_path (self, c);
  gst_rtc_peer_bin_set_remote_description (
      GST_RTC_PEER_BIN (c.peer.get ()), "answer", answer.c_str (),
      [] (GstRtcPeerBin *, const GError *error, gpointer data) {
        on_worker (data, error, call_joined);
      },
      rtc::boxed (SessionRef{ self, c.session_id }), rtc::free_boxed<SessionRef>);
}

/* --- we call and answer ------------------------------------------------------------------ */

// One audio/video m-line of the producer's offer, and what we do on it.
struct Plan
{
  std::shared_ptr<rtc::Track> send; // our track sent on it, or nullptr
  rtc::MlineChoice choice;          // the codec (both ways when we send)
  bool receive = false;             // the producer sends on it
};

void send_and_answer (GstRtcCallBin *self, Call &c, const std::string &err);

void
answer_call (GstRtcCallBin *self, Call &c, const std::string &offer)
{
  auto *bin = GST_RTC_SIGNAL_BIN (self);
  if (c.peer)
    {
      rtc::end_session (bin, c.session_id,
                        "expected one SDP offer, got another (renegotiation is not supported)");
      return;
    }
  GstSDPMessage *sdp = rtc::parse_sdp (offer);
  if (!sdp)
    {
      rtc::refuse_session (bin, c.session_id, "the offer is not a valid SDP with media");
      return;
    }
  auto tracks = self->priv->out->tracks ();
  std::vector<bool> used (tracks.size (), false);
  auto plans = std::make_shared<std::vector<Plan>> ();
  std::vector<guint> mlines;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
      bool video = g_strcmp0 (gst_sdp_media_get_media (m), "video") == 0;
      if (!video && g_strcmp0 (gst_sdp_media_get_media (m), "audio") != 0)
        continue;
      Plan p;
      p.receive = rtc::mline_usable (m, rtc::OfferUse::Receive);
      if (rtc::mline_usable (m, rtc::OfferUse::Send))
        for (std::size_t t = 0; t < tracks.size () && !p.send; t++)
          if (!used[t] && tracks[t]->video == video)
            {
              rtc::MlineChoice ch = rtc::choose_codec (
                  m, i, self->priv->out->codecs_of (*tracks[t]), rtc::OfferUse::Send);
              if (ch.codec)
                {
                  used[t] = true;
                  p.send = tracks[t];
                  p.choice = std::move (ch);
                }
            }
      if (!p.send && p.receive)
        p.choice = rtc::choose_codec (m, i, receive_codecs (self, video), rtc::OfferUse::Receive);
      if (!p.choice.codec)
        continue;
      plans->push_back (std::move (p));
    }
  gst_sdp_message_free (sdp);
  if (plans->empty ())
    {
      rtc::refuse_session (bin, c.session_id,
                           "the offer has no audio or video this call can send or receive");
      return;
    }
  GstElement *peer = make_peer (self, c);
  if (!peer)
    return;
  std::string summary;
  for (auto &p : *plans)
    {
      if (p.receive)
        c.in.ref->codecs[p.choice.mline] = p.choice.codec;
      // Receive-only m-lines: a receiver pins the codec we answer with.
      if (!p.send)
        gst_rtc_peer_bin_add_receiver (GST_RTC_PEER_BIN (peer), p.choice.caps);
      summary += (summary.empty () ? "" : ", ") + std::string (p.choice.codec->name)
                 + (p.send ? (p.receive ? " both ways" : " sent") : " received");
    }
  c.in.expected_tracks = c.in.ref->codecs.size ();
  rtc::start_peer (bin, c, false);
  GST_INFO_OBJECT (self, "calling %s (session %s): answering with %s", c.peer_id.c_str (),
                   c.session_id.c_str (), summary.c_str ());
  struct Ctx
  {
    SessionRef ref;
    std::shared_ptr<std::vector<Plan>> plans;
  };
  // Once the offer is applied, the pads we request are bound to its m-lines (rtcpeerbin.h).
  gst_rtc_peer_bin_set_remote_description (
      GST_RTC_PEER_BIN (peer), "offer", offer.c_str (),
      [] (GstRtcPeerBin *, const GError *error, gpointer data) {
        auto *ctx = static_cast<Ctx *> (data);
        auto *self = ctx->ref.self;
        std::string sid = ctx->ref.session_id, err = error ? error->message : "";
        auto plans = ctx->plans;
        rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self, sid, err, plans] {
          Call *c = find_call (self, sid);
          if (!c)
            return;
          if (err.empty ())
            for (auto &p : *plans)
              if (p.send)
                {
                  rtc::SessionTrack st = rtc::add_session_track (GST_BIN (self), c->peer.get (),
                                                                 p.send, p.choice.caps);
                  st.codec = p.choice.codec;
                  st.pt = (int)p.choice.pt;
                  st.offered_caps = Ptr<GstCaps>::ref (p.choice.caps);
                  c->send.push_back (std::move (st));
                }
          send_and_answer (self, *c, err.empty () ? "" : "the SDP offer was refused: " + err);
        });
      },
      rtc::boxed (Ctx{ SessionRef{ self, c.session_id }, plans }), rtc::free_boxed<Ctx>);
}

// The offer is applied and our pads bound: feed them (webrtcbin answers once they have caps).
void
send_and_answer (GstRtcCallBin *self, Call &c, const std::string &err)
{
  auto *bin = GST_RTC_SIGNAL_BIN (self);
  if (!err.empty ())
    {
      rtc::end_session (bin, c.session_id, err.c_str ());
      return;
    }
  for (auto &st : c.send)
    if (!rtc::route_to_feed (*self->priv->out, st))
      {
        rtc::refuse_session (bin, c.session_id,
                             std::string ("internal error: the ") + st.codec->name
                                 + " feed cannot be built");
        return;
      }
  for (auto &st : c.send)
    {
      gst_element_sync_state_with_parent (st.appsrc.get ());
      Ptr<GstCaps> caps (rtc::session_track_caps (st));
      gst_app_src_set_caps (GST_APP_SRC (st.appsrc.get ()), caps.get ());
    }
  use_direct_path (self, c);
  rtc::subscribe_session_tracks (c.send, c.subscribed);
  gst_rtc_peer_bin_create_answer (
      GST_RTC_PEER_BIN (c.peer.get ()),
      [] (GstRtcPeerBin *, const GError *error, gpointer data) {
        on_worker (data, error, call_joined);
      },
      rtc::boxed (SessionRef{ self, c.session_id }), rtc::free_boxed<SessionRef>);
}

/* --- hooks ------------------------------------------------------------------------------- */

RtcSignallerRole
call_role (GstRtcSignalBin *bin)
{
  return copy_settings (callbin_of (bin)).call.empty () ? RTC_SIGNALLER_ROLE_PRODUCER
                                                        : RTC_SIGNALLER_ROLE_CONSUMER;
}

void
call_configure (GstRtcSignalBin *bin, rtc::SignallingConfig &config)
{
  Settings s = copy_settings (callbin_of (bin));
  config.page = "/call";
  config.action = "call";
  if (!s.call.empty () && s.call != "first")
    config.producer_id = s.call;
}

std::unique_ptr<rtc::Session>
new_call ()
{
  return std::make_unique<Call> ();
}

// One call at a time: a second caller hears the line is busy.
std::string
call_admit (GstRtcSignalBin *, std::size_t count)
{
  return count >= 1 ? "busy: a call is in progress; try again later" : "";
}

bool
tracks_wait (GstRtcCallBin *self, std::string *why)
{
  // No request pad at all is a receive-only call, not a wait.
  return !self->priv->out->tracks ().empty () && !self->priv->out->ready (why);
}

void
call_begin (GstRtcSignalBin *bin, rtc::Session &session, const std::string &offer)
{
  auto *self = callbin_of (bin);
  Call &c = call_of (session);
  set_peer (self, c.peer_id);
  std::string why;
  if (tracks_wait (self, &why))
    {
      GST_INFO_OBJECT (self, "call %s waits: %s", c.session_id.c_str (), why.c_str ());
      c.waiting = true;
      c.offer = offer;
      return;
    }
  if (!offer.empty ())
    answer_call (self, c, offer);
  else if (call_role (bin) == RTC_SIGNALLER_ROLE_PRODUCER)
    offer_call (self, c);
  else
    GST_INFO_OBJECT (self, "calling %s (session %s): waiting for its offer", c.peer_id.c_str (),
                     c.session_id.c_str ());
}

void
call_remote_sdp (GstRtcSignalBin *bin, rtc::Session &session, const std::string &type,
                 const std::string &sdp)
{
  auto *self = callbin_of (bin);
  Call &c = call_of (session);
  if (c.we_offer)
    {
      if (type != "answer" || c.answered)
        rtc::end_session (bin, c.session_id,
                          ("expected one SDP answer to our offer, got " + type).c_str ());
      else
        apply_answer (self, c, sdp);
      return;
    }
  if (type != "offer")
    {
      rtc::refuse_session (bin, c.session_id, "expected an SDP offer, got " + type);
      return;
    }
  if (c.waiting)
    c.offer = sdp;
  else
    answer_call (self, c, sdp);
}

void
call_connected (GstRtcSignalBin *, rtc::Session &session)
{
  start_flowing (call_of (session));
}

void
call_before_peer_stops (GstRtcSignalBin *bin, rtc::Session &session)
{
  Call &c = call_of (session);
  rtc::detach_session_tracks (c.send);
  if (c.direct)
    c.direct->stop (); // lets go of the peer and its ICE agent, whoever still holds the sender
  callbin_of (bin)->priv->in->before_peer_stops (c.in);
}

void
call_ended (GstRtcSignalBin *bin, rtc::Session &session, const char *reason, bool eos)
{
  auto *self = callbin_of (bin);
  Call &c = call_of (session);
  rtc::remove_session_tracks (GST_BIN (self), c.send);
  // The caller's pads end with EOS and go; the next caller gets new ones.
  self->priv->in->ended (c.in, eos);
  // One call at a time: the next call's pads are video_src_0 ... again.
  self->priv->in->reset_numbering ();
  set_peer (self, "");
  rtc::post_element_message (bin, gst_structure_new ("rtckit-call-ended", "session-id",
                                                     G_TYPE_STRING, c.session_id.c_str (),
                                                     "peer-id", G_TYPE_STRING, c.peer_id.c_str (),
                                                     "reason", G_TYPE_STRING, reason, nullptr));
}

} // namespace

// Every 250 ms: what we send follows the caller's bandwidth estimate, rung by rung of the
// ladder (a bitrate alone cannot get a noisy 720p picture under a few hundred kbit/s: a lower
// rung is smaller too). One caller: only the rung it watches encodes.
static void
call_tick (GstRtcSignalBin *bin, rtc::Session &session)
{
  Call &c = call_of (session);
  if (!c.flowing)
    return;
  if (c.direct && c.direct->started ())
    c.direct->tick ();
  for (auto &st : c.send)
    rtc::adapt_session_track (*callbin_of (bin)->priv->out, st, -1);
}

// Every second: what the own send stage sent, for the dashboard (webrtcbin's stats, still read
// every second, give what the call receives).
static void
call_poll (GstRtcSignalBin *bin, rtc::Session &session)
{
  Call &c = call_of (session);
  if (c.direct)
    rtc::log_sending (bin, c.session_id, rtc::direct_figures (*c.direct, c.send));
}

const GstRtcSignalBinHooks rtc::call::call_hooks = {
  .role = RTC_SIGNALLER_ROLE_PRODUCER,
  .role_now = call_role,
  .peer_noun = "caller",
  .configure = call_configure,
  .new_session = new_call,
  .admit = call_admit,
  .begin = call_begin,
  .remote_sdp = call_remote_sdp,
  .state_changed = nullptr,
  .connected = call_connected,
  .poll = call_poll,
  .tick = call_tick,
  .before_peer_stops = call_before_peer_stops,
  .ended = call_ended,
  .count_changed = nullptr,
  .channel_message = nullptr,
};

void
rtc::call::process_waiting (GstRtcCallBin *self)
{
  std::string why;
  if (tracks_wait (self, &why))
    return;
  std::vector<std::string> waiting;
  for (auto &[id, s] : rtc::signal_bin (GST_RTC_SIGNAL_BIN (self)).sessions)
    if (call_of (*s).waiting)
      waiting.push_back (id);
  for (auto &id : waiting)
    if (Call *c = find_call (self, id))
      {
        c->waiting = false;
        std::string offer = std::move (c->offer);
        if (!offer.empty ())
          answer_call (self, *c, offer);
        else if (call_role (GST_RTC_SIGNAL_BIN (self)) == RTC_SIGNALLER_ROLE_PRODUCER)
          offer_call (self, *c);
      }
}

void
rtc::call::end_calls_of_track (GstRtcCallBin *self, const std::shared_ptr<rtc::Track> &track)
{
  std::vector<std::string> ids;
  for (auto &[id, s] : rtc::signal_bin (GST_RTC_SIGNAL_BIN (self)).sessions)
    for (auto &st : call_of (*s).send)
      if (st.track == track)
        ids.push_back (id);
  for (auto &id : ids)
    rtc::end_session (GST_RTC_SIGNAL_BIN (self), id, "the pipeline's tracks changed");
}

rtc::IncomingSession *
rtc::call::find_incoming (GstRtcCallBin *self, const std::string &session_id)
{
  Call *c = find_call (self, session_id);
  return c ? &c->in : nullptr;
}

void
rtc::call::call_announced (GstRtcCallBin *self, const std::string &sid, const std::string &pid,
                           const std::vector<std::string> &names)
{
  GStrv strv = g_new0 (gchar *, names.size () + 1);
  for (std::size_t i = 0; i < names.size (); i++)
    strv[i] = g_strdup (names[i].c_str ());
  rtc::post_element_message (GST_RTC_SIGNAL_BIN (self),
                             gst_structure_new ("rtckit-call-pads", "session-id", G_TYPE_STRING,
                                                sid.c_str (), "peer-id", G_TYPE_STRING,
                                                pid.c_str (), "pads", G_TYPE_STRV, strv, nullptr));
  g_strfreev (strv);
}

void
rtc::call::end_received (GstRtcCallBin *self)
{
  for (auto &[id, s] : rtc::signal_bin (GST_RTC_SIGNAL_BIN (self)).sessions)
    self->priv->in->end_tracks (call_of (*s).in);
}
