/* RtcJanusSignaller against a SoupServer on 127.0.0.1 (port 0) playing Janus's HTTP API and its
 * VideoRoom plugin: the publish flow (create, attach, join, publish, answer on the long poll,
 * trickle both ways, leave and destroy), room creation with the offer's codecs, keepalives, and
 * every error path (Janus's error, the VideoRoom's error with retries, unreachable, hangup, a
 * lost session, a bad URI).
 *
 * The signaller runs its own thread; the server runs on the test thread's default context. */
#include "rtc-janus-signaller.h"
#include "ws-client.h"

#include <gio/gio.h>

#include <deque>
#include <string>
#include <vector>

#define OFFER                                                                                      \
  "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE video0 audio1\r\n"              \
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:video0\r\na=sendonly\r\n"        \
  "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"                         \
  "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:audio1\r\na=sendonly\r\n"          \
  "a=rtpmap:111 OPUS/48000/2\r\n"
#define ANSWER "v=0\r\no=- 2 0 IN IP4 10.0.0.2\r\ns=VideoRoom 1234\r\nt=0 0\r\n"
#define CAND1 "candidate:1 1 UDP 2122260223 127.0.0.1 50000 typ host"
#define CAND2 "candidate:2 1 UDP 2122260222 127.0.0.1 50002 typ host"
#define REMOTE_CAND "candidate:9 1 udp 2013266431 10.0.0.2 40000 typ host"

#define SESSION 111
#define HANDLE 222
#define PUBLISHER 333

struct Hit
{
  std::string method, path, verb, request; /* request: the VideoRoom request of a message */
  JsonObject *body = nullptr;              /* owned */
};

static JsonObject *
parse_object (const std::string &text)
{
  JsonNode *n = json_from_string (text.c_str (), nullptr);
  g_assert_nonnull (n);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (n));
  JsonObject *o = json_object_ref (json_node_get_object (n));
  json_node_unref (n);
  return o;
}

struct FakeJanus
{
  SoupServer *server = soup_server_new (nullptr, nullptr);
  guint port = 0;
  std::vector<Hit> hits;
  std::deque<std::string> events; /* JSON objects for the long poll */
  SoupServerMessage *poll = nullptr;

  /* behaviour */
  std::string token;       /* required "token" when set */
  bool room_exists = true; /* answer to "exists" */
  std::string join_error;  /* "426 No such room" makes join fail */
  bool answer_publish = true;

  FakeJanus ()
  {
    soup_server_add_handler (server, "/janus", handle, this, nullptr);
    port = listen_on_loopback (server);
  }
  ~FakeJanus ()
  {
    if (poll)
      reply_poll ("[]");
    for (auto &h : hits)
      if (h.body)
        json_object_unref (h.body);
    g_object_unref (server);
  }

  std::string uri () const { return "janus+http://127.0.0.1:" + std::to_string (port) + "/janus"; }

  gsize count (const char *verb, const char *request = nullptr) const
  {
    gsize n = 0;
    for (const auto &h : hits)
      n += h.verb == verb && (!request || h.request == request);
    return n;
  }
  const Hit &last (const char *verb, const char *request = nullptr) const
  {
    for (auto it = hits.rbegin (); it != hits.rend (); ++it)
      if (it->verb == verb && (!request || it->request == request))
        return *it;
    g_error ("no %s %s request", verb, request ? request : "");
  }
  /* The verbs and requests in order, "create attach join publish ...". */
  std::string sequence () const
  {
    std::string out;
    for (const auto &h : hits)
      if (h.verb != "poll" && h.verb != "keepalive")
        out += (out.empty () ? "" : " ") + (h.request.empty () ? h.verb : h.request);
    return out;
  }

