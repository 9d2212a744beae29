/* The embedded server's /whip and /whep endpoints (WhipEndpoint behind Server) over real sockets
 * on 127.0.0.1, with libsoup's HTTP client and a fake element (LocalPeer).
 *
 * Server and client share the test thread's default main context: requests are asynchronous
 * and waited for with timeouts, so a missing reply fails, never hangs. The fake element answers
 * from inside its callbacks (re-entering the Router, as the fuzz target does) or, in `Silent`
 * mode, when the test says so. */
#include "rtc-whip-signaller.h"
#include "server.h"
#include "whip-endpoint.h"

#include <libsoup/soup.h>

#include <memory>
#include <string>
#include <vector>

using rtc::signaling::LocalPeer;
using rtc::signaling::Router;
using rtc::signaling::Server;
using rtc::signaling::ServerConfig;

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

static void
spin (guint ms)
{
  wait_until ([] { return false; }, ms);
}

/* Two m-sections (audio mid "a", video mid "v"), as a browser offers. */
static const char *const kOffer = "v=0\r\n"
                                  "o=- 1 2 IN IP4 127.0.0.1\r\n"
                                  "s=-\r\n"
                                  "t=0 0\r\n"
                                  "a=group:BUNDLE a v\r\n"
                                  "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                  "a=ice-ufrag:offU\r\n"
                                  "a=ice-pwd:offerpassword0123456789\r\n"
                                  "a=mid:a\r\n"
                                  "a=rtpmap:111 opus/48000/2\r\n"
                                  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                                  "a=ice-ufrag:offU\r\n"
                                  "a=ice-pwd:offerpassword0123456789\r\n"
                                  "a=mid:v\r\n"
                                  "a=rtpmap:96 VP8/90000\r\n";

static const char *const kAnswer = "v=0\r\n"
                                   "o=- 3 4 IN IP4 127.0.0.1\r\n"
                                   "s=-\r\n"
                                   "t=0 0\r\n"
                                   "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                   "a=mid:a\r\n"
                                   "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                                   "a=mid:v\r\n";

static const char *const kCandidate = "candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host";

/* ---- the fake element --------------------------------------------------------------------- */

struct Event
{
  std::string name, session, a, b;
  guint n = 0;
  bool has_b = false;
};

class FakeElement : public LocalPeer
{
public:
  enum Mode
  {
    Answer, /* answer, one candidate, end of candidates: all at once */
    Refuse, /* end the session with `refusal` */
    Silent, /* nothing until the test calls answer() */
  };

  FakeElement (Router &router, unsigned role) : router_ (router)
  {
    id = router_.add_local (this, role, "null");
  }
  ~FakeElement () override
  {
    if (!router_gone)
      router_.remove_local (id);
  }
  bool router_gone = false; /* the server went first: nothing to unregister from */

  void session_requested (const std::string &sid, const std::string &peer,
                          const std::optional<std::string> &offer) override
  {
    events.push_back (
        { "session-requested", sid, peer, offer.value_or (""), 0, offer.has_value () });
    if (offer)
      react (sid);
  }
  void session_ended (const std::string &sid) override
  {
    events.push_back ({ "session-ended", sid });
  }
  void sdp (const std::string &sid, const std::string &type, const std::string &sdp) override
  {
    events.push_back ({ "sdp", sid, type, sdp });
    if (type == "offer")
      react (sid);
  }
  void ice (const std::string &sid, guint mline, const std::string &candidate) override
  {
    events.push_back ({ "ice", sid, candidate, "", mline });
  }

  void answer (const std::string &sid, bool with_end = true)
  {
    router_.local_send_sdp (id, sid, { "answer", kAnswer });
    router_.local_send_ice (id, sid, { kCandidate, 1 });
    if (with_end)
      end_of_candidates (sid);
  }
  void end_of_candidates (const std::string &sid) { router_.local_send_ice (id, sid, { "", 0 }); }
  /* The last session the element was asked for. */
  std::string last_session () const
  {
    for (auto it = events.rbegin (); it != events.rend (); ++it)
      if (it->name == "session-requested")
        return it->session;
    return {};
  }
  gsize count (const char *name) const
  {
    gsize n = 0;
    for (const auto &e : events)
      n += e.name == name;
    return n;
  }
  const Event *last (const char *name) const
  {
    for (auto it = events.rbegin (); it != events.rend (); ++it)
      if (it->name == name)
        return &*it;
    return nullptr;
  }

