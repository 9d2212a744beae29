// rtcbroadcastsink: signalling sessions and their viewers. Everything here but the signaller
// and webrtcbin callbacks runs on the element's worker thread, which alone owns the viewers.
#include "broadcast/sink-private.h"

#include "broadcast/navigation.h"
#include "closure.h"
#include "offer-choice.h"
#include "rtcpeerbin.h"

#include <gst/app/gstappsrc.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <functional>

using namespace rtc::broadcast;
using rtc::CodecInfo;
using rtc::Feed;
using rtc::Ptr;

static void
update_snapshot (GstRtcBroadcastSink *self, const std::string &session_id,
                 const std::function<void (rtc::ViewerSnapshot &)> &fn)
{
  std::lock_guard lock (self->priv->stats_lock);
  auto it = self->priv->snapshots.find (session_id);
  if (it != self->priv->snapshots.end ())
    fn (it->second);
}

static GstRtcBroadcastSink *
sink_of (GstRtcSignalBin *bin)
{
  return GST_RTC_BROADCAST_SINK (bin);
}

static Viewer &
viewer_of (rtc::Session &session)
{
  return static_cast<Viewer &> (session);
}

// The 'viewers' property: sessions with a peer (not those waiting for the tracks' caps).
static void
update_viewer_count (GstRtcBroadcastSink *self)
{
  guint n = 0;
  for (auto &[id, s] : rtc::signal_bin (GST_RTC_SIGNAL_BIN (self)).sessions)
    n += viewer_of (*s).waiting ? 0 : 1;
  std::lock_guard lock (self->priv->stats_lock);
  self->priv->viewer_count = n;
}

// The viewer's peer is about to stop: nothing may push into it any more.
static void
viewer_before_peer_stops (GstRtcSignalBin *, rtc::Session &session)
{
  Viewer &v = viewer_of (session);
  rtc::detach_session_tracks (v.tracks);
  if (v.direct)
    v.direct->stop (); // lets go of the peer and its ICE agent, whoever still holds the sender
}

static void
viewer_ended (GstRtcSignalBin *bin, rtc::Session &session, const char *reason, bool)
{
  auto *self = sink_of (bin);
  Viewer &v = viewer_of (session);
  rtc::remove_session_tracks (GST_BIN (self), v.tracks);
  {
    std::lock_guard lock (self->priv->stats_lock);
    self->priv->snapshots.erase (v.session_id);
    if (v.peer)
      self->priv->totals.viewers_left++;
  }
  if (!v.peer)
    return; // it waited for the tracks: nobody heard of it
  rtc::post_element_message (bin, gst_structure_new ("rtckit-viewer-left", "session-id",
                                                     G_TYPE_STRING, v.session_id.c_str (),
                                                     "peer-id", G_TYPE_STRING, v.peer_id.c_str (),
                                                     "reason", G_TYPE_STRING, reason, nullptr));
}

static void
viewers_count_changed (GstRtcSignalBin *bin, guint)
{
  update_viewer_count (sink_of (bin));
}

// Packets start flowing to a viewer once its connection is up: what was pushed before DTLS
// was lost anyway. Subscribing asks the feed for a keyframe (or sends its cached GOP), so the
// first frame a viewer gets is decodable, and a join costs one forced keyframe, not two.
// A viewer that offered (WHEP) is subscribed before its connection is up: webrtcbin answers
// only once caps reached it, and with a buffer they surely have; at connect it then only asks
// for the keyframe.
static void
subscribe_viewer (Viewer *v)
{
  rtc::subscribe_session_tracks (v->tracks, v->subscribed);
}

static void
viewer_state_changed (GstRtcSignalBin *bin, rtc::Session &session,
                      GstWebRTCPeerConnectionState state)
{
  GEnumValue *ev = g_enum_get_value (
      G_ENUM_CLASS (g_type_class_peek (GST_TYPE_WEBRTC_PEER_CONNECTION_STATE)), state);
  std::string nick = ev ? ev->value_nick : "unknown";
  update_snapshot (sink_of (bin), session.session_id, [&] (rtc::ViewerSnapshot &s) {
    s.state = nick;
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !s.connected_us)
      s.connected_us = g_get_monotonic_time ();
  });
}

