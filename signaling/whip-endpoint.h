/* rtc::signaling::WhipEndpoint: WHIP (RFC 9725) ingest and WHEP playback on the embedded
 * server, without sockets.
 *
 * Every WHIP or WHEP session is one Router remote peer, reached through a PeerSink that turns
 * the Router's messages into the HTTP answer, so sessions, their end on either side and the
 * element's signals stay the Router's business (docs/whip-whep.md has the whole picture):
 *  - POST /whep (the local peer is a producer, rtcbroadcastsink): a peer that may only consume
 *    sends startSession{local producer, offer}: the element gets session-requested(sid, peer,
 *    offer).
 *  - POST /whip (the local peer is a consumer, rtcingestsrc): a peer that becomes a producer;
 *    the Router has the local consumer start a session with it, and the offer goes to the
 *    element as a `peer` sdp message: session-requested(sid, peer, NULL), then sdp(offer).
 *  - The POST is held until the element's answer and its end of candidates (an empty
 *    candidate) arrived, or `gather_timeout_ms` after the answer; the candidates are written
 *    into the answer, which goes out as 201 Created with Location /whip/<id> (/whep/<id>).
 *  - PATCH (trickle-ice-sdpfrag) becomes ice messages, DELETE ends the session; the element
 *    ending the session (or the Router removing the peer) makes the resource disappear.
 *
 * The transport (Server, or the fuzz target) turns a request into an HttpRequest and passes an
 * HttpResponder, which the endpoint answers at once or keeps until the answer is there.
 *
 * Threading: confined to the thread of the Router it serves (the thread-default GMainContext at
 * construction runs its timers); no locks.
 */
#pragma once

#include "server.h"

#include <glib.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtc::signaling
{

struct HttpRequest
{
  std::string method;
  std::string path; /* without the query */
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /* The first header named @name (case-insensitive), or nullptr. */
  const std::string *header (std::string_view name) const;
};

struct HttpResponse
{
  guint status = 0;
  std::string content_type; /* "" with an empty body */
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  const std::string *header (std::string_view name) const;
};

/* Where a response goes; may be answered later (held POST). */
class HttpResponder
{
public:
  virtual ~HttpResponder () = default;
  virtual void respond (const HttpResponse &response) = 0;
};

class WhipEndpoint
{
public:
  WhipEndpoint (Router &router, WhipConfig config);
  /* Ends the sessions still open and drops held requests without answering them. */
  ~WhipEndpoint ();
  WhipEndpoint (const WhipEndpoint &) = delete;
  WhipEndpoint &operator= (const WhipEndpoint &) = delete;

  /* True for the paths this endpoint answers: /whip, /whep and anything under them. */
  static bool owns_path (std::string_view path);

  /* Answers @request through @responder, now or (a POST) once the element answered. */
  void handle (const HttpRequest &request, std::unique_ptr<HttpResponder> responder);
  /* The client of a held request went away: its session ends, nothing is answered. */
  void abandon (HttpResponder *responder);

  /* For tests and /stats: live resources (sessions created and not yet gone). */
  gsize resource_count () const { return resources_.size (); }

private:
  struct Resource;
  struct TimerData;
  class Sink;
  friend class Sink;

  void add_common_headers (const std::string &origin, HttpResponse &response) const;
  std::string authorization_problem (const HttpRequest &request) const;
  /* nullopt: @responder was taken (held, or already answered). */
  std::optional<HttpResponse> handle_now (const HttpRequest &request,
                                          std::unique_ptr<HttpResponder> &responder);
  std::optional<HttpResponse> post (const HttpRequest &request, bool whep,
                                    std::unique_ptr<HttpResponder> &responder);
  HttpResponse patch (const HttpRequest &request, Resource &r);
  HttpResponse remove (Resource &r);
  HttpResponse options (bool endpoint) const;

  /* From the Router, through a resource's sink. */
  void on_router_text (const std::string &rid, std::string_view text);
  void on_router_close (const std::string &rid);
  void on_sink_gone (const std::string &rid);

  Resource *find (const std::string &rid);
  void arm_timer (Resource &r, guint ms);
  static gboolean on_timer (gpointer data);
  /* Sends the 201 with the answer and the candidates gathered so far. */
  void reply_created (Resource &r);
  /* Answers a held POST with an error, if there is one. */
  void reply_error (Resource &r, guint status, const std::string &reason);
  /* Forgets the resource and removes its peer from the Router, which ends its session (the
   * element gets session-ended unless it ended the session itself). */
  void drop (const std::string &rid);
  /* Sessions that remote consumers started with a WHIP peer: ended from an idle callback, the
   * Router being in the middle of start_session when we learn about them. */
  void end_foreign_sessions ();
  static gboolean on_idle (gpointer data);

  Router &router_;
  WhipConfig config_;
  GMainContext *context_;
  std::map<std::string, std::unique_ptr<Resource>> resources_;
  std::vector<std::pair<std::string, std::string>> foreign_; /* (peer id, session id) */
  GSource *idle_ = nullptr;
};

/* A Link header value (RFC 9725 section 4.6) for an ICE server given as the elements write them:
 * stun://HOST:PORT, turn://USER:PASS@HOST:PORT[?transport=udp|tcp], turns://...; user and
 * password may be URI-escaped. nullopt for anything else. */
std::optional<std::string> whip_ice_server_link (std::string_view url);

/* An HTTP error: text/plain body "<reason>\n". */
HttpResponse http_error (guint status, const std::string &reason);

/* The status an element's refusal (its end_session reason) maps to: 503 for a full or stopping
 * element ("max-...", "try again later", "shutting down", "stopped"), 500 for "internal error",
 * 406 otherwise (it could not accept the offer as made: codecs, directions, ...). */
guint whip_status_for_refusal (std::string_view reason);

} // namespace rtc::signaling
