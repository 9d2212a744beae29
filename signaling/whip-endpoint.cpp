/* rtc::signaling::WhipEndpoint: see whip-endpoint.h and docs/whip-whep.md. */
#include "whip-endpoint.h"

#include "sdp-text.h"

#include <json-glib/json-glib.h>

#include <algorithm>
#include <set>

namespace rtc::signaling
{

namespace
{

constexpr const char *kSdp = "application/sdp";
constexpr const char *kSdpFrag = "application/trickle-ice-sdpfrag";

const std::string *
find_header (const std::vector<std::pair<std::string, std::string>> &headers, std::string_view name)
{
  for (const auto &[k, v] : headers)
    if (k.size () == name.size ()
        && g_ascii_strncasecmp (k.data (), name.data (), name.size ()) == 0)
      return &v;
  return nullptr;
}

std::string
trim (std::string_view s)
{
  const auto b = s.find_first_not_of (" \t");
  if (b == std::string_view::npos)
    return {};
  const auto e = s.find_last_not_of (" \t");
  return std::string (s.substr (b, e - b + 1));
}

/* The media type of a Content-Type value, lower case, without parameters. */
std::string
media_type (const std::string *content_type)
{
  if (!content_type)
    return {};
  std::string t = trim (std::string_view (*content_type).substr (0, content_type->find (';')));
  std::transform (t.begin (), t.end (), t.begin (), [] (char c) { return g_ascii_tolower (c); });
  return t;
}

std::string
new_id ()
{
  g_autofree gchar *id = g_uuid_string_random ();
  return id;
}

std::string
new_etag ()
{
  return "\"" + std::to_string (g_random_int ()) + "-" + std::to_string (g_random_int ()) + "\"";
}

bool
contains (std::string_view haystack, std::string_view needle)
{
  return haystack.find (needle) != std::string_view::npos;
}

/* The Router's message to a sink, reduced to what the endpoint reads. */
struct RouterMessage
{
  std::string type, session_id, peer_id, details;
  std::optional<proto::SdpBody> sdp;
  std::optional<proto::IceBody> ice;
};

const char *
string_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return nullptr;
  return json_node_get_string (n);
}

std::optional<RouterMessage>
parse_router_message (std::string_view text)
{
  g_autoptr (JsonNode) node = json_from_string (std::string (text).c_str (), nullptr);
  if (!node || !JSON_NODE_HOLDS_OBJECT (node))
    return std::nullopt;
  JsonObject *o = json_node_get_object (node);
  RouterMessage m;
  auto str = [o] (const char *name) {
    const char *s = string_member (o, name);
    return std::string (s ? s : "");
  };
  m.type = str ("type");
  m.session_id = str ("sessionId");
  m.peer_id = str ("peerId");
  m.details = str ("details");
  if (JsonNode *sdp = json_object_get_member (o, "sdp"); sdp && JSON_NODE_HOLDS_OBJECT (sdp))
    {
      JsonObject *so = json_node_get_object (sdp);
      const char *type = string_member (so, "type");
      const char *body = string_member (so, "sdp");
      if (type && body)
        m.sdp = proto::SdpBody{ type, body };
    }
  if (JsonNode *ice = json_object_get_member (o, "ice"); ice && JSON_NODE_HOLDS_OBJECT (ice))
    {
      JsonObject *io = json_node_get_object (ice);
      const char *cand = string_member (io, "candidate");
      if (cand && json_object_has_member (io, "sdpMLineIndex"))
        m.ice = proto::IceBody{ cand, static_cast<guint> (
                                          json_object_get_int_member (io, "sdpMLineIndex")) };
    }
  return m;
}

} // namespace

const std::string *
HttpRequest::header (std::string_view name) const
{
  return find_header (headers, name);
}

const std::string *
HttpResponse::header (std::string_view name) const
{
  return find_header (headers, name);
}

HttpResponse
http_error (guint status, const std::string &reason)
{
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = reason + "\n";
  return r;
}

std::optional<std::string>
whip_ice_server_link (std::string_view url)
{
  auto server = parse_ice_server (url, false, nullptr);
  return server ? std::optional<std::string> (ice_server_link (*server)) : std::nullopt;
}

guint
whip_status_for_refusal (std::string_view reason)
{
  if (contains (reason, "max-") || contains (reason, "try again later")
      || contains (reason, "shutting down") || contains (reason, "stopped"))
    return 503;
  if (contains (reason, "internal error"))
    return 500;
  return 406;
}

