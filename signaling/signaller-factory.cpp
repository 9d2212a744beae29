/* The signaller kinds by URI: see signaller-factory.h. */
#include "signaller-factory.h"

#include "rtc-embedded-signaller.h"
#include "rtc-janus-signaller.h"
#include "rtc-local-signaller.h"
#include "rtc-whip-signaller.h"
#include "rtc-ws-signaller.h"

#include <cstring>
#include <string>

static gboolean
has_scheme (const gchar *uri, const gchar *scheme)
{
  return g_ascii_strncasecmp (uri, scheme, strlen (scheme)) == 0;
}

namespace
{

/* The remote kinds: their names, the URI schemes that pick them, and whom they serve. */
struct Kind
{
  const gchar *names[2];
  const gchar *schemes[2];
  GType (*type) ();
  gboolean consumer; /* can receive (rtcingestsrc), not only publish */
};

const Kind kKinds[] = {
  { { "ws", "websocket" }, { "ws://", "wss://" }, rtc_ws_signaller_get_type, TRUE },
  /* WHIP for a producer, WHEP for a consumer */
  { { "whip", "whep" }, { "http://", "https://" }, rtc_whip_signaller_get_type, TRUE },
  { { "janus", nullptr },
    { "janus+http://", "janus+https://" },
    rtc_janus_signaller_get_type,
    FALSE },
  { { "local", nullptr }, { "local://", nullptr }, rtc_local_signaller_get_type, TRUE },
};

gboolean
serves (const Kind &k, RtcSignallerRole role)
{
  return role == RTC_SIGNALLER_ROLE_PRODUCER || k.consumer;
}

} // namespace

GType
rtc_signaller_type_for_uri (const gchar *uri, RtcSignallerRole role)
{
  if (!uri)
    return 0;
  for (const Kind &k : kKinds)
    for (const gchar *scheme : k.schemes)
      if (scheme && has_scheme (uri, scheme))
        return serves (k, role) ? k.type () : 0;
  return 0;
}

GType
rtc_signaller_type_for_name (const gchar *name)
{
  if (!name)
    return 0;
  for (const Kind &k : kKinds)
    for (const gchar *n : k.names)
      if (n && g_ascii_strcasecmp (name, n) == 0)
        return k.type ();
  return 0;
}

gboolean
rtc_signaller_type_serves (GType type, RtcSignallerRole role)
{
  for (const Kind &k : kKinds)
    if (k.type () == type)
      return serves (k, role);
  return TRUE; /* not one of ours: the application knows */
}

const gchar *
rtc_signaller_kind_names (void)
{
  static const std::string names = [] {
    std::string out;
    for (const Kind &k : kKinds)
      {
        out += (out.empty () ? "" : ", ") + std::string (k.names[0]);
        if (k.names[1])
          out += std::string (" (or ") + k.names[1] + ")";
      }
    return out;
  }();
  return names.c_str ();
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
