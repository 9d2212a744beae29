// rtcusermediasrc: choosing a device and a mode for a pad, and building the chain behind it
// (decoder, converters, scaler, audio processing), as getUserMedia picks a camera.
#include "elements/usermedia/src-private.h"

namespace rtc::umsrc
{

// What a test source offers: any size and rate, so the constraints' targets are its mode.
static const char *kTestVideoCaps
    = "video/x-raw,format=I420,width=[16,4096],height=[16,4096],framerate=[1/1,120/1]";
static const char *kTestAudioCaps = "audio/x-raw,format=S16LE,rate=[8000,96000],channels=[1,8]";

/* ---- messages ---- */

void
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
std::string
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

void
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

bool
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

} // namespace rtc::umsrc