static void
viewer_connected (GstRtcSignalBin *bin, rtc::Session &session)
{
  if (!viewer_of (session).direct)
    update_snapshot (sink_of (bin), session.session_id,
                     [] (rtc::ViewerSnapshot &snap) { snap.send_path = "webrtcbin"; });
  Viewer &v = viewer_of (session);
  if (v.answered && !v.flowing)
    {
      v.flowing = true;
      subscribe_viewer (&v);
    }
}

// The viewer's codecs are agreed: count it in and tell the application.
static void
viewer_joined (GstRtcBroadcastSink *self, Viewer *v)
{
  std::string video_codec, audio_codec;
  for (auto &vt : v->tracks)
    if (vt.codec)
      (vt.track->video ? video_codec : audio_codec) = vt.codec->name;
  v->answered = true;
  if (v->connected && !v->flowing)
    {
      v->flowing = true;
      subscribe_viewer (v);
    }
  update_snapshot (self, v->session_id, [&] (rtc::ViewerSnapshot &s) {
    s.video_codec = video_codec;
    s.audio_codec = audio_codec;
  });
  {
    std::lock_guard lock (self->priv->stats_lock);
    self->priv->totals.viewers_joined++;
  }
  GST_INFO_OBJECT (self, "viewer %s joined: video %s, audio %s", v->session_id.c_str (),
                   video_codec.empty () ? "none" : video_codec.c_str (),
                   audio_codec.empty () ? "none" : audio_codec.c_str ());
  rtc::post_element_message (GST_RTC_SIGNAL_BIN (self),
                             gst_structure_new ("rtckit-viewer-joined", "session-id", G_TYPE_STRING,
                                                v->session_id.c_str (), "peer-id", G_TYPE_STRING,
                                                v->peer_id.c_str (), "video-codec", G_TYPE_STRING,
                                                video_codec.c_str (), "audio-codec", G_TYPE_STRING,
                                                audio_codec.c_str (), nullptr));
}

static bool
route_to_feed (GstRtcBroadcastSink *self, rtc::SessionTrack &vt)
{
  return rtc::route_to_feed (*self->priv->out, vt);
}

// With direct-send, the viewer's routed tracks go through a send stage of its own once its
// DTLS peer is verified (send/direct-sender.h); until then they hold back.
static void
use_direct_path (GstRtcBroadcastSink *self, Viewer &v)
{
  if (!copy_settings (self).direct_send || v.direct)
    return;
  const std::string id = v.session_id;
  v.direct = rtc::prepare_direct_path (
      v.peer.get (), v.tracks, [self, id] (std::shared_ptr<const rtc::MediaPath> path) {
        rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self, id, path] {
          rtc::Session *s = rtc::find_session (GST_RTC_SIGNAL_BIN (self), id);
          if (!s || !viewer_of (*s).direct)
            return;
          Viewer &v = viewer_of (*s);
          v.direct_started
              = rtc::start_direct_path (v.peer.get (), *v.direct, v.tracks, path, v.subscribed);
          const bool direct = v.direct_started;
          v.stats_every_poll = !direct; // viewer_poll reads the send stage's own counts
          update_snapshot (self, id, [direct] (rtc::ViewerSnapshot &snap) {
            snap.send_path = direct ? "direct" : "webrtcbin";
          });
          GST_INFO_OBJECT (self, "viewer %s: %s", id.c_str (),
                           v.direct_started ? "sending through our own send stage"
                                            : "sending through webrtcbin");
        });
      });
}

