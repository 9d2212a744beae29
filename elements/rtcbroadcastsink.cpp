/**
 * SECTION:element-rtcbroadcastsink
 * @title: rtcbroadcastsink
 *
 * Publishes one live stream to many web browsers over WebRTC. By default it serves a viewer
 * page at http://127.0.0.1:8080/ (property `address`): open it and the stream plays.
 *
 * Raw input is encoded once per codec in use (rtcencodebin), never once per viewer; H.264,
 * VP8, VP9, Opus, PCMU or PCMA input is parsed and payloaded without decoding (an IP camera).
 * Each viewer is one rtcpeerbin fed the same RTP buffers through its own bounded, leaky queue,
 * so a slow or vanished viewer never stalls the pipeline or the other viewers. The codec is
 * chosen per viewer from `video-codecs` (a browser without H.264 gets VP8).
 *
 * ## Examples
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! rtcbroadcastsink
 * gst-launch-1.0 rtcbroadcastsink name=s videotestsrc is-live=true ! s. audiotestsrc is-live=true !
 * s. gst-launch-1.0 rtspsrc location=rtsp://camera/stream ! rtph264depay ! h264parse !
 * rtcbroadcastsink
 * ]|
 *
 * Bus messages (element messages): `rtckit-url` {url}, `rtckit-viewer-joined` {session-id,
 * peer-id, video-codec, audio-codec}, `rtckit-viewer-left` {session-id, peer-id, reason}.
 */
#include "broadcast/sink-private.h"

#include "closure.h"
#include "elements/elements.h"

using namespace rtc::broadcast;
using rtc::CodecInfo;
using rtc::Feed;
using rtc::Ptr;

GST_DEBUG_CATEGORY (rtc_broadcast_sink_debug);

enum
{
  PROP_0,
  PROP_VIDEO_CODECS, // rtcsignalbin has the endpoint properties (address, serve, ...) and url
  PROP_AUDIO_CODECS,
  PROP_MAX_VIEWERS,
  PROP_VIDEO_BITRATE,
  PROP_KEYFRAME_INTERVAL,
  PROP_PLAYOUT_DELAY,
  PROP_RETRANSMISSION_BUDGET,
  PROP_VIEWERS,
};

G_DEFINE_TYPE (GstRtcBroadcastSink, gst_rtc_broadcast_sink, GST_TYPE_RTC_SIGNAL_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcbroadcastsink, "rtcbroadcastsink", GST_RANK_NONE,
                                       GST_TYPE_RTC_BROADCAST_SINK,
                                       GST_DEBUG_CATEGORY_INIT (rtc_broadcast_sink_debug,
                                                                "rtcbroadcastsink", 0,
                                                                "rtckit broadcast sink"));

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-raw; video/x-h264, stream-format=(string){ avc, byte-stream }; "
                     "video/x-vp8; video/x-vp9"));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE (
    "audio_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/x-raw; audio/x-opus; audio/x-mulaw; audio/x-alaw"));

Settings
rtc::broadcast::copy_settings (GstRtcBroadcastSink *self)
{
  std::lock_guard lock (self->priv->settings_lock);
  return self->priv->settings;
}

/* --- feeds ------------------------------------------------------------------------------- */

