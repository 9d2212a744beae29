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
};

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

static RtcSignallerRole
role_of (GstChildProxy *proxy)
{
  return GST_RTC_SIGNAL_BIN_GET_CLASS (proxy)->hooks->role;
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

static void
set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  auto &sb = rtc::signal_bin (GST_RTC_SIGNAL_BIN (object));
  std::lock_guard lock (sb.settings_lock);
  if (!rtc::set_endpoint_property (sb.settings, sb.signalling, PROP_ENDPOINT, prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto &sb = rtc::signal_bin (GST_RTC_SIGNAL_BIN (object));
  std::lock_guard lock (sb.settings_lock);
  if (rtc::get_endpoint_property (sb.settings, sb.signalling, PROP_ENDPOINT, prop_id, value))
    return;
  if (prop_id == PROP_URL)
    g_value_set_string (value, sb.signalling.url.empty () ? nullptr : sb.signalling.url.c_str ());
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
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
  gst_type_mark_as_plugin_api (GST_TYPE_RTC_SIGNAL_BIN, GstPluginAPIFlags (0));
}
