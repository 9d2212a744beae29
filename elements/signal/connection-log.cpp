// rtcsignalbin's record of how each session's connection went, for the /stats dashboard: events
// with their times, the candidates of both sides, the selected pair (from webrtcbin's stats) and
// why the session ended. The live sessions and the last kEndedLogs ended ones are kept.
#include "signal/session.h"

#include "closure.h"
#include "rtcpeerbin.h"
#include "elements/common/json-util.h"

#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>

namespace rtc
{

namespace
{

constexpr std::size_t kMaxCandidates = 30;
constexpr std::size_t kMaxEvents = 60;

// "srflx udp 198.18.0.10:5000" from "candidate:F C UDP PRIO ADDR PORT typ srflx ...".
std::string
candidate_summary (const char *candidate)
{
  g_auto (GStrv) f = g_strsplit (candidate ? candidate : "", " ", -1);
  if (g_strv_length (f) < 8)
    return "";
  g_autofree gchar *proto = g_ascii_strdown (f[2], -1);
  std::string s = std::string (f[7]) + " " + proto + " " + f[4] + ":" + f[5];
  for (guint i = 8; f[i] && f[i + 1]; i += 2)
    if (g_str_equal (f[i], "tcptype"))
      s += " (" + std::string (f[i + 1]) + ")";
  return s;
}

// The reason a session ended, in a word for /metrics.
const char *
why_ended (const std::string &reason)
{
  if (reason.find ("ICE or DTLS") != std::string::npos)
    return "ice_or_dtls_failed";
  if (reason.find ("timed out") != std::string::npos)
    return "timed_out";
  if (reason.rfind ("refused", 0) == 0)
    return "refused";
  if (reason.find ("ended the session") != std::string::npos)
    return "remote_ended";
  if (reason.find ("pipeline stopped") != std::string::npos)
    return "pipeline_stopped";
  return "other";
}

gint64
ms_since (const ConnectionLog &log)
{
  return (g_get_real_time () - log.started_us) / 1000;
}

template <typename Fn>
void
with_live (GstRtcSignalBin *self, const std::string &session_id, Fn fn)
{
  auto &sb = signal_bin (self);
  std::lock_guard lock (sb.log_lock);
  auto it = sb.live_logs.find (session_id);
  if (it != sb.live_logs.end ())
    fn (it->second);
}

void
add_event (ConnectionLog &log, const std::string &what)
{
  if (log.events.size () < kMaxEvents)
    log.events.emplace_back (ms_since (log), what);
}

// The selected pair in webrtcbin 1.22's stats: the candidate-pair entry (only the selected one
// is reported) and its local and remote candidates.
struct PairScan
{
  std::map<std::string, std::string> candidates; // id -> "type proto address:port"
  std::string local_id, remote_id;
};

gboolean
scan_stat (GQuark, const GValue *v, gpointer data)
{
  if (!GST_VALUE_HOLDS_STRUCTURE (v))
    return TRUE;
  auto *scan = static_cast<PairScan *> (data);
  const GstStructure *s = gst_value_get_structure (v);
  GstWebRTCStatsType type;
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr))
    return TRUE;
  const gchar *id = gst_structure_get_string (s, "id");
  if ((type == GST_WEBRTC_STATS_LOCAL_CANDIDATE || type == GST_WEBRTC_STATS_REMOTE_CANDIDATE) && id)
    {
      const gchar *ctype = gst_structure_get_string (s, "candidate-type");
      const gchar *addr = gst_structure_get_string (s, "address");
      const gchar *proto = gst_structure_get_string (s, "protocol");
      guint port = 0;
      gst_structure_get_uint (s, "port", &port);
      scan->candidates[id] = std::string (ctype ? ctype : "?") + " " + (proto ? proto : "?") + " "
                             + (addr ? addr : "?") + ":" + std::to_string (port);
    }
  else if (type == GST_WEBRTC_STATS_CANDIDATE_PAIR)
    {
      const gchar *l = gst_structure_get_string (s, "local-candidate-id");
      const gchar *r = gst_structure_get_string (s, "remote-candidate-id");
      scan->local_id = l ? l : "";
      scan->remote_id = r ? r : "";
    }
  return TRUE;
}

std::string
selected_pair (const GstStructure *stats)
{
  PairScan scan;
  gst_structure_foreach (stats, scan_stat, &scan);
  auto l = scan.candidates.find (scan.local_id), r = scan.candidates.find (scan.remote_id);
  if (l == scan.candidates.end () || r == scan.candidates.end ())
    return "";
  return l->second + " -> " + r->second;
}

} // namespace

void
log_begin (GstRtcSignalBin *self, const Session &session, const char *kind)
{
  ConnectionLog log;
  log.session_id = session.session_id;
  log.peer_id = session.peer_id;
  log.kind = kind;
  log.started_us = g_get_real_time ();
  log.frames = session.frames;
  add_event (log, "session requested");
  auto &sb = signal_bin (self);
  std::lock_guard lock (sb.log_lock);
  sb.live_logs[session.session_id] = std::move (log);
}

void
log_event (GstRtcSignalBin *self, const std::string &session_id, const std::string &what)
{
  with_live (self, session_id, [&] (ConnectionLog &log) { add_event (log, what); });
}

void
log_candidate (GstRtcSignalBin *self, const std::string &session_id, bool local,
               const char *candidate)
{
  std::string summary = candidate_summary (candidate);
  if (summary.empty ())
    return;
  with_live (self, session_id, [&] (ConnectionLog &log) {
    auto &list = local ? log.local_candidates : log.remote_candidates;
    if (list.size () < kMaxCandidates)
      list.push_back (summary);
  });
}

