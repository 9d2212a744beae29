// rtcusermediasrc's constraint text and fitness distance (elements/usermedia/), no pipeline.
#include <gst/check/gstcheck.h>

#include "elements/common/media-constraints.h"
#include "elements/usermedia/modes.h"

#include <cmath>

using namespace rtc::um;

static Constraints
parse_ok (const char *text, Kind kind = Kind::Video)
{
  Constraints cs;
  ParseError e;
  fail_unless (parse_constraints (text, kind, cs, e), "'%s': %s", text, e.message.c_str ());
  return cs;
}

static ParseError
parse_bad (const char *text, Kind kind = Kind::Video)
{
  Constraints cs;
  ParseError e;
  fail_if (parse_constraints (text, kind, cs, e), "'%s' was accepted", text);
  return e;
}

// (A std::string compared as text: fail_unless_equals_string keeps a pointer into a temporary.)
static void
expect_bad (const char *text, const char *field, Kind kind = Kind::Video)
{
  std::string got = parse_bad (text, kind).field;
  fail_unless (got == field, "'%s': the bad field is '%s', not '%s'", text, got.c_str (), field);
}

GST_START_TEST (a_bare_value_is_ideal_and_qualifiers_set_exact_min_max)
{
  Constraints cs = parse_ok ("width=1280, height=exact:720,frame-rate=min:15;max:30;ideal:25,"
                             "facing-mode=user");
  fail_unless_equals_int (cs.items.size (), 4);
  fail_unless (*cs.find ("width")->ideal == 1280 && !cs.find ("width")->required ());
  fail_unless (*cs.find ("height")->exact == 720 && cs.find ("height")->required ());
  const Constraint *fps = cs.find ("frame-rate");
  fail_unless (*fps->min == 15 && *fps->max == 30 && *fps->ideal == 25);
  fail_unless_equals_string (cs.find ("facing-mode")->ideal_text->c_str (), "user");
  fail_unless (fps->describe () == "frame-rate=min:15;max:30;ideal:25", "%s",
               fps->describe ().c_str ());

  Constraints audio
      = parse_ok ("channel-count=1,sample-rate=48000,echo-cancellation=exact:true", Kind::Audio);
  fail_unless (*audio.wanted_bool ("echo-cancellation"));
  fail_unless (!audio.wanted_bool ("noise-suppression"));
  fail_unless (parse_ok (nullptr).items.empty () && parse_ok ("").items.empty ());
}
GST_END_TEST;

GST_START_TEST (malformed_text_names_the_bad_field)
{
  expect_bad ("width=1280,hieght=720", "hieght");
  expect_bad ("width=wide", "width");
  expect_bad ("width=exakt:1280", "width");
  expect_bad ("width=-5", "width");
  expect_bad ("width", "width");
  expect_bad ("width=", "width");
  expect_bad ("width=1,width=2", "width");
  expect_bad ("frame-rate=min:30;max:15", "frame-rate");
  expect_bad ("facing-mode=sideways", "facing-mode");
  expect_bad ("facing-mode=min:user", "facing-mode");
  expect_bad ("echo-cancellation=yes", "echo-cancellation", Kind::Audio);
  // A video constraint is not an audio one.
  expect_bad ("width=640", "width", Kind::Audio);
  ParseError e = parse_bad ("width=640,,height=480");
  fail_unless (e.message.find ("empty field") != std::string::npos, "%s", e.message.c_str ());
}
GST_END_TEST;

