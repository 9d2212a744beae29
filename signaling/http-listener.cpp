/* rtc::signaling::HttpListener: see http-listener.h. */
#include "http-listener.h"

#include <cstring>
#include <iterator>
#include <vector>

namespace rtc::signaling
{

namespace
{

constexpr guint kSweepMs = 250;           /* how often deadlines are checked */
constexpr guint kAcceptPauseMs = 100;     /* after a failed accept() */
constexpr int kAcceptsPerWakeup = 64;     /* then let the rest of the main loop run */

const char kResponseFull[] = "HTTP/1.1 503 Service Unavailable\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n"
                             "Content-Length: 44\r\nConnection: close\r\n\r\n"
                             "too many connections: the server is full\r\n\r\n";

std::string
address_key (GSocketAddress *address)
{
  if (!address || !G_IS_INET_SOCKET_ADDRESS (address))
    return {};
  auto *inet = G_INET_SOCKET_ADDRESS (address);
  g_autofree gchar *ip = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  return std::string (ip) + ":" + std::to_string (g_inet_socket_address_get_port (inet));
}

/* The 413 for a body that outgrew the limit, written on the stolen connection, then closed. */
struct Refusal
{
  GIOStream *stream;
  std::string text;
};

void
refusal_closed (GObject *source, GAsyncResult *res, gpointer data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), res, nullptr);
  auto *r = static_cast<Refusal *> (data);
  g_object_unref (r->stream);
  delete r;
}

void
refusal_written (GObject *source, GAsyncResult *res, gpointer data)
{
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, nullptr, nullptr);
  auto *r = static_cast<Refusal *> (data);
  g_io_stream_close_async (r->stream, G_PRIORITY_DEFAULT, nullptr, refusal_closed, r);
}

} // namespace

HttpListener::HttpListener (SoupServer *server, GTlsCertificate *certificate,
                            ListenerLimits limits, gsize max_body_size)
    : server_ (SOUP_SERVER (g_object_ref (server))),
      certificate_ (certificate ? G_TLS_CERTIFICATE (g_object_ref (certificate)) : nullptr),
      limits_ (limits), max_body_size_ (max_body_size)
{
}

HttpListener::~HttpListener ()
{
  close ();
  for (gulong &id : handlers_)
    if (id)
      g_signal_handler_disconnect (server_, id);
  for (auto &[key, c] : conns_)
    g_object_weak_unref (G_OBJECT (c.socket), on_socket_finalized, this);
  g_clear_object (&certificate_);
  g_object_unref (server_);
  if (context_)
    g_main_context_unref (context_);
}

bool
HttpListener::listen (GSocketAddress *address, GError **error)
{
  g_return_val_if_fail (socket_ == nullptr, false);
  context_ = g_main_context_ref_thread_default ();
  socket_ = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                          G_SOCKET_PROTOCOL_TCP, error);
  if (!socket_)
    return false;
  g_socket_set_blocking (socket_, FALSE);
  g_socket_set_listen_backlog (socket_, limits_.backlog);
  if (!g_socket_bind (socket_, address, TRUE, error) || !g_socket_listen (socket_, error))
    {
      g_clear_object (&socket_);
      return false;
    }
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket_, nullptr);
  if (local && G_IS_INET_SOCKET_ADDRESS (local))
    port_ = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));

  handlers_[0] = g_signal_connect (server_, "request-started", G_CALLBACK (on_request_started), this);
  handlers_[1] = g_signal_connect (server_, "request-read", G_CALLBACK (on_request_read), this);
  watch_incoming ();
  sweep_ = g_timeout_source_new (kSweepMs);
  g_source_set_callback (sweep_, on_sweep, this, nullptr);
  g_source_attach (sweep_, context_);
  return true;
}

void
HttpListener::close ()
{
  for (GSource **s : { &incoming_, &resume_, &sweep_ })
    if (*s)
      {
        g_source_destroy (*s);
        g_source_unref (*s);
        *s = nullptr;
      }
  if (socket_)
    {
      g_socket_close (socket_, nullptr);
      g_clear_object (&socket_);
    }
}

void
HttpListener::watch_incoming ()
{
  incoming_ = g_socket_create_source (socket_, G_IO_IN, nullptr);
  g_source_set_callback (incoming_, G_SOURCE_FUNC (on_incoming), this, nullptr);
  g_source_attach (incoming_, context_);
}

gboolean
HttpListener::on_incoming (GSocket *, GIOCondition, gpointer data)
{
  static_cast<HttpListener *> (data)->accept_some ();
  return G_SOURCE_CONTINUE;
}

