// rtcusermediasrc against a device provider this test registers (the real GstDeviceProvider
// API): a 4:3 webcam with YUY2 and MJPEG modes, a 16:9 MJPEG camera facing the user, a
// microphone. Every other provider on the machine is ranked out, so real devices (or their
// absence) change nothing.
#include <gst/check/gstcheck.h>

#include "elements/common/gst-ptr.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

using rtc::Ptr;

/* ---- the test's devices ---- */

struct _TestDevice
{
  GstDevice parent;
  gchar *launch; // what create_element builds; NULL: the device vanished before start
};
#define TEST_TYPE_DEVICE (test_device_get_type ())
G_DECLARE_FINAL_TYPE (TestDevice, test_device, TEST, DEVICE, GstDevice)
G_DEFINE_TYPE (TestDevice, test_device, GST_TYPE_DEVICE)

static GstElement *
test_device_create_element (GstDevice *device, const gchar *name)
{
  TestDevice *self = TEST_DEVICE (device);
  if (!self->launch)
    return nullptr;
  GError *err = nullptr;
  GstElement *bin = gst_parse_bin_from_description_full (self->launch, TRUE, nullptr,
                                                         GST_PARSE_FLAG_NONE, &err);
  fail_unless (bin != nullptr, "%s", err ? err->message : "?");
  if (name)
    gst_object_set_name (GST_OBJECT (bin), name);
  return bin;
}

static void
test_device_finalize (GObject *o)
{
  g_free (TEST_DEVICE (o)->launch);
  G_OBJECT_CLASS (test_device_parent_class)->finalize (o);
}

static void
test_device_class_init (TestDeviceClass *klass)
{
  GST_DEVICE_CLASS (klass)->create_element = test_device_create_element;
  G_OBJECT_CLASS (klass)->finalize = test_device_finalize;
}

static void
test_device_init (TestDevice *)
{
}

static GstDevice *
make_device (const char *name, const char *klass, const char *caps, const char *props,
             const char *launch)
{
  GstCaps *c = gst_caps_from_string (caps);
  GstStructure *p = gst_structure_from_string (props, nullptr);
  auto *d = TEST_DEVICE (g_object_new (TEST_TYPE_DEVICE, "display-name", name, "device-class",
                                       klass, "caps", c, "properties", p, nullptr));
  d->launch = g_strdup (launch);
  gst_caps_unref (c);
  gst_structure_free (p);
  return GST_DEVICE (gst_object_ref_sink (d));
}

// The devices the provider lists when started; each test sets them.
static std::vector<GstDevice *> g_devices;

struct _TestProvider
{
  GstDeviceProvider parent;
};
#define TEST_TYPE_PROVIDER (test_provider_get_type ())
G_DECLARE_FINAL_TYPE (TestProvider, test_provider, TEST, PROVIDER, GstDeviceProvider)
G_DEFINE_TYPE (TestProvider, test_provider, GST_TYPE_DEVICE_PROVIDER)

static GList *
test_provider_probe (GstDeviceProvider *)
{
  GList *list = nullptr;
  for (GstDevice *d : g_devices)
    list = g_list_append (list, gst_object_ref (d));
  return list;
}

static gboolean
test_provider_start (GstDeviceProvider *provider)
{
  for (GstDevice *d : g_devices)
    gst_device_provider_device_add (provider, d);
  return TRUE;
}

static void
test_provider_class_init (TestProviderClass *klass)
{
  auto *dp = GST_DEVICE_PROVIDER_CLASS (klass);
  dp->probe = test_provider_probe;
  dp->start = test_provider_start;
  // No stop: gst_device_provider_stop() drops the devices itself, under the provider's lock.
  gst_device_provider_class_set_static_metadata (dp, "rtckit test devices", "Audio/Video/Source",
                                                 "Cameras and a microphone made of test sources",
                                                 "rtckit developers");
}

static void
test_provider_init (TestProvider *)
{
}

static gboolean
test_plugin_init (GstPlugin *plugin)
{
  return gst_device_provider_register (plugin, "rtckittestprovider", GST_RANK_PRIMARY,
                                       TEST_TYPE_PROVIDER);
}