  std::string id;
  Mode mode = Answer;
  std::string refusal = "no supported video codec in the offer: we accept vp8";
  std::vector<Event> events;

private:
  void react (const std::string &sid)
  {
    if (mode == Answer)
      answer (sid);
    else if (mode == Refuse)
      router_.local_end_session (id, sid, refusal);
  }

  Router &router_;
};

/* ---- fixture ------------------------------------------------------------------------------ */

struct Fixture
{
  std::unique_ptr<Server> server;
  std::unique_ptr<FakeElement> element;
  guint port = 0;

  explicit Fixture (unsigned role, ServerConfig config = {})
  {
    if (config.whip.gather_timeout_ms == 1000)
      config.whip.gather_timeout_ms = 300;
    config.keepalive_interval = 0;
    server = std::make_unique<Server> (std::move (config));
    g_autoptr (GError) err = nullptr;
    if (!server->listen ("127.0.0.1:0", &err))
      g_error ("listen: %s", err->message);
    port = server->port ();
    element = std::make_unique<FakeElement> (server->router (), role);
  }
  ~Fixture ()
  {
    element.reset ();
    if (!server)
      return;
    server->shutdown ();
    spin (20);
    server.reset ();
  }
  FakeElement &el () { return *element; }
  /* Nothing left behind: no HTTP session, no remote peer, no Router session. */
  void assert_clean ()
  {
    g_assert_true (wait_until ([&] { return server->whip ().resource_count () == 0; }));
    g_assert_cmpuint (server->router ().remote_count (), ==, 0);
    g_assert_cmpuint (server->router ().session_count (), ==, 0);
  }
};

/* ---- HTTP client -------------------------------------------------------------------------- */

struct Reply
{
  guint status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  /* A reference, so that .c_str () outlives g_assert_cmpstr's temporaries. */
  const std::string &header (const char *name) const
  {
    static const std::string none;
    for (const auto &[k, v] : headers)
      if (g_ascii_strcasecmp (k.c_str (), name) == 0)
        return v;
    return none;
  }
  bool has (const char *name) const
  {
    for (const auto &[k, v] : headers)
      if (g_ascii_strcasecmp (k.c_str (), name) == 0)
        return true;
    return false;
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

/* One request in flight; poll done(). */
class Request
{
public:
  Request (guint port, const char *method, const std::string &path, const std::string &body = {},
           const char *content_type = nullptr, const Headers &headers = {})
  {
    session_ = soup_session_new ();
    cancel_ = g_cancellable_new ();
    g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path.c_str ());
    msg_ = soup_message_new (method, url);
    g_assert_nonnull (msg_);
    SoupMessageHeaders *h = soup_message_get_request_headers (msg_);
    for (const auto &[k, v] : headers)
      soup_message_headers_append (h, k.c_str (), v.c_str ());
    if (content_type)
      {
        g_autoptr (GBytes) b = g_bytes_new (body.data (), body.size ());
        soup_message_set_request_body_from_bytes (msg_, content_type, b);
      }
    soup_session_send_and_read_async (session_, msg_, G_PRIORITY_DEFAULT, cancel_, on_done, this);
  }
  ~Request ()
  {
    g_cancellable_cancel (cancel_);
    wait_until ([&] { return done_; }, 1000);
    g_object_unref (msg_);
    g_object_unref (cancel_);
    g_object_unref (session_);
  }
  Request (const Request &) = delete;
  Request &operator= (const Request &) = delete;

  bool done () const { return done_; }
  void cancel () { g_cancellable_cancel (cancel_); }
  Reply wait ()
  {
    if (!wait_until ([&] { return done_; }))
      g_error ("timed out waiting for the HTTP reply");
    return reply_;
  }

private:
  static void on_done (GObject *src, GAsyncResult *res, gpointer data)
  {
    auto *self = static_cast<Request *> (data);
    g_autoptr (GError) err = nullptr;
    g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (src), res, &err);
    self->done_ = true;
    if (!body)
      return;
    self->reply_.status = soup_message_get_status (self->msg_);
    gsize len = 0;
    const char *d = static_cast<const char *> (g_bytes_get_data (body, &len));
    self->reply_.body.assign (d ? d : "", len);
    soup_message_headers_foreach (
        soup_message_get_response_headers (self->msg_),
        [] (const char *name, const char *value, gpointer r) {
          static_cast<Reply *> (r)->headers.emplace_back (name, value);
        },
        &self->reply_);
  }

