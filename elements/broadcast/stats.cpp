#include "stats.h"
#include "elements/common/json-util.h"

#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>

#include <algorithm>
#include <functional>

namespace rtc
{

void
take_sending (ViewerSnapshot &out, const MediaFigures &m)
{
  out.bytes_sent = m.bytes_sent;
  out.packets_sent = m.packets_sent;
  out.nack_count = m.nack_received;
  out.pli_count = m.pli_received;
  out.fir_count = m.fir_received;
  out.packets_lost = m.lost_sent;
  out.fraction_lost = m.fraction_lost;
  if (m.rtt_ms >= 0)
    out.rtt_ms = m.rtt_ms;
}

std::string
stats_json (const BroadcastTotals &totals, const std::vector<ViewerSnapshot> &viewers,
            const std::vector<EncoderSnapshot> &encoders)
{
  gint64 now = g_get_monotonic_time ();
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, totals.url.c_str ());
  json_builder_set_member_name (b, "viewers_joined");
  json_builder_add_int_value (b, (gint64)totals.viewers_joined);
  json_builder_set_member_name (b, "viewers_left");
  json_builder_add_int_value (b, (gint64)totals.viewers_left);
  json_builder_set_member_name (b, "viewers");
  json_builder_begin_array (b);
  for (const auto &v : viewers)
    {
      json_builder_begin_object (b);
      auto str = [b] (const char *k, const std::string &s) {
        json_builder_set_member_name (b, k);
        if (s.empty ())
          json_builder_add_null_value (b);
        else
          json_builder_add_string_value (b, s.c_str ());
      };
      auto num = [b] (const char *k, gint64 n) {
        json_builder_set_member_name (b, k);
        json_builder_add_int_value (b, n);
      };
      str ("id", v.session_id);
      str ("peer_id", v.peer_id);
      str ("state", v.state);
      str ("video_codec", v.video_codec);
      str ("send_path", v.send_path);
      str ("audio_codec", v.audio_codec);
      json_builder_set_member_name (b, "connected_seconds");
      json_builder_add_double_value (b, v.connected_us ? (now - v.connected_us) / 1e6 : 0.0);
      num ("bytes_sent", (gint64)v.bytes_sent);
      num ("packets_sent", (gint64)v.packets_sent);
      num ("packets_lost", v.packets_lost);
      num ("nack_count", (gint64)v.nack_count);
      num ("pli_count", (gint64)v.pli_count);
      num ("fir_count", (gint64)v.fir_count);
      num ("retransmitted", (gint64)v.retransmitted);
      num ("retransmissions_dropped", (gint64)v.retransmissions_dropped);
      num ("keyframes_for_loss", (gint64)v.keyframes_for_loss);
      num ("messages_received", (gint64)v.messages_received);
      num ("messages_dropped", (gint64)v.messages_dropped);
      json_builder_set_member_name (b, "rtt_ms");
      if (v.rtt_ms >= 0)
        json_builder_add_double_value (b, v.rtt_ms);
      else
        json_builder_add_null_value (b);
      num ("rung", v.rung);
      num ("rung_pending", v.rung_pending);
      num ("rung_width", v.rung_size.width);
      num ("rung_height", v.rung_size.height);
      num ("rung_kbps", v.rung_size.kbps);
      num ("rung_switches", (gint64)v.rung_switches);
      num ("temporal_layer", v.temporal_layer);
      num ("frames_left_out", (gint64)v.frames_left_out);
      num ("estimate_kbps", v.estimate_kbps);
      num ("received_kbps", v.received_kbps);
      json_builder_set_member_name (b, "queue_ms");
      json_builder_add_double_value (b, v.queue_ms);
      json_builder_set_member_name (b, "feedback_loss");
      json_builder_add_double_value (b, v.feedback_loss);
      num ("twcc_feedback", (gint64)v.twcc_feedback);
      num ("padding_bytes", (gint64)v.padding_bytes);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "encoders");
  json_builder_begin_array (b);
  for (const auto &e : encoders)
    {
      if (e.factory.empty ())
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "track");
      json_builder_add_string_value (b, e.track.c_str ());
      json_builder_set_member_name (b, "codec");
      json_builder_add_string_value (b, e.codec.c_str ());
      json_builder_set_member_name (b, "factory");
      json_builder_add_string_value (b, e.factory.c_str ());
      json_builder_set_member_name (b, "viewers");
      json_builder_add_int_value (b, (gint64)e.viewers);
      json_builder_set_member_name (b, "rung");
      json_builder_add_int_value (b, (gint64)e.rung);
      json_builder_set_member_name (b, "width");
      json_builder_add_int_value (b, e.size.width);
      json_builder_set_member_name (b, "height");
      json_builder_add_int_value (b, e.size.height);
      json_builder_set_member_name (b, "kbps");
      json_builder_add_int_value (b, e.size.kbps);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "feeds");
  json_builder_begin_array (b);
  for (const auto &e : encoders)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "track");
      json_builder_add_string_value (b, e.track.c_str ());
      json_builder_set_member_name (b, "codec");
      json_builder_add_string_value (b, e.codec.c_str ());
      json_builder_set_member_name (b, "mode");
      json_builder_add_string_value (b, e.factory.empty () ? "passthrough" : "encode");
      json_builder_set_member_name (b, "rung");
      json_builder_add_int_value (b, (gint64)e.rung);
      json_builder_set_member_name (b, "viewers");
      json_builder_add_int_value (b, (gint64)e.viewers);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_text (b);
}

