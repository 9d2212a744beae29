/* RtcWsSignaller against the real rtckit-signalling-server program (RTCKIT_SIGNALLING_SERVER)
 * on 127.0.0.1: producer and consumer roles, start() failures, reconnect after the server is
 * killed and restarted on the same port, and wss:// with a certificate made at test time.
 *
 * The signaller runs its own thread; raw clients run on the test thread's default context. */
#include "rtc-ws-signaller.h"
#include "protocol.h"
#include "ws-client.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <memory>
#include <signal.h>
#include <sys/prctl.h>
#include <vector>

/* ---- the server program ------------------------------------------------------------------- */

class ServerProcess
{
public:
  /* Starts the program on @port (0: a free one) with @extra arguments; waits until it listens. */
  explicit ServerProcess (guint port = 0, std::vector<std::string> extra = {})
  {
    const char *bin = g_getenv ("RTCKIT_SIGNALLING_SERVER");
    g_assert_nonnull (bin);
    std::vector<const char *> argv = { bin, "--address" };
    const std::string address = "127.0.0.1:" + std::to_string (port);
    argv.push_back (address.c_str ());
    for (const auto &a : extra)
      argv.push_back (a.c_str ());
    argv.push_back (nullptr);
    g_autoptr (GError) err = nullptr;
    /* The port of a killed server can take a moment to be free for a new listener. */
    for (int tries = 0; tries < 20; tries++)
      {
        g_autoptr (GSubprocessLauncher) launcher
            = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
        /* A test that aborts must not leave servers behind. */
        g_subprocess_launcher_set_child_setup (
            launcher, [] (gpointer) { prctl (PR_SET_PDEATHSIG, SIGKILL); }, nullptr, nullptr);
        proc_ = g_subprocess_launcher_spawnv (launcher, argv.data (), &err);
        g_assert_no_error (err);
        g_autoptr (GDataInputStream) out
            = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc_));
        g_autofree gchar *line = g_data_input_stream_read_line (out, nullptr, nullptr, nullptr);
        const char *ws = line ? strstr (line, "://127.0.0.1:") : nullptr;
        if (ws)
          {
            port_ = static_cast<guint> (
                g_ascii_strtoull (ws + strlen ("://127.0.0.1:"), nullptr, 10));
            return;
          }
        g_subprocess_wait (proc_, nullptr, nullptr);
        g_clear_object (&proc_);
        g_usleep (100 * 1000);
      }
    g_error ("rtckit-signalling-server did not start on %s", address.c_str ());
  }
  ~ServerProcess () { kill (); }
  void
  kill ()
  {
    if (!proc_)
      return;
    g_subprocess_force_exit (proc_);
    g_subprocess_wait (proc_, nullptr, nullptr);
    g_clear_object (&proc_);
  }
  guint
  port () const
  {
    return port_;
  }
  std::string
  url (const char *scheme = "ws") const
  {
    return std::string (scheme) + "://127.0.0.1:" + std::to_string (port_) + "/ws";
  }

private:
  GSubprocess *proc_ = nullptr;
  guint port_ = 0;
};

/* ---- signaller fixture -------------------------------------------------------------------- */

struct Sig
{
  RtcWsSignaller *sig = nullptr;
  Recorder rec;

  explicit Sig (const std::string &uri, RtcSignallerRole role = RTC_SIGNALLER_ROLE_PRODUCER)
  {
    sig = RTC_WS_SIGNALLER (g_object_new (RTC_TYPE_WS_SIGNALLER, "uri", uri.c_str (), "role",
                                          role, "timeout", 2000, nullptr));
    rec.connect (sig);
  }
  ~Sig ()
  {
    rtc_signaller_stop (s ());
    g_object_unref (sig);
  }
  RtcSignaller *
  s ()
  {
    return RTC_SIGNALLER (sig);
  }
  void
  start ()
  {
    g_autoptr (GError) err = nullptr;
    if (!rtc_signaller_start (s (), &err))
      g_error ("start failed: %s", err->message);
  }
  bool
  connected ()
  {
    gboolean c = FALSE;
    g_object_get (sig, "connected", &c, nullptr);
    return c;
  }
  std::string
  peer_id ()
  {
    g_autofree gchar *id = nullptr;
    g_object_get (sig, "peer-id", &id, nullptr);
    return id ? id : "";
  }
};

