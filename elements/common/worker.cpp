#include "worker.h"

#include "signaling/call-later.h"

#include <condition_variable>
#include <mutex>

namespace rtc {

namespace {
struct Task
{
  std::function<void ()> fn;
};

gboolean
run_repeating (gpointer data)
{
  static_cast<Task *> (data)->fn ();
  return G_SOURCE_CONTINUE;
}

void
free_task (gpointer data)
{
  delete static_cast<Task *> (data);
}
} // namespace

Worker::Worker (const char *name)
{
  ctx_ = g_main_context_new ();
  loop_ = g_main_loop_new (ctx_, FALSE);
  thread_ = g_thread_new (name, [] (gpointer data) -> gpointer {
    auto *self = static_cast<Worker *> (data);
    g_main_context_push_thread_default (self->ctx_);
    g_main_loop_run (self->loop_);
    g_main_context_pop_thread_default (self->ctx_);
    return nullptr;
  }, this);
}

Worker::~Worker ()
{
  stop ();
  g_main_loop_unref (loop_);
  g_main_context_unref (ctx_);
}

void
Worker::invoke (std::function<void ()> fn)
{
  if (!thread_)
    return;
  call_later (ctx_, std::move (fn));
}

void
Worker::invoke_sync (std::function<void ()> fn)
{
  if (!thread_ || is_current ())
    {
      fn ();
      return;
    }
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  invoke ([&] {
    fn ();
    std::lock_guard lock (m);
    done = true;
    cv.notify_one ();
  });
  std::unique_lock lock (m);
  cv.wait (lock, [&] { return done; });
}

guint
Worker::every (guint interval_ms, std::function<void ()> fn)
{
  GSource *src = g_timeout_source_new (interval_ms);
  g_source_set_callback (src, run_repeating, new Task{ std::move (fn) }, free_task);
  guint id = g_source_attach (src, ctx_);
  g_source_unref (src);
  return id;
}

bool
Worker::is_current () const
{
  return thread_ && g_thread_self () == thread_;
}

void
Worker::stop ()
{
  if (!thread_)
    return;
  // Quit from inside the loop so that work queued before stop() still runs.
  invoke ([this] { g_main_loop_quit (loop_); });
  g_thread_join (thread_);
  thread_ = nullptr;
  // Timers and work queued after the quit are freed, not run, with the context.
}

} // namespace rtc
