/**
 * SECTION:element-rtcingestsrc
 * @title: rtcingestsrc
 *
 * Receives the audio and video that remote peers publish over WebRTC: browsers on the
 * embedded server's publish page (http://127.0.0.1:8080/publish by default, property
 * `address`), or any client of the signalling protocol that registers as a producer.
 *
 * Each published track becomes a sometimes src pad `video_%u` / `audio_%u` (numbered per kind
 * across the element) carrying the depayloaded, parsed, still-encoded stream: H.264 (byte-stream or
 * avc, alignment=au), VP8, VP9 or Opus. The pads are #GstRtcIngestPad with read-only
 * properties `publisher-id` and `session-id`, and carry a stream tag `rtckit-publisher-id`
 * (also as the title). All pads of one publisher are added before data flows on any of them;
 * then the `publisher-ready` signal is emitted and the `rtckit-publisher-ready` message posted,
 * and only then does data flow, so an application can build one muxer per publisher.
 * When a publisher leaves, its pads get EOS (a muxer finalises its file) and are removed.
 *
 * ## Examples
 * |[
 * gst-launch-1.0 rtcingestsrc ! queue ! h264parse ! avdec_h264 ! videoconvert ! autovideosink
 * gst-launch-1.0 -e rtcingestsrc name=s video-codecs=vp8 s. ! queue ! webmmux ! filesink
 * location=p.webm
 * ]|
 *
 * Bus messages (element messages): `rtckit-url` {url}, `rtckit-publisher-joined`
 * {publisher-id, session-id}, `rtckit-publisher-ready` {publisher-id, session-id, pads (strv)},
 * `rtckit-publisher-left` {publisher-id, session-id, reason}.
 */
#include "ingest/src-private.h"

#include "elements/elements.h"

using namespace rtc::ingest;
using rtc::Ptr;

guint rtc::ingest::signals[N_SIGNALS];

GST_DEBUG_CATEGORY (rtc_ingest_src_debug);

enum
{
  PROP_0,
  PROP_VIDEO_CODECS, // rtcsignalbin has the endpoint properties (address, serve, ...) and url
  PROP_AUDIO_CODECS,
  PROP_MAX_PUBLISHERS,
  PROP_PRODUCER_ID,
  PROP_PUBLISHERS,
};

/* --- GstRtcIngestPad --------------------------------------------------------------------- */

enum
{
  PAD_PROP_0,
  PAD_PROP_PUBLISHER_ID,
  PAD_PROP_SESSION_ID,
};

G_DEFINE_TYPE (GstRtcIngestPad, gst_rtc_ingest_pad, GST_TYPE_GHOST_PAD);

static void
gst_rtc_ingest_pad_init (GstRtcIngestPad *)
{
}

