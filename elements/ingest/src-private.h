// rtcingestsrc's private state, shared by rtcingestsrc.cpp (the GObject, pad type, properties,
// states) and ingest/publishers.cpp (sessions, publishers and their tracks).
#pragma once

#include "rtcingestsrc.h"

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
// How long the first tracks of a publisher wait for the others before its pads are announced.
#define READY_TIMEOUT_MS 3000

struct _GstRtcIngestPad
{
  GstGhostPad parent;
  gchar *publisher_id;
  gchar *session_id;
};

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

// One received stream: rtcpeerbin pad ! depayloader [! parser] ! ghost pad of the element.
// Built on the streaming thread that brings its first packet, then owned by the worker.
struct Track
{
  GstRtcIngestSrc *owner = nullptr;
  std::string session_id, publisher_id;
  std::string name; // "video_0"
  bool video = false;
  const CodecInfo *codec = nullptr;
  std::vector<Ptr<GstElement>> chain; // depayloader first
  Ptr<GstPad> out;                    // last element's src pad: blocked until announced
  Ptr<GstPad> ghost;                  // GstRtcIngestPad, added to the element when announced
  gulong block_id = 0;
  std::atomic<bool> flowing{ false }; // a buffer reached the block
  bool added = false;                 // worker thread
};

// Immutable once the answer is made (or, when we offered, once the remote answer is about to be
// applied: no packet, hence no pad, can come before); shared with the peer's pad-added handler.
struct PeerRef
{
  GstRtcIngestSrc *self;
  std::string session_id, publisher_id;
  std::map<guint, const CodecInfo *> codecs; // m-line index -> codec we answered with
};

// A session of rtcsignalbin (its peer made once the offer arrived, or once we offered): owned
// and touched by the worker thread only.
struct Publisher : rtc::Session
{
  std::shared_ptr<PeerRef> ref; // shared with the peer's handlers; when we offered (WHEP) its
                                // codecs are filled from the answer
  bool offered = false;         // we made the offer; the remote answers
  std::size_t expected_tracks = 0;
  std::vector<std::shared_ptr<Track>> tracks;
  bool answered = false, ready = false;
  GSource *ready_timer = nullptr;
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

  std::atomic<guint> next_video{ 0 }, next_audio{ 0 };
  std::atomic<bool> eos{ false };

  // A pad nobody linked stops neither the pipeline nor the other pads (all publishers' pads).
  rtc::PadFlowCombiner flows;
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

} // namespace rtc::ingest
