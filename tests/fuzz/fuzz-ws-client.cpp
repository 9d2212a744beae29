/* libFuzzer target: what RtcWsSignaller reads of a signalling server's messages
 * (rtc::proto::parse_server_message), the code the signaller runs on every WebSocket text frame.
 *
 * Input: one message. Checked: a message that parses holds what its kind promises (a peer message
 * exactly one of sdp and ice, sdpMLineIndex within 0..65535), and it reads back the same once
 * written by our own server's serialisers: the client and the server agree on the protocol. */
#include "fuzz-check.h"
#include "protocol.h"

#include <cstdint>
#include <string_view>

namespace
{

using namespace rtc::proto;

/* The message as our server would have sent it; "" for what it never sends. */
std::string
written (const ServerMessage &m)
{
  switch (m.kind)
    {
    case ServerKind::Welcome:
      return welcome (m.peer_id);
    case ServerKind::StartSession:
      return start_session (m.peer_id, m.session_id, m.offer);
    case ServerKind::SessionStarted:
      return session_started (m.peer_id, m.session_id);
    case ServerKind::Peer:
      return m.sdp ? peer_sdp (m.session_id, *m.sdp) : peer_ice (m.session_id, *m.ice);
    case ServerKind::EndSession:
      return end_session (m.session_id);
    case ServerKind::List:
      {
        std::vector<PeerInfo> peers;
        for (const auto &id : m.producers)
          peers.push_back ({ id, "null" });
        return list (peers);
      }
    case ServerKind::PeerStatusChanged:
      return peer_status_changed (m.peer_id, m.roles, "null");
    case ServerKind::Error:
      return m.details ? error (*m.details, m.error_session_id) : "";
    }
  return "";
}

bool
same (const ServerMessage &a, const ServerMessage &b)
{
  return a.kind == b.kind && a.peer_id == b.peer_id && a.session_id == b.session_id
         && a.offer == b.offer && a.sdp.has_value () == b.sdp.has_value ()
         && (!a.sdp || (a.sdp->type == b.sdp->type && a.sdp->sdp == b.sdp->sdp))
         && a.ice.has_value () == b.ice.has_value ()
         && (!a.ice
             || (a.ice->candidate == b.ice->candidate && a.ice->mline_index == b.ice->mline_index))
         && a.producers == b.producers && a.roles == b.roles && a.details == b.details
         && a.error_session_id == b.error_session_id;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  std::string error;
  std::optional<ServerMessage> m = parse_server_message (
      std::string_view (reinterpret_cast<const char *> (data), size), error);
  if (!m)
    {
      FUZZ_CHECK (!error.empty ());
      return 0;
    }
  if (m->kind == ServerKind::Peer)
    FUZZ_CHECK (m->sdp.has_value () != m->ice.has_value ());
  else
    FUZZ_CHECK (!m->sdp && !m->ice);
  if (m->ice)
    FUZZ_CHECK (m->ice->mline_index <= G_MAXUINT16);
  FUZZ_CHECK ((m->roles & ~unsigned (kRoleProducer | kRoleConsumer | kRoleListener)) == 0);

  const std::string text = written (*m);
  if (!text.empty ())
    {
      std::optional<ServerMessage> again = parse_server_message (text, error);
      FUZZ_CHECK (again && same (*m, *again));
    }
  return 0;
}
