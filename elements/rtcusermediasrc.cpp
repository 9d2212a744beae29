/**
 * SECTION:element-rtcusermediasrc
 * @title: rtcusermediasrc
 *
 * getUserMedia() as an element: a camera on the always src pad `video` and a microphone on the
 * always src pad `audio`, both raw and live, chosen by constraints written as a browser page
 * writes them. Each value is ideal unless qualified with `exact:`, `min:` or `max:` (several
 * joined with `;`):
 *
 *   video-constraints="width=1280,height=720,frame-rate=30,facing-mode=user"
 *   audio-constraints="channel-count=1,sample-rate=48000,echo-cancellation=true"
 *   video-constraints="width=exact:1280,frame-rate=min:15;max:30"
 *
 * Devices come from a #GstDeviceMonitor (classes Video/Source and Audio/Source). Among every
 * mode of every device (each caps structure, ranges included) the element takes the one with
 * the smallest W3C fitness distance, the native mode whenever one fits: raw formats before MJPEG
 * at equal distance (MJPEG is decoded with jpegdec), and videoscale/videorate (down only) or
 * audioconvert/audioresample only where an exact, min or max constraint needs them. A required
 * constraint that no device meets is an element error naming it, like the browser's
 * OverconstrainedError (the error's details carry `constraint`).
 *
 * With no camera or no microphone the element fails with an error naming what is missing;
 * `fallback=test` plays live test sources with the constrained caps instead and posts the
 * element message `rtckit-usermedia-fallback`. The choice is posted as
 * `rtckit-usermedia-selected` (kind, device-id, label, mode, caps, distance, fallback). A device
 * unplugged while playing ends its pad with EOS and posts `rtckit-usermedia-ended` (the track's
 * `ended` event); the other pad goes on.
 *
 * `echo-cancellation`, `noise-suppression` and `auto-gain-control` run webrtcdsp
 * (gst-plugins-bad). Its echo canceller needs a webrtcechoprobe on the playback path: without
 * one (see #GstRtcUserMediaSrc:echo-probe) only noise suppression and gain control run, and a
 * warning says so; `echo-cancellation=exact:true` is then an error.
 *
 * The action signal `enumerate-devices` returns the devices as JSON: device-id, kind, label,
 * device-class, capabilities and modes.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 rtcusermediasrc name=m video-constraints="width=1280,height=720" \
 *     m.video ! queue ! rtcbroadcastsink name=s m.audio ! queue ! s.
 * gst-launch-1.0 rtcusermediasrc fallback=test audio=false ! videoconvert ! autovideosink
 * ]|
 */
#include "elements/rtcusermediasrc.h"

#include "elements/common/gst-ptr.h"
#include "elements/elements.h"
#include "elements/common/media-constraints.h"
#include "elements/usermedia/devices.h"
#include "elements/usermedia/modes.h"

#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (rtc_user_media_src_debug);
#define GST_CAT_DEFAULT rtc_user_media_src_debug

using rtc::GStr;
using rtc::Ptr;
namespace um = rtc::um;

#define DEFAULT_VIDEO TRUE
#define DEFAULT_AUDIO TRUE
#define DEFAULT_CONSTRAINTS nullptr
#define DEFAULT_DEVICE_ID nullptr
#define DEFAULT_FALLBACK GST_RTC_USER_MEDIA_FALLBACK_NONE
#define DEFAULT_ECHO_PROBE nullptr

enum
{
  PROP_0,
  PROP_VIDEO,
  PROP_AUDIO,
  PROP_VIDEO_CONSTRAINTS,
  PROP_AUDIO_CONSTRAINTS,
  PROP_VIDEO_DEVICE_ID,
  PROP_AUDIO_DEVICE_ID,
  PROP_FALLBACK,
  PROP_ECHO_PROBE,
};

// What a test source offers: any size and rate, so the constraints' targets are its mode.
static const char *kTestVideoCaps
    = "video/x-raw,format=I420,width=[16,4096],height=[16,4096],framerate=[1/1,120/1]";
static const char *kTestAudioCaps = "audio/x-raw,format=S16LE,rate=[8000,96000],channels=[1,8]";

namespace
{

struct Settings
{
  bool enabled[2] = { DEFAULT_VIDEO, DEFAULT_AUDIO };
  std::string constraints[2];
  std::string device_id[2];
  GstRtcUserMediaFallback fallback = DEFAULT_FALLBACK;
  std::string echo_probe;
};

// One pad's capture: the device (none for a test source) and the chain behind the pad.
struct Track
{
  Ptr<GstDevice> device;
  std::string device_id;
  std::string label;
  std::vector<Ptr<GstElement>> elements; // the source first
  bool ended = false;
};

// Lock order: settings_lock, then state_lock; neither is held while posting a message, sending
// an event or changing a child's state.
struct Private
{
  std::mutex settings_lock;
  Settings settings;
  std::mutex state_lock;
  Track tracks[2];
  Ptr<GstDeviceMonitor> monitor;
};

constexpr int kVideo = 0, kAudio = 1;

um::Kind
kind_of (int i)
{
  return i == kVideo ? um::Kind::Video : um::Kind::Audio;
}

const char *
pad_name (int i)
{
  return i == kVideo ? "video" : "audio";
}

} // namespace