/* One WHIP or WHEP session. */
struct WhipEndpoint::Resource
{
  std::string id; /* in the URL: /whip/<id> */
  bool whep = false;
  std::string origin;   /* of the POST, for the CORS headers of the held reply */
  std::string peer_id;  /* the Router's remote peer */
  Sink *sink = nullptr; /* owned by the Router */
  std::string session_id;
  std::string offer;
  sdp::OfferInfo info;
  std::string etag;
  std::optional<std::string> answer;
  std::vector<std::pair<guint, std::string>> candidates;
  bool complete = false;                  /* the element's end of candidates arrived */
  std::string last_error;                 /* the last error the Router sent about this session */
  std::set<guint> ends_forwarded;         /* m-lines whose end-of-candidates the element has */
  std::unique_ptr<HttpResponder> pending; /* the POST, until it is answered */
  GSource *timer = nullptr;

  ~Resource ()
  {
    if (timer)
      {
        g_source_destroy (timer);
        g_source_unref (timer);
      }
  }
};

/* The Router's view of a resource. The Router owns it and may outlive the resource: messages
 * for a resource that is gone are dropped. */
class WhipEndpoint::Sink : public PeerSink
{
public:
  Sink (WhipEndpoint *ep, std::string rid) : ep_ (ep), rid_ (std::move (rid)) {}
  ~Sink () override
  {
    if (ep_)
      ep_->on_sink_gone (rid_);
  }
  void send_text (const std::string &text) override
  {
    if (ep_)
      ep_->on_router_text (rid_, text);
  }
  void close () override
  {
    if (ep_)
      ep_->on_router_close (rid_);
  }
  bool wants_end_of_candidates () const override { return true; }
  void detach () { ep_ = nullptr; }

private:
  WhipEndpoint *ep_;
  std::string rid_;
};

WhipEndpoint::WhipEndpoint (Router &router, WhipConfig config)
    : router_ (router), config_ (std::move (config)),
      context_ (g_main_context_ref_thread_default ())
{
}

WhipEndpoint::~WhipEndpoint ()
{
  if (idle_)
    {
      g_source_destroy (idle_);
      g_source_unref (idle_);
    }
  std::map<std::string, std::unique_ptr<Resource>> resources = std::move (resources_);
  resources_.clear ();
  for (auto &[rid, r] : resources)
    {
      r->sink->detach ();
      router_.remove_remote (r->peer_id);
    }
  g_main_context_unref (context_);
}

bool
WhipEndpoint::owns_path (std::string_view path)
{
  for (std::string_view base : { "/whip", "/whep" })
    if (path.substr (0, base.size ()) == base
        && (path.size () == base.size () || path[base.size ()] == '/'))
      return true;
  return false;
}

WhipEndpoint::Resource *
WhipEndpoint::find (const std::string &rid)
{
  auto it = resources_.find (rid);
  return it == resources_.end () ? nullptr : it->second.get ();
}

void
WhipEndpoint::add_common_headers (const std::string &origin, HttpResponse &response) const
{
  response.headers.emplace_back ("Cache-Control", "no-store");
  const std::string &allowed = config_.cors_allow_origin;
  std::string allow;
  if (allowed == "*")
    allow = "*";
  else if (!allowed.empty () && !origin.empty ())
    {
      gchar **list = g_strsplit (allowed.c_str (), ",", -1);
      for (gchar **o = list; *o; o++)
        if (trim (*o) == origin)
          allow = origin;
      g_strfreev (list);
      response.headers.emplace_back ("Vary", "Origin");
    }
  if (allow.empty ())
    return;
  response.headers.emplace_back ("Access-Control-Allow-Origin", allow);
  response.headers.emplace_back ("Access-Control-Expose-Headers",
                                 "Location, ETag, Link, Accept-Post");
}

std::string
WhipEndpoint::authorization_problem (const HttpRequest &request) const
{
  if (config_.auth_token.empty ())
    return {};
  const std::string *auth = request.header ("Authorization");
  if (!auth || auth->size () < 7 || g_ascii_strncasecmp (auth->c_str (), "Bearer ", 7) != 0)
    return "missing token: send 'Authorization: Bearer <token>'";
  if (!same_secret (trim (std::string_view (*auth).substr (7)), config_.auth_token))
    return "wrong token";
  return {};
}

