// Per-viewer bandwidth estimation and the choice of a rung.
//
// BandwidthEstimate reads transport-wide congestion control feedback (what webrtcbin's RTP
// session reports for every packet: when we sent it, when the viewer received it, or that it
// never arrived) in the spirit of GCC, kept small:
//   - delay: the one-way delay of each packet above the smallest one seen in the last 10 s is
//     the queue on the path; a queue above kOveruseQueueMs for kOveruseForUs means we send more
//     than the link carries;
//   - loss: above 10 % of the packets in the last second, the link drops what we send;
//   - on either, the estimate falls to 85 % of what the viewer received in the last second;
//     with neither, it grows by 8 % a second (doubles while the queue stays empty), never above
//     twice what was received, so that it can only grow by sending more (padding probes).
// Without TWCC, receiver reports' loss drives the same rules (no delay signal, and no probing:
// the reports cannot measure padding), and a viewer that sends no feedback at all is held on
// the lowest rung.
//
// RungPolicy turns the estimate into a rung: down when the current rung has not fitted for two
// ticks (at once when the estimate is under half its need), up to the best rung that has fitted
// for kUpHoldUs. With temporal layers (VP8 rungs), the fine step comes first: a rung that no
// longer fits but whose base layer does (kBaseLayerShare of its need) drops to its base layer
// at once (half the frame rate, no keyframe to wait for) and is left for a lower rung only if
// that lasts kBaseOnlyMaxUs (a lower rung at full rate is better than half the frames of a
// bigger one); a switch down drops the old rung's upper layer until the new rung's keyframe;
// the upper layer comes back once the rung has fitted again for kUpHoldUs. On the lowest rung
// the base layer is the last step, taken like a step down (second tick in a row, or far off);
// there the viewer also wishes the rung's encoder what its link takes (BitrateWishes), and the
// rung is judged by the bitrate it then runs at.
// Meanwhile padding probes the link, never more than a little above the estimate (and not at
// all while a REMB rules the next rung out). A probe that
// meets congestion stops at once, and the next one waits (4 s, then doubling up to 10 s) so that a
// narrow link is not kept full of padding (each probe that finds the limit delays frames a little,
// and a lossy link's repairs with them).
//
// Threading: feedback arrives on webrtcbin's RTCP thread, the policy runs on the element's
// worker; one lock (a leaf) guards the state.
#pragma once

#include "send/ladder.h"

#include <gst/gst.h>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

namespace rtc
{

// Temporal layers of a ladder's VP8 rungs (send/feed.h), and the base layer's share of a
// rung's bitrate (what rtcencodebin asks of vp8enc for TL0).
inline constexpr guint kLadderTemporalLayers = 2;
inline constexpr double kBaseLayerShare = 0.6;
// A viewer's maximum temporal layer: all of them.
inline constexpr guint8 kAllTemporalLayers = 0xff;

struct TwccPacket
{
  GstClockTime sent = GST_CLOCK_TIME_NONE;     // our running time
  GstClockTime received = GST_CLOCK_TIME_NONE; // the viewer's clock; NONE when lost
  guint size = 0;
};

struct EstimateSnapshot
{
  guint estimate_kbps = 0;
  guint received_kbps = 0;
  double loss = 0;        // fraction, last second
  double queue_ms = 0;    // smoothed queueing delay
  guint64 feedback = 0;   // TWCC reports taken
  guint64 ignored = 0;    // reports or packets ignored as absurd
  bool congested = false; // overuse in the last update
  bool twcc = false;      // the estimate comes from TWCC (else receiver reports only)
  guint remb_kbps = 0;    // a standing REMB's cap (0: none)
};

class BandwidthEstimate
{
public:
  explicit BandwidthEstimate (guint start_kbps, guint max_kbps);

  // A TWCC report's packets (webrtcbin's "RTPTWCCPackets"), at monotonic time @now_us.
  void on_twcc (const std::vector<TwccPacket> &packets, gint64 now_us);
  // The padding we sent in the last while, in kbit/s: TWCC reports carry payload sizes, and a
  // padding packet has none, so what got through is the reported rate plus this.
  void set_padding_kbps (double kbps);
  // Receiver-report loss (0..1) when there is no TWCC.
  void on_report_loss (double fraction, gint64 now_us);
  // A REMB (the receiver's own figure, kbit/s): caps the estimate, TWCC or not, until the
  // next REMB or 10 s without one.
  void on_remb (double kbps, gint64 now_us);
  EstimateSnapshot snapshot () const;
  // Whether any feedback (TWCC or receiver reports) has arrived since @since_us.
  bool has_feedback_since (gint64 since_us) const;
  // Whether the last feedback showed a full queue or heavy loss (any thread, no lock): padding
  // stops at once, not at the next tick.
  bool congested_now () const { return congested_now_.load (); }

private:
  void decrease (gint64 now_us, double received_kbps);
  // Under lock_: what got through lately, for a decrease (see the .cpp).
  double through_now_kbps () const;
  // Under lock_: the last REMB while it stands (until the next, or 10 s), else 0.
  double standing_remb_kbps (gint64 now_us) const;
  void increase (gint64 now_us, bool empty_queue);