struct _GstRtcUserMediaSrc
{
  GstBin parent;
  GstPad *pads[2]; // ghost pads, owned by the element; nullptr while disabled
  Private *priv;
};

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw"));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE (
    "audio", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("audio/x-raw"));

G_DEFINE_TYPE (GstRtcUserMediaSrc, gst_rtc_user_media_src, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (rtcusermediasrc, "rtcusermediasrc", GST_RANK_NONE,
                             GST_TYPE_RTC_USER_MEDIA_SRC);

GType
gst_rtc_user_media_fallback_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GST_RTC_USER_MEDIA_FALLBACK_NONE, "None: an element error names what is missing", "none" },
    { GST_RTC_USER_MEDIA_FALLBACK_TEST, "Live test sources (videotestsrc, audiotestsrc)", "test" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstRtcUserMediaFallback", values));
  return type;
}

/* ---- messages ---- */

static void
post_element_message (GstRtcUserMediaSrc *self, GstStructure *s)
{
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

static const char *
what_missing (int i)
{
  return i == kVideo ? "camera" : "microphone";
}

/* ---- building a track ---- */

static Ptr<GstElement>
make (GstRtcUserMediaSrc *self, const char *factory, const char *package)
{
  GstElement *e = gst_element_factory_make (factory, nullptr);
  if (!e)
    {
      GST_ELEMENT_ERROR (
          self, CORE, MISSING_PLUGIN,
          ("Element \"%s\" is missing: install the Debian package %s.", factory, package),
          ("gst_element_factory_make (\"%s\") failed", factory));
      return {};
    }
  return Ptr<GstElement> (GST_ELEMENT (gst_object_ref_sink (e)));
}

static Ptr<GstElement>
make_capsfilter (GstCaps *caps)
{
  GstElement *e = gst_element_factory_make ("capsfilter", nullptr);
  g_object_set (e, "caps", caps, nullptr);
  return Ptr<GstElement> (GST_ELEMENT (gst_object_ref_sink (e)));
}

// The name of a webrtcechoprobe for webrtcdsp: the echo-probe property, else the first one in
// the pipeline we are part of. Empty: none.
static std::string
find_echo_probe (GstRtcUserMediaSrc *self, const std::string &configured)
{
  if (!configured.empty ())
    return configured;
  Ptr<GstObject> top = Ptr<GstObject>::ref (GST_OBJECT (self));
  while (GstObject *parent = gst_object_get_parent (top.get ()))
    top.reset (parent);
  if (!GST_IS_BIN (top.get ()))
    return {};
  std::string found;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (top.get ()));
  GValue item = G_VALUE_INIT;
  while (found.empty () && gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      auto *e = GST_ELEMENT (g_value_get_object (&item));
      GstElementFactory *f = gst_element_get_factory (e);
      if (f && g_strcmp0 (GST_OBJECT_NAME (f), "webrtcechoprobe") == 0)
        found = GST_OBJECT_NAME (e);
      g_value_reset (&item);
    }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

struct AudioProcessing
{
  bool available = false; // webrtcdsp is installed
  std::string probe;      // the webrtcechoprobe's name, empty without one
};

// The chain behind a source for @plan. Returns false (an error posted) when an element is
// missing.
static bool
chain_for (GstRtcUserMediaSrc *self, int i, const um::Plan &plan, const um::Constraints &cs,
           const AudioProcessing &ap, std::vector<Ptr<GstElement>> &chain)
{
  Ptr<GstCaps> native = plan.native.caps ();
  chain.push_back (make_capsfilter (native.get ()));
  if (i == kVideo)
    {
      if (plan.native.compressed ())
        {
          Ptr<GstElement> dec = make (self, "jpegdec", "gstreamer1.0-plugins-good");
          if (!dec)
            return false;
          chain.push_back (dec);
        }
      if (plan.scale)
        {
          Ptr<GstElement> scale = make (self, "videoscale", "gstreamer1.0-plugins-base");
          if (!scale)
            return false;
          chain.push_back (scale);
        }
      if (plan.retime)
        {
          Ptr<GstElement> rate = make (self, "videorate", "gstreamer1.0-plugins-base");
          if (!rate)
            return false;
          g_object_set (rate.get (), "drop-only", TRUE, nullptr);
          chain.push_back (rate);
        }
      if (plan.scale || plan.retime)
        {
          Ptr<GstCaps> out (gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT, plan.out.width,
                                                 "height", G_TYPE_INT, plan.out.height, "framerate",
                                                 GST_TYPE_FRACTION, plan.out.fps_n, plan.out.fps_d,
                                                 nullptr));
          if (plan.scale)
            gst_caps_set_simple (out.get (), "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1,
                                 nullptr);
          chain.push_back (make_capsfilter (out.get ()));
        }
      return true;
    }

  std::optional<bool> ec = cs.wanted_bool ("echo-cancellation");
  std::optional<bool> ns = cs.wanted_bool ("noise-suppression");
  std::optional<bool> agc = cs.wanted_bool ("auto-gain-control");
  bool processing
      = ap.available && (ec.value_or (false) || ns.value_or (false) || agc.value_or (false));
  int out_rate = plan.out.rate;
  int rate = out_rate;
  if (processing && rate != 8000 && rate != 16000 && rate != 32000 && rate != 48000)
    rate = 48000; // the rates webrtcdsp runs at
  if (plan.scale || processing)
    {
      Ptr<GstElement> conv = make (self, "audioconvert", "gstreamer1.0-plugins-base");
      Ptr<GstElement> res = make (self, "audioresample", "gstreamer1.0-plugins-base");
      if (!conv || !res)
        return false;
      chain.push_back (conv);
      chain.push_back (res);
      Ptr<GstCaps> out (gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT, rate, "channels",
                                             G_TYPE_INT, plan.out.channels, nullptr));
      if (processing)
        gst_caps_set_simple (out.get (), "format", G_TYPE_STRING, "S16LE", "layout", G_TYPE_STRING,
                             "interleaved", nullptr);
      chain.push_back (make_capsfilter (out.get ()));
    }
  if (processing)
    {
      Ptr<GstElement> dsp = make (self, "webrtcdsp", "gstreamer1.0-plugins-bad");
      if (!dsp)
        return false;
      bool echo = ec.value_or (false) && !ap.probe.empty ();
      g_object_set (dsp.get (), "echo-cancel", echo, "noise-suppression", ns.value_or (false),
                    "gain-control", agc.value_or (false), nullptr);
      if (echo)
        g_object_set (dsp.get (), "probe", ap.probe.c_str (), nullptr);
      chain.push_back (dsp);
      if (rate != out_rate)
        {
          Ptr<GstElement> res = make (self, "audioresample", "gstreamer1.0-plugins-base");
          if (!res)
            return false;
          chain.push_back (res);
          Ptr<GstCaps> out (
              gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT, out_rate, nullptr));
          chain.push_back (make_capsfilter (out.get ()));
        }
    }
  return true;
}

