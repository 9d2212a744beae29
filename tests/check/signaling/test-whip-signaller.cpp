/* RtcWhipSignaller against a SoupServer on 127.0.0.1 (port 0) playing the WHIP server: the POST
 * with candidates in the offer, 201 + Location + Link + answer, trickle PATCH accepted and
 * refused, DELETE on stop and on end_session, a wrong token, an unreachable endpoint with
 * retries, Link header parsing.
 *
 * The signaller runs its own thread; the server runs on the test thread's default context. */
#include "rtc-embedded-signaller.h"
#include "rtc-whip-signaller.h"
#include "ws-client.h"

#include <gio/gio.h>

#include <string>
#include <vector>

#define OFFER                                                                                    \
  "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE video0 audio1\r\n"             \
  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:UFRAG\r\n"                 \
  "a=ice-pwd:PASSWORD\r\na=mid:video0\r\na=sendonly\r\n"                                         \
  "m=audio 9 UDP/TLS/RTP/SAVPF 97\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:UFRAG\r\n"                 \
  "a=ice-pwd:PASSWORD\r\na=mid:audio1\r\na=sendonly\r\n"
#define ANSWER "v=0\r\no=- 2 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define CAND1 "candidate:1 1 UDP 2122260223 127.0.0.1 50000 typ host"
#define CAND2 "candidate:2 1 UDP 2122260222 127.0.0.1 50002 typ host"

struct Hit
{
  std::string method, path, auth, type, if_match, body;
};

struct WhipServer
{
  SoupServer *server = soup_server_new (nullptr, nullptr);
  guint port = 0;
  std::vector<Hit> hits;
  std::string token = "good";
  guint post_status = SOUP_STATUS_CREATED;
  guint patch_status = SOUP_STATUS_NO_CONTENT;

  WhipServer ()
  {
    soup_server_add_handler (server, "/whip", handle, this, nullptr);
    port = listen_on_loopback (server);
  }
  ~WhipServer () { g_object_unref (server); }

  std::string url (const char *path = "/whip/endpoint/cam") const
  {
    return "http://127.0.0.1:" + std::to_string (port) + path;
  }
  gsize count (const char *method) const
  {
    gsize n = 0;
    for (const auto &h : hits)
      n += h.method == method;
    return n;
  }
  const Hit &last (const char *method) const
  {
    for (auto it = hits.rbegin (); it != hits.rend (); ++it)
      if (it->method == method)
        return *it;
    g_error ("no %s request", method);
  }

  static void
  handle (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *, gpointer data)
  {
    auto *self = static_cast<WhipServer *> (data);
    SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
    SoupMessageBody *body = soup_server_message_get_request_body (msg);
    const char *auth = soup_message_headers_get_one (req, "Authorization");
    const char *type = soup_message_headers_get_content_type (req, nullptr);
    const char *if_match = soup_message_headers_get_one (req, "If-Match");
    Hit hit{ soup_server_message_get_method (msg), path, auth ? auth : "", type ? type : "",
             if_match ? if_match : "", std::string (body->data ? body->data : "", body->length) };
    self->hits.push_back (hit);
    SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
    if (hit.auth != "Bearer " + self->token)
      {
        soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, nullptr);
        soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, "bad token", 9);
        return;
      }
    if (hit.method == "POST")
      {
        if (self->post_status != SOUP_STATUS_CREATED)
          {
            soup_server_message_set_status (msg, self->post_status, nullptr);
            return;
          }
        soup_message_headers_append (resp, "Location", "/whip/resource/cam");
        soup_message_headers_append (resp, "ETag", "\"e1\"");
        soup_message_headers_append (resp, "Link", "<stun:127.0.0.1:3478>; rel=\"ice-server\"");
        soup_message_headers_append (resp, "Link",
                                     "<turn:127.0.0.1:3478?transport=udp>; rel=\"ice-server\"; "
                                     "username=\"u@x\"; credential=\"p:w\"; "
                                     "credential-type=\"password\"");
        soup_server_message_set_status (msg, SOUP_STATUS_CREATED, nullptr);
        soup_server_message_set_response (msg, "application/sdp", SOUP_MEMORY_COPY, ANSWER,
                                          strlen (ANSWER));
        return;
      }
    if (hit.method == "PATCH")
      {
        soup_message_headers_append (resp, "ETag", "\"e2\"");
        soup_server_message_set_status (msg, self->patch_status, nullptr);
        return;
      }
    soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
  }
};