  void reply_poll (const std::string &body)
  {
    soup_server_message_set_status (poll, SOUP_STATUS_OK, nullptr);
    soup_server_message_set_response (poll, "application/json", SOUP_MEMORY_COPY, body.data (),
                                      body.size ());
    soup_server_message_unpause (poll);
    g_object_unref (poll);
    poll = nullptr;
  }
  void push_event (const std::string &ev)
  {
    events.push_back (ev);
    flush ();
  }
  void flush ()
  {
    if (!poll || events.empty ())
      return;
    std::string arr = "[";
    for (auto &e : events)
      arr += (arr.size () > 1 ? "," : "") + e;
    arr += "]";
    events.clear ();
    reply_poll (arr);
  }
  std::string plugin_event (const std::string &data, const std::string &extra = "")
  {
    return "{\"janus\":\"event\",\"session_id\":" G_STRINGIFY (SESSION) ",\"sender\":" G_STRINGIFY (
               HANDLE) ",\"plugindata\":{\"plugin\":\"janus.plugin.videoroom\",\"data\":"
           + data + "}" + extra + "}";
  }

  static void respond (SoupServerMessage *msg, const std::string &body)
  {
    soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body.data (),
                                      body.size ());
  }

  static void handle (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *query,
                      gpointer data)
  {
    auto *self = static_cast<FakeJanus *> (data);
    const std::string method = soup_server_message_get_method (msg);
    const std::string p = path;
    if (method == "GET")
      {
        self->hits.push_back ({ method, p, "poll", "", nullptr });
        const char *tok
            = query ? static_cast<const char *> (g_hash_table_lookup (query, "token")) : nullptr;
        if (!self->token.empty () && g_strcmp0 (tok, self->token.c_str ()) != 0)
          {
            respond (msg,
                     "{\"janus\":\"error\",\"error\":{\"code\":403,\"reason\":\"bad token\"}}");
            return;
          }
        if (self->poll)
          self->reply_poll ("[]");
        self->poll = SOUP_SERVER_MESSAGE (g_object_ref (msg));
        soup_server_message_pause (msg);
        self->flush ();
        return;
      }
    SoupMessageBody *b = soup_server_message_get_request_body (msg);
    JsonObject *body = parse_object (std::string (b->data ? b->data : "", b->length));
    const std::string verb = json_object_get_string_member (body, "janus");
    JsonObject *vr = json_object_has_member (body, "body")
                         ? json_object_get_object_member (body, "body")
                         : nullptr;
    std::string request = vr ? json_object_get_string_member (vr, "request") : "";
    self->hits.push_back ({ method, p, verb, request, body });
    const std::string tr = json_object_get_string_member (body, "transaction");
    const std::string head = "{\"transaction\":\"" + tr + "\",";
    const char *tok = json_object_has_member (body, "token")
                          ? json_object_get_string_member (body, "token")
                          : nullptr;
    if (!self->token.empty () && g_strcmp0 (tok, self->token.c_str ()) != 0)
      {
        respond (msg, head
                          + "\"janus\":\"error\",\"error\":{\"code\":403,\"reason\":"
                            "\"Unauthorized request (wrong or missing secret/token)\"}}");
        return;
      }
    const std::string ack = head + "\"janus\":\"ack\"}";
    if (verb == "create")
      respond (msg, head + "\"janus\":\"success\",\"data\":{\"id\":" G_STRINGIFY (SESSION) "}}");
    else if (verb == "attach")
      respond (msg, head + "\"janus\":\"success\",\"data\":{\"id\":" G_STRINGIFY (HANDLE) "}}");
    else if (verb == "keepalive" || verb == "trickle")
      respond (msg, ack);
    else if (verb == "destroy")
      respond (msg, head + "\"janus\":\"success\"}");
    else if (verb == "message" && request == "exists")
      respond (msg, head
                        + "\"janus\":\"success\",\"plugindata\":{\"plugin\":"
                          "\"janus.plugin.videoroom\",\"data\":{\"videoroom\":\"success\","
                          "\"room\":1234,\"exists\":"
                        + (self->room_exists ? "true" : "false") + "}}}");
    else if (verb == "message" && request == "create")
      respond (msg, head
                        + "\"janus\":\"success\",\"plugindata\":{\"plugin\":"
                          "\"janus.plugin.videoroom\",\"data\":{\"videoroom\":\"created\","
                          "\"room\":1234}}}");
    else if (verb == "message" && request == "join")
      {
        respond (msg, ack);
        if (!self->join_error.empty ())
          {
            const std::string code = self->join_error.substr (0, 3);
            const std::string text = self->join_error.substr (4);
            self->push_event (self->plugin_event ("{\"videoroom\":\"event\",\"error_code\":" + code
                                                  + ",\"error\":\"" + text + "\"}"));
          }
        else
          self->push_event (self->plugin_event (
              "{\"videoroom\":\"joined\",\"room\":1234,\"id\":" G_STRINGIFY (PUBLISHER) "}"));
      }
    else if (verb == "message" && request == "publish")
      {
        respond (msg, ack);
        g_autofree gchar *sdp = g_strescape (ANSWER, "");
        if (self->answer_publish)
          self->push_event (self->plugin_event (
              "{\"videoroom\":\"event\",\"room\":1234,\"configured\":\"ok\"}",
              ",\"jsep\":{\"type\":\"answer\",\"sdp\":\"" + std::string (sdp) + "\"}"));
      }
    else if (verb == "message" && request == "leave")
      respond (msg, ack);
    else
      respond (msg,
               head + "\"janus\":\"error\",\"error\":{\"code\":456,\"reason\":\"unexpected\"}}");
  }
};

