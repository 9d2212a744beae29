/* RtcWsSignaller: see rtc-ws-signaller.h.
 *
 * Threads: start()/stop() and the methods run on element threads; the SoupSession, the
 * connection and every signal emission live on the signaller thread (Runtime, a
 * rtc::ClientLoop). Methods post to that thread, so calls keep their order and never re-enter a
 * handler.
 *
 * Lock order: start_lock -> settings_lock; state_lock, the client slot's lock and
 * Runtime::first_lock are leaves. No lock is held while a signal is emitted or a property
 * notified.
 */
#include "rtc-ws-signaller.h"

#include "client-loop.h"
#include "protocol.h"
#include "string-property.h"

#include <libsoup/soup.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#define DEFAULT_URI "ws://127.0.0.1:8443/ws"
#define DEFAULT_ROLE RTC_SIGNALLER_ROLE_PRODUCER
#define DEFAULT_TIMEOUT 5000
/* A consumer that ended a session looks for a producer again after this long (ms). */
static constexpr guint kLookAgainMs = 1000;
#define DEFAULT_RECONNECT_INTERVAL 500
#define DEFAULT_RECONNECT_MAX_INTERVAL 2000
/* Pings from our side find a server that vanished without closing (host down, NAT). */
#define KEEPALIVE_SECONDS 5

namespace
{

/* Everything that exists between start() and stop(). Fields marked (thread) are only touched on
 * the signaller thread. */
struct Runtime : rtc::ClientLoop
{
  RtcWsSignaller *self = nullptr;

  /* configuration, copied at start */
  std::string uri, token, ca_file, producer_id;
  std::string meta = "null";
  RtcSignallerRole role = DEFAULT_ROLE;
  guint timeout_ms = DEFAULT_TIMEOUT;
  guint backoff_min = DEFAULT_RECONNECT_INTERVAL, backoff_max = DEFAULT_RECONNECT_MAX_INTERVAL;

  /* outcome of the first connection, for start() */
  std::mutex first_lock;
  std::condition_variable first_cond;
  bool first_done = false;
  GError *first_error = nullptr;

  SoupSession *session = nullptr;          /* (thread) */
  GCancellable *cancel = nullptr;          /* (thread) the attempt in progress */
  SoupWebsocketConnection *conn = nullptr; /* (thread) */
  rtc::Timer attempt_timer;                /* (thread) connect + welcome deadline */
  rtc::Timer retry_timer;                  /* (thread) */
  rtc::Timer keepalive_timer;              /* (thread) */
  gint64 last_heard = 0;                   /* (thread) */
  bool ever_connected = false;             /* (thread) */
  bool welcomed = false;                   /* (thread) */
  bool failed = false;                     /* (thread) auth refused: no more retries */
  guint backoff = 0;                       /* (thread) ms */
  guint epoch = 0;                         /* (thread) connection generation */
  std::map<std::string, guint> sessions;   /* (thread) session id -> epoch it belongs to */
  std::string starting;                    /* (thread) consumer: startSession in flight to it */
  rtc::Timer look_timer;                   /* (thread) consumer: look again after ending one */

  ~Runtime () override { g_clear_error (&first_error); }
};

} // namespace

struct RtcWsSignallerPrivate
{
  std::mutex start_lock; /* serialises start() and stop() */

  std::mutex settings_lock;
  std::string uri = DEFAULT_URI;
  std::string token, meta, producer_id, ca_file; /* "" = unset */
  RtcSignallerRole role = DEFAULT_ROLE;
  guint timeout_ms = DEFAULT_TIMEOUT;
  guint backoff_min = DEFAULT_RECONNECT_INTERVAL, backoff_max = DEFAULT_RECONNECT_MAX_INTERVAL;

  rtc::ClientSlot<Runtime> client;

  std::mutex state_lock;
  std::string peer_id;
  bool connected = false;
};

struct _RtcWsSignaller
{
  GObject parent;
  RtcWsSignallerPrivate *priv;
};