  mutable std::mutex lock_;
  double estimate_kbps_;
  double max_kbps_;
  gint64 last_update_us_ = 0, last_decrease_us_ = 0, last_feedback_us_ = 0, last_remb_us_ = 0;
  gint64 overuse_since_us_ = 0;
  // Per second of received time: the smallest one-way delay (ns, any offset).
  std::deque<std::pair<GstClockTime, gint64>> min_delay_;
  struct Arrival
  {
    GstClockTime received;
    guint size;
  };
  std::deque<Arrival> arrivals_;          // the last second, by the viewer's clock
  guint64 arrival_bytes_ = 0;             // their sizes, with per-packet overhead
  std::deque<std::pair<gint64, bool>> fate_; // (monotonic us, lost) of the last second
  guint fate_lost_ = 0;                   // how many of those were lost
  double queue_ms_ = 0;
  double loss_ = 0;
  double received_kbps_ = 0; // reported payloads, padding included (see set_padding_kbps)
  double padding_kbps_ = 0;
  double remb_kbps_ = -1;
  bool congested_ = false;
  std::atomic<bool> congested_now_{ false };
  bool has_twcc_ = false;
  guint64 feedback_ = 0, ignored_ = 0;
};

// What the viewers on an encoded rung wish it sent: each viewer whose link cannot take the
// rung's own bitrate wishes for what it can (RungPolicy::lowest_wish), the others for the rung's
// own. The encoder follows the highest wish of the last kWishUs, the rung's own at most and an
// eighth of it (50 kbit/s) at least, and moves only for a change of over 10 %: one encode still
// serves all, and the rung goes down only when every viewer on it needs less (a WHIP publisher
// that an SFU caps by REMB, a lone viewer on a narrow link). Not thread-safe.
class BitrateWishes
{
public:
  explicit BitrateWishes (guint rung_kbps);
  // @who wishes for @kbps (0: no wish any more) at @now_us; returns the bitrate the rung's
  // encoder should run at now.
  guint wish (const void *who, guint kbps, gint64 now_us);
  guint current () const { return current_; }

  static constexpr gint64 kWishUs = 3 * G_USEC_PER_SEC;

private:
  guint rung_kbps_, floor_, current_;
  std::map<const void *, std::pair<guint, gint64>> wishes_;
};

class RungPolicy
{
public:
  // @rungs best first; the viewer starts on @start. @layered: the rungs have two temporal
  // layers, the base one with kBaseLayerShare of the bitrate.
  RungPolicy (std::vector<Rung> rungs, std::size_t start, bool layered = false);

  struct Decision
  {
    std::size_t rung;
    guint padding_kbps; // to send on top of the media, to probe for the next rung
    // The highest temporal layer to send (kAllTemporalLayers: all); a switch down sends the
    // old rung's base layer only until the new rung's keyframe.
    guint8 temporal_layer = kAllTemporalLayers;
  };
  // Every tick of the worker (about a second): @media_kbps is what the viewer's rung sends.
  Decision tick (const EstimateSnapshot &e, bool has_feedback, double media_kbps, gint64 now_us);
  std::size_t rung () const { return rung_; }
  guint8 temporal_layer () const { return layer_; }
  // On the lowest rung: the bitrate this viewer's link takes for it (BitrateWishes), its own
  // when it fits or there is no feedback; 0 elsewhere (no wish).
  guint lowest_wish (const EstimateSnapshot &e, bool has_feedback) const;
  // The bitrate the lowest rung's encoder runs at now (what its viewers' wishes made it):
  // whether the rung fits is judged by it.
  void set_lowest_kbps (guint kbps) { rungs_.back ().kbps = kbps; }
  const std::vector<Rung> &rungs () const { return rungs_; }
  guint64 switches () const { return switches_; }

private:
  std::vector<Rung> rungs_;
  guint lowest_kbps_; // the lowest rung's own bitrate (rungs_.back() has its current one)
  std::size_t rung_;
  gint64 up_since_us_ = 0;       // since when a better rung fits, 0 = none does
  std::size_t up_to_ = 0;        // the best rung that fitted all that time
  guint misfits_ = 0;            // ticks in a row the current rung did not fit
  bool layered_;
  guint8 layer_ = kAllTemporalLayers;
  gint64 base_only_since_us_ = 0; // on the base layer since (0: all layers)
  gint64 layer_up_since_us_ = 0;  // since when the whole rung fits again
  gint64 probe_after_us_ = 0;    // no padding before this
  gint64 probe_backoff_us_ = 0;
  bool probing_ = false;
  guint64 switches_ = 0;
};

} // namespace rtc
