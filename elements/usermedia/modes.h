// Device modes and their choice for rtcusermediasrc: a device's caps expanded into concrete
// modes, what each would deliver under the constraints (scaled down or converted only where an
// exact/max constraint asks for it), and the devices ranked by the browser's fitness distance.
#pragma once

#include "elements/common/gst-ptr.h"
#include "elements/common/media-constraints.h"

#include <gst/gst.h>

#include <string>
#include <vector>

namespace rtc::um
{

struct Mode
{
  std::string media;  // video/x-raw, image/jpeg or audio/x-raw
  std::string format; // YUY2, S16LE, ...; empty for image/jpeg or "any" in a test source
  int width = 0, height = 0, fps_n = 0, fps_d = 1;
  int rate = 0, channels = 0;

  bool compressed () const { return media == "image/jpeg"; }
  double fps () const { return fps_d ? (double)fps_n / fps_d : 0; }
  Ptr<GstCaps> caps () const;
  std::string to_string () const;
};

// What to build for one device: its native mode and the raw output after any conversion.
struct Plan
{
  Mode native;
  Mode out;
  bool scale = false;  // videoscale (down only) or, for audio, audioconvert/audioresample
  bool retime = false; // videorate (down only)
  Settings settings;   // of the output, with the device's own settings (facing-mode, device-id)
  double distance = 0; // with the constraints as given
  double tie = 0;      // with default ideals for what they leave open (640x480@30, 48 kHz)
};

struct DeviceInfo
{
  std::string id;
  std::string label;
  Ptr<GstCaps> caps;
  Settings settings; // device-level: facing-mode, device-id, audio processing available
};

struct Ranked
{
  size_t device; // index in the list given to select()
  Plan plan;     // the device's best
};

struct Selection
{
  std::vector<Ranked> ranked; // one per device that satisfies every required constraint, best first
  std::string failed;         // else: the constraint no candidate meets (OverconstrainedError)
  std::string failed_text;    // ... as the user wrote it, e.g. "width=exact:1280"
};

// Every concrete mode in @caps, ranges resolved toward the constraints' targets.
std::vector<Mode> expand_caps (const GstCaps *caps, Kind kind, const Constraints &cs);
Plan plan_for (const Mode &native, Kind kind, const Constraints &cs, const Settings &device);
Selection select (Kind kind, const Constraints &cs, const std::vector<DeviceInfo> &devices);

} // namespace rtc::um