static void
remove_elements (GstRtcUserMediaSrc *self, std::vector<Ptr<GstElement>> &elements)
{
  for (auto &e : elements)
    {
      gst_element_set_state (e.get (), GST_STATE_NULL);
      if (GST_OBJECT_PARENT (e.get ()) == GST_OBJECT (self))
        gst_bin_remove (GST_BIN (self), e.get ());
    }
  elements.clear ();
}

// Adds source + chain to the bin, links them and points the pad at the end. The source is
// already in READY.
static bool
install (GstRtcUserMediaSrc *self, int i, std::vector<Ptr<GstElement>> &elements)
{
  for (auto &e : elements)
    gst_bin_add (GST_BIN (self), e.get ());
  // Caps are checked when the source negotiates, not here: a device element in NULL or READY
  // may not list every mode yet, and the chain behind it is made to fit its mode.
  for (size_t k = 0; k + 1 < elements.size (); k++)
    if (!gst_element_link_pads_full (elements[k].get (), nullptr, elements[k + 1].get (), nullptr,
                                     GST_PAD_LINK_CHECK_HIERARCHY))
      {
        GST_WARNING_OBJECT (self, "could not link %s to %s", GST_OBJECT_NAME (elements[k].get ()),
                            GST_OBJECT_NAME (elements[k + 1].get ()));
        remove_elements (self, elements);
        return false;
      }
  Ptr<GstPad> src (gst_element_get_static_pad (elements.back ().get (), "src"));
  if (!src || !gst_ghost_pad_set_target (GST_GHOST_PAD (self->pads[i]), src.get ()))
    {
      remove_elements (self, elements);
      return false;
    }
  return true;
}

static void
post_overconstrained (GstRtcUserMediaSrc *self, int i, const um::Selection &sel, size_t n)
{
  GST_ELEMENT_ERROR_WITH_DETAILS (
      self, RESOURCE, SETTINGS,
      ("No %s satisfies the constraint %s (%zu %s%s checked): relax it or make it ideal.",
       what_missing (i), sel.failed_text.c_str (), n, what_missing (i), n == 1 ? "" : "s"),
      ("OverconstrainedError: constraint '%s'", sel.failed.c_str ()),
      ("constraint", G_TYPE_STRING, sel.failed.c_str (), "kind", G_TYPE_STRING, pad_name (i),
       nullptr));
}

