#include "send/outlet.h"

#include "send/direct-sender.h"
#include "send/feed.h"

#include <gst/app/gstappsrc.h>

#include <vector>

namespace rtc
{

// At most this much padding after one frame: a probe never becomes a burst.
static constexpr guint kMaxPaddingPacketsPerFrame = 24;
static constexpr guint kPaddingPacketSize = 255;

Outlet::Outlet (GstElement *appsrc, const std::atomic<gint> *playout_ms)
    : appsrc_ (Ptr<GstElement>::ref (appsrc)), playout_ms_ (playout_ms)
{
}

void
Outlet::set_ids (const RewriteIds &ids)
{
  std::lock_guard lock (lock_);
  rw_.set_ids (ids);
}

void
Outlet::switch_to (const std::shared_ptr<Feed> &feed, bool stop_now, bool thin_now)
{
  if (!feed)
    return;
  std::shared_ptr<Feed> dropped;
  bool first = false, subscribe = false;
  {
    std::lock_guard lock (lock_);
    current_stopped_ = false;
    current_thinned_ = false;
    if (feed == current_)
      dropped = std::move (pending_); // back to where we are: stop waiting
    else if (!current_)
      {
        current_ = feed;
        first = subscribe = true;
      }
    else if (feed != pending_)
      {
        dropped = std::move (pending_);
        pending_ = feed;
        subscribe = true;
        current_stopped_ = stop_now;
        current_thinned_ = thin_now;
      }
  }
  if (dropped)
    dropped->unsubscribe (this);
  // A switch waits for the new feed's next keyframe (subscribing asks for one); only a first
  // subscription takes the cached GOP of a passthrough feed.
  if (subscribe)
    feed->subscribe (shared_from_this (), first);
}

std::shared_ptr<Feed>
Outlet::current ()
{
  std::lock_guard lock (lock_);
  return current_;
}

std::shared_ptr<Feed>
Outlet::pending ()
{
  std::lock_guard lock (lock_);
  return pending_;
}

void
Outlet::detach ()
{
  std::shared_ptr<Feed> a, b;
  {
    std::lock_guard lock (lock_);
    a = std::move (current_);
    b = std::move (pending_);
    current_stopped_ = false;
    current_thinned_ = false;
  }
  if (a)
    a->unsubscribe (this);
  if (b)
    b->unsubscribe (this);
}

void
Outlet::restart ()
{
  std::shared_ptr<Feed> feed = pending ();
  if (!feed)
    feed = current ();
  detach ();
  if (feed)
    switch_to (feed);
}

void
Outlet::request_keyframe ()
{
  std::shared_ptr<Feed> feed;
  {
    std::lock_guard lock (lock_);
    feed = pending_ ? pending_ : current_;
  }
  if (feed)
    feed->request_keyframe ();
}

void
Outlet::use_direct (std::shared_ptr<DirectSender> sender, std::size_t stream)
{
  {
    std::lock_guard lock (lock_);
    direct_ = std::move (sender);
    direct_stream_ = stream;
  }
  route_.store (OutletRoute::Waiting);
}

void
Outlet::deliver (Feed *from, GstBuffer *buf, const PacketInfo &info)
{
  const OutletRoute route = route_.load ();
  if (route == OutletRoute::Waiting)
    return; // no key yet: nobody could read it
  const bool direct = route == OutletRoute::Direct;
  GstBuffer *outs[1 + kMaxPaddingPacketsPerFrame];
  RewrittenHeader header;
  guint8 pads[kMaxPaddingPacketsPerFrame][kMaxPaddingPacket];
  RewrittenHeader pad_header[kMaxPaddingPacketsPerFrame];
  guint n = 0, n_pads = 0;
  bool media = false;
  std::shared_ptr<Feed> old;
  std::shared_ptr<DirectSender> sender;
  std::size_t stream = 0;
  {
    std::lock_guard lock (lock_);
    bool switched = false;
    if (pending_ && pending_.get () == from)
      {
        if (!info.key_start)
          return;
        old = std::move (current_);
        current_ = std::move (pending_);
        current_stopped_ = false;
        current_thinned_ = false;
        switched = true;
      }
    if (!current_ || current_.get () != from || current_stopped_)
      return;
    if (info.temporal_layer >= 0)
      {
        if (info.frame_start)
          {
            // A queue building up on the viewer's path drops the upper layer at once, before the
            // estimate and the policy (every 250 ms) catch up: the delay a full queue adds is
            // itself a freeze.
            const bool congested = estimate_ && estimate_->congested_now ();
            const guint8 want = current_thinned_ || congested ? 0 : max_layer_.load ();
            // Down at any frame; up at a frame that needs no frame left out: a keyframe, or one
            // that predicts from the base layer only (the Y bit, on every TL1 frame of ours).
            if (want < sending_layer_
                || (want > sending_layer_
                    && (info.key_start
                        || (info.layer_sync && info.temporal_layer > sending_layer_
                            && info.temporal_layer <= want))))
              sending_layer_ = want;
            sending_layer_now_.store (sending_layer_);
          }
        if (info.temporal_layer > sending_layer_)
          {
            rw_.skip (buf, info);
            if (info.frame_start)
              frames_left_out_++;
            return;
          }
      }
    const gint playout = playout_ms_->load ();
    if (direct)
      {
        if (!rw_.rewrite_header (buf, info, switched, playout, header))
          return;
        media = true;
        media_bytes_ += header.len + header.body_len;
        sender = direct_;
        stream = direct_stream_;
      }
    else
      {
        GstBuffer *out = rw_.rewrite (buf, info, switched, playout);
        if (!out)
          return;
        outs[n++] = out;
        media_bytes_ += gst_buffer_get_size (out);
      }
    // Padding after a frame's last packet (the marker bit), as much as the rate has earned.
    guint kbps = padding_kbps_.load ();
    if (kbps && estimate_ && estimate_->congested_now ())
      kbps = 0;
    if (kbps && info.frame_end)
      {
        gint64 now = g_get_monotonic_time ();
        if (last_padding_us_)
          padding_credit_ += kbps * 125.0 * MIN (now - last_padding_us_, 200000) / 1e6;
        last_padding_us_ = now;
        while (padding_credit_ >= kPaddingPacketSize && n_pads < kMaxPaddingPacketsPerFrame)
          {
            gsize len = 0;
            if (direct)
              {
                len = rw_.padding_into (kPaddingPacketSize, pads[n_pads], &pad_header[n_pads]);
              }
            else if (GstBuffer *pad = rw_.padding (kPaddingPacketSize))
              {
                len = gst_buffer_get_size (pad);
                outs[n++] = pad;
              }
            if (!len)
              break;
            n_pads++;
            padding_credit_ -= kPaddingPacketSize;
            padding_bytes_ += len;
          }
        padding_credit_ = MIN (padding_credit_, (double)kPaddingPacketSize);
      }
    else if (!kbps)
      {
        last_padding_us_ = 0;
        padding_credit_ = 0;
      }
  }
  if (sender)
    {
      if (media)
        sender->send_media (stream, buf, header, info.data, info.size);
      for (guint i = 0; i < n_pads; i++)
        sender->send_padding (stream, pads[i], pad_header[i]);
    }
  for (guint i = 0; i < n; i++)
    gst_app_src_push_buffer (GST_APP_SRC (appsrc_.get ()), outs[i]);
  if (old)
    {
      switches_++;
      old->unsubscribe (this);
    }
}

} // namespace rtc
