#include "client-loop.h"

#include "call-later.h"

namespace rtc
{

/* ---- ClientLoop ------------------------------------------------------------------------------ */

ClientLoop::ClientLoop () : ctx_ (g_main_context_new ()), loop_ (g_main_loop_new (ctx_, FALSE)) {}

ClientLoop::~ClientLoop ()
{
  g_assert (!thread_);
  g_main_loop_unref (loop_);
  g_main_context_unref (ctx_);
}

void
ClientLoop::spawn (const char *name, std::function<void ()> body)
{
  g_assert (!thread_);
  body_ = std::move (body);
  thread_ = g_thread_new (
      name,
      [] (gpointer data) -> gpointer {
        auto *self = static_cast<ClientLoop *> (data);
        g_main_context_push_thread_default (self->ctx_);
        self->body_ ();
        /* What the body's teardown scheduled (closing streams, cancelled requests) runs before
         * the context goes. */
        while (g_main_context_iteration (self->ctx_, FALSE))
          ;
        g_main_context_pop_thread_default (self->ctx_);
        return nullptr;
      },
      this);
}

void
ClientLoop::run ()
{
  g_main_loop_run (loop_);
}

void
ClientLoop::quit ()
{
  g_main_loop_quit (loop_);
}

void
ClientLoop::post (std::function<void ()> fn, gint priority)
{
  call_later (
      ctx_,
      [this, fn = std::move (fn)] {
        if (!stopping_)
          fn ();
      },
      priority);
}

void
ClientLoop::stop (std::function<void ()> shutdown)
{
  /* Queued after any work posted before: that still runs (and may send its messages). */
  call_later (ctx_, [this, shutdown = std::move (shutdown)] {
    stopping_ = true;
    shutdown ();
  });
  join ();
}

void
ClientLoop::join ()
{
  if (!thread_)
    return;
  g_thread_join (thread_);
  thread_ = nullptr;
  body_ = nullptr;
}

void
ClientLoop::quit_when (std::function<bool ()> done, gint64 deadline)
{
  auto check = [this, done = std::move (done), deadline] () {
    if (done () || g_get_monotonic_time () >= deadline)
      {
        quit ();
        return false;
      }
    return true;
  };
  if (!check ())
    return;
  using Fn = std::function<bool ()>;
  GSource *source = g_timeout_source_new (10);
  g_source_set_callback (
      source,
      [] (gpointer data) -> gboolean {
        return (*static_cast<Fn *> (data)) () ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
      },
      new Fn (std::move (check)), [] (gpointer data) { delete static_cast<Fn *> (data); });
  g_source_attach (source, ctx_);
  g_source_unref (source);
}

void
post_session_requested (ClientLoop &loop, RtcSignaller *signaller, const std::string &sid,
                        const char *peer_id)
{
  loop.post (
      [signaller, &sid, peer_id] {
        if (!sid.empty ())
          rtc_signaller_emit_session_requested (signaller, sid.c_str (), peer_id, nullptr);
      },
      G_PRIORITY_DEFAULT_IDLE);
}

/* ---- Timer ----------------------------------------------------------------------------------- */

namespace
{

struct TimerCall
{
  GSource **slot; /* the Timer's source_, while it still points at this call's source */
  GSource *source;
  bool once;
  std::function<bool ()> fn;
};

gboolean
timer_due (gpointer data)
{
  auto *call = static_cast<TimerCall *> (data);
  const bool mine = *call->slot == call->source;
  if (call->once)
    {
      /* Forgotten first: @fn may start the timer again. */
      if (mine)
        {
          g_source_unref (*call->slot);
          *call->slot = nullptr;
        }
      call->fn ();
      return G_SOURCE_REMOVE;
    }
  if (call->fn ())
    return G_SOURCE_CONTINUE;
  /* @fn may have cancelled or restarted the timer meanwhile. */
  if (*call->slot == call->source)
    {
      g_source_unref (*call->slot);
      *call->slot = nullptr;
    }
  return G_SOURCE_REMOVE;
}

} // namespace

void
Timer::attach (GMainContext *ctx, guint ms, bool once, std::function<bool ()> fn)
{
  cancel ();
  source_ = g_timeout_source_new (ms);
  g_source_set_callback (source_, timer_due,
                         new TimerCall{ &source_, source_, once, std::move (fn) },
                         [] (gpointer data) { delete static_cast<TimerCall *> (data); });
  g_source_attach (source_, ctx);
}

void
Timer::once (GMainContext *ctx, guint ms, std::function<void ()> fn)
{
  attach (ctx, ms, true, [fn = std::move (fn)] {
    fn ();
    return false;
  });
}

void
Timer::every (GMainContext *ctx, guint ms, std::function<bool ()> fn)
{
  attach (ctx, ms, false, std::move (fn));
}

void
Timer::cancel ()
{
  if (source_)
    {
      g_source_destroy (source_);
      g_source_unref (source_);
      source_ = nullptr;
    }
}

/* ---- HttpClient ------------------------------------------------------------------------------ */

namespace
{

struct Request
{
  int *pending;
  SoupMessage *msg;
  HttpClient::Done done;
};

void
on_response (GObject *source, GAsyncResult *res, gpointer data)
{
  std::unique_ptr<Request> req (static_cast<Request *> (data));
  GError *err = nullptr;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &err);
  (*req->pending)--;
  req->done (req->msg, body, err);
  if (body)
    g_bytes_unref (body);
  g_clear_error (&err);
  g_object_unref (req->msg);
}

} // namespace

