/* The standalone server (Router + Server configured as rtckit-signalling-server runs them, no
 * local peer) over real sockets on 127.0.0.1: the message flows of gst-plugins-rs' signalling
 * protocol 1.1 written down as tests, every bad input, tokens, limits, keepalive, and the
 * installed program's shutdown on SIGTERM.
 *
 * The server runs on the test thread's default main context; wait_until() iterates it. */
#include "server.h"
#include "ws-client.h"

#include <gio/gio.h>

#include <memory>
#include <signal.h>
#include <sys/prctl.h>

struct Standalone
{
  std::unique_ptr<rtc::signaling::Server> server;
  guint port = 0;

  explicit Standalone (rtc::signaling::ServerConfig config = {})
  {
    config.root_page = "list.html";
    config.root_viewer_for_producer = true;
    server = std::make_unique<rtc::signaling::Server> (std::move (config));
    g_autoptr (GError) err = nullptr;
    if (!server->listen ("127.0.0.1:0", &err))
      g_error ("listen: %s", err->message);
    port = server->port ();
  }
  ~Standalone ()
  {
    server->shutdown (false);
    wait_until ([&] { return server->router ().remote_count () == 0; }, 1000);
    server.reset ();
    while (g_main_context_iteration (nullptr, FALSE))
      ;
  }
  std::string
  url (const std::string &suffix = "") const
  {
    return "ws://127.0.0.1:" + std::to_string (port) + "/ws" + suffix;
  }
};

/* A producer and a consumer registered the gst-plugins-rs way. */
static void
register_as (Client &c, const char *roles_json, const char *meta = "null")
{
  c.send (std::string (R"({"type":"setPeerStatus","roles":)") + roles_json + ",\"meta\":" + meta
          + "}");
}

/* consumer -> startSession; returns the session id after checking both sides' messages. */
static std::string
start_session (Client &consumer, Client &producer, const char *offer = nullptr)
{
  consumer.send (rtc::proto::request_session (
      producer.peer_id, offer ? std::optional<std::string> (offer) : std::nullopt));
  JsonObject *started = consumer.expect ("sessionStarted");
  g_assert_cmpstr (str (started, "peerId"), ==, producer.peer_id.c_str ());
  std::string sid = str (started, "sessionId");
  g_assert_true (g_uuid_string_is_valid (sid.c_str ()));
  JsonObject *req = producer.expect ("startSession");
  g_assert_cmpstr (str (req, "peerId"), ==, consumer.peer_id.c_str ());
  g_assert_cmpstr (str (req, "sessionId"), ==, sid.c_str ());
  g_assert_true (json_object_has_member (req, "offer") == (offer != nullptr));
  if (offer)
    g_assert_cmpstr (str (req, "offer"), ==, offer);
  return sid;
}

static void
expect_sdp (Client &c, const std::string &sid, const char *type, const char *sdp)
{
  JsonObject *o = c.expect ("peer");
  g_assert_cmpstr (str (o, "sessionId"), ==, sid.c_str ());
  JsonObject *s = json_object_get_object_member (o, "sdp");
  g_assert_cmpstr (str (s, "type"), ==, type);
  g_assert_cmpstr (str (s, "sdp"), ==, sdp);
}

static void
expect_ice (Client &c, const std::string &sid, const char *cand, gint64 mline)
{
  JsonObject *o = c.expect ("peer");
  g_assert_cmpstr (str (o, "sessionId"), ==, sid.c_str ());
  JsonObject *i = json_object_get_object_member (o, "ice");
  g_assert_cmpstr (str (i, "candidate"), ==, cand);
  g_assert_cmpint (json_object_get_int_member (i, "sdpMLineIndex"), ==, mline);
}

/* ---- 1.1 flows ---------------------------------------------------------------------------- */

static void
test_flow_welcome ()
{
  Standalone s;
  Client a (s.port), b (s.port);
  g_assert_cmpstr (a.peer_id.c_str (), !=, b.peer_id.c_str ());
  /* No local peer: nothing is listed. */
  a.send (R"({"type":"setProtocolVersion","version":"1.1"})");
  a.send (R"({"type":"list"})");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (a.expect ("list"),
                                                                         "producers")),
                    ==, 0);
}

