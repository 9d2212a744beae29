// The send side of an element, shared by rtcbroadcastsink and rtccallbin: one Track per request
// pad (a tee; raw input is encoded, encoded input parsed and payloaded: one Feed per codec and
// rung of the ladder in use, built once for every session; passthrough input's lower rungs from
// one decoder). The per-session half is send/session-track.h.
#pragma once

#include "send/adaptation.h"
#include "send/feed.h"
#include "send/outlet.h"
#include "common/codecs.h"
#include "gst-ptr.h"

#include <gst/gst.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

// The request pads' caps of an element that sends: raw, or encoded as a feed passes it through.
#define RTC_SEND_VIDEO_CAPS                                                                        \
  "video/x-raw; video/x-h264, stream-format=(string){ avc, byte-stream }; video/x-vp8; "           \
  "video/x-vp9"
#define RTC_SEND_AUDIO_CAPS "audio/x-raw; audio/x-opus; audio/x-mulaw; audio/x-alaw"

namespace rtc
{

// What the element's properties say about encoding.
struct OutgoingSettings
{
  std::string video_codecs, audio_codecs; // raw input: codecs offered, preferred first
  guint video_bitrate = 0;                // kbit/s
  guint keyframe_interval = 0;
  gint playout_delay = 0;
  std::string video_layers = "auto"; // the ladder (send/ladder.h)
};

class Outgoing;

// One feed for /stats: what encodes (or passes through) a codec of a track, for how many.
struct EncoderSnapshot
{
  std::string track;
  std::string codec;
  std::string factory; // empty in passthrough
  std::size_t viewers = 0;
  std::size_t rung = 0;
  Rung size;           // width/height 0: the input's
};

// One input pad: a tee that feeds one Feed per codec in use.
struct Track
{
  Outgoing *owner = nullptr; // outlives its tracks
  std::string name;          // "video_0"
  bool video = true;
  guint32 ssrc = 0;        // of every feed of this track: a session gets one codec per track
  GstPad *ghost = nullptr; // owned by the element
  Ptr<GstElement> tee;
  // Guarded by Outgoing's lock:
  bool caps_known = false;
  bool live = true;
  const CodecInfo *passthrough = nullptr; // encoded input codec, nullptr for raw input
  std::vector<const CodecInfo *> codecs;  // what a session may be offered
  std::vector<Rung> ladder;               // video: rung 0 is the input (or its encode)
  guint width = 0, height = 0;            // video: the input's size, 0 when unknown
  std::map<std::pair<const CodecInfo *, std::size_t>, std::shared_ptr<Feed>> feeds;
  // Passthrough input with lower rungs: one decoder for all of them, running while watched.
  struct Decoder
  {
    Ptr<GstElement> tee, valve;
    std::vector<Ptr<GstElement>> elements;
    int watchers = 0; // feeds of lower rungs with subscribers (Outgoing's lock)
  };
  std::unique_ptr<Decoder> decoder;
};

/* The element's tracks and their feeds. Lock order: after the element's settings lock (the
 * settings callback is called with no lock of ours held). */
class Outgoing
{
public:
  struct Callbacks
  {
    std::function<OutgoingSettings ()> settings;
    // Streaming thread: a track learnt its caps (sessions waiting for them may start).
    std::function<void ()> caps_known;
    // Application thread, before the track goes: end the sessions that send it (synchronously).
    std::function<void (const std::shared_ptr<Track> &)> removing;
  };

  Outgoing (GstElement *element, GstDebugCategory *cat, Callbacks callbacks);
  Outgoing (const Outgoing &) = delete;
  Outgoing &operator= (const Outgoing &) = delete;

  // The element's request_new_pad / release_pad.
  GstPad *request_pad (GstPadTemplate *templ, const gchar *name);
  void release_pad (GstPad *pad);
  // PAUSED -> READY: feeds go, tracks learn their caps again.
  void reset ();

  std::vector<std::shared_ptr<Track>> tracks () const;
  std::vector<const CodecInfo *> codecs_of (const Track &track) const;
  // Whether every track knows its caps (sessions can be offered), else why not.
  bool ready (std::string *why) const;
  // The feed of @codec and @rung on @track, created and linked on first use; nullptr when it
  // cannot be.
  std::shared_ptr<Feed> ensure_feed (const std::shared_ptr<Track> &track, const CodecInfo *codec,
                                     std::size_t rung = 0);
  std::vector<Rung> ladder_of (const Track &track) const;
  // The input's size (0 x 0 when unknown, or audio).
  std::pair<guint, guint> input_size_of (const Track &track) const;

  void set_bitrate (guint kbps);    // the top rung's video feeds
  void set_playout_delay (gint ms);
  // The playout-delay extension's maximum on video packets, in ms; -1 sends no extension.
  const std::atomic<gint> *playout_delay () const { return &playout_delay_; }
  std::vector<EncoderSnapshot> encoders () const;
  GstElement *element () const { return element_; }
  GstDebugCategory *category () const { return cat_; }

  // The caps probe's work (a streaming thread).
  bool on_caps (const std::shared_ptr<Track> &track, GstCaps *caps);

private:
  bool build_decoder (const std::shared_ptr<Track> &track, GError **error);
  void decoder_watched (const std::shared_ptr<Track> &track, bool watched);
  void remove_decoder (std::unique_ptr<Track::Decoder> decoder);

  GstElement *element_;
  GstDebugCategory *cat_;
  Callbacks cb_;
  mutable std::mutex lock_;
  std::vector<std::shared_ptr<Track>> tracks_;
  guint next_video_ = 0, next_audio_ = 0;
  std::mutex feed_build_lock_; // serialises creating feeds (streaming and worker threads)
  std::atomic<gint> playout_delay_{ -1 };
  std::atomic<bool> playout_delay_set_{ false }; // by the property, or from the settings
};

} // namespace rtc