static RtcWhipSignaller *
make (const std::string &uri, const char *token, guint gather_ms = 1000, guint retries = 0)
{
  return RTC_WHIP_SIGNALLER (g_object_new (RTC_TYPE_WHIP_SIGNALLER, "uri", uri.c_str (),
                                           "auth-token", token, "gather-timeout", gather_ms,
                                           "retries", retries, "timeout", 2000, nullptr));
}

/* start -> session-requested; offer + candidates + end-of-candidates -> one POST carrying them;
 * 201 -> answer, resource-url, ice-servers; stop -> DELETE of the resource. */
static void
test_publish (void)
{
  WhipServer srv;
  RtcWhipSignaller *sig = make (srv.url (), "good");
  Recorder rec;
  rec.connect (sig);
  g_autoptr (GError) err = nullptr;
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), &err));
  Event req = rec.wait (0);
  g_assert_cmpstr (req.name.c_str (), ==, "session-requested");
  g_assert_cmpstr (req.a.c_str (), ==, "whip");
  g_assert_false (req.has_b);
  const std::string sid = req.session;

  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), sid.c_str (), "offer", OFFER);
  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 0, CAND1);
  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 1, CAND2);
  /* Not POSTed before the end of candidates (gather-timeout is 1 s). */
  wait_until ([] { return false; }, 100);
  g_assert_cmpuint (srv.count ("POST"), ==, 0);
  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 0, "");

  Event answer = rec.wait (1);
  g_assert_cmpstr (answer.name.c_str (), ==, "sdp");
  g_assert_cmpstr (answer.session.c_str (), ==, sid.c_str ());
  g_assert_cmpstr (answer.a.c_str (), ==, "answer");
  g_assert_cmpstr (answer.b.c_str (), ==, ANSWER);
  const Hit &post = srv.last ("POST");
  g_assert_cmpstr (post.path.c_str (), ==, "/whip/endpoint/cam");
  g_assert_cmpstr (post.type.c_str (), ==, "application/sdp");
  /* Each candidate in its own m-section, before the next m-line. */
  const size_t c1 = post.body.find ("a=" CAND1 "\r\n"), c2 = post.body.find ("a=" CAND2 "\r\n");
  const size_t m2 = post.body.find ("m=audio");
  g_assert_true (c1 != std::string::npos && c2 != std::string::npos);
  g_assert_cmpuint (c1, <, m2);
  g_assert_cmpuint (c2, >, m2);
  g_assert_nonnull (strstr (post.body.c_str (), "a=end-of-candidates\r\n"));

  g_autofree gchar *resource = nullptr;
  g_auto (GStrv) servers = nullptr;
  g_object_get (sig, "resource-url", &resource, "ice-servers", &servers, nullptr);
  const std::string expected = srv.url ("/whip/resource/cam");
  g_assert_cmpstr (resource, ==, expected.c_str ());
  g_assert_cmpuint (g_strv_length (servers), ==, 2);
  g_assert_cmpstr (servers[0], ==, "stun://127.0.0.1:3478");
  g_assert_cmpstr (servers[1], ==, "turn://u%40x:p%3Aw@127.0.0.1:3478?transport=udp");

  /* stop() waits for the DELETE: the server thread is ours, so let it run meanwhile. */
  GThread *stopper = g_thread_new ("stop", [] (gpointer s) -> gpointer {
    rtc_signaller_stop (RTC_SIGNALLER (s));
    return nullptr;
  }, sig);
  g_assert_true (wait_until ([&] { return srv.count ("DELETE") == 1; }));
  g_thread_join (stopper);
  g_assert_cmpstr (srv.last ("DELETE").path.c_str (), ==, "/whip/resource/cam");
  g_assert_cmpstr (srv.last ("DELETE").auth.c_str (), ==, "Bearer good");
  g_assert_cmpuint (rec.count (), ==, 2);
  g_object_unref (sig);
}

/* gather-timeout: the POST goes out without end-of-candidates; later candidates are PATCHed as
 * trickle-ice-sdpfrag with If-Match; end_session DELETEs. */
