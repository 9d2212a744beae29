// rtcingestsrc: signalling sessions, publishers and their tracks. Tracks are built on the
// streaming thread that brings their first packet; everything else runs on the element's worker
// thread, which alone owns the publishers.
#include "ingest/src-private.h"

#include "closure.h"
#include "rtcpeerbin.h"

#include <gst/video/video.h>

#include <algorithm>
#include <gst/webrtc/webrtc.h>

using namespace rtc::ingest;
using rtc::CodecInfo;
using rtc::Ptr;

static GstRtcIngestSrc *
src_of (GstRtcSignalBin *bin)
{
  return GST_RTC_INGEST_SRC (bin);
}

static Publisher &
publisher_of (rtc::Session &session)
{
  return static_cast<Publisher &> (session);
}

// The worker's publisher of @session_id, or nullptr.
static Publisher *
find_publisher (GstRtcIngestSrc *self, const std::string &session_id)
{
  rtc::Session *s = rtc::find_session (GST_RTC_SIGNAL_BIN (self), session_id);
  return s ? &publisher_of (*s) : nullptr;
}

static void
request_keyframe (const std::shared_ptr<Track> &t)
{
  if (!t->video || t->chain.empty ())
    return;
  // Upstream force-key-unit: webrtcbin's rtpsession turns it into a PLI to the publisher.
  Ptr<GstPad> src (gst_element_get_static_pad (t->chain.front ().get (), "src"));
  gst_pad_send_event (src.get (),
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
}

/* --- tracks (streaming threads, then worker) --------------------------------------------- */

static GstTagList *
publisher_tags (const Track &t)
{
  GstTagList *tags = gst_tag_list_new (RTC_TAG_PUBLISHER_ID, t.publisher_id.c_str (), GST_TAG_TITLE,
                                       t.publisher_id.c_str (), nullptr);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
  return tags;
}

// Later stream tags from the parser (codec, bitrate) keep the publisher id.
static GstPadProbeReturn
on_track_event (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_TAG)
    return GST_PAD_PROBE_OK;
  std::shared_ptr<Track> track = static_cast<std::weak_ptr<Track> *> (user_data)->lock ();
  if (!track)
    return GST_PAD_PROBE_OK;
  GstTagList *tags = nullptr;
  gst_event_parse_tag (event, &tags);
  if (gst_tag_list_get_scope (tags) != GST_TAG_SCOPE_STREAM
      || gst_tag_list_get_tag_size (tags, RTC_TAG_PUBLISHER_ID) > 0)
    return GST_PAD_PROBE_OK;
  GstTagList *ours = publisher_tags (*track);
  GstTagList *merged = gst_tag_list_merge (tags, ours, GST_TAG_MERGE_REPLACE);
  gst_tag_list_unref (ours);
  gst_tag_list_set_scope (merged, GST_TAG_SCOPE_STREAM);
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_tag (merged);
  return GST_PAD_PROBE_OK;
}

static void check_ready (GstRtcIngestSrc *self, const std::string &session_id);

// Holds the track's first buffer until all pads of its publisher are announced.
static GstPadProbeReturn
on_track_blocked (GstPad *pad, GstPadProbeInfo *, gpointer user_data)
{
  std::shared_ptr<Track> track = static_cast<std::weak_ptr<Track> *> (user_data)->lock ();
  if (!track || track->flowing.exchange (true))
    return GST_PAD_PROBE_OK;
  // Stream-start, caps and segment are on the pad now: the tag goes after them.
  Ptr<GstEvent> existing (gst_pad_get_sticky_event (pad, GST_EVENT_TAG, 0));
  if (!existing)
    gst_pad_store_sticky_event (pad,
                                Ptr<GstEvent> (gst_event_new_tag (publisher_tags (*track))).get ());
  auto *self = track->owner;
  std::string sid = track->session_id;
  rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self, sid] { check_ready (self, sid); });
  return GST_PAD_PROBE_OK;
}

static void
unblock (const std::shared_ptr<Track> &t)
{
  if (t->block_id)
    gst_pad_remove_probe (t->out.get (), t->block_id);
  t->block_id = 0;
}

