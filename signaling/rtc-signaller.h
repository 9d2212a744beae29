/* RtcSignaller: the interface between rtckit's elements and any signalling transport.
 *
 * An element (rtcbroadcastsink, rtcingestsrc) owns one signaller. The signaller speaks some
 * protocol (the embedded server, a remote WebSocket server, WHIP, ...) and reports sessions to
 * the element as the signals below; the element answers through the methods.
 *
 * Threading contract:
 *  - every signal is emitted from the signaller's own thread (its GMainContext), never while
 *    the signaller holds a lock; handlers may call any method below;
 *  - every method is thread-safe and non-blocking except start() (which binds/connects
 *    synchronously so that failures surface in the state change) and stop() (which joins).
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define RTC_TYPE_SIGNALLER (rtc_signaller_get_type ())
G_DECLARE_INTERFACE (RtcSignaller, rtc_signaller, RTC, SIGNALLER, GObject)

/**
 * RtcSignallerRole:
 * @RTC_SIGNALLER_ROLE_PRODUCER: the element sends media (rtcbroadcastsink)
 * @RTC_SIGNALLER_ROLE_CONSUMER: the element receives media that remote peers publish (rtcingestsrc)
 */
typedef enum
{
  RTC_SIGNALLER_ROLE_PRODUCER = 0,
  RTC_SIGNALLER_ROLE_CONSUMER = 1,
} RtcSignallerRole;

GType rtc_signaller_role_get_type (void);

/* Returns a newly allocated body of an HTTP page (/stats, /metrics); called on the signaller's
 * thread for each request. */
typedef gchar *(*RtcHttpBodyFunc) (gpointer user_data);
#define RTC_TYPE_SIGNALLER_ROLE (rtc_signaller_role_get_type ())

struct _RtcSignallerInterface
{
  GTypeInterface parent_iface;

  /* Bind or connect; return FALSE with @error set (G_IO_ERROR_ADDRESS_IN_USE for a busy port). */
  gboolean (*start) (RtcSignaller *self, GError **error);
  /* Close every session (no further signals after it returns) and release the transport. */
  void (*stop) (RtcSignaller *self);
  /* Send our local description for @session_id (@type is "offer" or "answer"). */
  void (*send_sdp) (RtcSignaller *self, const gchar *session_id, const gchar *type,
                    const gchar *sdp);
  /* Send a local ICE candidate ("candidate:..." line without "a="). */
  void (*send_ice) (RtcSignaller *self, const gchar *session_id, guint mline_index,
                    const gchar *candidate);
  /* End @session_id from our side; @reason (nullable) is told to the remote peer as an error. */
  void (*end_session) (RtcSignaller *self, const gchar *session_id, const gchar *reason);
  /* Optional. TRUE when a consumer element makes the offer in sessions requested without one
   * (WHEP: the player offers). NULL or FALSE: a producer offers, a consumer waits for the
   * remote peer's offer. */
  gboolean (*consumer_offers) (RtcSignaller *self);
  /* Optional. TRUE when offers must announce their SSRCs (a=ssrc): the other end demultiplexes
   * by SSRC only (WHIP endpoints, Janus VideoRoom). NULL or FALSE: no a=ssrc. */
  gboolean (*announces_ssrc) (RtcSignaller *self);
  /* Optional, for signallers that serve pages: the bodies of /stats and /metrics (NULL funcs:
   * 503), each called with @user_data on the signaller's thread. */
  void (*set_http_bodies) (RtcSignaller *self, RtcHttpBodyFunc stats, RtcHttpBodyFunc metrics,
                           gpointer user_data);

  gpointer padding[5];
};

gboolean rtc_signaller_start (RtcSignaller *self, GError **error);
void rtc_signaller_stop (RtcSignaller *self);
void rtc_signaller_send_sdp (RtcSignaller *self, const gchar *session_id, const gchar *type,
                             const gchar *sdp);
void rtc_signaller_send_ice (RtcSignaller *self, const gchar *session_id, guint mline_index,
                             const gchar *candidate);
void rtc_signaller_end_session (RtcSignaller *self, const gchar *session_id, const gchar *reason);
gboolean rtc_signaller_consumer_offers (RtcSignaller *self);
gboolean rtc_signaller_announces_ssrc (RtcSignaller *self);
void rtc_signaller_set_http_bodies (RtcSignaller *self, RtcHttpBodyFunc stats,
                                    RtcHttpBodyFunc metrics, gpointer user_data);

/* Signals (all G_SIGNAL_RUN_LAST, return void):
 *  "session-requested" (const gchar *session_id, const gchar *peer_id, const gchar *offer_or_null)
 *      a remote peer asks for a session with us; @offer is its SDP offer when it offers first.
 *  "session-ended"     (const gchar *session_id)
 *      the remote side ended the session or vanished (socket closed); free what it held.
 *  "sdp"               (const gchar *session_id, const gchar *type, const gchar *sdp)
 *      the remote description ("offer" or "answer").
 *  "ice"               (const gchar *session_id, guint mline_index, const gchar *candidate)
 *      a remote ICE candidate; an empty @candidate means end of candidates.
 *  "error"             (const gchar *message)
 *      the signalling transport failed for good; the element turns it into an element error.
 *
 * Helpers for implementations to emit them: */
void rtc_signaller_emit_session_requested (RtcSignaller *self, const gchar *session_id,
                                           const gchar *peer_id, const gchar *offer);
void rtc_signaller_emit_session_ended (RtcSignaller *self, const gchar *session_id);
void rtc_signaller_emit_sdp (RtcSignaller *self, const gchar *session_id, const gchar *type,
                             const gchar *sdp);
void rtc_signaller_emit_ice (RtcSignaller *self, const gchar *session_id, guint mline_index,
                             const gchar *candidate);
void rtc_signaller_emit_error (RtcSignaller *self, const gchar *message);

G_END_DECLS
