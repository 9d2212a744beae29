/* rtc::signaling::Router and Server: see server.h. */
#include "server.h"

#include "whip-endpoint.h"

#include <cstring>

extern "C" GResource *rtckit_web_get_resource (void);

namespace rtc::signaling
{

namespace
{

std::string
new_uuid ()
{
  g_autofree gchar *id = g_uuid_string_random ();
  return id;
}

/* Peer-provided ids are echoed in errors: keep them short. */
std::string
quoted (const std::string &s)
{
  return "'" + s.substr (0, 64) + "'";
}

} // namespace

/* Every public entry point holds a Guard; work that must not run while the Router is in the
 * middle of something (peer removal, LocalPeer callbacks, which may re-enter) is queued and
 * drained when the outermost Guard goes away. */
class Router::Guard
{
public:
  explicit Guard (Router &r) : r_ (r) { ++r_.depth_; }
  ~Guard ()
  {
    if (--r_.depth_ == 0)
      r_.drain ();
  }
  Guard (const Guard &) = delete;
  Guard &operator= (const Guard &) = delete;

private:
  Router &r_;
};

Router::Router (Limits limits) : limits_ (limits) {}

Router::~Router () = default;

Router::Peer *
Router::find_peer (const std::string &id)
{
  auto it = peers_.find (id);
  return it == peers_.end () ? nullptr : &it->second;
}

gsize
Router::remote_count () const
{
  gsize n = 0;
  for (const auto &[id, p] : peers_)
    n += p.sink ? 1 : 0;
  return n;
}

std::vector<std::string>
Router::local_ids (unsigned role) const
{
  std::vector<std::string> ids;
  for (const auto &[id, p] : peers_)
    if (p.local && (p.roles & role))
      ids.push_back (id);
  return ids;
}

void
Router::send (Peer &peer, const std::string &text)
{
  if (peer.sink)
    peer.sink->send_text (text);
}

void
Router::reply_error (Peer &peer, const std::string &details,
                     const std::optional<std::string> &session_id)
{
  send (peer, proto::error (details, session_id));
}

void
Router::queue_local (const std::string &peer_id, std::function<void (LocalPeer &)> call)
{
  pending_local_.emplace_back (peer_id, std::move (call));
}

void
Router::drain ()
{
  ++depth_;
  while (!pending_removals_.empty () || !pending_local_.empty ())
    {
      if (!pending_removals_.empty ())
        {
          std::string id = std::move (pending_removals_.front ());
          pending_removals_.pop_front ();
          remove_peer_now (id);
          continue;
        }
      auto [id, call] = std::move (pending_local_.front ());
      pending_local_.pop_front ();
      /* The local peer may have been removed since the call was queued. */
      if (Peer *p = find_peer (id); p && p->local)
        call (*p->local);
    }
  --depth_;
}

std::string
Router::add_remote (std::unique_ptr<PeerSink> sink, unsigned allowed_roles)
{
  Guard g (*this);
  std::string id = new_uuid ();
  Peer &p = peers_[id];
  p.id = id;
  p.sink = std::move (sink);
  p.allowed = allowed_roles & kAllRoles;
  send (p, proto::welcome (id, ice_.empty () ? "" : ice_servers_json (ice_.for_peer (id))));
  return id;
}

void
Router::remove_remote (const std::string &peer_id)
{
  Guard g (*this);
  pending_removals_.push_back (peer_id);
}

std::string
Router::add_local (LocalPeer *peer, unsigned role, const std::string &meta)
{
  Guard g (*this);
  std::string id = new_uuid ();
  Peer &p = peers_[id];
  p.id = id;
  p.local = peer;
  set_roles (p, role, meta);
  return id;
}

void
Router::remove_local (const std::string &peer_id)
{
  Guard g (*this);
  pending_removals_.push_back (peer_id);
}

void
Router::end_sessions_of (const std::string &peer_id, unsigned role)
{
  std::vector<std::string> ended;
  for (const auto &[sid, s] : sessions_)
    if (((role & proto::kRoleProducer) && s.producer == peer_id)
        || ((role & proto::kRoleConsumer) && s.consumer == peer_id))
      ended.push_back (sid);
  for (const auto &sid : ended)
    end_session (sid, peer_id, std::nullopt);
}

void
Router::remove_peer_now (const std::string &peer_id)
{
  Peer *p = find_peer (peer_id);
  if (!p)
    return;
  end_sessions_of (peer_id, proto::kRoleProducer | proto::kRoleConsumer);
  const std::string meta = p->meta;
  /* Keep the sink alive until the map no longer points at it: its destructor may close. */
  std::unique_ptr<PeerSink> sink = std::move (p->sink);
  peers_.erase (peer_id);
  /* As the reference server does: every peer that leaves is announced, whatever its roles,
   * with its last meta, so listeners' lists of producers and consumers stay true. */
  notify_listeners (peer_id, 0, meta);
}

bool
Router::rate_ok (Peer &peer)
{
  const gint64 now = g_get_monotonic_time ();
  if (now - peer.window_start >= G_USEC_PER_SEC)
    {
      peer.window_start = now;
      peer.window_count = 0;
      peer.window_warned = false;
    }
  if (++peer.window_count <= limits_.max_messages_per_second)
    return true;
  /* One error per window: answering every dropped message would amplify the flood. */
  if (!peer.window_warned)
    {
      peer.window_warned = true;
      reply_error (peer, "too many messages: more than "
                             + std::to_string (limits_.max_messages_per_second)
                             + " per second, dropping the excess");
    }
  return false;
}

void
Router::handle_text (const std::string &peer_id, std::string_view text)
{
  Guard g (*this);
  Peer *p = find_peer (peer_id);
  if (!p || !p->sink)
    return;
  if (!rate_ok (*p))
    return;
  if (text.size () > limits_.max_message_size)
    {
      reply_error (*p, "message too large: " + std::to_string (text.size ()) + " bytes (limit "
                           + std::to_string (limits_.max_message_size) + ")");
      return;
    }
  std::string err;
  std::optional<proto::ClientMessage> msg = proto::parse_client_message (text, err);
  if (!msg)
    {
      reply_error (*p, err);
      return;
    }
  dispatch (*p, *msg);
}

void
Router::handle_message (const std::string &peer_id, proto::ClientMessage msg)
{
  Guard g (*this);
  Peer *p = find_peer (peer_id);
  if (!p || !p->sink || !rate_ok (*p))
    return;
  dispatch (*p, msg);
}

void
Router::handle_binary (const std::string &peer_id)
{
  Guard g (*this);
  Peer *p = find_peer (peer_id);
  if (p && rate_ok (*p))
    reply_error (*p, "binary messages are not supported: send JSON text");
}

void
Router::dispatch (Peer &peer, proto::ClientMessage &msg)
{
  const bool first = !peer.spoke;
  peer.spoke = true;
  switch (msg.kind)
    {
    case proto::Kind::SetProtocolVersion:
      if (!first)
        {
          reply_error (peer, "setProtocolVersion must be the first message");
          return;
        }
      peer.version = msg.version;
      break;
    case proto::Kind::SetPeerStatus:
      /* A peerId in the message is ignored, as the reference server does: a peer can only set
       * its own status. */
      if (unsigned denied = msg.roles & ~peer.allowed)
        {
          reply_error (peer, "not allowed to take the role '" + proto::role_names (denied)[0]
                                 + "': wrong or missing token");
          return;
        }
      set_roles (peer, msg.roles, msg.meta);
      break;
    case proto::Kind::StartSession:
      if (std::string err = request_session (peer, *msg.peer_id, msg.offer); !err.empty ())
        reply_error (peer, err);
      break;
    case proto::Kind::Peer:
      forward_peer (peer, msg);
      break;
    case proto::Kind::EndSession:
      {
        if (msg.error && peer.version < proto::Version::V1_1)
          {
            reply_error (peer, "endSessionV1_1 with an error needs protocol version 1.1: send "
                               "{\"type\":\"setProtocolVersion\",\"version\":\"v1_1\"} first");
            return;
          }
        auto it = sessions_.find (msg.session_id);
        /* A session that is already over: the other side may have ended it while this message
         * was on its way. Only logged, as the reference server does. */
        if (it == sessions_.end ())
          g_debug ("rtckit signalling: endSession for unknown session %s from %s",
                   msg.session_id.substr (0, 64).c_str (), peer.id.c_str ());
        else if (it->second.producer != peer.id && it->second.consumer != peer.id)
          reply_error (peer, "you are not part of session " + quoted (msg.session_id));
        else
          end_session (msg.session_id, peer.id, msg.error);
        break;
      }
    case proto::Kind::List:
    case proto::Kind::ListConsumers:
      if (!(peer.allowed & proto::kRoleConsumer))
        {
          reply_error (peer, "not allowed to list peers: wrong or missing consumer token");
          return;
        }
      if (msg.kind == proto::Kind::List)
        send (peer, proto::list (peers_with (proto::kRoleProducer)));
      else
        send (peer, proto::list_consumers (peers_with (proto::kRoleConsumer)));
      break;
    }
}

void
Router::set_roles (Peer &peer, unsigned roles, const std::string &meta)
{
  /* The same status again changes nothing and tells nobody (gstwebrtc-api sends it again when
   * a producer session closes). */
  if (roles == peer.roles && meta == peer.meta)
    return;
  const unsigned old = peer.roles;
  /* A peer that stops producing (or consuming) ends the sessions it held in that role. */
  end_sessions_of (peer.id, old & ~roles & (proto::kRoleProducer | proto::kRoleConsumer));
  peer.roles = roles;
  peer.meta = meta;
  notify_listeners (peer.id, roles, meta);

  /* Local consumers (rtcingestsrc) consume every producer that appears, like gst-plugins-rs'
   * webrtcsrc does; a local consumer that appears consumes the existing producers. */
  std::vector<std::string> consumers, producers;
  if (!(old & proto::kRoleProducer) && (roles & proto::kRoleProducer))
    {
      producers.push_back (peer.id);
      for (const auto &[id, p] : peers_)
        if (p.local && (p.roles & proto::kRoleConsumer))
          consumers.push_back (id);
    }
  else if (peer.local && (roles & proto::kRoleConsumer))
    {
      consumers.push_back (peer.id);
      for (const auto &[id, p] : peers_)
        if (id != peer.id && (p.roles & proto::kRoleProducer))
          producers.push_back (id);
    }
  for (const auto &c : consumers)
    for (const auto &pr : producers)
      {
        Peer *cp = find_peer (c), *pp = find_peer (pr);
        if (cp && pp)
          start_session (*pp, *cp, std::nullopt);
      }
}

void
Router::notify_listeners (const std::string &about, unsigned roles, const std::string &meta)
{
  /* The peer itself too, when it listens: gstwebrtc-api waits for its own status echo. */
  const std::string text = proto::peer_status_changed (about, roles, meta);
  for (auto &[id, p] : peers_)
    if (p.roles & proto::kRoleListener)
      send (p, text);
}

std::vector<proto::PeerInfo>
Router::peers_with (unsigned role)
{
  std::vector<proto::PeerInfo> out;
  for (const auto &[id, p] : peers_)
    if (p.roles & role)
      out.push_back ({ id, p.meta });
  return out;
}

std::string
Router::request_session (Peer &from, const std::string &to_id,
                         const std::optional<std::string> &offer)
{
  if (to_id == from.id)
    return "cannot start a session with yourself";
  Peer *to = find_peer (to_id);
  if (!to)
    return "unknown peer " + quoted (to_id);
  const bool to_producer = to->roles & proto::kRoleProducer;
  if (to_producer && !(from.allowed & proto::kRoleConsumer))
    return "not allowed to start sessions: wrong or missing consumer token";
  if (!to_producer && !(to->roles & proto::kRoleConsumer))
    return "peer " + quoted (to_id) + " is neither a producer nor a consumer";
  /* Otherwise a producer starts a session with a consumer (gstwebrtc-api's
   * createProducerSessionForConsumer) and offers next. */
  if (!to_producer && !(from.allowed & proto::kRoleProducer))
    return "not allowed to start sessions with consumers: wrong or missing producer token";
  if (!to_producer && offer)
    return "a producer sends its offer in a 'peer' message, not in 'startSession'";
  Peer &producer = to_producer ? *to : from, &consumer = to_producer ? from : *to;

  /* One session per producer and consumer: when both ask at once (a consumer that consumes
   * every new producer, a producer that starts a session with it), the second request gets
   * the first session again instead of a second peer connection between the same two. */
  for (const auto &[sid, s] : sessions_)
    if (s.producer == producer.id && s.consumer == consumer.id)
      {
        if (offer)
          return "already in session " + quoted (sid) + " with peer " + quoted (to_id);
        if (to_producer)
          send (from, proto::session_started (producer.id, sid));
        else
          send (from, proto::start_session (consumer.id, sid, std::nullopt));
        return {};
      }
  start_session (producer, consumer, offer);
  return {};
}

void
Router::start_session (Peer &producer, Peer &consumer, const std::optional<std::string> &offer)
{
  const std::string sid = new_uuid ();
  sessions_[sid] = Session{ sid, producer.id, consumer.id };

  /* The consumer learns the session id before the producer can answer with an offer. */
  if (consumer.local)
    queue_local (consumer.id, [sid, pid = producer.id] (LocalPeer &l) {
      l.session_requested (sid, pid, std::nullopt);
    });
  else
    send (consumer, proto::session_started (producer.id, sid));

  if (producer.local)
    queue_local (producer.id, [sid, cid = consumer.id, offer] (LocalPeer &l) {
      l.session_requested (sid, cid, offer);
    });
  else
    send (producer, proto::start_session (consumer.id, sid, offer));
}

void
Router::forward_peer (Peer &from, proto::ClientMessage &msg)
{
  auto it = sessions_.find (msg.session_id);
  /* Candidates and descriptions still on their way when a session ended: only logged, as the
   * reference server does. */
  if (it == sessions_.end ())
    {
      g_debug ("rtckit signalling: peer message for unknown session %s from %s",
               msg.session_id.substr (0, 64).c_str (), from.id.c_str ());
      return;
    }
  const Session &s = it->second;
  if (s.producer != from.id && s.consumer != from.id)
    {
      reply_error (from, "you are not part of session " + quoted (msg.session_id));
      return;
    }
  /* gst-plugins-rs 1.1: the producer offers in a 'peer' message, a consumer only inside
   * startSession. A remote consumer's offer here would make both sides offer (glare). */
  if (from.sink && msg.sdp && msg.sdp->type == "offer" && s.consumer == from.id)
    {
      reply_error (from, "a consumer sends its offer in 'startSession', not in a 'peer' message "
                         "(session "
                             + quoted (msg.session_id) + ")");
      return;
    }
  Peer *to = find_peer (s.producer == from.id ? s.consumer : s.producer);
  if (!to)
    return;
  const std::string sid = s.id;
  if (to->local)
    {
      if (msg.sdp)
        queue_local (to->id, [sid, sdp = std::move (*msg.sdp)] (LocalPeer &l) {
          l.sdp (sid, sdp.type, sdp.sdp);
        });
      else
        queue_local (to->id, [sid, ice = std::move (*msg.ice)] (LocalPeer &l) {
          l.ice (sid, ice.mline_index, ice.candidate);
        });
      return;
    }
  send (*to, msg.sdp ? proto::peer_sdp (sid, *msg.sdp) : proto::peer_ice (sid, *msg.ice));
}

void
Router::end_session (const std::string &session_id, const std::string &ender,
                     const std::optional<std::string> &reason)
{
  auto it = sessions_.find (session_id);
  if (it == sessions_.end ())
    return;
  const Session s = it->second;
  sessions_.erase (it);
  Peer *other = find_peer (s.producer == ender ? s.consumer : s.producer);
  if (!other)
    return;
  if (other->local)
    {
      if (reason)
        g_debug ("rtckit signalling: session %s ended: %s", s.id.c_str (), reason->c_str ());
      queue_local (other->id, [sid = s.id] (LocalPeer &l) { l.session_ended (sid); });
      return;
    }
  /* 1.1 peers get the reason inside endSessionV1_1; 1.0 peers (our pages, gstwebrtc-api) an
   * error naming the session right before the endSession. */
  if (other->version >= proto::Version::V1_1)
    send (*other, proto::end_session_v1_1 (s.id, reason));
  else
    {
      if (reason)
        send (*other, proto::error (*reason, s.id));
      send (*other, proto::end_session (s.id));
    }
}

/* A local call for a session the peer is not in: ignored, the element may race a remote end. */
#define LOCAL_SESSION_OR_RETURN(sess, local_id, session_id)                                        \
  auto sess##_it = sessions_.find (session_id);                                                    \
  if (sess##_it == sessions_.end ()                                                                \
      || (sess##_it->second.producer != local_id && sess##_it->second.consumer != local_id))       \
    {                                                                                              \
      g_debug ("local peer: ignoring message for unknown session %s", session_id.c_str ());        \
      return;                                                                                      \
    }                                                                                              \
  const Session &sess = sess##_it->second

void
Router::local_send_sdp (const std::string &local_id, const std::string &session_id,
                        const proto::SdpBody &sdp)
{
  Guard g (*this);
  LOCAL_SESSION_OR_RETURN (s, local_id, session_id);
  proto::ClientMessage msg;
  msg.kind = proto::Kind::Peer;
  msg.session_id = s.id;
  msg.sdp = sdp;
  if (Peer *p = find_peer (local_id))
    forward_peer (*p, msg);
}

void
Router::local_send_ice (const std::string &local_id, const std::string &session_id,
                        const proto::IceBody &ice)
{
  Guard g (*this);
  LOCAL_SESSION_OR_RETURN (s, local_id, session_id);
  proto::ClientMessage msg;
  msg.kind = proto::Kind::Peer;
  msg.session_id = s.id;
  msg.ice = ice;
  if (ice.candidate.empty ())
    {
      Peer *remote = find_peer (s.producer == local_id ? s.consumer : s.producer);
      if (!remote || !remote->sink || !remote->sink->wants_end_of_candidates ())
        return;
    }
  if (Peer *p = find_peer (local_id))
    forward_peer (*p, msg);
}

void
Router::local_end_session (const std::string &local_id, const std::string &session_id,
                           const std::optional<std::string> &reason)
{
  Guard g (*this);
  LOCAL_SESSION_OR_RETURN (s, local_id, session_id);
  end_session (s.id, local_id, reason);
}

#undef LOCAL_SESSION_OR_RETURN

void
Router::shutdown (bool notify_sessions)
{
  Guard g (*this);
  /* Move out first: sending may not touch sessions_, but keep iteration trivially safe. */
  std::map<std::string, Session> sessions = std::move (sessions_);
  sessions_.clear ();
  if (notify_sessions)
    for (const auto &[sid, s] : sessions)
      for (const std::string *side : { &s.producer, &s.consumer })
        if (Peer *p = find_peer (*side); p && p->sink)
          send (*p, proto::end_session (sid));
  for (auto &[id, p] : peers_)
    if (p.sink)
      p.sink->close ();
}

/* ---- Server: libsoup front end ---------------------------------------------------------- */

/* One /ws connection as seen by the Router. */
class Server::WsSink : public PeerSink
{
public:
  WsSink (Server *server, SoupWebsocketConnection *conn)
      : server_ (server), conn_ (SOUP_WEBSOCKET_CONNECTION (g_object_ref (conn))),
        last_heard_ (g_get_monotonic_time ())
  {
    server_->sinks_.push_back (this);
  }
  ~WsSink () override
  {
    std::erase (server_->sinks_, this);
    g_signal_handlers_disconnect_by_data (conn_, this);
    close ();
    g_object_unref (conn_);
  }
  WsSink (const WsSink &) = delete;
  WsSink &operator= (const WsSink &) = delete;

  /* Called once the Router has given the peer its id. */
  void attach (const std::string &id)
  {
    id_ = id;
    g_signal_connect (conn_, "message", G_CALLBACK (on_message), this);
    g_signal_connect (conn_, "closed", G_CALLBACK (on_closed), this);
    g_signal_connect (conn_, "pong", G_CALLBACK (on_pong), this);
  }

  const std::string &id () const { return id_; }
  gint64 last_heard () const { return last_heard_; }
  void close_with (gushort code, const char *reason)
  {
    if (soup_websocket_connection_get_state (conn_) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (conn_, code, reason);
  }

  void send_text (const std::string &text) override
  {
    if (soup_websocket_connection_get_state (conn_) != SOUP_WEBSOCKET_STATE_OPEN)
      return;
    /* libsoup rejects invalid UTF-8 with a critical; an element could hand us such an SDP. */
    if (!g_utf8_validate (text.data (), static_cast<gssize> (text.size ()), nullptr))
      {
        g_warning ("rtckit signalling: dropping an outgoing message that is not UTF-8");
        return;
      }
    soup_websocket_connection_send_text (conn_, text.c_str ());
  }

  void close () override
  {
    if (soup_websocket_connection_get_state (conn_) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (conn_, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                       "server shutting down");
  }

private:
  static void on_message (SoupWebsocketConnection *, gint type, GBytes *message, gpointer data)
  {
    auto *self = static_cast<WsSink *> (data);
    self->last_heard_ = g_get_monotonic_time ();
    /* The Router defers removals until handle_text returns, so self stays valid here. */
    if (type == SOUP_WEBSOCKET_DATA_TEXT)
      {
        gsize size = 0;
        auto *bytes = static_cast<const char *> (g_bytes_get_data (message, &size));
        self->server_->router_.handle_text (self->id_, std::string_view (bytes, size));
      }
    else
      self->server_->router_.handle_binary (self->id_);
  }

  static void on_closed (SoupWebsocketConnection *, gpointer data)
  {
    auto *self = static_cast<WsSink *> (data);
    /* Copy: remove_remote() may destroy self before it returns. */
    const std::string id = self->id_;
    self->server_->router_.remove_remote (id);
  }

  static void on_pong (SoupWebsocketConnection *, GBytes *, gpointer data)
  {
    static_cast<WsSink *> (data)->last_heard_ = g_get_monotonic_time ();
  }

  Server *server_;
  SoupWebsocketConnection *conn_;
  std::string id_;
  gint64 last_heard_; /* last message or pong */
};

namespace
{

const char *
content_type_for (const std::string &name)
{
  static const std::pair<const char *, const char *> types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript" },
    { ".css", "text/css; charset=utf-8" },
    { ".json", "application/json" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { ".txt", "text/plain; charset=utf-8" },
  };
  for (const auto &[ext, type] : types)
    if (g_str_has_suffix (name.c_str (), ext))
      return type;
  return "application/octet-stream";
}

void
respond (SoupServerMessage *msg, guint status, const char *content_type, const char *body,
         gsize len)
{
  soup_server_message_set_status (msg, status, nullptr);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, body, len);
}

void
respond_text (SoupServerMessage *msg, guint status, const char *text)
{
  respond (msg, status, "text/plain; charset=utf-8", text, strlen (text));
}

/* Maps a request path to a resource name under /org/rtckit/web/, or "" if it cannot be one. */
std::string
resource_name_for (const std::string &path, const ServerConfig &config, GHashTable *query)
{
  if (path == "/")
    return config.root_viewer_for_producer && query && g_hash_table_contains (query, "producer")
               ? "viewer.html"
               : config.root_page;
  if (path == "/view")
    return "viewer.html";
  if (path == "/publish")
    return "publish.html";
  if (path == "/call")
    return "call.html";
  if (path.size () < 2 || path[0] != '/' || path.find ("..") != std::string::npos
      || path.find ("//") != std::string::npos)
    return {};
  return path.substr (1);
}

} // namespace

Server::Server (ServerConfig config) : config_ (std::move (config)), router_ (config_.limits)
{
  WhipConfig whip = config_.whip;
  whip.max_peers = config_.max_peers;
  if (whip.ice.empty ())
    whip.ice = config_.ice;
  router_.set_ice (config_.ice);
  whip_ = std::make_unique<WhipEndpoint> (router_, std::move (whip));
}

Server::~Server ()
{
  /* Held /whip and /whep requests get their 503 while their connections still exist. */
  whip_.reset ();
  if (keepalive_)
    {
      g_source_destroy (keepalive_);
      g_source_unref (keepalive_);
    }
  listener_.reset ();
  if (soup_)
    {
      soup_server_disconnect (soup_);
      g_object_unref (soup_);
    }
  /* router_ goes next (member order): its sinks close and drop their connections. */
}

void
Server::on_http (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *query,
                 gpointer user_data)
{
  auto *self = static_cast<Server *> (user_data);
  const char *method = soup_server_message_get_method (msg);
  const bool readable = strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  std::string p = path ? path : "";
  /* A browser asking for /stats gets the dashboard, which reads /stats.json; anything else the
   * JSON, as before. */
  const char *accept
      = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Accept");
  const bool dashboard = p == "/stats" && accept && strstr (accept, "text/html");
  if (p == "/stats.json")
    p = "/stats";

  if ((p == "/stats" && !dashboard) || p == "/metrics")
    {
      if (!readable)
        {
          soup_message_headers_replace (headers, "Allow", "GET, HEAD");
          respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed\n");
          return;
        }
      const bool stats = p == "/stats";
      const HttpBodyFunc &func = stats ? self->config_.stats : self->config_.metrics;
      std::optional<std::string> body = func ? func () : std::nullopt;
      if (!body)
        {
          respond_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "not available\n");
          return;
        }
      respond (msg, SOUP_STATUS_OK, stats ? "application/json" : "text/plain; version=0.0.4",
               body->data (), body->size ());
      return;
    }

  const std::string name
      = dashboard ? std::string ("stats.html") : resource_name_for (p, self->config_, query);
  g_autoptr (GBytes) bytes = nullptr;
  if (!name.empty ())
    bytes
        = g_resource_lookup_data (rtckit_web_get_resource (), ("/org/rtckit/web/" + name).c_str (),
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, nullptr);
  if (!bytes)
    {
      respond_text (msg, SOUP_STATUS_NOT_FOUND, "not found\n");
      return;
    }
  if (!readable)
    {
      soup_message_headers_replace (headers, "Allow", "GET, HEAD");
      respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed\n");
      return;
    }
  /* A page opened with a valid ?token= passes it on to its own /ws upgrade as a cookie:
   * rtckit.js builds its WebSocket URL without the page's query. */
  const char *token
      = query ? static_cast<const char *> (g_hash_table_lookup (query, "token")) : nullptr;
  if (token && *token && self->token_role (token) != 0)
    {
      g_autofree gchar *escaped = g_uri_escape_string (token, nullptr, FALSE);
      g_autofree gchar *cookie
          = g_strdup_printf ("rtckit-token=%s; Path=/; HttpOnly; SameSite=Strict%s", escaped,
                             self->is_tls () ? "; Secure" : "");
      soup_message_headers_append (headers, "Set-Cookie", cookie);
    }
  gsize len = 0;
  const auto *data = static_cast<const char *> (g_bytes_get_data (bytes, &len));
  respond (msg, SOUP_STATUS_OK, content_type_for (name), data, len);
}

bool
same_secret (const std::string &a, const std::string &b)
{
  unsigned diff = a.size () != b.size ();
  for (gsize i = 0; i < b.size (); i++)
    diff |= static_cast<unsigned char> (i < a.size () ? a[i] : 0)
            ^ static_cast<unsigned char> (b[i]);
  return diff == 0;
}

unsigned
Server::token_role (const std::string &token) const
{
  if (!config_.producer_token.empty () && same_secret (token, config_.producer_token))
    return kAllRoles;
  if (!config_.consumer_token.empty () && same_secret (token, config_.consumer_token))
    return proto::kRoleConsumer | proto::kRoleListener
           | (config_.producer_token.empty () ? proto::kRoleProducer : 0u);
  return 0;
}

unsigned
Server::allowed_roles (SoupServerMessage *msg, GHashTable *query, std::string &why) const
{
  if (config_.producer_token.empty () && config_.consumer_token.empty ())
    return kAllRoles;
  std::optional<std::string> token;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (req, "Authorization");
  if (auth && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    {
      g_autofree gchar *t = g_strstrip (g_strdup (auth + 7));
      token = t;
    }
  if (!token && query)
    if (const char *t = static_cast<const char *> (g_hash_table_lookup (query, "token")))
      token = t;
  if (!token)
    if (const char *cookies = soup_message_headers_get_one (req, "Cookie"))
      {
        GHashTable *params = soup_header_parse_semi_param_list (cookies);
        if (const char *t
            = static_cast<const char *> (g_hash_table_lookup (params, "rtckit-token")))
          {
            g_autofree gchar *raw = g_uri_unescape_string (t, nullptr);
            if (raw)
              token = raw;
          }
        soup_header_free_param_list (params);
      }
  if (token)
    {
      const unsigned roles = token_role (*token);
      if (roles == 0)
        why = "wrong token";
      return roles;
    }
  const unsigned roles
      = (config_.producer_token.empty () ? proto::kRoleProducer : 0u)
        | (config_.consumer_token.empty () ? proto::kRoleConsumer | proto::kRoleListener : 0u);
  if (roles == 0)
    why = "missing token: send 'Authorization: Bearer <token>' or add '?token=<token>'";
  return roles;
}

void
Server::on_ws_request (SoupServer *, SoupServerMessage *msg, const char *, GHashTable *query,
                       gpointer user_data)
{
  /* Runs before libsoup answers the upgrade: a status set here refuses it. */
  auto *self = static_cast<Server *> (user_data);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  std::string why;
  const unsigned roles = self->allowed_roles (msg, query, why);
  if (roles == 0)
    {
      soup_message_headers_replace (headers, "WWW-Authenticate", "Bearer realm=\"rtckit\"");
      const std::string text = why + "\n";
      respond (msg, SOUP_STATUS_UNAUTHORIZED, "text/plain; charset=utf-8", text.data (),
               text.size ());
      return;
    }
  if (self->config_.max_peers && self->router_.remote_count () >= self->config_.max_peers)
    {
      const std::string text = "too many peers: the server is full (limit "
                               + std::to_string (self->config_.max_peers) + ")\n";
      respond (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", text.data (),
               text.size ());
      return;
    }
  g_object_set_data (G_OBJECT (msg), "rtckit-allowed-roles", GUINT_TO_POINTER (roles));
}

gboolean
Server::on_keepalive_check (gpointer user_data)
{
  auto *self = static_cast<Server *> (user_data);
  const gint64 limit = 3 * static_cast<gint64> (self->config_.keepalive_interval) * G_USEC_PER_SEC;
  const gint64 now = g_get_monotonic_time ();
  std::vector<std::string> dead;
  for (WsSink *sink : self->sinks_)
    if (now - sink->last_heard () > limit)
      {
        sink->close_with (SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "keepalive timeout: no pong");
        dead.push_back (sink->id ());
      }
  /* Do not wait for the close handshake of a peer that does not answer. */
  for (const auto &id : dead)
    self->router_.remove_remote (id);
  return G_SOURCE_CONTINUE;
}

void
Server::on_websocket (SoupServer *, SoupServerMessage *msg, const char *,
                      SoupWebsocketConnection *conn, gpointer user_data)
{
  auto *self = static_cast<Server *> (user_data);
  const unsigned roles
      = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (msg), "rtckit-allowed-roles"));
  /* Let slightly oversized messages through so the Router can answer them with an error;
   * libsoup closes with 1009 only beyond this. */
  soup_websocket_connection_set_max_incoming_payload_size (
      conn, self->config_.limits.max_message_size + 16 * 1024);
  /* Pings find peers that vanished without a close (laptop lid, NAT timeout). */
  soup_websocket_connection_set_keepalive_interval (conn, self->config_.keepalive_interval);
  auto sink = std::make_unique<WsSink> (self, conn);
  WsSink *raw = sink.get ();
  const std::string id = self->router_.add_remote (std::move (sink), roles);
  raw->attach (id);
}

GSocketAddress *
Server::parse_address (const std::string &address, GError **error)
{
  std::string host, port;
  bool ok = true;
  if (!address.empty () && address[0] == '[')
    {
      const auto close = address.find (']');
      ok = close != std::string::npos && close + 1 < address.size () && address[close + 1] == ':';
      if (ok)
        {
          host = address.substr (1, close - 1);
          port = address.substr (close + 2);
        }
    }
  else
    {
      const auto colon = address.rfind (':');
      ok = colon != std::string::npos && address.find (':') == colon;
      if (ok)
        {
          host = address.substr (0, colon);
          port = address.substr (colon + 1);
        }
    }
  guint64 port_num = 0;
  ok = ok && !host.empty () && !port.empty () && port.size () <= 5
       && port.find_first_not_of ("0123456789") == std::string::npos
       && (port_num = g_ascii_strtoull (port.c_str (), nullptr, 10)) <= 65535;
  if (host == "localhost")
    host = "127.0.0.1";
  g_autoptr (GInetAddress) inet = ok ? g_inet_address_new_from_string (host.c_str ()) : nullptr;
  if (!inet)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "invalid address '%s': expected HOST:PORT or [IPV6]:PORT with an IP address "
                   "and a port from 0 to 65535",
                   address.c_str ());
      return nullptr;
    }
  return g_inet_socket_address_new (inet, static_cast<guint16> (port_num));
}