static void
destroy_track (GstRtcIngestSrc *self, const std::shared_ptr<Track> &t)
{
  for (auto &e : t->chain)
    gst_element_set_locked_state (e.get (), TRUE);
  for (auto &e : t->chain)
    gst_element_set_state (e.get (), GST_STATE_NULL);
  if (t->added)
    {
      self->priv->flows.remove (t->ghost.get ());
      gst_element_remove_pad (GST_ELEMENT (self), t->ghost.get ());
    }
  t->added = false;
  for (auto &e : t->chain)
    gst_bin_remove (GST_BIN (self), e.get ());
  t->chain.clear ();
}

static void
add_track_pad (GstRtcIngestSrc *self, const std::shared_ptr<Track> &t)
{
  self->priv->flows.add (t->ghost.get ());
  gst_element_add_pad (GST_ELEMENT (self), t->ghost.get ());
  t->added = true;
}

static void
cancel_ready_timer (Publisher *p)
{
  if (p->ready_timer)
    {
      g_source_destroy (p->ready_timer);
      g_source_unref (p->ready_timer);
      p->ready_timer = nullptr;
    }
}

// Adds every pad of the publisher, tells the application, then lets data flow.
static void
announce (GstRtcIngestSrc *self, Publisher *p)
{
  p->ready = true;
  cancel_ready_timer (p);
  // Video first, whatever arrived first: gst-launch links the first pad that fits, so
  // "rtcingestsrc ! queue ! decodebin ! videoconvert ! ..." gets the video.
  std::stable_partition (p->tracks.begin (), p->tracks.end (),
                         [] (const std::shared_ptr<Track> &t) { return t->video; });
  std::vector<std::string> names;
  for (auto &t : p->tracks)
    {
      add_track_pad (self, t);
      names.push_back (t->name);
    }
  GST_INFO_OBJECT (self, "publisher %s ready with %zu pad(s)", p->peer_id.c_str (), names.size ());
  std::string sid = p->session_id, pid = p->peer_id;
  g_signal_emit (self, signals[SIGNAL_PUBLISHER_READY], 0, pid.c_str (), sid.c_str ());
  GStrv strv = g_new0 (gchar *, names.size () + 1);
  for (std::size_t i = 0; i < names.size (); i++)
    strv[i] = g_strdup (names[i].c_str ());
  rtc::post_element_message (GST_RTC_SIGNAL_BIN (self),
                             gst_structure_new ("rtckit-publisher-ready", "publisher-id",
                                                G_TYPE_STRING, pid.c_str (), "session-id",
                                                G_TYPE_STRING, sid.c_str (), "pads", G_TYPE_STRV,
                                                strv, nullptr));
  g_strfreev (strv);
  // The handler may have removed the publisher (e.g. the element stopped).
  Publisher *still = find_publisher (self, sid);
  if (!still)
    return;
  for (auto &t : still->tracks)
    {
      unblock (t);
      // A recording starts on a decodable frame.
      request_keyframe (t);
    }
}

static void
check_ready (GstRtcIngestSrc *self, const std::string &session_id)
{
  Publisher *p = find_publisher (self, session_id);
  if (!p || p->ready)
    return;
  std::size_t flowing = 0;
  for (auto &t : p->tracks)
    flowing += t->flowing.load () ? 1 : 0;
  if (flowing >= p->expected_tracks)
    announce (self, p);
}

static void
register_track (GstRtcIngestSrc *self, const std::shared_ptr<Track> &t)
{
  Publisher *p = find_publisher (self, t->session_id);
  if (!p)
    {
      unblock (t);
      destroy_track (self, t);
      return;
    }
  p->tracks.push_back (t);
  if (p->ready)
    {
      // A track that started after the others were announced.
      add_track_pad (self, t);
      unblock (t);
      return;
    }
  if (!p->ready_timer)
    {
      p->ready_timer = g_timeout_source_new (READY_TIMEOUT_MS);
      struct Ctx
      {
        GstRtcIngestSrc *self;
        std::string session_id;
      };
      g_source_set_callback (
          p->ready_timer,
          [] (gpointer data) -> gboolean {
            auto *ctx = static_cast<Ctx *> (data);
            Publisher *p = find_publisher (ctx->self, ctx->session_id);
            if (p && !p->ready)
              {
                GST_INFO_OBJECT (ctx->self,
                                 "publisher %s: not every track sent data; announcing "
                                 "the %zu that did",
                                 p->peer_id.c_str (), p->tracks.size ());
                // The timer is being dispatched: let its destruction be the dispatcher's.
                g_source_unref (p->ready_timer);
                p->ready_timer = nullptr;
                announce (ctx->self, p);
              }
            return G_SOURCE_REMOVE;
          },
          rtc::boxed (Ctx{ self, t->session_id }), rtc::free_boxed<Ctx>);
      g_source_attach (p->ready_timer,
                       rtc::signal_bin (GST_RTC_SIGNAL_BIN (self)).worker->context ());
    }
  check_ready (self, t->session_id);
}

