/* RtcWsSignaller: RtcSignaller as a WebSocket client of rtckit's signalling protocol (the one of
 * gst-plugins-rs' gst-webrtc-signalling-server 1.1, docs/protocol.md), for elements that use an
 * external server (rtckit-signalling-server, or gst-webrtc-signalling-server) with serve=false.
 *
 * Roles:
 *  - producer: registers as producer (with `meta`) and waits; every startSession from a consumer
 *    emits session-requested (session id, consumer id, its offer or NULL).
 *  - consumer: registers as consumer + listener, then asks `producer-id` for a session (or, when
 *    it is empty, the first producer listed or the first that appears); sessionStarted emits
 *    session-requested (session id, producer id, NULL) and the producer's offer arrives as "sdp".
 *    One session at a time: when it ends, the consumer looks for the producer again.
 *
 * Outages (docs/signalling-server.md has the full rules):
 *  - start() connects synchronously (at most `timeout` ms) and fails with an error naming the
 *    URI when the server is unreachable or refuses the token: no background retry then.
 *  - After a successful start, a lost connection is retried forever with backoff
 *    (`reconnect-interval` doubling up to `reconnect-max-interval`); each new connection gets a
 *    new peer id and registers again with the same role and meta.
 *  - Existing sessions are NOT ended by an outage: session-ended is emitted only for an
 *    endSession from the server. Peer connections keep running; messages for sessions of an
 *    earlier connection are dropped (the server forgot those ids), and end_session() on them
 *    only forgets them locally.
 *  - A 401/403 while reconnecting is final: the "error" signal is emitted and retries stop.
 *
 * Threading: its own thread and GMainContext, like RtcEmbeddedSignaller; methods are
 * thread-safe and queued to that thread in call order; signals come from that thread.
 */
#pragma once

#include "rtc-signaller.h"

G_BEGIN_DECLS

#define RTC_TYPE_WS_SIGNALLER (rtc_ws_signaller_get_type ())
G_DECLARE_FINAL_TYPE (RtcWsSignaller, rtc_ws_signaller, RTC, WS_SIGNALLER, GObject)

/* Properties:
 *  "uri"                    gchar*  ws://HOST:PORT/ws or wss://..., default ws://127.0.0.1:8443/ws
 *  "auth-token"             gchar*  bearer token sent as "Authorization: Bearer <t>", default NULL
 *  "role"                   RtcSignallerRole  producer (default) or consumer
 *  "meta"                   gchar*  JSON object advertised with setPeerStatus, default NULL
 *  "producer-id"            gchar*  consumer role: the producer to consume; NULL = the first one
 *  "peer-id"                gchar*  read-only: our id on the current connection, NULL when down
 *  "connected"              gboolean read-only: registered with the server right now
 *  "timeout"                guint   ms for one connection attempt (and for start()), default 5000
 *  "reconnect-interval"     guint   ms before the first retry after a loss, default 500
 *  "reconnect-max-interval" guint   ms the doubling backoff stops at, default 2000
 *  "ca-file"                gchar*  PEM with the CA(s) to trust for wss:// instead of the system
 *                                   store (self-signed servers), default NULL
 */

G_END_DECLS