std::shared_ptr<Feed>
rtc::broadcast::ensure_feed (GstRtcBroadcastSink *self, const std::shared_ptr<Track> &track,
                             const CodecInfo *codec)
{
  std::lock_guard build (self->priv->feed_build_lock);
  bool live;
  const CodecInfo *passthrough;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    auto it = track->feeds.find (codec);
    if (it != track->feeds.end ())
      return it->second;
    live = track->live;
    passthrough = track->passthrough;
  }
  Settings s = copy_settings (self);
  auto feed = std::make_shared<Feed> (
      codec, passthrough ? Feed::Mode::Passthrough : Feed::Mode::Encode, track->name, track->ssrc);
  feed->set_playout_delay (s.playout_delay);
  rtc::Error err;
  Ptr<GstPad> sinkpad (feed->build (GST_BIN (self), live, track->video ? s.video_bitrate : 0,
                                    s.keyframe_interval, err.out ()));
  if (!sinkpad)
    {
      GST_ELEMENT_WARNING (
          self, CORE, MISSING_PLUGIN,
          ("Cannot send %s on %s: %s", codec->name, track->name.c_str (), err.message ()),
          ("feed construction failed"));
      return nullptr;
    }
  Ptr<GstPad> teepad (gst_element_request_pad_simple (track->tee.get (), "src_%u"));
  if (gst_pad_link (teepad.get (), sinkpad.get ()) != GST_PAD_LINK_OK)
    {
      GST_ELEMENT_WARNING (self, CORE, NEGOTIATION,
                           ("Cannot send %s on %s", codec->name, track->name.c_str ()),
                           ("linking the tee branch failed"));
      feed->teardown (GST_BIN (self));
      gst_element_release_request_pad (track->tee.get (), teepad.get ());
      return nullptr;
    }
  GST_INFO_OBJECT (self, "%s: sending %s (%s)", track->name.c_str (), codec->name,
                   passthrough ? "passthrough" : feed->encoder_factory ().c_str ());
  std::lock_guard lock (self->priv->tracks_lock);
  track->feeds[codec] = feed;
  return feed;
}

// First caps on a track decide raw (encode) or encoded (passthrough) and start the first feed.
static GstPadProbeReturn
on_track_caps (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  std::shared_ptr<Track> track = static_cast<std::weak_ptr<Track> *> (user_data)->lock ();
  if (!track)
    return GST_PAD_PROBE_OK;
  auto *self = track->owner;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  const char *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  bool raw = g_str_has_suffix (name, "/x-raw");
  {
    std::lock_guard lock (self->priv->tracks_lock);
    if (track->caps_known)
      {
        bool was_raw = track->passthrough == nullptr;
        if (was_raw == raw && (raw || rtc::codec_by_encoded_caps (caps) == track->passthrough))
          return GST_PAD_PROBE_OK;
      }
  }
  if (track->caps_known)
    {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
                         ("The format on %s changed to %s while streaming: restart the pipeline "
                          "to change it",
                          track->name.c_str (), name),
                         (nullptr));
      return GST_PAD_PROBE_DROP;
    }
  Settings s = copy_settings (self);
  std::vector<const CodecInfo *> codecs;
  const CodecInfo *passthrough = nullptr;
  if (raw)
    {
      std::vector<std::string> unknown;
      codecs = rtc::parse_codec_list (track->video ? s.video_codecs : s.audio_codecs,
                                      track->video ? "video" : "audio", &unknown);
      for (auto &u : unknown)
        GST_WARNING_OBJECT (self, "ignoring unknown %s codec '%s'",
                            track->video ? "video" : "audio", u.c_str ());
      if (codecs.empty ())
        {
          GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
                             ("No usable %s codec in %s-codecs=\"%s\"",
                              track->video ? "video" : "audio", track->video ? "video" : "audio",
                              track->video ? s.video_codecs.c_str () : s.audio_codecs.c_str ()),
                             (nullptr));
          return GST_PAD_PROBE_DROP;
        }
    }
  else
    {
      passthrough = rtc::codec_by_encoded_caps (caps);
      if (!passthrough || g_strcmp0 (passthrough->media, track->video ? "video" : "audio") != 0)
        {
          GST_ELEMENT_ERROR (self, STREAM, FORMAT,
                             ("%s cannot be sent to browsers on %s: give raw %s or H.264, VP8, VP9 "
                              "(video) / Opus, PCMU, PCMA (audio)",
                              name, track->name.c_str (), track->video ? "video" : "audio"),
                             (nullptr));
          return GST_PAD_PROBE_DROP;
        }
      codecs = { passthrough };
    }
  // Live sources are sent as soon as they are payloaded; anything else is paced by the clock.
  bool live = true;
  GstQuery *q = gst_query_new_latency ();
  if (gst_pad_peer_query (track->ghost, q))
    {
      gboolean is_live;
      gst_query_parse_latency (q, &is_live, nullptr, nullptr);
      live = is_live;
    }
  gst_query_unref (q);
  {
    std::lock_guard lock (self->priv->tracks_lock);
    track->caps_known = true;
    track->live = live;
    track->passthrough = passthrough;
    track->codecs = codecs;
  }
  GST_INFO_OBJECT (self, "%s: %s input (%s), offering %s", track->name.c_str (),
                   raw ? "raw" : "encoded", live ? "live" : "not live",
                   rtc::codec_names (codecs).c_str ());
  // The first (preferred) codec is ready before anyone asks, so the first viewer starts fast.
  ensure_feed (self, track, codecs.front ());
  rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self] { process_pending (self); });
  return GST_PAD_PROBE_OK;
}