static void
test_flow_peer_status_list_and_list_consumers ()
{
  Standalone s;
  Client listener (s.port), producer (s.port), consumer (s.port);
  register_as (listener, R"(["listener"])");
  /* A listener is told about its own status too (gstwebrtc-api waits for that echo). */
  JsonObject *o = listener.expect ("peerStatusChanged");
  g_assert_cmpstr (str (o, "peerId"), ==, listener.peer_id.c_str ());
  register_as (producer, R"(["producer"])", R"({"name":"cam"})");
  o = listener.expect ("peerStatusChanged");
  g_assert_cmpstr (str (o, "peerId"), ==, producer.peer_id.c_str ());
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (o, "roles"), 0),
                   ==, "producer");
  g_assert_cmpstr (str (json_object_get_object_member (o, "meta"), "name"), ==, "cam");
  register_as (consumer, R"(["consumer"])");
  o = listener.expect ("peerStatusChanged");
  g_assert_cmpstr (str (o, "peerId"), ==, consumer.peer_id.c_str ());
  /* A peer that does not listen hears nothing about anyone, itself included. */
  g_assert_true (producer.idle (50));

  listener.send (R"({"type":"list"})");
  JsonArray *list = json_object_get_array_member (listener.expect ("list"), "producers");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (str (json_array_get_object_element (list, 0), "id"), ==,
                   producer.peer_id.c_str ());
  listener.send (R"({"type":"listConsumers"})");
  list = json_object_get_array_member (listener.expect ("listConsumers"), "consumers");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (str (json_array_get_object_element (list, 0), "id"), ==,
                   consumer.peer_id.c_str ());

  /* Peers that leave are announced whatever their roles, with no roles and their last meta. */
  producer.close ();
  o = listener.expect ("peerStatusChanged");
  g_assert_cmpstr (str (o, "peerId"), ==, producer.peer_id.c_str ());
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "roles")), ==, 0);
  g_assert_cmpstr (str (json_object_get_object_member (o, "meta"), "name"), ==, "cam");
  consumer.close ();
  o = listener.expect ("peerStatusChanged");
  g_assert_cmpstr (str (o, "peerId"), ==, consumer.peer_id.c_str ());
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "roles")), ==, 0);
}

static void
test_flow_session_producer_offers ()
{
  Standalone s;
  Client producer (s.port), consumer (s.port);
  register_as (producer, R"(["producer"])");
  register_as (consumer, R"(["consumer"])");
  const std::string sid = start_session (consumer, producer);

  producer.send (rtc::proto::peer_sdp (sid, { "offer", "v=0 p" }));
  expect_sdp (consumer, sid, "offer", "v=0 p");
  consumer.send (rtc::proto::peer_sdp (sid, { "answer", "v=0 c" }));
  expect_sdp (producer, sid, "answer", "v=0 c");
  producer.send (rtc::proto::peer_ice (sid, { "candidate:p", 0 }));
  expect_ice (consumer, sid, "candidate:p", 0);
  consumer.send (rtc::proto::peer_ice (sid, { "candidate:c", 1 }));
  expect_ice (producer, sid, "candidate:c", 1);
  consumer.send (rtc::proto::peer_ice (sid, { "", 0 }));
  expect_ice (producer, sid, "", 0);

  consumer.send (rtc::proto::request_end_session (sid));
  g_assert_cmpstr (str (producer.expect ("endSession"), "sessionId"), ==, sid.c_str ());
  g_assert_true (consumer.idle (50));
  g_assert_cmpuint (s.server->router ().session_count (), ==, 0);
}

static void
test_flow_session_consumer_offers ()
{
  Standalone s;
  Client producer (s.port), consumer (s.port);
  register_as (producer, R"(["producer"])");
  const std::string sid = start_session (consumer, producer, "v=0 consumer offer");
  producer.send (rtc::proto::peer_sdp (sid, { "answer", "v=0 p answer" }));
  expect_sdp (consumer, sid, "answer", "v=0 p answer");
  /* The producer ends it this time. */
  producer.send (rtc::proto::request_end_session (sid));
  g_assert_cmpstr (str (consumer.expect ("endSession"), "sessionId"), ==, sid.c_str ());
  g_assert_true (producer.idle (50));
}