// Chooses and builds one track. Returns false after posting an error.
static bool
start_track (GstRtcUserMediaSrc *self, int i, const Settings &s,
             const std::vector<Ptr<GstDevice>> &all, const AudioProcessing &ap)
{
  um::Kind kind = kind_of (i);
  um::Constraints cs;
  um::ParseError perr;
  if (!um::parse_constraints (s.constraints[i].c_str (), kind, cs, perr))
    {
      GST_ELEMENT_ERROR_WITH_DETAILS (
          self, RESOURCE, SETTINGS,
          ("Bad %s-constraints, field '%s': %s.", pad_name (i), perr.field.c_str (),
           perr.message.c_str ()),
          ("%s-constraints=\"%s\"", pad_name (i), s.constraints[i].c_str ()),
          ("field", G_TYPE_STRING, perr.field.c_str (), nullptr));
      return false;
    }
  if (!s.device_id[i].empty ())
    {
      // The property wins over a device-id in the constraints, and is exact.
      std::erase_if (cs.items, [] (const um::Constraint &c) { return c.name == "device-id"; });
      um::Constraint c;
      c.name = "device-id";
      c.type = um::Type::String;
      c.exact_text = s.device_id[i];
      cs.items.push_back (c);
    }

  std::vector<Ptr<GstDevice>> devices;
  std::vector<um::DeviceInfo> infos;
  for (const auto &d : all)
    if (um::is_input (d.get (), kind))
      {
        devices.push_back (d);
        infos.push_back (um::describe (d.get (), kind));
      }

  bool fallback = false;
  if (devices.empty ())
    {
      if (s.fallback != GST_RTC_USER_MEDIA_FALLBACK_TEST)
        {
          GST_ELEMENT_ERROR_WITH_DETAILS (
              self, RESOURCE, NOT_FOUND,
              ("No %s found: connect one, set %s=false, or set fallback=test for a test %s.",
               what_missing (i), pad_name (i), i == kVideo ? "pattern" : "tone"),
              ("the device monitor lists no %s", i == kVideo ? "Video/Source" : "Audio/Source"),
              ("kind", G_TYPE_STRING, pad_name (i), nullptr));
          return false;
        }
      fallback = true;
      um::DeviceInfo test;
      test.id = "test";
      test.label = i == kVideo ? "videotestsrc" : "audiotestsrc";
      test.caps.reset (gst_caps_from_string (i == kVideo ? kTestVideoCaps : kTestAudioCaps));
      test.settings.texts["device-id"] = "test";
      // A device-id or facing-mode cannot be asked of a test source: they are left out.
      std::erase_if (cs.items, [] (const um::Constraint &c) {
        return c.name == "device-id" || c.name == "facing-mode";
      });
      infos.push_back (std::move (test));
    }

  // Audio processing is ours (webrtcdsp), whatever the device: what it can deliver.
  if (kind == um::Kind::Audio)
    for (auto &info : infos)
      {
        auto &t = info.settings.texts;
        t["noise-suppression"] = t["auto-gain-control"] = ap.available ? "true" : "false";
        t["echo-cancellation"] = ap.available && !ap.probe.empty () ? "true" : "false";
        // A processing constraint asked false is met by not running it.
        for (const char *name : { "echo-cancellation", "noise-suppression", "auto-gain-control" })
          if (cs.wanted_bool (name) == false)
            t[name] = "false";
      }

  um::Selection sel = um::select (kind, cs, infos);
  if (!sel.failed.empty ())
    {
      post_overconstrained (self, i, sel, infos.size ());
      return false;
    }
  if (sel.ranked.empty ())
    {
      GST_ELEMENT_ERROR (
          self, RESOURCE, SETTINGS,
          ("No %s offers a raw or MJPEG mode rtcusermediasrc can use.", what_missing (i)),
          ("%zu devices, none with a usable caps structure", infos.size ()));
      return false;
    }

  if (kind == um::Kind::Audio && cs.wanted_bool ("echo-cancellation") == true && ap.probe.empty ())
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
                         ("echo-cancellation needs a webrtcechoprobe on the playback path: only "
                          "noise suppression and gain control run (set echo-probe=NAME)."),
                         ("no webrtcechoprobe in the pipeline and echo-probe unset"));
  if (kind == um::Kind::Audio && !ap.available
      && (cs.wanted_bool ("echo-cancellation") == true
          || cs.wanted_bool ("noise-suppression") == true
          || cs.wanted_bool ("auto-gain-control") == true))
    GST_ELEMENT_WARNING (self, CORE, MISSING_PLUGIN,
                         ("Audio processing needs webrtcdsp: install the Debian package "
                          "gstreamer1.0-plugins-bad."),
                         ("no element factory webrtcdsp"));

  // The best candidate that opens; a device gone since the list was made is skipped.
  for (const um::Ranked &r : sel.ranked)
    {
      const um::DeviceInfo &info = infos[r.device];
      GstElement *raw;
      if (fallback)
        {
          raw = gst_element_factory_make (i == kVideo ? "videotestsrc" : "audiotestsrc",
                                          i == kVideo ? "video-source" : "audio-source");
          if (raw)
            g_object_set (raw, "is-live", TRUE, nullptr);
        }
      else
        raw = gst_device_create_element (devices[r.device].get (),
                                         i == kVideo ? "video-source" : "audio-source");
      if (!raw)
        {
          GST_WARNING_OBJECT (self, "%s '%s' gives no element (gone?), trying the next one",
                              what_missing (i), info.label.c_str ());
          continue;
        }
      Ptr<GstElement> source (GST_ELEMENT (gst_object_ref_sink (raw)));
      if (gst_element_set_state (source.get (), GST_STATE_READY) == GST_STATE_CHANGE_FAILURE)
        {
          GST_WARNING_OBJECT (self, "%s '%s' does not open, trying the next one", what_missing (i),
                              info.label.c_str ());
          gst_element_set_state (source.get (), GST_STATE_NULL);
          continue;
        }
      std::vector<Ptr<GstElement>> elements{ source };
      if (!chain_for (self, i, r.plan, cs, ap, elements))
        {
          gst_element_set_state (source.get (), GST_STATE_NULL);
          return false;
        }
      if (!install (self, i, elements))
        {
          GST_WARNING_OBJECT (self, "%s '%s': the chain does not link, trying the next one",
                              what_missing (i), info.label.c_str ());
          continue;
        }

      {
        std::lock_guard<std::mutex> lock (self->priv->state_lock);
        Track &t = self->priv->tracks[i];
        t.device = fallback ? Ptr<GstDevice> () : devices[r.device];
        t.device_id = info.id;
        t.label = info.label;
        t.elements = std::move (elements);
        t.ended = false;
      }
      std::string mode = r.plan.native.to_string ();
      std::string out = r.plan.out.to_string ();
      GST_INFO_OBJECT (self, "%s: '%s' (%s) mode %s, out %s, distance %g", pad_name (i),
                       info.label.c_str (), info.id.c_str (), mode.c_str (), out.c_str (),
                       r.plan.distance);
      if (fallback)
        post_element_message (
            self,
            gst_structure_new ("rtckit-usermedia-fallback", "kind", G_TYPE_STRING, pad_name (i),
                               "reason", G_TYPE_STRING, i == kVideo ? "no camera" : "no microphone",
                               "source", G_TYPE_STRING, info.label.c_str (), nullptr));
      post_element_message (
          self,
          gst_structure_new ("rtckit-usermedia-selected", "kind", G_TYPE_STRING, pad_name (i),
                             "device-id", G_TYPE_STRING, info.id.c_str (), "label", G_TYPE_STRING,
                             info.label.c_str (), "mode", G_TYPE_STRING, mode.c_str (), "caps",
                             G_TYPE_STRING, out.c_str (), "distance", G_TYPE_DOUBLE,
                             r.plan.distance, "fallback", G_TYPE_BOOLEAN, fallback, nullptr));
      return true;
    }

  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
                     ("No %s could be opened: the %zu that fit the constraints are gone or busy.",
                      what_missing (i), sel.ranked.size ()),
                     ("every candidate failed to create an element or to reach READY"));
  return false;
}

