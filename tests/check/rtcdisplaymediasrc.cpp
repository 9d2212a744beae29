// rtcdisplaymediasrc without a display: what it says when there is nothing to capture or the
// settings are malformed, and the sizes its constraints ask for. Capture itself is tested under
// Xvfb with Chromium in tests/e2e/test_displaymedia_chromium.py.
#include <gst/check/gstcheck.h>

#include "elements/common/gst-ptr.h"
#include "elements/display/constraints.h"

#include <string>

using rtc::Ptr;
namespace display = rtc::display;

// The element with @prop set to @value, taken to READY: the state change must fail, and the
// error's message is returned.
static std::string
error_going_to_ready (const char *prop, const char *value)
{
  Ptr<GstElement> src (
      GST_ELEMENT (gst_object_ref_sink (gst_element_factory_make ("rtcdisplaymediasrc", nullptr))));
  fail_unless (src, "rtcdisplaymediasrc is not registered");
  Ptr<GstBus> bus (gst_bus_new ());
  gst_element_set_bus (src.get (), bus.get ());
  if (prop)
    gst_util_set_object_arg (G_OBJECT (src.get ()), prop, value);
  fail_unless_equals_int (gst_element_set_state (src.get (), GST_STATE_READY),
                          GST_STATE_CHANGE_FAILURE);
  Ptr<GstMessage> msg (gst_bus_pop_filtered (bus.get (), GST_MESSAGE_ERROR));
  fail_unless (msg, "an error message on the bus");
  rtc::Error err;
  gst_message_parse_error (msg.get (), err.out (), nullptr);
  std::string text = err.message ();
  gst_element_set_state (src.get (), GST_STATE_NULL);
  gst_element_set_bus (src.get (), nullptr);
  return text;
}

static void
fail_unless_mentions (const std::string &text, const char *word)
{
  fail_unless (text.find (word) != std::string::npos, "\"%s\" is not in: %s", word, text.c_str ());
}

// main() clears DISPLAY, WAYLAND_DISPLAY and the session bus: no X server, no portal.
GST_START_TEST (without_display_or_portal_the_error_names_DISPLAY)
{
  std::string text = error_going_to_ready (nullptr, nullptr);
  fail_unless_mentions (text, "DISPLAY");
  fail_unless_mentions (text, "portal");
}
GST_END_TEST;

GST_START_TEST (a_display_that_does_not_open_is_named_in_the_error)
{
  std::string text = error_going_to_ready ("display-name", ":4711");
  fail_unless_mentions (text, "\":4711\"");
}
GST_END_TEST;

GST_START_TEST (source_x11_without_display_does_not_try_the_portal)
{
  std::string text = error_going_to_ready ("source", "x11");
  fail_unless_mentions (text, "DISPLAY");
  fail_unless (text.find ("portal") == std::string::npos, "%s", text.c_str ());
}
GST_END_TEST;

GST_START_TEST (malformed_region_fields_are_named)
{
  struct
  {
    const char *region, *field;
  } cases[] = {
    { "10,20,300", "x,y,width,height" },     { "a,0,10,10", "x is \"a\"" },
    { "0,-5,10,10", "y is \"-5\"" },         { "0,0,0,10", "width is \"0\"" },
    { "0,0,10,10px", "height is \"10px\"" },
  };
  for (const auto &c : cases)
    fail_unless_mentions (error_going_to_ready ("region", c.region), c.field);
}
GST_END_TEST;

GST_START_TEST (malformed_constraints_fields_are_named)
{
  struct
  {
    const char *constraints, *field;
  } cases[] = {
    { "width=abc", "'width'" },
    { "width=1280,height=exact:", "'height'" },
    { "colour=red", "'colour'" },
    { "frame-rate=500", "'frame-rate'" },
    { "width", "'width' has no value" },
    { "width=min:640", "\"width\" takes an ideal or exact value" },
    { "width=640.5", "\"width\" is" },
  };
  for (const auto &c : cases)
    fail_unless_mentions (error_going_to_ready ("video-constraints", c.constraints), c.field);
}
GST_END_TEST;

static display::Size
size (unsigned w, unsigned h)
{
  return display::Size{ w, h };
}

// Whether constraints @c scale a picture of @source to exactly @w x @h.
static bool
scaled_to (const display::Constraints &c, display::Size source, unsigned w, unsigned h)
{
  std::optional<display::Size> out = display::output_size (c, source);
  return out && out->width == w && out->height == h;
}

