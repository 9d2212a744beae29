/**
 * SECTION:element-rtcsignalbin
 * @title: rtcsignalbin
 *
 * The signalling bin: the abstract base of rtcbroadcastsink, rtcingestsrc and rtccallbin.
 * It holds what they share, so each element only adds its media: the endpoint properties
 * (`address`, `serve`, `signaller`, `stun-server`, `turn-servers`, `ice-local-addresses`,
 * `connect-timeout`), the `signaller` child (`signaller::uri=...` in gst-launch), a worker
 * thread that owns the sessions, one rtcpeerbin per signalling session, connect timeouts and
 * teardown, and the `rtckit-url` message once its page is served.
 *
 * Data channels: with `data-channel=true` every session where the element offers gets an
 * ordered, reliable channel labelled `rtckit`; channels the remote peer opens are accepted
 * whatever the property says. Text from any channel comes as the `message` signal and the
 * `rtckit-message` element message {session-id, label, text} (`gst-launch-1.0 -m` shows it);
 * binary as the `data` signal. The `send-message` and `send-data` action signals send to one
 * session or to all. A peer that floods its channel loses its own messages past 256 waiting
 * (counted), never stalling media or the other sessions.
 */
#include "signal/session.h"

GST_DEBUG_CATEGORY (rtc_signal_bin_debug);
#define GST_CAT_DEFAULT rtc_signal_bin_debug

using rtc::SignalBin;

enum
{
  PROP_0,
  PROP_ENDPOINT, // rtc::install_endpoint_properties: address, serve, signaller, ICE, timeout
  PROP_URL = PROP_ENDPOINT + rtc::kEndpointPropCount,
  PROP_DATA_CHANNEL,
  PROP_MAX_MESSAGE_SIZE,
};

enum
{
  SIGNAL_MESSAGE,
  SIGNAL_DATA,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

typedef struct
{
  SignalBin *state;
} GstRtcSignalBinPrivate;

static void child_proxy_init (gpointer g_iface, gpointer);

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (
    GstRtcSignalBin, gst_rtc_signal_bin, GST_TYPE_BIN,
    G_ADD_PRIVATE (GstRtcSignalBin) G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY, child_proxy_init)
        GST_DEBUG_CATEGORY_INIT (rtc_signal_bin_debug, "rtcsignalbin", 0, "rtckit signalling bin"));

SignalBin &
rtc::signal_bin (GstRtcSignalBin *self)
{
  auto *priv
      = static_cast<GstRtcSignalBinPrivate *> (gst_rtc_signal_bin_get_instance_private (self));
  return *priv->state;
}

rtc::SignalBinSettings
rtc::signal_bin_settings (GstRtcSignalBin *self)
{
  auto &sb = signal_bin (self);
  std::lock_guard lock (sb.settings_lock);
  return sb.settings;
}

