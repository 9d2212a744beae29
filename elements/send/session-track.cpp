#include "send/session-track.h"

#include "closure.h"
#include "elements/peer/media-path.h"

#include <gst/app/gstappsrc.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <gst/video/video.h>

namespace rtc
{

// What the upstream probe of a session track's appsrc needs.
struct UpstreamRoute
{
  // Weak: the outlet holds the appsrc whose pad holds this route.
  std::weak_ptr<Outlet> outlet;
  std::shared_ptr<BandwidthEstimate> estimate; // video only
};

// webrtcbin's RTP session turns each TWCC feedback message into an upstream "RTPTWCCPackets"
// event (to every sink pad of the bundle): one entry per packet, sent and received times.
static void
take_twcc (BandwidthEstimate &estimate, const GstStructure *s)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  const GValue *packets = gst_structure_get_value (s, "packets");
  if (!packets || !G_VALUE_HOLDS (packets, g_value_array_get_type ()))
    return;
  GValueArray *array = static_cast<GValueArray *> (g_value_get_boxed (packets));
  std::vector<TwccPacket> out;
  out.reserve (array ? array->n_values : 0);
  for (guint i = 0; array && i < array->n_values; i++)
    {
      const GValue *v = g_value_array_get_nth (array, i);
      if (!GST_VALUE_HOLDS_STRUCTURE (v))
        continue;
      const GstStructure *p = gst_value_get_structure (v);
      TwccPacket pkt;
      gboolean lost = FALSE;
      guint64 sent = GST_CLOCK_TIME_NONE, received = GST_CLOCK_TIME_NONE;
      gst_structure_get (p, "local-ts", G_TYPE_UINT64, &sent, "remote-ts", G_TYPE_UINT64,
                         &received, "size", G_TYPE_UINT, &pkt.size, "lost", G_TYPE_BOOLEAN, &lost,
                         nullptr);
      pkt.sent = sent;
      pkt.received = lost ? GST_CLOCK_TIME_NONE : received;
      out.push_back (pkt);
    }
  G_GNUC_END_IGNORE_DEPRECATIONS
  if (!out.empty ())
    estimate.on_twcc (out, g_get_monotonic_time ());
}

// Upstream events from the session's peer: keyframe requests (PLI/FIR turned into
// force-key-unit by webrtcbin) go to the feed the viewer sees next; TWCC feedback to its
// bandwidth estimate.
static GstPadProbeReturn
on_session_upstream_event (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  auto *route = static_cast<UpstreamRoute *> (user_data);
  if (gst_video_event_is_force_key_unit (event))
    {
      if (auto outlet = route->outlet.lock ())
        outlet->request_keyframe ();
      return GST_PAD_PROBE_DROP;
    }
  const GstStructure *s = gst_event_get_structure (event);
  if (route->estimate && GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM && s
      && gst_structure_has_name (s, "RTPTWCCPackets"))
    {
      take_twcc (*route->estimate, s);
      return GST_PAD_PROBE_DROP;
    }
  return GST_PAD_PROBE_OK;
}

SessionTrack
add_session_track (GstBin *bin, GstElement *peer, const std::shared_ptr<Track> &track,
                   GstCaps *caps)
{
  GstPadTemplate *templ
      = gst_element_get_pad_template (peer, track->video ? "video_%u" : "audio_%u");
  Ptr<GstPad> sinkpad (gst_element_request_pad (peer, templ, nullptr, caps));
  GstElement *src = gst_element_factory_make ("appsrc", nullptr);
  // Bounded and leaky: a session that cannot keep up loses its own oldest packets (NACK and
  // PLI repair that), and never blocks the feed.
  g_object_set (src, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", FALSE, "block",
                FALSE, "max-bytes", (guint64)4 * 1024 * 1024, "max-buffers", (guint64)0, "max-time",
                (guint64)0, "emit-signals", FALSE, nullptr);
  gst_util_set_object_arg (G_OBJECT (src), "leaky-type", "downstream");
  gst_bin_add (bin, src);
  Ptr<GstPad> srcpad (gst_element_get_static_pad (src, "src"));
  if (sinkpad)
    gst_pad_link (srcpad.get (), sinkpad.get ());
  SessionTrack st;
  st.track = track;
  st.appsrc = Ptr<GstElement>::ref (src);
  st.outlet = std::make_shared<Outlet> (src, track->owner->playout_delay ());
  st.started_us = g_get_monotonic_time ();
  if (track->video)
    {
      // Viewers start on the top rung: a little above its need.
      std::vector<Rung> ladder = track->owner->ladder_of (*track);
      guint top = ladder.empty () ? 2000 : ladder.front ().kbps;
      st.estimate = std::make_shared<BandwidthEstimate> (top * 3 / 2, MAX (top * 3, 5000u));
      st.outlet->set_estimate (st.estimate);
    }
  gst_pad_add_probe (srcpad.get (), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_session_upstream_event,
                     boxed (UpstreamRoute{ st.outlet, st.estimate }), free_boxed<UpstreamRoute>);
  return st;
}

