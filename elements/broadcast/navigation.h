// Remote control for rtcbroadcastsink (navigation=true): the viewer page's pointer and key events,
// sent as JSON over a data channel labelled "control" in the format of gst-plugins-rs'
// webrtcsink and gstwebrtc-api's RemoteController:
//   {"id": N, "request": {"type": "navigationEvent", "event": {"event": "MouseButtonPress",
//    "button": 1, "x": 10.5, "y": 20, "modifier_state": "shift-mask+button1-mask"}}}
// become GstNavigation events in the video's own coordinates, sent upstream.
#pragma once

#include <gst/gst.h>

#include <string>

namespace rtc
{

// The data channel the sink opens for it, and the label gstwebrtc-api also accepts.
constexpr const char *kNavigationLabel = "control";

struct NavigationRequest
{
  gint64 id = -1;            // the request's id, -1 when it had none
  GstEvent *event = nullptr; // transfer full: a GstNavigation event, or nullptr
  std::string error;         // why there is no event ("" when there is one)
};

// Parses one message of the control channel. Never throws or logs: the caller decides.
// Pointer coordinates are multiplied by @scale_x and @scale_y: a viewer on a lower rung of the
// ladder points in its smaller picture, the source wants its own pixels.
NavigationRequest parse_navigation_request (const std::string &text, double scale_x = 1,
                                            double scale_y = 1);

// The reply the sender may wait for: {"type":"ControlResponseMessage","id":N,"error":...}.
std::string navigation_response (gint64 id, const std::string &error);

} // namespace rtc