// A WHEP player's offer: one of our tracks per m-line it wants to receive, in order, with the
// first of the track's codecs it offers, under its own payload type. Returns an error text, or
// "" with @v's tracks added.
static std::string
add_tracks_for_offer (GstRtcBroadcastSink *self, Viewer *v, GstElement *peer,
                      const std::vector<std::shared_ptr<rtc::Track>> &tracks,
                      const std::string &offer)
{
  GstSDPMessage *sdp = rtc::parse_sdp (offer);
  if (!sdp)
    return "the offer is not a valid SDP with media";
  std::vector<bool> used (tracks.size (), false);
  std::string refused;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
      bool video = g_strcmp0 (gst_sdp_media_get_media (m), "video") == 0;
      if (!video && g_strcmp0 (gst_sdp_media_get_media (m), "audio") != 0)
        continue;
      if (!rtc::mline_usable (m, rtc::OfferUse::Send))
        continue;
      std::size_t t = 0;
      while (t < tracks.size () && (used[t] || tracks[t]->video != video))
        t++;
      if (t == tracks.size ())
        continue; // nothing of that kind to send: webrtcbin answers the m-line inactive
      std::vector<const CodecInfo *> codecs = self->priv->out->codecs_of (*tracks[t]);
      rtc::MlineChoice choice = rtc::choose_codec (m, i, codecs, rtc::OfferUse::Send);
      if (!choice.codec)
        {
          if (refused.empty ())
            refused = std::string ("no common ") + (video ? "video" : "audio")
                      + " codec: this stream sends " + rtc::codec_names (codecs)
                      + " and the offer has none of them";
          continue;
        }
      used[t] = true;
      rtc::SessionTrack vt = rtc::add_session_track (GST_BIN (self), peer, tracks[t], choice.caps);
      vt.codec = choice.codec;
      vt.pt = (int)choice.pt;
      vt.offered_caps = Ptr<GstCaps>::ref (choice.caps);
      if (video)
        vt.twcc_id = rtc::twcc_extmap_id (m);
      v->tracks.push_back (std::move (vt));
    }
  gst_sdp_message_free (sdp);
  if (v->tracks.empty ())
    return refused.empty () ? "the offer asks for no media this stream sends" : refused;
  return "";
}

static void
on_our_answer (GstRtcBroadcastSink *self, const std::string &session_id, const std::string &err)
{
  auto *bin = GST_RTC_SIGNAL_BIN (self);
  rtc::Session *s = rtc::find_session (bin, session_id);
  if (!s)
    return;
  if (!err.empty ())
    {
      rtc::end_session (bin, session_id, err.c_str ());
      return;
    }
  viewer_joined (self, &viewer_of (*s));
}

namespace
{
struct SessionRef
{
  GstRtcBroadcastSink *self;
  std::string session_id;
};
} // namespace