// The id of the extension @uri among @caps' "extmap-N" fields, 0 when absent.
static guint
extmap_id (const GstCaps *caps, const char *uri)
{
  if (!caps || gst_caps_is_empty (caps))
    return 0;
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  for (guint id = 1; id <= 14; id++)
    {
      gchar field[16];
      g_snprintf (field, sizeof field, "extmap-%u", id);
      const gchar *v = gst_structure_get_string (s, field);
      if (v && g_str_equal (v, uri))
        return id;
    }
  return 0;
}

bool
route_to_feed (Outgoing &out, SessionTrack &st)
{
  auto feed = out.ensure_feed (st.track, st.codec, 0);
  if (!feed)
    return false;
  st.first_feed = feed;
  if (!st.twcc_id && st.offered_caps && st.track->video)
    st.twcc_id = extmap_id (st.offered_caps.get (), kTwccUri);
  RewriteIds ids;
  ids.pt = st.pt;
  ids.clock_rate = st.codec->clock_rate;
  ids.twcc_id = (guint8)st.twcc_id;
  ids.picture_ids = g_str_equal (st.codec->name, "vp8")   ? PictureIds::Vp8
                    : g_str_equal (st.codec->name, "vp9") ? PictureIds::Vp9
                                                          : PictureIds::None;
  if (st.track->video)
    ids.playout_id = (guint8)(st.offered_caps ? extmap_id (st.offered_caps.get (), kPlayoutDelayUri)
                                              : kPlayoutDelayExtId);
  st.outlet->set_ids (ids);
  std::vector<Rung> ladder = out.ladder_of (*st.track);
  if (st.estimate && ladder.size () > 1)
    st.policy = std::make_shared<RungPolicy> (ladder, 0, feed->temporal_layers () > 1);
  return true;
}

GstCaps *
session_track_caps (const SessionTrack &st)
{
  GstCaps *caps = st.offered_caps ? gst_caps_copy (st.offered_caps.get ())
                                  : codec_offer_caps (st.codec);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  for (guint id = 1; id <= 14; id++)
    {
      gchar field[16];
      g_snprintf (field, sizeof field, "extmap-%u", id);
      const gchar *v = gst_structure_get_string (s, field);
      if (v && g_str_equal (v, kTwccUri) && id != st.twcc_id)
        gst_structure_remove_field (s, field);
    }
  if (st.twcc_id)
    {
      gchar field[16];
      g_snprintf (field, sizeof field, "extmap-%u", st.twcc_id);
      gst_structure_set (s, field, G_TYPE_STRING, kTwccUri, nullptr);
    }
  return caps;
}