enum
{
  PROP_0,
  PROP_URI,
  PROP_AUTH_TOKEN,
  PROP_ROLE,
  PROP_META,
  PROP_PRODUCER_ID,
  PROP_PEER_ID,
  PROP_CONNECTED,
  PROP_TIMEOUT,
  PROP_RECONNECT_INTERVAL,
  PROP_RECONNECT_MAX_INTERVAL,
  PROP_CA_FILE,
};

static void rtc_ws_signaller_iface_init (RtcSignallerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RtcWsSignaller, rtc_ws_signaller, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (RTC_TYPE_SIGNALLER,
                                                      rtc_ws_signaller_iface_init))

/* ---- signaller thread --------------------------------------------------------------------- */

static void connect_attempt (Runtime *rt);

static void
set_state (Runtime *rt, bool connected, const std::string &peer_id)
{
  RtcWsSignallerPrivate *priv = rt->self->priv;
  {
    std::lock_guard lock (priv->state_lock);
    priv->connected = connected;
    priv->peer_id = peer_id;
  }
  g_object_notify (G_OBJECT (rt->self), "connected");
  g_object_notify (G_OBJECT (rt->self), "peer-id");
}

static void
finish_first (Runtime *rt, GError *error)
{
  {
    std::lock_guard lock (rt->first_lock);
    if (rt->first_done)
      {
        if (error)
          g_error_free (error);
        return;
      }
    rt->first_done = true;
    rt->first_error = error;
  }
  rt->first_cond.notify_one ();
}