void
log_state (GstRtcSignalBin *self, const std::string &session_id, const std::string &state)
{
  with_live (self, session_id, [&] (ConnectionLog &log) {
    if (log.state == state)
      return;
    log.state = state;
    add_event (log, "peer connection " + state);
  });
}

void
log_end (GstRtcSignalBin *self, const std::string &session_id, const char *reason)
{
  auto &sb = signal_bin (self);
  std::lock_guard lock (sb.log_lock);
  auto it = sb.live_logs.find (session_id);
  if (it == sb.live_logs.end ())
    return;
  ConnectionLog log = std::move (it->second);
  sb.live_logs.erase (it);
  log.ended_us = g_get_real_time ();
  log.end_reason = reason;
  sb.ended_by_why[why_ended (reason)]++;
  log.state = "ended";
  add_event (log, std::string ("ended: ") + reason);
  sb.ended_logs.push_back (std::move (log));
  if (sb.ended_logs.size () > kEndedLogs)
    sb.ended_logs.erase (sb.ended_logs.begin ());
}

void
log_stats (GstRtcSignalBin *self, const std::string &session_id, const GstStructure *stats)
{
  const std::string pair = selected_pair (stats);
  const MediaFigures media = read_media_stats (stats);
  with_live (self, session_id, [&] (ConnectionLog &log) {
    if (log.media.sending_from_subclass)
      take_receiving (log.media, media); // the subclass gives its sending side
    else
      log.media = media;
    if (pair.empty () || log.selected_pair == pair)
      return;
    log.selected_pair = pair;
    add_event (log, "selected pair " + pair);
  });
}

void
log_sending (GstRtcSignalBin *self, const std::string &session_id, const MediaFigures &sent)
{
  with_live (self, session_id, [&] (ConnectionLog &log) {
    MediaFigures m = sent;
    take_receiving (m, log.media); // what webrtcbin's stats said the session received
    m.sending_from_subclass = true;
    log.media = m;
  });
}

std::string
connections_metrics (GstRtcSignalBin *self)
{
  std::map<std::string, guint64> ended;
  std::map<std::pair<std::string, std::string>, guint> pairs;
  {
    auto &sb = signal_bin (self);
    std::lock_guard lock (sb.log_lock);
    ended = sb.ended_by_why;
    for (auto &[id, log] : sb.live_logs)
      if (!log.selected_pair.empty ())
        {
          // "srflx udp a:p -> relay udp b:q": the first word of each side
          const auto arrow = log.selected_pair.find (" -> ");
          std::string local = log.selected_pair.substr (0, log.selected_pair.find (' '));
          std::string rest = arrow == std::string::npos ? "" : log.selected_pair.substr (arrow + 4);
          pairs[{ local, rest.substr (0, rest.find (' ')) }]++;
        }
  }
  std::string m;
  m += "# HELP rtckit_sessions_ended_total Sessions that ended, by why "
       "(ice_or_dtls_failed, timed_out, refused, remote_ended, pipeline_stopped, other).\n";
  m += "# TYPE rtckit_sessions_ended_total counter\n";
  for (const char *why : { "ice_or_dtls_failed", "timed_out", "refused", "remote_ended",
                           "pipeline_stopped", "other" })
    m += std::string ("rtckit_sessions_ended_total{why=\"") + why + "\"} "
         + std::to_string (ended.count (why) ? ended[why] : 0) + "\n";
  m += "# HELP rtckit_sessions_selected_pair Live sessions by the candidate types of their "
       "selected ICE pair (ours, theirs).\n";
  m += "# TYPE rtckit_sessions_selected_pair gauge\n";
  for (auto &[types, n] : pairs)
    m += "rtckit_sessions_selected_pair{local=\"" + types.first + "\",remote=\"" + types.second
         + "\"} " + std::to_string (n) + "\n";
  return m;
}

std::string
connections_json (GstRtcSignalBin *self)
{
  std::vector<ConnectionLog> logs;
  {
    auto &sb = signal_bin (self);
    std::lock_guard lock (sb.log_lock);
    logs = sb.ended_logs;
    for (auto &[id, log] : sb.live_logs)
      logs.push_back (log);
  }
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_array (b);
  auto str = [b] (const char *k, const std::string &v) {
    json_builder_set_member_name (b, k);
    json_builder_add_string_value (b, v.c_str ());
  };
  auto list = [b] (const char *k, const std::vector<std::string> &v) {
    json_builder_set_member_name (b, k);
    json_builder_begin_array (b);
    for (auto &s : v)
      json_builder_add_string_value (b, s.c_str ());
    json_builder_end_array (b);
  };
  for (const auto &log : logs)
    {
      json_builder_begin_object (b);
      str ("session", log.session_id);
      str ("peer", log.peer_id);
      str ("kind", log.kind);
      str ("state", log.state);
      str ("end_reason", log.end_reason);
      str ("selected_pair", log.selected_pair);
      json_builder_set_member_name (b, "started_ms");
      json_builder_add_int_value (b, log.started_us / 1000);
      json_builder_set_member_name (b, "ended_ms");
      json_builder_add_int_value (b, log.ended_us / 1000);
      json_builder_set_member_name (b, "events");
      json_builder_begin_array (b);
      for (const auto &[t, what] : log.events)
        {
          json_builder_begin_array (b);
          json_builder_add_int_value (b, t);
          json_builder_add_string_value (b, what.c_str ());
          json_builder_end_array (b);
        }
      json_builder_end_array (b);
      list ("local_candidates", log.local_candidates);
      list ("remote_candidates", log.remote_candidates);
      add_media_json (b, log.media, log.frames.get ());
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_text (b);
}

} // namespace rtc