  SoupSession *session_ = nullptr;
  SoupMessage *msg_ = nullptr;
  GCancellable *cancel_ = nullptr;
  bool done_ = false;
  Reply reply_;
};

static Reply
http (guint port, const char *method, const std::string &path, const std::string &body = {},
      const char *content_type = nullptr, const Headers &headers = {})
{
  Request r (port, method, path, body, content_type, headers);
  return r.wait ();
}

static Reply
post_offer (Fixture &f, const char *path, const Headers &headers = {})
{
  return http (f.port, "POST", path, kOffer, "application/sdp", headers);
}

static Reply
patch (Fixture &f, const std::string &location, const std::string &frag, const Headers &headers)
{
  return http (f.port, "PATCH", location, frag, "application/trickle-ice-sdpfrag", headers);
}

static bool
contains (const std::string &haystack, const char *needle)
{
  return haystack.find (needle) != std::string::npos;
}

/* The assertions every 201 must pass; returns the Location. */
static std::string
assert_created (const Reply &r, const char *base)
{
  if (r.status != 201)
    g_error ("expected 201, got %u: %s", r.status, r.body.c_str ());
  g_assert_cmpstr (r.header ("Content-Type").c_str (), ==, "application/sdp");
  const std::string location = r.header ("Location");
  g_assert_true (g_str_has_prefix (location.c_str (), base));
  g_assert_true (g_uuid_string_is_valid (location.c_str () + strlen (base)));
  const std::string etag = r.header ("ETag");
  g_assert_true (etag.size () > 2 && etag.front () == '"' && etag.back () == '"');
  g_assert_cmpstr (r.header ("Access-Control-Allow-Origin").c_str (), ==, "*");
  g_assert_true (contains (r.header ("Access-Control-Expose-Headers"), "Location"));
  g_assert_true (contains (r.header ("Access-Control-Expose-Headers"), "ETag"));
  g_assert_true (g_str_has_prefix (r.body.c_str (), "v=0\r\n"));
  return location;
}

/* The candidate sits in the video m-section (index 1), after its lines. */
static void
assert_candidate_in_video (const std::string &answer)
{
  const auto video = answer.find ("m=video");
  const auto cand = answer.find (std::string ("a=") + kCandidate);
  g_assert_true (video != std::string::npos);
  g_assert_true (cand != std::string::npos);
  g_assert_cmpuint (cand, >, video);
}

/* ---- tests: the happy paths --------------------------------------------------------------- */

static void
test_whep_post_creates_session ()
{
  Fixture f (rtc::proto::kRoleProducer);
  Reply r = post_offer (f, "/whep");
  const std::string location = assert_created (r, "/whep/");
  assert_candidate_in_video (r.body);
  g_assert_true (contains (r.body, "a=end-of-candidates\r\n"));

  /* The element saw the client's offer in session-requested. */
  const Event *req = f.el ().last ("session-requested");
  g_assert_nonnull (req);
  g_assert_true (req->has_b);
  g_assert_cmpstr (req->b.c_str (), ==, kOffer);
  g_assert_cmpuint (f.server->whip ().resource_count (), ==, 1);
  g_assert_cmpuint (f.server->router ().session_count (), ==, 1);
}

static void
test_whip_post_creates_session ()
{
  Fixture f (rtc::proto::kRoleConsumer);
  Reply r = post_offer (f, "/whip");
  assert_created (r, "/whip/");
  assert_candidate_in_video (r.body);
  /* rtcingestsrc's order: session-requested without an offer, then the offer. */
  g_assert_cmpuint (f.el ().events.size (), >=, 2);
  const Event &first = f.el ().events[0];
  const Event &second = f.el ().events[1];
  g_assert_cmpstr (first.name.c_str (), ==, "session-requested");
  g_assert_false (first.has_b);
  g_assert_cmpstr (second.name.c_str (), ==, "sdp");
  g_assert_cmpstr (second.session.c_str (), ==, first.session.c_str ());
  g_assert_cmpstr (second.a.c_str (), ==, "offer");
  g_assert_cmpstr (second.b.c_str (), ==, kOffer);
}

static void
test_post_waits_for_end_of_candidates ()
{
  Fixture f (rtc::proto::kRoleProducer);
  f.el ().mode = FakeElement::Silent;
  Request req (f.port, "POST", "/whep", kOffer, "application/sdp");
  g_assert_true (wait_until ([&] { return !f.el ().last_session ().empty (); }));
  const std::string sid = f.el ().last_session ();
  f.el ().answer (sid, false);
  /* The answer alone does not release the reply (gather timeout 300 ms). */
  spin (100);
  g_assert_false (req.done ());
  f.el ().end_of_candidates (sid);
  Reply r = req.wait ();
  assert_created (r, "/whep/");
  assert_candidate_in_video (r.body);
  g_assert_true (contains (r.body, "a=end-of-candidates"));
}