static void
send_text (Runtime *rt, const std::string &text)
{
  if (!rt->conn || soup_websocket_connection_get_state (rt->conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  if (!g_utf8_validate (text.data (), static_cast<gssize> (text.size ()), nullptr))
    {
      g_warning ("rtckit signaller: dropping an outgoing message that is not UTF-8");
      return;
    }
  soup_websocket_connection_send_text (rt->conn, text.c_str ());
}

/* Consumer: ask for a session when we have none (a list reply or a new producer calls us). */
static bool
has_live_session (Runtime *rt)
{
  return !rt->sessions.empty ();
}

static void
maybe_start_session (Runtime *rt, const std::string &producer)
{
  if (rt->role != RTC_SIGNALLER_ROLE_CONSUMER || !rt->starting.empty () || has_live_session (rt)
      || !rt->welcomed)
    return;
  if (!rt->producer_id.empty () && producer != rt->producer_id)
    return;
  rt->starting = producer;
  send_text (rt, rtc::proto::request_session (producer, std::nullopt));
}

static void
look_for_producer (Runtime *rt)
{
  if (rt->role == RTC_SIGNALLER_ROLE_CONSUMER && rt->welcomed && !has_live_session (rt))
    send_text (rt, R"({"type":"list"})");
}

static void lost (Runtime *rt, const char *why);

static void
handle_message (Runtime *rt, const std::string &text)
{
  using rtc::proto::ServerKind;
  std::string why;
  std::optional<rtc::proto::ServerMessage> parsed = rtc::proto::parse_server_message (text, why);
  if (!parsed)
    {
      g_warning ("rtckit signaller: ignoring a server message: %s", why.c_str ());
      return;
    }
  const rtc::proto::ServerMessage &m = *parsed;
  const char *sid = m.session_id.c_str (), *peer = m.peer_id.c_str ();
  RtcSignaller *s = RTC_SIGNALLER (rt->self);

  switch (m.kind)
    {
    case ServerKind::Welcome:
      {
        rt->welcomed = true;
        rt->epoch++;
        rt->backoff = rt->backoff_min;
        rt->ever_connected = true;
        rt->attempt_timer.cancel ();
        const unsigned roles = rt->role == RTC_SIGNALLER_ROLE_CONSUMER
                                   ? rtc::proto::kRoleConsumer | rtc::proto::kRoleListener
                                   : rtc::proto::kRoleProducer;
        send_text (rt, rtc::proto::set_peer_status (roles, rt->meta));
        set_state (rt, true, m.peer_id);
        finish_first (rt, nullptr);
        look_for_producer (rt);
        return;
      }
    case ServerKind::StartSession:
      if (rt->role != RTC_SIGNALLER_ROLE_PRODUCER)
        return;
      rt->sessions[m.session_id] = rt->epoch;
      rtc_signaller_emit_session_requested (s, sid, peer, m.offer ? m.offer->c_str () : nullptr);
      return;
    case ServerKind::SessionStarted:
      if (rt->role != RTC_SIGNALLER_ROLE_CONSUMER)
        return;
      /* The session the producer started with us, announced again as the answer to ours. */
      if (rt->sessions.count (m.session_id))
        {
          if (rt->starting == m.peer_id)
            rt->starting.clear ();
          return;
        }
      /* The answer to our startSession, or a producer that started a session with us (the
       * reference server allows it: gstwebrtc-api's createProducerSessionForConsumer). Either
       * way the producer offers next. */
      if (rt->starting == m.peer_id)
        rt->starting.clear ();
      else if (!rt->producer_id.empty () && rt->producer_id != m.peer_id)
        {
          g_message ("rtckit signaller: refusing a session from producer %s: producer-id is %s",
                     peer, rt->producer_id.c_str ());
          send_text (rt, rtc::proto::request_end_session (m.session_id));
          return;
        }
      rt->sessions[m.session_id] = rt->epoch;
      rtc_signaller_emit_session_requested (s, sid, peer, nullptr);
      return;
    case ServerKind::Peer:
      {
        auto it = rt->sessions.find (m.session_id);
        if (it == rt->sessions.end () || it->second != rt->epoch)
          return;
        if (m.sdp)
          rtc_signaller_emit_sdp (s, sid, m.sdp->type.c_str (), m.sdp->sdp.c_str ());
        else if (m.ice)
          rtc_signaller_emit_ice (s, sid, m.ice->mline_index, m.ice->candidate.c_str ());
        return;
      }
    case ServerKind::EndSession:
      if (rt->sessions.erase (m.session_id) == 0)
        return;
      rtc_signaller_emit_session_ended (s, sid);
      look_for_producer (rt);
      return;
    case ServerKind::List:
      for (const std::string &id : m.producers)
        maybe_start_session (rt, id);
      return;
    case ServerKind::PeerStatusChanged:
      if (m.roles & rtc::proto::kRoleProducer)
        maybe_start_session (rt, m.peer_id);
      return;
    case ServerKind::Error:
      g_message ("rtckit signaller: %s: server error: %s", rt->uri.c_str (),
                 m.details ? m.details->c_str () : "(no details)");
      /* An error without a session in answer to our startSession: the producer is gone or
       * refused; wait for the next producer announcement. */
      if (!m.error_session_id)
        rt->starting.clear ();
      return;
    }
}

static void
on_ws_message (SoupWebsocketConnection *, gint type, GBytes *message, gpointer data)
{
  auto *rt = static_cast<Runtime *> (data);
  rt->last_heard = g_get_monotonic_time ();
  if (type != SOUP_WEBSOCKET_DATA_TEXT || rt->stopping ())
    return;
  gsize size = 0;
  auto *bytes = static_cast<const char *> (g_bytes_get_data (message, &size));
  handle_message (rt, std::string (bytes, size));
}

static void
on_ws_pong (SoupWebsocketConnection *, GBytes *, gpointer data)
{
  static_cast<Runtime *> (data)->last_heard = g_get_monotonic_time ();
}

static void
on_ws_closed (SoupWebsocketConnection *conn, gpointer data)
{
  auto *rt = static_cast<Runtime *> (data);
  /* Not the close reason: libsoup 3.2 can hand out a dangling pointer for it. */
  g_autofree gchar *why = g_strdup_printf ("connection closed, code %u",
                                           soup_websocket_connection_get_close_code (conn));
  lost (rt, why);
}

static void
drop_connection (Runtime *rt)
{
  rt->attempt_timer.cancel ();
  rt->keepalive_timer.cancel ();
  if (rt->cancel)
    {
      g_cancellable_cancel (rt->cancel);
      g_clear_object (&rt->cancel);
    }
  if (rt->conn)
    {
      g_signal_handlers_disconnect_by_data (rt->conn, rt);
      if (soup_websocket_connection_get_state (rt->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (rt->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
      g_clear_object (&rt->conn);
    }
}

/* The connection (or an attempt) is gone: keep the sessions, retry later. */
static void
lost (Runtime *rt, const char *why)
{
  const bool was_welcomed = rt->welcomed;
  drop_connection (rt);
  rt->welcomed = false;
  rt->starting.clear ();
  if (rt->stopping ())
    return;
  if (was_welcomed)
    {
      g_message ("rtckit signaller: lost %s (%s), reconnecting", rt->uri.c_str (), why);
      set_state (rt, false, "");
    }
  if (!rt->ever_connected)
    {
      finish_first (rt, g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                     "cannot connect to the signalling server %s: %s",
                                     rt->uri.c_str (), why));
      return;
    }
  if (rt->failed || rt->retry_timer.pending ())
    return;
  rt->retry_timer.once (rt->context (), rt->backoff, [rt] { connect_attempt (rt); });
  rt->backoff = MIN (rt->backoff * 2, rt->backoff_max);
}

static bool
keepalive_check (Runtime *rt)
{
  if (g_get_monotonic_time () - rt->last_heard > 3 * KEEPALIVE_SECONDS * G_USEC_PER_SEC)
    {
      lost (rt, "no answer to keepalive pings");
      return false;
    }
  return true;
}

/* One connection attempt; its cancellable tells a late completion from the current one. */
struct Attempt
{
  Runtime *rt;
  GCancellable *cancel;
};

static void
on_connected (GObject *source, GAsyncResult *res, gpointer data)
{
  std::unique_ptr<Attempt> attempt (static_cast<Attempt *> (data));
  Runtime *rt = attempt->rt;
  GError *err = nullptr;
  SoupWebsocketConnection *conn
      = soup_session_websocket_connect_finish (SOUP_SESSION (source), res, &err);
  const bool abandoned = g_cancellable_is_cancelled (attempt->cancel);
  g_object_unref (attempt->cancel);
  if (abandoned)
    {
      /* drop_connection() gave up on this attempt (timeout, stop): nothing else to do. */
      g_clear_error (&err);
      g_clear_object (&conn);
      return;
    }
  g_clear_object (&rt->cancel);
  if (!conn)
    {
      std::string why = err ? err->message : "unknown error";
      g_clear_error (&err);
      lost (rt, why.c_str ());
      return;
    }
  rt->conn = conn;
  rt->last_heard = g_get_monotonic_time ();
  soup_websocket_connection_set_max_incoming_payload_size (rt->conn, 4 * 1024 * 1024);
  soup_websocket_connection_set_keepalive_interval (rt->conn, KEEPALIVE_SECONDS);
  g_signal_connect (rt->conn, "message", G_CALLBACK (on_ws_message), rt);
  g_signal_connect (rt->conn, "pong", G_CALLBACK (on_ws_pong), rt);
  g_signal_connect (rt->conn, "closed", G_CALLBACK (on_ws_closed), rt);
  rt->keepalive_timer.every (rt->context (), KEEPALIVE_SECONDS * 1000,
                             [rt] { return keepalive_check (rt); });
  /* attempt_timer keeps running until welcome arrives. */
}

/* Auth refusals are final: retrying with the same token cannot succeed. */
static void
on_status (SoupMessage *msg, gpointer data)
{
  auto *rt = static_cast<Runtime *> (data);
  const guint status = soup_message_get_status (msg);
  if (status != SOUP_STATUS_UNAUTHORIZED && status != SOUP_STATUS_FORBIDDEN
      && status != SOUP_STATUS_SERVICE_UNAVAILABLE)
    return;
  g_autofree gchar *text = g_strdup_printf (
      "the signalling server %s refused the connection: HTTP %u %s%s", rt->uri.c_str (), status,
      soup_message_get_reason_phrase (msg),
      status == SOUP_STATUS_SERVICE_UNAVAILABLE ? " (it is full)"
      : rt->token.empty ()                       ? ": it needs signaller::auth-token"
                                                 : ": check signaller::auth-token");
  if (!rt->ever_connected)
    {
      finish_first (rt, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, text));
      rt->failed = true;
    }
  else if (status != SOUP_STATUS_SERVICE_UNAVAILABLE)
    {
      rt->failed = true;
      rtc_signaller_emit_error (RTC_SIGNALLER (rt->self), text);
    }
}

static void
connect_attempt (Runtime *rt)
{
  if (rt->stopping () || rt->failed)
    return;
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", rt->uri.c_str ());
  if (!msg)
    {
      finish_first (rt, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                     "invalid signalling server URI '%s': expected "
                                     "ws://HOST:PORT/PATH or wss://...",
                                     rt->uri.c_str ()));
      rt->failed = true;
      return;
    }
  if (!rt->token.empty ())
    {
      g_autofree gchar *auth = g_strdup_printf ("Bearer %s", rt->token.c_str ());
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    auth);
    }
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_status), rt);
  rt->cancel = g_cancellable_new ();
  rt->attempt_timer.once (rt->context (), rt->timeout_ms, [rt] { lost (rt, "timed out"); });
  soup_session_websocket_connect_async (rt->session, msg, nullptr, nullptr, G_PRIORITY_DEFAULT,
                                        rt->cancel, on_connected,
                                        new Attempt{ rt, G_CANCELLABLE (g_object_ref (rt->cancel)) });
}

