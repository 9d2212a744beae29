/**
 * SECTION:element-rtccallbin
 * @title: rtccallbin
 *
 * A two-way call with one remote peer at a time: what the pipeline gives the request sink pads
 * `video_%u` / `audio_%u` (raw, or already encoded as rtcbroadcastsink takes it) goes to the
 * peer; what the peer sends comes out on sometimes src pads `video_src_%u` / `audio_src_%u`
 * (depayloaded, parsed, still encoded, as rtcingestsrc gives them; all of one call are added
 * before data flows; #GstRtcIngestPad with the peer's id). A data channel labelled `rtckit`
 * goes beside the media (`data-channel`, true by default; see rtcsignalbin's `send-message` and
 * `message`).
 *
 * Without `call` the element waits for calls: the embedded server's page
 * http://127.0.0.1:8080/call sends the browser's camera and microphone, shows the pipeline's
 * stream and has a text chat; over a signalling server (serve=false) another pipeline calls it.
 * A second caller while a call is up is told the line is busy. With `call=PEER-ID` (or
 * `call=first`) the element calls that producer on the signalling server (serve=false).
 *
 * The src pads are not named like the sink pads: an element cannot have two pad templates of
 * one name, nor two pads of one name.
 *
 * ## Examples
 * |[
 * gst-launch-1.0 rtccallbin name=c v4l2src ! videoconvert ! c.video_0 autoaudiosrc ! c.audio_0
 *   c.video_src_0 ! decodebin ! autovideosink c.audio_src_0 ! decodebin ! autoaudiosink
 * gst-launch-1.0 rtccallbin name=c serve=false call=first signaller::uri=ws://127.0.0.1:8443/ws
 *   videotestsrc is-live=true ! c.video_0 c.video_src_0 ! decodebin ! autovideosink
 * ]|
 *
 * Bus messages (element messages): `rtckit-url` {url}, `rtckit-call-started` {session-id,
 * peer-id}, `rtckit-call-pads` {session-id, peer-id, pads (strv)}, `rtckit-call-ended`
 * {session-id, peer-id, reason}, `rtckit-message` {session-id, label, text}.
 */
#include "call/call-private.h"

#include "elements/elements.h"
#include "receive/ingest-pad.h"

using namespace rtc::call;

GST_DEBUG_CATEGORY (rtc_call_bin_debug);

enum
{
  PROP_0,
  PROP_VIDEO_CODECS, // rtcsignalbin has the endpoint properties (address, serve, ...) and url
  PROP_AUDIO_CODECS,
  PROP_VIDEO_BITRATE,
  PROP_KEYFRAME_INTERVAL,
  PROP_CALL,
  PROP_DATA_CHANNEL, // rtcsignalbin's, with a default of its own here
  PROP_PEER,
  PROP_VIDEO_LAYERS,
  PROP_DIRECT_SEND,
};

G_DEFINE_TYPE (GstRtcCallBin, gst_rtc_call_bin, GST_TYPE_RTC_SIGNAL_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtccallbin, "rtccallbin", GST_RANK_NONE,
                                       GST_TYPE_RTC_CALL_BIN,
                                       GST_DEBUG_CATEGORY_INIT (rtc_call_bin_debug, "rtccallbin", 0,
                                                                "rtckit call bin"));