static void
test_flow_many_sessions_one_producer ()
{
  Standalone s;
  Client producer (s.port), c1 (s.port), c2 (s.port);
  register_as (producer, R"(["producer"])");
  const std::string s1 = start_session (c1, producer), s2 = start_session (c2, producer);
  g_assert_cmpstr (s1.c_str (), !=, s2.c_str ());
  producer.send (rtc::proto::peer_sdp (s2, { "offer", "two" }));
  expect_sdp (c2, s2, "offer", "two");
  g_assert_true (c1.idle (50));
}

static void
test_flow_socket_close_ends_sessions ()
{
  Standalone s;
  Client producer (s.port), c1 (s.port);
  auto c2 = std::make_unique<Client> (s.port);
  register_as (producer, R"(["producer"])");
  const std::string s1 = start_session (c1, producer), s2 = start_session (*c2, producer);
  c2->close ();
  g_assert_cmpstr (str (producer.expect ("endSession"), "sessionId"), ==, s2.c_str ());
  producer.close ();
  g_assert_cmpstr (str (c1.expect ("endSession"), "sessionId"), ==, s1.c_str ());
  g_assert_cmpuint (s.server->router ().session_count (), ==, 0);
}

/* ---- bad input ---------------------------------------------------------------------------- */

static void
test_bad_input_errors_and_others_untouched ()
{
  Standalone s;
  Client producer (s.port), bystander (s.port), bad (s.port);
  register_as (producer, R"(["producer"])");
  const std::string sid = start_session (bystander, producer);
  const std::string big (70000, 'x');
  struct
  {
    std::string text;
    const char *fragment;
  } cases[] = {
    { "{not json", "not valid JSON" },
    { "12", "must be a JSON object" },
    { R"({"type":"hello"})", "unknown message type 'hello'" },
    { R"({"type":"setPeerStatus","roles":["producer","consumer"]})", "cannot be held together" },
    { R"({"type":"setPeerStatus","roles":["admin"]})", "unknown role 'admin'" },
    { R"({"type":"startSession","peerId":"ghost"})", "unknown peer 'ghost'" },
    { rtc::proto::request_session (bystander.peer_id, std::nullopt),
      "is neither a producer nor a consumer" },
    { rtc::proto::peer_sdp (sid, { "offer", "v=0" }), "not part of session" },
    { R"({"type":"list","pad":")" + big + "\"}", "bytes (limit 65536)" },
  };
  for (const auto &tc : cases)
    {
      bad.send (tc.text);
      bad.expect_error (tc.fragment);
    }
  /* The session next door still works, and nobody else heard anything. */
  producer.send (rtc::proto::peer_sdp (sid, { "offer", "still here" }));
  expect_sdp (bystander, sid, "offer", "still here");
  g_assert_true (producer.idle (50));
  g_assert_false (bad.closed ());
}

/* Rule: a consumer offers inside startSession only; a 'peer' offer from the session's consumer
 * is refused (the producer would otherwise see two offers), the session stays. */
static void
test_consumer_offer_outside_start_session_refused ()
{
  Standalone s;
  Client producer (s.port), consumer (s.port);
  register_as (producer, R"(["producer"])");
  const std::string sid = start_session (consumer, producer);
  consumer.send (rtc::proto::peer_sdp (sid, { "offer", "v=0 sneaky" }));
  consumer.expect_error ("a consumer sends its offer in 'startSession'");
  g_assert_true (producer.idle (50));
  /* Answers and candidates from the consumer still pass. */
  consumer.send (rtc::proto::peer_sdp (sid, { "answer", "v=0 fine" }));
  expect_sdp (producer, sid, "answer", "v=0 fine");
}

