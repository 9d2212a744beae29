/* libFuzzer target: the /whip and /whep request handling (WhipEndpoint) and the Router behind
 * it, no sockets. One Router holds a local producer (so /whep is served) and a local consumer
 * (/whip), like an element each, answering from inside their callbacks; one WebSocket-like
 * listener peer can start sessions with WHIP publishers.
 *
 * Input: blocks separated by a line "--". A block is a request:
 *     METHOD PATH
 *     Header: value
 *     ...
 *     <empty line>
 *     body
 * or an action, a line starting with '!':
 *     !t  let timers expire (answer and gather timeouts are 1 ms here) and idle work run; the
 *         main context runs only here, so runs are reproducible
 *     !a  the element answers the last session (answer + one candidate), !e end of candidates
 *     !x  the element ends the last session with a reason
 *     !m  element mode from the next letter: a (answer at once), r (refuse), s (silent)
 *     !g  the client of the oldest held request goes away
 *     !w  the listener starts a session with the last WHIP publisher it heard of
 *     !s  the Router shuts down
 * In a block, @R is the last Location, @E the last ETag, @O a valid offer, @F a valid fragment,
 * @T the token. Checked after every step: responses are well formed (statuses the RFC names,
 * text/plain reasons, 201 with Location/ETag/SDP), a responder answers at most once, and every
 * WHIP/WHEP resource is exactly one Router peer (nothing leaks either way). */
#include "server.h"
#include "whip-endpoint.h"

#include <json-glib/json-glib.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>