// Registers the provider and ranks every other one out of GstDeviceMonitor's sight (it only
// uses providers of rank >= 1).
static void
setup_provider ()
{
  static bool done = false;
  if (done)
    return;
  done = true;
  fail_unless (gst_plugin_register_static (GST_VERSION_MAJOR, GST_VERSION_MINOR,
                                           "rtckittestdevices", "test devices", test_plugin_init,
                                           "0.1", "LGPL", "rtckit", "rtckit", "rtckit"));
  GList *all = gst_device_provider_factory_list_get_device_providers (GST_RANK_NONE);
  for (GList *l = all; l; l = l->next)
    if (g_strcmp0 (GST_OBJECT_NAME (l->data), "rtckittestprovider") != 0)
      gst_plugin_feature_set_rank (GST_PLUGIN_FEATURE (l->data), GST_RANK_NONE);
  gst_plugin_feature_list_free (all);
}

// A 4:3 webcam as v4l2 lists one: YUY2 up to 1280x960 at 7.5 fps, MJPEG at 30. Its element
// gives raw video only: tests that play it pick a YUY2 mode (the others stop at READY, where
// the choice is made and nothing negotiates yet). Its element
// only plays the YUY2 modes.
static GstDevice *
webcam_4_3 ()
{
  return make_device ("Test 4:3 Webcam", "Video/Source",
                      "video/x-raw,format=YUY2,width=640,height=480,framerate={30/1,15/1};"
                      "video/x-raw,format=YUY2,width=1280,height=960,framerate=15/2;"
                      "video/x-raw,format=YUY2,width=320,height=240,framerate=30/1;"
                      "image/jpeg,width=1280,height=960,framerate=30/1;"
                      "image/jpeg,width=640,height=480,framerate=30/1",
                      "props,device.api=v4l2,device.path=/dev/video0", "videotestsrc is-live=true");
}

// A 16:9 camera facing the user whose useful modes are MJPEG, raw 720p only at 10 fps. Its
// element gives MJPEG only, so the jpegdec path really plays.
static GstDevice *
camera_16_9 ()
{
  return make_device ("Test HD Camera", "Video/Source",
                      "video/x-raw,format=YUY2,width=1280,height=720,framerate=10/1;"
                      "video/x-raw,format=YUY2,width=640,height=360,framerate=30/1;"
                      "image/jpeg,width=1280,height=720,framerate=30/1;"
                      "image/jpeg,width=1920,height=1080,framerate=30/1",
                      "props,device.api=libcamera,object.path=libcamera:front,"
                      "api.libcamera.location=front",
                      "videotestsrc is-live=true ! jpegenc");
}

static GstDevice *
microphone ()
{
  return make_device (
      "Test Microphone", "Audio/Source",
      "audio/x-raw,format=S16LE,layout=interleaved,rate=[8000,48000],channels=[1,2]",
      "props,device.api=alsa,api.alsa.path=hw:1", "audiotestsrc is-live=true");
}

static void
set_devices (std::vector<GstDevice *> devices)
{
  setup_provider ();
  for (GstDevice *d : g_devices)
    gst_object_unref (d);
  g_devices = std::move (devices);
}

/* ---- pipelines ---- */

struct Sink
{
  std::atomic<int> buffers{ 0 };
  std::atomic<bool> eos{ false };
};

static GstPadProbeReturn
count (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  auto *s = static_cast<Sink *> (user_data);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    s->buffers++;
  else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    s->eos = true;
  return GST_PAD_PROBE_OK;
}