/* The event, with what it says when it is not @name. */
static void
expect (Recorder &rec, gsize index, const char *name)
{
  Event e = rec.wait (index);
  if (e.name != name)
    g_error ("signal #%" G_GSIZE_FORMAT " is %s (%s), not %s", index, e.name.c_str (), e.a.c_str (),
             name);
}

static RtcJanusSignaller *
make (const std::string &uri, guint retries = 0)
{
  return RTC_JANUS_SIGNALLER (g_object_new (RTC_TYPE_JANUS_SIGNALLER, "uri", uri.c_str (),
                                            "display", "cam one", "pin", "1111", "retries", retries,
                                            "timeout", 2000, nullptr));
}

/* stop() waits for leave + destroy: the server runs on this thread, so stop from another. */
static void
stop_serving (RtcJanusSignaller *sig, FakeJanus &srv)
{
  GThread *stopper = g_thread_new (
      "stop",
      [] (gpointer s) -> gpointer {
        rtc_signaller_stop (RTC_SIGNALLER (s));
        return nullptr;
      },
      sig);
  wait_until ([&] { return srv.count ("destroy") > 0; });
  g_thread_join (stopper);
}

/* Owned by @o: safe inside g_assert_cmpstr, unlike a temporary std::string's c_str (). */
static const char *
member (JsonObject *o, const char *path0, const char *path1 = nullptr)
{
  JsonObject *inner = path1 ? json_object_get_object_member (o, path0) : o;
  return json_object_get_string_member (inner, path1 ? path1 : path0);
}

/* The whole flow: session-requested; the offer makes create, attach, join (publisher, display,
 * pin), publish with the offer as JSEP; the answer from the long poll; local candidates trickled
 * after the publish with sdpMid and sdpMLineIndex, then completed; Janus's candidates emitted;
 * publisher-id; stop sends leave and destroy. */