void
adapt_session_track (Outgoing &out, SessionTrack &st, double report_loss)
{
  if (!st.estimate)
    return;
  const gint64 now = g_get_monotonic_time ();
  if (report_loss >= 0)
    st.estimate->on_report_loss (report_loss, now);
  if (!st.policy)
    return;
  const guint64 bytes = st.outlet->media_bytes (), padding = st.outlet->padding_bytes ();
  double media_kbps = 0;
  if (st.last_tick_us && now > st.last_tick_us)
    {
      const double seconds = (now - st.last_tick_us) / 1e6;
      media_kbps = (bytes - st.last_media_bytes) * 8.0 / 1000.0 / seconds;
      st.estimate->set_padding_kbps ((padding - st.last_padding_bytes) * 8.0 / 1000.0 / seconds);
    }
  st.last_tick_us = now;
  st.last_media_bytes = bytes;
  st.last_padding_bytes = padding;
  // Feedback in the last 5 s, or still within the first 5 s.
  const bool feedback = now - st.started_us < 5 * G_USEC_PER_SEC
                        || st.estimate->has_feedback_since (now - 5 * G_USEC_PER_SEC);
  const std::size_t before = st.policy->rung ();
  const EstimateSnapshot e = st.estimate->snapshot ();
  const guint8 layer_before = st.policy->temporal_layer ();
  // On the lowest rung, its encoder follows what its viewers' links take (BitrateWishes); the
  // policy judges that rung by the bitrate it runs at.
  if (auto feed = st.outlet->current ();
      feed && feed->mode () == Feed::Mode::Encode && feed->rung_index () == before)
    if (guint wish = st.policy->lowest_wish (e, feedback))
      st.policy->set_lowest_kbps (feed->wish_bitrate (st.outlet.get (), wish));
  RungPolicy::Decision d = st.policy->tick (e, feedback, media_kbps, now);
  st.outlet->set_padding_kbps (d.padding_kbps);
  if (d.temporal_layer != layer_before)
    GST_CAT_INFO_OBJECT (out.category (), out.element (),
                         "%s: temporal layers %s (estimate %u kbit/s)", st.track->name.c_str (),
                         d.temporal_layer == kAllTemporalLayers ? "all" : "base only",
                         e.estimate_kbps);
  if (d.rung == before)
    {
      st.outlet->set_temporal_layer (d.temporal_layer);
      return;
    }
  if (auto feed = out.ensure_feed (st.track, st.codec, d.rung))
    {
      GST_CAT_INFO_OBJECT (out.category (), out.element (),
                           "%s: rung %zu -> %zu (estimate %u kbit/s)", st.track->name.c_str (),
                           before, d.rung, e.estimate_kbps);
      // Down from a rung the link carries less than half of: its packets would only queue in
      // front of the new rung's keyframe (the viewer cannot play them anyway).
      const bool stop_now = d.rung > before && e.estimate_kbps * 2 < st.policy->rungs ()[before].kbps;
      // Down: the old rung's base layer only until the new rung's keyframe.
      st.outlet->switch_to (feed, stop_now, d.rung > before);
    }
  st.outlet->set_temporal_layer (d.temporal_layer);
}

std::shared_ptr<DirectSender>
prepare_direct_path (GstElement *peer, std::vector<SessionTrack> &tracks, MediaPathReady on_path)
{
  auto sender = std::make_shared<DirectSender> (peer);
  for (auto &st : tracks)
    {
      if (!st.codec)
        continue;
      DirectStreamConfig c;
      c.ssrc = st.track->ssrc;
      c.video = st.track->video;
      c.twcc_id = (guint8)st.twcc_id;
      c.clock_rate = st.codec->clock_rate;
      c.outlet = st.outlet;
      c.estimate = st.estimate;
      st.direct_stream = sender->add_stream (c);
      st.outlet->use_direct (sender, st.direct_stream);
      // Announced (a=ssrc): webrtcbin's RTP session knows the SSRC and would report under it.
      peer_claim_ssrc (GST_RTC_PEER_BIN (peer), st.track->ssrc);
    }
  std::weak_ptr<DirectSender> weak = sender;
  peer_tap_rtcp (GST_RTC_PEER_BIN (peer), [weak] (GstBuffer *rtcp) {
    if (auto s = weak.lock ())
      s->on_rtcp (rtcp);
  });
  peer_watch_media_path (GST_RTC_PEER_BIN (peer), std::move (on_path));
  return sender;
}

// The session's description as webrtcbin applied it: ours when we offered, else the remote's
// (the payload types are the offerer's either way).
static GstSDPMessage *
applied_sdp (GstElement *peer)
{
  GstElement *webrtc = nullptr;
  g_object_get (peer, "webrtcbin", &webrtc, nullptr);
  if (!webrtc)
    return nullptr;
  GstWebRTCSessionDescription *local = nullptr;
  g_object_get (webrtc, "current-local-description", &local, nullptr);
  gst_object_unref (webrtc);
  if (!local)
    return nullptr;
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_copy (local->sdp, &sdp);
  gst_webrtc_session_description_free (local);
  return sdp;
}