static void
test_trickle (void)
{
  WhipServer srv;
  RtcWhipSignaller *sig = make (srv.url (), "good", 50);
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  const std::string sid = rec.wait (0).session;
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), sid.c_str (), "offer", OFFER);
  const Event answered = rec.wait (1);
  g_assert_cmpstr (answered.name.c_str (), ==, "sdp");
  g_assert_null (strstr (srv.last ("POST").body.c_str (), "a=candidate"));
  g_assert_null (strstr (srv.last ("POST").body.c_str (), "end-of-candidates"));

  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 0, CAND1);
  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 0, CAND2);
  g_assert_true (wait_until ([&] { return srv.count ("PATCH") >= 1; }));
  wait_until ([] { return false; }, 100);
  g_assert_cmpuint (srv.count ("PATCH"), ==, 1); /* batched */
  const Hit &patch = srv.last ("PATCH");
  g_assert_cmpstr (patch.path.c_str (), ==, "/whip/resource/cam");
  g_assert_cmpstr (patch.type.c_str (), ==, "application/trickle-ice-sdpfrag");
  g_assert_cmpstr (patch.if_match.c_str (), ==, "\"e1\"");
  g_assert_cmpstr (patch.body.c_str (), ==,
                   "a=ice-ufrag:UFRAG\r\na=ice-pwd:PASSWORD\r\n"
                   "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:video0\r\n"
                   "a=" CAND1 "\r\na=" CAND2 "\r\n");

  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 0, "");
  g_assert_true (wait_until ([&] { return srv.count ("PATCH") == 2; }));
  g_assert_nonnull (strstr (srv.last ("PATCH").body.c_str (), "a=end-of-candidates"));
  g_assert_cmpstr (srv.last ("PATCH").if_match.c_str (), ==, "\"e2\"");

  rtc_signaller_end_session (RTC_SIGNALLER (sig), sid.c_str (), "bye");
  g_assert_true (wait_until ([&] { return srv.count ("DELETE") == 1; }));
  rtc_signaller_stop (RTC_SIGNALLER (sig));
  g_assert_cmpuint (srv.count ("DELETE"), ==, 1);
  g_object_unref (sig);
}

/* A 405 to the first PATCH stops trickling for the session. */
static void
test_trickle_refused (void)
{
  WhipServer srv;
  srv.patch_status = SOUP_STATUS_METHOD_NOT_ALLOWED;
  RtcWhipSignaller *sig = make (srv.url (), "good", 0);
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  const std::string sid = rec.wait (0).session;
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), sid.c_str (), "offer", OFFER);
  rec.wait (1);
  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 0, CAND1);
  g_assert_true (wait_until ([&] { return srv.count ("PATCH") == 1; }));
  wait_until ([] { return false; }, 100);
  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 0, CAND2);
  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 0, "");
  wait_until ([] { return false; }, 200);
  g_assert_cmpuint (srv.count ("PATCH"), ==, 1);
  g_assert_cmpuint (rec.count (), ==, 2); /* no error for a refused trickle */
  GThread *stopper = g_thread_new ("stop", [] (gpointer s) -> gpointer {
    rtc_signaller_stop (RTC_SIGNALLER (s));
    return nullptr;
  }, sig);
  g_assert_true (wait_until ([&] { return srv.count ("DELETE") == 1; }));
  g_thread_join (stopper);
  g_object_unref (sig);
}

/* 401: the error names the endpoint and the status; nothing to DELETE. */
static void
test_wrong_token (void)
{
  WhipServer srv;
  RtcWhipSignaller *sig = make (srv.url (), "bad", 0);
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  const std::string sid = rec.wait (0).session;
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), sid.c_str (), "offer", OFFER);
  Event e = rec.wait (1);
  g_assert_cmpstr (e.name.c_str (), ==, "error");
  g_assert_nonnull (strstr (e.a.c_str (), srv.url ().c_str ()));
  g_assert_nonnull (strstr (e.a.c_str (), "HTTP 401"));
  g_assert_cmpuint (srv.count ("POST"), ==, 1);
  rtc_signaller_stop (RTC_SIGNALLER (sig));
  g_assert_cmpuint (srv.count ("DELETE"), ==, 0);
  g_object_unref (sig);
}

