/* rtc::signaling: the embedded signalling server.
 *
 *  Router  - peers, roles, sessions and message routing, with no sockets: remote peers are
 *            reached through a PeerSink, in-process peers through a LocalPeer. The fuzz target
 *            and the unit tests drive it directly.
 *  Server  - libsoup 3 HTTP + WebSocket front end: serves the web pages, /stats, /metrics, and
 *            turns each /ws connection into a Router remote peer; /whip and /whep go to its
 *            WhipEndpoint (whip-endpoint.h), whose HTTP sessions are remote peers too.
 *
 * Threading and locks: both classes are confined to one thread (the GMainContext that was the
 * thread default when the Server was created); they hold no locks at all, so there is no lock
 * order to respect inside them. Callers on other threads marshal to that context (see
 * rtc-embedded-signaller.cpp, whose lock order is documented there: start_lock -> settings_lock,
 * state_lock is a leaf). LocalPeer callbacks may re-enter the Router: they are queued and run
 * only when the Router's state is consistent and no container is being iterated.
 */
#pragma once

#include "http-listener.h"
#include "ice-servers.h"
#include "protocol.h"

#include <libsoup/soup.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::signaling
{

class WhipEndpoint;

/* How the Router reaches a remote peer (a WebSocket, or a fake one in tests). */
class PeerSink
{
public:
  virtual ~PeerSink () = default;
  virtual void send_text (const std::string &text) = 0;
  /* Ask the transport to close; it reports back later through Router::remove_remote(). */
  virtual void close () {}
  /* Whether the local peer's end of candidates (an empty candidate) is sent to this peer. Not
   * to WebSocket peers: browsers finish without it, and webrtcbin 1.22 peers (gst-plugins-rs
   * clients, ours in the tests) take "" as a malformed candidate; WHIP/WHEP need it. */
  virtual bool wants_end_of_candidates () const { return false; }
};

/* An in-process peer (the element's side of the embedded signaller). */
class LocalPeer
{
public:
  virtual ~LocalPeer () = default;
  virtual void session_requested (const std::string &session_id, const std::string &peer_id,
                                  const std::optional<std::string> &offer)
      = 0;
  virtual void session_ended (const std::string &session_id) = 0;
  virtual void sdp (const std::string &session_id, const std::string &type, const std::string &sdp)
      = 0;
  virtual void ice (const std::string &session_id, guint mline_index, const std::string &candidate)
      = 0;
};

/* Compares a presented token with the secret without an early exit, so the time taken does not
 * tell how much of a guess matched. */
bool same_secret (const std::string &presented, const std::string &secret);

constexpr unsigned kAllRoles = proto::kRoleProducer | proto::kRoleConsumer | proto::kRoleListener;

struct Limits
{
  gsize max_message_size = 65536;     /* bytes; larger text gets an error reply */
  guint max_messages_per_second = 200; /* per peer; the excess is dropped (one error a second) */
};

class Router
{
public:
  explicit Router (Limits limits = {});
  ~Router ();
  Router (const Router &) = delete;
  Router &operator= (const Router &) = delete;

  /* A new remote peer: sends it `welcome` and returns its id. @allowed_roles are the roles it
   * may take (set by the transport from its credentials): setPeerStatus asking for more is
   * refused, and startSession, list and listConsumers need kRoleConsumer. */
  std::string add_remote (std::unique_ptr<PeerSink> sink, unsigned allowed_roles = kAllRoles);
  /* ICE servers every new peer's welcome carries (credentials of its own with a secret). */
  void set_ice (IceConfig ice) { ice_ = std::move (ice); }
  /* The transport is gone: ends its sessions, tells listeners, forgets it. */
  void remove_remote (const std::string &peer_id);
  void handle_text (const std::string &peer_id, std::string_view text);
  void handle_binary (const std::string &peer_id);
  /* A message from a remote peer that is already parsed (the WHIP/WHEP endpoint speaks for its
   * HTTP sessions this way): the flood guard and the checks of handle_text apply, replies go to
   * the peer's sink as usual, synchronously. */
  void handle_message (const std::string &peer_id, proto::ClientMessage msg);

  /* Registers an in-process peer. @role is kRoleProducer or kRoleConsumer; @meta is compact
   * JSON (object or "null"). @peer must outlive its registration. */
  std::string add_local (LocalPeer *peer, unsigned role, const std::string &meta);
  void remove_local (const std::string &peer_id);
  /* Calls from the local peer; unknown sessions are ignored with a warning (the element may
   * race a remote end). */
  void local_send_sdp (const std::string &local_id, const std::string &session_id,
                       const proto::SdpBody &sdp);
  void local_send_ice (const std::string &local_id, const std::string &session_id,
                       const proto::IceBody &ice);
  void local_end_session (const std::string &local_id, const std::string &session_id,
                          const std::optional<std::string> &reason);

  /* Shutdown: ends every session (with @notify_sessions, remote sides get endSession; local
   * peers are never told), then asks every remote transport to close. The standalone server
   * passes false: media does not flow through it, so its clients keep their peer connections. */
  void shutdown (bool notify_sessions = true);

  gsize remote_count () const;
  /* Ids of the in-process peers holding @role (kRoleProducer or kRoleConsumer). */
  std::vector<std::string> local_ids (unsigned role) const;
  gsize session_count () const { return sessions_.size (); }

private:
  struct Peer
  {
    std::string id;
    std::unique_ptr<PeerSink> sink; /* remote peers */
    LocalPeer *local = nullptr;     /* local peers */
    unsigned roles = 0;
    unsigned allowed = kAllRoles;
    std::string meta = "null";
    proto::Version version = proto::Version::V1_0;
    bool spoke = false; /* sent a message: setProtocolVersion must come first */
    gint64 window_start = 0; /* flood guard: start of the current one-second window */
    guint window_count = 0;
    bool window_warned = false;
  };
  struct Session
  {
    std::string id;
    std::string producer;
    std::string consumer;
  };
  class Guard;

  Peer *find_peer (const std::string &id);
  void send (Peer &peer, const std::string &text);
  void reply_error (Peer &peer, const std::string &details,
                    const std::optional<std::string> &session_id = std::nullopt);
  bool rate_ok (Peer &peer);
  void dispatch (Peer &peer, proto::ClientMessage &msg);
  void set_roles (Peer &peer, unsigned roles, const std::string &meta);
  /* Handles startSession from @from to @to_id, which may be a producer (@from consumes) or a
   * consumer (@from produces); returns an error text or "" on success. */
  std::string request_session (Peer &from, const std::string &to_id,
                               const std::optional<std::string> &offer);
  void start_session (Peer &producer, Peer &consumer, const std::optional<std::string> &offer);
  /* Ends the sessions in which @peer_id holds @role (kRoleProducer or kRoleConsumer). */
  void end_sessions_of (const std::string &peer_id, unsigned role);
  void forward_peer (Peer &from, proto::ClientMessage &msg);
  /* Removes @session_id; tells the side that is not @ender (endSession or session-ended). */
  void end_session (const std::string &session_id, const std::string &ender,
                    const std::optional<std::string> &reason);
  void notify_listeners (const std::string &about, unsigned roles, const std::string &meta);
  std::vector<proto::PeerInfo> peers_with (unsigned role);
  void queue_local (const std::string &peer_id, std::function<void (LocalPeer &)> call);
  void remove_peer_now (const std::string &peer_id);
  void drain ();

  Limits limits_;
  IceConfig ice_;
  std::map<std::string, Peer> peers_;
  std::map<std::string, Session> sessions_;
  /* Re-entrancy: work that must wait until no public call is on the stack. */
  int depth_ = 0;
  std::deque<std::string> pending_removals_;
  std::deque<std::pair<std::string, std::function<void (LocalPeer &)>>> pending_local_;
};

/* The /whip and /whep endpoints (WhipEndpoint, whip-endpoint.h, docs/whip-whep.md). */
struct WhipConfig
{
  bool whip = true; /* serve /whip when there is a local consumer */
  bool whep = true; /* serve /whep when there is a local producer */
  /* Bearer token every POST, PATCH and DELETE must carry ("Authorization: Bearer <t>");
   * empty: none needed. */
  std::string auth_token;
  /* Access-Control-Allow-Origin for browsers: "*", one origin, or several separated by commas
   * (the request's Origin is echoed when it is one of them); "" sends no CORS headers. */
  std::string cors_allow_origin = "*";
  guint gather_timeout_ms = 1000;  /* after the answer, wait this long for end-of-candidates */
  guint answer_timeout_ms = 10000; /* no answer by then: 503 and the session ends */
  gsize max_body_size = 65536;     /* larger bodies get 413 */
  guint max_candidates = 100;      /* per PATCH; more get 400 */
  guint max_peers = 0;             /* remote peers (WebSocket and HTTP) at once, 0 = no limit */
  /* ICE servers for the Link headers of 201 and OPTIONS (RFC 9725), credentials per session
   * when the config has a TURN secret. Empty: the ServerConfig's ice is used. */
  IceConfig ice;
};

/* Returns a newly allocated body or nullopt (-> 503). */
using HttpBodyFunc = std::function<std::optional<std::string> ()>;

struct ServerConfig
{
  Limits limits;
  HttpBodyFunc stats;
  HttpBodyFunc metrics;
  /* Resource served at "/"; with @root_viewer_for_producer, "/?producer=<id>" serves
   * viewer.html instead (the standalone server's list page links there). */
  std::string root_page = "viewer.html";
  bool root_viewer_for_producer = false;
  /* Bearer tokens (empty: that side needs none). Clients present them as
   * "Authorization: Bearer <t>" on the /ws upgrade, "?token=<t>" in the /ws URL, or the
   * rtckit-token cookie that a page request with a valid "?token=" sets. The producer token
   * grants every role, the consumer token consumer and listener. A wrong token, or none when
   * every role needs one, gets HTTP 401 on the upgrade. */
  std::string producer_token;
  std::string consumer_token;
  guint max_peers = 0;           /* remote peers at once, 0 = no limit; more get HTTP 503 */
  guint keepalive_interval = 30; /* seconds between pings, 0 = none; a peer that sends nothing
                                  * (no pong either) for 3 intervals is closed */
  std::string tls_cert_file;     /* PEM files; when set the server speaks https/wss only */
  std::string tls_key_file;
  WhipConfig whip; /* its max_peers is taken from max_peers above */
  /* ICE servers for the pages: every peer's "welcome" carries them as "iceServers"
   * (RTCIceServer JSON), with credentials of its own when there is a TURN secret; WHIP/WHEP
   * use them too unless whip.ice is set. */
  IceConfig ice;
  /* Connections and timeouts. Request bodies of every path are bounded by
   * whip.max_body_size, the largest body any endpoint takes. */
  ListenerLimits listener;
};

class Server
{
public:
  explicit Server (ServerConfig config);
  ~Server ();
  Server (const Server &) = delete;
  Server &operator= (const Server &) = delete;

  /* Binds "HOST:PORT" / "[V6]:PORT" on the thread-default context. On failure sets @error
   * (G_IO_ERROR_ADDRESS_IN_USE, G_IO_ERROR_INVALID_ARGUMENT, ...) with the address in the text. */
  bool listen (const std::string &address, GError **error);
  guint port () const { return port_; }
  Router &router () { return router_; }
  WhipEndpoint &whip () { return *whip_; }
  /* The accept loop's counters (connections refused, timed out, bodies too large); null
   * before listen(). */
  const HttpListener *listener () const { return listener_.get (); }
  /* Ends all sessions (see Router::shutdown), closes all sockets and stops accepting. */
  void shutdown (bool notify_sessions = true);
  bool is_tls () const { return !config_.tls_cert_file.empty (); }
  /* The roles a /ws request may take with the credentials it presents; 0 = refuse (401). */
  unsigned allowed_roles (SoupServerMessage *msg, GHashTable *query, std::string &why) const;
  /* The roles @token grants, 0 when it matches no configured token. */
  unsigned token_role (const std::string &token) const;

  /* Parses "HOST:PORT" or "[V6]:PORT"; "localhost" means 127.0.0.1. */
  static GSocketAddress *parse_address (const std::string &address, GError **error);

private:
  class WsSink;
  class SoupResponder;
  static void on_whip (SoupServer *server, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer user_data);
  static void on_http (SoupServer *server, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer user_data);
  static void on_ws_request (SoupServer *server, SoupServerMessage *msg, const char *path,
                             GHashTable *query, gpointer user_data);
  static void on_websocket (SoupServer *server, SoupServerMessage *msg, const char *path,
                            SoupWebsocketConnection *conn, gpointer user_data);
  static gboolean on_keepalive_check (gpointer user_data);

  ServerConfig config_;
  Router router_;
  std::unique_ptr<WhipEndpoint> whip_; /* after router_: goes first, its peers with it */
  SoupServer *soup_ = nullptr;
  std::unique_ptr<HttpListener> listener_;
  guint port_ = 0;
  GSource *keepalive_ = nullptr;
  std::vector<WsSink *> sinks_; /* live /ws connections, for the keepalive check */
};

} // namespace rtc::signaling