// Builds the viewer's peer: we offer (our WebSocket protocol, WHIP) when it has no offer, or we
// answer the viewer's offer (WHEP).
static void
start_viewer (GstRtcBroadcastSink *self, Viewer &v)
{
  auto *bin = GST_RTC_SIGNAL_BIN (self);
  v.waiting = false;
  const std::string session_id = v.session_id, offer = std::move (v.offer);
  Settings s = copy_settings (self);
  std::vector<std::shared_ptr<rtc::Track>> tracks = self->priv->out->tracks ();
  GstElement *peer = rtc::new_peer (bin, v);
  if (!peer)
    return;
  g_object_set (peer, "retransmission-budget", s.retransmission_budget, nullptr);
  {
    std::lock_guard lock (self->priv->stats_lock);
    rtc::ViewerSnapshot snap;
    snap.session_id = session_id;
    snap.peer_id = v.peer_id;
    snap.created_us = v.created_us;
    self->priv->snapshots[session_id] = snap;
  }
  update_viewer_count (self);

  bool answering = !offer.empty ();
  if (answering)
    {
      std::string why = add_tracks_for_offer (self, &v, peer, tracks, offer);
      for (auto &vt : v.tracks)
        if (why.empty () && !route_to_feed (self, vt))
          why = "internal error: the " + std::string (vt.codec->name) + " feed cannot be built";
      if (!why.empty ())
        {
          rtc::refuse_session (bin, session_id, why);
          return;
        }
      use_direct_path (self, v);
    }
  else
    {
      const bool announce_ssrc = rtc::signal_bin (bin).signalling.announces_ssrc ();
      for (auto &track : tracks)
        {
          GstCaps *caps = rtc::offer_caps_for (self->priv->out->codecs_of (*track));
          // a=ssrc for peers that demultiplex by SSRC only (Janus drops packets of SSRCs its SDP
          // does not know). Not for browsers on our signalling: with a=ssrc (whose msid webrtcbin
          // makes the same for audio and video) Chromium dropped ~6x more frames of a passthrough
          // stream, likely from A/V sync holding video back; video-only a=ssrc did not.
          if (announce_ssrc && !gst_caps_is_empty (caps))
            gst_structure_set (gst_caps_get_structure (caps, 0), "ssrc", G_TYPE_UINT, track->ssrc,
                               nullptr);
          v.tracks.push_back (rtc::add_session_track (GST_BIN (self), peer, track, caps));
          gst_caps_unref (caps);
        }
    }

  rtc::start_peer (bin, v, !answering);
  // Remote control: the viewer page (and gstwebrtc-api) send input on this channel.
  if (!answering && s.navigation
      && !gst_rtc_peer_bin_create_data_channel (GST_RTC_PEER_BIN (peer), rtc::kNavigationLabel))
    GST_WARNING_OBJECT (self, "viewer %s: no navigation channel could be made",
                        session_id.c_str ());
  // An answer needs caps on webrtcbin's pads, so the appsrcs run; an offer does not, and with
  // direct-send they start only if the session falls back to webrtcbin (start_direct_path):
  // an idle appsrc is a thread per track and viewer, ~0.14 MB.
  if (answering || !s.direct_send)
    for (auto &vt : v.tracks)
      gst_element_sync_state_with_parent (vt.appsrc.get ());
  // Answering: the caps go now (they reach webrtcbin without a buffer, and it answers once
  // they did). Offering: once the answer chose the codec (apply_answer).
  for (auto &vt : v.tracks)
    if (vt.offered_caps)
      {
        Ptr<GstCaps> caps (rtc::session_track_caps (vt));
        gst_app_src_set_caps (GST_APP_SRC (vt.appsrc.get ()), caps.get ());
      }
  if (answering)
    subscribe_viewer (&v);
  if (!answering)
    {
      GST_INFO_OBJECT (self, "viewer %s (peer %s): sending offer", session_id.c_str (),
                       v.peer_id.c_str ());
      gst_rtc_peer_bin_create_offer (GST_RTC_PEER_BIN (peer));
      return;
    }
  GST_INFO_OBJECT (self, "viewer %s (peer %s) offered: answering", session_id.c_str (),
                   v.peer_id.c_str ());
  gst_rtc_peer_bin_answer (
      GST_RTC_PEER_BIN (peer), offer.c_str (),
      [] (GstRtcPeerBin *, const GError *error, gpointer data) {
        auto *ref = static_cast<SessionRef *> (data);
        auto *self = ref->self;
        std::string session_id = ref->session_id;
        std::string err = error ? error->message : "";
        rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self),
                            [self, session_id, err] { on_our_answer (self, session_id, err); });
      },
      rtc::boxed (SessionRef{ self, session_id }), rtc::free_boxed<SessionRef>);
}

static bool
tracks_ready (GstRtcBroadcastSink *self, std::string *why)
{
  return self->priv->out->ready (why);
}

void
rtc::broadcast::process_pending (GstRtcBroadcastSink *self)
{
  std::string why;
  if (!tracks_ready (self, &why))
    return;
  std::vector<std::string> waiting;
  for (auto &[id, s] : rtc::signal_bin (GST_RTC_SIGNAL_BIN (self)).sessions)
    if (viewer_of (*s).waiting)
      waiting.push_back (id);
  for (auto &id : waiting)
    if (rtc::Session *s = rtc::find_session (GST_RTC_SIGNAL_BIN (self), id))
      start_viewer (self, viewer_of (*s));
}

static std::string
viewer_admit (GstRtcSignalBin *bin, std::size_t count)
{
  guint max = copy_settings (sink_of (bin)).max_viewers;
  if (max && count >= max)
    return "max-viewers reached: this stream accepts " + std::to_string (max)
           + " viewer(s) at once; try again later";
  return "";
}

static std::unique_ptr<rtc::Session>
new_viewer ()
{
  return std::make_unique<Viewer> ();
}

static void
viewer_begin (GstRtcSignalBin *bin, rtc::Session &session, const std::string &offer)
{
  auto *self = sink_of (bin);
  Viewer &v = viewer_of (session);
  v.offer = offer;
  std::string why;
  if (!tracks_ready (self, &why))
    {
      GST_INFO_OBJECT (self, "session %s waits: %s", v.session_id.c_str (), why.c_str ());
      v.waiting = true;
      update_viewer_count (self);
      return;
    }
  start_viewer (self, v);
}