static void
test_gather_timeout_sends_what_it_has ()
{
  Fixture f (rtc::proto::kRoleProducer);
  f.el ().mode = FakeElement::Silent;
  Request req (f.port, "POST", "/whep", kOffer, "application/sdp");
  g_assert_true (wait_until ([&] { return !f.el ().last_session ().empty (); }));
  const gint64 start = g_get_monotonic_time ();
  f.el ().answer (f.el ().last_session (), false);
  Reply r = req.wait ();
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 250 * 1000);
  assert_created (r, "/whep/");
  assert_candidate_in_video (r.body);
  /* Gathering did not finish: the answer must not claim it did. */
  g_assert_false (contains (r.body, "a=end-of-candidates"));
}

static void
test_patch_trickles_to_element ()
{
  Fixture f (rtc::proto::kRoleProducer);
  Reply r = post_offer (f, "/whep");
  const std::string location = assert_created (r, "/whep/");
  const std::string sid = f.el ().last_session ();
  const std::string frag = "a=ice-ufrag:offU\r\n"
                           "a=ice-pwd:offerpassword0123456789\r\n"
                           "m=video 9 UDP/TLS/RTP/SAVPF 0\r\n"
                           "a=mid:v\r\n"
                           "a=candidate:7 1 udp 2122260223 127.0.0.1 5000 typ host\r\n"
                           "a=end-of-candidates\r\n";
  Reply p = patch (f, location, frag, { { "If-Match", r.header ("ETag") } });
  g_assert_cmpuint (p.status, ==, 204);
  g_assert_false (p.has ("ETag"));
  g_assert_true (p.body.empty ());
  /* mid "v" is the offer's second m-line. */
  const gsize n = f.el ().events.size ();
  g_assert_cmpuint (n, >=, 2);
  const Event &cand = f.el ().events[n - 2];
  const Event &end = f.el ().events[n - 1];
  g_assert_cmpstr (cand.name.c_str (), ==, "ice");
  g_assert_cmpstr (cand.session.c_str (), ==, sid.c_str ());
  g_assert_cmpstr (cand.a.c_str (), ==, "candidate:7 1 udp 2122260223 127.0.0.1 5000 typ host");
  g_assert_cmpuint (cand.n, ==, 1);
  g_assert_cmpstr (end.name.c_str (), ==, "ice");
  g_assert_cmpstr (end.a.c_str (), ==, "");
  g_assert_cmpuint (end.n, ==, 1);

  /* If-Match: * matches too; a repeated end of candidates is not repeated to the element. */
  p = patch (f, location, "m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:v\r\na=end-of-candidates\r\n",
             { { "If-Match", "*" } });
  g_assert_cmpuint (p.status, ==, 204);
  g_assert_cmpuint (f.el ().events.size (), ==, n);
}

static void
test_delete_ends_session ()
{
  Fixture f (rtc::proto::kRoleConsumer);
  Reply r = post_offer (f, "/whip");
  const std::string location = assert_created (r, "/whip/");
  const std::string sid = f.el ().last_session ();
  Reply d = http (f.port, "DELETE", location);
  g_assert_cmpuint (d.status, ==, 200);
  const Event *ended = f.el ().last ("session-ended");
  g_assert_nonnull (ended);
  g_assert_cmpstr (ended->session.c_str (), ==, sid.c_str ());
  g_assert_cmpuint (patch (f, location, "a=end-of-candidates\r\n", { { "If-Match", "*" } }).status,
                    ==, 404);
  g_assert_cmpuint (http (f.port, "DELETE", location).status, ==, 404);
  f.assert_clean ();
}

static void
test_element_end_removes_resource ()
{
  Fixture f (rtc::proto::kRoleProducer);
  Reply r = post_offer (f, "/whep");
  const std::string location = assert_created (r, "/whep/");
  f.server->router ().local_end_session (f.el ().id, f.el ().last_session (), std::string ("bye"));
  f.assert_clean ();
  g_assert_cmpuint (http (f.port, "DELETE", location).status, ==, 404);
  /* The element is not told about a session it ended itself. */
  g_assert_cmpuint (f.el ().count ("session-ended"), ==, 0);
}

