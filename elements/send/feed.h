// Feed: one RTP stream of one codec and one rung of the ladder for one input track, encoded
// (or parsed) and payloaded once, whose packets are handed to every subscribed viewer's outlet
// (send/outlet.h), which gives them the viewer's own header over the shared payload.
//
// The chain is [queue ! valve ! (videoscale ! capsfilter !) rtcencodebin] or [parser !
// payloader], ending in an appsink whose streaming thread hands each RTP buffer to the
// subscribers, with what it is (a frame's first packet, a keyframe's first packet). A viewer
// never touches the running data path: subscribing is a list insert under a lock, and every
// viewer has its own bounded, leaky appsrc, so a slow one drops its own packets only.
//
// Pushing straight into each viewer's peer from the feed's thread (no appsrc, no thread per
// viewer) was tried and measured: 22-24 % of a core for 20 viewers against 17 % with appsrcs
// (same stream, same machine, alternating runs), for 0.2 MB and one thread less per viewer.
#pragma once

#include "common/codecs.h"
#include "send/adaptation.h"
#include "send/ladder.h"
#include "send/rtp-rewrite.h"
#include "gst-ptr.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rtc
{

class Outlet;

class Feed
{
public:
  enum class Mode
  {
    Encode,      // raw input: rtcencodebin
    Passthrough, // already-encoded input: parse and payload, keep a GOP cache for new viewers
  };

  // @ssrc: the SSRC of the RTP packets (one per track, whatever the codec), so that an offer can
  // announce it (a=ssrc) before the first packet, for peers that demultiplex by SSRC (Janus).
  // @rung: the rendition (Encode mode): its size (0: the input's) and bitrate.
  Feed (const CodecInfo *codec, Mode mode, std::string track_name, guint32 ssrc,
        std::size_t rung_index = 0, Rung rung = {});
  ~Feed ();
  Feed (const Feed &) = delete;
  Feed &operator= (const Feed &) = delete;

  // Creates the elements inside @bin and returns the chain's sink pad (transfer full) for the
  // caller to link, or nullptr with @error set. @live decides whether the appsink syncs.
  GstPad *build (GstBin *bin, bool live, guint bitrate_kbps, guint keyframe_interval,
                 GError **error);
  // Sets every element to NULL and removes it from @bin. The caller has unlinked it.
  void teardown (GstBin *bin);

  // @outlet gets every packet from now on; with @with_cache, in passthrough, first the packets
  // since the last keyframe. Asks for a keyframe.
  void subscribe (const std::shared_ptr<Outlet> &outlet, bool with_cache);
  void unsubscribe (Outlet *outlet);
  std::size_t subscriber_count ();
  // Called (with no lock held) when the feed gets its first subscriber or loses its last.
  void set_watched_callback (std::function<void (bool)> cb) { watched_cb_ = std::move (cb); }

  // Asks upstream for a keyframe (the encoder, or the source in passthrough), at most one
  // request per kKeyframeMinInterval; a request inside that window is sent when it ends.
  void request_keyframe ();
  void set_bitrate (guint kbps);
  // Encode mode: @who (a viewer's outlet) wishes the rung sent @kbps (0: no wish any more); the
  // encoder follows the viewers' wishes (BitrateWishes). Returns the bitrate it runs at now.
  guint wish_bitrate (const void *who, guint kbps);
  // Before build(), Encode mode: encode @n temporal layers where the encoder can (vp8enc), so
  // that a viewer's outlet can drop every other frame at once (send/outlet.h).
  void set_temporal_layers (guint n) { temporal_layers_ = n; }
  // After build(): the temporal layers its packets carry (1 when the encoder cannot mark them).
  guint temporal_layers () const { return temporal_layers_; }

  const CodecInfo *codec () const { return codec_; }
  Mode mode () const { return mode_; }
  const std::string &track_name () const { return track_; }
  guint32 ssrc () const { return ssrc_; }
  std::size_t rung_index () const { return rung_index_; }
  const Rung &rung () const { return rung_; }
  // Encoder factory name ("x264enc"), empty in passthrough.
  const std::string &encoder_factory () const { return encoder_factory_; }
  guint64 buffers_out () const { return buffers_out_.load (); }

private:
  static GstFlowReturn on_new_sample (GstAppSink *sink, gpointer user_data);
  static GstPadProbeReturn on_payloader_input (GstPad *, GstPadProbeInfo *, gpointer user_data);
  void maybe_send_keyframe_request (gint64 now_us);

  const CodecInfo *codec_;
  Mode mode_;
  std::string track_;
  guint32 ssrc_;
  std::size_t rung_index_;
  Rung rung_;
  bool vp8_; // packets carry a VP8 payload descriptor (temporal layer fields)
  guint temporal_layers_ = 1;
  std::function<void (bool)> watched_cb_;
  std::vector<Ptr<GstElement>> elements_;
  Ptr<GstElement> encoder_; // rtcencodebin in Encode mode
  std::string encoder_factory_; // set by build()
  Ptr<GstElement> valve_;   // closed while nobody subscribes (Encode mode)
  Ptr<GstElement> appsink_;

  struct Subscriber
  {
    std::shared_ptr<Outlet> outlet;
    bool needs_cache = true;
  };
  struct Cached
  {
    Ptr<GstBuffer> buf;
    PacketInfo info;
  };
  std::mutex lock_; // guards subs_, gop_, keyframe throttle, wishes_; never held while pushing
  std::vector<Subscriber> subs_;
  std::vector<Cached> gop_;
  BitrateWishes wishes_{ rung_.kbps };
  GstClockTime gop_key_pts_ = GST_CLOCK_TIME_NONE;
  std::atomic<GstClockTime> last_key_pts_{ GST_CLOCK_TIME_NONE };
  gint64 last_keyframe_request_us_ = 0;
  bool keyframe_request_pending_ = false;
  std::atomic<guint64> buffers_out_{ 0 };
  bool frame_start_ = true; // the next video packet starts a frame (streaming thread only)
};

} // namespace rtc