/* The signaller thread, from connecting to the end of the run. */
static void
run_thread (Runtime *rt)
{
  rt->session = soup_session_new ();
  bool ok = true;
  if (!rt->ca_file.empty ())
    {
      GError *err = nullptr;
      g_autoptr (GTlsDatabase) db = g_tls_file_database_new (rt->ca_file.c_str (), &err);
      if (!db)
        {
          finish_first (rt, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                         "cannot load ca-file '%s': %s", rt->ca_file.c_str (),
                                         err->message));
          g_error_free (err);
          ok = false;
        }
      else
        soup_session_set_tls_database (rt->session, db);
    }
  rt->backoff = rt->backoff_min;
  if (ok)
    {
      connect_attempt (rt);
      rt->run ();
    }
  drop_connection (rt);
  rt->retry_timer.cancel ();
  /* Let cancelled attempts and the close complete before the session and context go. */
  while (g_main_context_iteration (rt->context (), FALSE))
    ;
  g_clear_object (&rt->session);
}

/* Whether a message for @sid can go out: a session of the current connection. */
static bool
current_session (Runtime &rt, const std::string &sid)
{
  auto it = rt.sessions.find (sid);
  return it != rt.sessions.end () && it->second == rt.epoch && rt.welcomed;
}

/* Runs @fn on the signaller thread, later; dropped if the signaller is not running. */
static void
post (RtcWsSignaller *self, std::function<void (Runtime &)> fn)
{
  self->priv->client.post (std::move (fn));
}