gboolean
HttpListener::on_resume (gpointer data)
{
  auto *self = static_cast<HttpListener *> (data);
  g_source_unref (self->resume_);
  self->resume_ = nullptr;
  if (self->socket_)
    self->watch_incoming ();
  return G_SOURCE_REMOVE;
}

void
HttpListener::accept_some ()
{
  for (int i = 0; i < kAcceptsPerWakeup && socket_; i++)
    {
      g_autoptr (GError) err = nullptr;
      GSocket *client = g_socket_accept (socket_, nullptr, &err);
      if (!client)
        {
          if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return;
          /* Out of descriptors (or buffers): the pending connections stay in the backlog.
           * Stop watching (the socket stays readable, which would spin) and try again soon;
           * libsoup's own listener stops for good here. */
          if (stats_.accept_errors++ % 100 == 0)
            g_message ("rtckit signalling: cannot accept a connection (%s); retrying every "
                       "%u ms",
                       err->message, kAcceptPauseMs);
          if (incoming_)
            {
              g_source_destroy (incoming_);
              g_source_unref (incoming_);
              incoming_ = nullptr;
            }
          if (!resume_)
            {
              resume_ = g_timeout_source_new (kAcceptPauseMs);
              g_source_set_callback (resume_, on_resume, this, nullptr);
              g_source_attach (resume_, context_);
            }
          return;
        }
      if (limits_.max_connections && conns_.size () >= limits_.max_connections)
        forget_closed ();
      if (limits_.max_connections && conns_.size () >= limits_.max_connections)
        refuse (client, kResponseFull);
      else
        hand_over (client);
      g_object_unref (client);
    }
}

void
HttpListener::refuse (GSocket *client, const char *response)
{
  stats_.refused_full++;
  /* Best effort, never blocking: a fresh socket's send buffer has room for a short answer. */
  g_socket_send (client, response, strlen (response), nullptr, nullptr);
  g_socket_shutdown (client, FALSE, TRUE, nullptr);
  g_socket_close (client, nullptr);
}

void
HttpListener::hand_over (GSocket *client)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (client, nullptr);
  g_autoptr (GSocketAddress) remote = g_socket_get_remote_address (client, nullptr);
  const std::string key = address_key (remote);
  if (!local || key.empty ())
    {
      g_socket_close (client, nullptr);
      return;
    }
  g_autoptr (GSocketConnection) conn = g_socket_connection_factory_create_connection (client);
  g_autoptr (GIOStream) stream = G_IO_STREAM (g_object_ref (conn));
  if (certificate_)
    {
      g_autoptr (GError) err = nullptr;
      GIOStream *tls = g_tls_server_connection_new (stream, certificate_, &err);
      if (!tls)
        {
          g_warning ("rtckit signalling: TLS for %s: %s", key.c_str (), err->message);
          g_io_stream_close (stream, nullptr, nullptr);
          return;
        }
      g_object_unref (stream);
      stream = tls;
    }
  stats_.accepted++;
  /* A key still held by a closed connection is reused by the kernel only once that one is gone. */
  if (auto it = conns_.find (key); it != conns_.end ())
    forget (it);
  Conn &c = conns_[key];
  c.socket = client;
  g_object_weak_ref (G_OBJECT (client), on_socket_finalized, this);
  c.phase = Phase::Headers;
  c.deadline = g_get_monotonic_time () + limits_.header_timeout_ms * G_GINT64_CONSTANT (1000);
  g_autoptr (GError) err = nullptr;
  if (!soup_server_accept_iostream (server_, stream, local, remote, &err))
    {
      g_warning ("rtckit signalling: cannot serve %s: %s", key.c_str (), err->message);
      g_io_stream_close (stream, nullptr, nullptr);
    }
}

void
HttpListener::forget (std::map<std::string, Conn>::iterator it)
{
  g_object_weak_unref (G_OBJECT (it->second.socket), on_socket_finalized, this);
  conns_.erase (it);
}

void
HttpListener::on_socket_finalized (gpointer data, GObject *where)
{
  auto *self = static_cast<HttpListener *> (data);
  for (auto it = self->conns_.begin (); it != self->conns_.end (); ++it)
    if (G_OBJECT (it->second.socket) == where)
      {
        self->conns_.erase (it);
        return;
      }
}

/* Connections the SoupServer closed hold no descriptor any more (their sockets may live on a
 * while, referenced by what libsoup still holds). */
void
HttpListener::forget_closed ()
{
  for (auto it = conns_.begin (); it != conns_.end ();)
    {
      auto next = std::next (it);
      if (g_socket_is_closed (it->second.socket))
        forget (it);
      it = next;
    }
}

