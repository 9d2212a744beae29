/* RtcSignaller: the interface type, its signals, method wrappers and emit helpers.
 * See rtc-signaller.h for the threading contract. */
#include "rtc-signaller.h"

G_DEFINE_INTERFACE (RtcSignaller, rtc_signaller, G_TYPE_OBJECT)

enum
{
  SIGNAL_SESSION_REQUESTED,
  SIGNAL_SESSION_ENDED,
  SIGNAL_SDP,
  SIGNAL_ICE,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GType
rtc_signaller_role_get_type (void)
{
  static gsize type_id = 0;
  static const GEnumValue values[] = {
    { RTC_SIGNALLER_ROLE_PRODUCER, "RTC_SIGNALLER_ROLE_PRODUCER", "producer" },
    { RTC_SIGNALLER_ROLE_CONSUMER, "RTC_SIGNALLER_ROLE_CONSUMER", "consumer" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type_id))
    {
      GType t = g_enum_register_static ("RtcSignallerRole", values);
      g_once_init_leave (&type_id, t);
    }
  return type_id;
}

static void
rtc_signaller_default_init (RtcSignallerInterface *iface)
{
  GType itype = G_TYPE_FROM_INTERFACE (iface);

  /* No G_SIGNAL_TYPE_STATIC_SCOPE: emitters pass temporaries, so the strings are copied. */
  signals[SIGNAL_SESSION_REQUESTED]
      = g_signal_new ("session-requested", itype, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_SESSION_ENDED] = g_signal_new ("session-ended", itype, G_SIGNAL_RUN_LAST, 0,
                                                nullptr, nullptr, nullptr, G_TYPE_NONE, 1,
                                                G_TYPE_STRING);
  signals[SIGNAL_SDP] = g_signal_new ("sdp", itype, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                                      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_ICE] = g_signal_new ("ice", itype, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                                      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_ERROR] = g_signal_new ("error", itype, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                                        nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
}

gboolean
rtc_signaller_start (RtcSignaller *self, GError **error)
{
  g_return_val_if_fail (RTC_IS_SIGNALLER (self), FALSE);
  g_return_val_if_fail (error == nullptr || *error == nullptr, FALSE);
  RtcSignallerInterface *iface = RTC_SIGNALLER_GET_IFACE (self);
  g_return_val_if_fail (iface->start != nullptr, FALSE);
  return iface->start (self, error);
}

void
rtc_signaller_stop (RtcSignaller *self)
{
  g_return_if_fail (RTC_IS_SIGNALLER (self));
  RtcSignallerInterface *iface = RTC_SIGNALLER_GET_IFACE (self);
  if (iface->stop)
    iface->stop (self);
}

gboolean
rtc_signaller_consumer_offers (RtcSignaller *self)
{
  g_return_val_if_fail (RTC_IS_SIGNALLER (self), FALSE);
  RtcSignallerInterface *iface = RTC_SIGNALLER_GET_IFACE (self);
  return iface->consumer_offers ? iface->consumer_offers (self) : FALSE;
}

gboolean
rtc_signaller_announces_ssrc (RtcSignaller *self)
{
  g_return_val_if_fail (RTC_IS_SIGNALLER (self), FALSE);
  RtcSignallerInterface *iface = RTC_SIGNALLER_GET_IFACE (self);
  return iface->announces_ssrc ? iface->announces_ssrc (self) : FALSE;
}

void
rtc_signaller_set_http_bodies (RtcSignaller *self, RtcHttpBodyFunc stats, RtcHttpBodyFunc metrics,
                               gpointer user_data)
{
  g_return_if_fail (RTC_IS_SIGNALLER (self));
  RtcSignallerInterface *iface = RTC_SIGNALLER_GET_IFACE (self);
  if (iface->set_http_bodies)
    iface->set_http_bodies (self, stats, metrics, user_data);
}

void
rtc_signaller_send_sdp (RtcSignaller *self, const gchar *session_id, const gchar *type,
                        const gchar *sdp)
{
  g_return_if_fail (RTC_IS_SIGNALLER (self));
  g_return_if_fail (session_id != nullptr && type != nullptr && sdp != nullptr);
  RtcSignallerInterface *iface = RTC_SIGNALLER_GET_IFACE (self);
  g_return_if_fail (iface->send_sdp != nullptr);
  iface->send_sdp (self, session_id, type, sdp);
}

void
rtc_signaller_send_ice (RtcSignaller *self, const gchar *session_id, guint mline_index,
                        const gchar *candidate)
{
  g_return_if_fail (RTC_IS_SIGNALLER (self));
  g_return_if_fail (session_id != nullptr && candidate != nullptr);
  RtcSignallerInterface *iface = RTC_SIGNALLER_GET_IFACE (self);
  g_return_if_fail (iface->send_ice != nullptr);
  iface->send_ice (self, session_id, mline_index, candidate);
}

void
rtc_signaller_end_session (RtcSignaller *self, const gchar *session_id, const gchar *reason)
{
  g_return_if_fail (RTC_IS_SIGNALLER (self));
  g_return_if_fail (session_id != nullptr);
  RtcSignallerInterface *iface = RTC_SIGNALLER_GET_IFACE (self);
  g_return_if_fail (iface->end_session != nullptr);
  iface->end_session (self, session_id, reason);
}

void
rtc_signaller_emit_session_requested (RtcSignaller *self, const gchar *session_id,
                                      const gchar *peer_id, const gchar *offer)
{
  g_return_if_fail (RTC_IS_SIGNALLER (self));
  g_signal_emit (self, signals[SIGNAL_SESSION_REQUESTED], 0, session_id, peer_id, offer);
}

void
rtc_signaller_emit_session_ended (RtcSignaller *self, const gchar *session_id)
{
  g_return_if_fail (RTC_IS_SIGNALLER (self));
  g_signal_emit (self, signals[SIGNAL_SESSION_ENDED], 0, session_id);
}

void
rtc_signaller_emit_sdp (RtcSignaller *self, const gchar *session_id, const gchar *type,
                        const gchar *sdp)
{
  g_return_if_fail (RTC_IS_SIGNALLER (self));
  g_signal_emit (self, signals[SIGNAL_SDP], 0, session_id, type, sdp);
}

void
rtc_signaller_emit_ice (RtcSignaller *self, const gchar *session_id, guint mline_index,
                        const gchar *candidate)
{
  g_return_if_fail (RTC_IS_SIGNALLER (self));
  g_signal_emit (self, signals[SIGNAL_ICE], 0, session_id, mline_index, candidate);
}

void
rtc_signaller_emit_error (RtcSignaller *self, const gchar *message)
{
  g_return_if_fail (RTC_IS_SIGNALLER (self));
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, message);
}
