// Cameras and microphones as rtcusermediasrc sees them: which GstDevices count, their stable
// ids, their device-level settings, and the JSON list the enumerate-devices signal returns.
#pragma once

#include "elements/common/gst-ptr.h"
#include "elements/usermedia/modes.h"

#include <gst/gst.h>

#include <string>
#include <vector>

namespace rtc::um
{

// Video/Source or Audio/Source, minus what a browser would not offer as an input (PulseAudio's
// monitors of its outputs).
bool is_input (GstDevice *device, Kind kind);

// An opaque id that stays the same across runs and reboots for the same device: a hash of its
// kind, its name and the properties that name its node (device.path, object.path, api, ...),
// never of per-session numbers (PipeWire's object.serial, a provider's order).
std::string stable_id (GstDevice *device, Kind kind);

// Id, label, caps and the device-level settings (device-id; facing-mode where the provider
// says where the camera faces: libcamera's api.libcamera.location).
DeviceInfo describe (GstDevice *device, Kind kind);

// [{"device-id", "kind": "videoinput"|"audioinput", "label", "device-class", "capabilities":
//   {"width": {"min", "max"}, ...}, "modes": ["video/x-raw, format=YUY2, ...", ...]}, ...]
std::string devices_json (const std::vector<Ptr<GstDevice>> &devices);

} // namespace rtc::um