GST_START_TEST (fitness_distance_is_the_w3c_sum_of_relative_differences)
{
  Settings s;
  s.numbers = { { "width", 640 }, { "height", 480 }, { "frame-rate", 30 } };
  Constraints cs = parse_ok ("width=1280,height=720,frame-rate=30");
  // |640-1280|/1280 + |480-720|/720 + 0
  double expected = 0.5 + 240.0 / 720;
  fail_unless (std::fabs (fitness_distance (cs, s) - expected) < 1e-9, "%g",
               fitness_distance (cs, s));
  // A required constraint missed: infinity; met: no distance of its own.
  fail_unless (std::isinf (fitness_distance (parse_ok ("width=exact:1280"), s)));
  fail_unless (fitness_distance (parse_ok ("width=min:320;max:640"), s) == 0);
  // An ideal string the candidate lacks costs 1, as the browser counts it.
  fail_unless (fitness_distance (parse_ok ("facing-mode=user"), s) == 1);
  fail_unless (std::isinf (fitness_distance (parse_ok ("facing-mode=exact:user"), s)));
  // 30000/1001 meets exact 29.97.
  s.numbers["frame-rate"] = 30000.0 / 1001;
  fail_unless (satisfies (*parse_ok ("frame-rate=exact:29.97").find ("frame-rate"), s));
}
GST_END_TEST;

static std::vector<Mode>
modes (const char *caps, const char *constraints)
{
  GstCaps *c = gst_caps_from_string (caps);
  std::vector<Mode> out = expand_caps (c, Kind::Video, parse_ok (constraints));
  gst_caps_unref (c);
  return out;
}

GST_START_TEST (caps_ranges_and_lists_expand_toward_the_targets)
{
  std::vector<Mode> m
      = modes ("video/x-raw,format=YUY2,width=640,height=480,"
               "framerate={30/1,15/1};image/jpeg,width=1280,height=720,framerate=30/1",
               "");
  fail_unless_equals_int (m.size (), 3);
  fail_unless (m[2].compressed () && m[2].width == 1280);

  m = modes ("video/x-raw,format=I420,width=[16,4096],height=[16,4096],framerate=[1/1,60/1]",
             "width=1280,height=exact:720,frame-rate=max:24");
  fail_unless_equals_int (m.size (), 1);
  fail_unless_equals_int (m[0].width, 1280);
  fail_unless_equals_int (m[0].height, 720);
  fail_unless_equals_int (m[0].fps_n, 24);
  // Without a target a range aims at the browser's default, 640x480@30.
  m = modes ("video/x-raw,format=I420,width=[16,4096],height=[16,4096],framerate=[1/1,60/1]", "");
  fail_unless (m[0].width == 640 && m[0].height == 480 && m[0].fps () == 30);
  // Caps we cannot capture from are not modes.
  fail_unless (modes ("video/x-h264,width=640,height=480,framerate=30/1", "").empty ());
}
GST_END_TEST;

GST_START_TEST (an_exact_size_below_the_native_one_is_reached_by_scaling_down)
{
  Mode native;
  native.media = "video/x-raw";
  native.format = "YUY2";
  native.width = 1280;
  native.height = 720;
  native.fps_n = 30;
  Plan p = plan_for (native, Kind::Video, parse_ok ("width=exact:640,frame-rate=max:15"), {});
  fail_unless (p.scale && p.retime);
  fail_unless_equals_int (p.out.width, 640);
  fail_unless_equals_int (p.out.height, 360); // the aspect ratio kept
  fail_unless_equals_int (p.out.fps_n, 15);
  fail_unless (p.distance == 0);
  // Never up: exact 1920 on a 1280 mode stays unmet.
  p = plan_for (native, Kind::Video, parse_ok ("width=exact:1920"), {});
  fail_unless (!p.scale && std::isinf (p.distance));
  // An ideal alone never scales.
  p = plan_for (native, Kind::Video, parse_ok ("width=640"), {});
  fail_unless (!p.scale && p.out.width == 1280);
}
GST_END_TEST;

static Suite *
usermedia_constraints_suite (void)
{
  Suite *s = suite_create ("usermedia-constraints");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, a_bare_value_is_ideal_and_qualifiers_set_exact_min_max);
  tcase_add_test (tc, malformed_text_names_the_bad_field);
  tcase_add_test (tc, fitness_distance_is_the_w3c_sum_of_relative_differences);
  tcase_add_test (tc, caps_ranges_and_lists_expand_toward_the_targets);
  tcase_add_test (tc, an_exact_size_below_the_native_one_is_reached_by_scaling_down);
  return s;
}

GST_CHECK_MAIN (usermedia_constraints);