// Picks, per m-line, the first payload type of the answer that we offered.
static void
apply_answer (GstRtcBroadcastSink *self, const std::string &session_id, const std::string &sdp_text)
{
  rtc::Session *session = rtc::find_session (GST_RTC_SIGNAL_BIN (self), session_id);
  if (!session)
    return;
  Viewer *v = &viewer_of (*session);
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new (&sdp);
  gst_sdp_message_parse_buffer (reinterpret_cast<const guint8 *> (sdp_text.data ()),
                                sdp_text.size (), sdp);
  bool any_video = false, video_rejected = false;
  std::string video_codec, audio_codec, offered_video;
  for (std::size_t i = 0; i < v->tracks.size (); i++)
    {
      rtc::SessionTrack &vt = v->tracks[i];
      std::vector<const CodecInfo *> codecs = self->priv->out->codecs_of (*vt.track);
      const CodecInfo *chosen = nullptr;
      if (i < gst_sdp_message_medias_len (sdp))
        {
          const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
          if (gst_sdp_media_get_port (m) != 0)
            for (guint f = 0; !chosen && f < gst_sdp_media_formats_len (m); f++)
              {
                guint pt = atoi (gst_sdp_media_get_format (m, f));
                for (auto *c : codecs)
                  if (c->pt == pt)
                    chosen = c;
              }
        }
      if (vt.track->video)
        {
          any_video = true;
          if (!chosen)
            {
              video_rejected = true;
              offered_video = rtc::codec_names (codecs);
            }
        }
      if (!chosen)
        continue;
      vt.codec = chosen;
      if (vt.track->video)
        vt.twcc_id = rtc::twcc_extmap_id (gst_sdp_message_get_media (sdp, i));
      (vt.track->video ? video_codec : audio_codec) = chosen->name;
    }
  gst_sdp_message_free (sdp);

  if (video_rejected || (!any_video && audio_codec.empty ()))
    {
      std::string why = video_rejected
                            ? "no common video codec: this stream offers " + offered_video
                                  + " and the browser accepts none of them"
                            : "no common audio codec: the browser accepts none of the offered ones";
      rtc::refuse_session (GST_RTC_SIGNAL_BIN (self), session_id, why);
      return;
    }
  for (auto &vt : v->tracks)
    {
      if (!vt.codec || !route_to_feed (self, vt))
        continue;
      Ptr<GstCaps> caps (rtc::session_track_caps (vt));
      gst_app_src_set_caps (GST_APP_SRC (vt.appsrc.get ()), caps.get ());
    }
  use_direct_path (self, *v);
  viewer_joined (self, v);
}

static void
viewer_remote_sdp (GstRtcSignalBin *bin, rtc::Session &session, const std::string &type,
                   const std::string &sdp)
{
  auto *self = sink_of (bin);
  Viewer &v = viewer_of (session);
  if (type != "answer" || v.answered || !v.peer)
    {
      rtc::end_session (bin, v.session_id,
                        ("expected one SDP answer to our offer, got " + type).c_str ());
      return;
    }
  struct Ctx
  {
    GstRtcBroadcastSink *self;
    std::string session_id, sdp;
  };
  gst_rtc_peer_bin_set_remote_description (
      GST_RTC_PEER_BIN (v.peer.get ()), "answer", sdp.c_str (),
      [] (GstRtcPeerBin *, const GError *error, gpointer data) {
        auto *ctx = static_cast<Ctx *> (data);
        auto *self = ctx->self;
        std::string session_id = ctx->session_id, sdp = ctx->sdp;
        std::string err = error ? error->message : "";
        rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self, session_id, sdp, err] {
          if (!err.empty ())
            rtc::end_session (GST_RTC_SIGNAL_BIN (self), session_id,
                              ("the SDP answer was refused: " + err).c_str ());
          else
            apply_answer (self, session_id, sdp);
        });
      },
      rtc::boxed (Ctx{ self, v.session_id, sdp }), rtc::free_boxed<Ctx>);
}

