/* rtc::ClientLoop, ClientSlot and Timer: the thread every client signaller runs on. */
#include "client-loop.h"

#include <atomic>
#include <string>
#include <vector>

namespace
{

struct Run : rtc::ClientLoop
{
  std::vector<std::string> seen; /* (thread) until joined */
  GThread *thread = nullptr;     /* (thread) */
};

/* Spawns @run with a body that only runs the loop. */
void
spawn (Run &run)
{
  run.spawn ("test-client-loop", [&run] {
    run.thread = g_thread_self ();
    run.run ();
  });
}

} // namespace

/* Posted work runs on the loop's thread, in the order of the posts, before the shutdown. */
static void
test_post_order_and_thread (void)
{
  Run run;
  spawn (run);
  std::atomic<GThread *> ran_on{ nullptr };
  run.post ([&] {
    ran_on = g_thread_self ();
    run.seen.push_back ("a");
  });
  run.post ([&] { run.seen.push_back ("b"); });
  run.stop ([&] {
    run.seen.push_back (run.stopping () ? "shutdown" : "shutdown-not-stopping");
    run.quit ();
  });
  g_assert_true (ran_on.load () == run.thread);
  g_assert_true (ran_on.load () != g_thread_self ());
  g_assert_cmpuint (run.seen.size (), ==, 3);
  g_assert_cmpstr (run.seen[0].c_str (), ==, "a");
  g_assert_cmpstr (run.seen[1].c_str (), ==, "b");
  g_assert_cmpstr (run.seen[2].c_str (), ==, "shutdown");
}

/* Work that the shutdown's own sources would reach (posted from the thread during stop) is
 * dropped: nothing runs once stopping. */
static void
test_post_during_shutdown_dropped (void)
{
  Run run;
  spawn (run);
  run.stop ([&] {
    run.post ([&] { run.seen.push_back ("late"); });
    run.quit_when ([] { return false; }, g_get_monotonic_time () + 30 * 1000);
  });
  g_assert_true (run.seen.empty ());
}

/* quit_when() quits as soon as its condition holds, and at the deadline when it never does. */
static void
test_quit_when (void)
{
  Run run;
  spawn (run);
  int polls = 0;
  run.stop ([&] {
    run.quit_when (
        [&] {
          polls++;
          return polls == 3;
        },
        g_get_monotonic_time () + 10 * G_USEC_PER_SEC);
  });
  g_assert_cmpint (polls, ==, 3);

  Run never;
  spawn (never);
  const gint64 start = g_get_monotonic_time ();
  never.stop ([&] { never.quit_when ([] { return false; }, g_get_monotonic_time () + 50000); });
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 50000);
}

/* A slot drops posts when empty and after take(); what was posted before take() still runs. */
static void
test_slot (void)
{
  rtc::ClientSlot<Run> slot;
  int ran = 0;
  slot.post ([&] (Run &) { ran++; });
  g_assert_false (slot.running ());
  auto *run = new Run;
  slot.put (run);
  spawn (*run);
  g_assert_true (slot.running ());
  slot.post ([&] (Run &r) {
    g_assert_true (&r == run);
    ran++;
  });
  std::unique_ptr<Run> taken = slot.take ();
  slot.post ([&] (Run &) { ran++; });
  taken->stop ([&] { taken->quit (); });
  g_assert_cmpint (ran, ==, 1);
  g_assert_false (slot.running ());
}

/* A Timer fires once, can be cancelled, may start itself again from its callback, and an
 * every-timer runs until its callback says no. */
static void
test_timer (void)
{
  Run run;
  spawn (run);
  rtc::Timer once, cancelled, again, every;
  int once_n = 0, cancelled_n = 0, again_n = 0, every_n = 0;
  bool once_pending_in_callback = true;
  std::function<void ()> rearm = [&] {
    if (++again_n < 3)
      again.once (run.context (), 1, rearm);
  };
  run.post ([&] {
    once.once (run.context (), 1, [&] {
      once_pending_in_callback = once.pending ();
      once_n++;
    });
    cancelled.once (run.context (), 1, [&] { cancelled_n++; });
    cancelled.cancel ();
    again.once (run.context (), 1, rearm);
    every.every (run.context (), 1, [&] { return ++every_n < 4; });
  });
  run.stop ([&] {
    run.quit_when ([&] { return again_n == 3 && every_n == 4 && once_n == 1; },
                   g_get_monotonic_time () + 5 * G_USEC_PER_SEC);
  });
  g_assert_cmpint (once_n, ==, 1);
  g_assert_false (once_pending_in_callback);
  g_assert_false (once.pending ());
  g_assert_cmpint (cancelled_n, ==, 0);
  g_assert_cmpint (again_n, ==, 3);
  g_assert_cmpint (every_n, ==, 4);
  g_assert_false (every.pending ());
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/signaling/client-loop/post-order-and-thread", test_post_order_and_thread);
  g_test_add_func ("/signaling/client-loop/post-during-shutdown-dropped",
                   test_post_during_shutdown_dropped);
  g_test_add_func ("/signaling/client-loop/quit-when", test_quit_when);
  g_test_add_func ("/signaling/client-loop/slot", test_slot);
  g_test_add_func ("/signaling/client-loop/timer", test_timer);
  return g_test_run ();
}
