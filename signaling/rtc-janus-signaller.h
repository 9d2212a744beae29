/* RtcJanusSignaller: RtcSignaller as a publisher in a Janus VideoRoom, over Janus's HTTP API;
 * producer role only: the element publishes one stream that Janus forwards to many subscribers.
 *
 * `uri` is janus+http://HOST:PORT/PATH or janus+https://... (PATH is Janus's base_path, usually
 * /janus); the requests go to the http(s) URL without the "janus+" prefix.
 *
 * One session per start():
 *  - start() only checks the URI, starts the thread and, from it, emits
 *    session-requested (<random UUID>, "janus", NULL): the element creates its offer.
 *  - send_sdp ("offer"): create a Janus session, attach janus.plugin.videoroom, when
 *    `create-room` is set create the room unless it exists (videocodec and audiocodec from the
 *    offer's codecs, `secret`, `pin`), join it as a publisher with `display` (and `pin`), then
 *    `publish` with the offer as JSEP. The answer arrives on the long poll and is emitted as
 *    "sdp" (session, "answer", ...). The session is kept alive with a keepalive every
 *    `keepalive-interval` seconds (Janus drops sessions idle for 60 s) besides the long poll.
 *  - local candidates are trickled ({"janus":"trickle"}), the end of candidates as
 *    {"completed":true}; those that come before the publish request wait for it. Candidates
 *    Janus trickles are emitted as "ice".
 *  - Janus hanging up the PeerConnection (hangup, or the handle detached) ends the session
 *    (session-ended).
 *  - end_session() and stop() send `leave` and destroy the Janus session (stop() waits for it at
 *    most `timeout`).
 *  - Errors: an unreachable Janus (transport error) or an error reply (Janus's own, e.g. 403
 *    unauthorized, or the VideoRoom's, e.g. 426 no such room) anywhere from create to publish is
 *    retried `retries` times, 1 s apart, from a new Janus session; then the "error" signal names
 *    the URI and Janus's reason. Losing the Janus session later (the long poll or a keepalive
 *    fails) is an error too.
 *
 * Every request carries `auth-token` as "token" and `api-secret` as "apisecret" when set.
 *
 * Threading: its own thread and GMainContext (like RtcWhipSignaller); methods are thread-safe and
 * queued to that thread in call order; signals come from that thread.
 */
#pragma once

#include "rtc-signaller.h"

G_BEGIN_DECLS

#define RTC_TYPE_JANUS_SIGNALLER (rtc_janus_signaller_get_type ())
G_DECLARE_FINAL_TYPE (RtcJanusSignaller, rtc_janus_signaller, RTC, JANUS_SIGNALLER, GObject)

/* Properties:
 *  "uri"                gchar*   janus+http(s)://HOST:PORT/PATH, default NULL; read at start
 *  "room"               guint64  VideoRoom room id, default 1234
 *  "display"            gchar*   the publisher's display name, default "rtckit"
 *  "pin"                gchar*   room PIN (join, and create), default NULL
 *  "secret"             gchar*   room secret given when creating the room, default NULL
 *  "create-room"        gboolean create the room when it does not exist, default FALSE
 *  "auth-token"         gchar*   Janus API token ("token"), default NULL
 *  "api-secret"         gchar*   Janus API secret ("apisecret"), default NULL
 *  "keepalive-interval" guint    seconds between keepalives, 1..59, default 25
 *  "retries"            guint    further attempts after a failed one, 1 s apart, default 0
 *  "timeout"            guint    ms one request may take (not the long poll), default 10000
 *  "publisher-id"       guint64  read-only: our id in the room once joined, 0 before
 */

/* The http(s):// URL of a janus+http(s):// URI, or NULL when @uri is not one. For the tests. */
gchar *rtc_janus_api_url (const gchar *uri);

/* The room's videocodec or audiocodec list ("h264,vp8") from the codecs of an SDP's video or
 * audio m-lines, in order, Janus's names only; "" when none. For the tests. */
gchar *rtc_janus_sdp_codecs (const gchar *sdp, const gchar *media);

G_END_DECLS