/* Lists producers from @c until @id shows up (setPeerStatus travels separately). */
static JsonObject *
wait_listed (Client &c, const std::string &id)
{
  for (int i = 0; i < 50; i++)
    {
      c.send (R"({"type":"list"})");
      JsonArray *a = json_object_get_array_member (c.expect ("list"), "producers");
      for (guint j = 0; j < json_array_get_length (a); j++)
        if (id == str (json_array_get_object_element (a, j), "id"))
          return json_array_get_object_element (a, j);
      c.idle (50);
    }
  g_error ("producer %s never listed", id.c_str ());
}

/* ---- producer role ------------------------------------------------------------------------ */

static void
test_producer_session_requested ()
{
  ServerProcess server;
  Sig p (server.url ());
  g_object_set (p.sig, "meta", R"({"name":"gst"})", nullptr);
  p.start ();
  g_assert_true (p.connected ());
  const std::string pid = p.peer_id ();
  g_assert_true (g_uuid_string_is_valid (pid.c_str ()));

  Client consumer (server.port ());
  JsonObject *listed = wait_listed (consumer, pid);
  g_assert_cmpstr (str (json_object_get_object_member (listed, "meta"), "name"), ==, "gst");
  consumer.send (rtc::proto::request_session (pid, std::nullopt));
  const std::string sid = str (consumer.expect ("sessionStarted"), "sessionId");
  Event e = p.rec.wait (0);
  g_assert_cmpstr (e.name.c_str (), ==, "session-requested");
  g_assert_cmpstr (e.session.c_str (), ==, sid.c_str ());
  g_assert_cmpstr (e.a.c_str (), ==, consumer.peer_id.c_str ());
  g_assert_false (e.has_b);

  rtc_signaller_send_sdp (p.s (), sid.c_str (), "offer", "v=0 gst");
  JsonObject *o = json_object_get_object_member (consumer.expect ("peer"), "sdp");
  g_assert_cmpstr (str (o, "sdp"), ==, "v=0 gst");
  rtc_signaller_send_ice (p.s (), sid.c_str (), 1, "candidate:gst");
  o = json_object_get_object_member (consumer.expect ("peer"), "ice");
  g_assert_cmpstr (str (o, "candidate"), ==, "candidate:gst");

  consumer.send (rtc::proto::peer_sdp (sid, { "answer", "v=0 browser" }));
  e = p.rec.wait (1);
  g_assert_cmpstr (e.name.c_str (), ==, "sdp");
  g_assert_cmpstr (e.a.c_str (), ==, "answer");
  g_assert_cmpstr (e.b.c_str (), ==, "v=0 browser");
  consumer.send (rtc::proto::peer_ice (sid, { "candidate:b", 2 }));
  e = p.rec.wait (2);
  g_assert_cmpstr (e.name.c_str (), ==, "ice");
  g_assert_cmpuint (e.n, ==, 2);

  consumer.send (rtc::proto::request_end_session (sid));
  e = p.rec.wait (3);
  g_assert_cmpstr (e.name.c_str (), ==, "session-ended");
  g_assert_cmpstr (e.session.c_str (), ==, sid.c_str ());
}

static void
test_producer_offer_in_start_session ()
{
  ServerProcess server;
  Sig p (server.url ());
  p.start ();
  Client consumer (server.port ());
  wait_listed (consumer, p.peer_id ());
  consumer.send (rtc::proto::request_session (p.peer_id (), std::string ("v=0 c offer")));
  const std::string sid = str (consumer.expect ("sessionStarted"), "sessionId");
  Event e = p.rec.wait (0);
  g_assert_true (e.has_b);
  g_assert_cmpstr (e.b.c_str (), ==, "v=0 c offer");
  rtc_signaller_send_sdp (p.s (), sid.c_str (), "answer", "v=0 p answer");
  g_assert_cmpstr (
      str (json_object_get_object_member (consumer.expect ("peer"), "sdp"), "type"), ==, "answer");
  /* Ending from our side tells the consumer and is not reported back. */
  rtc_signaller_end_session (p.s (), sid.c_str (), "bye");
  g_assert_cmpstr (str (consumer.expect ("endSession"), "sessionId"), ==, sid.c_str ());
  g_assert_true (consumer.idle (100));
  g_assert_cmpuint (p.rec.count (), ==, 1);
}