// rtcusermediasrc name=m PROPS, its pads into fakesinks v and a (counted into @v / @a).
static GstElement *
launch (const std::string &props, Sink *v = nullptr, Sink *a = nullptr, bool audio = true)
{
  std::string line = "rtcusermediasrc name=m " + props + " m.video ! fakesink name=v async=false";
  if (audio)
    line += " m.audio ! fakesink name=a async=false";
  GError *err = nullptr;
  GstElement *p = gst_parse_launch (line.c_str (), &err);
  fail_unless (p != nullptr, "%s: %s", line.c_str (), err ? err->message : "?");
  Sink *sinks[] = { v, a };
  const char *names[] = { "v", "a" };
  for (int i = 0; i < 2; i++)
    if (sinks[i])
      {
        Ptr<GstElement> sink (gst_bin_get_by_name (GST_BIN (p), names[i]));
        Ptr<GstPad> pad (gst_element_get_static_pad (sink.get (), "sink"));
        gst_pad_add_probe (
            pad.get (),
            (GstPadProbeType)(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
            count, sinks[i], nullptr);
      }
  return p;
}

static void
stop (GstElement *p)
{
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

// The next element message named @name (failing on an error first), or the error when @name is
// NULL.
static Ptr<GstMessage>
wait_message (GstElement *p, const char *name, int seconds = 10)
{
  Ptr<GstBus> bus (gst_element_get_bus (p));
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      Ptr<GstMessage> m (
          gst_bus_timed_pop_filtered (bus.get (), 100 * GST_MSECOND,
                                      (GstMessageType)(GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR)));
      if (!m)
        continue;
      if (GST_MESSAGE_TYPE (m.get ()) == GST_MESSAGE_ERROR)
        {
          if (!name)
            return m;
          GError *e = nullptr;
          gst_message_parse_error (m.get (), &e, nullptr);
          fail ("error while waiting for %s: %s", name, e->message);
        }
      if (name && gst_message_has_name (m.get (), name))
        return m;
    }
  fail ("no %s within %d s", name ? name : "error", seconds);
  return {};
}

static std::string
field (GstMessage *m, const char *name)
{
  const gchar *v = gst_structure_get_string (gst_message_get_structure (m), name);
  return v ? v : "";
}

// The video track chosen when going to READY: the rtckit-usermedia-selected message.
static Ptr<GstMessage>
select_video (const std::string &props)
{
  GstElement *p = launch (props + " audio=false", nullptr, nullptr, false);
  gst_element_set_state (p, GST_STATE_READY);
  Ptr<GstMessage> m = wait_message (p, "rtckit-usermedia-selected");
  stop (p);
  return m;
}

static std::string
error_text (GstMessage *m, std::string *constraint = nullptr)
{
  GError *e = nullptr;
  gst_message_parse_error (m, &e, nullptr);
  std::string text = e->message;
  g_error_free (e);
  const GstStructure *details = nullptr;
  gst_message_parse_error_details (m, &details);
  if (constraint)
    *constraint = details && gst_structure_get_string (details, "constraint")
                      ? gst_structure_get_string (details, "constraint")
                      : "";
  return text;
}

// Going to READY fails; returns the error message.
static Ptr<GstMessage>
fails_to_start (const std::string &props, bool audio = false)
{
  GstElement *p = launch (props + (audio ? "" : " audio=false"), nullptr, nullptr, audio);
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
  Ptr<GstMessage> m = wait_message (p, nullptr);
  stop (p);
  return m;
}

static bool
wait_until (const std::function<bool ()> &cond, int seconds = 10)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  while (!cond ())
    {
      if (g_get_monotonic_time () > deadline)
        return false;
      g_usleep (20000);
    }
  return true;
}

static std::string
sink_caps (GstElement *p, const char *name)
{
  Ptr<GstElement> sink (gst_bin_get_by_name (GST_BIN (p), name));
  Ptr<GstPad> pad (gst_element_get_static_pad (sink.get (), "sink"));
  Ptr<GstCaps> caps (gst_pad_get_current_caps (pad.get ()));
  rtc::GStr s (caps ? gst_caps_to_string (caps.get ()) : g_strdup (""));
  return s.c_str ();
}

// (std::string compared as text: fail_unless_equals_string keeps a pointer into a temporary.)
static void
expect_field (GstMessage *m, const char *name, const std::string &expected)
{
  std::string got = field (m, name);
  fail_unless (got == expected, "%s is '%s', not '%s'", name, got.c_str (), expected.c_str ());
}

/* ---- the cases ---- */

// 640x480 ideal: the 4:3 webcam's native 640x480@30; raw and MJPEG are equally close there,
// and raw wins.
GST_START_TEST (ideal_constraints_pick_the_closest_mode_raw_before_mjpeg)
{
  set_devices ({ webcam_4_3 (), camera_16_9 () });
  Ptr<GstMessage> m = select_video ("video-constraints=\"width=640,height=480,frame-rate=30\"");
  expect_field (m.get (), "label", "Test 4:3 Webcam");
  expect_field (m.get (), "mode",
                "video/x-raw, format=(string)YUY2, width=(int)640, height=(int)480, "
                "framerate=(fraction)30/1");
}
GST_END_TEST;