static void
test_publish (void)
{
  FakeJanus srv;
  RtcJanusSignaller *sig = make (srv.uri ());
  Recorder rec;
  rec.connect (sig);
  g_autoptr (GError) err = nullptr;
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), &err));
  Event req = rec.wait (0);
  g_assert_cmpstr (req.name.c_str (), ==, "session-requested");
  g_assert_cmpstr (req.a.c_str (), ==, "janus");
  g_assert_false (req.has_b);
  const std::string sid = req.session;

  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 0, CAND1); /* before the offer */
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), sid.c_str (), "offer", OFFER);
  Event answer = rec.wait (1);
  g_assert_cmpstr (answer.name.c_str (), ==, "sdp");
  g_assert_cmpstr (answer.session.c_str (), ==, sid.c_str ());
  g_assert_cmpstr (answer.a.c_str (), ==, "answer");
  g_assert_cmpstr (answer.b.c_str (), ==, ANSWER);

  const Hit &join = srv.last ("message", "join");
  g_assert_cmpstr (join.path.c_str (), ==,
                   "/janus/" G_STRINGIFY (SESSION) "/" G_STRINGIFY (HANDLE));
  JsonObject *jb = json_object_get_object_member (join.body, "body");
  g_assert_cmpstr (member (jb, "ptype"), ==, "publisher");
  g_assert_cmpint (json_object_get_int_member (jb, "room"), ==, 1234);
  g_assert_cmpstr (member (jb, "display"), ==, "cam one");
  g_assert_cmpstr (member (jb, "pin"), ==, "1111");
  g_assert_cmpstr (member (srv.last ("attach").body, "plugin"), ==, "janus.plugin.videoroom");
  const Hit &publish = srv.last ("message", "publish");
  g_assert_cmpstr (member (publish.body, "jsep", "type"), ==, "offer");
  g_assert_cmpstr (member (publish.body, "jsep", "sdp"), ==, OFFER);

  /* The candidate from before the offer went out after the publish request. */
  g_assert_true (wait_until ([&] { return srv.count ("trickle") == 1; }));
  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 1, CAND2);
  rtc_signaller_send_ice (RTC_SIGNALLER (sig), sid.c_str (), 0, "");
  g_assert_true (wait_until ([&] { return srv.count ("trickle") == 3; }));
  {
    const std::string seq = srv.sequence ();
    g_assert_cmpstr (seq.c_str (), ==, "create attach join publish trickle trickle trickle");
  }
  std::vector<JsonObject *> trickles;
  for (auto &h : srv.hits)
    if (h.verb == "trickle")
      trickles.push_back (json_object_get_object_member (h.body, "candidate"));
  g_assert_cmpstr (member (trickles[0], "candidate"), ==, CAND1);
  g_assert_cmpint (json_object_get_int_member (trickles[0], "sdpMLineIndex"), ==, 0);
  g_assert_cmpstr (member (trickles[0], "sdpMid"), ==, "video0");
  g_assert_cmpstr (member (trickles[1], "candidate"), ==, CAND2);
  g_assert_cmpstr (member (trickles[1], "sdpMid"), ==, "audio1");
  g_assert_true (json_object_get_boolean_member (trickles[2], "completed"));

  guint64 publisher = 0;
  g_object_get (sig, "publisher-id", &publisher, nullptr);
  g_assert_cmpuint (publisher, ==, PUBLISHER);

  srv.push_event (
      "{\"janus\":\"trickle\",\"session_id\":" G_STRINGIFY (SESSION) ",\"sender\":" G_STRINGIFY (
          HANDLE) ",\"candidate\":{\"sdpMid\":\"video0\",\"sdpMLineIndex\":0,"
                  "\"candidate\":\"" REMOTE_CAND "\"}}");
  Event ice = rec.wait (2);
  g_assert_cmpstr (ice.name.c_str (), ==, "ice");
  g_assert_cmpstr (ice.a.c_str (), ==, REMOTE_CAND);
  srv.push_event ("{\"janus\":\"trickle\",\"sender\":" G_STRINGIFY (
      HANDLE) ",\"candidate\":{\"completed\":true}}");
  g_assert_true (rec.wait (3).a == "");

  stop_serving (sig, srv);
  g_assert_cmpuint (srv.count ("message", "leave"), ==, 1);
  g_assert_cmpuint (srv.count ("destroy"), ==, 1);
  g_assert_cmpstr (srv.last ("destroy").path.c_str (), ==, "/janus/" G_STRINGIFY (SESSION));
  g_assert_cmpuint (rec.count (), ==, 4);
  g_object_unref (sig);
}

