#include "send/adaptation.h"

#include <algorithm>
#include <cmath>

GST_DEBUG_CATEGORY_EXTERN (rtc_broadcast_sink_debug);
#define GST_CAT_DEFAULT rtc_broadcast_sink_debug

namespace rtc
{

// A queue above this means we send more than the path carries.
static constexpr double kOveruseQueueMs = 50;
// ... for this long: a scheduling hiccup on either side is not a full queue.
static constexpr gint64 kOveruseForUs = 300 * 1000;
// Below this the queue is empty: growing fast is safe.
static constexpr double kEmptyQueueMs = 8;
static constexpr double kOveruseLoss = 0.10;
static constexpr double kHoldLoss = 0.02;
// After a decrease the queue needs time to drain before the signals mean anything again.
static constexpr gint64 kDecreaseHoldUs = 500 * 1000;
// A REMB caps the estimate until the next one, or this long without one (Janus sends its
// publishers one every 5 s; a receiver that stopped sending them no longer caps us).
static constexpr gint64 kRembHoldUs = 10 * G_USEC_PER_SEC;
// A decrease goes to 85 % of what got through in this last while.
static constexpr GstClockTime kRecentNs = 300 * GST_MSECOND;
// TWCC reports the RTP payload size: add headers, SRTP and UDP/IP.
static constexpr guint kPacketOverhead = 40;
// An arrival more than this away from its neighbours is not a clock: ignored as absurd.
static constexpr GstClockTimeDiff kMaxDelaySpread = 30 * GST_SECOND;

BandwidthEstimate::BandwidthEstimate (guint start_kbps, guint max_kbps)
    : estimate_kbps_ (start_kbps), max_kbps_ (max_kbps)
{
}

void
BandwidthEstimate::on_twcc (const std::vector<TwccPacket> &packets, gint64 now_us)
{
  std::lock_guard lock (lock_);
  has_twcc_ = true;
  last_feedback_us_ = now_us;
  feedback_++;
  double queue_sum = 0;
  guint queue_n = 0;
  for (const auto &p : packets)
    {
      if (!GST_CLOCK_TIME_IS_VALID (p.sent))
        {
          // Feedback for a sequence number the session never sent (or forgot).
          ignored_++;
          GST_DEBUG ("TWCC: feedback for a packet we did not send, ignored");
          continue;
        }
      const bool lost = !GST_CLOCK_TIME_IS_VALID (p.received);
      fate_.emplace_back (now_us, lost);
      fate_lost_ += lost;
      if (lost)
        continue;
      const gint64 delay = (gint64)p.received - (gint64)p.sent;
      if (!min_delay_.empty () && std::llabs (delay - min_delay_.back ().second) > kMaxDelaySpread)
        {
          ignored_++;
          GST_DEBUG ("TWCC: arrival %" GST_TIME_FORMAT " for a packet sent at %" GST_TIME_FORMAT
                     " is absurd, ignored",
                     GST_TIME_ARGS (p.received), GST_TIME_ARGS (p.sent));
          continue;
        }
      // The smallest delay per second of arrivals, for the last 10 s.
      const GstClockTime second = p.received / GST_SECOND;
      if (min_delay_.empty () || min_delay_.back ().first != second)
        min_delay_.emplace_back (second, delay);
      else
        min_delay_.back ().second = std::min (min_delay_.back ().second, delay);
      while (min_delay_.size () > 10)
        min_delay_.pop_front ();
      gint64 base = delay;
      for (auto &[s, d] : min_delay_)
        base = std::min (base, d);
      queue_sum += (double)(delay - base) / GST_MSECOND;
      queue_n++;
      arrivals_.push_back ({ p.received, p.size });
      arrival_bytes_ += p.size + kPacketOverhead;
    }
  // The last second of arrivals (by the viewer's clock) and of packet fates (by ours).
  if (!arrivals_.empty ())
    {
      const GstClockTime last = arrivals_.back ().received;
      while (!arrivals_.empty () && arrivals_.front ().received + GST_SECOND < last)
        {
          arrival_bytes_ -= arrivals_.front ().size + kPacketOverhead;
          arrivals_.pop_front ();
        }
    }
  while (!fate_.empty () && fate_.front ().first + G_USEC_PER_SEC < now_us)
    {
      fate_lost_ -= fate_.front ().second;
      fate_.pop_front ();
    }
  GstClockTime span = arrivals_.size () > 1 ? arrivals_.back ().received - arrivals_.front ().received
                                            : 0;
  if (span >= 200 * GST_MSECOND)
    received_kbps_
        = arrival_bytes_ * 8.0 / ((double)span / GST_SECOND) / 1000.0 + padding_kbps_;
  // Too few packets say nothing about loss (one lost of three is not a third of the link).
  loss_ = fate_.size () < 30 ? 0 : (double)fate_lost_ / fate_.size ();
  if (queue_n)
    queue_ms_ = 0.7 * queue_ms_ + 0.3 * (queue_sum / queue_n);

  const bool queue_full = queue_ms_ > kOveruseQueueMs;
  if (!queue_full)
    overuse_since_us_ = 0;
  else if (!overuse_since_us_)
    overuse_since_us_ = now_us;
  if ((queue_full && now_us - overuse_since_us_ >= kOveruseForUs) || loss_ > kOveruseLoss)
    decrease (now_us, through_now_kbps ());
  else if (queue_full)
    congested_ = true; // not yet a decrease, but no growth either
  else if (loss_ <= kHoldLoss || queue_ms_ < kEmptyQueueMs)
    increase (now_us, queue_ms_ < kEmptyQueueMs);
  else
    congested_ = false;
  // A queue building up already stops the padding.
  congested_now_.store (congested_ || queue_ms_ > kOveruseQueueMs / 2);
}

// What got through in the last 300 ms, when it is well under the last second's figure: right
// after a link narrows, the last second still holds what arrived before, and a decrease to
// 85 % of that picks a rung the new link cannot carry either (a second step down, and a
// second keyframe to wait for). Else the last second's figure.
double
BandwidthEstimate::through_now_kbps () const
{
  if (arrivals_.empty ())
    return received_kbps_;
  const GstClockTime last = arrivals_.back ().received;
  guint64 bytes = 0;
  GstClockTime first = last;
  for (auto it = arrivals_.rbegin (); it != arrivals_.rend () && it->received + kRecentNs >= last;
       ++it)
    {
      bytes += it->size + kPacketOverhead;
      first = it->received;
    }
  const double kbps = bytes * 8.0 / ((double)(last - first) / GST_SECOND) / 1000.0 + padding_kbps_;
  // Only a clear drop, and not at the end of a probe (its padding is in the second's figure,
  // not in the arrivals): there the second's figure is the steadier.
  if (last - first >= 150 * GST_MSECOND && kbps < 0.7 * received_kbps_ && padding_kbps_ <= 0)
    return kbps;
  return received_kbps_;
}

double
BandwidthEstimate::standing_remb_kbps (gint64 now_us) const
{
  return remb_kbps_ > 0 && now_us - last_remb_us_ < kRembHoldUs ? remb_kbps_ : 0;
}

void
BandwidthEstimate::set_padding_kbps (double kbps)
{
  std::lock_guard lock (lock_);
  padding_kbps_ = kbps;
}

void
BandwidthEstimate::on_report_loss (double fraction, gint64 now_us)
{
  std::lock_guard lock (lock_);
  if (!(fraction >= 0 && fraction <= 1))
    {
      ignored_++;
      GST_DEBUG ("receiver report loss %f is absurd, ignored", fraction);
      return;
    }
  last_feedback_us_ = now_us;
  if (has_twcc_)
    return; // TWCC says more, and sooner
  loss_ = fraction;
  if (fraction > kOveruseLoss)
    decrease (now_us, estimate_kbps_ * (1 - fraction / 2) / 0.85);
  else if (fraction <= kHoldLoss)
    increase (now_us, false);
}

void
BandwidthEstimate::on_remb (double kbps, gint64 now_us)
{
  std::lock_guard lock (lock_);
  // Zero is a valid REMB ("stop"), but no browser asks for it; above 10 Gbit/s is nonsense.
  if (!(kbps > 0 && kbps <= 1e7))
    {
      ignored_++;
      GST_DEBUG ("REMB of %f kbit/s is absurd, ignored", kbps);
      return;
    }
  last_feedback_us_ = now_us;
  last_remb_us_ = now_us;
  remb_kbps_ = kbps;
  // The receiver's own figure (an SFU's cap on its publishers, as Janus's rooms send): follow it
  // down at once, up no faster than our own growth. With TWCC too, as a browser's sender takes
  // it: our estimate says what the link carries, the REMB what the receiver wants.
  if (kbps < estimate_kbps_)
    {
      estimate_kbps_ = std::max (kbps, 50.0);
      last_update_us_ = now_us;
    }
  else
    estimate_kbps_ = std::min (kbps, std::max (estimate_kbps_, 50.0));
}

void
BandwidthEstimate::decrease (gint64 now_us, double received_kbps)
{
  congested_ = true;
  last_update_us_ = now_us;
  if (now_us - last_decrease_us_ < kDecreaseHoldUs)
    return;
  last_decrease_us_ = now_us;
  GST_DEBUG ("decrease: queue %.1f ms, loss %.3f, received %.0f kbit/s, estimate was %.0f",
             queue_ms_, loss_, received_kbps, estimate_kbps_);
  if (received_kbps > 0)
    estimate_kbps_ = std::min (estimate_kbps_, 0.85 * received_kbps);
  estimate_kbps_ = std::max (estimate_kbps_, 50.0);
}

void
BandwidthEstimate::increase (gint64 now_us, bool empty_queue)
{
  congested_ = false;
  if (last_update_us_ && now_us - last_decrease_us_ >= kDecreaseHoldUs)
    {
      double dt = std::min ((now_us - last_update_us_) / 1e6, 1.0);
      double grown = estimate_kbps_ * std::pow (empty_queue ? 2.0 : 1.08, dt);
      // It grows by what gets through: never far above what the viewer received (a stream
      // that sends less than its estimate keeps the estimate, it does not lower it).
      if (received_kbps_ > 0)
        grown = std::min (grown, std::max (2 * received_kbps_, 300.0));
      // A standing REMB caps it (receiver reports without loss say nothing of the link).
      if (const double remb = standing_remb_kbps (now_us))
        grown = std::min (grown, remb);
      estimate_kbps_ = std::min (std::max (estimate_kbps_, grown), max_kbps_);
    }
  last_update_us_ = now_us;
}

EstimateSnapshot
BandwidthEstimate::snapshot () const
{
  std::lock_guard lock (lock_);
  EstimateSnapshot s;
  s.estimate_kbps = (guint)estimate_kbps_;
  s.received_kbps = (guint)received_kbps_;
  s.loss = loss_;
  s.queue_ms = queue_ms_;
  s.feedback = feedback_;
  s.ignored = ignored_;
  s.congested = congested_;
  s.twcc = has_twcc_;
  s.remb_kbps = (guint)standing_remb_kbps (last_update_us_);
  return s;
}

bool
BandwidthEstimate::has_feedback_since (gint64 since_us) const
{
  std::lock_guard lock (lock_);
  return last_feedback_us_ >= since_us;
}

/* --- the rung ---------------------------------------------------------------------------- */

// Media, audio and headers on top of a rung's video bitrate.
static constexpr double kHeadroom = 1.2;
static constexpr gint64 kUpHoldUs = G_USEC_PER_SEC;
static constexpr gint64 kFirstProbeBackoffUs = 4 * G_USEC_PER_SEC;
static constexpr gint64 kMaxProbeBackoffUs = 10 * G_USEC_PER_SEC;
// Half the frames of a rung for longer than this: a lower rung at full rate instead.
static constexpr gint64 kBaseOnlyMaxUs = 3 * G_USEC_PER_SEC;

RungPolicy::RungPolicy (std::vector<Rung> rungs, std::size_t start, bool layered)
    : rungs_ (std::move (rungs)), lowest_kbps_ (rungs_.back ().kbps),
      rung_ (std::min (start, rungs_.size () - 1)), layered_ (layered)
{
}

guint
RungPolicy::lowest_wish (const EstimateSnapshot &e, bool has_feedback) const
{
  if (rungs_.size () < 2 || rung_ != rungs_.size () - 1)
    return 0;
  if (!has_feedback || lowest_kbps_ * kHeadroom <= e.estimate_kbps)
    return lowest_kbps_;
  return (guint)(e.estimate_kbps / kHeadroom);
}

BitrateWishes::BitrateWishes (guint rung_kbps)
    : rung_kbps_ (rung_kbps), floor_ (MIN (rung_kbps, MAX (rung_kbps / 8, 50u))),
      current_ (rung_kbps)
{
}

guint
BitrateWishes::wish (const void *who, guint kbps, gint64 now_us)
{
  if (kbps)
    wishes_[who] = { kbps, now_us };
  else
    wishes_.erase (who);
  guint best = 0;
  for (auto it = wishes_.begin (); it != wishes_.end ();)
    if (now_us - it->second.second > kWishUs)
      it = wishes_.erase (it); // a viewer that left, or moved to another rung
    else
      {
        best = MAX (best, it->second.first);
        ++it;
      }
  const guint target = best ? CLAMP (best, floor_, rung_kbps_) : rung_kbps_;
  if (target == rung_kbps_ || target * 10 < current_ * 9 || target * 10 > current_ * 11)
    current_ = target;
  return current_;
}

RungPolicy::Decision
RungPolicy::tick (const EstimateSnapshot &e, bool has_feedback, double media_kbps, gint64 now_us)
{
  const std::size_t lowest = rungs_.size () - 1;
  auto fits = [&] (std::size_t r) { return rungs_[r].kbps * kHeadroom <= e.estimate_kbps; };
  auto back_off = [&] {
    probe_backoff_us_ = probe_backoff_us_ ? std::min (2 * probe_backoff_us_, kMaxProbeBackoffUs)
                                          : kFirstProbeBackoffUs;
    probe_after_us_ = now_us + probe_backoff_us_;
    probing_ = false;
  };
  auto base_fits = [&] (std::size_t r) {
    return layered_ && rungs_[r].kbps * kHeadroom * kBaseLayerShare <= e.estimate_kbps;
  };
  auto set_layer = [&] (guint8 layer) {
    if (layer == 0 && layer_ != 0)
      base_only_since_us_ = now_us;
    else if (layer != 0)
      base_only_since_us_ = 0;
    layer_ = layer;
    layer_up_since_us_ = 0;
  };
  std::size_t want = rung_;
  if (!has_feedback)
    want = lowest; // no feedback at all: a conservative rung
  else if (!fits (rung_))
    {
      misfits_++;
      const bool far = e.estimate_kbps * 2 < rungs_[rung_].kbps * kHeadroom;
      if (rung_ < lowest)
        {
          if (layered_)
            set_layer (0); // at once: half the frames, no keyframe to wait for
          // Down, as far as needed: on the second tick in a row, or at once when far off; with
          // layers, not while the base layer fits, unless that has lasted too long.
          const bool base_holds
              = base_fits (rung_) && now_us - base_only_since_us_ < kBaseOnlyMaxUs;
          if (!base_holds && (misfits_ >= 2 || far))
            while (want < lowest && !fits (want))
              want++;
        }
      else if (layered_ && (misfits_ >= 2 || far))
        set_layer (0); // the last step left; as slow as a step down (a failed probe's dip)
    }
  else
    misfits_ = 0;
  if (want > rung_)
    {
      rung_ = want;
      misfits_ = 0;
      up_since_us_ = 0;
      switches_++;
      // The new rung with all its layers when it fits (the outlet sends the old one's base
      // layer only until the switch).
      set_layer (!layered_ || fits (rung_) || !has_feedback ? kAllTemporalLayers : 0);
      // A probe found the link's limit (or there is no link to probe): wait before the next.
      back_off ();
      return { rung_, 0, layer_ };
    }
  if (layer_ != kAllTemporalLayers && (fits (rung_) || !has_feedback))
    {
      // The upper layer back once the whole rung has fitted for kUpHoldUs.
      if (!layer_up_since_us_)
        layer_up_since_us_ = now_us;
      if (!has_feedback || now_us - layer_up_since_us_ >= kUpHoldUs)
        set_layer (kAllTemporalLayers);
    }
  else if (layer_ != kAllTemporalLayers)
    layer_up_since_us_ = 0;
  if (rung_ == 0 || !has_feedback)
    {
      probing_ = false;
      return { rung_, 0, layer_ };
    }
  // Up to the best rung that has fitted for kUpHoldUs.
  std::size_t best = rung_;
  while (best > 0 && fits (best - 1))
    best--;
  if (best < rung_)
    {
      if (!up_since_us_)
        {
          up_since_us_ = now_us;
          up_to_ = best;
        }
      up_to_ = std::max (up_to_, best); // the worst of the while
      if (now_us - up_since_us_ >= kUpHoldUs)
        {
          rung_ = up_to_;
          switches_++;
          up_since_us_ = 0;
          probe_backoff_us_ = 0; // it worked: go on probing for the next one
          set_layer (kAllTemporalLayers);
          if (rung_ == 0)
            probing_ = false;
          if (rung_ == 0)
            return { rung_, 0, layer_ };
        }
    }
  else
    up_since_us_ = 0;
  // Probe: padding on top of the media, a little above the estimate, up to the top rung's need.
  if (e.congested && probing_)
    back_off ();
  if (now_us < probe_after_us_ || e.congested || !e.twcc)
    return { rung_, 0, layer_ };
  // A receiver whose REMB says the next rung is too much: probing could not change its mind.
  if (e.remb_kbps && e.remb_kbps < rungs_[rung_ - 1].kbps * kHeadroom)
    return { rung_, 0, layer_ };
  probing_ = true;
  const double need = rungs_[0].kbps * kHeadroom * 1.05;
  const double target = std::min (need, e.estimate_kbps * 1.05);
  guint pad = target > media_kbps ? (guint)(target - media_kbps) : 0;
  return { rung_, pad, layer_ };
}

} // namespace rtc