static void
gst_rtc_ingest_pad_class_init (GstRtcIngestPadClass *klass)
{
  auto *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->finalize = [] (GObject *o) {
    auto *pad = GST_RTC_INGEST_PAD (o);
    g_free (pad->publisher_id);
    g_free (pad->session_id);
    G_OBJECT_CLASS (gst_rtc_ingest_pad_parent_class)->finalize (o);
  };
  gobject_class->get_property = [] (GObject *o, guint id, GValue *v, GParamSpec *pspec) {
    auto *pad = GST_RTC_INGEST_PAD (o);
    if (id == PAD_PROP_PUBLISHER_ID)
      g_value_set_string (v, pad->publisher_id);
    else if (id == PAD_PROP_SESSION_ID)
      g_value_set_string (v, pad->session_id);
    else
      G_OBJECT_WARN_INVALID_PROPERTY_ID (o, id, pspec);
  };
  g_object_class_install_property (
      gobject_class, PAD_PROP_PUBLISHER_ID,
      g_param_spec_string ("publisher-id", "Publisher id",
                           "Signalling peer id of the publisher whose track this pad carries",
                           nullptr, GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PAD_PROP_SESSION_ID,
      g_param_spec_string ("session-id", "Session id",
                           "Signalling session of the publisher whose track this pad carries",
                           nullptr, GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

/* --- element state ----------------------------------------------------------------------- */

G_DEFINE_TYPE (GstRtcIngestSrc, gst_rtc_ingest_src, GST_TYPE_RTC_SIGNAL_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (
    rtcingestsrc, "rtcingestsrc", GST_RANK_NONE, GST_TYPE_RTC_INGEST_SRC,
    GST_DEBUG_CATEGORY_INIT (rtc_ingest_src_debug, "rtcingestsrc", 0, "rtckit ingest source"));

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS (RTC_RECEIVE_VIDEO_CAPS));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE (
    "audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS (RTC_RECEIVE_AUDIO_CAPS));

Settings
rtc::ingest::copy_settings (GstRtcIngestSrc *self)
{
  std::lock_guard lock (self->priv->settings_lock);
  return self->priv->settings;
}

/* --- element ----------------------------------------------------------------------------- */

// EOS from the application (gst-launch-1.0 -e): end every announced pad so muxers finalise.
static gboolean
send_event (GstElement *element, GstEvent *event)
{
  auto *self = GST_RTC_INGEST_SRC (element);
  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (gst_rtc_ingest_src_parent_class)->send_event (element, event);
  self->priv->eos = true;
  rtc::run_on_worker_sync (GST_RTC_SIGNAL_BIN (self), [self] { end_all_tracks (self); });
  gst_event_unref (event);
  return TRUE;
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_INGEST_SRC (element);
  // rtcsignalbin starts the signalling and the worker, and ends the publishers when stopping.
  if (transition == GST_STATE_CHANGE_NULL_TO_READY)
    self->priv->eos = false;
  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS (gst_rtc_ingest_src_parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  switch (transition)
    {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      // A live source: nothing to preroll until someone publishes.
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      self->priv->in->reset_numbering ();
      break;
    default:
      break;
    }
  return ret;
}

static void
set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_INGEST_SRC (object);
  auto str = [value] {
    return std::string (g_value_get_string (value) ? g_value_get_string (value) : "");
  };
  std::lock_guard lock (self->priv->settings_lock);
  Settings &s = self->priv->settings;
  switch (prop_id)
    {
    case PROP_VIDEO_CODECS:
      s.video_codecs = str ();
      break;
    case PROP_AUDIO_CODECS:
      s.audio_codecs = str ();
      break;
    case PROP_MAX_PUBLISHERS:
      s.max_publishers = g_value_get_uint (value);
      break;
    case PROP_PRODUCER_ID:
      s.producer_id = str ();
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_INGEST_SRC (object);
  if (prop_id == PROP_PUBLISHERS)
    {
      std::lock_guard lock (self->priv->state_lock);
      g_value_set_uint (value, self->priv->publisher_count);
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
    case PROP_MAX_PUBLISHERS:
      g_value_set_uint (value, s.max_publishers);
      break;
    case PROP_PRODUCER_ID:
      g_value_set_string (value, s.producer_id.empty () ? nullptr : s.producer_id.c_str ());
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_rtc_ingest_src_init (GstRtcIngestSrc *self)
{
  self->priv = new IngestPrivate ();
  rtc::Incoming::Callbacks cb;
  cb.find = [self] (const std::string &sid) { return find_incoming (self, sid); };
  cb.announced = [self] (const std::string &sid, const std::string &pid,
                         const std::vector<std::string> &pads) {
    publisher_announced (self, sid, pid, pads);
  };
  self->priv->in = std::make_unique<rtc::Incoming> (GST_RTC_SIGNAL_BIN (self), rtc_ingest_src_debug,
                                                    std::move (cb));
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
finalize (GObject *object)
{
  auto *self = GST_RTC_INGEST_SRC (object);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_ingest_src_parent_class)->finalize (object);
}

static void
gst_rtc_ingest_src_class_init (GstRtcIngestSrcClass *klass)
{
  auto *gobject_class = G_OBJECT_CLASS (klass);
  auto *element_class = GST_ELEMENT_CLASS (klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = change_state;
  element_class->send_event = send_event;

  rtc::register_peer_tag ();

  const auto rw_ready
      = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto rw_playing
      = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  GST_RTC_SIGNAL_BIN_CLASS (klass)->hooks = &publisher_hooks;

  g_object_class_install_property (
      gobject_class, PROP_VIDEO_CODECS,
      g_param_spec_string (
          "video-codecs", "Video codecs",
          "Video codecs accepted from publishers, most preferred first (h264, vp8, vp9); the "
          "answer picks the first one the publisher offers",
          DEFAULT_VIDEO_CODECS, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_CODECS,
      g_param_spec_string (
          "audio-codecs", "Audio codecs",
          "Audio codecs accepted from publishers, most preferred first (opus, pcmu, pcma)",
          DEFAULT_AUDIO_CODECS, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_MAX_PUBLISHERS,
      g_param_spec_uint (
          "max-publishers", "Maximum publishers",
          "Publishers accepted at once (0 = no limit); a publisher over the limit is told why", 0,
          G_MAXUINT, DEFAULT_MAX_PUBLISHERS, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_PRODUCER_ID,
      g_param_spec_string (
          "producer-id", "Producer id",
          "With serve=false: the remote producer to receive from (its peer id on the signalling "
          "server, signaller::uri=ws://HOST:PORT/ws); unset takes the first producer there",
          nullptr, rw_ready));
  g_object_class_install_property (gobject_class, PROP_PUBLISHERS,
                                   g_param_spec_uint ("publishers", "Publishers",
                                                      "Publishers connected or connecting now", 0,
                                                      G_MAXUINT, 0, ro));

  /**
   * GstRtcIngestSrc::publisher-ready:
   * @publisher_id: the publisher's signalling peer id
   * @session_id: its session
   *
   * Every pad of the publisher has been added and no data has flowed on any of them yet: link
   * them here (e.g. one muxer per publisher). Emitted on the element's worker thread; adding
   * and linking elements here is safe, changing this element's state is not.
   */
  signals[SIGNAL_PUBLISHER_READY]
      = g_signal_new ("publisher-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                      nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcIngestSrc::publisher-left:
   * @publisher_id: the publisher's signalling peer id
   * @session_id: its session
   * @reason: why it left
   *
   * The publisher's pads got EOS and were removed. Emitted on the element's worker thread.
   */
  signals[SIGNAL_PUBLISHER_LEFT] = g_signal_new (
      "publisher-left", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  gst_element_class_add_static_pad_template_with_gtype (element_class, &video_template,
                                                        GST_TYPE_RTC_INGEST_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class, &audio_template,
                                                        GST_TYPE_RTC_INGEST_PAD);
  gst_element_class_set_static_metadata (
      element_class, "WebRTC ingest source", "Source/Network/WebRTC",
      "Receives what web browsers and other WebRTC peers publish, with a built-in publish page "
      "and signalling server; one depayloaded, parsed, still-encoded pad per track",
      "rtckit developers");
  gst_type_mark_as_plugin_api (GST_TYPE_RTC_INGEST_PAD, GstPluginAPIFlags (0));
}