/* --- pads and states --------------------------------------------------------------------- */

static GstPad *
request_new_pad (GstElement *element, GstPadTemplate *templ, const gchar *name, const GstCaps *)
{
  auto *self = GST_RTC_BROADCAST_SINK (element);
  bool video = g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "video_%u");
  auto track = std::make_shared<Track> ();
  track->video = video;
  track->owner = self;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    guint &next = video ? self->priv->next_video : self->priv->next_audio;
    guint index = next;
    if (name && sscanf (name, video ? "video_%u" : "audio_%u", &index) == 1)
      {
        for (auto &t : self->priv->tracks)
          if (t->name == name)
            return nullptr;
      }
    next = MAX (next, index + 1);
    track->name = (video ? "video_" : "audio_") + std::to_string (index);
    // Unique among the tracks, which share one bundled transport per viewer.
    for (bool unique = false; !unique;)
      {
        track->ssrc = g_random_int_range (1, G_MAXINT32);
        unique = true;
        for (auto &t : self->priv->tracks)
          unique = unique && t->ssrc != track->ssrc;
      }
  }
  GstElement *tee = gst_element_factory_make ("tee", nullptr);
  g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  track->tee = Ptr<GstElement>::ref (tee);
  gst_bin_add (GST_BIN (self), tee);
  Ptr<GstPad> teesink (gst_element_get_static_pad (tee, "sink"));
  GstPad *ghost = gst_ghost_pad_new_from_template (track->name.c_str (), teesink.get (), templ);
  track->ghost = ghost;
  // Weakly: the track owns the tee, whose pad owns this probe.
  gst_pad_add_probe (teesink.get (), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_track_caps,
                     rtc::boxed (std::weak_ptr<Track> (track)),
                     rtc::free_boxed<std::weak_ptr<Track>>);
  {
    std::lock_guard lock (self->priv->tracks_lock);
    self->priv->tracks.push_back (track);
  }
  gst_element_sync_state_with_parent (tee);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (element, ghost);
  return ghost;
}

static void
release_pad (GstElement *element, GstPad *pad)
{
  auto *self = GST_RTC_BROADCAST_SINK (element);
  std::shared_ptr<Track> track;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    auto &tracks = self->priv->tracks;
    for (auto it = tracks.begin (); it != tracks.end (); ++it)
      if ((*it)->ghost == pad)
        {
          track = *it;
          tracks.erase (it);
          break;
        }
  }
  if (!track)
    return;
  // Viewers were offered this track: end them, new viewers get the remaining tracks.
  rtc::run_on_worker_sync (GST_RTC_SIGNAL_BIN (self),
                           [self, track] { remove_viewers_of_track (self, track); });
  std::map<const CodecInfo *, std::shared_ptr<Feed>> feeds;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    feeds.swap (track->feeds);
  }
  gst_element_set_locked_state (track->tee.get (), TRUE);
  gst_element_set_state (track->tee.get (), GST_STATE_NULL);
  for (auto &[c, f] : feeds)
    f->teardown (GST_BIN (self));
  gst_element_remove_pad (element, pad);
  gst_bin_remove (GST_BIN (self), track->tee.get ());
}

