#include "send/outlet.h"

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
Outlet::switch_to (const std::shared_ptr<Feed> &feed, bool stop_now)
{
  if (!feed)
    return;
  std::shared_ptr<Feed> dropped;
  bool first = false, subscribe = false;
  {
    std::lock_guard lock (lock_);
    current_stopped_ = false;
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
  }
  if (a)
    a->unsubscribe (this);
  if (b)
    b->unsubscribe (this);
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
Outlet::deliver (Feed *from, GstBuffer *buf, const PacketInfo &info)
{
  GstBuffer *outs[1 + kMaxPaddingPacketsPerFrame];
  guint n = 0;
  std::shared_ptr<Feed> old;
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
        switched = true;
      }
    if (!current_ || current_.get () != from || current_stopped_)
      return;
    GstBuffer *out = rw_.rewrite (buf, info, switched, playout_ms_->load ());
    if (!out)
      return;
    outs[n++] = out;
    media_bytes_ += gst_buffer_get_size (out);
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
        while (padding_credit_ >= kPaddingPacketSize && n < G_N_ELEMENTS (outs))
          {
            GstBuffer *pad = rw_.padding (kPaddingPacketSize);
            if (!pad)
              break;
            padding_credit_ -= kPaddingPacketSize;
            padding_bytes_ += gst_buffer_get_size (pad);
            outs[n++] = pad;
          }
        padding_credit_ = MIN (padding_credit_, (double)kPaddingPacketSize);
      }
    else if (!kbps)
      {
        last_padding_us_ = 0;
        padding_credit_ = 0;
      }
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