static void
set_if_exists (GstElement *e, const char *prop, gboolean value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), prop))
    g_object_set (e, prop, value, nullptr);
}

// rtcpeerbin's video_src_%u / audio_src_%u: the first packet of a track is being pushed (a
// streaming thread). Link it at once, so that packet is not lost, and hold its output.
static void
on_peer_pad_added (GstElement *, GstPad *pad, gpointer user_data)
{
  auto &ref = *static_cast<std::shared_ptr<PeerRef> *> (user_data);
  auto *self = ref->self;
  guint mline = 0;
  bool video = sscanf (GST_PAD_NAME (pad), "video_src_%u", &mline) == 1;
  if (!video && sscanf (GST_PAD_NAME (pad), "audio_src_%u", &mline) != 1)
    return;
  auto cit = ref->codecs.find (mline);
  if (cit == ref->codecs.end ())
    {
      GST_WARNING_OBJECT (self, "session %s: stream on m-line %u that we did not accept",
                          ref->session_id.c_str (), mline);
      return;
    }
  auto t = std::make_shared<Track> ();
  t->owner = self;
  t->session_id = ref->session_id;
  t->publisher_id = ref->publisher_id;
  t->video = video;
  t->codec = cit->second;
  guint n = (video ? self->priv->next_video : self->priv->next_audio).fetch_add (1);
  t->name = (video ? "video_" : "audio_") + std::to_string (n);

  std::vector<const char *> factories = { t->codec->depayloader };
  if (t->codec->parser)
    factories.push_back (t->codec->parser);
  for (auto *f : factories)
    {
      GstElement *e = gst_element_factory_make (f, nullptr);
      if (!e)
        {
          GST_ELEMENT_WARNING (self, CORE, MISSING_PLUGIN,
                               ("Cannot receive %s from publisher %s: element %s is missing",
                                t->codec->name, ref->publisher_id.c_str (), f),
                               (nullptr));
          t->chain.clear ();
          return;
        }
      t->chain.push_back (Ptr<GstElement>::ref (e));
    }
  GstElement *depay = t->chain.front ().get ();
  // Loss makes the depayloader drop to the next keyframe and ask for one (PLI).
  set_if_exists (depay, "request-keyframe", TRUE);
  set_if_exists (depay, "wait-for-keyframe", TRUE);
  if (g_str_equal (t->codec->name, "h264"))
    {
      // SPS/PPS before every IDR: a file or a late decoder can start at any keyframe.
      g_object_set (t->chain.back ().get (), "config-interval", -1, nullptr);
      GstElement *cf = gst_element_factory_make ("capsfilter", nullptr);
      GstCaps *caps = gst_caps_from_string ("video/x-h264, alignment=(string)au");
      g_object_set (cf, "caps", caps, nullptr);
      gst_caps_unref (caps);
      t->chain.push_back (Ptr<GstElement>::ref (cf));
    }
  for (auto &e : t->chain)
    gst_bin_add (GST_BIN (self), e.get ());
  for (std::size_t i = 1; i < t->chain.size (); i++)
    gst_element_link (t->chain[i - 1].get (), t->chain[i].get ());
  t->out = Ptr<GstPad> (gst_element_get_static_pad (t->chain.back ().get (), "src"));
  Ptr<GstPad> sink (gst_element_get_static_pad (depay, "sink"));

  GstPadTemplate *templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
                                                              video ? "video_%u" : "audio_%u");
  auto *ghost
      = GST_RTC_INGEST_PAD (g_object_new (GST_TYPE_RTC_INGEST_PAD, "name", t->name.c_str (),
                                          "direction", GST_PAD_SRC, "template", templ, nullptr));
  ghost->publisher_id = g_strdup (t->publisher_id.c_str ());
  ghost->session_id = g_strdup (t->session_id.c_str ());
  gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), t->out.get ());
  t->ghost = Ptr<GstPad>::ref (GST_PAD (ghost)); // floating ref sunk: ours until added
  gst_pad_set_active (GST_PAD (ghost), TRUE);

  // The probes hold the track weakly: it owns the pad that owns them.
  t->block_id
      = gst_pad_add_probe (t->out.get (),
                           GstPadProbeType (GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER
                                            | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                           on_track_blocked, rtc::boxed (std::weak_ptr<Track> (t)),
                           rtc::free_boxed<std::weak_ptr<Track>>);
  gst_pad_add_probe (t->out.get (), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_track_event,
                     rtc::boxed (std::weak_ptr<Track> (t)), rtc::free_boxed<std::weak_ptr<Track>>);

  for (auto it = t->chain.rbegin (); it != t->chain.rend (); ++it)
    gst_element_sync_state_with_parent (it->get ());
  if (gst_pad_link (pad, sink.get ()) != GST_PAD_LINK_OK)
    GST_WARNING_OBJECT (self, "%s: could not link %s", t->name.c_str (), GST_PAD_NAME (pad));
  GST_INFO_OBJECT (self, "publisher %s: %s is %s", t->publisher_id.c_str (), t->name.c_str (),
                   t->codec->name);
  request_keyframe (t);
  rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self, t] { register_track (self, t); });
}

