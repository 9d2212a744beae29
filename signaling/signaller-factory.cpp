/* The signaller kinds by URI: see signaller-factory.h. */
#include "signaller-factory.h"

#include "rtc-embedded-signaller.h"
#include "rtc-janus-signaller.h"
#include "rtc-local-signaller.h"
#include "rtc-whip-signaller.h"
#include "rtc-ws-signaller.h"

#include <cstring>

static gboolean
has_scheme (const gchar *uri, const gchar *scheme)
{
  return g_ascii_strncasecmp (uri, scheme, strlen (scheme)) == 0;
}

GType
rtc_signaller_type_for_uri (const gchar *uri, RtcSignallerRole role)
{
  if (!uri)
    return 0;
  if (has_scheme (uri, "http://") || has_scheme (uri, "https://"))
    return RTC_TYPE_WHIP_SIGNALLER; /* WHIP for a producer, WHEP for a consumer */
  if ((has_scheme (uri, "janus+http://") || has_scheme (uri, "janus+https://"))
      && role == RTC_SIGNALLER_ROLE_PRODUCER)
    return RTC_TYPE_JANUS_SIGNALLER;
  if (has_scheme (uri, "ws://") || has_scheme (uri, "wss://"))
    return RTC_TYPE_WS_SIGNALLER;
  if (has_scheme (uri, "local://"))
    return RTC_TYPE_LOCAL_SIGNALLER;
  return 0;
}

GObject *
rtc_signaller_new_server (RtcSignallerRole role)
{
  return G_OBJECT (g_object_new (RTC_TYPE_EMBEDDED_SIGNALLER, "role", role, nullptr));
}

GObject *
rtc_signaller_new_client (RtcSignallerRole role)
{
  return G_OBJECT (g_object_new (RTC_TYPE_WS_SIGNALLER, "role", role, nullptr));
}
