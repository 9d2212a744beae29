#include "elements/usermedia/devices.h"
#include "elements/common/json-util.h"

#include <json-glib/json-glib.h>

#include <optional>
#include <utility>

namespace rtc::um
{

namespace
{

// Properties that name a device's node the same way on every run, whichever provider lists it.
const char *const kStableProps[] = {
  "device.api",      "object.path", "api.v4l2.path", "device.path", "api.alsa.path",
  "device.bus_path", "udev.id",     "device.string", "node.name",   nullptr,
};
// GObject properties of some providers' devices with the same role (v4l2, pulse).
const char *const kStableObjectProps[] = { "device-path", "internal-name", nullptr };

std::string
prop_string (GstDevice *device, const char *name)
{
  GstStructure *props = gst_device_get_properties (device);
  std::string out;
  if (props)
    {
      if (const gchar *v = gst_structure_get_string (props, name))
        out = v;
      gst_structure_free (props);
    }
  return out;
}

struct MinMax
{
  std::optional<double> lo, hi;
  void add (double v)
  {
    lo = lo ? MIN (*lo, v) : v;
    hi = hi ? MAX (*hi, v) : v;
  }
};

void
add_value (MinMax &mm, const GValue *v)
{
  double d;
  if (G_VALUE_HOLDS_INT (v))
    mm.add (g_value_get_int (v));
  else if (GST_VALUE_HOLDS_INT_RANGE (v))
    {
      mm.add (gst_value_get_int_range_min (v));
      mm.add (gst_value_get_int_range_max (v));
    }
  else if (GST_VALUE_HOLDS_FRACTION (v))
    {
      gst_util_fraction_to_double (gst_value_get_fraction_numerator (v),
                                   gst_value_get_fraction_denominator (v), &d);
      mm.add (d);
    }
  else if (GST_VALUE_HOLDS_FRACTION_RANGE (v))
    {
      add_value (mm, gst_value_get_fraction_range_min (v));
      add_value (mm, gst_value_get_fraction_range_max (v));
    }
  else if (GST_VALUE_HOLDS_LIST (v))
    for (guint i = 0; i < gst_value_list_get_size (v); i++)
      add_value (mm, gst_value_list_get_value (v, i));
}

void
add_range (JsonBuilder *b, const char *name, const MinMax &mm)
{
  if (!mm.lo)
    return;
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  for (auto [key, v] : { std::pair{ "min", *mm.lo }, std::pair{ "max", *mm.hi } })
    {
      json_builder_set_member_name (b, key);
      if (v == (double)(gint64)v)
        json_builder_add_int_value (b, (gint64)v); // 640, not 640.0
      else
        json_builder_add_double_value (b, v);
    }
  json_builder_end_object (b);
}

} // namespace

bool
is_input (GstDevice *device, Kind kind)
{
  if (!gst_device_has_classes (device, kind == Kind::Video ? "Video/Source" : "Audio/Source"))
    return false;
  return prop_string (device, "device.class") != "monitor";
}

std::string
stable_id (GstDevice *device, Kind kind)
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  auto feed = [&] (const std::string &s) {
    g_checksum_update (sum, (const guchar *)s.data (), s.size ());
    g_checksum_update (sum, (const guchar *)"\n", 1);
  };
  feed (kind == Kind::Video ? "videoinput" : "audioinput");
  GStr name (gst_device_get_display_name (device));
  feed (name.c_str ());
  for (const char *const *p = kStableProps; *p; p++)
    feed (prop_string (device, *p));
  for (const char *const *p = kStableObjectProps; *p; p++)
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (device), *p);
      if (!pspec || pspec->value_type != G_TYPE_STRING || !(pspec->flags & G_PARAM_READABLE))
        {
          feed ("");
          continue;
        }
      GStr v;
      g_object_get (device, *p, v.out (), nullptr);
      feed (v.c_str ());
    }
  std::string hex = g_checksum_get_string (sum);
  g_checksum_free (sum);
  return hex.substr (0, 16);
}

DeviceInfo
describe (GstDevice *device, Kind kind)
{
  DeviceInfo info;
  info.id = stable_id (device, kind);
  GStr name (gst_device_get_display_name (device));
  info.label = name.c_str ();
  info.caps.reset (gst_device_get_caps (device));
  info.settings.texts["device-id"] = info.id;
  if (kind == Kind::Video)
    {
      std::string where = prop_string (device, "api.libcamera.location");
      if (where == "front")
        info.settings.texts["facing-mode"] = "user";
      else if (where == "back")
        info.settings.texts["facing-mode"] = "environment";
    }
  return info;
}

std::string
devices_json (const std::vector<Ptr<GstDevice>> &devices)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_array (b);
  for (const auto &dev : devices)
    {
      Kind kind = is_input (dev.get (), Kind::Video) ? Kind::Video : Kind::Audio;
      DeviceInfo info = describe (dev.get (), kind);
      GStr klass (gst_device_get_device_class (dev.get ()));
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "device-id");
      json_builder_add_string_value (b, info.id.c_str ());
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, kind == Kind::Video ? "videoinput" : "audioinput");
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, info.label.c_str ());
      json_builder_set_member_name (b, "device-class");
      json_builder_add_string_value (b, klass.c_str ());

      MinMax width, height, fps, rate, channels;
      json_builder_set_member_name (b, "modes");
      json_builder_begin_array (b);
      GstCaps *caps = info.caps.get ();
      for (guint i = 0; caps && i < gst_caps_get_size (caps); i++)
        {
          const GstStructure *s = gst_caps_get_structure (caps, i);
          GStr text (gst_structure_to_string (s));
          json_builder_add_string_value (b, text.c_str ());
          struct
          {
            const char *field;
            MinMax *mm;
          } fields[] = { { "width", &width },
                         { "height", &height },
                         { "framerate", &fps },
                         { "rate", &rate },
                         { "channels", &channels } };
          for (auto &f : fields)
            if (const GValue *v = gst_structure_get_value (s, f.field))
              add_value (*f.mm, v);
        }
      json_builder_end_array (b);

      json_builder_set_member_name (b, "capabilities");
      json_builder_begin_object (b);
      add_range (b, "width", width);
      add_range (b, "height", height);
      add_range (b, "frame-rate", fps);
      add_range (b, "sample-rate", rate);
      add_range (b, "channel-count", channels);
      auto facing = info.settings.texts.find ("facing-mode");
      if (facing != info.settings.texts.end ())
        {
          json_builder_set_member_name (b, "facing-mode");
          json_builder_add_string_value (b, facing->second.c_str ());
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_text (b);
}

} // namespace rtc::um
