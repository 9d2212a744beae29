// The ladder: the renditions ("rungs") a video track is offered in, best first. Each rung is
// encoded once, only while some viewer watches it; each viewer watches the rung its bandwidth
// estimate allows (send/adaptation.h).
#pragma once

#include <gst/gst.h>

#include <string>
#include <vector>

namespace rtc
{

struct Rung
{
  guint width = 0, height = 0; // 0: the input's size, unknown
  guint kbps = 0;
};

// Parses the video-layers property: "auto" (the default: full, half and quarter size), "none"
// (one rung: no adaptation) or "WxH:KBPS,..." best first. False with @error set when malformed.
bool parse_video_layers (const std::string &text, std::vector<Rung> *explicit_rungs, bool *adapt,
                         std::string *error);

// The rungs for an input of @width x @height (0 when unknown or encoded) at @top_kbps.
std::vector<Rung> ladder_for (const std::string &layers, guint width, guint height,
                              guint top_kbps);

// "1280x720@2500" for logs and /stats; "input@2500" for a rung of the input's size.
std::string rung_name (const Rung &rung);

// The "video-layers" property of the elements that send (one text for gst-inspect-1.0).
#define RTC_DEFAULT_VIDEO_LAYERS "auto"
GParamSpec *video_layers_param_spec (GParamFlags flags);
// Takes @text into @setting when it parses; else a warning on @element and @setting stays.
void set_video_layers (GstElement *element, std::string &setting, const gchar *text);

} // namespace rtc