bool
Server::listen (const std::string &address, GError **error)
{
  g_return_val_if_fail (soup_ == nullptr, false);
  g_autoptr (GSocketAddress) addr = parse_address (address, error);
  if (!addr)
    return false;

  g_autoptr (GTlsCertificate) cert = nullptr;
  if (!config_.tls_cert_file.empty ())
    {
      g_autoptr (GError) err = nullptr;
      const std::string key
          = config_.tls_key_file.empty () ? config_.tls_cert_file : config_.tls_key_file;
      cert = g_tls_certificate_new_from_files (config_.tls_cert_file.c_str (), key.c_str (), &err);
      if (!cert)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "cannot load the TLS certificate '%s' with key '%s': %s",
                       config_.tls_cert_file.c_str (), key.c_str (), err->message);
          return false;
        }
    }

  soup_ = soup_server_new ("server-header", "rtckit ", "tls-certificate", cert, nullptr);
  soup_server_add_handler (soup_, nullptr, on_http, this, nullptr);
  soup_server_add_handler (soup_, "/whip", on_whip, this, nullptr);
  soup_server_add_handler (soup_, "/whep", on_whip, this, nullptr);
  soup_server_add_websocket_handler (soup_, "/ws", nullptr, nullptr, on_websocket, this, nullptr);
  /* No permessage-deflate, though browsers offer it: its zlib state is ~300 KB a peer (a third
   * of what a viewer cost the sink in all), to save a few KB on each SDP. */
  soup_server_remove_websocket_extension (soup_, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  /* Same path: libsoup runs this one before it answers the upgrade. */
  soup_server_add_handler (soup_, "/ws", on_ws_request, this, nullptr);

  g_autoptr (GError) err = nullptr;
  listener_
      = std::make_unique<HttpListener> (soup_, cert, config_.listener, config_.whip.max_body_size);
  if (!listener_->listen (addr, &err))
    {
      listener_.reset ();
      const int code = err->domain == G_IO_ERROR ? err->code : G_IO_ERROR_FAILED;
      if (code == G_IO_ERROR_ADDRESS_IN_USE)
        g_set_error (error, G_IO_ERROR, code,
                     "address %s is already in use: choose another port (or port 0 for a free "
                     "one)",
                     address.c_str ());
      else
        g_set_error (error, G_IO_ERROR, code, "cannot listen on %s: %s", address.c_str (),
                     err->message);
      g_clear_object (&soup_);
      return false;
    }

  port_ = listener_->port ();

  if (config_.keepalive_interval)
    {
      keepalive_ = g_timeout_source_new_seconds (config_.keepalive_interval);
      g_source_set_callback (keepalive_, on_keepalive_check, this, nullptr);
      g_source_attach (keepalive_, g_main_context_get_thread_default ());
    }
  return true;
}

void
Server::shutdown (bool notify_sessions)
{
  router_.shutdown (notify_sessions);
  if (listener_)
    listener_->close ();
  if (soup_)
    soup_server_disconnect (soup_);
}

} // namespace rtc::signaling
