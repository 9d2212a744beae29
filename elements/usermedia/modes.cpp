#include "elements/usermedia/modes.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <tuple>

namespace rtc::um
{

namespace
{

// What Chrome aims at when a page leaves a value open: it breaks ties between modes.
constexpr double kDefaultWidth = 640, kDefaultHeight = 480, kDefaultFps = 30;
constexpr double kDefaultRate = 48000, kDefaultChannels = 2;

std::vector<int>
int_values (const GstStructure *s, const char *field, std::optional<double> target)
{
  const GValue *v = gst_structure_get_value (s, field);
  std::vector<int> out;
  if (!v)
    return out;
  if (G_VALUE_HOLDS_INT (v))
    out.push_back (g_value_get_int (v));
  else if (GST_VALUE_HOLDS_LIST (v))
    {
      for (guint i = 0; i < gst_value_list_get_size (v); i++)
        {
          const GValue *e = gst_value_list_get_value (v, i);
          if (G_VALUE_HOLDS_INT (e))
            out.push_back (g_value_get_int (e));
        }
    }
  else if (GST_VALUE_HOLDS_INT_RANGE (v))
    {
      int lo = gst_value_get_int_range_min (v), hi = gst_value_get_int_range_max (v);
      int step = MAX (1, gst_value_get_int_range_step (v));
      double t = target ? *target : hi;
      int pick = (int)std::lround (std::clamp (t, (double)lo, (double)hi));
      pick = lo + (pick - lo) / step * step;
      out.push_back (pick);
    }
  return out;
}

std::vector<std::pair<int, int>>
fraction_values (const GstStructure *s, const char *field, std::optional<double> target)
{
  const GValue *v = gst_structure_get_value (s, field);
  std::vector<std::pair<int, int>> out;
  if (!v)
    return out;
  auto add = [&] (const GValue *e) {
    if (GST_VALUE_HOLDS_FRACTION (e))
      out.emplace_back (gst_value_get_fraction_numerator (e),
                        gst_value_get_fraction_denominator (e));
  };
  if (GST_VALUE_HOLDS_FRACTION (v))
    add (v);
  else if (GST_VALUE_HOLDS_LIST (v))
    for (guint i = 0; i < gst_value_list_get_size (v); i++)
      add (gst_value_list_get_value (v, i));
  else if (GST_VALUE_HOLDS_FRACTION_RANGE (v))
    {
      const GValue *lo = gst_value_get_fraction_range_min (v),
                   *hi = gst_value_get_fraction_range_max (v);
      double dlo, dhi;
      gst_util_fraction_to_double (gst_value_get_fraction_numerator (lo),
                                   gst_value_get_fraction_denominator (lo), &dlo);
      gst_util_fraction_to_double (gst_value_get_fraction_numerator (hi),
                                   gst_value_get_fraction_denominator (hi), &dhi);
      double t = std::clamp (target ? *target : dhi, dlo, dhi);
      if (t == dlo)
        add (lo);
      else if (t == dhi)
        add (hi);
      else
        {
          int n, d;
          gst_util_double_to_fraction (t, &n, &d);
          out.emplace_back (n, d);
        }
    }
  return out;
}

std::string
first_format (const GstStructure *s)
{
  const GValue *v = gst_structure_get_value (s, "format");
  if (!v)
    return {};
  if (G_VALUE_HOLDS_STRING (v))
    return g_value_get_string (v);
  if (GST_VALUE_HOLDS_LIST (v) && gst_value_list_get_size (v) > 0)
    {
      const GValue *e = gst_value_list_get_value (v, 0);
      if (G_VALUE_HOLDS_STRING (e))
        return g_value_get_string (e);
    }
  return {};
}

// Bits per sample from an audio format name: S16LE -> 16, F32LE -> 32, U8 -> 8.
int
sample_size (const std::string &format)
{
  for (size_t i = 0; i < format.size (); i++)
    if (g_ascii_isdigit (format[i]))
      return std::atoi (format.c_str () + i);
  return 0;
}

int
even (double v)
{
  return MAX (2, (int)std::lround (v / 2) * 2);
}

// A value the output is forced to: exact, or max when the native value is above it. Scaling
// goes down only, so a forced value above the native one is left for satisfies() to refuse.
std::optional<double>
forced (const Constraints &cs, const char *name, double native)
{
  const Constraint *c = cs.find (name);
  if (!c)
    return std::nullopt;
  if (c->exact)
    return *c->exact <= native + 1e-9 ? c->exact : std::nullopt;
  if (c->max && native > *c->max)
    return c->max;
  return std::nullopt;
}

// The constraints with the defaults as ideals for what they leave open.
Constraints
with_defaults (Kind kind, const Constraints &cs)
{
  Constraints out = cs;
  auto add = [&] (const char *name, double value) {
    for (auto &c : out.items)
      if (c.name == name)
        {
          if (!c.ideal && !c.exact)
            c.ideal = value;
          return;
        }
    Constraint c;
    c.name = name;
    c.ideal = value;
    out.items.push_back (c);
  };
  if (kind == Kind::Video)
    {
      add ("width", kDefaultWidth);
      add ("height", kDefaultHeight);
      add ("frame-rate", kDefaultFps);
    }
  else
    add ("sample-rate", kDefaultRate);
  return out;
}

auto
order_key (const Plan &p)
{
  return std::make_tuple (p.distance, p.scale || p.retime, p.tie, p.native.compressed ());
}

} // namespace

Ptr<GstCaps>
Mode::caps () const
{
  GstCaps *caps = gst_caps_new_empty_simple (media.c_str ());
  if (!format.empty ())
    gst_caps_set_simple (caps, "format", G_TYPE_STRING, format.c_str (), nullptr);
  if (width)
    gst_caps_set_simple (caps, "width", G_TYPE_INT, width, "height", G_TYPE_INT, height, nullptr);
  if (fps_n || width)
    gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, fps_n, fps_d, nullptr);
  if (rate)
    gst_caps_set_simple (caps, "rate", G_TYPE_INT, rate, nullptr);
  if (channels)
    gst_caps_set_simple (caps, "channels", G_TYPE_INT, channels, nullptr);
  return Ptr<GstCaps> (caps);
}

