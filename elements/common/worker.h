// Worker: one thread with its own GMainContext, where an element keeps its session state.
// Everything that changes sessions runs here, so that state needs no lock; other threads hand
// work over with invoke().
#pragma once

#include <glib.h>

#include <functional>

namespace rtc {

class Worker
{
public:
  explicit Worker (const char *name);
  ~Worker (); // stops the thread
  Worker (const Worker &) = delete;
  Worker &operator= (const Worker &) = delete;

  // Runs @fn on the worker thread, later (FIFO), or drops it once stop() began.
  void invoke (std::function<void ()> fn);
  // Runs @fn on the worker thread and waits for it; runs it at once when called from there.
  void invoke_sync (std::function<void ()> fn);
  // Calls @fn every @interval_ms on the worker thread until stop(); returns the source id.
  guint every (guint interval_ms, std::function<void ()> fn);
  bool is_current () const;
  // Stops the loop after the work already queued and joins the thread; not restartable.
  void stop ();
  GMainContext *context () const { return ctx_; }

private:
  GMainContext *ctx_ = nullptr;
  GMainLoop *loop_ = nullptr;
  GThread *thread_ = nullptr;
};

} // namespace rtc
