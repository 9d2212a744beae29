// rtcingestsrc's private state, shared by rtcingestsrc.cpp (the GObject, pad type, properties,
// states) and ingest/publishers.cpp (sessions, publishers and their tracks).
#pragma once

#include "rtcingestsrc.h"
#include "receive/ingest-pad.h"
#include "receive/incoming.h"

#include "gst-ptr.h"
#include "common/offer-choice.h"
#include "flow-combiner.h"
#include "signal/session.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN (rtc_ingest_src_debug);
#define GST_CAT_DEFAULT rtc_ingest_src_debug

#define DEFAULT_VIDEO_CODECS "h264,vp8,vp9"
#define DEFAULT_AUDIO_CODECS "opus"
#define DEFAULT_MAX_PUBLISHERS 0

namespace rtc::ingest
{

enum
{
  SIGNAL_PUBLISHER_READY,
  SIGNAL_PUBLISHER_LEFT,
  N_SIGNALS
};
extern guint signals[N_SIGNALS]; // rtcingestsrc.cpp

struct Settings
{
  std::string video_codecs = DEFAULT_VIDEO_CODECS;
  std::string audio_codecs = DEFAULT_AUDIO_CODECS;
  guint max_publishers = DEFAULT_MAX_PUBLISHERS;
  std::string producer_id; // serve=false: the remote producer to receive (empty: the first)
};

// A session of rtcsignalbin (its peer made once the offer arrived, or once we offered): owned
// and touched by the worker thread only.
struct Publisher : rtc::Session
{
  rtc::IncomingSession in; // its tracks; when we offered (WHEP) in.ref's codecs come from the
                           // answer
  bool offered = false;    // we made the offer; the remote answers
  bool answered = false;
};

/* Lock order: rtcsignalbin's settings lock, settings_lock, then state_lock. None is held while
 * calling children, the signaller, emitting signals or posting messages. Sessions (publishers)
 * are rtcsignalbin's, on its worker thread. */
struct IngestPrivate
{
  std::mutex settings_lock;
  Settings settings;

  std::mutex state_lock;
  guint publisher_count = 0;

  std::atomic<bool> eos{ false };
  std::unique_ptr<rtc::Incoming> in; // the publishers' tracks and pads
};

} // namespace rtc::ingest

struct _GstRtcIngestSrc
{
  GstRtcSignalBin parent;
  rtc::ingest::IngestPrivate *priv;
};

namespace rtc::ingest
{

// rtcingestsrc.cpp
Settings copy_settings (GstRtcIngestSrc *self);

// publishers.cpp: rtcsignalbin's hooks
extern const GstRtcSignalBinHooks publisher_hooks;
// Worker thread: EOS on every announced pad (gst-launch-1.0 -e).
void end_all_tracks (GstRtcIngestSrc *self);
// Worker thread, for the Incoming: a publisher's tracks, and its pads all added.
rtc::IncomingSession *find_incoming (GstRtcIngestSrc *self, const std::string &session_id);
void publisher_announced (GstRtcIngestSrc *self, const std::string &session_id,
                          const std::string &publisher_id, const std::vector<std::string> &pads);

} // namespace rtc::ingest
