// rtc::RepairBudget: see repair-budget.h.
#include "repair-budget.h"

#include "bin-util.h"
#include "gst-ptr.h"

#include <gst/video/video.h>

namespace rtc
{

namespace
{
constexpr double kMaxTokens = 50;                 // the largest burst of retransmissions
constexpr gint64 kKeyframeInterval = G_USEC_PER_SEC; // at most one keyframe request a second
} // namespace

RepairCounts
RepairBudget::counts () const
{
  return { requests_.load (), resent_.load (), dropped_.load (), keyframes_.load () };
}

void
RepairBudget::watch (GstElement *element)
{
  if (made_by (element, "rtprtxsend"))
    watch_rtx_sender (element);
  // The RTX sender may sit in a bin that was filled before it joined webrtcbin.
  else if (GST_IS_BIN (element))
    each_element (GST_BIN (element), [this] (GstElement *e) {
      if (made_by (e, "rtprtxsend"))
        watch_rtx_sender (e);
    });
}

void
RepairBudget::watch_rtx_sender (GstElement *rtxsend)
{
  if (g_object_get_data (G_OBJECT (rtxsend), "rtckit-repair-budget"))
    return;
  g_object_set_data (G_OBJECT (rtxsend), "rtckit-repair-budget", this);
  // Packets older than this are past any use to a real-time viewer.
  g_object_set (rtxsend, "max-size-time", history_ms_, nullptr);
  Ptr<GstPad> sink (gst_element_get_static_pad (rtxsend, "sink"));
  Ptr<GstPad> src (gst_element_get_static_pad (rtxsend, "src"));
  if (!sink || !src)
    return;
  gst_pad_add_probe (sink.get (),
                     GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                     on_media, this, nullptr);
  gst_pad_add_probe (src.get (), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_request_event, this, nullptr);
}

void
RepairBudget::add_media (guint n)
{
  std::lock_guard l (lock_);
  tokens_ = MIN (kMaxTokens, tokens_ + n * percent_.load () / 100.0);
}

RepairBudget::Verdict
RepairBudget::on_request ()
{
  requests_++;
  if (take_token ())
    {
      resent_++;
      return Verdict::Resend;
    }
  dropped_++;
  std::lock_guard l (lock_);
  const gint64 now = g_get_monotonic_time ();
  if (now - last_keyframe_us_ < kKeyframeInterval)
    return Verdict::Drop;
  last_keyframe_us_ = now;
  keyframes_++;
  return Verdict::Keyframe;
}

GstPadProbeReturn
RepairBudget::on_media (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *self = static_cast<RepairBudget *> (data);
  guint n = 1;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    n = gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  self->add_media (n);
  return GST_PAD_PROBE_OK;
}

bool
RepairBudget::take_token ()
{
  std::lock_guard l (lock_);
  if (tokens_ < 1)
    return false;
  tokens_ -= 1;
  return true;
}

GstPadProbeReturn
RepairBudget::on_request_event (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM
      || !gst_event_has_name (event, "GstRTPRetransmissionRequest"))
    return GST_PAD_PROBE_OK;
  auto *self = static_cast<RepairBudget *> (data);
  const Verdict verdict = self->on_request ();
  if (verdict == Verdict::Resend)
    return GST_PAD_PROBE_OK;
  if (verdict == Verdict::Keyframe)
    {
      // Upstream from the RTX sender: through webrtcbin to whatever feeds it (the encoder).
      if (GstElement *rtxsend = gst_pad_get_parent_element (pad))
        {
          Ptr<GstPad> sink (gst_element_get_static_pad (rtxsend, "sink"));
          gst_object_unref (rtxsend);
          if (sink)
            gst_pad_push_event (sink.get (), gst_video_event_new_upstream_force_key_unit (
                                                 GST_CLOCK_TIME_NONE, TRUE, 0));
        }
    }
  return GST_PAD_PROBE_DROP;
}

} // namespace rtc