// 1280x720 ideal: the 16:9 camera; its raw 720p runs at 10 fps, so the default 30 fps breaks
// the tie toward MJPEG as a browser does. It really plays, decoded by jpegdec.
GST_START_TEST (an_mjpeg_mode_that_fits_better_is_decoded)
{
  set_devices ({ webcam_4_3 (), camera_16_9 (), microphone () });
  Sink v, a;
  GstElement *p = launch ("video-constraints=\"width=1280,height=720\"", &v, &a);
  gst_element_set_state (p, GST_STATE_PLAYING);
  Ptr<GstMessage> m = wait_message (p, "rtckit-usermedia-selected");
  expect_field (m.get (), "label", "Test HD Camera");
  fail_unless (field (m.get (), "mode").rfind ("image/jpeg", 0) == 0, "%s",
               field (m.get (), "mode").c_str ());
  fail_unless (wait_until ([&] { return v.buffers > 5 && a.buffers > 5; }));
  std::string caps = sink_caps (p, "v");
  fail_unless (caps.find ("video/x-raw") == 0 && caps.find ("width=(int)1280") != std::string::npos
                   && caps.find ("height=(int)720") != std::string::npos,
               "%s", caps.c_str ());
  stop (p);
}
GST_END_TEST;

// Without constraints the browser's default 640x480@30 decides.
GST_START_TEST (no_constraints_take_the_default_640x480_at_30)
{
  set_devices ({ camera_16_9 (), webcam_4_3 () });
  Ptr<GstMessage> m = select_video ("");
  expect_field (m.get (), "label", "Test 4:3 Webcam");
  fail_unless (field (m.get (), "mode").find ("width=(int)640, height=(int)480")
               != std::string::npos);
}
GST_END_TEST;

GST_START_TEST (an_exact_width_picks_the_device_that_has_it)
{
  set_devices ({ webcam_4_3 (), camera_16_9 () });
  Ptr<GstMessage> m = select_video ("video-constraints=\"width=exact:1920\"");
  expect_field (m.get (), "label", "Test HD Camera");
  fail_unless (field (m.get (), "mode").find ("width=(int)1920") != std::string::npos);
}
GST_END_TEST;

// exact 320x180 is below every mode of the webcam: videoscale brings one down to it.
GST_START_TEST (an_exact_size_below_every_mode_is_reached_by_scaling_down)
{
  set_devices ({ webcam_4_3 () });
  Sink v;
  GstElement *p = launch ("audio=false video-constraints=\"width=exact:320,height=exact:180\"", &v,
                          nullptr, false);
  gst_element_set_state (p, GST_STATE_PLAYING);
  Ptr<GstMessage> m = wait_message (p, "rtckit-usermedia-selected");
  fail_unless (wait_until ([&] { return v.buffers > 3; }));
  std::string caps = sink_caps (p, "v");
  fail_unless (caps.find ("width=(int)320, height=(int)180") != std::string::npos, "%s",
               caps.c_str ());
  stop (p);
}
GST_END_TEST;

GST_START_TEST (an_exact_width_no_device_has_is_an_error_naming_it)
{
  set_devices ({ webcam_4_3 (), camera_16_9 () });
  Ptr<GstMessage> m = fails_to_start ("video-constraints=\"height=720,width=exact:2560\"");
  std::string constraint;
  std::string text = error_text (m.get (), &constraint);
  fail_unless_equals_string (constraint.c_str (), "width");
  fail_unless (text.find ("width=exact:2560") != std::string::npos, "%s", text.c_str ());

  m = fails_to_start ("video-constraints=\"facing-mode=exact:environment\"");
  error_text (m.get (), &constraint);
  fail_unless_equals_string (constraint.c_str (), "facing-mode");
}
GST_END_TEST;

GST_START_TEST (facing_mode_prefers_the_camera_facing_the_user)
{
  set_devices ({ webcam_4_3 (), camera_16_9 () });
  Ptr<GstMessage> m = select_video ("video-constraints=\"width=640,height=480,facing-mode=user\"");
  // 640x360 on the front camera: 0.25 away in height; the 4:3 webcam has no facing mode: 1.
  expect_field (m.get (), "label", "Test HD Camera");
}
GST_END_TEST;