HttpResponse
WhipEndpoint::options (bool endpoint) const
{
  HttpResponse r;
  r.status = 204;
  const char *methods = endpoint ? "OPTIONS, POST" : "OPTIONS, PATCH, DELETE";
  r.headers.emplace_back ("Allow", methods);
  r.headers.emplace_back ("Access-Control-Allow-Methods", methods);
  r.headers.emplace_back ("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
  r.headers.emplace_back ("Access-Control-Max-Age", "86400");
  if (endpoint)
    {
      r.headers.emplace_back ("Accept-Post", kSdp);
      for (const auto &server : config_.ice.for_peer (""))
        r.headers.emplace_back ("Link", ice_server_link (server));
    }
  else
    r.headers.emplace_back ("Accept-Patch", kSdpFrag);
  return r;
}

void
WhipEndpoint::handle (const HttpRequest &request, std::unique_ptr<HttpResponder> responder)
{
  std::optional<HttpResponse> response = handle_now (request, responder);
  if (!response || !responder)
    return;
  const std::string *origin = request.header ("Origin");
  add_common_headers (origin ? *origin : "", *response);
  responder->respond (*response);
}

std::optional<HttpResponse>
WhipEndpoint::handle_now (const HttpRequest &request, std::unique_ptr<HttpResponder> &responder)
{
  /* /whip, /whep, /whip/<id>, /whep/<id>: nothing deeper. */
  const std::string &path = request.path;
  if (!owns_path (path) || (path.size () > 6 && path.find ('/', 6) != std::string::npos)
      || path.size () == 6)
    return http_error (404, "not found: WHIP sessions are /whip/<id>, WHEP sessions /whep/<id>");
  const bool whep = path.compare (0, 5, "/whep") == 0;
  const std::string id = path.size () > 6 ? path.substr (6) : "";
  const bool endpoint = id.empty ();

  if (!(whep ? config_.whep : config_.whip))
    return http_error (404, whep ? "WHEP is turned off on this server"
                                 : "WHIP is turned off on this server");
  if (router_.local_ids (whep ? proto::kRoleProducer : proto::kRoleConsumer).empty ())
    {
      const bool other
          = !router_.local_ids (whep ? proto::kRoleConsumer : proto::kRoleProducer).empty ();
      std::string why = whep ? "no stream to watch here: /whep plays a local producer "
                               "(rtcbroadcastsink)"
                             : "no ingest here: /whip publishes into a local consumer "
                               "(rtcingestsrc)";
      if (other)
        why += whep ? "; this server ingests on /whip" : "; this server plays out on /whep";
      return http_error (404, why);
    }

  const std::string &m = request.method;
  if (m == "OPTIONS")
    return options (endpoint);
  const bool allowed = endpoint ? m == "POST" : (m == "PATCH" || m == "DELETE");
  if (!allowed)
    {
      HttpResponse r = http_error (405, "method " + m.substr (0, 16) + " not allowed on "
                                            + (endpoint ? "the endpoint" : "a session"));
      r.headers.emplace_back ("Allow", endpoint ? "OPTIONS, POST" : "OPTIONS, PATCH, DELETE");
      return r;
    }
  if (std::string why = authorization_problem (request); !why.empty ())
    {
      HttpResponse r = http_error (401, why);
      r.headers.emplace_back ("WWW-Authenticate", "Bearer realm=\"rtckit\"");
      return r;
    }
  if (endpoint)
    return post (request, whep, responder);

  Resource *r = find (id);
  if (!r || r->whep != whep)
    return http_error (404, "unknown session: it ended or never existed");
  return m == "PATCH" ? patch (request, *r) : remove (*r);
}

std::optional<HttpResponse>
WhipEndpoint::post (const HttpRequest &request, bool whep,
                    std::unique_ptr<HttpResponder> &responder)
{
  if (request.body.size () > config_.max_body_size)
    return http_error (413, "the offer is too large: " + std::to_string (request.body.size ())
                                + " bytes (limit " + std::to_string (config_.max_body_size) + ")");
  const std::string type = media_type (request.header ("Content-Type"));
  if (type != kSdp)
    return http_error (415,
                       "Content-Type must be application/sdp"
                           + (type.empty () ? std::string () : ", not " + type.substr (0, 64)));
  std::string why;
  std::optional<sdp::OfferInfo> info = sdp::parse_offer (request.body, why);
  if (!info)
    return http_error (400, why);
  if (config_.max_peers && router_.remote_count () >= config_.max_peers)
    return http_error (503, "too many peers: the server is full (limit "
                                + std::to_string (config_.max_peers) + "); try again later");

  auto res = std::make_unique<Resource> ();
  const std::string rid = new_id ();
  res->id = rid;
  res->whep = whep;
  if (const std::string *origin = request.header ("Origin"))
    res->origin = *origin;
  res->offer = request.body;
  res->info = std::move (*info);
  res->etag = new_etag ();
  res->pending = std::move (responder);
  auto sink = std::make_unique<Sink> (this, rid);
  res->sink = sink.get ();
  resources_[rid] = std::move (res);
  /* The Router may call back into us from here on: look the resource up again after each call. */
  const std::string peer
      = router_.add_remote (std::move (sink), whep ? proto::kRoleConsumer : proto::kRoleProducer);
  if (Resource *r = find (rid))
    r->peer_id = peer;

  proto::ClientMessage msg;
  if (whep)
    {
      msg.kind = proto::Kind::StartSession;
      msg.peer_id = router_.local_ids (proto::kRoleProducer).front ();
      msg.offer = request.body;
    }
  else
    {
      /* The local consumer starts a session with every new producer (Router::set_roles). */
      msg.kind = proto::Kind::SetPeerStatus;
      msg.roles = proto::kRoleProducer;
    }
  router_.handle_message (peer, std::move (msg));
  if (!whep)
    if (Resource *r = find (rid); r && !r->session_id.empty ())
      {
        proto::ClientMessage offer;
        offer.kind = proto::Kind::Peer;
        offer.session_id = r->session_id;
        offer.sdp = proto::SdpBody{ "offer", request.body };
        router_.handle_message (peer, std::move (offer));
      }

  Resource *r = find (rid);
  if (!r || !r->pending)
    return std::nullopt; /* answered already: the element was quick (or refused at once) */
  if (r->session_id.empty ())
    {
      responder = std::move (r->pending);
      const std::string reason
          = r->last_error.empty () ? "could not start a session with the element" : r->last_error;
      drop (rid);
      return http_error (503, reason);
    }
  if (!r->answer)
    arm_timer (*r, config_.answer_timeout_ms);
  return std::nullopt;
}

HttpResponse
WhipEndpoint::patch (const HttpRequest &request, Resource &r)
{
  if (request.body.size () > config_.max_body_size)
    return http_error (413,
                       "the SDP fragment is too large: " + std::to_string (request.body.size ())
                           + " bytes (limit " + std::to_string (config_.max_body_size) + ")");
  const std::string type = media_type (request.header ("Content-Type"));
  if (type != kSdpFrag)
    return http_error (415,
                       "Content-Type must be application/trickle-ice-sdpfrag"
                           + (type.empty () ? std::string () : ", not " + type.substr (0, 64)));
  const std::string *if_match = request.header ("If-Match");
  if (!if_match)
    return http_error (428, "PATCH needs If-Match with the ETag of the 201 response");
  bool matched = false;
  {
    gchar **tags = g_strsplit (if_match->c_str (), ",", -1);
    for (gchar **t = tags; *t; t++)
      matched = matched || trim (*t) == "*" || trim (*t) == r.etag;
    g_strfreev (tags);
  }
  if (!matched)
    return http_error (412, "If-Match does not match this session's ETag " + r.etag);
  std::string why;
  std::optional<sdp::Fragment> frag = sdp::parse_fragment (request.body, why);
  if (!frag)
    return http_error (400, why);
  if ((frag->ufrag && *frag->ufrag != r.info.ufrag) || (frag->pwd && *frag->pwd != r.info.pwd))
    return http_error (422, "ICE restarts are not supported (webrtcbin cannot restart ICE): "
                            "DELETE this session and publish again");

  /* Check everything before forwarding anything: a bad PATCH changes nothing. */
  std::vector<std::pair<guint, std::string>> ice;
  guint count = 0;
  for (size_t i = 0; i < frag->sections.size (); i++)
    {
      const sdp::Fragment::Section &s = frag->sections[i];
      guint mline = static_cast<guint> (i);
      if (s.mid)
        {
          auto it = std::find (r.info.mids.begin (), r.info.mids.end (), *s.mid);
          if (it == r.info.mids.end ())
            return http_error (400, "unknown a=mid:" + s.mid->substr (0, 64)
                                        + ": the offer has no such media section");
          mline = static_cast<guint> (it - r.info.mids.begin ());
        }
      else if (mline >= r.info.mids.size ())
        return http_error (400, "the SDP fragment has more m= sections than the offer");
      for (const auto &c : s.candidates)
        ice.emplace_back (mline, c);
      count += s.candidates.size ();
      if (s.end_of_candidates)
        ice.emplace_back (mline, "");
    }
  if (count > config_.max_candidates)
    return http_error (400, "too many candidates in one PATCH (limit "
                                + std::to_string (config_.max_candidates) + ")");
  if (frag->end_of_candidates)
    ice.emplace_back (0, "");

  const std::string rid = r.id, peer = r.peer_id, sid = r.session_id;
  for (auto &[mline, cand] : ice)
    {
      Resource *cur = find (rid);
      if (!cur)
        break; /* the element ended the session meanwhile */
      /* An end of candidates reaches the element once per m-line. */
      if (cand.empty () && !cur->ends_forwarded.insert (mline).second)
        continue;
      proto::ClientMessage msg;
      msg.kind = proto::Kind::Peer;
      msg.session_id = sid;
      msg.ice = proto::IceBody{ std::move (cand), mline };
      router_.handle_message (peer, std::move (msg));
    }
  HttpResponse ok;
  ok.status = 204;
  return ok;
}

HttpResponse
WhipEndpoint::remove (Resource &r)
{
  reply_error (r, 503, "the session was deleted before the answer");
  drop (r.id);
  HttpResponse ok;
  ok.status = 200;
  return ok;
}

void
WhipEndpoint::abandon (HttpResponder *responder)
{
  for (auto &[rid, r] : resources_)
    if (r->pending.get () == responder)
      {
        r->pending.reset ();
        drop (std::string (rid));
        return;
      }
}

struct WhipEndpoint::TimerData
{
  WhipEndpoint *self;
  std::string rid;
};

void
WhipEndpoint::arm_timer (Resource &r, guint ms)
{
  if (r.timer)
    {
      g_source_destroy (r.timer);
      g_source_unref (r.timer);
    }
  r.timer = g_timeout_source_new (ms);
  g_source_set_callback (r.timer, on_timer, new TimerData{ this, r.id },
                         [] (gpointer d) { delete static_cast<TimerData *> (d); });
  g_source_attach (r.timer, context_);
}

gboolean
WhipEndpoint::on_timer (gpointer data)
{
  auto *d = static_cast<TimerData *> (data);
  WhipEndpoint *self = d->self;
  const std::string rid = d->rid;
  Resource *r = self->find (rid);
  if (!r)
    return G_SOURCE_REMOVE;
  g_source_unref (r->timer);
  r->timer = nullptr;
  if (!r->pending)
    return G_SOURCE_REMOVE;
  if (r->answer)
    self->reply_created (*r); /* the gather timeout: what we have goes out */
  else
    {
      self->reply_error (*r, 503,
                         "the element did not answer within "
                             + std::to_string (self->config_.answer_timeout_ms) + " ms");
      self->drop (rid);
    }
  return G_SOURCE_REMOVE;
}

void
WhipEndpoint::reply_created (Resource &r)
{
  if (!r.pending || !r.answer)
    return;
  if (r.timer)
    {
      g_source_destroy (r.timer);
      g_source_unref (r.timer);
      r.timer = nullptr;
    }
  HttpResponse resp;
  resp.status = 201;
  resp.content_type = kSdp;
  resp.body = sdp::add_candidates (*r.answer, r.candidates, r.complete);
  resp.headers.emplace_back ("Location", (r.whep ? "/whep/" : "/whip/") + r.id);
  resp.headers.emplace_back ("ETag", r.etag);
  resp.headers.emplace_back ("Accept-Patch", kSdpFrag);
  for (const auto &server : config_.ice.for_peer (r.id))
    resp.headers.emplace_back ("Link", ice_server_link (server));
  add_common_headers (r.origin, resp);
  r.candidates.clear ();
  std::unique_ptr<HttpResponder> responder = std::move (r.pending);
  responder->respond (resp);
}

void
WhipEndpoint::reply_error (Resource &r, guint status, const std::string &reason)
{
  if (!r.pending)
    return;
  HttpResponse resp = http_error (status, reason);
  add_common_headers (r.origin, resp);
  std::unique_ptr<HttpResponder> responder = std::move (r.pending);
  responder->respond (resp);
}

void
WhipEndpoint::drop (const std::string &rid)
{
  auto it = resources_.find (rid);
  if (it == resources_.end ())
    return;
  std::unique_ptr<Resource> r = std::move (it->second);
  resources_.erase (it);
  /* Queued by the Router while it is busy: the sink then finds no resource and stays quiet. */
  router_.remove_remote (r->peer_id);
}

void
WhipEndpoint::on_router_text (const std::string &rid, std::string_view text)
{
  Resource *r = find (rid);
  if (!r)
    return;
  std::optional<RouterMessage> m = parse_router_message (text);
  if (!m)
    return;
  const bool ours = !r->session_id.empty () && m->session_id == r->session_id;
  if (m->type == "sessionStarted" && r->whep && r->session_id.empty ())
    r->session_id = m->session_id;
  else if (m->type == "startSession" && !r->whep)
    {
      const std::vector<std::string> locals = router_.local_ids (proto::kRoleConsumer);
      if (r->session_id.empty ()
          && std::find (locals.begin (), locals.end (), m->peer_id) != locals.end ())
        r->session_id = m->session_id;
      else
        {
          /* A WebSocket consumer (or a second local one) wants this publisher: WHIP has one
           * session per resource. */
          foreign_.emplace_back (r->peer_id, m->session_id);
          if (!idle_)
            {
              idle_ = g_idle_source_new ();
              g_source_set_callback (idle_, on_idle, this, nullptr);
              g_source_attach (idle_, context_);
            }
        }
    }
  else if (m->type == "error" && (m->session_id.empty () || ours))
    r->last_error = m->details;
  else if (m->type == "peer" && ours && m->sdp)
    {
      if (m->sdp->type != "answer")
        {
          reply_error (*r, 500,
                       "the element sent an " + m->sdp->type.substr (0, 16)
                           + " where an answer was due");
          drop (rid);
          return;
        }
      if (r->answer)
        return;
      r->answer = m->sdp->sdp;
      if (r->complete || config_.gather_timeout_ms == 0)
        reply_created (*r);
      else if (r->pending)
        arm_timer (*r, config_.gather_timeout_ms);
    }
  else if (m->type == "peer" && ours && m->ice && r->pending)
    {
      /* After the 201 the client cannot learn more candidates (RFC 9725 4.3.2): dropped. */
      if (m->ice->candidate.empty ())
        {
          r->complete = true;
          reply_created (*r);
        }
      else if (r->candidates.size () < 256)
        r->candidates.emplace_back (m->ice->mline_index, m->ice->candidate);
    }
  else if (m->type == "endSession" && ours)
    {
      const std::string reason = r->last_error.empty ()
                                     ? "the element ended the session before answering"
                                     : r->last_error;
      reply_error (*r, r->last_error.empty () ? 503 : whip_status_for_refusal (reason), reason);
      drop (rid);
    }
}

void
WhipEndpoint::on_router_close (const std::string &rid)
{
  if (Resource *r = find (rid))
    {
      reply_error (*r, 503, "the server is shutting down");
      drop (rid);
    }
}

void
WhipEndpoint::on_sink_gone (const std::string &rid)
{
  if (Resource *r = find (rid))
    {
      reply_error (*r, 503, "the session is gone");
      resources_.erase (rid);
    }
}

gboolean
WhipEndpoint::on_idle (gpointer data)
{
  auto *self = static_cast<WhipEndpoint *> (data);
  g_source_unref (self->idle_);
  self->idle_ = nullptr;
  self->end_foreign_sessions ();
  return G_SOURCE_REMOVE;
}

void
WhipEndpoint::end_foreign_sessions ()
{
  auto foreign = std::move (foreign_);
  foreign_.clear ();
  for (auto &[peer, sid] : foreign)
    {
      proto::ClientMessage msg;
      msg.kind = proto::Kind::EndSession;
      msg.session_id = sid;
      router_.handle_message (peer, std::move (msg));
    }
}

} // namespace rtc::signaling