static void
test_options_preflight ()
{
  Fixture f (rtc::proto::kRoleConsumer);
  Reply r = http (
      f.port, "OPTIONS", "/whip", {}, nullptr,
      { { "Origin", "https://studio.example" }, { "Access-Control-Request-Method", "POST" } });
  g_assert_cmpuint (r.status, ==, 204);
  g_assert_cmpstr (r.header ("Accept-Post").c_str (), ==, "application/sdp");
  g_assert_cmpstr (r.header ("Access-Control-Allow-Origin").c_str (), ==, "*");
  g_assert_true (contains (r.header ("Access-Control-Allow-Methods"), "POST"));
  g_assert_true (contains (r.header ("Access-Control-Allow-Headers"), "Authorization"));
  g_assert_true (contains (r.header ("Access-Control-Allow-Headers"), "Content-Type"));

  r = http (f.port, "OPTIONS", "/whip/anything");
  g_assert_cmpuint (r.status, ==, 204);
  g_assert_true (contains (r.header ("Access-Control-Allow-Methods"), "PATCH"));
  g_assert_true (contains (r.header ("Access-Control-Allow-Methods"), "DELETE"));
}

static void
test_cors_origin_list ()
{
  ServerConfig config;
  config.whip.cors_allow_origin = "https://a.example, https://b.example";
  config.whip.ice.servers = { { "stun", "stun.example.net:3478", "", "", "" } };
  Fixture f (rtc::proto::kRoleProducer, config);
  Reply r = post_offer (f, "/whep", { { "Origin", "https://b.example" } });
  g_assert_cmpuint (r.status, ==, 201);
  g_assert_cmpstr (r.header ("Access-Control-Allow-Origin").c_str (), ==, "https://b.example");
  g_assert_true (contains (r.header ("Vary"), "Origin"));
  g_assert_cmpstr (r.header ("Link").c_str (), ==,
                   "<stun:stun.example.net:3478>; rel=\"ice-server\"");
  r = post_offer (f, "/whep", { { "Origin", "https://evil.example" } });
  g_assert_cmpuint (r.status, ==, 201);
  g_assert_false (r.has ("Access-Control-Allow-Origin"));
}

static void
test_token_required ()
{
  ServerConfig config;
  config.whip.auth_token = "s3cret";
  Fixture f (rtc::proto::kRoleProducer, config);
  for (const Headers &h : { Headers{}, Headers{ { "Authorization", "Bearer wrong" } },
                            Headers{ { "Authorization", "Basic czNjcmV0" } } })
    {
      Reply r = post_offer (f, "/whep", h);
      g_assert_cmpuint (r.status, ==, 401);
      g_assert_true (g_str_has_prefix (r.header ("WWW-Authenticate").c_str (), "Bearer"));
      g_assert_true (contains (r.header ("Content-Type"), "text/plain"));
      g_assert_false (r.body.empty ());
    }
  g_assert_cmpuint (f.el ().events.size (), ==, 0);
  Reply r = post_offer (f, "/whep", { { "Authorization", "Bearer s3cret" } });
  const std::string location = assert_created (r, "/whep/");
  /* The session's resource needs the token too; the preflight does not. */
  g_assert_cmpuint (http (f.port, "DELETE", location).status, ==, 401);
  g_assert_cmpuint (http (f.port, "OPTIONS", location).status, ==, 204);
  g_assert_cmpuint (
      http (f.port, "DELETE", location, {}, nullptr, { { "Authorization", "Bearer s3cret" } })
          .status,
      ==, 200);
  f.assert_clean ();
}

/* ---- tests: refusals and bad input -------------------------------------------------------- */

static void
test_element_refusal_becomes_http_error ()
{
  Fixture f (rtc::proto::kRoleProducer);
  f.el ().mode = FakeElement::Refuse;
  Reply r = post_offer (f, "/whep");
  g_assert_cmpuint (r.status, ==, 406);
  g_assert_true (contains (r.body, "no supported video codec"));
  f.assert_clean ();

  f.el ().refusal = "max-viewers reached: this stream accepts 1 viewer(s) at once; try again later";
  r = post_offer (f, "/whep");
  g_assert_cmpuint (r.status, ==, 503);
  g_assert_true (contains (r.body, "max-viewers reached"));
  f.assert_clean ();

  /* The same when the refusal comes later, from the element's thread. */
  f.el ().mode = FakeElement::Silent;
  Request req (f.port, "POST", "/whep", kOffer, "application/sdp");
  g_assert_true (wait_until ([&] { return f.el ().count ("session-requested") == 3; }));
  f.server->router ().local_end_session (f.el ().id, f.el ().last_session (),
                                         std::string ("internal error: rtcpeerbin is missing"));
  g_assert_cmpuint (req.wait ().status, ==, 500);
  f.assert_clean ();
}