static void
reset_feeds (GstRtcBroadcastSink *self)
{
  std::vector<std::pair<std::shared_ptr<Track>, std::shared_ptr<Feed>>> all;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    for (auto &t : self->priv->tracks)
      {
        for (auto &[c, f] : t->feeds)
          all.emplace_back (t, f);
        t->feeds.clear ();
        t->caps_known = false;
        t->passthrough = nullptr;
        t->codecs.clear ();
      }
  }
  for (auto &[t, f] : all)
    {
      Ptr<GstPad> sink;
      // Release the tee pad that fed this branch.
      GstIterator *it = gst_element_iterate_src_pads (t->tee.get ());
      GValue item = G_VALUE_INIT;
      std::vector<Ptr<GstPad>> to_release;
      while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
        {
          auto *p = GST_PAD (g_value_get_object (&item));
          to_release.push_back (Ptr<GstPad>::ref (p));
          g_value_reset (&item);
        }
      g_value_unset (&item);
      gst_iterator_free (it);
      for (auto &p : to_release)
        gst_element_release_request_pad (t->tee.get (), p.get ());
      f->teardown (GST_BIN (self));
    }
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_BROADCAST_SINK (element);
  // rtcsignalbin starts the signalling and the worker, and ends the viewers when stopping.
  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS (gst_rtc_broadcast_sink_parent_class)->change_state (element, transition);
  switch (transition)
    {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      reset_feeds (self);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      {
        std::lock_guard lock (self->priv->stats_lock);
        self->priv->snapshots.clear ();
        self->priv->viewer_count = 0;
      }
      break;
    default:
      break;
    }
  return ret;
}

/* --- GObject ----------------------------------------------------------------------------- */

static void
set_bitrate_on_feeds (GstRtcBroadcastSink *self, guint kbps)
{
  std::vector<std::shared_ptr<Feed>> feeds;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    for (auto &t : self->priv->tracks)
      if (t->video)
        for (auto &[c, f] : t->feeds)
          feeds.push_back (f);
  }
  for (auto &f : feeds)
    f->set_bitrate (kbps);
}