static void
test_oversized_frame_closes_only_that_peer ()
{
  rtc::signaling::ServerConfig config;
  config.limits.max_message_size = 1024;
  Standalone s (config);
  Client producer (s.port), consumer (s.port), huge (s.port);
  register_as (producer, R"(["producer"])");
  const std::string sid = start_session (consumer, producer);
  /* Over max + 16 KiB: libsoup 3.2 drops that connection (a close frame with 1009 at best). */
  huge.send (R"({"type":"list","pad":")" + std::string (64 * 1024, 'y') + "\"}");
  g_assert_true (wait_until ([&] { return huge.closed (); }));
  g_assert_true (huge.close_code () == 0 || huge.close_code () == SOUP_WEBSOCKET_CLOSE_TOO_BIG);
  producer.send (rtc::proto::peer_ice (sid, { "candidate:x", 0 }));
  expect_ice (consumer, sid, "candidate:x", 0);
}

static void
test_flood_is_throttled_others_untouched ()
{
  rtc::signaling::ServerConfig config;
  config.limits.max_messages_per_second = 50;
  Standalone s (config);
  Client producer (s.port), consumer (s.port), flooder (s.port);
  register_as (producer, R"(["producer"])");
  const std::string sid = start_session (consumer, producer);
  for (int i = 0; i < 500; i++)
    flooder.send (R"({"type":"list"})");
  guint lists = 0, errors = 0;
  while (!flooder.idle (300))
    while (!flooder.idle (0))
      {
        JsonObject *o = flooder.next ();
        if (g_str_equal (str (o, "type"), "list"))
          lists++;
        else
          errors++;
      }
  /* At most 50 a second are served (the run may straddle a few windows), the excess reported. */
  g_assert_cmpuint (errors, >=, 1);
  g_assert_cmpuint (lists, <, 500);
  producer.send (rtc::proto::peer_sdp (sid, { "offer", "unaffected" }));
  expect_sdp (consumer, sid, "offer", "unaffected");
}

/* ---- tokens ------------------------------------------------------------------------------- */

static rtc::signaling::ServerConfig
tokens (const char *producer, const char *consumer)
{
  rtc::signaling::ServerConfig config;
  config.producer_token = producer ? producer : "";
  config.consumer_token = consumer ? consumer : "";
  return config;
}

static void
test_token_missing_or_wrong_gets_401 ()
{
  Standalone s (tokens ("ptok", "ctok"));
  Client none (s.url (), nullptr, SOUP_STATUS_UNAUTHORIZED);
  Client wrong (s.url (), "nope", SOUP_STATUS_UNAUTHORIZED);
  Client wrong_query (s.url ("?token=nope"), nullptr, SOUP_STATUS_UNAUTHORIZED);
  /* A wrong header is not rescued by a right query. */
  Client mixed (s.url ("?token=ctok"), "nope", SOUP_STATUS_UNAUTHORIZED);
  g_assert_cmpuint (s.server->router ().remote_count (), ==, 0);
}

static void
test_tokens_grant_roles ()
{
  Standalone s (tokens ("ptok", "ctok"));
  Client producer (s.url (), "ptok");
  register_as (producer, R"(["producer","listener"])");
  producer.expect ("peerStatusChanged"); /* its own status, as a listener */
  Client consumer (s.url ("?token=ctok"));
  /* The consumer token does not make a producer. */
  register_as (consumer, R"(["producer"])");
  consumer.expect_error ("not allowed to take the role 'producer'");
  consumer.send (R"({"type":"list"})");
  JsonArray *list = json_object_get_array_member (consumer.expect ("list"), "producers");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  start_session (consumer, producer);
}

static void
test_producer_token_only ()
{
  /* Only producing is protected: anyone may watch, nobody may produce without the token. */
  Standalone s (tokens ("ptok", nullptr));
  Client viewer (s.url ());
  register_as (viewer, R"(["producer"])");
  viewer.expect_error ("wrong or missing token");
  viewer.send (R"({"type":"list"})");
  viewer.expect ("list");
}

static void
test_consumer_token_only ()
{
  /* Without the consumer token a peer may produce but not list or start sessions. */
  Standalone s (tokens (nullptr, "ctok"));
  Client producer (s.url ()), anon (s.url ());
  register_as (producer, R"(["producer"])");
  anon.send (R"({"type":"list"})");
  anon.expect_error ("not allowed to list peers");
  anon.send (rtc::proto::request_session (producer.peer_id, std::nullopt));
  anon.expect_error ("not allowed to start sessions");
  register_as (anon, R"(["listener"])");
  anon.expect_error ("not allowed to take the role 'listener'");
  g_assert_true (producer.idle (50));
  Client viewer (s.url (), "ctok");
  start_session (viewer, producer);
}