/* --- publishers (worker thread) ---------------------------------------------------------- */

// The publisher's peer is about to stop: nothing may stay blocked (its streaming threads must
// finish).
static void
publisher_before_peer_stops (GstRtcSignalBin *, rtc::Session &session)
{
  Publisher &p = publisher_of (session);
  cancel_ready_timer (&p);
  for (auto &t : p.tracks)
    unblock (t);
}

static void
publisher_ended (GstRtcSignalBin *bin, rtc::Session &session, const char *reason, bool eos)
{
  auto *self = src_of (bin);
  Publisher &p = publisher_of (session);
  // Nothing pushes into the tracks any more: end their streams so muxers finalise.
  if (eos)
    for (auto &t : p.tracks)
      if (t->added && !t->chain.empty ())
        {
          Ptr<GstPad> sink (gst_element_get_static_pad (t->chain.front ().get (), "sink"));
          gst_pad_send_event (sink.get (), gst_event_new_eos ());
        }
  for (auto &t : p.tracks)
    destroy_track (self, t);
  if (!p.answered)
    return;
  g_signal_emit (self, signals[SIGNAL_PUBLISHER_LEFT], 0, p.peer_id.c_str (), p.session_id.c_str (),
                 reason);
  rtc::post_element_message (
      bin, gst_structure_new ("rtckit-publisher-left", "publisher-id", G_TYPE_STRING,
                              p.peer_id.c_str (), "session-id", G_TYPE_STRING,
                              p.session_id.c_str (), "reason", G_TYPE_STRING, reason, nullptr));
}

static void
publishers_count_changed (GstRtcSignalBin *bin, guint count)
{
  auto *self = src_of (bin);
  {
    std::lock_guard lock (self->priv->state_lock);
    self->priv->publisher_count = count;
  }
  g_object_notify (G_OBJECT (self), "publishers");
}

static void
refuse (GstRtcIngestSrc *self, const std::string &session_id, const std::string &why)
{
  rtc::refuse_session (GST_RTC_SIGNAL_BIN (self), session_id, why);
}

namespace
{
struct NegotiatedCtx
{
  GstRtcIngestSrc *self;
  std::string session_id;
  std::string error_prefix; // put before webrtcbin's error text
};
} // namespace

// rtcpeerbin's done callback once both descriptions are set (our answer, or the remote answer to
// our offer): on the worker, the publisher has joined or is refused.
static void
on_negotiated (GstRtcPeerBin *, const GError *error, gpointer data)
{
  auto *ctx = static_cast<NegotiatedCtx *> (data);
  auto *self = ctx->self;
  std::string sid = ctx->session_id;
  std::string err = error ? ctx->error_prefix + error->message : "";
  rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self, sid, err] {
    Publisher *p = find_publisher (self, sid);
    if (!p)
      return;
    if (!err.empty ())
      {
        refuse (self, sid, err);
        return;
      }
    p->answered = true;
    rtc::post_element_message (GST_RTC_SIGNAL_BIN (self),
                               gst_structure_new ("rtckit-publisher-joined", "publisher-id",
                                                  G_TYPE_STRING, p->peer_id.c_str (), "session-id",
                                                  G_TYPE_STRING, sid.c_str (), nullptr));
  });
}