/* ---- consumer role ------------------------------------------------------------------------ */

static void
consumer_session (Sig &c, Client &producer, gsize index)
{
  JsonObject *req = producer.expect ("startSession");
  const std::string sid = str (req, "sessionId");
  g_assert_false (json_object_has_member (req, "offer"));
  Event e = c.rec.wait (index);
  g_assert_cmpstr (e.name.c_str (), ==, "session-requested");
  g_assert_cmpstr (e.session.c_str (), ==, sid.c_str ());
  g_assert_cmpstr (e.a.c_str (), ==, producer.peer_id.c_str ());
  g_assert_false (e.has_b);
  producer.send (rtc::proto::peer_sdp (sid, { "offer", "v=0 remote" }));
  e = c.rec.wait (index + 1);
  g_assert_cmpstr (e.name.c_str (), ==, "sdp");
  g_assert_cmpstr (e.a.c_str (), ==, "offer");
  rtc_signaller_send_sdp (c.s (), sid.c_str (), "answer", "v=0 local");
  g_assert_cmpstr (
      str (json_object_get_object_member (producer.expect ("peer"), "sdp"), "sdp"), ==,
      "v=0 local");
}

static void
test_consumer_with_producer_id ()
{
  ServerProcess server;
  Client other (server.port ()), wanted (server.port ());
  other.send (rtc::proto::set_peer_status (rtc::proto::kRoleProducer, "null"));
  wanted.send (rtc::proto::set_peer_status (rtc::proto::kRoleProducer, "null"));
  Client probe (server.port ());
  wait_listed (probe, wanted.peer_id);
  Sig c (server.url (), RTC_SIGNALLER_ROLE_CONSUMER);
  g_object_set (c.sig, "producer-id", wanted.peer_id.c_str (), nullptr);
  c.start ();
  consumer_session (c, wanted, 0);
  g_assert_true (other.idle (100));
}

static void
test_consumer_takes_first_producer_that_appears ()
{
  ServerProcess server;
  Sig c (server.url (), RTC_SIGNALLER_ROLE_CONSUMER);
  c.start ();
  Client producer (server.port ());
  producer.send (rtc::proto::set_peer_status (rtc::proto::kRoleProducer, "null"));
  consumer_session (c, producer, 0);
  /* One session at a time: a second producer is left alone. */
  Client second (server.port ());
  second.send (rtc::proto::set_peer_status (rtc::proto::kRoleProducer, "null"));
  g_assert_true (second.idle (200));
}

static void
test_consumer_accepts_a_session_a_producer_starts ()
{
  ServerProcess server;
  Sig c (server.url (), RTC_SIGNALLER_ROLE_CONSUMER);
  c.start ();
  /* Not announced as a producer, so the consumer does not ask first: the producer starts the
   * session (gstwebrtc-api's createProducerSessionForConsumer) and offers. */
  Client producer (server.port ());
  producer.send (rtc::proto::request_session (c.peer_id (), std::nullopt));
  consumer_session (c, producer, 0);
}

static void
test_consumer_that_ends_a_session_looks_again_a_second_later ()
{
  ServerProcess server;
  Sig c (server.url (), RTC_SIGNALLER_ROLE_CONSUMER);
  c.start ();
  Client producer (server.port ());
  producer.send (rtc::proto::set_peer_status (rtc::proto::kRoleProducer, "null"));
  consumer_session (c, producer, 0);
  const std::string sid = c.rec.wait (0).session;
  rtc_signaller_end_session (c.s (), sid.c_str (), "the pipeline stops");
  g_assert_cmpstr (str (producer.expect ("endSession"), "sessionId"), ==, sid.c_str ());
  /* Not at once: an element ends its sessions right before it stops the signaller. */
  g_assert_true (producer.idle (500));
  JsonObject *again = producer.expect ("startSession");
  const std::string cid = c.peer_id ();
  g_assert_cmpstr (str (again, "peerId"), ==, cid.c_str ());
  g_assert_cmpstr (str (again, "sessionId"), !=, sid.c_str ());
}

