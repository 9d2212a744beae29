// rtccallbin's private state, shared by rtccallbin.cpp (the GObject, properties, pads, states)
// and call/calls.cpp (the call: rtcsignalbin's hooks, on its worker thread).
#pragma once

#include "rtccallbin.h"

#include "gst-ptr.h"
#include "receive/incoming.h"
#include "send/session-track.h"
#include "signal/session.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN (rtc_call_bin_debug);
#define GST_CAT_DEFAULT rtc_call_bin_debug

#define DEFAULT_CALL_VIDEO_CODECS "vp8,h264"
#define DEFAULT_CALL_AUDIO_CODECS "opus"
#define DEFAULT_CALL_VIDEO_BITRATE 1500
#define DEFAULT_CALL_KEYFRAME_INTERVAL 0
#define DEFAULT_CALL_DATA_CHANNEL TRUE

namespace rtc::call
{

struct Settings
{
  std::string video_codecs = DEFAULT_CALL_VIDEO_CODECS;
  std::string audio_codecs = DEFAULT_CALL_AUDIO_CODECS;
  guint video_bitrate = DEFAULT_CALL_VIDEO_BITRATE;
  guint keyframe_interval = DEFAULT_CALL_KEYFRAME_INTERVAL;
  std::string call; // the remote producer to call ("first": the first one), "" = wait for calls
  std::string video_layers = RTC_DEFAULT_VIDEO_LAYERS;
  bool direct_send = RTC_DEFAULT_DIRECT_SEND;
};

// The call: a session of rtcsignalbin, owned and touched by its worker thread only.
struct Call : rtc::Session
{
  std::vector<rtc::SessionTrack> send; // what we send
  rtc::IncomingSession in;             // what we receive
  bool we_offer = false;               // we wait for calls and offer; the caller answers
  bool waiting = false;                // for our tracks' caps: no peer yet
  std::string offer;                   // the caller's offer while we wait
  bool answered = false, flowing = false, subscribed = false;
  std::shared_ptr<rtc::DirectSender> direct; // its send stage, with direct-send
};

/* Lock order: rtcsignalbin's settings lock, settings_lock, the Outgoing's lock. None is held
 * while calling children, the signaller, emitting signals or posting messages. */
struct CallPrivate
{
  std::mutex settings_lock;
  Settings settings;
  std::unique_ptr<rtc::Outgoing> out; // request pads video_%u / audio_%u and their feeds
  std::unique_ptr<rtc::Incoming> in;  // sometimes pads video_src_%u / audio_src_%u

  std::mutex state_lock;
  std::string peer; // the remote peer of the call now, "" when idle
};

} // namespace rtc::call

struct _GstRtcCallBin
{
  GstRtcSignalBin parent;
  rtc::call::CallPrivate *priv;
};

namespace rtc::call
{

// rtccallbin.cpp
Settings copy_settings (GstRtcCallBin *self);

// calls.cpp: rtcsignalbin's hooks
extern const GstRtcSignalBinHooks call_hooks;
// Worker thread.
void process_waiting (GstRtcCallBin *self); // a call that waited for our tracks' caps
void end_calls_of_track (GstRtcCallBin *self, const std::shared_ptr<rtc::Track> &track);
rtc::IncomingSession *find_incoming (GstRtcCallBin *self, const std::string &session_id);
void call_announced (GstRtcCallBin *self, const std::string &session_id, const std::string &peer_id,
                     const std::vector<std::string> &pads);
// Worker thread: EOS on every received pad (the application sent EOS).
void end_received (GstRtcCallBin *self);

} // namespace rtc::call