// A new rtcpeerbin for @p (rtcsignalbin's), and the PeerRef its pad-added handler shares
// (p->ref); nullptr, and the publisher refused, when rtcpeerbin is missing.
static GstElement *
new_peer (GstRtcIngestSrc *self, Publisher *p)
{
  GstElement *peer = rtc::new_peer (GST_RTC_SIGNAL_BIN (self), *p);
  if (!peer)
    return nullptr;
  p->ref = std::make_shared<PeerRef> ();
  p->ref->self = self;
  p->ref->session_id = p->session_id;
  p->ref->publisher_id = p->peer_id;
  return peer;
}

// Connects @p's peer to our pad handler (its receivers added) and starts it.
static void
start_peer (GstRtcIngestSrc *self, Publisher *p)
{
  rtc::connect_boxed (p->peer.get (), "pad-added", G_CALLBACK (on_peer_pad_added), p->ref);
  rtc::start_peer (GST_RTC_SIGNAL_BIN (self), *p);
}

// The publisher's offer: pick our codec per m-line, build its rtcpeerbin and answer.
static void
handle_offer (GstRtcIngestSrc *self, const std::string &session_id, const std::string &offer)
{
  Publisher *p = find_publisher (self, session_id);
  if (!p)
    return;
  if (p->peer)
    {
      rtc::end_session (GST_RTC_SIGNAL_BIN (self), session_id,
                        "expected one SDP offer, got another (renegotiation is not supported)");
      return;
    }
  Settings s = copy_settings (self);
  auto video = rtc::parse_codec_list (s.video_codecs, "video");
  auto audio = rtc::parse_codec_list (s.audio_codecs, "audio");
  rtc::OfferChoice choice;
  rtc::choose_codecs (offer, video, audio, choice);
  if (!choice.error.empty ())
    {
      refuse (self, session_id, choice.error);
      return;
    }
  GstElement *peer = new_peer (self, p);
  if (!peer)
    return;
  auto &ref = p->ref;
  std::string summary;
  for (auto &m : choice.mlines)
    {
      ref->codecs[m.mline] = m.codec;
      gst_rtc_peer_bin_add_receiver (GST_RTC_PEER_BIN (peer), m.caps);
      summary += (summary.empty () ? "" : ", ") + std::string (m.codec->name) + " (pt "
                 + std::to_string (m.pt) + ")";
    }
  p->expected_tracks = choice.mlines.size ();
  start_peer (self, p);
  GST_INFO_OBJECT (self, "publisher %s (session %s): answering with %s", p->peer_id.c_str (),
                   session_id.c_str (), summary.c_str ());

  gst_rtc_peer_bin_answer (GST_RTC_PEER_BIN (peer), offer.c_str (), on_negotiated,
                           rtc::boxed (NegotiatedCtx{ self, session_id, "" }),
                           rtc::free_boxed<NegotiatedCtx>);
}

// WHEP: we offer to receive every codec we accept (recvonly, one video and one audio m-line).
static void
make_offer (GstRtcIngestSrc *self, Publisher *p)
{
  Settings s = copy_settings (self);
  auto video = rtc::parse_codec_list (s.video_codecs, "video");
  auto audio = rtc::parse_codec_list (s.audio_codecs, "audio");
  GstElement *peer = new_peer (self, p);
  if (!peer)
    return;
  p->offered = true;
  for (const auto *list : { &video, &audio })
    {
      if (list->empty ())
        continue;
      GstCaps *caps = gst_caps_new_empty ();
      for (auto *c : *list)
        gst_caps_append (caps, rtc::codec_offer_caps (c));
      gst_rtc_peer_bin_add_receiver (GST_RTC_PEER_BIN (peer), caps);
      gst_caps_unref (caps);
    }
  start_peer (self, p);
  GST_INFO_OBJECT (self, "session %s: offering to receive %s / %s", p->session_id.c_str (),
                   rtc::codec_names (video).c_str (), rtc::codec_names (audio).c_str ());
  gst_rtc_peer_bin_create_offer (GST_RTC_PEER_BIN (peer));
}

