// The receive side of an element, shared by rtcingestsrc and rtccallbin: each stream a session's
// rtcpeerbin receives becomes depayloader [! parser] ! a sometimes src pad `video_%u` /
// `audio_%u` of the element (GstRtcIngestPad), built on the streaming thread of its first
// packet and held there until every track of the session has a pad: then all are added at once
// and data flows. A pad nobody linked stops neither the pipeline nor the other pads.
#pragma once

#include "common/codecs.h"
#include "flow-combiner.h"
#include "gst-ptr.h"
#include "rtcsignalbin.h"

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

// The src pads' caps of an element that receives: depayloaded and parsed, still encoded.
#define RTC_RECEIVE_VIDEO_CAPS                                                                     \
  "video/x-h264, stream-format=(string){ byte-stream, avc }, alignment=(string)au; "               \
  "video/x-vp8; video/x-vp9"
#define RTC_RECEIVE_AUDIO_CAPS "audio/x-opus; audio/x-mulaw; audio/x-alaw"

namespace rtc
{

class Incoming;

// Registers the stream tag RTC_TAG_PUBLISHER_ID (rtcingestsrc.h) that received pads carry; from
// the class_init of every element with such pads.
void register_peer_tag ();

// One received stream: rtcpeerbin pad ! depayloader [! parser] ! ghost pad of the element.
// Built on the streaming thread that brings its first packet, then owned by the worker.
struct ReceivedTrack
{
  Incoming *owner = nullptr;
  std::string session_id, peer_id;
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
struct ReceiveRef
{
  Incoming *owner;
  std::string session_id, peer_id;
  std::map<guint, const CodecInfo *> codecs; // m-line index -> codec we receive there
};

// One session's received tracks (worker thread).
struct IncomingSession
{
  std::shared_ptr<ReceiveRef> ref;
  std::size_t expected_tracks = 0;
  std::vector<std::shared_ptr<ReceivedTrack>> tracks;
  bool ready = false; // its pads were announced
  GSource *ready_timer = nullptr;
};

class Incoming
{
public:
  struct Callbacks
  {
    // Worker thread: the session's IncomingSession, or nullptr when it is gone.
    std::function<IncomingSession *(const std::string &session_id)> find;
    // Worker thread: every pad of the session was added, no data flowed yet (link them now).
    std::function<void (const std::string &session_id, const std::string &peer_id,
                        const std::vector<std::string> &pads)>
        announced;
  };

  struct PadNames
  {
    // The element's src pad templates, whose name templates are "<prefix>%u".
    const char *video = "video_%u";
    const char *audio = "audio_%u";
    // Data of a session none of whose pads is linked is dropped (rtccallbin: the next call's
    // pads, which gst-launch does not link again), instead of failing with not-linked as a
    // demuxer does (rtcingestsrc).
    bool drop_unlinked = false;
  };

  Incoming (GstRtcSignalBin *element, GstDebugCategory *cat, Callbacks callbacks, PadNames names);
  Incoming (GstRtcSignalBin *element, GstDebugCategory *cat, Callbacks callbacks)
      : Incoming (element, cat, std::move (callbacks), PadNames ())
  {
  }
  Incoming (const Incoming &) = delete;
  Incoming &operator= (const Incoming &) = delete;

  // Worker thread. A new peer of @session: its received streams become this session's tracks.
  void attach (GstElement *peer, IncomingSession &session, const std::string &session_id,
               const std::string &peer_id);
  // Before the session's peer stops: nothing stays blocked.
  void before_peer_stops (IncomingSession &session);
  // After: with @eos the pads end their streams (muxers finalise), then they go.
  void ended (IncomingSession &session, bool eos);
  // EOS on every announced pad of @session (the application sent EOS).
  void end_tracks (IncomingSession &session);
  // READY -> NULL: pad numbers start again.
  void reset_numbering ();

  // Streaming thread (rtcpeerbin's pad-added).
  void on_pad_added (const std::shared_ptr<ReceiveRef> &ref, GstPad *pad);
  // Worker thread.
  void check_ready (const std::string &session_id);
  void register_track (const std::shared_ptr<ReceivedTrack> &t);

  GstRtcSignalBin *element () const { return element_; }

private:
  void announce (IncomingSession &s);
  void destroy_track (const std::shared_ptr<ReceivedTrack> &t);
  void add_track_pad (const std::shared_ptr<ReceivedTrack> &t);

  GstRtcSignalBin *element_;
  GstDebugCategory *cat_;
  Callbacks cb_;
  PadNames names_;
  PadFlowCombiner flows_; // a pad nobody linked stops neither the pipeline nor the other pads
  std::atomic<guint> next_video_{ 0 }, next_audio_{ 0 };
};

} // namespace rtc