/* ---- the end of a track ---- */

// The track's `ended`: EOS out of its pad, a message, and errors of its source swallowed.
static void
end_track (GstRtcUserMediaSrc *self, int i, const char *reason)
{
  Ptr<GstElement> source;
  std::string id, label;
  {
    std::lock_guard<std::mutex> lock (self->priv->state_lock);
    Track &t = self->priv->tracks[i];
    if (t.ended || t.elements.empty ())
      return;
    t.ended = true;
    source = t.elements.front ();
    id = t.device_id;
    label = t.label;
  }
  GST_INFO_OBJECT (self, "%s track ended: %s", pad_name (i), reason);
  // A bin sends a downstream event to its sources; a basesrc then pushes EOS from its own
  // streaming thread, so nothing races with the buffers in flight.
  gst_element_send_event (source.get (), gst_event_new_eos ());
  post_element_message (
      self, gst_structure_new ("rtckit-usermedia-ended", "kind", G_TYPE_STRING, pad_name (i),
                               "device-id", G_TYPE_STRING, id.c_str (), "label", G_TYPE_STRING,
                               label.c_str (), "reason", G_TYPE_STRING, reason, nullptr));
}

// The device monitor's bus, synchronously on the provider's thread.
static GstBusSyncReply
on_monitor_message (GstBus *, GstMessage *msg, gpointer user_data)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (user_data);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_DEVICE_REMOVED)
    {
      GstDevice *device;
      gst_message_parse_device_removed (msg, &device);
      Ptr<GstDevice> removed (device);
      for (int i = 0; i < 2; i++)
        {
          bool ours;
          {
            std::lock_guard<std::mutex> lock (self->priv->state_lock);
            ours = self->priv->tracks[i].device.get () == device;
          }
          if (ours)
            end_track (self, i, "device-removed");
        }
    }
  return GST_BUS_DROP;
}