// The answer to our offer: the codec of each m-line is its first payload type.
static void
handle_answer (GstRtcIngestSrc *self, Publisher *p, const std::string &answer)
{
  const std::string sid = p->session_id;
  if (p->answered || !p->ref)
    {
      rtc::end_session (GST_RTC_SIGNAL_BIN (self), sid,
                        "expected one SDP answer to our offer, got another");
      return;
    }
  GstSDPMessage *sdp = rtc::parse_sdp (answer);
  if (!sdp)
    {
      refuse (self, sid, "the answer is not a valid SDP with media");
      return;
    }
  std::string summary;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
      if (gst_sdp_media_get_port (m) == 0 || gst_sdp_media_formats_len (m) == 0)
        continue;
      const CodecInfo *c = rtc::codec_by_pt (atoi (gst_sdp_media_get_format (m, 0)));
      if (!c || g_strcmp0 (c->media, gst_sdp_media_get_media (m)) != 0)
        continue;
      p->ref->codecs[i] = c;
      summary += (summary.empty () ? "" : ", ") + std::string (c->name);
    }
  gst_sdp_message_free (sdp);
  if (p->ref->codecs.empty ())
    {
      refuse (self, sid, "the answer accepts none of the codecs we offered");
      return;
    }
  p->expected_tracks = p->ref->codecs.size ();
  GST_INFO_OBJECT (self, "session %s: the sender answered with %s", sid.c_str (), summary.c_str ());
  gst_rtc_peer_bin_set_remote_description (
      GST_RTC_PEER_BIN (p->peer.get ()), "answer", answer.c_str (), on_negotiated,
      rtc::boxed (NegotiatedCtx{ self, sid, "the SDP answer was refused: " }),
      rtc::free_boxed<NegotiatedCtx>);
}

static std::string
publisher_admit (GstRtcSignalBin *bin, std::size_t count)
{
  auto *self = src_of (bin);
  if (self->priv->eos.load ())
    return "the receiving pipeline is shutting down";
  guint max = copy_settings (self).max_publishers;
  if (max && count >= max)
    return "max-publishers reached: this server accepts " + std::to_string (max)
           + " publisher(s) at once; try again later";
  return "";
}

static std::unique_ptr<rtc::Session>
new_publisher ()
{
  return std::make_unique<Publisher> ();
}

static void
publisher_begin (GstRtcSignalBin *bin, rtc::Session &session, const std::string &offer)
{
  auto *self = src_of (bin);
  Publisher &p = publisher_of (session);
  const bool we_offer = offer.empty () && rtc::signal_bin (bin).signalling.consumer_offers ();
  GST_INFO_OBJECT (self, "publisher %s (session %s) %s", p.peer_id.c_str (), p.session_id.c_str (),
                   we_offer         ? "answers our offer"
                   : offer.empty () ? "waits for its offer"
                                    : "offers");
  if (!offer.empty ())
    handle_offer (self, p.session_id, offer);
  else if (we_offer)
    make_offer (self, &p);
}

static void
publisher_remote_sdp (GstRtcSignalBin *bin, rtc::Session &session, const std::string &t,
                      const std::string &text)
{
  auto *self = src_of (bin);
  Publisher &p = publisher_of (session);
  const std::string sid = p.session_id;
  if (p.offered)
    {
      if (t != "answer")
        refuse (self, sid, "we offered: expected the sender's SDP answer, not " + t);
      else
        handle_answer (self, &p, text);
      return;
    }
  if (t != "offer")
    {
      refuse (self, sid, "rtcingestsrc answers: the publisher must send an SDP offer, not " + t);
      return;
    }
  handle_offer (self, sid, text);
}

void
rtc::ingest::end_all_tracks (GstRtcIngestSrc *self)
{
  for (auto &[id, s] : rtc::signal_bin (GST_RTC_SIGNAL_BIN (self)).sessions)
    for (auto &t : publisher_of (*s).tracks)
      if (t->added && !t->chain.empty ())
        {
          Ptr<GstPad> sink (gst_element_get_static_pad (t->chain.front ().get (), "sink"));
          gst_pad_send_event (sink.get (), gst_event_new_eos ());
        }
}

static void
publisher_configure (GstRtcSignalBin *bin, rtc::SignallingConfig &config)
{
  config.page = "/publish";
  config.action = "publish";
  config.producer_id = copy_settings (src_of (bin)).producer_id;
}

const GstRtcSignalBinHooks rtc::ingest::publisher_hooks = {
  .role = RTC_SIGNALLER_ROLE_CONSUMER,
  .peer_noun = "publisher",
  .configure = publisher_configure,
  .new_session = new_publisher,
  .admit = publisher_admit,
  .begin = publisher_begin,
  .remote_sdp = publisher_remote_sdp,
  .state_changed = nullptr,
  .connected = nullptr,
  .poll = nullptr,
  .before_peer_stops = publisher_before_peer_stops,
  .ended = publisher_ended,
  .count_changed = publishers_count_changed,
};