static GstStaticPadTemplate video_sink_template = GST_STATIC_PAD_TEMPLATE (
    "video_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS (RTC_SEND_VIDEO_CAPS));
static GstStaticPadTemplate audio_sink_template = GST_STATIC_PAD_TEMPLATE (
    "audio_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS (RTC_SEND_AUDIO_CAPS));
static GstStaticPadTemplate video_src_template = GST_STATIC_PAD_TEMPLATE (
    "video_src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS (RTC_RECEIVE_VIDEO_CAPS));
static GstStaticPadTemplate audio_src_template = GST_STATIC_PAD_TEMPLATE (
    "audio_src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS (RTC_RECEIVE_AUDIO_CAPS));

Settings
rtc::call::copy_settings (GstRtcCallBin *self)
{
  std::lock_guard lock (self->priv->settings_lock);
  return self->priv->settings;
}

static GstPad *
request_new_pad (GstElement *element, GstPadTemplate *templ, const gchar *name, const GstCaps *)
{
  return GST_RTC_CALL_BIN (element)->priv->out->request_pad (templ, name);
}

static void
release_pad (GstElement *element, GstPad *pad)
{
  GST_RTC_CALL_BIN (element)->priv->out->release_pad (pad);
}

// EOS from the application (gst-launch-1.0 -e): the received pads end too, so muxers finalise.
static gboolean
send_event (GstElement *element, GstEvent *event)
{
  auto *self = GST_RTC_CALL_BIN (element);
  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (gst_rtc_call_bin_parent_class)->send_event (element, event);
  rtc::run_on_worker_sync (GST_RTC_SIGNAL_BIN (self), [self] { end_received (self); });
  gst_event_unref (event);
  return TRUE;
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_CALL_BIN (element);
  // rtcsignalbin starts the signalling and the worker, and ends the call when stopping.
  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS (gst_rtc_call_bin_parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  switch (transition)
    {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      // Live: nothing to preroll until someone calls.
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      self->priv->out->reset ();
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
  auto *self = GST_RTC_CALL_BIN (object);
  auto str = [value] {
    return std::string (g_value_get_string (value) ? g_value_get_string (value) : "");
  };
  if (prop_id == PROP_DATA_CHANNEL)
    {
      auto &sb = rtc::signal_bin (GST_RTC_SIGNAL_BIN (self));
      std::lock_guard lock (sb.settings_lock);
      sb.settings.data_channel = g_value_get_boolean (value);
      return;
    }
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
    case PROP_CALL:
      s.call = str ();
      break;
    case PROP_VIDEO_LAYERS:
      rtc::set_video_layers (GST_ELEMENT (self), s.video_layers, g_value_get_string (value));
      break;
    case PROP_DIRECT_SEND:
      s.direct_send = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_CALL_BIN (object);
  if (prop_id == PROP_DATA_CHANNEL)
    {
      g_value_set_boolean (value,
                           rtc::signal_bin_settings (GST_RTC_SIGNAL_BIN (self)).data_channel);
      return;
    }
  if (prop_id == PROP_PEER)
    {
      std::lock_guard lock (self->priv->state_lock);
      g_value_set_string (value, self->priv->peer.empty () ? nullptr : self->priv->peer.c_str ());
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
    case PROP_VIDEO_BITRATE:
      g_value_set_uint (value, s.video_bitrate);
      break;
    case PROP_KEYFRAME_INTERVAL:
      g_value_set_uint (value, s.keyframe_interval);
      break;
    case PROP_CALL:
      g_value_set_string (value, s.call.empty () ? nullptr : s.call.c_str ());
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
gst_rtc_call_bin_init (GstRtcCallBin *self)
{
  self->priv = new CallPrivate ();
  {
    auto &sb = rtc::signal_bin (GST_RTC_SIGNAL_BIN (self));
    std::lock_guard lock (sb.settings_lock);
    sb.settings.data_channel = DEFAULT_CALL_DATA_CHANNEL;
  }
  // A source of the caller's streams too: gst-launch -e sends it EOS (send_event).
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);

  rtc::Outgoing::Callbacks out;
  out.settings = [self] {
    Settings s = copy_settings (self);
    return rtc::OutgoingSettings{ s.video_codecs, s.audio_codecs, s.video_bitrate,
                                  s.keyframe_interval, 0, s.video_layers };
  };
  out.caps_known = [self] {
    rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self] { process_waiting (self); });
  };
  out.removing = [self] (const std::shared_ptr<rtc::Track> &track) {
    rtc::run_on_worker_sync (GST_RTC_SIGNAL_BIN (self),
                             [self, track] { end_calls_of_track (self, track); });
  };
  self->priv->out
      = std::make_unique<rtc::Outgoing> (GST_ELEMENT (self), rtc_call_bin_debug, std::move (out));

  rtc::Incoming::Callbacks in;
  in.find = [self] (const std::string &sid) { return find_incoming (self, sid); };
  in.announced
      = [self] (const std::string &sid, const std::string &pid,
                const std::vector<std::string> &pads) { call_announced (self, sid, pid, pads); };
  self->priv->in = std::make_unique<rtc::Incoming> (
      GST_RTC_SIGNAL_BIN (self), rtc_call_bin_debug, std::move (in),
      rtc::Incoming::PadNames{ "video_src_%u", "audio_src_%u", true });
}

static void
finalize (GObject *object)
{
  auto *self = GST_RTC_CALL_BIN (object);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_call_bin_parent_class)->finalize (object);
}

static void
gst_rtc_call_bin_class_init (GstRtcCallBinClass *klass)
{
  auto *gobject_class = G_OBJECT_CLASS (klass);
  auto *element_class = GST_ELEMENT_CLASS (klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = change_state;
  element_class->request_new_pad = request_new_pad;
  element_class->release_pad = release_pad;
  element_class->send_event = send_event;
  GST_RTC_SIGNAL_BIN_CLASS (klass)->hooks = &call_hooks;
  rtc::register_peer_tag ();

  const auto rw_ready
      = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto rw_playing
      = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (
      gobject_class, PROP_VIDEO_CODECS,
      g_param_spec_string (
          "video-codecs", "Video codecs",
          "Video codecs for the call, most preferred first (vp8, h264, vp9): offered for raw "
          "input and accepted from the peer",
          DEFAULT_CALL_VIDEO_CODECS, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_CODECS,
      g_param_spec_string ("audio-codecs", "Audio codecs",
                           "Audio codecs for the call, most preferred first (opus, pcmu, pcma)",
                           DEFAULT_CALL_AUDIO_CODECS, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_BITRATE,
      g_param_spec_uint ("video-bitrate", "Video bitrate",
                         "Target bitrate of encoded video in kbit/s (raw input only; changeable "
                         "while playing)",
                         1, 100000, DEFAULT_CALL_VIDEO_BITRATE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_KEYFRAME_INTERVAL,
      g_param_spec_uint ("keyframe-interval", "Keyframe interval",
                         "Maximum frames between keyframes of encoded video (0 = only when the "
                         "peer asks)",
                         0, G_MAXINT, DEFAULT_CALL_KEYFRAME_INTERVAL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_VIDEO_LAYERS,
                                   rtc::video_layers_param_spec (rw_ready));
  g_object_class_install_property (gobject_class, PROP_DIRECT_SEND,
                                   rtc::direct_send_param_spec (rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_CALL,
      g_param_spec_string (
          "call", "Call",
          "The producer to call on the signalling server (its peer id, or \"first\"), with "
          "serve=false and signaller::uri=...; unset: wait for calls (the /call page, or another "
          "pipeline's call). Set it before signaller::uri on a gst-launch line",
          nullptr, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_DATA_CHANNEL,
      g_param_spec_boolean (
          "data-channel", "Data channel",
          "Open an ordered, reliable data channel labelled \"rtckit\" in the call when the "
          "element offers (channels the peer opens are accepted anyway): see the send-message "
          "and send-data action signals and the message and data signals",
          DEFAULT_CALL_DATA_CHANNEL, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_PEER,
      g_param_spec_string ("peer", "Peer", "The peer id of the remote party of the call now",
                           nullptr, ro));

  gst_element_class_add_static_pad_template (element_class, &video_sink_template);
  gst_element_class_add_static_pad_template (element_class, &audio_sink_template);
  gst_element_class_add_static_pad_template_with_gtype (element_class, &video_src_template,
                                                        GST_TYPE_RTC_INGEST_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class, &audio_src_template,
                                                        GST_TYPE_RTC_INGEST_PAD);
  gst_element_class_set_static_metadata (
      element_class, "WebRTC call bin", "Source/Sink/Network/WebRTC",
      "A two-way call with one web browser or pipeline at a time: sends the request pads' media, "
      "gives what the peer sends as still-encoded pads, with a data channel and a call page",
      "rtckit developers");
}