/* ---- start() failures --------------------------------------------------------------------- */

static void
test_start_fails_unreachable ()
{
  guint port;
  {
    ServerProcess server; /* a port that was just free, now closed again */
    port = server.port ();
  }
  const std::string uri = "ws://127.0.0.1:" + std::to_string (port) + "/ws";
  Sig s (uri);
  g_autoptr (GError) err = nullptr;
  g_assert_false (rtc_signaller_start (s.s (), &err));
  g_assert_nonnull (err);
  g_assert_nonnull (strstr (err->message, uri.c_str ()));
  g_assert_false (s.connected ());
}

static void
test_start_fails_wrong_token ()
{
  ServerProcess server (0, { "--producer-token", "right" });
  Sig s (server.url ());
  g_object_set (s.sig, "auth-token", "wrong", nullptr);
  g_autoptr (GError) err = nullptr;
  g_assert_false (rtc_signaller_start (s.s (), &err));
  g_assert_nonnull (strstr (err->message, "401"));
  g_assert_nonnull (strstr (err->message, "auth-token"));

  Sig ok (server.url ());
  g_object_set (ok.sig, "auth-token", "right", nullptr);
  ok.start ();
  Client viewer (server.port ());
  wait_listed (viewer, ok.peer_id ());
}

/* ---- reconnect ---------------------------------------------------------------------------- */

static void
test_reconnect_after_server_restart ()
{
  auto server = std::make_unique<ServerProcess> ();
  const guint port = server->port ();
  Sig p (server->url ());
  p.start ();
  const std::string first_id = p.peer_id ();
  std::string old_sid;
  {
    Client consumer (port);
    wait_listed (consumer, first_id);
    consumer.send (rtc::proto::request_session (first_id, std::nullopt));
    old_sid = str (consumer.expect ("sessionStarted"), "sessionId");
    p.rec.wait (0);

    server->kill ();
    g_assert_true (wait_until ([&] { return !p.connected (); }));
    server = std::make_unique<ServerProcess> (port);
  }
  const gint64 restarted = g_get_monotonic_time ();
  g_assert_true (wait_until ([&] { return p.connected (); }, 3000));
  g_test_message ("reconnected %" G_GINT64_FORMAT " ms after the restart",
                  (g_get_monotonic_time () - restarted) / 1000);
  const std::string second_id = p.peer_id ();
  g_assert_cmpstr (second_id.c_str (), !=, first_id.c_str ());

  /* The outage did not end the existing session; its messages now go nowhere, quietly. */
  rtc_signaller_send_sdp (p.s (), old_sid.c_str (), "offer", "late");
  g_assert_cmpuint (p.rec.count (), ==, 1);

  /* Registered again: a new consumer finds it and gets a session. */
  Client consumer (port);
  wait_listed (consumer, second_id);
  consumer.send (rtc::proto::request_session (second_id, std::nullopt));
  const std::string sid = str (consumer.expect ("sessionStarted"), "sessionId");
  Event e = p.rec.wait (1);
  g_assert_cmpstr (e.name.c_str (), ==, "session-requested");
  g_assert_cmpstr (e.session.c_str (), ==, sid.c_str ());
  rtc_signaller_send_sdp (p.s (), sid.c_str (), "offer", "v=0 again");
  g_assert_cmpstr (
      str (json_object_get_object_member (consumer.expect ("peer"), "sdp"), "sdp"), ==,
      "v=0 again");
  g_assert_true (consumer.idle (100)); /* the late message of the old session never arrived */
  for (gsize i = 0; i < p.rec.count (); i++)
    {
      const Event ev = p.rec.wait (i);
      g_assert_cmpstr (ev.name.c_str (), !=, "session-ended");
    }
}

static void
test_consumer_reconnects_and_keeps_its_session ()
{
  auto server = std::make_unique<ServerProcess> ();
  const guint port = server->port ();
  Sig c (server->url (), RTC_SIGNALLER_ROLE_CONSUMER);
  c.start ();
  {
    Client producer (port);
    producer.send (rtc::proto::set_peer_status (rtc::proto::kRoleProducer, "null"));
    consumer_session (c, producer, 0);
    server->kill ();
    server = std::make_unique<ServerProcess> (port);
  }
  g_assert_true (wait_until ([&] { return c.connected (); }, 3000));
  /* It still holds its session, so a producer appearing now is not asked for another. */
  Client producer (port);
  producer.send (rtc::proto::set_peer_status (rtc::proto::kRoleProducer, "null"));
  g_assert_true (producer.idle (300));
  g_assert_cmpuint (c.rec.count (), ==, 2);
}

