/* The thread of a client signaller, and the pieces its HTTP clients share.
 *
 * A signaller that talks to a remote server (WebSocket, WHIP, Janus) or runs one (embedded) does
 * all its work on a private GMainContext run by one GThread between start() and stop(). Element
 * threads never touch that work directly: they post() functions to the thread, so calls keep their
 * order, never re-enter a handler and can never run after stop() returned.
 *
 * Plain C++ for the signalling library; not part of any public header. */
#pragma once

#include "rtc-signaller.h"

#include <glib.h>
#include <libsoup/soup.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace rtc
{

/* One run of a signaller thread: a GMainContext, its GMainLoop and the GThread that runs it.
 * A signaller's Runtime derives from it and adds the state of the run, which only the thread
 * touches. Methods marked (thread) run on that thread only. */
class ClientLoop
{
public:
  ClientLoop ();
  /* The thread must have been joined (stop() or join()). */
  virtual ~ClientLoop ();
  ClientLoop (const ClientLoop &) = delete;
  ClientLoop &operator= (const ClientLoop &) = delete;

  GMainContext *context () const { return ctx_; }

  /* Starts the thread @name. It makes the context its thread default, calls @body (which calls
   * run() for as long as the loop should run, and frees what it made), dispatches what @body
   * left attached, and pops the context. */
  void spawn (const char *name, std::function<void ()> body);

  /* (thread) Runs the loop until quit(). */
  void run ();
  /* (thread) */
  void quit ();

  /* Runs @fn on the thread later, in the order of the calls, unless stop() began by then. */
  void post (std::function<void ()> fn, gint priority = G_PRIORITY_DEFAULT);

  /* (thread) Set when stop() began: no more signals, no more posted work. */
  bool stopping () const { return stopping_; }

  /* Ends the run: on the thread, after the work posted before, sets stopping() and calls
   * @shutdown, which must lead to quit() (at once, or later from a source); then joins the
   * thread. Not from the thread itself. */
  void stop (std::function<void ()> shutdown);

  /* Joins a thread that ends by itself (its @body did not run the loop). */
  void join ();

  /* (thread) Quits the loop once @done holds or at @deadline (monotonic µs), checking now and
   * then every 10 ms: how a shutdown lets its last messages out. */
  void quit_when (std::function<bool ()> done, gint64 deadline);

private:
  GMainContext *ctx_;
  GMainLoop *loop_;
  GThread *thread_ = nullptr;
  std::function<void ()> body_;
  bool stopping_ = false; /* (thread) */
};

/* (thread) For a client with one session of its own (WHIP, Janus): emits session-requested for
 * @sid (read then; nothing when "" by then) from @peer_id (static), once @loop runs what is
 * already queued, unless stop() began. */
void post_session_requested (ClientLoop &loop, RtcSignaller *signaller, const std::string &sid,
                             const char *peer_id);

/* Where a signaller keeps its running ClientLoop (subclass @Run): start() puts one in, stop()
 * takes it out, and methods post to whichever is there.
 *
 * Lock order: the slot's lock is a leaf; it is held only to read or swap the pointer and to
 * attach a source to the context, never while a signal is emitted. Callers serialise put() and
 * take() with their own start lock. */
template <typename Run> class ClientSlot
{
public:
  ~ClientSlot () { g_assert (!run_); }

  bool running () const
  {
    std::lock_guard lock (lock_);
    return run_ != nullptr;
  }

  /* Published before the thread runs: methods called from its first signals must reach it. */
  void put (Run *run)
  {
    std::lock_guard lock (lock_);
    run_ = run;
  }

  /* After take(), post() drops: what was posted before still runs ahead of the stop. */
  std::unique_ptr<Run> take ()
  {
    std::lock_guard lock (lock_);
    Run *run = run_;
    run_ = nullptr;
    return std::unique_ptr<Run> (run);
  }

  /* Runs @fn on the running thread, later; dropped if nothing runs or the run is stopping. */
  void post (std::function<void (Run &)> fn)
  {
    std::lock_guard lock (lock_);
    if (Run *run = run_)
      run->post ([run, fn = std::move (fn)] { fn (*run); });
  }

private:
  mutable std::mutex lock_;
  Run *run_ = nullptr;
};

/* A source on a loop's context that the owner can cancel, and that forgets itself before it
 * calls back. (thread): start, cancel and the callback all happen on the context's thread. */
class Timer
{
public:
  Timer () = default;
  ~Timer () { cancel (); }
  Timer (const Timer &) = delete;
  Timer &operator= (const Timer &) = delete;

  /* Calls @fn once, @ms from now, replacing what was pending. */
  void once (GMainContext *ctx, guint ms, std::function<void ()> fn);
  /* Calls @fn every @ms until cancel(), or until @fn returns false. */
  void every (GMainContext *ctx, guint ms, std::function<bool ()> fn);
  void cancel ();
  bool pending () const { return source_ != nullptr; }

private:
  void attach (GMainContext *ctx, guint ms, bool once, std::function<bool ()> fn);
  GSource *source_ = nullptr;
};

/* The HTTP side of a signaller thread (WHIP, Janus): a SoupSession, the cancellable of the
 * ordinary requests, and the count of requests in flight, so that a shutdown can let its last
 * requests (DELETE, leave) finish while it cancels the others. (thread): all of it. */
class HttpClient
{
public:
  /* @body: the response body (nullptr on error); @error: the transport error or nullptr. */
  using Done = std::function<void (SoupMessage *msg, GBytes *body, GError *error)>;

  HttpClient ();
  ~HttpClient ();
  HttpClient (const HttpClient &) = delete;
  HttpClient &operator= (const HttpClient &) = delete;

  /* Opens the session: one request may take @timeout_ms, rounded up to seconds. */
  void open (guint timeout_ms);

  /* For the ordinary requests: cancel() cancels them, the last ones go without it. */
  GCancellable *cancellable () const { return cancel_; }
  void cancel () { g_cancellable_cancel (cancel_); }

  /* Sends @msg (transfer full) on our session, or on @session (another one of this thread);
   * @done runs on this thread once it is answered, failed or cancelled. */
  void send (SoupMessage *msg, GCancellable *cancel, Done done, SoupSession *session = nullptr);

  /* Requests in flight. */
  int pending () const { return pending_; }

  /* The shutdown of @loop: cancels the ordinary requests, calls @last_requests (which sends
   * the final ones without the cancellable), and quits @loop once none is in flight or
   * @timeout_ms passed. */
  void finish (ClientLoop &loop, guint timeout_ms, const std::function<void ()> &last_requests);

  /* Cancels, lets requests in flight complete (for 2 s at most, dispatching @ctx) and closes
   * the session: before the other sessions of @ctx and the context itself go. */
  void close (GMainContext *ctx);

private:
  SoupSession *session_ = nullptr;
  GCancellable *cancel_;
  int pending_ = 0;
};

/* "HTTP 404 Not Found (first 200 bytes of the body)": a failed response for a log or an error;
 * the body only when those bytes are UTF-8 text. */
std::string describe_http_status (guint status, const char *reason, std::string_view body);
std::string describe_http_status (SoupMessage *msg, GBytes *body);

} // namespace rtc