// Which track @obj belongs to (-1: none).
static int
track_of (GstRtcUserMediaSrc *self, GstObject *obj, bool *ended, Ptr<GstDevice> *device)
{
  std::lock_guard<std::mutex> lock (self->priv->state_lock);
  for (int i = 0; i < 2; i++)
    {
      Track &t = self->priv->tracks[i];
      if (!t.elements.empty ()
          && gst_object_has_as_ancestor (obj, GST_OBJECT (t.elements.front ().get ())))
        {
          *ended = t.ended;
          *device = t.device;
          return i;
        }
    }
  return -1;
}

static bool
monitor_lists (GstRtcUserMediaSrc *self, GstDevice *device)
{
  Ptr<GstDeviceMonitor> monitor;
  {
    std::lock_guard<std::mutex> lock (self->priv->state_lock);
    monitor = self->priv->monitor;
  }
  if (!monitor)
    return true;
  GList *list = gst_device_monitor_get_devices (monitor.get ());
  bool found = g_list_find (list, device) != nullptr;
  g_list_free_full (list, gst_object_unref);
  return found;
}

static void
gst_rtc_user_media_src_handle_message (GstBin *bin, GstMessage *msg)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (bin);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    {
      bool ended = false;
      Ptr<GstDevice> device;
      int i = track_of (self, GST_MESSAGE_SRC (msg), &ended, &device);
      // A capture element fails when its device is pulled out, sometimes before the provider
      // tells: either way the track ends and the pipeline goes on.
      if (i >= 0 && (ended || (device && !monitor_lists (self, device.get ()))))
        {
          GST_INFO_OBJECT (self, "dropping an error of the ended %s track", pad_name (i));
          end_track (self, i, "device-error");
          gst_message_unref (msg);
          return;
        }
    }
  GST_BIN_CLASS (gst_rtc_user_media_src_parent_class)->handle_message (bin, msg);
}

/* ---- state ---- */

static void
stop (GstRtcUserMediaSrc *self)
{
  Ptr<GstDeviceMonitor> monitor;
  std::vector<Ptr<GstElement>> elements[2];
  {
    std::lock_guard<std::mutex> lock (self->priv->state_lock);
    monitor = std::move (self->priv->monitor);
    for (int i = 0; i < 2; i++)
      {
        elements[i] = std::move (self->priv->tracks[i].elements);
        self->priv->tracks[i] = Track ();
      }
  }
  if (monitor)
    {
      gst_device_monitor_stop (monitor.get ());
      Ptr<GstBus> bus (gst_device_monitor_get_bus (monitor.get ()));
      gst_bus_set_sync_handler (bus.get (), nullptr, nullptr, nullptr);
    }
  for (int i = 0; i < 2; i++)
    {
      if (self->pads[i])
        gst_ghost_pad_set_target (GST_GHOST_PAD (self->pads[i]), nullptr);
      remove_elements (self, elements[i]);
    }
}

static bool
start (GstRtcUserMediaSrc *self)
{
  Settings s;
  {
    std::lock_guard<std::mutex> lock (self->priv->settings_lock);
    s = self->priv->settings;
  }

  Ptr<GstDeviceMonitor> monitor (gst_device_monitor_new ());
  if (s.enabled[kVideo])
    gst_device_monitor_add_filter (monitor.get (), "Video/Source", nullptr);
  if (s.enabled[kAudio])
    gst_device_monitor_add_filter (monitor.get (), "Audio/Source", nullptr);
  {
    Ptr<GstBus> bus (gst_device_monitor_get_bus (monitor.get ()));
    gst_bus_set_sync_handler (bus.get (), on_monitor_message, self, nullptr);
  }
  // FALSE when no provider matches: that is the same as no device.
  if (!gst_device_monitor_start (monitor.get ()))
    GST_INFO_OBJECT (self, "no device provider started");
  {
    std::lock_guard<std::mutex> lock (self->priv->state_lock);
    self->priv->monitor = monitor;
  }
  std::vector<Ptr<GstDevice>> devices;
  GList *list = gst_device_monitor_get_devices (monitor.get ());
  for (GList *l = list; l; l = l->next)
    devices.emplace_back (GST_DEVICE (l->data));
  g_list_free (list);

  AudioProcessing ap;
  if (s.enabled[kAudio])
    {
      Ptr<GstElementFactory> dsp (gst_element_factory_find ("webrtcdsp"));
      ap.available = (bool)dsp;
      ap.probe = find_echo_probe (self, s.echo_probe);
    }

  for (int i = 0; i < 2; i++)
    if (s.enabled[i] && !start_track (self, i, s, devices, ap))
      return false;
  return true;
}

static GstStateChangeReturn
gst_rtc_user_media_src_change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !start (self))
    {
      stop (self);
      return GST_STATE_CHANGE_FAILURE;
    }
  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS (gst_rtc_user_media_src_parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL
      || (transition == GST_STATE_CHANGE_NULL_TO_READY && ret == GST_STATE_CHANGE_FAILURE))
    stop (self);
  // A live source: no preroll, whatever the children say.
  if (ret == GST_STATE_CHANGE_SUCCESS && transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    ret = GST_STATE_CHANGE_NO_PREROLL;
  return ret;
}