/* ---- TLS ---------------------------------------------------------------------------------- */

static void
test_wss_with_self_signed_certificate ()
{
  g_autofree gchar *openssl = g_find_program_in_path ("openssl");
  if (!openssl)
    {
      g_test_skip ("openssl is not installed");
      return;
    }
  g_autofree gchar *dir = g_dir_make_tmp ("rtckit-tls-XXXXXX", nullptr);
  const std::string cert = std::string (dir) + "/cert.pem", key = std::string (dir) + "/key.pem";
  const char *argv[] = { openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                         "-subj", "/CN=127.0.0.1", "-addext",
                         "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key.c_str (),
                         "-out", cert.c_str (), nullptr };
  g_autoptr (GError) err = nullptr;
  g_autoptr (GSubprocess) gen = g_subprocess_newv (
      argv, static_cast<GSubprocessFlags> (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                           | G_SUBPROCESS_FLAGS_STDERR_SILENCE),
      &err);
  g_assert_no_error (err);
  g_assert_true (g_subprocess_wait_check (gen, nullptr, &err));

  {
    ServerProcess server (0, { "--cert", cert, "--key", key });
    /* Untrusted certificate: start() fails naming the server. */
    Sig untrusted (server.url ("wss"));
    g_autoptr (GError) e2 = nullptr;
    g_assert_false (rtc_signaller_start (untrusted.s (), &e2));
    g_assert_nonnull (strstr (e2->message, server.url ("wss").c_str ()));

    Sig p (server.url ("wss"));
    g_object_set (p.sig, "ca-file", cert.c_str (), nullptr);
    p.start ();
    g_autoptr (GTlsDatabase) db = g_tls_file_database_new (cert.c_str (), &err);
    g_assert_no_error (err);
    Client consumer (server.url ("wss"), nullptr, 0, db);
    wait_listed (consumer, p.peer_id ());
    consumer.send (rtc::proto::request_session (p.peer_id (), std::nullopt));
    consumer.expect ("sessionStarted");
    const Event e = p.rec.wait (0);
    g_assert_cmpstr (e.name.c_str (), ==, "session-requested");
  }
  g_unlink (cert.c_str ());
  g_unlink (key.c_str ());
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  if (!g_getenv ("RTCKIT_SIGNALLING_SERVER"))
    {
      g_printerr ("RTCKIT_SIGNALLING_SERVER is not set: run through meson test\n");
      return 77;
    }
  g_test_add_func ("/signaling/ws-signaller/producer/session-requested",
                   test_producer_session_requested);
  g_test_add_func ("/signaling/ws-signaller/producer/offer-in-start-session",
                   test_producer_offer_in_start_session);
  g_test_add_func ("/signaling/ws-signaller/consumer/producer-id", test_consumer_with_producer_id);
  g_test_add_func ("/signaling/ws-signaller/consumer/first-producer-that-appears",
                   test_consumer_takes_first_producer_that_appears);
  g_test_add_func ("/signaling/ws-signaller/consumer/session-a-producer-starts",
                   test_consumer_accepts_a_session_a_producer_starts);
  g_test_add_func ("/signaling/ws-signaller/consumer/looks-again-a-second-after-ending",
                   test_consumer_that_ends_a_session_looks_again_a_second_later);
  g_test_add_func ("/signaling/ws-signaller/start/unreachable", test_start_fails_unreachable);
  g_test_add_func ("/signaling/ws-signaller/start/wrong-token", test_start_fails_wrong_token);
  g_test_add_func ("/signaling/ws-signaller/reconnect/server-restart",
                   test_reconnect_after_server_restart);
  g_test_add_func ("/signaling/ws-signaller/reconnect/consumer-keeps-session",
                   test_consumer_reconnects_and_keeps_its_session);
  g_test_add_func ("/signaling/ws-signaller/tls/wss", test_wss_with_self_signed_certificate);
  return g_test_run ();
}