void
rtc::post_element_message (GstRtcSignalBin *self, GstStructure *s)
{
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

RtcSignallerRole
rtc::signal_bin_role (GstRtcSignalBin *self)
{
  const auto *hooks = GST_RTC_SIGNAL_BIN_GET_CLASS (self)->hooks;
  return hooks->role_now ? hooks->role_now (self) : hooks->role;
}

static RtcSignallerRole
role_of (GstChildProxy *proxy)
{
  return rtc::signal_bin_role (GST_RTC_SIGNAL_BIN (proxy));
}

// `signaller` before the bin's children, so that gst-launch can say signaller::uri=...
static void
child_proxy_init (gpointer g_iface, gpointer)
{
  auto *iface = static_cast<GstChildProxyInterface *> (g_iface);
  iface->get_child_by_name = [] (GstChildProxy *proxy, const gchar *name) {
    return rtc::signaller_child_by_name (
        proxy, name, rtc::signal_bin (GST_RTC_SIGNAL_BIN (proxy)).signalling, role_of (proxy));
  };
  iface->get_child_by_index = [] (GstChildProxy *proxy, guint index) {
    return rtc::signaller_child_by_index (
        proxy, index, rtc::signal_bin (GST_RTC_SIGNAL_BIN (proxy)).signalling, role_of (proxy));
  };
  iface->get_children_count = rtc::signaller_children_count;
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_SIGNAL_BIN (element);
  auto &sb = rtc::signal_bin (self);
  switch (transition)
    {
    case GST_STATE_CHANGE_NULL_TO_READY:
      sb.worker = std::make_unique<rtc::Worker> (GST_OBJECT_NAME (self));
      if (!rtc::start_sessions (self))
        {
          sb.worker.reset ();
          return GST_STATE_CHANGE_FAILURE;
        }
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      rtc::stop_sessions (self, "the pipeline stopped");
      break;
    default:
      break;
    }
  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS (gst_rtc_signal_bin_parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    {
      sb.signalling.stop ();
      rtc::stop_sessions (self, "the pipeline stopped");
      sb.worker.reset ();
    }
  return ret;
}

gboolean
gst_rtc_signal_bin_send_message (GstRtcSignalBin *self, const gchar *session_id, const gchar *text)
{
  return rtc::send_message (self, session_id, text);
}

gboolean
gst_rtc_signal_bin_send_data (GstRtcSignalBin *self, const gchar *session_id, GBytes *data)
{
  return rtc::send_data (self, session_id, data);
}

static void
set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  auto &sb = rtc::signal_bin (GST_RTC_SIGNAL_BIN (object));
  std::lock_guard lock (sb.settings_lock);
  if (rtc::set_endpoint_property (sb.settings, sb.signalling, PROP_ENDPOINT, prop_id, value))
    return;
  switch (prop_id)
    {
    case PROP_DATA_CHANNEL:
      sb.settings.data_channel = g_value_get_boolean (value);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      sb.settings.max_message_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto &sb = rtc::signal_bin (GST_RTC_SIGNAL_BIN (object));
  std::lock_guard lock (sb.settings_lock);
  if (rtc::get_endpoint_property (sb.settings, sb.signalling, PROP_ENDPOINT, prop_id, value))
    return;
  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, sb.signalling.url.empty () ? nullptr : sb.signalling.url.c_str ());
      break;
    case PROP_DATA_CHANNEL:
      g_value_set_boolean (value, sb.settings.data_channel);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint (value, sb.settings.max_message_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_rtc_signal_bin_init (GstRtcSignalBin *self)
{
  auto *priv
      = static_cast<GstRtcSignalBinPrivate *> (gst_rtc_signal_bin_get_instance_private (self));
  priv->state = new SignalBin (rtc_signal_bin_debug);
}

static void
finalize (GObject *object)
{
  auto *priv = static_cast<GstRtcSignalBinPrivate *> (
      gst_rtc_signal_bin_get_instance_private (GST_RTC_SIGNAL_BIN (object)));
  delete priv->state;
  G_OBJECT_CLASS (gst_rtc_signal_bin_parent_class)->finalize (object);
}

static void
gst_rtc_signal_bin_class_init (GstRtcSignalBinClass *klass)
{
  auto *gobject_class = G_OBJECT_CLASS (klass);
  auto *element_class = GST_ELEMENT_CLASS (klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = change_state;

  rtc::install_endpoint_properties (
      gobject_class, PROP_ENDPOINT,
      { "remote peer", "; wss://, http(s):// for WHIP/WHEP, janus+http(s)://HOST:PORT/janus for "
                       "a Janus VideoRoom, local://NAME for elements of this process" });
  g_object_class_install_property (
      gobject_class, PROP_URL,
      g_param_spec_string ("url", "URL",
                           "The address of the element's page on the embedded server, once "
                           "started",
                           nullptr, GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  const auto rw_playing
      = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property (
      gobject_class, PROP_DATA_CHANNEL,
      g_param_spec_boolean (
          "data-channel", "Data channel",
          "Open an ordered, reliable data channel labelled \"rtckit\" in every new session the "
          "element offers (channels the remote peer opens are accepted anyway): see the "
          "send-message and send-data action signals and the message and data signals",
          RTC_DEFAULT_DATA_CHANNEL, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_MAX_MESSAGE_SIZE,
      g_param_spec_uint ("max-message-size", "Maximum message size",
                         "Largest data channel message in bytes, both ways, for new sessions; "
                         "larger ones are refused with a warning (0 = no limit)",
                         0, G_MAXUINT, RTC_DEFAULT_MAX_MESSAGE_SIZE, rw_playing));

  /**
   * GstRtcSignalBin::message:
   * @session_id: the session whose remote peer sent it
   * @label: the data channel's label
   * @text: the message
   *
   * A text message from a remote peer, emitted on the element's worker thread (also posted as
   * the `rtckit-message` element message).
   */
  signals[SIGNAL_MESSAGE]
      = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                      nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcSignalBin::data:
   * @session_id: the session whose remote peer sent it
   * @label: the data channel's label
   * @data: the message
   *
   * A binary message from a remote peer, emitted on the element's worker thread.
   */
  signals[SIGNAL_DATA]
      = g_signal_new ("data", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                      nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES);
  const auto action = GSignalFlags (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION);
  /**
   * GstRtcSignalBin::send-message:
   * @session_id: (nullable): the session to send to, NULL for every session
   * @text: the message
   *
   * Sends @text on the session's data channel ("rtckit" first); queued until it opens.
   * Returns: FALSE, with a warning, for an unknown session, a session without a data channel or
   * a message over max-message-size.
   */
  g_signal_new_class_handler ("send-message", G_TYPE_FROM_CLASS (klass), action,
                              G_CALLBACK (gst_rtc_signal_bin_send_message), nullptr, nullptr,
                              nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcSignalBin::send-data:
   * @session_id: (nullable): the session to send to, NULL for every session
   * @data: the message
   *
   * Sends @data as a binary message, as send-message does text.
   */
  g_signal_new_class_handler ("send-data", G_TYPE_FROM_CLASS (klass), action,
                              G_CALLBACK (gst_rtc_signal_bin_send_data), nullptr, nullptr, nullptr,
                              G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_BYTES);

  gst_type_mark_as_plugin_api (GST_TYPE_RTC_SIGNAL_BIN, GstPluginAPIFlags (0));
}
