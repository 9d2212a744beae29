/* rtc::proto: the JSON signalling protocol of gst-plugins-rs' gst-webrtc-signalling-server,
 * as a typed model. Parsing is strict (every field checked, errors in words a peer can act on);
 * serialisers produce exactly the shapes documented in docs/protocol.md.
 *
 * Plain C++ (no GObject types in the API); json-glib does the JSON work underneath. */
#pragma once

#include <glib.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::proto
{

/* Roles as bits so a peer can hold several (listener + producer). */
enum Role : unsigned
{
  kRoleProducer = 1u << 0,
  kRoleConsumer = 1u << 1,
  kRoleListener = 1u << 2,
};

/* Role names in a fixed order: producer, consumer, listener. */
std::vector<std::string> role_names (unsigned roles);

struct SdpBody
{
  std::string type; /* "offer" or "answer" */
  std::string sdp;
};

struct IceBody
{
  std::string candidate; /* may be empty: end of candidates */
  guint mline_index = 0;
};

/* Client -> server message kinds. */
enum class Kind
{
  SetProtocolVersion,
  SetPeerStatus,
  StartSession,
  Peer,
  EndSession,
  List,
  ListConsumers,
};

const char *kind_name (Kind kind);

/* Protocol versions of gst-plugins-rs' server: 1.1 adds endSessionV1_1 (an end with a reason). */
enum class Version
{
  V1_0,
  V1_1,
};

struct ClientMessage
{
  Kind kind = Kind::List;
  Version version = Version::V1_0;    /* SetProtocolVersion */
  unsigned roles = 0;                 /* SetPeerStatus */
  std::string meta = "null";          /* SetPeerStatus: compact JSON, an object or null */
  std::optional<std::string> peer_id; /* SetPeerStatus (optional), StartSession (required) */
  std::optional<std::string> offer;   /* StartSession */
  std::string session_id;             /* Peer, EndSession */
  std::optional<std::string> error;   /* EndSession sent as endSessionV1_1 (optional) */
  bool v1_1 = false;                  /* EndSession: sent as endSessionV1_1 */
  std::optional<SdpBody> sdp;         /* Peer: exactly one of sdp / ice */
  std::optional<IceBody> ice;
};

/* Parses one WebSocket text message. On failure returns nullopt and sets @error to a sentence
 * suitable for an `error` reply (no trailing period). Unknown extra fields are ignored, as the
 * Rust server's serde model does. */
std::optional<ClientMessage> parse_client_message (std::string_view text, std::string &error);

/* Validates @json as an object or null and returns it compact; nullopt when invalid. */
std::optional<std::string> normalize_meta (std::string_view json, std::string &error);

/* A peer as listed in `list` / `listConsumers`. */
struct PeerInfo
{
  std::string id;
  std::string meta = "null"; /* compact JSON */
};

/* Server -> client messages, serialised compact. */
/* @ice_servers_json: an RTCIceServer array (ice-servers.h) the pages use, or "" for none. */
std::string welcome (const std::string &peer_id, const std::string &ice_servers_json = "");
std::string peer_status_changed (const std::string &peer_id, unsigned roles,
                                 const std::string &meta);
std::string session_started (const std::string &producer_id, const std::string &session_id);
std::string start_session (const std::string &consumer_id, const std::string &session_id,
                           const std::optional<std::string> &offer);
std::string peer_sdp (const std::string &session_id, const SdpBody &sdp);
std::string peer_ice (const std::string &session_id, const IceBody &ice);
std::string end_session (const std::string &session_id);
/* Protocol 1.1: the end of a session with the reason, if any ("error": null without one). */
std::string end_session_v1_1 (const std::string &session_id,
                              const std::optional<std::string> &error);
std::string list (const std::vector<PeerInfo> &producers);
std::string list_consumers (const std::vector<PeerInfo> &consumers);
std::string error (const std::string &details,
                   const std::optional<std::string> &session_id = std::nullopt);

/* Server -> client message kinds, as a client (RtcWsSignaller) acts on them. */
enum class ServerKind
{
  Welcome,
  StartSession,
  SessionStarted,
  Peer,
  EndSession, /* endSession and endSessionV1_1 */
  List,
  PeerStatusChanged,
  Error,
};

struct ServerMessage
{
  ServerKind kind = ServerKind::Error;
  std::string peer_id;              /* Welcome, StartSession, SessionStarted, PeerStatusChanged */
  std::string session_id;           /* StartSession, SessionStarted, Peer, EndSession */
  std::optional<std::string> offer; /* StartSession */
  std::optional<SdpBody> sdp;       /* Peer: exactly one of sdp / ice */
  std::optional<IceBody> ice;
  std::vector<std::string> producers;          /* List: the ids, in order */
  unsigned roles = 0;                          /* PeerStatusChanged */
  std::optional<std::string> details;          /* Error */
  std::optional<std::string> error_session_id; /* Error: the session it is about, if any */
};

/* Parses one message a signalling server sent to a client. Lenient where a client can go on
 * (unknown roles and extra fields are ignored, sdp.type is any string, list entries that are not
 * {"id": string} are skipped) and nullopt where it cannot act: not one JSON object (UTF-8,
 * nothing after it but whitespace), an unknown type, a required field missing or of another type.
 * @error then says why. */
std::optional<ServerMessage> parse_server_message (std::string_view text, std::string &error);

/* Client -> server serialisers (for tests, the fuzz corpus and future client signallers). */
std::string set_peer_status (unsigned roles, const std::string &meta);
std::string request_session (const std::string &producer_id,
                             const std::optional<std::string> &offer);
std::string request_end_session (const std::string &session_id);

} // namespace rtc::proto
