// rtcusermediasrc's private state, shared by rtcusermediasrc.cpp (the GObject, properties,
// states, device watching) and usermedia/tracks.cpp (choosing a device and mode, building the
// chain behind a pad).
#pragma once

#include "elements/rtcusermediasrc.h"

#include "elements/common/gst-ptr.h"
#include "elements/common/media-constraints.h"
#include "elements/usermedia/devices.h"
#include "elements/usermedia/modes.h"

#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN (rtc_user_media_src_debug);
#define GST_CAT_DEFAULT rtc_user_media_src_debug

#define DEFAULT_VIDEO TRUE
#define DEFAULT_AUDIO TRUE
#define DEFAULT_CONSTRAINTS nullptr
#define DEFAULT_DEVICE_ID nullptr
#define DEFAULT_FALLBACK GST_RTC_USER_MEDIA_FALLBACK_NONE
#define DEFAULT_ECHO_PROBE nullptr

namespace rtc::umsrc
{

using rtc::GStr;
using rtc::Ptr;
namespace um = rtc::um;

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

inline um::Kind
kind_of (int i)
{
  return i == kVideo ? um::Kind::Video : um::Kind::Audio;
}

inline const char *
pad_name (int i)
{
  return i == kVideo ? "video" : "audio";
}

// What audio processing can do here (webrtcdsp present, an echo probe found).
struct AudioProcessing
{
  bool available = false; // webrtcdsp is installed
  std::string probe;      // the webrtcechoprobe's name, empty without one
};

} // namespace rtc::umsrc

struct _GstRtcUserMediaSrc
{
  GstBin parent;
  GstPad *pads[2]; // ghost pads, owned by the element; nullptr while disabled
  rtc::umsrc::Private *priv;
};

namespace rtc::umsrc
{

// usermedia/tracks.cpp: building a pad's track (device choice, the chain behind it).
void post_element_message (GstRtcUserMediaSrc *self, GstStructure *s);
std::string find_echo_probe (GstRtcUserMediaSrc *self, const std::string &configured);
void remove_elements (GstRtcUserMediaSrc *self, std::vector<Ptr<GstElement>> &elements);
// Chooses and builds one track. Returns false after posting an error.
bool start_track (GstRtcUserMediaSrc *self, int i, const Settings &s,
                  const std::vector<Ptr<GstDevice>> &all, const AudioProcessing &ap);

} // namespace rtc::umsrc