/* create-room: "exists" says no, so the room is created with the offer's codecs, secret and pin
 * before the join; the token goes with every request and the long poll. */
static void
test_create_room (void)
{
  FakeJanus srv;
  srv.room_exists = false;
  srv.token = "tok";
  RtcJanusSignaller *sig = make (srv.uri ());
  g_object_set (sig, "create-room", TRUE, "secret", "adminpw", "auth-token", "tok", nullptr);
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  const std::string sid = rec.wait (0).session;
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), sid.c_str (), "offer", OFFER);
  expect (rec, 1, "sdp");
  {
    const std::string seq = srv.sequence ();
    g_assert_cmpstr (seq.c_str (), ==, "create attach exists create join publish");
  }
  JsonObject *create = json_object_get_object_member (srv.last ("message", "create").body, "body");
  g_assert_cmpstr (member (create, "videocodec"), ==, "vp8");
  g_assert_cmpstr (member (create, "audiocodec"), ==, "opus");
  g_assert_cmpstr (member (create, "secret"), ==, "adminpw");
  g_assert_cmpstr (member (create, "pin"), ==, "1111");
  g_assert_cmpint (json_object_get_int_member (create, "room"), ==, 1234);
  g_assert_cmpstr (member (srv.last ("attach").body, "token"), ==, "tok");
  stop_serving (sig, srv);
  g_object_unref (sig);
}

/* A room that exists is not created again. */
static void
test_room_exists (void)
{
  FakeJanus srv;
  RtcJanusSignaller *sig = make (srv.uri ());
  g_object_set (sig, "create-room", TRUE, nullptr);
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), rec.wait (0).session.c_str (), "offer", OFFER);
  expect (rec, 1, "sdp");
  {
    const std::string seq = srv.sequence ();
    g_assert_cmpstr (seq.c_str (), ==, "create attach exists join publish");
  }
  stop_serving (sig, srv);
  g_object_unref (sig);
}

/* keepalive-interval=1: the session is kept alive besides the long poll. */
static void
test_keepalive (void)
{
  FakeJanus srv;
  RtcJanusSignaller *sig = make (srv.uri ());
  g_object_set (sig, "keepalive-interval", 1, nullptr);
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), rec.wait (0).session.c_str (), "offer", OFFER);
  rec.wait (1);
  g_assert_true (wait_until ([&] { return srv.count ("keepalive") >= 2; }, 3500));
  g_assert_cmpstr (srv.last ("keepalive").path.c_str (), ==, "/janus/" G_STRINGIFY (SESSION));
  g_assert_cmpuint (rec.count (), ==, 2);
  stop_serving (sig, srv);
  g_object_unref (sig);
}

/* Janus refuses (403, wrong token): the error names the URI and Janus's reason. */
static void
test_janus_error (void)
{
  FakeJanus srv;
  srv.token = "right";
  RtcJanusSignaller *sig = make (srv.uri ());
  g_object_set (sig, "auth-token", "wrong", nullptr);
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), rec.wait (0).session.c_str (), "offer", OFFER);
  Event e = rec.wait (1);
  g_assert_cmpstr (e.name.c_str (), ==, "error");
  g_assert_nonnull (strstr (e.a.c_str (), srv.uri ().c_str ()));
  g_assert_nonnull (strstr (e.a.c_str (), "Janus error 403: Unauthorized request"));
  g_assert_cmpuint (srv.count ("create"), ==, 1);
  g_assert_cmpuint (srv.count ("attach"), ==, 0);
  rtc_signaller_stop (RTC_SIGNALLER (sig));
  g_object_unref (sig);
}

/* The VideoRoom refuses the join (426), retries=1: a second attempt from a new session 1 s
 * later, the first session destroyed, then the error with the VideoRoom's reason. */
