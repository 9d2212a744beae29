#include "send/ladder.h"

#include <algorithm>
#include <cstdio>

namespace rtc
{

bool
parse_video_layers (const std::string &text, std::vector<Rung> *rungs, bool *adapt,
                    std::string *error)
{
  rungs->clear ();
  *adapt = true;
  if (text.empty () || text == "auto")
    return true;
  if (text == "none")
    {
      *adapt = false;
      return true;
    }
  gchar **parts = g_strsplit (text.c_str (), ",", -1);
  bool ok = true;
  for (gchar **p = parts; *p && ok; p++)
    {
      Rung r;
      char tail = 0;
      gchar *item = g_strstrip (*p);
      if (sscanf (item, "%ux%u:%u%c", &r.width, &r.height, &r.kbps, &tail) != 3 || r.width < 16
          || r.height < 16 || r.width > 8192 || r.height > 8192 || r.kbps < 16 || r.kbps > 100000)
        {
          *error = std::string ("'") + item
                   + "' is not WIDTHxHEIGHT:KBPS (16..8192 pixels, 16..100000 kbit/s)";
          ok = false;
        }
      else
        rungs->push_back (r);
    }
  g_strfreev (parts);
  if (ok && rungs->empty ())
    {
      *error = "no rung";
      ok = false;
    }
  if (!ok)
    rungs->clear ();
  std::stable_sort (rungs->begin (), rungs->end (),
                    [] (const Rung &a, const Rung &b) { return a.kbps > b.kbps; });
  return ok;
}

std::vector<Rung>
ladder_for (const std::string &layers, guint width, guint height, guint top_kbps)
{
  std::vector<Rung> rungs;
  bool adapt = true;
  std::string error;
  if (!parse_video_layers (layers, &rungs, &adapt, &error) || !adapt)
    return { Rung{ 0, 0, top_kbps } };
  if (!rungs.empty ())
    return rungs;
  // auto: the input, then half and quarter size while they stay useful (even sizes, for
  // encoders that need them), at bitrates a little above their share of the pixels.
  rungs.push_back ({ width, height, top_kbps });
  for (guint div : { 2u, 4u })
    {
      guint w = (width / div) & ~1u, h = (height / div) & ~1u;
      if (!width || !height || h < 90)
        break;
      guint kbps = MAX (div == 2 ? top_kbps * 3 / 10 : top_kbps / 9, 100u);
      if (kbps >= rungs.back ().kbps)
        break;
      rungs.push_back ({ w, h, kbps });
    }
  return rungs;
}

std::string
rung_name (const Rung &rung)
{
  if (!rung.width)
    return "input@" + std::to_string (rung.kbps);
  return std::to_string (rung.width) + "x" + std::to_string (rung.height) + "@"
         + std::to_string (rung.kbps);
}

GParamSpec *
video_layers_param_spec (GParamFlags flags)
{
  return g_param_spec_string (
      "video-layers", "Video layers",
      "The renditions of video each viewer moves between by its bandwidth estimate, each "
      "encoded once and only while someone watches it: \"auto\" = the input's size at "
      "video-bitrate, then half and quarter size at 30 % and 11 % of it; \"none\" = one "
      "rendition, no adaptation; or WIDTHxHEIGHT:KBPS,... (e.g. "
      "\"1280x720:2500,640x360:800,320x180:250\"). Encoded input (e.g. a camera's H.264) is "
      "passed through as the top rendition and decoded once for the lower ones. Takes effect "
      "when the input's caps are next set",
      RTC_DEFAULT_VIDEO_LAYERS, flags);
}

void
set_video_layers (GstElement *element, std::string &setting, const gchar *text)
{
  std::vector<Rung> rungs;
  bool adapt;
  std::string error, value = text ? text : "";
  if (parse_video_layers (value, &rungs, &adapt, &error))
    setting = value;
  else
    GST_ELEMENT_WARNING (element, LIBRARY, SETTINGS,
                         ("Invalid video-layers \"%s\": %s", value.c_str (), error.c_str ()),
                         ("keeping \"%s\"", setting.c_str ()));
}

} // namespace rtc