/* ---- limits and keepalive ----------------------------------------------------------------- */

static void
test_max_peers_gets_503 ()
{
  rtc::signaling::ServerConfig config;
  config.max_peers = 2;
  Standalone s (config);
  auto a = std::make_unique<Client> (s.port);
  Client b (s.port);
  Client refused (s.url (), nullptr, SOUP_STATUS_SERVICE_UNAVAILABLE);
  a->close ();
  g_assert_true (wait_until ([&] { return s.server->router ().remote_count () == 1; }));
  Client c (s.port);
}

/* A client that completes the upgrade and then never answers pings is dropped. */
static void
test_keepalive_drops_silent_peer ()
{
  rtc::signaling::ServerConfig config;
  config.keepalive_interval = 1;
  Standalone s (config);
  Client listener (s.port);
  register_as (listener, R"(["listener"])");
  listener.expect ("peerStatusChanged");

  g_autoptr (GSocketClient) sc = g_socket_client_new ();
  g_autoptr (GError) err = nullptr;
  g_autoptr (GSocketConnection) raw
      = g_socket_client_connect_to_host (sc, ("127.0.0.1:" + std::to_string (s.port)).c_str (),
                                         0, nullptr, &err);
  g_assert_no_error (err);
  const std::string req = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (raw));
  g_output_stream_write_all (out, req.data (), req.size (), nullptr, nullptr, &err);
  g_assert_no_error (err);
  g_assert_true (wait_until ([&] { return s.server->router ().remote_count () == 2; }));
  /* 3 intervals of silence (we never read, so never pong), checked every interval. */
  g_assert_true (wait_until ([&] { return s.server->router ().remote_count () == 1; }, 6000));
  /* The answering client survives, and hears that the silent one left. */
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (listener.expect ("peerStatusChanged"), "roles")),
                    ==, 0);
  listener.send (R"({"type":"list"})");
  listener.expect ("list");
}

/* ---- HTTP --------------------------------------------------------------------------------- */

static std::string
http_get (guint port, const char *path, guint *status, std::string *cookie = nullptr)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  struct Result
  {
    GBytes *body = nullptr;
    bool done = false;
  } r;
  soup_session_send_and_read_async (
      session, msg, G_PRIORITY_DEFAULT, nullptr,
      [] (GObject *src, GAsyncResult *res, gpointer data) {
        auto *out = static_cast<Result *> (data);
        out->body = soup_session_send_and_read_finish (SOUP_SESSION (src), res, nullptr);
        out->done = true;
      },
      &r);
  g_assert_true (wait_until ([&] { return r.done; }));
  GBytes *body = r.body;
  *status = soup_message_get_status (msg);
  if (cookie)
    {
      const char *c = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Set-Cookie");
      *cookie = c ? c : "";
    }
  gsize len = 0;
  const char *data = body ? static_cast<const char *> (g_bytes_get_data (body, &len)) : "";
  std::string text (data, len);
  if (body)
    g_bytes_unref (body);
  return text;
}

static void
test_pages ()
{
  Standalone s (tokens (nullptr, "ctok"));
  guint status = 0;
  std::string cookie;
  g_assert_nonnull (strstr (http_get (s.port, "/", &status).c_str (), "live producers"));
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (http_get (s.port, "/?producer=abc", &status).c_str (), "rtckit.js"));
  g_assert_nonnull (strstr (http_get (s.port, "/view", &status).c_str (), "rtckit.js"));
  http_get (s.port, "/rtckit.js", &status);
  g_assert_cmpuint (status, ==, 200);
  /* A page opened with the right token hands it to its WebSocket as a cookie; a wrong one not. */
  http_get (s.port, "/?producer=abc&token=ctok", &status, &cookie);
  g_assert_true (g_str_has_prefix (cookie.c_str (), "rtckit-token=ctok;"));
  http_get (s.port, "/?token=bad", &status, &cookie);
  g_assert_cmpstr (cookie.c_str (), ==, "");
}

/* ---- the program -------------------------------------------------------------------------- */