/* ---- RtcSignaller ------------------------------------------------------------------------- */

static void
shutdown_start (Runtime *rt)
{
  rt->retry_timer.cancel ();
  rt->attempt_timer.cancel ();
  rt->keepalive_timer.cancel ();
  rt->look_timer.cancel ();
  if (rt->cancel)
    {
      g_cancellable_cancel (rt->cancel);
      g_clear_object (&rt->cancel);
    }
  for (const auto &[sid, epoch] : rt->sessions)
    if (epoch == rt->epoch && rt->welcomed)
      send_text (rt, rtc::proto::request_end_session (sid));
  rt->sessions.clear ();
  if (rt->conn && soup_websocket_connection_get_state (rt->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (rt->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, "signaller stopped");
  rt->quit_when (
      [rt] {
        return !rt->conn
               || soup_websocket_connection_get_state (rt->conn) == SOUP_WEBSOCKET_STATE_CLOSED;
      },
      g_get_monotonic_time () + G_USEC_PER_SEC / 2);
}

static void
rtc_ws_signaller_stop (RtcSignaller *signaller)
{
  RtcWsSignaller *self = RTC_WS_SIGNALLER (signaller);
  RtcWsSignallerPrivate *priv = self->priv;
  std::lock_guard start (priv->start_lock);
  std::unique_ptr<Runtime> rt = priv->client.take ();
  if (!rt)
    return;
  /* Calls posted before take() still go out. */
  rt->stop ([rt = rt.get ()] { shutdown_start (rt); });
  rt.reset ();
  /* Only now that the thread is gone: a welcome it handled during the stop set these again. */
  bool was_connected;
  {
    std::lock_guard lock (priv->state_lock);
    was_connected = priv->connected || !priv->peer_id.empty ();
    priv->connected = false;
    priv->peer_id.clear ();
  }
  if (was_connected)
    {
      g_object_notify (G_OBJECT (self), "connected");
      g_object_notify (G_OBJECT (self), "peer-id");
    }
}

static gboolean
rtc_ws_signaller_start (RtcSignaller *signaller, GError **error)
{
  RtcWsSignaller *self = RTC_WS_SIGNALLER (signaller);
  RtcWsSignallerPrivate *priv = self->priv;
  std::unique_lock start (priv->start_lock);
  if (priv->client.running ())
    return TRUE;

  auto rt = std::make_unique<Runtime> ();
  rt->self = self;
  {
    std::lock_guard lock (priv->settings_lock);
    rt->uri = priv->uri;
    rt->token = priv->token;
    rt->ca_file = priv->ca_file;
    rt->producer_id = priv->producer_id;
    rt->role = priv->role;
    rt->timeout_ms = priv->timeout_ms;
    rt->backoff_min = priv->backoff_min;
    rt->backoff_max = MAX (priv->backoff_max, priv->backoff_min);
    if (!priv->meta.empty ())
      {
        std::string err;
        std::optional<std::string> meta = rtc::proto::normalize_meta (priv->meta, err);
        if (!meta)
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "property meta: %s",
                         err.c_str ());
            return FALSE;
          }
        rt->meta = *meta;
      }
  }
  if (!g_str_has_prefix (rt->uri.c_str (), "ws://") && !g_str_has_prefix (rt->uri.c_str (), "wss://"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "invalid signalling server URI '%s': expected ws://HOST:PORT/PATH or "
                   "wss://HOST:PORT/PATH",
                   rt->uri.c_str ());
      return FALSE;
    }

  /* Published before the thread runs: signals and notifies from it may read properties, and
   * methods called from handlers of the first session must reach this runtime. */
  Runtime *raw = rt.get ();
  priv->client.put (raw);
  raw->spawn ("rtcwssignaller", [raw] { run_thread (raw); });
  GError *first_error = nullptr;
  {
    std::unique_lock lock (raw->first_lock);
    const auto limit = std::chrono::milliseconds (raw->timeout_ms + 1000);
    if (!raw->first_cond.wait_for (lock, limit, [&] { return raw->first_done; }))
      first_error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                 "cannot connect to the signalling server %s: timed out",
                                 raw->uri.c_str ());
    else if (raw->first_error)
      {
        first_error = raw->first_error;
        raw->first_error = nullptr;
      }
  }
  if (!first_error)
    {
      rt.release ();
      return TRUE;
    }
  /* stop() joins and deletes the runtime. */
  rt.release ();
  start.unlock ();
  rtc_ws_signaller_stop (signaller);
  g_propagate_error (error, first_error);
  return FALSE;
}