static std::vector<std::string>
ids_of (const char *json, const char *label)
{
  // The JSON is ours: find "label":"LABEL" and take the "device-id" of the same object.
  std::vector<std::string> out;
  std::string s = json;
  size_t pos = 0;
  while ((pos = s.find ("{\"device-id\":\"", pos)) != std::string::npos)
    {
      size_t start = pos + 14, end = s.find ('"', start);
      size_t next = s.find ("{\"device-id\":\"", end);
      std::string object
          = s.substr (pos, next == std::string::npos ? std::string::npos : next - pos);
      if (object.find (std::string ("\"label\":\"") + label + "\"") != std::string::npos)
        out.push_back (s.substr (start, end - start));
      pos = end;
    }
  return out;
}

static std::string
enumerate ()
{
  GstElement *e = gst_element_factory_make ("rtcusermediasrc", nullptr);
  gchar *json = nullptr;
  g_signal_emit_by_name (e, "enumerate-devices", &json);
  gst_object_unref (e);
  std::string out = json ? json : "";
  g_free (json);
  return out;
}

GST_START_TEST (enumerate_devices_lists_stable_ids_labels_and_capabilities)
{
  set_devices ({ webcam_4_3 (), camera_16_9 (), microphone () });
  std::string json = enumerate ();
  std::vector<std::string> cam = ids_of (json.c_str (), "Test 4:3 Webcam");
  fail_unless_equals_int (cam.size (), 1);
  fail_unless (json.find ("\"kind\":\"audioinput\"") != std::string::npos, "%s", json.c_str ());
  fail_unless (json.find ("\"width\":{\"min\":320,\"max\":1280}") != std::string::npos, "%s",
               json.c_str ());
  fail_unless (json.find ("\"facing-mode\":\"user\"") != std::string::npos, "%s", json.c_str ());
  // New objects for the same devices (another run): the same ids.
  set_devices ({ microphone (), camera_16_9 (), webcam_4_3 () });
  std::vector<std::string> again = ids_of (enumerate ().c_str (), "Test 4:3 Webcam");
  fail_unless (again.size () == 1 && again[0] == cam[0]);
}
GST_END_TEST;

// The ideal 1280x720 would take the HD camera; the device id takes the webcam, in the mode
// closest to the ideal.
GST_START_TEST (a_device_id_picks_that_device)
{
  set_devices ({ webcam_4_3 (), camera_16_9 () });
  std::string id = ids_of (enumerate ().c_str (), "Test 4:3 Webcam")[0];
  Ptr<GstMessage> m
      = select_video ("video-device-id=" + id + " video-constraints=\"width=1280,height=720\"");
  expect_field (m.get (), "label", "Test 4:3 Webcam");
  expect_field (m.get (), "device-id", id.c_str ());
  fail_unless (field (m.get (), "mode").find ("width=(int)1280") != std::string::npos);

  std::string constraint;
  error_text (fails_to_start ("video-device-id=0123456789abcdef").get (), &constraint);
  fail_unless_equals_string (constraint.c_str (), "device-id");
}
GST_END_TEST;

// A device listed but gone when its element is made: the next candidate, no hang.
GST_START_TEST (a_device_gone_before_start_gives_way_to_the_next)
{
  set_devices ({ make_device ("Gone Camera", "Video/Source",
                              "video/x-raw,format=YUY2,width=1280,height=720,framerate=30/1",
                              "props,device.path=/dev/video9", nullptr),
                 webcam_4_3 () });
  Ptr<GstMessage> m = select_video ("video-constraints=\"width=1280,height=720\"");
  expect_field (m.get (), "label", "Test 4:3 Webcam");

  set_devices ({ make_device ("Gone Camera", "Video/Source",
                              "video/x-raw,format=YUY2,width=1280,height=720,framerate=30/1",
                              "props,device.path=/dev/video9", nullptr) });
  std::string text = error_text (fails_to_start ("").get ());
  fail_unless (text.find ("could be opened") != std::string::npos, "%s", text.c_str ());
}
GST_END_TEST;

