#include "media-figures.h"

#include <gst/webrtc/webrtc.h>

#include <algorithm>

namespace rtc
{

// @name of @s as a double, whatever its number type.
static bool
number (const GstStructure *s, const char *name, double &out)
{
  const GValue *v = gst_structure_get_value (s, name);
  if (!v)
    return false;
  GValue d = G_VALUE_INIT;
  g_value_init (&d, G_TYPE_DOUBLE);
  const bool ok = g_value_transform (v, &d);
  if (ok)
    out = g_value_get_double (&d);
  g_value_unset (&d);
  return ok;
}

MediaFigures
read_media_stats (const GstStructure *stats)
{
  MediaFigures m;
  if (!stats)
    return m;
  const gint n = gst_structure_n_fields (stats);
  for (gint i = 0; i < n; i++)
    {
      const GValue *v = gst_structure_get_value (stats, gst_structure_nth_field_name (stats, i));
      if (!v || !GST_VALUE_HOLDS_STRUCTURE (v))
        continue;
      const GstStructure *s = gst_value_get_structure (v);
      GstWebRTCStatsType type;
      if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr))
        continue;
      double d;
      auto add = [&] (const char *name, auto &to) {
        if (number (s, name, d))
          to += static_cast<std::remove_reference_t<decltype (to)>> (d);
      };
      switch (type)
        {
        case GST_WEBRTC_STATS_OUTBOUND_RTP:
          add ("bytes-sent", m.bytes_sent);
          add ("packets-sent", m.packets_sent);
          add ("nack-count", m.nack_received);
          add ("pli-count", m.pli_received);
          add ("fir-count", m.fir_received);
          break;
        case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP:
          add ("packets-lost", m.lost_sent);
          if (number (s, "round-trip-time", d) && d > 0)
            m.rtt_ms = std::max (m.rtt_ms, d * 1000.0);
          if (number (s, "fraction-lost", d))
            m.fraction_lost = std::max (m.fraction_lost, d);
          break;
        case GST_WEBRTC_STATS_INBOUND_RTP:
          add ("bytes-received", m.bytes_received);
          add ("packets-received", m.packets_received);
          add ("packets-lost", m.lost_received);
          add ("nack-count", m.nack_sent);
          add ("pli-count", m.pli_sent);
          break;
        default:
          break;
        }
    }
  return m;
}

void
take_receiving (MediaFigures &to, const MediaFigures &from)
{
  to.bytes_received = from.bytes_received;
  to.packets_received = from.packets_received;
  to.lost_received = from.lost_received;
  to.nack_sent = from.nack_sent;
  to.pli_sent = from.pli_sent;
}

/* --- frames ------------------------------------------------------------------------------ */

namespace
{
struct PadCount
{
  std::shared_ptr<FrameCounters> counters;
  bool sent;
};
} // namespace

// RTP packets with the marker bit: the last packet of a video frame.
static guint
frame_ends (GstBuffer *buf)
{
  guint8 head[2];
  return gst_buffer_extract (buf, 0, head, 2) == 2 && (head[0] >> 6) == 2 && (head[1] & 0x80);
}

static GstPadProbeReturn
on_video_data (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *pc = static_cast<PadCount *> (data);
  guint n = 0;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    n = frame_ends (GST_PAD_PROBE_INFO_BUFFER (info));
  else if (GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info))
    for (guint i = 0; i < gst_buffer_list_length (list); i++)
      n += frame_ends (gst_buffer_list_get (list, i));
  if (n)
    (pc->sent ? pc->counters->sent : pc->counters->received) += n;
  return GST_PAD_PROBE_OK;
}

static void
watch_pad (GstPad *pad, const std::shared_ptr<FrameCounters> &counters)
{
  if (!g_str_has_prefix (GST_PAD_NAME (pad), "video"))
    return;
  gst_pad_add_probe (
      pad, GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      on_video_data, new PadCount{ counters, GST_PAD_DIRECTION (pad) == GST_PAD_SINK },
      [] (gpointer d) { delete static_cast<PadCount *> (d); });
}

void
count_frames (GstElement *peer, std::shared_ptr<FrameCounters> counters)
{
  g_signal_connect_data (
      peer, "pad-added", G_CALLBACK (+[] (GstElement *, GstPad *pad, gpointer data) {
        watch_pad (pad, *static_cast<std::shared_ptr<FrameCounters> *> (data));
      }),
      new std::shared_ptr<FrameCounters> (counters),
      [] (gpointer d, GClosure *) { delete static_cast<std::shared_ptr<FrameCounters> *> (d); },
      GConnectFlags (0));
}

/* --- JSON -------------------------------------------------------------------------------- */

void
add_media_json (JsonBuilder *b, const MediaFigures &m, const FrameCounters *frames)
{
  auto num = [b] (const char *k, gint64 n) {
    json_builder_set_member_name (b, k);
    json_builder_add_int_value (b, n);
  };
  json_builder_set_member_name (b, "media");
  json_builder_begin_object (b);
  num ("bytes_sent", (gint64)m.bytes_sent);
  num ("bytes_received", (gint64)m.bytes_received);
  num ("packets_sent", (gint64)m.packets_sent);
  num ("packets_received", (gint64)m.packets_received);
  num ("lost_sent", m.lost_sent);
  num ("lost_received", m.lost_received);
  num ("nack_received", (gint64)m.nack_received);
  num ("pli_received", (gint64)m.pli_received);
  num ("nack_sent", (gint64)m.nack_sent);
  num ("pli_sent", (gint64)m.pli_sent);
  json_builder_set_member_name (b, "rtt_ms");
  if (m.rtt_ms >= 0)
    json_builder_add_double_value (b, m.rtt_ms);
  else
    json_builder_add_null_value (b);
  num ("frames_sent", m.sending_from_subclass ? (gint64)m.frames_sent
                      : frames                ? (gint64)frames->sent.load ()
                                              : 0);
  num ("frames_received", frames ? (gint64)frames->received.load () : 0);
  json_builder_end_object (b);
}

} // namespace rtc