static void
test_videoroom_error_retried (void)
{
  FakeJanus srv;
  srv.join_error = "426 No such room (1234)";
  RtcJanusSignaller *sig = make (srv.uri (), 1);
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  const gint64 t0 = g_get_monotonic_time ();
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), rec.wait (0).session.c_str (), "offer", OFFER);
  Event e = rec.wait (1);
  g_assert_cmpstr (e.name.c_str (), ==, "error");
  g_assert_nonnull (strstr (e.a.c_str (), srv.uri ().c_str ()));
  g_assert_nonnull (strstr (e.a.c_str (), "room 1234"));
  g_assert_nonnull (strstr (e.a.c_str (), "VideoRoom error 426: No such room (1234)"));
  g_assert_nonnull (strstr (e.a.c_str (), "after 2 attempts"));
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 900 * 1000);
  g_assert_cmpuint (srv.count ("create"), ==, 2);
  g_assert_cmpuint (srv.count ("message", "publish"), ==, 0);
  g_assert_true (wait_until ([&] { return srv.count ("destroy") == 2; }));
  rtc_signaller_stop (RTC_SIGNALLER (sig));
  g_object_unref (sig);
}

/* Connection refused, retries=1: two attempts, then an error naming the URI. */
static void
test_unreachable (void)
{
  std::string uri;
  {
    FakeJanus srv; /* a port that was free a moment ago and is closed now */
    uri = srv.uri ();
  }
  RtcJanusSignaller *sig = make (uri, 1);
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), rec.wait (0).session.c_str (), "offer", OFFER);
  Event e = rec.wait (1);
  g_assert_cmpstr (e.name.c_str (), ==, "error");
  g_assert_nonnull (strstr (e.a.c_str (), uri.c_str ()));
  g_assert_nonnull (strstr (e.a.c_str (), "cannot reach it"));
  g_assert_nonnull (strstr (e.a.c_str (), "after 2 attempts"));
  rtc_signaller_stop (RTC_SIGNALLER (sig));
  g_object_unref (sig);
}

/* Janus hangs up the PeerConnection: session-ended, and the Janus session is destroyed. */
static void
test_hangup (void)
{
  FakeJanus srv;
  RtcJanusSignaller *sig = make (srv.uri ());
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  const std::string sid = rec.wait (0).session;
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), sid.c_str (), "offer", OFFER);
  rec.wait (1);
  srv.push_event ("{\"janus\":\"hangup\",\"session_id\":" G_STRINGIFY (
      SESSION) ",\"sender\":" G_STRINGIFY (HANDLE) ",\"reason\":\"DTLS alert\"}");
  Event e = rec.wait (2);
  g_assert_cmpstr (e.name.c_str (), ==, "session-ended");
  g_assert_cmpstr (e.session.c_str (), ==, sid.c_str ());
  g_assert_true (wait_until ([&] { return srv.count ("destroy") == 1; }));
  rtc_signaller_stop (RTC_SIGNALLER (sig));
  g_assert_cmpuint (rec.count (), ==, 3);
  g_object_unref (sig);
}

/* The Janus session is gone (458 on the long poll, e.g. Janus restarted): an error. */
static void
test_session_lost (void)
{
  FakeJanus srv;
  RtcJanusSignaller *sig = make (srv.uri ());
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), rec.wait (0).session.c_str (), "offer", OFFER);
  rec.wait (1);
  g_assert_true (wait_until ([&] { return srv.poll != nullptr; }));
  srv.reply_poll ("{\"janus\":\"error\",\"error\":{\"code\":458,\"reason\":\"No such session "
                  "111\"}}");
  Event e = rec.wait (2);
  g_assert_cmpstr (e.name.c_str (), ==, "error");
  g_assert_nonnull (strstr (e.a.c_str (), "lost the Janus session"));
  g_assert_nonnull (strstr (e.a.c_str (), "458: No such session"));
  rtc_signaller_stop (RTC_SIGNALLER (sig));
  g_object_unref (sig);
}

