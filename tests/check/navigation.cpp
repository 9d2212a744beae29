/* rtcbroadcastsink navigation=true: what the viewer page (or gstwebrtc-api's remote controller)
 * sends on the "control" channel becomes GstNavigation events; anything else is refused with a
 * reason and no event. No pipeline. */
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "broadcast/navigation.h"

static rtc::NavigationRequest
parse (const char *text)
{
  return rtc::parse_navigation_request (text);
}

GST_START_TEST (test_a_button_press_keeps_its_coordinates_button_and_modifiers)
{
  auto r = parse ("{\"id\":7,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":"
                  "\"MouseButtonPress\",\"button\":1,\"x\":160.5,\"y\":120,"
                  "\"modifier_state\":\"shift-mask+control-mask\"}}}");
  fail_unless (r.event != nullptr, "%s", r.error.c_str ());
  fail_unless_equals_int (r.id, 7);
  fail_unless_equals_int (gst_navigation_event_get_type (r.event),
                          GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS);
  gint button = 0;
  gdouble x = 0, y = 0;
  fail_unless (gst_navigation_event_parse_mouse_button_event (r.event, &button, &x, &y));
  fail_unless_equals_int (button, 1);
  fail_unless_equals_float (x, 160.5);
  fail_unless_equals_float (y, 120.0);
  GstNavigationModifierType mods = GST_NAVIGATION_MODIFIER_NONE;
  fail_unless (gst_navigation_event_parse_modifier_state (r.event, &mods));
  fail_unless_equals_int (mods, GST_NAVIGATION_MODIFIER_SHIFT_MASK
                                    | GST_NAVIGATION_MODIFIER_CONTROL_MASK);
  gst_event_unref (r.event);
}
GST_END_TEST;

// A viewer on a lower rung of the ladder points in its smaller picture: the sink scales its
// coordinates to the source's pixels.
GST_START_TEST (test_pointer_coordinates_scale_to_the_source)
{
  rtc::NavigationRequest r = rtc::parse_navigation_request (
      "{\"id\":3,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":"
      "\"MouseButtonPress\",\"button\":1,\"x\":80,\"y\":45}}}",
      4.0, 4.0);
  fail_unless (r.event != nullptr, "%s", r.error.c_str ());
  gint button = 0;
  gdouble x = 0, y = 0;
  fail_unless (gst_navigation_event_parse_mouse_button_event (r.event, &button, &x, &y));
  fail_unless_equals_float (x, 320.0);
  fail_unless_equals_float (y, 180.0);
  gst_event_unref (r.event);
}
GST_END_TEST;

GST_START_TEST (test_keys_moves_and_scrolls_become_their_events)
{
  struct
  {
    const char *event;
    GstNavigationEventType type;
  } cases[] = {
    { "{\"event\":\"KeyPress\",\"key\":\"Return\"}", GST_NAVIGATION_EVENT_KEY_PRESS },
    { "{\"event\":\"KeyRelease\",\"key\":\"a\"}", GST_NAVIGATION_EVENT_KEY_RELEASE },
    { "{\"event\":\"MouseMove\",\"x\":1,\"y\":2}", GST_NAVIGATION_EVENT_MOUSE_MOVE },
    { "{\"event\":\"MouseScroll\",\"x\":1,\"y\":2,\"delta_x\":0,\"delta_y\":-1}",
      GST_NAVIGATION_EVENT_MOUSE_SCROLL },
  };
  for (auto &c : cases)
    {
      std::string text = std::string ("{\"id\":1,\"request\":{\"type\":\"navigationEvent\","
                                      "\"event\":")
                         + c.event + "}}";
      auto r = parse (text.c_str ());
      fail_unless (r.event != nullptr, "%s: %s", c.event, r.error.c_str ());
      fail_unless_equals_int (gst_navigation_event_get_type (r.event), c.type);
      gst_event_unref (r.event);
    }
}
GST_END_TEST;

GST_START_TEST (test_malformed_messages_give_a_reason_and_no_event)
{
  const char *bad[] = {
    "not json",
    "[1,2,3]",
    "{\"id\":1}",
    "{\"id\":1,\"request\":{\"type\":\"somethingElse\"}}",
    "{\"id\":1,\"request\":{\"type\":\"navigationEvent\"}}",
    "{\"id\":1,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"MouseMove\"}}}",
    "{\"id\":1,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"MouseMove\","
    "\"x\":\"1\",\"y\":2}}}",
    "{\"id\":1,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"KeyPress\"}}}",
    "{\"id\":1,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":"
    "\"MouseButtonPress\",\"button\":99,\"x\":1,\"y\":1}}}",
    "{\"id\":1,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"Teleport\"}}}",
  };
  for (auto *text : bad)
    {
      auto r = parse (text);
      fail_unless (r.event == nullptr, "an event from %s", text);
      fail_if (r.error.empty (), "no reason for %s", text);
    }
}
GST_END_TEST;

GST_START_TEST (test_the_response_names_the_request_and_its_error)
{
  const std::string ok = rtc::navigation_response (3, "");
  const std::string failed = rtc::navigation_response (4, "bad");
  fail_unless_equals_string (ok.c_str (),
                             "{\"type\":\"ControlResponseMessage\",\"id\":3,\"error\":null}");
  fail_unless_equals_string (failed.c_str (),
                             "{\"type\":\"ControlResponseMessage\",\"id\":4,\"error\":\"bad\"}");
}
GST_END_TEST;

static Suite *
navigation_suite (void)
{
  Suite *s = suite_create ("navigation");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_a_button_press_keeps_its_coordinates_button_and_modifiers);
  tcase_add_test (tc, test_keys_moves_and_scrolls_become_their_events);
  tcase_add_test (tc, test_pointer_coordinates_scale_to_the_source);
  tcase_add_test (tc, test_malformed_messages_give_a_reason_and_no_event);
  tcase_add_test (tc, test_the_response_names_the_request_and_its_error);
  return s;
}

GST_CHECK_MAIN (navigation);
