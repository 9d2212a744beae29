/* Which signaller speaks to what: the one place that names the concrete signaller kinds, so the
 * elements only know RtcSignaller.
 *
 *   (serve=true)            the embedded server (RtcEmbeddedSignaller): pages, /ws, WHIP/WHEP
 *   ws:// wss://            a client of a signalling server of our protocol (RtcWsSignaller)
 *   http:// https://        WHIP (producer) or WHEP (consumer) client (RtcWhipSignaller)
 *   janus+http(s)://        a Janus VideoRoom publisher (RtcJanusSignaller), producer only
 *   local://NAME            elements of this process with the same NAME (RtcLocalSignaller)
 *
 * A kind can also be named (signaller=whip): see rtc_signaller_type_for_name().
 */
#pragma once

#include "rtc-signaller.h"

G_BEGIN_DECLS

/* The signaller kind for @uri in @role, or 0 when none takes it. */
GType rtc_signaller_type_for_uri (const gchar *uri, RtcSignallerRole role);

/* The remote signaller kind named @name (`signaller=whip` on a gst-launch line): "ws" or
 * "websocket", "whip" or "whep" (one client: WHIP for a producer, WHEP for a consumer),
 * "janus", "local"; case-insensitive. 0 for any other name. */
GType rtc_signaller_type_for_name (const gchar *name);
/* Those names, for messages. */
const gchar *rtc_signaller_kind_names (void);

/* Whether a signaller of @type can take @role (a Janus VideoRoom client only publishes); TRUE
 * for a type that is not one of ours. */
gboolean rtc_signaller_type_serves (GType type, RtcSignallerRole role);

/* A new signaller that serves pages and signalling itself (the embedded server). */
GObject *rtc_signaller_new_server (RtcSignallerRole role);

/* A new client of a remote signalling server of our protocol: the default until a URI picks
 * another kind. */
GObject *rtc_signaller_new_client (RtcSignallerRole role);

G_END_DECLS