bool
start_direct_path (GstElement *peer, DirectSender &sender, std::vector<SessionTrack> &tracks,
                   std::shared_ptr<const MediaPath> path, bool subscribed)
{
  if (path)
    {
      GstSDPMessage *sdp = applied_sdp (peer);
      for (auto &st : tracks)
        if (st.codec && st.track->video)
          sender.set_rtx_pt (st.direct_stream,
                             rtx_payload_type (sdp, st.pt >= 0 ? st.pt : (gint)st.codec->pt));
      if (sdp)
        gst_sdp_message_free (sdp);
    }
  const bool direct = sender.start (std::move (path));
  for (auto &st : tracks)
    {
      if (!direct)
        gst_element_sync_state_with_parent (st.appsrc.get ()); // held back when we offered
      st.outlet->set_route (direct ? OutletRoute::Direct : OutletRoute::Webrtcbin);
      if (subscribed && st.first_feed)
        st.outlet->restart ();
    }
  return direct;
}

DirectStats
direct_stats (const DirectSender &sender, const std::vector<SessionTrack> &tracks)
{
  DirectStats sum;
  for (const auto &st : tracks)
    {
      if (!st.codec)
        continue;
      DirectStats s = sender.stats (st.direct_stream);
      sum.packets_sent += s.packets_sent;
      sum.bytes_sent += s.bytes_sent;
      sum.frames_sent += s.frames_sent;
      sum.nack_count += s.nack_count;
      sum.pli_count += s.pli_count;
      sum.fir_count += s.fir_count;
      sum.retransmitted += s.retransmitted;
      sum.packets_lost += s.packets_lost;
      sum.send_errors += s.send_errors;
      sum.fraction_lost = MAX (sum.fraction_lost, s.fraction_lost);
      sum.rtt_ms = MAX (sum.rtt_ms, s.rtt_ms);
      sum.remb_kbps = MAX (sum.remb_kbps, s.remb_kbps);
    }
  return sum;
}

MediaFigures
direct_figures (const DirectSender &sender, const std::vector<SessionTrack> &tracks)
{
  const DirectStats d = direct_stats (sender, tracks);
  MediaFigures m;
  m.bytes_sent = d.bytes_sent;
  m.packets_sent = d.packets_sent;
  m.nack_received = d.nack_count;
  m.pli_received = d.pli_count;
  m.fir_received = d.fir_count;
  m.lost_sent = d.packets_lost;
  m.fraction_lost = d.fraction_lost;
  m.rtt_ms = d.rtt_ms;
  m.frames_sent = d.frames_sent;
  return m;
}

GParamSpec *
direct_send_param_spec (GParamFlags flags)
{
  return g_param_spec_boolean (
      "direct-send", "Direct send",
      "Send each session's media through rtckit's own send stage: the feed's thread rewrites, "
      "SRTP-protects and sends every packet on the session's ICE path, and answers NACK, PLI, "
      "FIR and TWCC itself (webrtcbin keeps negotiation, ICE and DTLS, and the DTLS "
      "certificate is checked first). About an eighth of the instructions per packet and viewer "
      "(bench/README.md). "
      "false: through webrtcbin's RTP chain (its appsrc thread, rtpbin, RTX sender, srtpenc). "
      "A change applies to sessions that start after it",
      RTC_DEFAULT_DIRECT_SEND, flags);
}

void
subscribe_session_tracks (std::vector<SessionTrack> &tracks, bool &subscribed)
{
  for (auto &st : tracks)
    {
      if (!st.first_feed)
        continue;
      if (subscribed)
        st.outlet->request_keyframe ();
      else
        st.outlet->switch_to (st.first_feed);
    }
  subscribed = true;
}

void
detach_session_tracks (std::vector<SessionTrack> &tracks)
{
  for (auto &st : tracks)
    {
      st.outlet->detach ();
      st.first_feed.reset ();
    }
  // An appsrc's thread may be blocked inside the peer (a sink of a PAUSED webrtcbin waits for
  // PLAYING while the pipeline stops): stopping that appsrc first waited forever for its stream
  // lock. The stopped peer flushes instead, and the appsrc's push returns FLUSHING.
  for (auto &st : tracks)
    gst_element_set_locked_state (st.appsrc.get (), TRUE);
}

void
remove_session_tracks (GstBin *bin, std::vector<SessionTrack> &tracks)
{
  for (auto &st : tracks)
    gst_element_set_state (st.appsrc.get (), GST_STATE_NULL);
  for (auto &st : tracks)
    gst_bin_remove (bin, st.appsrc.get ());
}

} // namespace rtc