static void
set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_BROADCAST_SINK (object);
  auto str = [value] {
    return std::string (g_value_get_string (value) ? g_value_get_string (value) : "");
  };
  std::unique_lock lock (self->priv->settings_lock);
  Settings &s = self->priv->settings;
  switch (prop_id)
    {
    case PROP_VIDEO_CODECS:
      s.video_codecs = str ();
      break;
    case PROP_AUDIO_CODECS:
      s.audio_codecs = str ();
      break;
    case PROP_MAX_VIEWERS:
      s.max_viewers = g_value_get_uint (value);
      break;
    case PROP_VIDEO_BITRATE:
      {
        s.video_bitrate = g_value_get_uint (value);
        guint kbps = s.video_bitrate;
        lock.unlock ();
        set_bitrate_on_feeds (self, kbps);
        break;
      }
    case PROP_KEYFRAME_INTERVAL:
      s.keyframe_interval = g_value_get_uint (value);
      break;
    case PROP_RETRANSMISSION_BUDGET:
      s.retransmission_budget = g_value_get_uint (value);
      break;
    case PROP_PLAYOUT_DELAY:
      {
        s.playout_delay = g_value_get_int (value);
        gint ms = s.playout_delay;
        lock.unlock ();
        std::lock_guard tl (self->priv->tracks_lock);
        for (auto &t : self->priv->tracks)
          for (auto &[codec, feed] : t->feeds)
            feed->set_playout_delay (ms);
        break;
      }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_BROADCAST_SINK (object);
  if (prop_id == PROP_VIEWERS)
    {
      std::lock_guard lock (self->priv->stats_lock);
      g_value_set_uint (value, self->priv->viewer_count);
      return;
    }
  std::lock_guard lock (self->priv->settings_lock);
  const Settings &s = self->priv->settings;
  switch (prop_id)
    {
    case PROP_VIDEO_CODECS:
      g_value_set_string (value, s.video_codecs.c_str ());
      break;
    case PROP_AUDIO_CODECS:
      g_value_set_string (value, s.audio_codecs.c_str ());
      break;
    case PROP_MAX_VIEWERS:
      g_value_set_uint (value, s.max_viewers);
      break;
    case PROP_VIDEO_BITRATE:
      g_value_set_uint (value, s.video_bitrate);
      break;
    case PROP_KEYFRAME_INTERVAL:
      g_value_set_uint (value, s.keyframe_interval);
      break;
    case PROP_PLAYOUT_DELAY:
      g_value_set_int (value, s.playout_delay);
      break;
    case PROP_RETRANSMISSION_BUDGET:
      g_value_set_uint (value, s.retransmission_budget);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_rtc_broadcast_sink_init (GstRtcBroadcastSink *self)
{
  self->priv = new BroadcastPrivate ();
}

static void
finalize (GObject *object)
{
  auto *self = GST_RTC_BROADCAST_SINK (object);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_broadcast_sink_parent_class)->finalize (object);
}

static void
gst_rtc_broadcast_sink_class_init (GstRtcBroadcastSinkClass *klass)
{
  auto *gobject_class = G_OBJECT_CLASS (klass);
  auto *element_class = GST_ELEMENT_CLASS (klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = change_state;
  element_class->request_new_pad = request_new_pad;
  element_class->release_pad = release_pad;

  const auto rw_ready
      = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto rw_playing
      = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  GST_RTC_SIGNAL_BIN_CLASS (klass)->hooks = &viewer_hooks;

  g_object_class_install_property (
      gobject_class, PROP_VIDEO_CODECS,
      g_param_spec_string (
          "video-codecs", "Video codecs",
          "Video codecs offered to each viewer for raw input, most preferred first (h264, vp8, "
          "vp9); each viewer gets the first one its browser accepts",
          DEFAULT_VIDEO_CODECS, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_CODECS,
      g_param_spec_string (
          "audio-codecs", "Audio codecs",
          "Audio codecs offered for raw input, most preferred first (opus, pcmu, pcma)",
          DEFAULT_AUDIO_CODECS, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_MAX_VIEWERS,
      g_param_spec_uint (
          "max-viewers", "Maximum viewers",
          "Viewers accepted at once (0 = no limit); a viewer over the limit is told why", 0,
          G_MAXUINT, DEFAULT_MAX_VIEWERS, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_BITRATE,
      g_param_spec_uint (
          "video-bitrate", "Video bitrate",
          "Target bitrate of encoded video in kbit/s (raw input only; changeable while playing)", 1,
          100000, DEFAULT_VIDEO_BITRATE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_KEYFRAME_INTERVAL,
      g_param_spec_uint (
          "keyframe-interval", "Keyframe interval",
          "Maximum frames between keyframes of encoded video (0 = only when a viewer asks)", 0,
          G_MAXINT, DEFAULT_KEYFRAME_INTERVAL, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_PLAYOUT_DELAY,
      g_param_spec_int (
          "playout-delay", "Playout delay",
          "Longest time in ms a viewer may hold video frames to smooth network jitter, sent in "
          "the playout-delay RTP header extension that browsers based on libwebrtc honour; 0 = "
          "show each frame as soon as it is decoded (lowest latency), -1 = let the viewer decide "
          "(no extension); changeable while playing",
          -1, 40950, DEFAULT_PLAYOUT_DELAY, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_RETRANSMISSION_BUDGET,
      g_param_spec_uint (
          "retransmission-budget", "Retransmission budget",
          "Retransmissions sent to a viewer at most per 100 media packets it gets; past that it "
          "gets a keyframe instead (at most one a second), so a viewer on a lossy or narrow "
          "link is not flooded with repairs; for viewers that join later",
          0, 100, DEFAULT_RETRANSMISSION_BUDGET, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_VIEWERS,
      g_param_spec_uint ("viewers", "Viewers", "Viewers attached now", 0, G_MAXUINT, 0, ro));

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (
      element_class, "WebRTC broadcast sink", "Sink/Network/WebRTC",
      "Publishes a live stream to many web browsers over WebRTC, with a built-in web page and "
      "signalling server; encodes once per codec, or passes encoded input through",
      "rtckit developers");
}
