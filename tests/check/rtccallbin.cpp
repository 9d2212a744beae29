/* rtccallbin: two pipelines in a call over local:// in this process (one waits, the other
 * calls the first producer), media both ways over real peer connections on loopback, and
 * messages on the call's data channel. */
#include <gst/check/gstcheck.h>

#include "helpers/pipelines.h"

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace
{

using namespace rtc::check;

struct Texts
{
  std::mutex lock;
  std::vector<std::string> list;
  std::size_t size ()
  {
    std::lock_guard l (lock);
    return list.size ();
  }
};

void
on_message (GstElement *, const gchar *, const gchar *, const gchar *text, Texts *t)
{
  std::lock_guard l (t->lock);
  t->list.push_back (text);
}

// One side of a call: test video and audio in, counting what comes out.
std::string
side (const std::string &name, const std::string &props)
{
  return "rtccallbin name=c serve=false ice-local-addresses=127.0.0.1 " + props
         + " signaller::uri=local://" + name
         + " videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
           "c.video_0 audiotestsrc is-live=true ! c.audio_0 "
           "c.video_src_0 ! fakesink name=v sync=false c.audio_src_0 ! fakesink name=a sync=false";
}

} // namespace

GST_START_TEST (test_two_pipelines_call_each_other_and_talk_both_ways)
{
  GstElement *waiting = launch (side ("call-one", ""));
  GstElement *calling = launch (side ("call-one", "call=first"));
  std::atomic<int> wv{ 0 }, wa{ 0 }, cv{ 0 }, ca{ 0 };
  count_buffers (waiting, "v", &wv);
  count_buffers (waiting, "a", &wa);
  count_buffers (calling, "v", &cv);
  count_buffers (calling, "a", &ca);
  GstElement *wbin = gst_bin_get_by_name (GST_BIN (waiting), "c");
  GstElement *cbin = gst_bin_get_by_name (GST_BIN (calling), "c");
  Texts at_waiting, at_calling;
  g_signal_connect (wbin, "message", G_CALLBACK (on_message), &at_waiting);
  g_signal_connect (cbin, "message", G_CALLBACK (on_message), &at_calling);

  fail_if (gst_element_set_state (waiting, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_if (gst_element_set_state (calling, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_unless (wait_for ([&] {
                 return wv.load () >= 60 && wa.load () >= 20 && cv.load () >= 60
                        && ca.load () >= 20;
               }),
               "waiting side got video %d audio %d, calling side video %d audio %d", wv.load (),
               wa.load (), cv.load (), ca.load ());
  assert_no_error (waiting);
  assert_no_error (calling);

  /* Both know whom they talk to. */
  gchar *wpeer = nullptr, *cpeer = nullptr;
  g_object_get (wbin, "peer", &wpeer, nullptr);
  g_object_get (cbin, "peer", &cpeer, nullptr);
  fail_unless (wpeer && cpeer);
  g_free (wpeer);
  g_free (cpeer);

  /* The data channel is on by default; the waiting side opened it. */
  fail_unless (wait_for ([&] {
    gboolean ok = FALSE;
    g_signal_emit_by_name (wbin, "send-message", nullptr, "hello caller", &ok);
    return ok && wait_for ([&] { return at_calling.size () >= 1; }, 2000);
  }));
  gboolean ok = FALSE;
  g_signal_emit_by_name (cbin, "send-message", nullptr, "hello callee", &ok);
  fail_unless (ok);
  fail_unless (wait_for ([&] { return at_waiting.size () >= 1; }));
  fail_unless_equals_string (at_waiting.list[0].c_str (), "hello callee");

  gst_element_set_state (calling, GST_STATE_NULL);
  gst_element_set_state (waiting, GST_STATE_NULL);
  gst_object_unref (wbin);
  gst_object_unref (cbin);
  gst_object_unref (calling);
  gst_object_unref (waiting);
}
GST_END_TEST;

GST_START_TEST (test_a_second_caller_is_refused_while_a_call_is_up_and_gets_through_after)
{
  GstElement *waiting = launch (side ("call-busy", ""));
  GstElement *first = launch (side ("call-busy", "call=first"));
  std::atomic<int> fv{ 0 }, sv{ 0 }, dummy{ 0 };
  count_buffers (first, "v", &fv);
  fail_if (gst_element_set_state (waiting, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_if (gst_element_set_state (first, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_unless (wait_for ([&] { return fv.load () >= 30; }), "first caller got %d", fv.load ());

  /* A second caller: refused while the first call is up. */
  GstElement *second = launch (side ("call-busy", "call=first"));
  count_buffers (second, "v", &sv);
  fail_if (gst_element_set_state (second, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  g_usleep (1500000);
  fail_unless_equals_int (sv.load (), 0);
  int before = fv.load ();
  fail_unless (wait_for ([&] { return fv.load () > before + 15; }), "the first call stalled");

  /* The first caller hangs up; the second calls again (local:// pairs peers when they start)
   * and gets through. */
  gst_element_set_state (first, GST_STATE_NULL);
  gst_element_set_state (second, GST_STATE_NULL);
  fail_if (gst_element_set_state (second, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_unless (wait_for ([&] { return sv.load () >= 30; }, 30000), "second caller got %d",
               sv.load ());
  assert_no_error (waiting);
  (void)dummy;

  gst_element_set_state (second, GST_STATE_NULL);
  gst_element_set_state (waiting, GST_STATE_NULL);
  gst_object_unref (second);
  gst_object_unref (first);
  gst_object_unref (waiting);
}
GST_END_TEST;

static Suite *
rtccallbin_suite (void)
{
  Suite *s = suite_create ("rtccallbin");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 90);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_two_pipelines_call_each_other_and_talk_both_ways);
  tcase_add_test (tc, test_a_second_caller_is_refused_while_a_call_is_up_and_gets_through_after);
  return s;
}

GST_CHECK_MAIN (rtccallbin);