// Every second: the viewer's repair and data channel counters, for /stats and /metrics.
static void
viewer_poll (GstRtcSignalBin *bin, rtc::Session &session)
{
  auto *self = sink_of (bin);
  const std::string &id = session.session_id;
  update_snapshot (self, id, [&session] (rtc::ViewerSnapshot &snap) {
    snap.messages_received = session.inbox->received.load ();
    snap.messages_dropped = session.inbox->dropped.load ();
  });
  const Viewer &v = viewer_of (session);
  if (v.direct_started)
    {
      // The send stage counted the packets, and gives the receiver reports' loss to the
      // estimate itself.
      const rtc::MediaFigures m = rtc::direct_figures (*v.direct, v.tracks);
      update_snapshot (self, id, [&m] (rtc::ViewerSnapshot &snap) { rtc::take_sending (snap, m); });
      rtc::log_sending (bin, id, m);
    }
  GstStructure *repair = nullptr;
  g_object_get (session.peer.get (), "repair-stats", &repair, nullptr);
  if (repair)
    {
      update_snapshot (self, id, [repair] (rtc::ViewerSnapshot &snap) {
        gst_structure_get (repair, "retransmitted", G_TYPE_UINT64, &snap.retransmitted,
                           "retransmissions-dropped", G_TYPE_UINT64, &snap.retransmissions_dropped,
                           "keyframes-for-loss", G_TYPE_UINT64, &snap.keyframes_for_loss, nullptr);
      });
      gst_structure_free (repair);
    }
}

// Every 250 ms: each video track's estimate and rung (the first video track's go to /stats).
static void
viewer_tick (GstRtcSignalBin *bin, rtc::Session &session)
{
  auto *self = sink_of (bin);
  Viewer &v = viewer_of (session);
  if (!v.flowing)
    return;
  if (v.direct_started)
    v.direct->tick ();
  const std::string &id = session.session_id;
  double report_loss = -1;
  update_snapshot (self, id, [&report_loss] (rtc::ViewerSnapshot &snap) {
    report_loss = snap.report_loss;
    snap.report_loss = -1; // taken
  });
  bool reported = false;
  for (auto &vt : v.tracks)
    {
      if (!vt.estimate)
        continue;
      rtc::adapt_session_track (*self->priv->out, vt, report_loss);
      if (reported)
        continue;
      reported = true;
      rtc::EstimateSnapshot e = vt.estimate->snapshot ();
      auto current = vt.outlet->current (), pending = vt.outlet->pending ();
      update_snapshot (self, id, [&] (rtc::ViewerSnapshot &snap) {
        snap.estimate_kbps = e.feedback ? e.estimate_kbps : 0;
        snap.received_kbps = e.received_kbps;
        snap.queue_ms = e.queue_ms;
        snap.feedback_loss = e.loss;
        snap.twcc_feedback = e.feedback;
        snap.padding_bytes = vt.outlet->padding_bytes ();
        snap.rung_switches = vt.outlet->switches ();
        if (current && vt.policy)
          {
            snap.rung = (gint)current->rung_index ();
            snap.rung_size = vt.policy->rungs ()[current->rung_index ()];
            snap.rung_pending = pending ? (gint)pending->rung_index () : -1;
          }
        const guint layers = current ? current->temporal_layers () : 1;
        snap.temporal_layer
            = layers > 1 ? (gint)MIN ((guint)vt.outlet->temporal_layer (), layers - 1) : -1;
        snap.frames_left_out = vt.outlet->frames_left_out ();
      });
    }
}

// webrtcbin's stats of the viewer (rtcsignalbin asks once a second), for /stats and /metrics.
static void
viewer_stats (GstRtcSignalBin *bin, const std::string &session_id, const GstStructure *stats)
{
  // (The sessions are the worker's: the snapshot, under the stats lock, says the send path.)
  const rtc::MediaFigures m = rtc::read_media_stats (stats);
  update_snapshot (sink_of (bin), session_id, [&m] (rtc::ViewerSnapshot &snap) {
    if (snap.send_path == "direct")
      return; // webrtcbin never saw its packets: viewer_poll reads the send stage's counts
    const guint64 sent = snap.packets_sent;
    const gint64 lost = snap.packets_lost;
    rtc::take_sending (snap, m);
    if (snap.fraction_lost >= 0 && snap.packets_sent > sent)
      snap.report_loss = CLAMP ((double)(snap.packets_lost - lost) / (snap.packets_sent - sent),
                                0.0, 1.0);
  });
}

