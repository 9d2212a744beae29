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
  PROP_NAVIGATION,
  PROP_VIDEO_LAYERS,
  PROP_DIRECT_SEND,
  PROP_VIEWERS,
};

G_DEFINE_TYPE (GstRtcBroadcastSink, gst_rtc_broadcast_sink, GST_TYPE_RTC_SIGNAL_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcbroadcastsink, "rtcbroadcastsink", GST_RANK_NONE,
                                       GST_TYPE_RTC_BROADCAST_SINK,
                                       GST_DEBUG_CATEGORY_INIT (rtc_broadcast_sink_debug,
                                                                "rtcbroadcastsink", 0,
                                                                "rtckit broadcast sink"));

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS (RTC_SEND_VIDEO_CAPS));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE (
    "audio_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS (RTC_SEND_AUDIO_CAPS));

Settings
rtc::broadcast::copy_settings (GstRtcBroadcastSink *self)
{
  std::lock_guard lock (self->priv->settings_lock);
  return self->priv->settings;
}

/* --- pads and states --------------------------------------------------------------------- */

static GstPad *
request_new_pad (GstElement *element, GstPadTemplate *templ, const gchar *name, const GstCaps *)
{
  return GST_RTC_BROADCAST_SINK (element)->priv->out->request_pad (templ, name);
}

static void
release_pad (GstElement *element, GstPad *pad)
{
  GST_RTC_BROADCAST_SINK (element)->priv->out->release_pad (pad);
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
      self->priv->out->reset ();
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
        self->priv->out->set_bitrate (kbps);
        break;
      }
    case PROP_KEYFRAME_INTERVAL:
      s.keyframe_interval = g_value_get_uint (value);
      break;
    case PROP_RETRANSMISSION_BUDGET:
      s.retransmission_budget = g_value_get_uint (value);
      break;
    case PROP_NAVIGATION:
      s.navigation = g_value_get_boolean (value);
      break;
    case PROP_VIDEO_LAYERS:
      rtc::set_video_layers (GST_ELEMENT (self), s.video_layers, g_value_get_string (value));
      break;
    case PROP_DIRECT_SEND:
      s.direct_send = g_value_get_boolean (value);
      break;
    case PROP_PLAYOUT_DELAY:
      {
        s.playout_delay = g_value_get_int (value);
        gint ms = s.playout_delay;
        lock.unlock ();
        self->priv->out->set_playout_delay (ms);
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
    case PROP_NAVIGATION:
      g_value_set_boolean (value, s.navigation);
      break;
    case PROP_VIDEO_LAYERS:
      g_value_set_string (value, s.video_layers.c_str ());
      break;
    case PROP_DIRECT_SEND:
      g_value_set_boolean (value, s.direct_send);
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
  rtc::Outgoing::Callbacks cb;
  cb.settings = [self] {
    Settings s = copy_settings (self);
    return rtc::OutgoingSettings{ s.video_codecs, s.audio_codecs, s.video_bitrate,
                                  s.keyframe_interval, s.playout_delay, s.video_layers };
  };
  cb.caps_known = [self] {
    rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self] { process_pending (self); });
  };
  cb.removing = [self] (const std::shared_ptr<rtc::Track> &track) {
    rtc::run_on_worker_sync (GST_RTC_SIGNAL_BIN (self),
                             [self, track] { remove_viewers_of_track (self, track); });
  };
  self->priv->out = std::make_unique<rtc::Outgoing> (GST_ELEMENT (self), rtc_broadcast_sink_debug,
                                                     std::move (cb));
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
      gobject_class, PROP_NAVIGATION,
      g_param_spec_boolean (
          "navigation", "Navigation",
          "Let viewers control the source: new viewers get a data channel labelled \"control\" "
          "on which the viewer page (or gstwebrtc-api's remote controller) sends pointer and key "
          "events; they go upstream of the first video pad as GstNavigation events in the "
          "video's own coordinates (e.g. videotestsrc ! navigationtest ! rtcbroadcastsink "
          "navigation=true)",
          DEFAULT_NAVIGATION, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_LAYERS, rtc::video_layers_param_spec (rw_ready));
  g_object_class_install_property (gobject_class, PROP_DIRECT_SEND,
                                   rtc::direct_send_param_spec (rw_playing));
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