static void
test_answer_timeout ()
{
  ServerConfig config;
  config.whip.answer_timeout_ms = 200;
  Fixture f (rtc::proto::kRoleProducer, config);
  f.el ().mode = FakeElement::Silent;
  Reply r = post_offer (f, "/whep");
  g_assert_cmpuint (r.status, ==, 503);
  g_assert_true (contains (r.body, "did not answer"));
  g_assert_cmpuint (f.el ().count ("session-ended"), ==, 1);
  f.assert_clean ();
}

static void
test_client_gone_before_answer_frees_session ()
{
  Fixture f (rtc::proto::kRoleProducer);
  f.el ().mode = FakeElement::Silent;
  {
    Request req (f.port, "POST", "/whep", kOffer, "application/sdp");
    g_assert_true (wait_until ([&] { return !f.el ().last_session ().empty (); }));
    g_assert_cmpuint (f.server->whip ().resource_count (), ==, 1);
    req.cancel ();
  }
  g_assert_true (wait_until ([&] { return f.el ().count ("session-ended") == 1; }));
  f.assert_clean ();
}

static void
test_bad_posts ()
{
  ServerConfig config;
  config.whip.max_body_size = 4096;
  Fixture f (rtc::proto::kRoleConsumer, config);
  struct
  {
    const char *method, *path, *content_type;
    std::string body;
    guint status;
    const char *reason;
  } cases[] = {
    { "POST", "/whip", "text/plain", kOffer, 415, "application/sdp" },
    { "POST", "/whip", "application/json", "{}", 415, "application/sdp" },
    { "POST", "/whip", "application/sdp", "hello", 400, "v=0" },
    { "POST", "/whip", "application/sdp", "v=0\r\ns=-\r\n", 400, "no media" },
    { "POST", "/whip", "application/sdp", "v=0\r\nm=audio 9 RTP/AVP 0\r\nnot a line\r\n", 400,
      "line 3" },
    { "POST", "/whip", "application/sdp", "v=0\r\nm=audio\xff\r\n", 400, "UTF-8" },
    { "POST", "/whip", "application/sdp", std::string (5000, 'x'), 413, "too large" },
    { "GET", "/whip", nullptr, "", 405, "not allowed" },
    { "PUT", "/whip/abc", "application/sdp", kOffer, 405, "not allowed" },
    { "POST", "/whep", "application/sdp", kOffer, 404, "rtcbroadcastsink" },
    { "POST", "/whip/a/b", "application/sdp", kOffer, 404, "not found" },
    { "PATCH", "/whip/00000000-0000-4000-8000-000000000000", "application/trickle-ice-sdpfrag",
      "a=end-of-candidates\r\n", 404, "unknown session" },
    { "DELETE", "/whip/nope", nullptr, "", 404, "unknown session" },
  };
  for (const auto &c : cases)
    {
      Reply r = http (f.port, c.method, c.path, c.body, c.content_type);
      if (r.status != c.status || !contains (r.body, c.reason))
        g_error ("%s %s: expected %u with '%s', got %u '%s'", c.method, c.path, c.status, c.reason,
                 r.status, r.body.c_str ());
      g_assert_true (g_str_has_prefix (r.header ("Content-Type").c_str (), "text/plain"));
      if (c.status == 405)
        g_assert_false (r.header ("Allow").empty ());
    }
  g_assert_cmpuint (f.el ().events.size (), ==, 0);
  f.assert_clean ();
}

