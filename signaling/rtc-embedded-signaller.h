/* RtcEmbeddedSignaller: the built-in HTTP + WebSocket signalling server of rtckit's elements.
 *
 * One instance serves one element: it runs its own thread and GMainContext, binds `address`,
 * serves the web pages, speaks the signalling protocol on /ws (see docs/protocol.md), registers
 * the owning element as one local peer (producer or consumer, property `role`) and implements
 * RtcSignaller for it. WHIP clients publish on /whip and WHEP players watch on /whep; each of
 * their sessions is one more remote peer. /stats and /metrics are answered by the callbacks the
 * element installs.
 */
#pragma once

#include "rtc-signaller.h"

G_BEGIN_DECLS

#define RTC_TYPE_EMBEDDED_SIGNALLER (rtc_embedded_signaller_get_type ())
G_DECLARE_FINAL_TYPE (RtcEmbeddedSignaller, rtc_embedded_signaller, RTC, EMBEDDED_SIGNALLER,
                      GObject)

/* Properties:
 *  "address"      gchar*  "HOST:PORT" to bind, default "127.0.0.1:8080"; "[::1]:8080" for IPv6;
 *                         port 0 picks a free port (read it back from "port" after start).
 *  "port"         guint   read-only: the port actually bound (0 before start).
 *  "role"         RtcSignallerRole  the local peer's role, default producer.
 *  "meta"         gchar*  JSON object text advertised as the local peer's meta, default NULL.
 *  "peer-id"      gchar*  read-only: the local peer's id (UUIDv4), set at start.
 *  "max-message-size" guint  largest accepted WebSocket message in bytes, default 65536.
 *  "whip-whep"    gboolean  serve WHIP on /whip (role consumer) and WHEP on /whep (role
 *                         producer), default TRUE (docs/whip-whep.md).
 *  "auth-token"   gchar*  bearer token every remote peer must present (/whip, /whep, /ws),
 *                         default NULL: none.
 *  "cors-allow-origin" gchar*  Access-Control-Allow-Origin for /whip and /whep: "*", an origin
 *                         or a comma-separated list, "" for no CORS headers; default "*".
 *  "whip-gather-timeout" guint  ms a WHIP/WHEP answer waits for the element's end of
 *                         candidates, default 1000.
 *  "whip-ice-servers" gchar*  comma-separated stun://HOST:PORT, turn(s)://USER:PASS@HOST:PORT
 *                         sent to WHIP/WHEP clients as Link rel="ice-server", default "".
 */

void rtc_embedded_signaller_set_stats_func (RtcEmbeddedSignaller *self, RtcHttpBodyFunc func,
                                            gpointer user_data, GDestroyNotify notify);
void rtc_embedded_signaller_set_metrics_func (RtcEmbeddedSignaller *self, RtcHttpBodyFunc func,
                                              gpointer user_data, GDestroyNotify notify);

G_END_DECLS
