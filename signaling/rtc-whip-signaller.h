/* RtcWhipSignaller: RtcSignaller as a WHIP client (RFC 9725) or a WHEP client. rtcbroadcastsink
 * publishes one stream to a WHIP endpoint (simple-whip-server in front of Janus, a CDN ingest,
 * ...); rtcingestsrc plays one stream from a WHEP endpoint. Both are the same HTTP exchange: the
 * element offers (sendonly or recvonly), the server answers; consumer_offers() is TRUE.
 *
 * One session per start():
 *  - start() only checks that `uri` is an http:// or https:// URL (nothing blocking), starts the
 *    thread and, from it, emits session-requested (<random UUID>, "whip", NULL): the element
 *    creates its offer.
 *  - send_sdp ("offer") does not POST at once: WHIP servers that cannot take trickled candidates
 *    (and RFC 9725 clients in general) want the candidates in the offer. The offer is held until
 *    the element signals the end of candidates (an empty candidate) or `gather-timeout` ms have
 *    passed; the candidates gathered by then are written into the offer's m-sections, and the
 *    offer is POSTed (Content-Type: application/sdp, Authorization: Bearer <auth-token>).
 *  - 201 Created with the SDP answer and a Location header: the resource URL (resolved against
 *    `uri`) is kept, `Link: <stun:...>; rel="ice-server"` headers fill `ice-servers`, and the
 *    answer is emitted as "sdp" (session, "answer", ...).
 *  - later local candidates are batched into application/trickle-ice-sdpfrag PATCH requests to
 *    the resource (If-Match with the last ETag); a 405 or 501 stops trickling for the session.
 *  - end_session() and stop() DELETE the resource (stop() waits for the DELETE at most `timeout`).
 *  - Errors: a transport error (connection refused, DNS, TLS, timeout) or an HTTP status other
 *    than 201 on the POST is retried `retries` times, 1 s apart; then the "error" signal names the
 *    URL and the status, and the element posts an element error. A session is never re-published
 *    after its peer connection ended.
 *
 * ICE servers: WHIP hands them out only in the answer to the POST, after the offer was made, so
 * they cannot configure the peer connection that offered. They are exposed as the read-only
 * `ice-servers` (in the element's formats, stun://host:port and turn://user:pass@host:port) for
 * applications that want to configure the next run's stun-server / turn-servers from them.
 *
 * Threading: its own thread and GMainContext (like RtcWsSignaller); methods are thread-safe and
 * queued to that thread in call order; signals come from that thread.
 */
#pragma once

#include "rtc-signaller.h"

G_BEGIN_DECLS

#define RTC_TYPE_WHIP_SIGNALLER (rtc_whip_signaller_get_type ())
G_DECLARE_FINAL_TYPE (RtcWhipSignaller, rtc_whip_signaller, RTC, WHIP_SIGNALLER, GObject)

/* Properties:
 *  "uri"            gchar*  the WHIP endpoint, http(s)://HOST:PORT/PATH, default NULL; read at start
 *  "auth-token"     gchar*  bearer token ("Authorization: Bearer <t>"), default NULL
 *  "retries"        guint   further POST attempts after a failed one, 1 s apart, default 0
 *  "timeout"        guint   ms one HTTP request may take, default 10000
 *  "gather-timeout" guint   ms the offer waits for ICE candidates before the POST, default 1000
 *  "ice-servers"    GStrv   read-only: ICE servers of the last answer's Link headers
 *  "resource-url"   gchar*  read-only: the session's resource (Location), NULL before the answer
 */

/* Parses the value(s) of Link headers (comma-separated, RFC 8288) and returns the ICE servers
 * among them (rel="ice-server") as stun://HOST:PORT or turn(s)://USER:PASS@HOST:PORT[?query]
 * (user and password URI-escaped); NULL-terminated, never NULL. For the tests. */
gchar **rtc_whip_parse_ice_servers (const gchar *link_header);

/* Writes @candidates ("candidate:..." lines for m-line @mlines[i]) into @sdp's m-sections, plus
 * "a=end-of-candidates" in each m-section when @complete. For the tests. */
gchar *rtc_whip_sdp_add_candidates (const gchar *sdp, const guint *mlines,
                                    const gchar *const *candidates, gboolean complete);

G_END_DECLS