static void
rtc_ws_signaller_send_sdp (RtcSignaller *signaller, const gchar *session_id, const gchar *type,
                           const gchar *sdp)
{
  post (RTC_WS_SIGNALLER (signaller),
        [sid = std::string (session_id), body = rtc::proto::SdpBody{ type, sdp }] (Runtime &rt) {
          if (current_session (rt, sid))
            send_text (&rt, rtc::proto::peer_sdp (sid, body));
          else
            g_debug ("rtckit signaller: dropping sdp for session %s of an earlier connection",
                     sid.c_str ());
        });
}

static void
rtc_ws_signaller_send_ice (RtcSignaller *signaller, const gchar *session_id, guint mline_index,
                           const gchar *candidate)
{
  /* The protocol has no end-of-candidates message: webrtcbin peers do not need one and browsers
   * finish without it. */
  if (!candidate || !*candidate)
    return;
  post (RTC_WS_SIGNALLER (signaller),
        [sid = std::string (session_id),
         body = rtc::proto::IceBody{ candidate, mline_index }] (Runtime &rt) {
          if (current_session (rt, sid))
            send_text (&rt, rtc::proto::peer_ice (sid, body));
        });
}

static void
rtc_ws_signaller_end_session (RtcSignaller *signaller, const gchar *session_id,
                              const gchar *reason)
{
  /* The protocol has no reason field in a client's endSession: the reason is only logged. */
  post (RTC_WS_SIGNALLER (signaller),
        [sid = std::string (session_id),
         why = std::string (reason ? reason : "")] (Runtime &rt) {
          const bool current = current_session (rt, sid);
          if (rt.sessions.erase (sid) == 0)
            return;
          if (!why.empty ())
            g_debug ("rtckit signaller: ending session %s: %s", sid.c_str (), why.c_str ());
          if (current)
            send_text (&rt, rtc::proto::request_end_session (sid));
          /* Not at once: the element ends its sessions when it stops, right before stop(), and
           * a new session asked for then would only be ended again. */
          rt.look_timer.once (rt.context (), kLookAgainMs, [rt = &rt] { look_for_producer (rt); });
        });
}