std::string
Mode::to_string () const
{
  Ptr<GstCaps> c = caps ();
  GStr s (gst_caps_to_string (c.get ()));
  return s.c_str ();
}

std::vector<Mode>
expand_caps (const GstCaps *caps, Kind kind, const Constraints &cs)
{
  std::vector<Mode> out;
  if (!caps)
    return out;
  for (guint i = 0; i < gst_caps_get_size (caps); i++)
    {
      const GstStructure *s = gst_caps_get_structure (caps, i);
      std::string media = gst_structure_get_name (s);
      if (kind == Kind::Video)
        {
          if (media != "video/x-raw" && media != "image/jpeg")
            continue; // H.264 cameras, Bayer, ...: not a raw source
          // A device's memory caps features (DMABuf) are not what our capsfilter asks for.
          GstCapsFeatures *f = gst_caps_get_features (caps, i);
          if (f && !gst_caps_features_is_any (f)
              && !gst_caps_features_contains (f, GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY))
            continue;
          std::string format = media == "video/x-raw" ? first_format (s) : "";
          if (media == "video/x-raw" && format.empty ())
            continue;
          for (int w : int_values (s, "width", cs.target ("width", kDefaultWidth)))
            for (int h : int_values (s, "height", cs.target ("height", kDefaultHeight)))
              for (auto [n, d] :
                   fraction_values (s, "framerate", cs.target ("frame-rate", kDefaultFps)))
                {
                  if (w <= 0 || h <= 0 || n <= 0 || d <= 0)
                    continue; // 0/1 is "variable": not a mode we can promise
                  Mode m;
                  m.media = media;
                  m.format = format;
                  m.width = w;
                  m.height = h;
                  m.fps_n = n;
                  m.fps_d = d;
                  out.push_back (m);
                }
        }
      else
        {
          if (media != "audio/x-raw")
            continue;
          std::string format = first_format (s);
          for (int r : int_values (s, "rate", cs.target ("sample-rate", kDefaultRate)))
            for (int ch : int_values (s, "channels", cs.target ("channel-count", kDefaultChannels)))
              {
                if (r <= 0 || ch <= 0)
                  continue;
                Mode m;
                m.media = media;
                m.format = format;
                m.rate = r;
                m.channels = ch;
                out.push_back (m);
              }
        }
    }
  return out;
}

