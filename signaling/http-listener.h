/* rtc::signaling::HttpListener: the accept loop in front of a SoupServer.
 *
 * libsoup 3.2 listens with a backlog of 10, stops accepting for good after one failed accept
 * (EMFILE), and has no limit on connections nor any timeout for a client that never finishes
 * its headers. This class owns the listening socket instead and hands each accepted connection
 * to the SoupServer (soup_server_accept_iostream, wrapped in TLS when there is a certificate):
 *  - a backlog that absorbs bursts (200 WebSockets opened at once);
 *  - at most max_connections at once: the next one gets "503 too many connections" and is closed;
 *  - when accept() fails (EMFILE, ENFILE, ENOBUFS) it pauses and tries again, never giving up;
 *  - header and request (body) timeouts: a connection that is late is shut down;
 *  - request bodies are bounded while they arrive, on every path: a Content-Length over the
 *    limit, or a chunked body that grows past it, stops the reading at once and gets
 *    "413 Payload Too Large" with the connection closed.
 * WebSocket connections (upgraded, stolen from the HTTP layer) have no timeout here: the
 * Server's keepalive watches them. libsoup keeps HTTP connections alive only for listeners of
 * its own, so each response closes its connection: no idle connection can linger.
 *
 * Threading: confined to the thread-default GMainContext of listen()'s caller, like Server. */
#pragma once

#include <libsoup/soup.h>

#include <map>
#include <string>

namespace rtc::signaling
{

struct ListenerLimits
{
  int backlog = 1024;                /* the kernel caps it at net.core.somaxconn */
  guint max_connections = 1024;      /* HTTP and WebSocket connections at once; 0 = no limit */
  guint header_timeout_ms = 10000;   /* accept (or end of the previous request) to headers */
  guint request_timeout_ms = 30000;  /* headers to the end of the request body */
};

struct ListenerStats
{
  guint64 accepted = 0;
  guint64 refused_full = 0;   /* over max_connections */
  guint64 timed_out = 0;      /* closed by a timeout */
  guint64 too_large = 0;      /* bodies refused with 413 */
  guint64 accept_errors = 0;  /* failed accept() calls (each pauses the loop briefly) */
};

class HttpListener
{
public:
  /* @max_body_size bounds the request bodies of every path. */
  HttpListener (SoupServer *server, GTlsCertificate *certificate, ListenerLimits limits,
                gsize max_body_size);
  ~HttpListener ();
  HttpListener (const HttpListener &) = delete;
  HttpListener &operator= (const HttpListener &) = delete;

  /* Binds and listens on @address; sets @error (with the GIOErrorEnum code) on failure. */
  bool listen (GSocketAddress *address, GError **error);
  guint port () const { return port_; }
  /* Stops accepting; connections already accepted stay with the SoupServer. */
  void close ();
  gsize connections () const { return conns_.size (); }
  /* The socket under @msg's connection (transfer none): libsoup has none for connections it
   * did not accept itself. */
  GSocket *socket_of (SoupServerMessage *msg);
  const ListenerStats &stats () const { return stats_; }

private:
  enum class Phase
  {
    Headers, /* waiting for a request's headers (deadline: header timeout) */
    Body,    /* reading the body (deadline: request timeout) */
    Handling, /* the server has the request, or it became a WebSocket: no deadline */
  };
  struct Conn
  {
    /* Not a reference: a WebSocket that libsoup drops without closing closes its socket only
     * when the socket is finalized, and a reference of ours kept the descriptor open. */
    GSocket *socket = nullptr;
    Phase phase = Phase::Headers;
    gint64 deadline = 0;       /* monotonic us, 0 = none */
  };

  static gboolean on_incoming (GSocket *socket, GIOCondition cond, gpointer data);
  static gboolean on_resume (gpointer data);
  static gboolean on_sweep (gpointer data);
  static void on_request_started (SoupServer *server, SoupServerMessage *msg, gpointer data);
  static void on_request_read (SoupServer *server, SoupServerMessage *msg, gpointer data);
  static void on_got_headers (SoupServerMessage *msg, gpointer data);
  static void on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer data);

  void accept_some ();
  void hand_over (GSocket *socket);
  void refuse (GSocket *socket, const char *response);
  void watch_incoming ();
  Conn *conn_of (SoupServerMessage *msg);
  void set_phase (SoupServerMessage *msg, Phase phase, guint timeout_ms);
  void refuse_body (SoupServerMessage *msg);
  void forget_closed ();
  void forget (std::map<std::string, Conn>::iterator it);
  static void on_socket_finalized (gpointer data, GObject *where);

  SoupServer *server_;            /* our ref */
  GTlsCertificate *certificate_;  /* our ref, or null */
  ListenerLimits limits_;
  gsize max_body_size_;
  GSocket *socket_ = nullptr;
  GSource *incoming_ = nullptr;
  GSource *resume_ = nullptr;
  GSource *sweep_ = nullptr;
  GMainContext *context_ = nullptr;
  guint port_ = 0;
  gulong handlers_[2] = {};
  std::map<std::string, Conn> conns_; /* by remote address "ip:port" */
  ListenerStats stats_;
};

} // namespace rtc::signaling