GST_START_TEST (an_unplugged_camera_ends_its_pad_and_the_microphone_goes_on)
{
  set_devices ({ webcam_4_3 (), microphone () });
  Sink v, a;
  GstElement *p = launch ("", &v, &a);
  gst_element_set_state (p, GST_STATE_PLAYING);
  fail_unless (wait_until ([&] { return v.buffers > 5 && a.buffers > 5; }));

  GstDeviceProvider *provider = gst_device_provider_factory_get_by_name ("rtckittestprovider");
  gst_device_provider_device_remove (provider, g_devices[0]);
  gst_object_unref (provider);

  Ptr<GstMessage> m = wait_message (p, "rtckit-usermedia-ended");
  expect_field (m.get (), "kind", "video");
  expect_field (m.get (), "reason", "device-removed");
  fail_unless (wait_until ([&] { return v.eos.load (); }), "no EOS on the video pad");
  int audio_then = a.buffers;
  fail_unless (wait_until ([&] { return a.buffers > audio_then + 5; }), "audio stopped");
  fail_if (a.eos.load ());
  stop (p);
}
GST_END_TEST;

GST_START_TEST (no_device_is_an_error_naming_what_is_missing)
{
  set_devices ({});
  std::string text = error_text (fails_to_start ("").get ());
  fail_unless (text.find ("No camera found") != std::string::npos, "%s", text.c_str ());
  set_devices ({ webcam_4_3 () });
  text = error_text (fails_to_start ("", true).get ());
  fail_unless (text.find ("No microphone found") != std::string::npos, "%s", text.c_str ());
}
GST_END_TEST;

GST_START_TEST (fallback_test_plays_test_sources_with_the_constrained_caps)
{
  set_devices ({});
  Sink v, a;
  GstElement *p = launch ("fallback=test video-constraints=\"width=320,height=240,frame-rate=15\" "
                          "audio-constraints=\"channel-count=1,sample-rate=16000\"",
                          &v, &a);
  gst_element_set_state (p, GST_STATE_PLAYING);
  Ptr<GstMessage> m = wait_message (p, "rtckit-usermedia-fallback");
  expect_field (m.get (), "kind", "video");
  fail_unless (wait_until ([&] { return v.buffers > 3 && a.buffers > 3; }));
  std::string vc = sink_caps (p, "v"), ac = sink_caps (p, "a");
  fail_unless (vc.find ("width=(int)320, height=(int)240, framerate=(fraction)15/1")
                   != std::string::npos,
               "%s", vc.c_str ());
  fail_unless (ac.find ("rate=(int)16000") != std::string::npos
                   && ac.find ("channels=(int)1") != std::string::npos,
               "%s", ac.c_str ());
  stop (p);
}
GST_END_TEST;

GST_START_TEST (malformed_constraints_fail_the_state_change_naming_the_field)
{
  set_devices ({ webcam_4_3 () });
  Ptr<GstMessage> m = fails_to_start ("video-constraints=\"width=1280,hieght=720\"");
  std::string text = error_text (m.get ());
  fail_unless (text.find ("'hieght'") != std::string::npos, "%s", text.c_str ());
}
GST_END_TEST;

static Suite *
rtcusermediasrc_suite (void)
{
  Suite *s = suite_create ("rtcusermediasrc");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, ideal_constraints_pick_the_closest_mode_raw_before_mjpeg);
  tcase_add_test (tc, an_mjpeg_mode_that_fits_better_is_decoded);
  tcase_add_test (tc, no_constraints_take_the_default_640x480_at_30);
  tcase_add_test (tc, an_exact_width_picks_the_device_that_has_it);
  tcase_add_test (tc, an_exact_size_below_every_mode_is_reached_by_scaling_down);
  tcase_add_test (tc, an_exact_width_no_device_has_is_an_error_naming_it);
  tcase_add_test (tc, facing_mode_prefers_the_camera_facing_the_user);
  tcase_add_test (tc, enumerate_devices_lists_stable_ids_labels_and_capabilities);
  tcase_add_test (tc, a_device_id_picks_that_device);
  tcase_add_test (tc, a_device_gone_before_start_gives_way_to_the_next);
  tcase_add_test (tc, an_unplugged_camera_ends_its_pad_and_the_microphone_goes_on);
  tcase_add_test (tc, no_device_is_an_error_naming_what_is_missing);
  tcase_add_test (tc, fallback_test_plays_test_sources_with_the_constrained_caps);
  tcase_add_test (tc, malformed_constraints_fail_the_state_change_naming_the_field);
  return s;
}

GST_CHECK_MAIN (rtcusermediasrc);