// The embedded server's /stats (JSON) and /metrics (Prometheus) bodies, on its thread.
static gchar *
stats_text (GstRtcBroadcastSink *self, bool metrics)
{
  std::vector<rtc::EncoderSnapshot> encoders = self->priv->out->encoders ();
  std::lock_guard lock (self->priv->stats_lock);
  std::vector<rtc::ViewerSnapshot> viewers;
  for (auto &[id, s] : self->priv->snapshots)
    viewers.push_back (s);
  const auto &totals = self->priv->totals;
  return g_strdup ((metrics ? rtc::metrics_text (totals, viewers, encoders)
                            : rtc::stats_json (totals, viewers, encoders))
                       .c_str ());
}

static void
viewer_configure (GstRtcSignalBin *bin, rtc::SignallingConfig &config)
{
  auto *self = sink_of (bin);
  config.page = "/";
  config.action = "watch";
  config.stats_body
      = [] (gpointer data) { return stats_text (GST_RTC_BROADCAST_SINK (data), false); };
  config.metrics_body
      = [] (gpointer data) { return stats_text (GST_RTC_BROADCAST_SINK (data), true); };
  config.on_url = [self] (const std::string &url) {
    std::lock_guard lock (self->priv->stats_lock);
    self->priv->totals.url = url;
  };
}

void
rtc::broadcast::remove_viewers_of_track (GstRtcBroadcastSink *self,
                                         const std::shared_ptr<rtc::Track> &track)
{
  auto *bin = GST_RTC_SIGNAL_BIN (self);
  std::vector<std::string> ids;
  for (auto &[id, s] : rtc::signal_bin (bin).sessions)
    for (auto &vt : viewer_of (*s).tracks)
      if (vt.track == track)
        ids.push_back (id);
  for (auto &id : ids)
    rtc::end_session (bin, id, "the stream's tracks changed");
}

// navigation=true: input events from a viewer's "control" channel go upstream of the video pad
// as GstNavigation events; anything else on it is answered with an error.
static bool
viewer_channel_message (GstRtcSignalBin *bin, rtc::Session &session, const std::string &label,
                        const std::string &text)
{
  auto *self = sink_of (bin);
  if (label != rtc::kNavigationLabel || !copy_settings (self).navigation)
    return false;
  Viewer &v = viewer_of (session);
  // The viewer points in the picture of its rung; the source wants the input's pixels.
  double sx = 1, sy = 1;
  for (auto &vt : v.tracks)
    if (vt.track->video)
      {
        auto feed = vt.outlet->current ();
        auto [width, height] = self->priv->out->input_size_of (*vt.track);
        if (feed && feed->rung ().width && feed->rung ().height && width && height)
          {
            sx = (double)width / feed->rung ().width;
            sy = (double)height / feed->rung ().height;
          }
        break;
      }
  rtc::NavigationRequest req = rtc::parse_navigation_request (text, sx, sy);
  std::string error = req.error;
  if (req.event)
    {
      GstPad *video = nullptr;
      for (auto &vt : v.tracks)
        if (vt.track->video && !video)
          video = vt.track->ghost;
      if (video)
        gst_pad_push_event (video, req.event); // upstream: a sink pad pushes to its peer
      else
        {
          gst_event_unref (req.event);
          error = "this stream has no video";
        }
    }
  else
    GST_DEBUG_OBJECT (self, "viewer %s: navigation message ignored (%s)", v.session_id.c_str (),
                      error.c_str ());
  if (req.id >= 0 && v.peer)
    gst_rtc_peer_bin_send_message (GST_RTC_PEER_BIN (v.peer.get ()), label.c_str (),
                                   rtc::navigation_response (req.id, error).c_str ());
  return true;
}

const GstRtcSignalBinHooks rtc::broadcast::viewer_hooks = {
  .role = RTC_SIGNALLER_ROLE_PRODUCER,
  .peer_noun = "viewer",
  .configure = viewer_configure,
  .new_session = new_viewer,
  .admit = viewer_admit,
  .begin = viewer_begin,
  .remote_sdp = viewer_remote_sdp,
  .state_changed = viewer_state_changed,
  .connected = viewer_connected,
  .poll = viewer_poll,
  .tick = viewer_tick,
  .stats = viewer_stats,
  .before_peer_stops = viewer_before_peer_stops,
  .ended = viewer_ended,
  .count_changed = viewers_count_changed,
  .channel_message = viewer_channel_message,
};
