/* Test helpers shared by the signalling tests (embedded and standalone servers, the client
 * signallers): waiting on the default main context with timeouts, a raw libsoup WebSocket
 * client speaking JSON, and a recorder of RtcSignaller signals. Everything fails the test rather than hang. */
#pragma once

#include "rtc-signaller.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#define TIMEOUT_MS 5000

template <typename Pred>
static bool
wait_until (Pred pred, guint timeout_ms = TIMEOUT_MS)
{
  const gint64 end = g_get_monotonic_time () + timeout_ms * 1000;
  while (!pred ())
    {
      if (g_get_monotonic_time () > end)
        return false;
      if (!g_main_context_iteration (nullptr, FALSE))
        g_usleep (500);
    }
  return true;
}

static inline const char *
str (JsonObject *o, const char *member)
{
  return json_object_get_string_member (o, member);
}

/* Makes @server listen on a free port of 127.0.0.1 and returns the port: the fake servers the
 * client signallers are tested against (WHIP endpoint, Janus). */
static inline guint
listen_on_loopback (SoupServer *server)
{
  g_autoptr (GError) err = nullptr;
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &err));
  GSList *uris = soup_server_get_uris (server);
  const guint port = g_uri_get_port (static_cast<GUri *> (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  return port;
}

/* ---- raw WebSocket client ----------------------------------------------------------------- */

class Client
{
public:
  /* Connects to @url; with @expect_status a refusal (HTTP status) is expected instead. */
  explicit Client (const std::string &url, const char *bearer = nullptr,
                   guint expect_status = 0, GTlsDatabase *tls = nullptr)
  {
    session_ = soup_session_new ();
    if (tls)
      soup_session_set_tls_database (session_, tls);
    SoupMessage *msg = soup_message_new ("GET", url.c_str ());
    g_assert_nonnull (msg);
    if (bearer)
      {
        g_autofree gchar *auth = g_strdup_printf ("Bearer %s", bearer);
        soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                      auth);
      }
    GError *err = nullptr;
    bool done = false;
    struct Ctx
    {
      Client *self;
      GError **err;
      bool *done;
    } ctx{ this, &err, &done };
    soup_session_websocket_connect_async (
        session_, msg, nullptr, nullptr, G_PRIORITY_DEFAULT, nullptr,
        [] (GObject *src, GAsyncResult *res, gpointer data) {
          auto *c = static_cast<Ctx *> (data);
          c->self->conn_ = soup_session_websocket_connect_finish (SOUP_SESSION (src), res, c->err);
          *c->done = true;
        },
        &ctx);
    if (!wait_until ([&] { return done; }))
      g_error ("websocket connect to %s timed out", url.c_str ());
    status = soup_message_get_status (msg);
    g_object_unref (msg);
    if (expect_status)
      {
        if (conn_)
          g_error ("connect to %s succeeded, expected HTTP %u", url.c_str (), expect_status);
        g_assert_cmpuint (status, ==, expect_status);
        g_clear_error (&err);
        return;
      }
    if (!conn_)
      g_error ("websocket connect to %s failed: %s (HTTP %u)", url.c_str (),
               err ? err->message : "?", status);
    g_signal_connect (conn_, "message", G_CALLBACK (on_message), this);
    JsonObject *welcome = expect ("welcome");
    peer_id = json_object_get_string_member (welcome, "peerId");
    g_assert_true (g_uuid_string_is_valid (peer_id.c_str ()));
  }
  explicit Client (guint port) : Client ("ws://127.0.0.1:" + std::to_string (port) + "/ws") {}
  ~Client ()
  {
    if (conn_)
      {
        g_signal_handlers_disconnect_by_data (conn_, this);
        close ();
        g_object_unref (conn_);
      }
    g_object_unref (session_);
    for (JsonNode *n : inbox_)
      json_node_unref (n);
    for (JsonNode *n : seen_)
      json_node_unref (n);
  }
  Client (const Client &) = delete;
  Client &operator= (const Client &) = delete;

  void
  send (const std::string &text)
  {
    soup_websocket_connection_send_text (conn_, text.c_str ());
  }
  /* A binary frame: the protocol is JSON text only. */
  void
  send_binary ()
  {
    soup_websocket_connection_send_binary (conn_, "\x01\x02", 2);
  }
  void
  close ()
  {
    if (soup_websocket_connection_get_state (conn_) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (conn_, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    wait_until ([&] { return closed (); });
  }
  bool
  closed () const
  {
    return soup_websocket_connection_get_state (conn_) == SOUP_WEBSOCKET_STATE_CLOSED;
  }
  gushort
  close_code () const
  {
    return soup_websocket_connection_get_close_code (conn_);
  }

  JsonObject *
  next ()
  {
    if (!wait_until ([&] { return !inbox_.empty (); }))
      g_error ("timed out waiting for a message");
    JsonNode *n = inbox_.front ();
    inbox_.pop_front ();
    seen_.push_back (n);
    return json_node_get_object (n);
  }
  JsonObject *
  expect (const char *type)
  {
    JsonObject *o = next ();
    const char *got = json_object_get_string_member (o, "type");
    if (g_strcmp0 (got, type) != 0)
      {
        g_autoptr (JsonNode) n = json_node_init_object (json_node_alloc (), o);
        g_autofree gchar *s = json_to_string (n, FALSE);
        g_error ("expected '%s', got %s", type, s);
      }
    return o;
  }
  void
  expect_error (const char *fragment)
  {
    JsonObject *o = expect ("error");
    const char *details = json_object_get_string_member (o, "details");
    if (!strstr (details, fragment))
      g_error ("error '%s' does not mention '%s'", details, fragment);
  }
  bool
  idle (guint ms)
  {
    wait_until ([] { return false; }, ms);
    return inbox_.empty ();
  }
  gsize
  pending () const
  {
    return inbox_.size ();
  }

  std::string peer_id;
  guint status = 0;

private:
  static void
  on_message (SoupWebsocketConnection *, gint type, GBytes *bytes, Client *self)
  {
    g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
    gsize len = 0;
    const char *data = static_cast<const char *> (g_bytes_get_data (bytes, &len));
    g_autoptr (GError) err = nullptr;
    JsonNode *n = json_from_string (std::string (data, len).c_str (), &err);
    g_assert_no_error (err);
    g_assert_true (JSON_NODE_HOLDS_OBJECT (n));
    self->inbox_.push_back (n);
  }

  SoupSession *session_ = nullptr;
  SoupWebsocketConnection *conn_ = nullptr;
  std::deque<JsonNode *> inbox_;
  std::vector<JsonNode *> seen_;
};

/* ---- RtcSignaller signal recorder --------------------------------------------------------- */

struct Event
{
  std::string name, session, a, b;
  guint n = 0;
  bool has_b = false;
};

struct Recorder
{
  std::mutex lock;
  std::vector<Event> events;

  void
  push (Event e)
  {
    std::lock_guard l (lock);
    events.push_back (std::move (e));
  }
  gsize
  count ()
  {
    std::lock_guard l (lock);
    return events.size ();
  }
  Event
  wait (gsize index, guint timeout_ms = TIMEOUT_MS)
  {
    if (!wait_until ([&] { return count () > index; }, timeout_ms))
      g_error ("timed out waiting for signal #%" G_GSIZE_FORMAT, index);
    std::lock_guard l (lock);
    return events[index];
  }
  void
  connect (gpointer signaller)
  {
    g_signal_connect (signaller, "session-requested",
                      G_CALLBACK (+[] (RtcSignaller *, const gchar *sid, const gchar *peer,
                                       const gchar *offer, Recorder *r) {
                        r->push ({ "session-requested", sid, peer, offer ? offer : "", 0,
                                   offer != nullptr });
                      }),
                      this);
    g_signal_connect (signaller, "session-ended",
                      G_CALLBACK (+[] (RtcSignaller *, const gchar *sid, Recorder *r) {
                        r->push ({ "session-ended", sid });
                      }),
                      this);
    g_signal_connect (signaller, "sdp",
                      G_CALLBACK (+[] (RtcSignaller *, const gchar *sid, const gchar *type,
                                       const gchar *sdp, Recorder *r) {
                        r->push ({ "sdp", sid, type, sdp });
                      }),
                      this);
    g_signal_connect (signaller, "ice",
                      G_CALLBACK (+[] (RtcSignaller *, const gchar *sid, guint mline,
                                       const gchar *cand, Recorder *r) {
                        r->push ({ "ice", sid, cand, "", mline });
                      }),
                      this);
    g_signal_connect (signaller, "error",
                      G_CALLBACK (+[] (RtcSignaller *, const gchar *message, Recorder *r) {
                        r->push ({ "error", "", message });
                      }),
                      this);
  }
};