static void
test_bad_patches ()
{
  Fixture f (rtc::proto::kRoleProducer);
  Reply r = post_offer (f, "/whep");
  const std::string location = assert_created (r, "/whep/");
  const std::string etag = r.header ("ETag");
  const gsize events = f.el ().events.size ();
  const std::string good = "m=audio 9 RTP/AVP 0\r\na=mid:a\r\na=candidate:1 1 udp 1 1.2.3.4 5 typ "
                           "host\r\n";
  struct
  {
    const char *content_type;
    std::string body;
    const char *if_match;
    guint status;
    const char *reason;
  } cases[] = {
    { "application/sdp", good, etag.c_str (), 415, "trickle-ice-sdpfrag" },
    { "application/trickle-ice-sdpfrag", good, nullptr, 428, "If-Match" },
    { "application/trickle-ice-sdpfrag", good, "\"other\"", 412, "ETag" },
    { "application/trickle-ice-sdpfrag", "a=candidate:1 1 udp 1 1.2.3.4 5 typ host\r\n",
      etag.c_str (), 400, "before any m= line" },
    { "application/trickle-ice-sdpfrag", "garbage\r\n", etag.c_str (), 400, "line 1" },
    { "application/trickle-ice-sdpfrag", "m=audio 9 RTP/AVP 0\r\na=mid:zz\r\n", etag.c_str (), 400,
      "unknown a=mid:zz" },
    { "application/trickle-ice-sdpfrag", "a=ice-ufrag:new1\r\na=ice-pwd:newpassword\r\n", "*", 422,
      "ICE restarts are not supported" },
  };
  for (const auto &c : cases)
    {
      Headers h;
      if (c.if_match)
        h.emplace_back ("If-Match", c.if_match);
      Reply p = http (f.port, "PATCH", location, c.body, c.content_type, h);
      if (p.status != c.status || !contains (p.body, c.reason))
        g_error ("PATCH '%s': expected %u with '%s', got %u '%s'", c.body.c_str (), c.status,
                 c.reason, p.status, p.body.c_str ());
    }
  /* None of it reached the element, and the session is still usable. */
  g_assert_cmpuint (f.el ().events.size (), ==, events);
  g_assert_cmpuint (patch (f, location, good, { { "If-Match", etag } }).status, ==, 204);
  g_assert_cmpuint (f.el ().events.size (), ==, events + 1);
  g_assert_cmpuint (f.el ().events.back ().n, ==, 0);
}

static void
test_max_peers ()
{
  ServerConfig config;
  config.max_peers = 1;
  Fixture f (rtc::proto::kRoleProducer, config);
  const std::string location = assert_created (post_offer (f, "/whep"), "/whep/");
  Reply r = post_offer (f, "/whep");
  g_assert_cmpuint (r.status, ==, 503);
  g_assert_true (contains (r.body, "too many peers"));
  g_assert_cmpuint (http (f.port, "DELETE", location).status, ==, 200);
  g_assert_cmpuint (post_offer (f, "/whep").status, ==, 201);
}

static void
test_shutdown_answers_held_post ()
{
  Fixture f (rtc::proto::kRoleConsumer);
  f.el ().mode = FakeElement::Silent;
  Request req (f.port, "POST", "/whip", kOffer, "application/sdp");
  g_assert_true (wait_until ([&] { return f.el ().count ("sdp") == 1; }));
  f.server->router ().shutdown ();
  Reply r = req.wait ();
  g_assert_cmpuint (r.status, ==, 503);
  g_assert_cmpuint (f.server->whip ().resource_count (), ==, 0);
}

static void
test_ice_server_links ()
{
  using rtc::signaling::whip_ice_server_link;
  const std::string stun = *whip_ice_server_link ("stun://stun.example.net:3478");
  g_assert_cmpstr (stun.c_str (), ==, "<stun:stun.example.net:3478>; rel=\"ice-server\"");
  const std::string turn
      = *whip_ice_server_link ("turn://u%40x:p%3Aw@127.0.0.1:3478?transport=udp");
  g_assert_cmpstr (turn.c_str (), ==,
                   "<turn:127.0.0.1:3478?transport=udp>; rel=\"ice-server\"; username=\"u@x\"; "
                   "credential=\"p:w\"; credential-type=\"password\"");
  /* What our WHIP client reads back is what went in. */
  g_auto (GStrv) back = rtc_whip_parse_ice_servers (turn.c_str ());
  g_assert_cmpuint (g_strv_length (back), ==, 1);
  g_assert_cmpstr (back[0], ==, "turn://u%40x:p%3Aw@127.0.0.1:3478?transport=udp");
  const std::string turns = *whip_ice_server_link ("turns://a:b%22c@h:5349");
  g_assert_cmpstr (turns.c_str (), ==,
                   "<turns:h:5349>; rel=\"ice-server\"; username=\"a\"; credential=\"b\\\"c\"; "
                   "credential-type=\"password\"");
  for (const char *bad : { "http://x:1", "turn://host:3478", "stun://u:p@h:1", "stun://",
                           "stun://a b:1", "stun://h:1>; rel=x" })
    g_assert_false (whip_ice_server_link (bad).has_value ());
}