gboolean
HttpListener::on_sweep (gpointer data)
{
  auto *self = static_cast<HttpListener *> (data);
  self->forget_closed ();
  const gint64 now = g_get_monotonic_time ();
  for (auto &[key, c] : self->conns_)
    if (c.deadline && now > c.deadline)
      {
        /* The SoupServer's pending read ends: it closes the connection itself. */
        c.deadline = 0;
        self->stats_.timed_out++;
        g_debug ("rtckit signalling: closing %s: too slow (%s)", key.c_str (),
                 c.phase == Phase::Body ? "body" : "headers");
        g_socket_shutdown (c.socket, TRUE, TRUE, nullptr);
      }
  return G_SOURCE_CONTINUE;
}

HttpListener::Conn *
HttpListener::conn_of (SoupServerMessage *msg)
{
  auto it = conns_.find (address_key (soup_server_message_get_remote_address (msg)));
  return it == conns_.end () ? nullptr : &it->second;
}

GSocket *
HttpListener::socket_of (SoupServerMessage *msg)
{
  Conn *c = conn_of (msg);
  return c ? c->socket : soup_server_message_get_socket (msg);
}

void
HttpListener::set_phase (SoupServerMessage *msg, Phase phase, guint timeout_ms)
{
  if (Conn *c = conn_of (msg))
    {
      c->phase = phase;
      c->deadline = timeout_ms ? g_get_monotonic_time () + timeout_ms * G_GINT64_CONSTANT (1000) : 0;
    }
}

void
HttpListener::on_request_started (SoupServer *, SoupServerMessage *msg, gpointer data)
{
  auto *self = static_cast<HttpListener *> (data);
  self->set_phase (msg, Phase::Headers, self->limits_.header_timeout_ms);
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), self);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), self);
}

void
HttpListener::on_got_headers (SoupServerMessage *msg, gpointer data)
{
  auto *self = static_cast<HttpListener *> (data);
  self->set_phase (msg, Phase::Body, self->limits_.request_timeout_ms);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > static_cast<goffset> (self->max_body_size_))
    self->refuse_body (msg);
}

void
HttpListener::on_got_chunk (SoupServerMessage *msg, GBytes *, gpointer data)
{
  auto *self = static_cast<HttpListener *> (data);
  if (soup_server_message_get_request_body (msg)->length > static_cast<goffset> (self->max_body_size_))
    self->refuse_body (msg);
}

void
HttpListener::on_request_read (SoupServer *, SoupServerMessage *msg, gpointer data)
{
  static_cast<HttpListener *> (data)->set_phase (msg, Phase::Handling, 0);
}

/* Stops reading at once (pause), then, outside libsoup's read loop, takes the connection from
 * the SoupServer to answer 413 and close it: reading the rest would cost the whole body. */
void
HttpListener::refuse_body (SoupServerMessage *msg)
{
  if (g_object_get_data (G_OBJECT (msg), "rtckit-too-large"))
    return;
  g_object_set_data (G_OBJECT (msg), "rtckit-too-large", GINT_TO_POINTER (1));
  stats_.too_large++;
  set_phase (msg, Phase::Handling, 0);
  soup_server_message_pause (msg);
  const std::string text = "request body too large: the limit is "
                           + std::to_string (max_body_size_) + " bytes\n";
  auto *r = new Refusal{ nullptr,
                         "HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain; "
                         "charset=utf-8\r\nContent-Length: "
                             + std::to_string (text.size ())
                             + "\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n" + text };
  struct Pending
  {
    SoupServerMessage *msg;
    Refusal *refusal;
  };
  GSource *idle = g_idle_source_new ();
  g_source_set_callback (
      idle,
      [] (gpointer p) -> gboolean {
        auto *pending = static_cast<Pending *> (p);
        Refusal *r = pending->refusal;
        r->stream = soup_server_message_steal_connection (pending->msg);
        if (!r->stream)
          delete r;
        else
          g_output_stream_write_all_async (g_io_stream_get_output_stream (r->stream),
                                           r->text.data (), r->text.size (), G_PRIORITY_DEFAULT,
                                           nullptr, refusal_written, r);
        g_object_unref (pending->msg);
        delete pending;
        return G_SOURCE_REMOVE;
      },
      new Pending{ SOUP_SERVER_MESSAGE (g_object_ref (msg)), r }, nullptr);
  g_source_attach (idle, context_);
  g_source_unref (idle);
}

} // namespace rtc::signaling