Plan
plan_for (const Mode &native, Kind kind, const Constraints &cs, const Settings &device)
{
  Plan p;
  p.native = native;
  p.out = native;
  p.settings = device;
  if (kind == Kind::Video)
    {
      p.out.media = "video/x-raw";
      if (native.compressed ())
        p.out.format.clear (); // whatever jpegdec gives
      std::optional<double> w = forced (cs, "width", native.width);
      std::optional<double> h = forced (cs, "height", native.height);
      if (w || h)
        {
          // One side forced: the other follows the native aspect ratio.
          double ow = w ? *w : native.width * (*h / native.height);
          double oh = h ? *h : native.height * (*w / native.width);
          p.out.width = w ? (int)*w : even (ow);
          p.out.height = h ? (int)*h : even (oh);
          p.scale = p.out.width != native.width || p.out.height != native.height;
        }
      std::optional<double> fps = forced (cs, "frame-rate", native.fps ());
      if (fps && std::fabs (*fps - native.fps ()) > 0.005 * native.fps ())
        {
          gst_util_double_to_fraction (*fps, &p.out.fps_n, &p.out.fps_d);
          p.retime = true;
        }
      p.settings.numbers["width"] = p.out.width;
      p.settings.numbers["height"] = p.out.height;
      p.settings.numbers["frame-rate"] = p.out.fps ();
      p.settings.numbers["aspect-ratio"] = (double)p.out.width / p.out.height;
    }
  else
    {
      // Resampling and channel mixing are exact and cheap: an exact, min or max rate or
      // channel count is reached by conversion rather than refused.
      auto convert = [&] (const char *name, int native_value) {
        const Constraint *c = cs.find (name);
        if (!c)
          return native_value;
        double v = native_value;
        if (c->exact)
          v = *c->exact;
        if (c->min)
          v = std::max (v, *c->min);
        if (c->max)
          v = std::min (v, *c->max);
        return (int)std::lround (v);
      };
      p.out.rate = convert ("sample-rate", native.rate);
      p.out.channels = convert ("channel-count", native.channels);
      p.scale = p.out.rate != native.rate || p.out.channels != native.channels;
      p.settings.numbers["sample-rate"] = p.out.rate;
      p.settings.numbers["channel-count"] = p.out.channels;
      if (int bits = sample_size (native.format))
        p.settings.numbers["sample-size"] = bits;
    }
  p.distance = fitness_distance (cs, p.settings);
  p.tie = fitness_distance (with_defaults (kind, cs), p.settings);
  return p;
}

Selection
select (Kind kind, const Constraints &cs, const std::vector<DeviceInfo> &devices)
{
  Selection sel;
  struct Candidate
  {
    size_t device;
    Plan plan;
  };
  std::vector<Candidate> all;
  for (size_t i = 0; i < devices.size (); i++)
    for (const Mode &m : expand_caps (devices[i].caps.get (), kind, cs))
      all.push_back ({ i, plan_for (m, kind, cs, devices[i].settings) });

  // The browser's OverconstrainedError names the first required constraint that leaves no
  // candidate, taking them in the order given.
  std::vector<Candidate> left = all;
  for (const Constraint &c : cs.items)
    {
      if (!c.required ())
        continue;
      std::vector<Candidate> next;
      for (auto &cand : left)
        if (satisfies (c, cand.plan.settings))
          next.push_back (cand);
      if (next.empty () && !all.empty ())
        {
          sel.failed = c.name;
          sel.failed_text = c.describe ();
          return sel;
        }
      left = std::move (next);
    }

  for (auto &cand : left)
    {
      auto it = std::find_if (sel.ranked.begin (), sel.ranked.end (),
                              [&] (const Ranked &r) { return r.device == cand.device; });
      if (it == sel.ranked.end ())
        sel.ranked.push_back ({ cand.device, cand.plan });
      else if (order_key (cand.plan) < order_key (it->plan))
        it->plan = cand.plan;
    }
  std::stable_sort (sel.ranked.begin (), sel.ranked.end (), [] (const Ranked &a, const Ranked &b) {
    return order_key (a.plan) < order_key (b.plan);
  });
  return sel;
}

} // namespace rtc::um
