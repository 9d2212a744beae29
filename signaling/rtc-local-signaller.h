/* RtcLocalSignaller: RtcSignaller between elements of one process, by name (local://NAME).
 *
 * No server and no socket: the signalling messages go from one element's signaller to the
 * other's in memory; the media still goes over real peer connections (webrtcbin ICE, on
 * loopback when the elements say ice-local-addresses=127.0.0.1). The way to write gst-check
 * tests of pipelines that use rtckit:
 *
 *   rtcbroadcastsink serve=false signaller::uri=local://cam   (a producer)
 *   rtcingestsrc serve=false signaller::uri=local://cam       (a consumer)
 *
 * Every consumer of a name gets a session with every producer of that name, from whichever
 * starts second: the consumer receives session-requested (session id, producer id, NULL), the
 * producer session-requested (session id, consumer id, NULL) and offers. A signaller that stops
 * ends its sessions (the other side gets session-ended).
 *
 * Threading: its own thread and GMainContext, like the other signallers; methods are
 * thread-safe and queued; signals come from that thread.
 */
#pragma once

#include "rtc-signaller.h"

G_BEGIN_DECLS

#define RTC_TYPE_LOCAL_SIGNALLER (rtc_local_signaller_get_type ())
G_DECLARE_FINAL_TYPE (RtcLocalSignaller, rtc_local_signaller, RTC, LOCAL_SIGNALLER, GObject)

/* Properties:
 *  "uri"      gchar*  local://NAME (NAME: letters, digits, '-', '_', '.'), default local://default
 *  "role"     RtcSignallerRole  producer (default) or consumer
 *  "peer-id"  gchar*  read-only: our id while started, NULL otherwise
 */

G_END_DECLS