std::string
metrics_text (const BroadcastTotals &totals, const std::vector<ViewerSnapshot> &viewers,
              const std::vector<EncoderSnapshot> &encoders)
{
  std::string m;
  auto line = [&m] (const std::string &s) { m += s + "\n"; };
  line ("# HELP rtckit_viewers Viewers currently attached.");
  line ("# TYPE rtckit_viewers gauge");
  line ("rtckit_viewers " + std::to_string (viewers.size ()));
  line ("# HELP rtckit_viewers_joined_total Viewers that joined since start.");
  line ("# TYPE rtckit_viewers_joined_total counter");
  line ("rtckit_viewers_joined_total " + std::to_string (totals.viewers_joined));
  line ("# HELP rtckit_viewers_left_total Viewers that left since start.");
  line ("# TYPE rtckit_viewers_left_total counter");
  line ("rtckit_viewers_left_total " + std::to_string (totals.viewers_left));
  line ("# HELP rtckit_encoders Encoder instances (one per codec and rung built, shared by "
        "viewers).");
  line ("# TYPE rtckit_encoders gauge");
  std::size_t n_enc = std::count_if (encoders.begin (), encoders.end (),
                                     [] (const EncoderSnapshot &e) { return !e.factory.empty (); });
  line ("rtckit_encoders " + std::to_string (n_enc));
  line ("# HELP rtckit_encoders_active Encoders running now (some viewer watches their rung).");
  line ("# TYPE rtckit_encoders_active gauge");
  std::size_t n_active = std::count_if (
      encoders.begin (), encoders.end (),
      [] (const EncoderSnapshot &e) { return !e.factory.empty () && e.viewers > 0; });
  line ("rtckit_encoders_active " + std::to_string (n_active));
  struct Series
  {
    const char *name, *type, *help;
    std::function<double (const ViewerSnapshot &)> get;
  };
  const Series series[] = {
    { "rtckit_viewer_bytes_sent_total", "counter", "RTP bytes sent to the viewer.",
      [] (const ViewerSnapshot &v) { return (double)v.bytes_sent; } },
    { "rtckit_viewer_packets_sent_total", "counter", "RTP packets sent to the viewer.",
      [] (const ViewerSnapshot &v) { return (double)v.packets_sent; } },
    { "rtckit_viewer_packets_lost", "gauge", "Packets the viewer reported lost.",
      [] (const ViewerSnapshot &v) { return (double)v.packets_lost; } },
    { "rtckit_viewer_nack_total", "counter", "NACKs received from the viewer.",
      [] (const ViewerSnapshot &v) { return (double)v.nack_count; } },
    { "rtckit_viewer_pli_total", "counter", "PLIs received from the viewer.",
      [] (const ViewerSnapshot &v) { return (double)v.pli_count; } },
    { "rtckit_viewer_retransmitted_total", "counter",
      "Retransmissions sent to the viewer within its budget.",
      [] (const ViewerSnapshot &v) { return (double)v.retransmitted; } },
    { "rtckit_viewer_retransmissions_dropped_total", "counter",
      "Retransmissions the viewer asked for over its budget (not sent).",
      [] (const ViewerSnapshot &v) { return (double)v.retransmissions_dropped; } },
    { "rtckit_viewer_messages_dropped_total", "counter",
      "Data channel messages from the viewer dropped because it sent faster than they were "
      "handled.",
      [] (const ViewerSnapshot &v) { return (double)v.messages_dropped; } },
    { "rtckit_viewer_rtt_seconds", "gauge", "Round-trip time from RTCP reports.",
      [] (const ViewerSnapshot &v) { return v.rtt_ms >= 0 ? v.rtt_ms / 1000.0 : 0.0; } },
    { "rtckit_viewer_estimate_bits_per_second", "gauge",
      "The viewer's bandwidth estimate (from its congestion control feedback).",
      [] (const ViewerSnapshot &v) { return v.estimate_kbps * 1000.0; } },
    { "rtckit_viewer_rung", "gauge", "The rung of the video ladder the viewer is on (0 = top).",
      [] (const ViewerSnapshot &v) { return (double)v.rung; } },
    { "rtckit_viewer_rung_switches_total", "counter", "Times the viewer moved between rungs.",
      [] (const ViewerSnapshot &v) { return (double)v.rung_switches; } },
    { "rtckit_viewer_padding_bytes_total", "counter",
      "Padding sent to the viewer to probe its link for a higher rung.",
      [] (const ViewerSnapshot &v) { return (double)v.padding_bytes; } },
  };
  for (const auto &s : series)
    {
      line (std::string ("# HELP ") + s.name + " " + s.help);
      line (std::string ("# TYPE ") + s.name + " " + s.type);
      for (const auto &v : viewers)
        {
          char num[64];
          g_ascii_dtostr (num, sizeof num, s.get (v));
          line (std::string (s.name) + "{session=\"" + v.session_id + "\",codec=\"" + v.video_codec
                + "\"} " + num);
        }
    }
  return m;
}

} // namespace rtc
