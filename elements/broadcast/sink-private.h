// rtcbroadcastsink's private state, shared by rtcbroadcastsink.cpp (the GObject, properties,
// pads, tracks and feeds, states) and broadcast/viewers.cpp (sessions and viewers, on the worker
// thread).
#pragma once

#include "rtcbroadcastsink.h"

#include "send/session-track.h"
#include "broadcast/stats.h"
#include "common/codecs.h"
#include "gst-ptr.h"
#include "signal/session.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN (rtc_broadcast_sink_debug);
#define GST_CAT_DEFAULT rtc_broadcast_sink_debug

#define DEFAULT_VIDEO_CODECS "h264,vp8"
#define DEFAULT_AUDIO_CODECS "opus"
#define DEFAULT_MAX_VIEWERS 0
#define DEFAULT_VIDEO_BITRATE 2000
#define DEFAULT_KEYFRAME_INTERVAL 120
#define DEFAULT_PLAYOUT_DELAY 0
#define DEFAULT_RETRANSMISSION_BUDGET 25
#define DEFAULT_NAVIGATION FALSE

namespace rtc::broadcast
{

struct Settings
{
  std::string video_codecs = DEFAULT_VIDEO_CODECS;
  std::string audio_codecs = DEFAULT_AUDIO_CODECS;
  guint max_viewers = DEFAULT_MAX_VIEWERS;
  guint video_bitrate = DEFAULT_VIDEO_BITRATE;
  guint keyframe_interval = DEFAULT_KEYFRAME_INTERVAL;
  gint playout_delay = DEFAULT_PLAYOUT_DELAY;
  guint retransmission_budget = DEFAULT_RETRANSMISSION_BUDGET;
  bool navigation = DEFAULT_NAVIGATION;
  std::string video_layers = RTC_DEFAULT_VIDEO_LAYERS;
  bool direct_send = RTC_DEFAULT_DIRECT_SEND;
};

// A session of rtcsignalbin: owned and touched by the worker thread only.
struct Viewer : rtc::Session
{
  std::vector<rtc::SessionTrack> tracks;
  bool waiting = false;    // for the tracks' caps: no peer yet
  std::string offer;       // the viewer's offer (WHEP) while it waits, empty when we offer
  bool answered = false;   // the codecs are agreed (its answer applied, or our answer made)
  bool flowing = false;    // subscribed once both answered and connected: packets flow to it
  bool subscribed = false; // in its feeds' subscriber lists
  std::shared_ptr<rtc::DirectSender> direct; // its send stage, with direct-send
  bool direct_started = false;               // packets go through it
};

/* Lock order: rtcsignalbin's settings lock, settings_lock, the Outgoing's lock, then stats_lock.
 * None is held while calling into children, the signaller, or posting messages. Sessions
 * (viewers) are rtcsignalbin's, on its worker thread. */
struct BroadcastPrivate
{
  std::mutex settings_lock;
  Settings settings;

  std::unique_ptr<rtc::Outgoing> out; // the tracks (request pads) and their feeds

  std::mutex stats_lock;
  std::map<std::string, rtc::ViewerSnapshot> snapshots;
  rtc::BroadcastTotals totals;
  guint viewer_count = 0;
};

} // namespace rtc::broadcast

struct _GstRtcBroadcastSink
{
  GstRtcSignalBin parent;
  rtc::broadcast::BroadcastPrivate *priv;
};

namespace rtc::broadcast
{

// rtcbroadcastsink.cpp
Settings copy_settings (GstRtcBroadcastSink *self);

// viewers.cpp: rtcsignalbin's hooks
extern const GstRtcSignalBinHooks viewer_hooks;
// Worker thread:
void process_pending (GstRtcBroadcastSink *self); // sessions that waited for the tracks' caps
void remove_viewers_of_track (GstRtcBroadcastSink *self, const std::shared_ptr<rtc::Track> &track);

} // namespace rtc::broadcast