namespace
{

using namespace rtc::signaling;

const char *const kOffer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                           "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:u1\r\na=ice-pwd:p1\r\n"
                           "a=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n";
const char *const kFrag = "a=ice-ufrag:u1\r\na=ice-pwd:p1\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n"
                          "a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\na=end-of-candidates\r\n";
const char *const kToken = "fuzz-token";

struct State
{
  std::string location, etag, last_session, publisher;
  std::set<class FakeResponder *> live; /* responders not yet destroyed: the held ones */
};

class FakeResponder : public HttpResponder
{
public:
  explicit FakeResponder (State &st) : st_ (st) { st_.live.insert (this); }
  ~FakeResponder () override
  {
    st_.live.erase (this);
    /* Dropped without an answer: only allowed when its client went away. */
    if (!answered_ && !abandoned)
      abort ();
  }
  void respond (const HttpResponse &r) override
  {
    if (answered_)
      abort ();
    answered_ = true;
    check (r);
  }
  bool abandoned = false;

private:
  void check (const HttpResponse &r)
  {
    static const std::set<guint> known
        = { 200, 201, 204, 400, 401, 404, 405, 406, 412, 413, 415, 422, 428, 500, 503 };
    if (!known.count (r.status))
      abort ();
    if (r.status >= 400
        && (r.content_type.rfind ("text/plain", 0) != 0 || r.body.size () < 2
            || r.body.back () != '\n'))
      abort ();
    if (r.status == 405 && !r.header ("Allow"))
      abort ();
    if (r.status == 401 && !r.header ("WWW-Authenticate"))
      abort ();
    if (r.status == 201)
      {
        const std::string *loc = r.header ("Location");
        const std::string *etag = r.header ("ETag");
        if (!loc || !etag || r.content_type != "application/sdp"
            || r.body.rfind ("v=0\r\n", 0) != 0)
          abort ();
        st_.location = *loc;
        st_.etag = *etag;
      }
  }
  State &st_;
  bool answered_ = false;
};

class FakeElement : public LocalPeer
{
public:
  FakeElement (State &st, Router &r) : st_ (st), r_ (r) {}
  void session_requested (const std::string &sid, const std::string &,
                          const std::optional<std::string> &offer) override
  {
    st_.last_session = sid;
    last = sid;
    if (offer)
      react (sid);
  }
  void session_ended (const std::string &sid) override
  {
    /* Racing the end: must be ignored. */
    r_.local_send_ice (id, sid, { "candidate:late", 0 });
  }
  void sdp (const std::string &sid, const std::string &type, const std::string &) override
  {
    if (type == "offer")
      react (sid);
  }
  void ice (const std::string &, guint, const std::string &) override {}
  void answer (const std::string &sid)
  {
    r_.local_send_sdp (id, sid, { "answer", "v=0\r\nm=audio 9 X 0\r\nm=video 9 X 96\r\n" });
    r_.local_send_ice (id, sid, { "candidate:1 1 udp 1 127.0.0.1 4 typ host", 1 });
  }
  void end_of_candidates (const std::string &sid) { r_.local_send_ice (id, sid, { "", 0 }); }
  std::string id, last;
  char mode = 'a';

private:
  void react (const std::string &sid)
  {
    if (mode == 'a')
      {
        answer (sid);
        end_of_candidates (sid);
      }
    else if (mode == 'r')
      r_.local_end_session (id, sid, std::string ("max-viewers reached: try again later"));
  }
  State &st_;
  Router &r_;
};

/* The listener: learns WHIP publishers from peerStatusChanged. */
class ListenerSink : public PeerSink
{
public:
  explicit ListenerSink (State &st) : st_ (st) {}
  void send_text (const std::string &text) override
  {
    g_autoptr (JsonNode) n = json_from_string (text.c_str (), nullptr);
    if (!n || !JSON_NODE_HOLDS_OBJECT (n))
      abort ();
    JsonObject *o = json_node_get_object (n);
    if (g_strcmp0 (json_object_get_string_member_with_default (o, "type", ""), "peerStatusChanged")
        == 0)
      st_.publisher = json_object_get_string_member_with_default (o, "peerId", "");
  }

private:
  State &st_;
};

std::string
substitute (std::string_view text, const State &st)
{
  std::string out;
  for (size_t i = 0; i < text.size (); i++)
    {
      if (text[i] == '@' && i + 1 < text.size ())
        {
          const char c = text[i + 1];
          const std::string rep = c == 'R'   ? st.location
                                  : c == 'E' ? st.etag
                                  : c == 'O' ? kOffer
                                  : c == 'F' ? kFrag
                                  : c == 'T' ? kToken
                                             : "\x01";
          if (rep != "\x01")
            {
              out += rep;
              i++;
              continue;
            }
        }
      out += text[i];
    }
  return out;
}

HttpRequest
parse_request (std::string_view block, const State &st)
{
  HttpRequest req;
  const std::string text = substitute (block, st);
  size_t pos = text.find ('\n');
  std::string first = text.substr (0, pos);
  const size_t sp = first.find (' ');
  req.method = first.substr (0, sp);
  req.path = sp == std::string::npos ? "" : first.substr (sp + 1);
  while (pos != std::string::npos)
    {
      const size_t start = pos + 1;
      pos = text.find ('\n', start);
      std::string line
          = text.substr (start, pos == std::string::npos ? std::string::npos : pos - start);
      if (line.empty ())
        {
          if (pos != std::string::npos)
            req.body = text.substr (pos + 1);
          break;
        }
      const size_t colon = line.find (':');
      if (colon == std::string::npos)
        continue;
      std::string value = line.substr (colon + 1);
      if (!value.empty () && value[0] == ' ')
        value.erase (0, 1);
      req.headers.emplace_back (line.substr (0, colon), value);
    }
  return req;
}

void
iterate ()
{
  while (g_main_context_iteration (nullptr, FALSE))
    ;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  State st;
  Limits limits;
  limits.max_messages_per_second = G_MAXUINT; /* time-dependent paths make runs irreproducible */
  Router router (limits);
  FakeElement prod (st, router), cons (st, router);
  prod.id = router.add_local (&prod, rtc::proto::kRoleProducer, "null");
  cons.id = router.add_local (&cons, rtc::proto::kRoleConsumer, "null");
  const std::string listener = router.add_remote (std::make_unique<ListenerSink> (st));
  router.handle_text (listener, R"({"type":"setPeerStatus","roles":["listener"]})");

  WhipConfig config;
  config.auth_token = size > 0 && (data[0] & 1) ? kToken : "";
  config.cors_allow_origin
      = size > 0 && (data[0] & 2) ? "https://a.example, https://b.example" : "*";
  config.gather_timeout_ms = 1;
  config.answer_timeout_ms = 1;
  config.max_body_size = 2048;
  config.max_candidates = 4;
  config.max_peers = 8;
  auto endpoint = std::make_unique<WhipEndpoint> (router, config);

  auto check_invariants = [&] {
    /* Every resource is one Router peer, and nothing else is (besides the listener). */
    if (router.remote_count () != endpoint->resource_count () + 1)
      abort ();
    /* Held requests belong to live resources. */
    if (st.live.size () > endpoint->resource_count ())
      abort ();
  };

  std::string_view input (reinterpret_cast<const char *> (data), size);
  while (!input.empty ())
    {
      size_t end = input.find ("\n--\n");
      std::string_view block = input.substr (0, end);
      input = end == std::string_view::npos ? std::string_view () : input.substr (end + 4);
      if (block.empty ())
        continue;
      if (block[0] == '!')
        {
          const char op = block.size () > 1 ? block[1] : 't';
          const std::string sid = st.last_session;
          switch (op)
            {
            case 'a':
              prod.answer (sid);
              cons.answer (sid);
              break;
            case 'e':
              prod.end_of_candidates (sid);
              cons.end_of_candidates (sid);
              break;
            case 'x':
              router.local_end_session (prod.id, sid, std::string ("internal error: fuzz"));
              router.local_end_session (cons.id, sid, std::string ("no supported codec"));
              break;
            case 'm':
              prod.mode = cons.mode = block.size () > 2 ? block[2] : 'a';
              break;
            case 'g':
              if (!st.live.empty ())
                {
                  FakeResponder *r = *st.live.begin ();
                  r->abandoned = true;
                  endpoint->abandon (r);
                  /* The endpoint held it, so it must have let it go. */
                  if (st.live.count (r))
                    abort ();
                }
              break;
            case 'w':
              if (!st.publisher.empty ())
                router.handle_text (listener,
                                    rtc::proto::request_session (st.publisher, std::nullopt));
              break;
            case 's':
              router.shutdown ();
              break;
            case 't':
              /* Sleep only when a timer can matter: a held request. */
              if (!st.live.empty ())
                g_usleep (1100);
              iterate ();
              break;
            default:
              break;
            }
        }
      else
        {
          HttpRequest req = parse_request (block, st);
          endpoint->handle (req, std::make_unique<FakeResponder> (st));
        }
      check_invariants ();
    }
  router.shutdown ();
  iterate ();
  if (endpoint->resource_count () != 0 || router.session_count () != 0)
    abort ();
  endpoint.reset ();
  router.remove_local (prod.id);
  router.remove_local (cons.id);
  return 0;
}
