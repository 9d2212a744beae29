/* signaller::uri=local://NAME: rtckit elements of one process find each other by name, with no
 * server and no socket, and the media goes over real peer connections on loopback. This file is
 * also the example of a gst-check test of a pipeline that uses rtckit. */
#include <gst/check/gstcheck.h>

#include "helpers/pipelines.h"

#include <atomic>
#include <cstring>
#include <functional>
#include <string>

using namespace rtc::check;

GST_START_TEST (test_a_sink_and_an_ingest_of_one_name_connect_in_process)
{
  GstElement *sender = launch (
      "rtcbroadcastsink name=s serve=false signaller::uri=local://check-one "
      "ice-local-addresses=127.0.0.1 video-codecs=vp8 "
      "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! s.video_0 "
      "audiotestsrc is-live=true ! s.audio_0");
  GstElement *receiver = launch ("rtcingestsrc name=src serve=false "
                                 "signaller::uri=local://check-one ice-local-addresses=127.0.0.1 "
                                 "src.video_0 ! fakesink name=v sync=false "
                                 "src.audio_0 ! fakesink name=a sync=false");
  std::atomic<int> video{ 0 }, audio{ 0 };
  count_buffers (receiver, "v", &video);
  count_buffers (receiver, "a", &audio);
  fail_if (gst_element_set_state (receiver, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_if (gst_element_set_state (sender, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_unless (wait_for ([&] { return video.load () >= 60 && audio.load () >= 20; }),
               "video %d, audio %d buffers", video.load (), audio.load ());
  assert_no_error (sender);
  assert_no_error (receiver);

  GstElement *sink = gst_bin_get_by_name (GST_BIN (sender), "s");
  guint viewers = 0;
  g_object_get (sink, "viewers", &viewers, nullptr);
  fail_unless_equals_int (viewers, 1);
  /* The receiver leaves: the sender's viewer goes with it. */
  gst_element_set_state (receiver, GST_STATE_NULL);
  fail_unless (wait_for ([&] {
    g_object_get (sink, "viewers", &viewers, nullptr);
    return viewers == 0;
  }));
  gst_object_unref (sink);
  gst_element_set_state (sender, GST_STATE_NULL);
  gst_object_unref (receiver);
  gst_object_unref (sender);
}
GST_END_TEST;

GST_START_TEST (test_different_names_do_not_meet_and_a_bad_name_is_an_error)
{
  GstElement *sender = launch ("videotestsrc is-live=true ! rtcbroadcastsink name=s serve=false "
                               "signaller::uri=local://check-two ice-local-addresses=127.0.0.1");
  GstElement *receiver = launch ("rtcingestsrc name=src serve=false "
                                 "signaller::uri=local://check-other ice-local-addresses=127.0.0.1 "
                                 "! fakesink");
  fail_if (gst_element_set_state (sender, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_if (gst_element_set_state (receiver, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  g_usleep (500000);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (sender), "s");
  guint viewers = 0;
  g_object_get (sink, "viewers", &viewers, nullptr);
  fail_unless_equals_int (viewers, 0);
  gst_object_unref (sink);
  gst_element_set_state (receiver, GST_STATE_NULL);
  gst_element_set_state (sender, GST_STATE_NULL);
  gst_object_unref (receiver);
  gst_object_unref (sender);

  GstElement *bad = launch ("videotestsrc is-live=true ! rtcbroadcastsink serve=false "
                            "signaller::uri=local://no/slashes");
  fail_unless_equals_int (gst_element_set_state (bad, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus (bad);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != nullptr);
  GError *e = nullptr;
  gst_message_parse_error (m, &e, nullptr);
  fail_unless (strstr (e->message, "local://NAME") != nullptr, "%s", e->message);
  g_error_free (e);
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (bad, GST_STATE_NULL);
  gst_object_unref (bad);
}
GST_END_TEST;

GST_START_TEST (test_bad_ice_settings_are_errors_that_name_the_property)
{
  struct
  {
    const char *setting, *named;
  } cases[] = {
    { "turn-servers=turn://host:3478", "turn-servers" }, // no credentials and no turn-secret
    { "stun-server=stun:nohost", "stun-server" },
    { "ice-port-range=9000-8000", "ice-port-range" },
    { "public-address=not-an-ip", "public-address" },
  };
  for (auto &c : cases)
    {
      GstElement *pipe
          = launch (std::string ("videotestsrc is-live=true ! rtcbroadcastsink serve=false "
                                 "signaller::uri=local://check-ice ")
                    + c.setting);
      fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_PLAYING),
                              GST_STATE_CHANGE_FAILURE);
      GstBus *bus = gst_element_get_bus (pipe);
      GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      fail_unless (m != nullptr, "no error for %s", c.setting);
      GError *e = nullptr;
      gst_message_parse_error (m, &e, nullptr);
      fail_unless (strstr (e->message, c.named) != nullptr, "%s: %s", c.setting, e->message);
      g_error_free (e);
      gst_message_unref (m);
      gst_object_unref (bus);
      gst_element_set_state (pipe, GST_STATE_NULL);
      gst_object_unref (pipe);
    }
  /* With the secret, TURN needs no credentials: the element starts. */
  GstElement *ok
      = launch ("videotestsrc is-live=true ! rtcbroadcastsink serve=false "
                "signaller::uri=local://check-ice turn-servers=turn://127.0.0.1:3478 "
                "turn-secret=s3cret ice-port-range=50000-50100 public-address=203.0.113.7");
  fail_if (gst_element_set_state (ok, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (ok, GST_STATE_NULL);
  gst_object_unref (ok);
}
GST_END_TEST;

static Suite *
local_signalling_suite (void)
{
  Suite *s = suite_create ("local-signalling");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_a_sink_and_an_ingest_of_one_name_connect_in_process);
  tcase_add_test (tc, test_different_names_do_not_meet_and_a_bad_name_is_an_error);
  tcase_add_test (tc, test_bad_ice_settings_are_errors_that_name_the_property);
  return s;
}

GST_CHECK_MAIN (local_signalling);
