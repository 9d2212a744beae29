/* rtc::signaling::Server: the libsoup side of /whip and /whep. The request logic is the
 * WhipEndpoint's (whip-endpoint.h); here a SoupServerMessage becomes an HttpRequest, and an
 * HttpResponder writes the reply, pausing the message while the endpoint holds it. */
#include "server.h"
#include "whip-endpoint.h"

#include <cerrno>

#include <sys/socket.h>

namespace rtc::signaling
{

/* A /whip or /whep request as the WhipEndpoint sees it: answered at once, or paused until the
 * element answered. */
class Server::SoupResponder : public HttpResponder
{
public:
  SoupResponder (Server *server, SoupServerMessage *msg)
      : server_ (server), msg_ (SOUP_SERVER_MESSAGE (g_object_ref (msg)))
  {
  }
  ~SoupResponder () override
  {
    stop_watching ();
    g_signal_handlers_disconnect_by_data (msg_, this);
    /* Dropped unanswered while its client is still there: only when the endpoint goes away. */
    if (held_ && !answered_ && !gone_)
      respond (http_error (SOUP_STATUS_SERVICE_UNAVAILABLE, "the server is shutting down"));
    if (done_)
      *done_ = true;
    g_object_unref (msg_);
  }
  SoupResponder (const SoupResponder &) = delete;
  SoupResponder &operator= (const SoupResponder &) = delete;

  void respond (const HttpResponse &r) override
  {
    stop_watching ();
    answered_ = true;
    if (done_)
      *done_ = true;
    soup_server_message_set_status (msg_, r.status, nullptr);
    SoupMessageHeaders *h = soup_server_message_get_response_headers (msg_);
    for (const auto &[name, value] : r.headers)
      soup_message_headers_append (h, name.c_str (), value.c_str ());
    if (!r.content_type.empty ())
      soup_server_message_set_response (msg_, r.content_type.c_str (), SOUP_MEMORY_COPY,
                                        r.body.data (), r.body.size ());
    if (held_)
      soup_server_message_unpause (msg_);
  }

  /* The endpoint kept us: wait, and tell it if the client goes first. */
  void hold ()
  {
    done_ = nullptr;
    held_ = true;
    soup_server_message_pause (msg_);
    g_signal_connect (msg_, "disconnected", G_CALLBACK (on_gone), this);
    g_signal_connect (msg_, "finished", G_CALLBACK (on_gone), this);
    /* libsoup 3.2 does not read a paused message's connection, so it would only notice a
     * client that gave up when the answer is written: watch for the end of the stream. */
    if (GSocket *sock = server_->listener_ ? server_->listener_->socket_of (msg_)
                                           : soup_server_message_get_socket (msg_))
      {
        watch_ = g_socket_create_source (
            sock, static_cast<GIOCondition> (G_IO_IN | G_IO_HUP | G_IO_ERR), nullptr);
        g_source_set_callback (watch_, G_SOURCE_FUNC (on_socket), this, nullptr);
        g_source_attach (watch_, g_main_context_get_thread_default ());
      }
  }

  bool *done_ = nullptr; /* set when answered or destroyed, while handle() runs */

private:
  void stop_watching ()
  {
    if (!watch_)
      return;
    g_source_destroy (watch_);
    g_source_unref (watch_);
    watch_ = nullptr;
  }

  static void on_gone (SoupServerMessage *, gpointer data)
  {
    auto *self = static_cast<SoupResponder *> (data);
    if (self->answered_ || self->gone_)
      return;
    self->gone_ = true;
    /* Destroys self. */
    self->server_->whip_->abandon (self);
  }

  static gboolean on_socket (GSocket *sock, GIOCondition cond, gpointer data)
  {
    auto *self = static_cast<SoupResponder *> (data);
    if (!(cond & (G_IO_HUP | G_IO_ERR)))
      {
        char c;
        const gssize n = recv (g_socket_get_fd (sock), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
          return G_SOURCE_CONTINUE;
        if (n > 0)
          {
            /* Bytes after the request (pipelining, a TLS alert): not ours to read; the answer
             * timeout bounds the wait. */
            g_source_unref (self->watch_);
            self->watch_ = nullptr;
            return G_SOURCE_REMOVE;
          }
      }
    on_gone (self->msg_, self);
    return G_SOURCE_REMOVE;
  }

  Server *server_;
  SoupServerMessage *msg_;
  GSource *watch_ = nullptr;
  bool held_ = false, answered_ = false, gone_ = false;
};

void
Server::on_whip (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                 gpointer user_data)
{
  auto *self = static_cast<Server *> (user_data);
  HttpRequest req;
  req.method = soup_server_message_get_method (msg);
  req.path = path ? path : "";
  soup_message_headers_foreach (
      soup_server_message_get_request_headers (msg),
      [] (const char *name, const char *value, gpointer data) {
        static_cast<HttpRequest *> (data)->headers.emplace_back (name, value);
      },
      &req);
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  gsize len = 0;
  const auto *data = static_cast<const char *> (g_bytes_get_data (body, &len));
  req.body.assign (data ? data : "", len);

  auto responder = std::make_unique<SoupResponder> (self, msg);
  SoupResponder *raw = responder.get ();
  bool done = false;
  raw->done_ = &done;
  self->whip_->handle (req, std::move (responder));
  if (!done)
    raw->hold ();
}

} // namespace rtc::signaling