static const char *
server_binary ()
{
  const char *path = g_getenv ("RTCKIT_SIGNALLING_SERVER");
  if (!path)
    g_test_skip ("RTCKIT_SIGNALLING_SERVER is not set");
  return path;
}

static void
test_program_sigterm_closes_and_exits_0 ()
{
  const char *bin = server_binary ();
  if (!bin)
    return;
  const char *argv[] = { bin, "--address", "127.0.0.1:0", nullptr };
  g_autoptr (GError) err = nullptr;
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* A test that aborts must not leave the server behind. */
  g_subprocess_launcher_set_child_setup (
      launcher, [] (gpointer) { prctl (PR_SET_PDEATHSIG, SIGKILL); }, nullptr, nullptr);
  g_autoptr (GSubprocess) proc = g_subprocess_launcher_spawnv (launcher, argv, &err);
  g_assert_no_error (err);
  g_autoptr (GDataInputStream) out
      = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  g_autofree gchar *line = g_data_input_stream_read_line (out, nullptr, nullptr, &err);
  g_assert_no_error (err);
  g_assert_nonnull (line);
  const char *ws = strstr (line, "ws://127.0.0.1:");
  g_assert_nonnull (ws);
  const guint port = static_cast<guint> (g_ascii_strtoull (ws + strlen ("ws://127.0.0.1:"),
                                                           nullptr, 10));
  Client producer (port), consumer (port);
  register_as (producer, R"(["producer"])");
  start_session (consumer, producer);

  g_subprocess_send_signal (proc, SIGTERM);
  g_assert_true (wait_until ([&] { return producer.closed () && consumer.closed (); }));
  g_assert_cmpuint (producer.close_code (), ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  /* (libsoup 3.2 hands the client a dangling close reason: only the code is checked.) */
  bool exited = false;
  g_subprocess_wait_async (
      proc, nullptr,
      [] (GObject *, GAsyncResult *, gpointer data) { *static_cast<bool *> (data) = true; },
      &exited);
  g_assert_true (wait_until ([&] { return exited; }));
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/signaling/standalone/flow/welcome", test_flow_welcome);
  g_test_add_func ("/signaling/standalone/flow/peer-status-list-list-consumers",
                   test_flow_peer_status_list_and_list_consumers);
  g_test_add_func ("/signaling/standalone/flow/session-producer-offers",
                   test_flow_session_producer_offers);
  g_test_add_func ("/signaling/standalone/flow/session-consumer-offers",
                   test_flow_session_consumer_offers);
  g_test_add_func ("/signaling/standalone/flow/many-sessions-one-producer",
                   test_flow_many_sessions_one_producer);
  g_test_add_func ("/signaling/standalone/flow/socket-close-ends-sessions",
                   test_flow_socket_close_ends_sessions);
  g_test_add_func ("/signaling/standalone/bad/errors-others-untouched",
                   test_bad_input_errors_and_others_untouched);
  g_test_add_func ("/signaling/standalone/bad/consumer-offer-outside-start-session",
                   test_consumer_offer_outside_start_session_refused);
  g_test_add_func ("/signaling/standalone/bad/oversized-frame", test_oversized_frame_closes_only_that_peer);
  g_test_add_func ("/signaling/standalone/bad/flood", test_flood_is_throttled_others_untouched);
  g_test_add_func ("/signaling/standalone/auth/missing-or-wrong-401",
                   test_token_missing_or_wrong_gets_401);
  g_test_add_func ("/signaling/standalone/auth/tokens-grant-roles", test_tokens_grant_roles);
  g_test_add_func ("/signaling/standalone/auth/producer-token-only", test_producer_token_only);
  g_test_add_func ("/signaling/standalone/auth/consumer-token-only", test_consumer_token_only);
  g_test_add_func ("/signaling/standalone/limits/max-peers-503", test_max_peers_gets_503);
  g_test_add_func ("/signaling/standalone/limits/keepalive-drops-silent-peer",
                   test_keepalive_drops_silent_peer);
  g_test_add_func ("/signaling/standalone/http/pages", test_pages);
  g_test_add_func ("/signaling/standalone/program/sigterm", test_program_sigterm_closes_and_exits_0);
  return g_test_run ();
}
