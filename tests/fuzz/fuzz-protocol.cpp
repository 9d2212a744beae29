/* libFuzzer target: protocol parsing and Router dispatch, no sockets.
 *
 * Input: lines. The first byte of a line picks the actor, the rest is the message:
 *   'a' 'b' 'c'  text from remote peer A, B or C (C holds no consumer token: it may only
 *                produce, as on a server with --consumer-token)
 *   'x'          remote peer (next byte % 3) disconnects and a new one takes its place
 *   'L'          the local producer acts on the last session: 's' sdp, 'i' ice, 'e'/'E' end
 *                with/without reason
 *   anything else: the whole line is text from peer A
 * In texts, @A @B @C @L @K and @S are replaced by the peer ids, the local producer / consumer
 * ids and the last session id seen, so short inputs reach deep states. Every message the Router
 * sends must be a JSON object with a string "type"; anything else aborts. */
#include "server.h"

#include <json-glib/json-glib.h>

#include <array>
#include <cstdint>
#include <cstdlib>

namespace
{

using rtc::signaling::LocalPeer;
using rtc::signaling::PeerSink;
using rtc::signaling::Router;

struct State
{
  std::string last_session;
};

void
check_outgoing (State &st, const std::string &text)
{
  g_autoptr (JsonNode) n = json_from_string (text.c_str (), nullptr);
  if (!n || !JSON_NODE_HOLDS_OBJECT (n))
    abort ();
  JsonObject *o = json_node_get_object (n);
  if (!json_object_has_member (o, "type") || !json_object_get_string_member (o, "type"))
    abort ();
  JsonNode *sid = json_object_get_member (o, "sessionId");
  if (sid && JSON_NODE_HOLDS_VALUE (sid) && json_node_get_value_type (sid) == G_TYPE_STRING)
    st.last_session = json_node_get_string (sid);
}

class FakeSink : public PeerSink
{
public:
  explicit FakeSink (State &st) : st_ (st) {}
  void
  send_text (const std::string &text) override
  {
    check_outgoing (st_, text);
  }

private:
  State &st_;
};

/* Answers like an element would, re-entering the Router from its callbacks. */
class FakeLocal : public LocalPeer
{
public:
  FakeLocal (State &st, Router &r) : st_ (st), r_ (r) {}
  void
  session_requested (const std::string &sid, const std::string &, const std::optional<std::string> &offer) override
  {
    st_.last_session = sid;
    r_.local_send_sdp (id, sid, { offer ? "answer" : "offer", "v=0\r\n" });
  }
  void
  session_ended (const std::string &sid) override
  {
    /* Racing a remote end: must be ignored. */
    r_.local_send_ice (id, sid, { "candidate:late", 0 });
  }
  void
  sdp (const std::string &sid, const std::string &type, const std::string &) override
  {
    if (type == "offer")
      r_.local_send_sdp (id, sid, { "answer", "v=0\r\n" });
  }
  void
  ice (const std::string &sid, guint mline, const std::string &cand) override
  {
    if (cand.empty ())
      r_.local_end_session (id, sid, std::string ("done"));
    (void) mline;
  }
  std::string id;

private:
  State &st_;
  Router &r_;
};

std::string
substitute (std::string text, const std::array<std::string, 3> &remote, const FakeLocal &prod,
            const FakeLocal &cons, const State &st)
{
  std::string out;
  for (size_t i = 0; i < text.size (); i++)
    {
      if (text[i] == '@' && i + 1 < text.size ())
        {
          const char c = text[i + 1];
          const std::string *rep = c == 'A'   ? &remote[0]
                                   : c == 'B' ? &remote[1]
                                   : c == 'C' ? &remote[2]
                                   : c == 'L' ? &prod.id
                                   : c == 'K' ? &cons.id
                                   : c == 'S' ? &st.last_session
                                              : nullptr;
          if (rep)
            {
              out += *rep;
              i++;
              continue;
            }
        }
      out += text[i];
    }
  return out;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  State st;
  rtc::signaling::Limits limits;
  limits.max_message_size = 4096;
  limits.max_messages_per_second = G_MAXUINT; /* time-dependent paths make runs irreproducible */
  Router router (limits);
  FakeLocal prod (st, router), cons (st, router);
  prod.id = router.add_local (&prod, rtc::proto::kRoleProducer, R"({"name":"fuzz"})");
  cons.id = router.add_local (&cons, rtc::proto::kRoleConsumer, "null");
  std::array<std::string, 3> remote;
  /* Peer C's allowed roles exercise the token checks of dispatch. */
  auto allowed = [] (size_t i) {
    return i == 2 ? unsigned (rtc::proto::kRoleProducer) : rtc::signaling::kAllRoles;
  };
  for (size_t i = 0; i < remote.size (); i++)
    remote[i] = router.add_remote (std::make_unique<FakeSink> (st), allowed (i));

  std::string_view input (reinterpret_cast<const char *> (data), size);
  while (!input.empty ())
    {
      const size_t nl = input.find ('\n');
      std::string_view line = input.substr (0, nl);
      input = nl == std::string_view::npos ? std::string_view () : input.substr (nl + 1);
      if (line.empty ())
        continue;
      const char actor = line[0];
      std::string_view rest = line.substr (1);
      switch (actor)
        {
        case 'a':
        case 'b':
        case 'c':
          router.handle_text (remote[actor - 'a'],
                              substitute (std::string (rest), remote, prod, cons, st));
          break;
        case 'x':
          {
            const size_t i = rest.empty () ? 0 : static_cast<unsigned char> (rest[0]) % 3;
            router.remove_remote (remote[i]);
            remote[i] = router.add_remote (std::make_unique<FakeSink> (st), allowed (i));
            break;
          }
        case 'L':
          {
            const char op = rest.empty () ? 's' : rest[0];
            const std::string sid = st.last_session;
            if (op == 's')
              router.local_send_sdp (prod.id, sid, { "offer", "v=0" });
            else if (op == 'i')
              router.local_send_ice (prod.id, sid, { "candidate:1", 1 });
            else if (op == 'e')
              router.local_end_session (prod.id, sid, std::string ("bye"));
            else
              router.local_end_session (prod.id, sid, std::nullopt);
            break;
          }
        default:
          router.handle_text (remote[0], substitute (std::string (line), remote, prod, cons, st));
          break;
        }
    }
  router.remove_local (cons.id);
  router.shutdown ();
  return 0;
}
