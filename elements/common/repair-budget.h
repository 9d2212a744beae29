// Retransmissions within a budget, per peer connection.
//
// A viewer on a narrow link loses packets and asks for them again (NACK); webrtcbin's RTX
// sender answers every request, and the repairs make the link lose more: measured here, a
// viewer behind 600 kbit/s drew 21-22 Mbit/s of a 2.5 Mbit/s stream. The budget lets through
// at most @percent retransmissions per 100 media packets sent (a token bucket filled by the
// media packets), keeps the RTX history short enough that nothing is resent that the viewer can
// no longer play, and once the budget is spent asks the encoder for a keyframe instead (at most
// one a second): one keyframe repairs everything the lost packets would have.
//
// Threading: the probes run on streaming threads (media, RTCP); counters are atomics, the
// bucket has its own lock (a leaf).
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <mutex>

namespace rtc
{

struct RepairCounts
{
  guint64 requests = 0; // retransmissions the viewer asked for
  guint64 resent = 0;   // let through to the RTX sender
  guint64 dropped = 0;  // over the budget
  guint64 keyframes = 0; // keyframes asked for instead
};

class RepairBudget
{
public:
  // @percent: retransmissions allowed per 100 media packets (0 = none, 100 = one each).
  explicit RepairBudget (guint percent = 25, guint history_ms = 1000)
      : percent_ (percent), history_ms_ (history_ms)
  {
  }

  // Watches @element if it is webrtcbin's RTX sender (rtprtxsend), or any in it if it is a bin.
  // The budget must outlive the element's streaming.
  void watch (GstElement *element);
  void set_percent (guint percent) { percent_ = percent; }

  // For a send stage of our own (elements/send/direct-sender.h), the same rules without
  // webrtcbin's RTX sender: @n media packets sent, then one packet asked for again.
  enum class Verdict
  {
    Resend,
    Drop,     // over the budget
    Keyframe, // over the budget: ask the encoder for a keyframe instead
  };
  void add_media (guint n);
  Verdict on_request ();
  guint percent () const { return percent_; }
  RepairCounts counts () const;

private:
  static GstPadProbeReturn on_media (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  static GstPadProbeReturn on_request_event (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  void watch_rtx_sender (GstElement *rtxsend);
  bool take_token ();

  std::atomic<guint> percent_;
  guint history_ms_;
  std::mutex lock_;          // guards tokens_ and last_keyframe_us_
  double tokens_ = 10;       // a small burst is always allowed
  gint64 last_keyframe_us_ = 0;
  std::atomic<guint64> requests_{ 0 }, resent_{ 0 }, dropped_{ 0 }, keyframes_{ 0 };
};

} // namespace rtc