/* Connection refused, retries=1: two attempts, then an error naming the URL. */
static void
test_unreachable (void)
{
  guint port;
  {
    WhipServer srv; /* a port that was free a moment ago and is closed now */
    port = srv.port;
  }
  const std::string url = "http://127.0.0.1:" + std::to_string (port) + "/whip/endpoint/x";
  RtcWhipSignaller *sig = make (url, nullptr, 0, 1);
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  const std::string sid = rec.wait (0).session;
  const gint64 t0 = g_get_monotonic_time ();
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), sid.c_str (), "offer", OFFER);
  Event e = rec.wait (1);
  g_assert_cmpstr (e.name.c_str (), ==, "error");
  g_assert_nonnull (strstr (e.a.c_str (), url.c_str ()));
  g_assert_nonnull (strstr (e.a.c_str (), "after 2 attempts"));
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 900 * 1000); /* the retry waited 1 s */
  rtc_signaller_stop (RTC_SIGNALLER (sig));
  g_object_unref (sig);
}

static void
test_bad_uri (void)
{
  for (const char *uri : { "", "ws://127.0.0.1:1/ws", "http://", "not a url" })
    {
      RtcWhipSignaller *sig = make (uri, nullptr);
      g_autoptr (GError) err = nullptr;
      g_assert_false (rtc_signaller_start (RTC_SIGNALLER (sig), &err));
      g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_object_unref (sig);
    }
}

static void
test_link_parsing (void)
{
  g_auto (GStrv) a = rtc_whip_parse_ice_servers (
      "<stun:stun.example.net>; rel=\"ice-server\", <https://x/y>; rel=\"next\", "
      "<turns:t.example.net:5349?transport=tcp>; rel=ice-server; username=\"a,b\"; "
      "credential=\"c d\", <turn:t2>;rel=\"ice-server\"");
  g_assert_cmpuint (g_strv_length (a), ==, 3);
  g_assert_cmpstr (a[0], ==, "stun://stun.example.net");
  g_assert_cmpstr (a[1], ==, "turns://a%2Cb:c%20d@t.example.net:5349?transport=tcp");
  g_assert_cmpstr (a[2], ==, "turn://t2");
  g_auto (GStrv) none = rtc_whip_parse_ice_servers (nullptr);
  g_assert_cmpuint (g_strv_length (none), ==, 0);
  g_auto (GStrv) junk = rtc_whip_parse_ice_servers ("<<<;;;==\"\", >; rel=ice-server, <:>");
  g_assert_nonnull (junk);
}

static void
test_sdp_add_candidates (void)
{
  const guint mlines[] = { 1 };
  const gchar *cands[] = { CAND1, nullptr };
  g_autofree gchar *out = rtc_whip_sdp_add_candidates ("v=0\nm=video 9 X 96\na=mid:0\nm=audio 9 X 97\n",
                                                       mlines, cands, FALSE);
  g_assert_cmpstr (out, ==, "v=0\r\nm=video 9 X 96\r\na=mid:0\r\nm=audio 9 X 97\r\na=" CAND1 "\r\n");
}

/* Our WHIP client against our WHIP server: RtcWhipSignaller publishing to the /whip of an
 * RtcEmbeddedSignaller in the consumer role (rtcingestsrc's), both on their own threads, the
 * test playing both elements. */