/* ---- enumerate-devices ---- */

static gchar *
enumerate_devices (GstRtcUserMediaSrc *)
{
  // A monitor of its own: it probes when not started and leaves the running one alone.
  Ptr<GstDeviceMonitor> monitor (gst_device_monitor_new ());
  gst_device_monitor_add_filter (monitor.get (), "Video/Source", nullptr);
  gst_device_monitor_add_filter (monitor.get (), "Audio/Source", nullptr);
  std::vector<Ptr<GstDevice>> devices;
  GList *list = gst_device_monitor_get_devices (monitor.get ());
  for (int i = 0; i < 2; i++)
    for (GList *l = list; l; l = l->next)
      if (um::is_input (GST_DEVICE (l->data), kind_of (i)))
        devices.push_back (Ptr<GstDevice>::ref (GST_DEVICE (l->data)));
  g_list_free_full (list, gst_object_unref);
  return g_strdup (um::devices_json (devices).c_str ());
}

/* ---- properties ---- */

static void
set_pad_enabled (GstRtcUserMediaSrc *self, int i, bool enabled)
{
  if (enabled && !self->pads[i])
    {
      Ptr<GstPadTemplate> tmpl (
          gst_static_pad_template_get (i == kVideo ? &video_template : &audio_template));
      self->pads[i] = gst_ghost_pad_new_no_target_from_template (pad_name (i), tmpl.get ());
      gst_element_add_pad (GST_ELEMENT (self), self->pads[i]);
    }
  else if (!enabled && self->pads[i])
    {
      GstPad *pad = self->pads[i];
      self->pads[i] = nullptr;
      gst_element_remove_pad (GST_ELEMENT (self), pad);
    }
}

// A malformed string is caught when set (a warning) and again at the state change (an error).
static void
check_constraints (GstRtcUserMediaSrc *self, int i, const std::string &text)
{
  um::Constraints cs;
  um::ParseError e;
  if (!um::parse_constraints (text.c_str (), kind_of (i), cs, e))
    GST_ELEMENT_WARNING (
        self, RESOURCE, SETTINGS,
        ("Bad %s-constraints, field '%s': %s.", pad_name (i), e.field.c_str (), e.message.c_str ()),
        ("%s-constraints=\"%s\"", pad_name (i), text.c_str ()));
}

static void
gst_rtc_user_media_src_set_property (GObject *object, guint prop_id, const GValue *value,
                                     GParamSpec *pspec)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (object);
  auto str = [&] () {
    const char *v = g_value_get_string (value);
    return std::string (v ? v : "");
  };
  int pad_change = -1;
  bool pad_enabled = false;
  int check = -1;
  std::string text;
  {
    std::lock_guard<std::mutex> lock (self->priv->settings_lock);
    Settings &s = self->priv->settings;
    switch (prop_id)
      {
      case PROP_VIDEO:
      case PROP_AUDIO:
        pad_change = prop_id == PROP_VIDEO ? kVideo : kAudio;
        pad_enabled = g_value_get_boolean (value);
        s.enabled[pad_change] = pad_enabled;
        break;
      case PROP_VIDEO_CONSTRAINTS:
      case PROP_AUDIO_CONSTRAINTS:
        check = prop_id == PROP_VIDEO_CONSTRAINTS ? kVideo : kAudio;
        text = s.constraints[check] = str ();
        break;
      case PROP_VIDEO_DEVICE_ID:
        s.device_id[kVideo] = str ();
        break;
      case PROP_AUDIO_DEVICE_ID:
        s.device_id[kAudio] = str ();
        break;
      case PROP_FALLBACK:
        s.fallback = (GstRtcUserMediaFallback)g_value_get_enum (value);
        break;
      case PROP_ECHO_PROBE:
        s.echo_probe = str ();
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        return;
      }
  }
  if (pad_change >= 0)
    set_pad_enabled (self, pad_change, pad_enabled);
  if (check >= 0)
    check_constraints (self, check, text);
}

static void
gst_rtc_user_media_src_get_property (GObject *object, guint prop_id, GValue *value,
                                     GParamSpec *pspec)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (object);
  Settings s;
  {
    std::lock_guard<std::mutex> lock (self->priv->settings_lock);
    s = self->priv->settings;
  }
  auto set_str = [&] (const std::string &v) {
    g_value_set_string (value, v.empty () ? nullptr : v.c_str ());
  };
  switch (prop_id)
    {
    case PROP_VIDEO:
      g_value_set_boolean (value, s.enabled[kVideo]);
      break;
    case PROP_AUDIO:
      g_value_set_boolean (value, s.enabled[kAudio]);
      break;
    case PROP_VIDEO_CONSTRAINTS:
      set_str (s.constraints[kVideo]);
      break;
    case PROP_AUDIO_CONSTRAINTS:
      set_str (s.constraints[kAudio]);
      break;
    case PROP_VIDEO_DEVICE_ID:
      set_str (s.device_id[kVideo]);
      break;
    case PROP_AUDIO_DEVICE_ID:
      set_str (s.device_id[kAudio]);
      break;
    case PROP_FALLBACK:
      g_value_set_enum (value, s.fallback);
      break;
    case PROP_ECHO_PROBE:
      set_str (s.echo_probe);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_rtc_user_media_src_finalize (GObject *object)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (object);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_user_media_src_parent_class)->finalize (object);
}