/* end_session() leaves the room and destroys the session; nothing is emitted. */
static void
test_end_session (void)
{
  FakeJanus srv;
  RtcJanusSignaller *sig = make (srv.uri ());
  Recorder rec;
  rec.connect (sig);
  g_assert_true (rtc_signaller_start (RTC_SIGNALLER (sig), nullptr));
  const std::string sid = rec.wait (0).session;
  rtc_signaller_send_sdp (RTC_SIGNALLER (sig), sid.c_str (), "offer", OFFER);
  rec.wait (1);
  rtc_signaller_end_session (RTC_SIGNALLER (sig), sid.c_str (), "bye");
  g_assert_true (wait_until ([&] { return srv.count ("destroy") == 1; }));
  g_assert_cmpuint (srv.count ("message", "leave"), ==, 1);
  rtc_signaller_stop (RTC_SIGNALLER (sig));
  g_assert_cmpuint (srv.count ("destroy"), ==, 1);
  g_assert_cmpuint (rec.count (), ==, 2);
  g_object_unref (sig);
}

static void
test_bad_uri (void)
{
  for (const char *uri : { "", "http://127.0.0.1:8088/janus", "janus://127.0.0.1/janus",
                           "janus+http://", "janus+ws://127.0.0.1:8188" })
    {
      RtcJanusSignaller *sig = make (uri);
      g_autoptr (GError) err = nullptr;
      g_assert_false (rtc_signaller_start (RTC_SIGNALLER (sig), &err));
      g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_object_unref (sig);
    }
}

static void
test_helpers (void)
{
  g_autofree gchar *a = rtc_janus_api_url ("janus+http://127.0.0.1:8088/janus/");
  g_assert_cmpstr (a, ==, "http://127.0.0.1:8088/janus");
  g_autofree gchar *b = rtc_janus_api_url ("JANUS+HTTPS://j.example.org/janus");
  g_assert_cmpstr (b, ==, "https://j.example.org/janus");
  g_assert_null (rtc_janus_api_url ("http://127.0.0.1/janus"));
  g_autofree gchar *v = rtc_janus_sdp_codecs (OFFER, "video");
  g_assert_cmpstr (v, ==, "vp8");
  g_autofree gchar *au = rtc_janus_sdp_codecs (OFFER, "audio");
  g_assert_cmpstr (au, ==, "opus");
  g_autofree gchar *two = rtc_janus_sdp_codecs (
      "m=video 9 X 102 96 97\na=rtpmap:102 H264/90000\na=rtpmap:96 VP8/90000\n"
      "a=rtpmap:97 rtx/90000\nm=video 9 X 98\na=rtpmap:98 H264/90000\n",
      "video");
  g_assert_cmpstr (two, ==, "h264,vp8");
  g_autofree gchar *none = rtc_janus_sdp_codecs ("junk", "video");
  g_assert_cmpstr (none, ==, "");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/janus-signaller/publish", test_publish);
  g_test_add_func ("/janus-signaller/create-room", test_create_room);
  g_test_add_func ("/janus-signaller/room-exists", test_room_exists);
  g_test_add_func ("/janus-signaller/keepalive", test_keepalive);
  g_test_add_func ("/janus-signaller/janus-error", test_janus_error);
  g_test_add_func ("/janus-signaller/videoroom-error-retried", test_videoroom_error_retried);
  g_test_add_func ("/janus-signaller/unreachable", test_unreachable);
  g_test_add_func ("/janus-signaller/hangup", test_hangup);
  g_test_add_func ("/janus-signaller/session-lost", test_session_lost);
  g_test_add_func ("/janus-signaller/end-session", test_end_session);
  g_test_add_func ("/janus-signaller/bad-uri", test_bad_uri);
  g_test_add_func ("/janus-signaller/helpers", test_helpers);
  return g_test_run ();
}