static void
test_against_our_own_whip_endpoint (void)
{
  RtcEmbeddedSignaller *server = RTC_EMBEDDED_SIGNALLER (
      g_object_new (RTC_TYPE_EMBEDDED_SIGNALLER, "address", "127.0.0.1:0", "role",
                    RTC_SIGNALLER_ROLE_CONSUMER, "auth-token", "good", nullptr));
  Recorder srec;
  srec.connect (server);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (server), nullptr));
  guint port = 0;
  g_object_get (server, "port", &port, nullptr);

  const std::string url = "http://127.0.0.1:" + std::to_string (port) + "/whip";
  RtcWhipSignaller *client = make (url, "good", 50);
  Recorder crec;
  crec.connect (client);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (client), nullptr));
  const std::string csid = crec.wait (0).session;

  /* The publisher offers with one candidate; the gather timeout sends it. */
  rtc_signaller_send_sdp (RTC_SIGNALLER (client), csid.c_str (), "offer", OFFER);
  rtc_signaller_send_ice (RTC_SIGNALLER (client), csid.c_str (), 0, CAND1);
  Event req = srec.wait (0);
  g_assert_cmpstr (req.name.c_str (), ==, "session-requested");
  g_assert_false (req.has_b);
  const std::string ssid = req.session;
  Event offer = srec.wait (1);
  g_assert_cmpstr (offer.name.c_str (), ==, "sdp");
  g_assert_cmpstr (offer.a.c_str (), ==, "offer");
  g_assert_nonnull (strstr (offer.b.c_str (), "a=" CAND1 "\r\n"));

  /* The ingest answers with a candidate and its end of candidates: the 201 carries both. */
  rtc_signaller_send_sdp (RTC_SIGNALLER (server), ssid.c_str (), "answer",
                          ANSWER "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:video0\r\n"
                                 "m=audio 9 UDP/TLS/RTP/SAVPF 97\r\na=mid:audio1\r\n");
  rtc_signaller_send_ice (RTC_SIGNALLER (server), ssid.c_str (), 1, CAND2);
  rtc_signaller_send_ice (RTC_SIGNALLER (server), ssid.c_str (), 0, "");
  Event answer = crec.wait (1);
  g_assert_cmpstr (answer.name.c_str (), ==, "sdp");
  g_assert_cmpstr (answer.a.c_str (), ==, "answer");
  const size_t c2 = answer.b.find ("a=" CAND2 "\r\n"), m2 = answer.b.find ("m=audio");
  g_assert_true (c2 != std::string::npos && m2 != std::string::npos);
  g_assert_cmpuint (c2, >, m2);
  g_assert_nonnull (strstr (answer.b.c_str (), "a=end-of-candidates"));

  /* A later candidate and the end of gathering go out as a PATCH and reach the ingest. */
  rtc_signaller_send_ice (RTC_SIGNALLER (client), csid.c_str (), 1, CAND2);
  rtc_signaller_send_ice (RTC_SIGNALLER (client), csid.c_str (), 0, "");
  g_assert_true (wait_until ([&] {
    std::lock_guard l (srec.lock);
    gsize ends = 0;
    for (const auto &e : srec.events)
      ends += e.name == "ice" && e.a.empty ();
    return ends == 2;
  }));
  {
    std::lock_guard l (srec.lock);
    bool cand = false;
    for (const auto &e : srec.events)
      cand = cand || (e.name == "ice" && e.a == CAND2 && e.n == 1 && e.session == ssid);
    g_assert_true (cand);
  }

  /* The publisher ends: DELETE, and the ingest hears of it. */
  rtc_signaller_end_session (RTC_SIGNALLER (client), csid.c_str (), nullptr);
  g_assert_true (wait_until ([&] {
    std::lock_guard l (srec.lock);
    return srec.events.back ().name == "session-ended";
  }));
  const Event ended = srec.wait (srec.count () - 1);
  g_assert_cmpstr (ended.session.c_str (), ==, ssid.c_str ());
  {
    std::lock_guard l (crec.lock);
    for (const auto &e : crec.events)
      g_assert_cmpstr (e.name.c_str (), !=, "error");
  }
  rtc_signaller_stop (RTC_SIGNALLER (client));
  g_object_unref (client);
  rtc_signaller_stop (RTC_SIGNALLER (server));
  g_object_unref (server);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/whip-signaller/publish", test_publish);
  g_test_add_func ("/whip-signaller/trickle", test_trickle);
  g_test_add_func ("/whip-signaller/trickle-refused", test_trickle_refused);
  g_test_add_func ("/whip-signaller/wrong-token", test_wrong_token);
  g_test_add_func ("/whip-signaller/unreachable", test_unreachable);
  g_test_add_func ("/whip-signaller/bad-uri", test_bad_uri);
  g_test_add_func ("/whip-signaller/link-parsing", test_link_parsing);
  g_test_add_func ("/whip-signaller/sdp-add-candidates", test_sdp_add_candidates);
  g_test_add_func ("/whip-signaller/against-our-own-whip-endpoint",
                   test_against_our_own_whip_endpoint);
  return g_test_run ();
}