HttpClient::HttpClient () : cancel_ (g_cancellable_new ()) {}

HttpClient::~HttpClient ()
{
  g_clear_object (&session_);
  g_object_unref (cancel_);
}

void
HttpClient::open (guint timeout_ms)
{
  const guint secs = (timeout_ms + 999) / 1000;
  session_ = soup_session_new_with_options ("timeout", secs, nullptr);
}

void
HttpClient::send (SoupMessage *msg, GCancellable *cancel, Done done, SoupSession *session)
{
  pending_++;
  soup_session_send_and_read_async (session ? session : session_, msg, G_PRIORITY_DEFAULT, cancel,
                                    on_response, new Request{ &pending_, msg, std::move (done) });
}

void
HttpClient::finish (ClientLoop &loop, guint timeout_ms, const std::function<void ()> &last_requests)
{
  cancel ();
  const gint64 deadline = g_get_monotonic_time () + static_cast<gint64> (timeout_ms) * 1000;
  last_requests ();
  loop.quit_when ([this] { return pending_ == 0; }, deadline);
}

void
HttpClient::close (GMainContext *ctx)
{
  cancel ();
  const gint64 limit = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (pending_ > 0 && g_get_monotonic_time () < limit)
    g_main_context_iteration (ctx, TRUE);
  g_clear_object (&session_);
}

std::string
describe_http_status (guint status, const char *reason, std::string_view body)
{
  std::string text = "HTTP " + std::to_string (status);
  if (reason)
    text += std::string (" ") + reason;
  if (!body.empty ())
    {
      std::string snippet (body.substr (0, 200));
      snippet.erase (snippet.find_last_not_of (" \t\r\n") + 1);
      if (!snippet.empty ()
          && g_utf8_validate (snippet.data (), static_cast<gssize> (snippet.size ()), nullptr))
        text += " (" + snippet + ")";
    }
  return text;
}

std::string
describe_http_status (SoupMessage *msg, GBytes *body)
{
  gsize size = 0;
  auto *data = body ? static_cast<const char *> (g_bytes_get_data (body, &size)) : nullptr;
  return describe_http_status (soup_message_get_status (msg), soup_message_get_reason_phrase (msg),
                               std::string_view (data ? data : "", data ? size : 0));
}

} // namespace rtc
