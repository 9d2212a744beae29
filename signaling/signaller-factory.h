/* Which signaller speaks to what: the one place that names the concrete signaller kinds, so the
 * elements only know RtcSignaller.
 *
 *   (serve=true)            the embedded server (RtcEmbeddedSignaller): pages, /ws, WHIP/WHEP
 *   ws:// wss://            a client of a signalling server of our protocol (RtcWsSignaller)
 *   http:// https://        WHIP (producer) or WHEP (consumer) client (RtcWhipSignaller)
 *   janus+http(s)://        a Janus VideoRoom publisher (RtcJanusSignaller), producer only
 *   local://NAME            elements of this process with the same NAME (RtcLocalSignaller)
 */
#pragma once

#include "rtc-signaller.h"

G_BEGIN_DECLS

/* The signaller kind for @uri in @role, or 0 when none takes it. */
GType rtc_signaller_type_for_uri (const gchar *uri, RtcSignallerRole role);

/* A new signaller that serves pages and signalling itself (the embedded server). */
GObject *rtc_signaller_new_server (RtcSignallerRole role);

/* A new client of a remote signalling server of our protocol: the default until a URI picks
 * another kind. */
GObject *rtc_signaller_new_client (RtcSignallerRole role);

G_END_DECLS