/* A fake WebSocket peer that keeps what the Router sends it. */
class InboxSink : public rtc::signaling::PeerSink
{
public:
  explicit InboxSink (std::vector<std::string> &inbox) : inbox_ (inbox) {}
  void send_text (const std::string &text) override { inbox_.push_back (text); }

private:
  std::vector<std::string> &inbox_;
};

static void
test_websocket_consumer_cannot_take_a_whip_publisher ()
{
  Fixture f (rtc::proto::kRoleConsumer);
  assert_created (post_offer (f, "/whip"), "/whip/");
  Router &router = f.server->router ();
  std::vector<std::string> inbox;
  const std::string ws = router.add_remote (std::make_unique<InboxSink> (inbox));
  router.handle_text (ws, R"({"type":"list"})");
  /* The WHIP publisher is listed as a producer... */
  const std::string &list = inbox.back ();
  const auto at = list.find ("\"id\":\"");
  g_assert_true (at != std::string::npos);
  const std::string publisher = list.substr (at + 6, 36);
  g_assert_true (g_uuid_string_is_valid (publisher.c_str ()));
  /* ...but a session with it is ended at once: a WHIP resource serves the element only. */
  router.handle_text (ws, rtc::proto::request_session (publisher, std::nullopt));
  g_assert_true (contains (inbox.back (), "sessionStarted"));
  g_assert_cmpuint (router.session_count (), ==, 2);
  g_assert_true (wait_until ([&] { return contains (inbox.back (), "endSession"); }));
  g_assert_cmpuint (router.session_count (), ==, 1);
  g_assert_cmpuint (f.server->whip ().resource_count (), ==, 1);
  router.remove_remote (ws);
}

static void
test_server_destroyed_with_held_post ()
{
  Fixture f (rtc::proto::kRoleProducer);
  f.el ().mode = FakeElement::Silent;
  Request req (f.port, "POST", "/whep", kOffer, "application/sdp");
  g_assert_true (wait_until ([&] { return !f.el ().last_session ().empty (); }));
  /* No shutdown() first, the element still registered: the held reply must neither crash nor
   * leak, and the client must not hang. */
  f.server.reset ();
  f.el ().router_gone = true;
  g_assert_true (wait_until ([&] { return req.done (); }));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/signaling/whip-server/whep-post-creates-session",
                   test_whep_post_creates_session);
  g_test_add_func ("/signaling/whip-server/whip-post-creates-session",
                   test_whip_post_creates_session);
  g_test_add_func ("/signaling/whip-server/post-waits-for-end-of-candidates",
                   test_post_waits_for_end_of_candidates);
  g_test_add_func ("/signaling/whip-server/gather-timeout-sends-what-it-has",
                   test_gather_timeout_sends_what_it_has);
  g_test_add_func ("/signaling/whip-server/patch-trickles-to-element",
                   test_patch_trickles_to_element);
  g_test_add_func ("/signaling/whip-server/delete-ends-session", test_delete_ends_session);
  g_test_add_func ("/signaling/whip-server/element-end-removes-resource",
                   test_element_end_removes_resource);
  g_test_add_func ("/signaling/whip-server/options-preflight", test_options_preflight);
  g_test_add_func ("/signaling/whip-server/cors-origin-list", test_cors_origin_list);
  g_test_add_func ("/signaling/whip-server/token-required", test_token_required);
  g_test_add_func ("/signaling/whip-server/element-refusal-becomes-http-error",
                   test_element_refusal_becomes_http_error);
  g_test_add_func ("/signaling/whip-server/answer-timeout", test_answer_timeout);
  g_test_add_func ("/signaling/whip-server/client-gone-before-answer-frees-session",
                   test_client_gone_before_answer_frees_session);
  g_test_add_func ("/signaling/whip-server/bad-posts", test_bad_posts);
  g_test_add_func ("/signaling/whip-server/bad-patches", test_bad_patches);
  g_test_add_func ("/signaling/whip-server/max-peers", test_max_peers);
  g_test_add_func ("/signaling/whip-server/shutdown-answers-held-post",
                   test_shutdown_answers_held_post);
  g_test_add_func ("/signaling/whip-server/websocket-consumer-cannot-take-a-whip-publisher",
                   test_websocket_consumer_cannot_take_a_whip_publisher);
  g_test_add_func ("/signaling/whip-server/ice-server-links", test_ice_server_links);
  g_test_add_func ("/signaling/whip-server/server-destroyed-with-held-post",
                   test_server_destroyed_with_held_post);
  return g_test_run ();
}