static void
gst_rtc_user_media_src_init (GstRtcUserMediaSrc *self)
{
  self->priv = new Private ();
  self->pads[kVideo] = self->pads[kAudio] = nullptr;
  set_pad_enabled (self, kVideo, true);
  set_pad_enabled (self, kAudio, true);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_rtc_user_media_src_class_init (GstRtcUserMediaSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  gobject_class->set_property = gst_rtc_user_media_src_set_property;
  gobject_class->get_property = gst_rtc_user_media_src_get_property;
  gobject_class->finalize = gst_rtc_user_media_src_finalize;
  element_class->change_state = gst_rtc_user_media_src_change_state;
  bin_class->handle_message = gst_rtc_user_media_src_handle_message;

  auto null_only = (GParamFlags)(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  // Read when going from NULL to READY, where the devices are chosen.

  g_object_class_install_property (
      gobject_class, PROP_VIDEO,
      g_param_spec_boolean ("video", "Video",
                            "Capture video on the 'video' pad (false: the pad is removed)",
                            DEFAULT_VIDEO, null_only));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO,
      g_param_spec_boolean ("audio", "Audio",
                            "Capture audio on the 'audio' pad (false: the pad is removed)",
                            DEFAULT_AUDIO, null_only));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_CONSTRAINTS,
      g_param_spec_string (
          "video-constraints", "Video constraints",
          "Camera constraints as a browser has them, ideal unless qualified: width, height, "
          "frame-rate, aspect-ratio, facing-mode (user, environment, left, right), device-id; "
          "e.g. \"width=1280,height=720,frame-rate=30\" or "
          "\"width=exact:1280,frame-rate=min:15;max:30\"",
          DEFAULT_CONSTRAINTS, null_only));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_CONSTRAINTS,
      g_param_spec_string (
          "audio-constraints", "Audio constraints",
          "Microphone constraints as a browser has them, ideal unless qualified: sample-rate, "
          "channel-count, sample-size, echo-cancellation, noise-suppression, auto-gain-control "
          "(true/false, run webrtcdsp), device-id; e.g. \"channel-count=1,sample-rate=48000,"
          "noise-suppression=true\"",
          DEFAULT_CONSTRAINTS, null_only));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_DEVICE_ID,
      g_param_spec_string ("video-device-id", "Video device id",
                           "The camera to use (exact), by the stable id enumerate-devices lists "
                           "(NULL = the best fit)",
                           DEFAULT_DEVICE_ID, null_only));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_DEVICE_ID,
      g_param_spec_string ("audio-device-id", "Audio device id",
                           "The microphone to use (exact), by the stable id enumerate-devices "
                           "lists (NULL = the best fit)",
                           DEFAULT_DEVICE_ID, null_only));
  g_object_class_install_property (
      gobject_class, PROP_FALLBACK,
      g_param_spec_enum ("fallback", "Fallback",
                         "What to capture when no device of a kind is present (none: an element "
                         "error naming what is missing)",
                         GST_TYPE_RTC_USER_MEDIA_FALLBACK, DEFAULT_FALLBACK, null_only));
  g_object_class_install_property (
      gobject_class, PROP_ECHO_PROBE,
      g_param_spec_string ("echo-probe", "Echo probe",
                           "Name of the webrtcechoprobe on the playback path that "
                           "echo-cancellation needs (NULL = the first one in the pipeline)",
                           DEFAULT_ECHO_PROBE, null_only));

  /**
   * GstRtcUserMediaSrc::enumerate-devices:
   *
   * Lists the cameras and microphones as a JSON array of objects with device-id, kind
   * (videoinput or audioinput), label, device-class, capabilities (width, height,
   * frame-rate, sample-rate, channel-count as {min, max}; facing-mode) and modes (the caps
   * structures as strings).
   */
  g_signal_new_class_handler ("enumerate-devices", G_TYPE_FROM_CLASS (klass),
                              (GSignalFlags)(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                              G_CALLBACK (enumerate_devices), nullptr, nullptr, nullptr,
                              G_TYPE_STRING, 0);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (
      element_class, "RTC user media source", "Source/Video/Audio/Bin",
      "A camera and a microphone chosen by getUserMedia-like constraints (ideal/exact, "
      "device-id, fitness distance), test sources as an opt-in fallback",
      "rtckit developers");

  gst_type_mark_as_plugin_api (GST_TYPE_RTC_USER_MEDIA_FALLBACK, (GstPluginAPIFlags)0);
  GST_DEBUG_CATEGORY_INIT (rtc_user_media_src_debug, "rtcusermediasrc", 0,
                           "rtckit getUserMedia source");
}