static void
rtc_ws_signaller_iface_init (RtcSignallerInterface *iface)
{
  iface->start = rtc_ws_signaller_start;
  iface->stop = rtc_ws_signaller_stop;
  iface->send_sdp = rtc_ws_signaller_send_sdp;
  iface->send_ice = rtc_ws_signaller_send_ice;
  iface->end_session = rtc_ws_signaller_end_session;
}

/* ---- GObject ------------------------------------------------------------------------------ */

using rtc::get_string_property;
using rtc::set_string_property;

static void
rtc_ws_signaller_set_property (GObject *object, guint prop_id, const GValue *value,
                               GParamSpec *pspec)
{
  RtcWsSignallerPrivate *priv = RTC_WS_SIGNALLER (object)->priv;
  std::lock_guard lock (priv->settings_lock);
  switch (prop_id)
    {
    case PROP_URI:
      set_string_property (priv->uri, value, DEFAULT_URI);
      break;
    case PROP_AUTH_TOKEN:
      set_string_property (priv->token, value);
      break;
    case PROP_ROLE:
      priv->role = static_cast<RtcSignallerRole> (g_value_get_enum (value));
      break;
    case PROP_META:
      set_string_property (priv->meta, value);
      break;
    case PROP_PRODUCER_ID:
      set_string_property (priv->producer_id, value);
      break;
    case PROP_TIMEOUT:
      priv->timeout_ms = g_value_get_uint (value);
      break;
    case PROP_RECONNECT_INTERVAL:
      priv->backoff_min = g_value_get_uint (value);
      break;
    case PROP_RECONNECT_MAX_INTERVAL:
      priv->backoff_max = g_value_get_uint (value);
      break;
    case PROP_CA_FILE:
      set_string_property (priv->ca_file, value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
rtc_ws_signaller_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  RtcWsSignallerPrivate *priv = RTC_WS_SIGNALLER (object)->priv;
  if (prop_id == PROP_PEER_ID || prop_id == PROP_CONNECTED)
    {
      std::lock_guard lock (priv->state_lock);
      if (prop_id == PROP_PEER_ID)
        get_string_property (value, priv->peer_id);
      else
        g_value_set_boolean (value, priv->connected);
      return;
    }
  std::lock_guard lock (priv->settings_lock);
  switch (prop_id)
    {
    case PROP_URI:
      g_value_set_string (value, priv->uri.c_str ());
      break;
    case PROP_AUTH_TOKEN:
      get_string_property (value, priv->token);
      break;
    case PROP_ROLE:
      g_value_set_enum (value, priv->role);
      break;
    case PROP_META:
      get_string_property (value, priv->meta);
      break;
    case PROP_PRODUCER_ID:
      get_string_property (value, priv->producer_id);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, priv->timeout_ms);
      break;
    case PROP_RECONNECT_INTERVAL:
      g_value_set_uint (value, priv->backoff_min);
      break;
    case PROP_RECONNECT_MAX_INTERVAL:
      g_value_set_uint (value, priv->backoff_max);
      break;
    case PROP_CA_FILE:
      get_string_property (value, priv->ca_file);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
rtc_ws_signaller_dispose (GObject *object)
{
  /* The thread holds a raw pointer to us: it must be gone before we are. */
  rtc_ws_signaller_stop (RTC_SIGNALLER (object));
  G_OBJECT_CLASS (rtc_ws_signaller_parent_class)->dispose (object);
}

static void
rtc_ws_signaller_finalize (GObject *object)
{
  delete RTC_WS_SIGNALLER (object)->priv;
  G_OBJECT_CLASS (rtc_ws_signaller_parent_class)->finalize (object);
}

static void
rtc_ws_signaller_init (RtcWsSignaller *self)
{
  self->priv = new RtcWsSignallerPrivate ();
}

static void
rtc_ws_signaller_class_init (RtcWsSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = rtc_ws_signaller_set_property;
  gobject_class->get_property = rtc_ws_signaller_get_property;
  gobject_class->dispose = rtc_ws_signaller_dispose;
  gobject_class->finalize = rtc_ws_signaller_finalize;

  const auto rw = static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  const auto ro = static_cast<GParamFlags> (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
                           "Signalling server WebSocket, ws://HOST:PORT/ws or wss://HOST:PORT/ws; "
                           "read at start",
                           DEFAULT_URI, rw));
  g_object_class_install_property (
      gobject_class, PROP_AUTH_TOKEN,
      g_param_spec_string ("auth-token", "Auth token",
                           "Bearer token sent on connect (Authorization: Bearer <token>); read at "
                           "start",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_ROLE,
      g_param_spec_enum ("role", "Role",
                         "producer: wait for consumers; consumer: ask producer-id (or the first "
                         "producer) for a session; read at start",
                         RTC_TYPE_SIGNALLER_ROLE, DEFAULT_ROLE, rw));
  g_object_class_install_property (
      gobject_class, PROP_META,
      g_param_spec_string ("meta", "Meta",
                           "JSON object advertised with our status (e.g. {\"name\":\"camera\"}); "
                           "read at start",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_PRODUCER_ID,
      g_param_spec_string ("producer-id", "Producer id",
                           "Consumer role: the producer to consume (empty: the first listed or "
                           "the first to appear); read at start",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_PEER_ID,
      g_param_spec_string ("peer-id", "Peer id",
                           "Our id on the current connection (changes on reconnect; NULL while "
                           "disconnected)",
                           nullptr, ro));
  g_object_class_install_property (
      gobject_class, PROP_CONNECTED,
      g_param_spec_boolean ("connected", "Connected",
                            "Registered with the signalling server right now", FALSE, ro));
  g_object_class_install_property (
      gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
                         "Milliseconds one connection attempt may take, start() included", 100,
                         600000, DEFAULT_TIMEOUT, rw));
  g_object_class_install_property (
      gobject_class, PROP_RECONNECT_INTERVAL,
      g_param_spec_uint ("reconnect-interval", "Reconnect interval",
                         "Milliseconds before the first reconnect after a loss; doubles on each "
                         "failure up to reconnect-max-interval",
                         10, 600000, DEFAULT_RECONNECT_INTERVAL, rw));
  g_object_class_install_property (
      gobject_class, PROP_RECONNECT_MAX_INTERVAL,
      g_param_spec_uint ("reconnect-max-interval", "Reconnect max interval",
                         "Milliseconds the reconnect backoff stops growing at", 10, 600000,
                         DEFAULT_RECONNECT_MAX_INTERVAL, rw));
  g_object_class_install_property (
      gobject_class, PROP_CA_FILE,
      g_param_spec_string ("ca-file", "CA file",
                           "PEM file of the certificate authorities to trust for wss:// instead "
                           "of the system store (for a self-signed server); read at start",
                           nullptr, rw));
}