GST_START_TEST (constraints_parse_ideal_and_exact_values)
{
  display::Constraints c;
  std::string error;
  fail_unless (
      display::parse_constraints ("width=1280, height=exact:720,frame-rate=15", &c, &error), "%s",
      error.c_str ());
  fail_unless (c.width && c.width->value == 1280 && !c.width->exact);
  fail_unless (c.height && c.height->value == 720 && c.height->exact);
  fail_unless (c.frame_rate && c.frame_rate->value == 15 && !c.frame_rate->exact);
  fail_unless (display::parse_constraints ("", &c, &error));
  fail_unless (!c.width && !c.height && !c.frame_rate);
}
GST_END_TEST;

GST_START_TEST (ideal_sizes_fit_inside_keeping_the_aspect_ratio)
{
  display::Constraints c;
  std::string error;
  const display::Size screen = size (1920, 1080);
  fail_unless (display::parse_constraints ("width=1280,height=1024", &c, &error));
  fail_unless (scaled_to (c, screen, 1280, 720));
  fail_unless (display::parse_constraints ("height=360", &c, &error));
  fail_unless (scaled_to (c, screen, 640, 360));
  // a 4:3 window into a 16:9 box: the height decides
  fail_unless (display::parse_constraints ("width=1280,height=720", &c, &error));
  fail_unless (scaled_to (c, size (800, 600), 960, 720));
  // computed sides are even
  fail_unless (display::parse_constraints ("width=641", &c, &error));
  fail_unless (scaled_to (c, size (1000, 1000), 640, 640));
}
GST_END_TEST;

GST_START_TEST (exact_sizes_are_met_and_no_constraint_means_no_scaling)
{
  display::Constraints c;
  std::string error;
  const display::Size screen = size (1920, 1080);
  fail_unless (display::parse_constraints ("width=exact:640,height=exact:480", &c, &error));
  fail_unless (scaled_to (c, screen, 640, 480));
  fail_unless (display::parse_constraints ("width=exact:960", &c, &error));
  fail_unless (scaled_to (c, screen, 960, 540));
  fail_unless (display::parse_constraints ("frame-rate=5", &c, &error));
  fail_unless (!display::output_size (c, screen), "no width/height: no scaler");
  fail_unless (display::parse_constraints ("width=1920", &c, &error));
  fail_unless (!display::output_size (c, screen), "already that size: no scaler");
}
GST_END_TEST;

GST_START_TEST (region_parses_x_y_width_height)
{
  display::Region r;
  std::string error;
  fail_unless (display::parse_region ("0, 16, 640,480", &r, &error), "%s", error.c_str ());
  fail_unless (r.x == 0 && r.y == 16 && r.width == 640 && r.height == 480);
}
GST_END_TEST;

static Suite *
rtcdisplaymediasrc_suite (void)
{
  Suite *s = suite_create ("rtcdisplaymediasrc");
  TCase *errors = tcase_create ("errors");
  suite_add_tcase (s, errors);
  tcase_add_test (errors, without_display_or_portal_the_error_names_DISPLAY);
  tcase_add_test (errors, a_display_that_does_not_open_is_named_in_the_error);
  tcase_add_test (errors, source_x11_without_display_does_not_try_the_portal);
  tcase_add_test (errors, malformed_region_fields_are_named);
  tcase_add_test (errors, malformed_constraints_fields_are_named);

  TCase *constraints = tcase_create ("constraints");
  suite_add_tcase (s, constraints);
  tcase_add_test (constraints, constraints_parse_ideal_and_exact_values);
  tcase_add_test (constraints, ideal_sizes_fit_inside_keeping_the_aspect_ratio);
  tcase_add_test (constraints, exact_sizes_are_met_and_no_constraint_means_no_scaling);
  tcase_add_test (constraints, region_parses_x_y_width_height);
  return s;
}

int
main (int argc, char **argv)
{
  // No X server and no desktop portal, whatever the machine running the tests has.
  g_unsetenv ("DISPLAY");
  g_unsetenv ("WAYLAND_DISPLAY");
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("XDG_RUNTIME_DIR");
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (rtcdisplaymediasrc_suite (), "rtcdisplaymediasrc", __FILE__);
}
