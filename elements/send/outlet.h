// Outlet: where one session's track leaves the shared feeds: the session's own appsrc, or its
// own send stage (send/direct-sender.h), fed by one feed at a time (a rung of the ladder), with
// the session's own RTP headers.
//
// A switch to another feed is made at that feed's next keyframe: until then the outlet stays
// subscribed to both and sends from the old one, so the viewer sees no gap; then it drops the
// old one. Padding asked for by the adaptation goes out after a frame's last packet.
//
// Temporal layers (VP8 rungs encode two): the outlet sends the frames of layers up to its
// maximum only. Going down takes effect at the next frame, going up at the next frame that
// predicts from the base layer only (Y) or a keyframe; the frames left out leave no gap in the
// viewer's sequence numbers or picture ids (send/rtp-rewrite.h), so they draw no NACK, and
// they never reach the send stage (its NACK history holds only what was sent). While a switch
// down waits for the lower rung's keyframe, the old rung sends its base layer only; so does any
// rung while the estimate says a queue is building up (BandwidthEstimate::congested_now).
//
// Threading: deliver() runs on the feeds' streaming threads; the rest on the element's worker.
// Lock order: the outlet's lock is a leaf: never held while pushing, sending or calling into a
// feed.
#pragma once

#include "send/adaptation.h"
#include "send/rtp-rewrite.h"
#include "gst-ptr.h"

#include <gst/gst.h>

#include <atomic>
#include <memory>
#include <mutex>

namespace rtc
{

class Feed;
class DirectSender;

// Where an outlet's packets go: the session's appsrc into webrtcbin, or the session's own send
// stage (send/direct-sender.h); until that stage has its key, nowhere.
enum class OutletRoute
{
  Webrtcbin,
  Waiting,
  Direct,
};

class Outlet : public std::enable_shared_from_this<Outlet>
{
public:
  // @playout_ms: the element's playout-delay setting (outlives the outlet).
  Outlet (GstElement *appsrc, const std::atomic<gint> *playout_ms);
  Outlet (const Outlet &) = delete;
  Outlet &operator= (const Outlet &) = delete;

  GstElement *appsrc () const { return appsrc_.get (); }
  void set_ids (const RewriteIds &ids);

  // The first feed (subscribed now, with the cached GOP in passthrough), or a switch to
  // @feed at its next keyframe; with @stop_now the current feed's packets stop at once (a link
  // so congested that they would only delay the new keyframe).
  // With @thin_now the current feed sends its base layer only until the switch.
  void switch_to (const std::shared_ptr<Feed> &feed, bool stop_now = false, bool thin_now = false);
  // The highest temporal layer to send (kAllTemporalLayers: all); any thread.
  void set_temporal_layer (guint8 layer) { max_layer_.store (layer); }
  // The highest temporal layer sent now (kAllTemporalLayers: all, or the feed has one).
  guint8 temporal_layer () const { return sending_layer_now_.load (); }
  guint64 frames_left_out () const { return frames_left_out_.load (); }
  // The feed packets come from now, and the one waited for (or nullptr).
  std::shared_ptr<Feed> current ();
  std::shared_ptr<Feed> pending ();
  // Out of every feed (before the session's peer stops).
  void detach ();
  // Subscribes again to the feed it is on (or waits for): what a new subscriber gets (the
  // cached GOP, or a keyframe), for packets held back while the route was not known.
  void restart ();
  // A keyframe request from the viewer: to the feed it will see next.
  void request_keyframe ();
  // Padding to send on top of the media, in kbit/s (0: none); none while @estimate says the
  // path is congested.
  void set_padding_kbps (guint kbps) { padding_kbps_.store (kbps); }
  void set_estimate (std::shared_ptr<BandwidthEstimate> estimate) { estimate_ = std::move (estimate); }

  // Packets go to @sender's stream @stream once set_route (Direct), and nowhere until then.
  void use_direct (std::shared_ptr<DirectSender> sender, std::size_t stream);
  void set_route (OutletRoute route) { route_.store (route); }
  OutletRoute route () const { return route_.load (); }

  // A feed's streaming thread: @buf (transfer none) from @from.
  void deliver (Feed *from, GstBuffer *buf, const PacketInfo &info);

  guint64 media_bytes () const { return media_bytes_.load (); }
  guint64 padding_bytes () const { return padding_bytes_.load (); }
  guint64 switches () const { return switches_.load (); }

private:
  Ptr<GstElement> appsrc_;
  const std::atomic<gint> *playout_ms_;
  std::atomic<guint> padding_kbps_{ 0 };
  std::shared_ptr<BandwidthEstimate> estimate_; // set before the first packet
  std::atomic<guint64> media_bytes_{ 0 }, padding_bytes_{ 0 }, switches_{ 0 };
  std::atomic<OutletRoute> route_{ OutletRoute::Webrtcbin };
  std::atomic<guint8> max_layer_{ kAllTemporalLayers };
  std::atomic<guint8> sending_layer_now_{ kAllTemporalLayers };
  std::atomic<guint64> frames_left_out_{ 0 };
  std::shared_ptr<DirectSender> direct_; // set before the first packet
  std::size_t direct_stream_ = 0;
  std::mutex lock_;
  RtpRewriter rw_;
  std::shared_ptr<Feed> current_, pending_;
  bool current_stopped_ = false; // until the pending feed's keyframe
  bool current_thinned_ = false; // base layer only, until the pending feed's keyframe
  guint8 sending_layer_ = kAllTemporalLayers; // changes at frame starts only
  gint64 last_padding_us_ = 0;
  double padding_credit_ = 0; // bytes
};

} // namespace rtc
