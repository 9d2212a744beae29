// rtcsignalbin's sessions: the signaller's handlers, one rtcpeerbin per session and its
// handlers, connect timeouts and teardown. Everything but the handlers themselves runs on the
// element's worker thread, which alone owns the sessions.
#include "signal/session.h"

#include "closure.h"
#include "string-util.h"
#include "rtcpeerbin.h"
#include "signaling/ice-servers.h"

#include <gio/gio.h>

GST_DEBUG_CATEGORY_EXTERN (rtc_signal_bin_debug);
#define GST_CAT_DEFAULT rtc_signal_bin_debug

namespace rtc
{

namespace
{

// "" when the ICE properties are usable, else an error naming the property.
std::string
check_ice_settings (const SignalBinSettings &s)
{
  std::vector<signaling::IceServer> servers;
  std::string why;
  const bool secret = !s.turn_secret.empty ();
  if (!signaling::parse_ice_servers (s.stun_server, secret, servers, &why))
    return "property stun-server: " + why;
  if (!signaling::parse_ice_servers (s.turn_servers, secret, servers, &why))
    return "property turn-servers: " + why;
  if (!s.ice_port_range.empty ())
    {
      guint lo = 0, hi = 0;
      if (sscanf (s.ice_port_range.c_str (), "%u-%u", &lo, &hi) != 2 || lo == 0 || hi < lo
          || hi > 65535)
        return "property ice-port-range: '" + s.ice_port_range
               + "' is not MIN-MAX (e.g. 50000-50100)";
    }
  for (const auto &ip : split_list (s.public_addresses))
    {
      GInetAddress *a = g_inet_address_new_from_string (ip.c_str ());
      if (!a)
        return "property public-address: '" + ip + "' is not an IP address";
      g_object_unref (a);
    }
  return "";
}

// The TURN servers our peer of @session_id uses: as given, or with credentials of its own made
// with the TURN secret (the same scheme the pages get theirs by).
std::string
turn_servers_for (const SignalBinSettings &s, const std::string &session_id)
{
  if (s.turn_secret.empty ())
    return s.turn_servers;
  signaling::IceConfig ice;
  signaling::parse_ice_servers (s.turn_servers, true, ice.servers, nullptr);
  ice.turn_secret = s.turn_secret;
  ice.credential_lifetime = s.turn_credential_lifetime;
  std::string out;
  for (const auto &server : ice.for_peer ("rtckit-" + session_id))
    out += (out.empty () ? "" : ",") + signaling::ice_server_uri (server);
  return out;
}

// @candidate ("candidate:F C PROTO PRIO IP PORT typ host ...") with @ip for its address, for a
// host candidate; "" for any other.
std::string
public_candidate (const std::string &candidate, const std::string &ip)
{
  const bool prefixed = g_str_has_prefix (candidate.c_str (), "a=");
  g_auto (GStrv) f = g_strsplit (candidate.c_str () + (prefixed ? 2 : 0), " ", -1);
  if (g_strv_length (f) < 8 || g_strcmp0 (f[6], "typ") != 0 || g_strcmp0 (f[7], "host") != 0
      || !g_str_has_prefix (f[0], "candidate:") || g_strcmp0 (f[4], ip.c_str ()) == 0)
    return "";
  // A foundation of its own: the remote peer pairs it as a different candidate.
  std::string foundation = std::string (f[0]) + "p";
  g_free (f[0]);
  f[0] = g_strdup (foundation.c_str ());
  g_free (f[4]);
  f[4] = g_strdup (ip.c_str ());
  g_autofree gchar *joined = g_strjoinv (" ", f);
  return (prefixed ? "a=" : "") + std::string (joined);
}

const GstRtcSignalBinHooks &
hooks_of (GstRtcSignalBin *self)
{
  return *GST_RTC_SIGNAL_BIN_GET_CLASS (self)->hooks;
}

// What a peer's handlers hold: the element outlives its peers (they are removed before it stops).
struct SessionRef
{
  GstRtcSignalBin *self;
  std::string session_id;
};

void
count_changed (GstRtcSignalBin *self)
{
  if (auto fn = hooks_of (self).count_changed)
    fn (self, signal_bin (self).sessions.size ());
}

/* --- the peer's handlers (webrtcbin's threads) ------------------------------------------- */

void
on_local_description (GstElement *, const gchar *type, const gchar *sdp, SessionRef *ref)
{
  log_event (ref->self, ref->session_id, std::string ("sent the ") + type);
  signal_bin (ref->self).signalling.send_sdp (ref->session_id, type, sdp);
}

void
on_local_candidate (GstElement *, guint mline, const gchar *candidate, SessionRef *ref)
{
  auto &sb = signal_bin (ref->self);
  log_candidate (ref->self, ref->session_id, true, candidate);
  sb.signalling.send_ice (ref->session_id, mline, candidate);
  // Behind a 1:1 NAT (public-address): the host candidate as the remote peer can reach it.
  std::vector<std::string> publics;
  {
    std::lock_guard lock (sb.settings_lock);
    publics = split_list (sb.settings.public_addresses);
  }
  for (const auto &ip : publics)
    {
      std::string rewritten = public_candidate (candidate ? candidate : "", ip);
      if (!rewritten.empty ())
        sb.signalling.send_ice (ref->session_id, mline, rewritten.c_str ());
    }
}

void
on_connection_state (GstElement *peer, GParamSpec *, SessionRef *ref)
{
  GstWebRTCPeerConnectionState state;
  g_object_get (peer, "connection-state", &state, nullptr);
  auto *self = ref->self;
  std::string sid = ref->session_id;
  run_on_worker (self, [self, sid, state] {
    Session *s = find_session (self, sid);
    if (!s)
      return;
    const auto &hooks = hooks_of (self);
    GEnumValue *ev = g_enum_get_value (
        G_ENUM_CLASS (g_type_class_peek (GST_TYPE_WEBRTC_PEER_CONNECTION_STATE)), state);
    log_state (self, sid, ev ? ev->value_nick : "unknown");
    if (hooks.state_changed)
      hooks.state_changed (self, *s, state);
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !s->connected)
      {
        s->connected = true;
        if (hooks.connected)
          hooks.connected (self, *s);
      }
    else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED
             || state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)
      end_session (self, sid, "the peer connection failed (ICE or DTLS)");
  });
}

void
on_peer_failed (GstElement *, const gchar *reason, SessionRef *ref)
{
  auto *self = ref->self;
  std::string sid = ref->session_id, why = reason;
  run_on_worker (self, [self, sid, why] { end_session (self, sid, why.c_str ()); });
}

/* --- the signaller's handlers (its thread) ----------------------------------------------- */

void
handle_session_requested (GstRtcSignalBin *self, const std::string &sid, const std::string &pid,
                          const std::string &offer)
{
  auto &sb = signal_bin (self);
  if (sb.sessions.count (sid))
    return;
  const auto &hooks = hooks_of (self);
  std::string why = hooks.admit ? hooks.admit (self, sb.sessions.size ()) : "";
  if (!why.empty ())
    {
      GST_WARNING_OBJECT (self, "refusing session %s: %s", sid.c_str (), why.c_str ());
      Session refused;
      refused.session_id = sid;
      refused.peer_id = pid;
      log_begin (self, refused, hooks.peer_noun);
      log_end (self, sid, ("refused: " + why).c_str ());
      sb.signalling.end_session (sid, why.c_str ());
      return;
    }
  std::unique_ptr<Session> s = hooks.new_session ();
  s->session_id = sid;
  s->peer_id = pid;
  s->created_us = g_get_monotonic_time ();
  Session &ref = *s;
  log_begin (self, ref, hooks.peer_noun);
  if (!offer.empty ())
    log_event (self, sid, "received the offer");
  sb.sessions[sid] = std::move (s);
  count_changed (self);
  hooks.begin (self, ref, offer);
}

void
on_sig_session_requested (GObject *, const gchar *session_id, const gchar *peer_id,
                          const gchar *offer, GstRtcSignalBin *self)
{
  std::string sid = session_id, pid = peer_id ? peer_id : "", o = offer ? offer : "";
  run_on_worker (self, [self, sid, pid, o] { handle_session_requested (self, sid, pid, o); });
}

void
on_sig_session_ended (GObject *, const gchar *session_id, GstRtcSignalBin *self)
{
  std::string sid = session_id;
  run_on_worker (self, [self, sid] {
    std::string why = std::string ("the ") + hooks_of (self).peer_noun + " ended the session";
    end_session (self, sid, why.c_str (), false);
  });
}

void
on_sig_sdp (GObject *, const gchar *session_id, const gchar *type, const gchar *sdp,
            GstRtcSignalBin *self)
{
  std::string sid = session_id, t = type, text = sdp;
  run_on_worker (self, [self, sid, t, text] {
    Session *s = find_session (self, sid);
    if (!s)
      {
        GST_WARNING_OBJECT (self, "SDP for unknown session %s ignored", sid.c_str ());
        return;
      }
    log_event (self, sid, "received the " + t);
    hooks_of (self).remote_sdp (self, *s, t, text);
  });
}

void
on_sig_ice (GObject *, const gchar *session_id, guint mline, const gchar *candidate,
            GstRtcSignalBin *self)
{
  std::string sid = session_id, cand = candidate ? candidate : "";
  run_on_worker (self, [self, sid, mline, cand] {
    Session *s = find_session (self, sid);
    if (!s)
      {
        GST_DEBUG_OBJECT (self, "ICE candidate for unknown session %s ignored", sid.c_str ());
        return;
      }
    log_candidate (self, sid, false, cand.c_str ());
    if (!s->peer)
      {
        // A signaller may deliver candidates ahead of the offer: keep a few for later.
        if (s->early_ice.size () < 64)
          s->early_ice.emplace_back (mline, cand);
        return;
      }
    gst_rtc_peer_bin_add_ice_candidate (GST_RTC_PEER_BIN (s->peer.get ()), mline, cand.c_str ());
  });
}

void
poll (GstRtcSignalBin *self)
{
  guint timeout = signal_bin_settings (self).connect_timeout;
  gint64 now = g_get_monotonic_time ();
  std::vector<std::string> stale;
  auto poll_fn = hooks_of (self).poll;
  for (auto &[id, s] : signal_bin (self).sessions)
    {
      if (!s->connected && timeout && now - s->created_us > (gint64)timeout * G_USEC_PER_SEC)
        stale.push_back (id);
      else if (s->peer)
        {
          // One get-stats a second per session, for the dashboard and for the subclass (every
          // 5 s when the subclass no longer needs it: the selected pair for the dashboard).
          if (s->stats_every_poll || s->polls++ % 5 == 0)
            gst_rtc_peer_bin_get_stats (
                GST_RTC_PEER_BIN (s->peer.get ()),
                [] (GstRtcPeerBin *, const GstStructure *stats, gpointer data) {
                  auto *ref = static_cast<SessionRef *> (data);
                  if (!stats)
                    return;
                  log_stats (ref->self, ref->session_id, stats);
                  if (auto fn = hooks_of (ref->self).stats)
                    fn (ref->self, ref->session_id, stats);
                },
                boxed (SessionRef{ self, id }), free_boxed<SessionRef>);
          if (poll_fn)
            poll_fn (self, *s);
        }
    }
  for (auto &id : stale)
    end_session (self, id, "timed out before the peer connection was established");
}

} // namespace

/* --- for subclasses ---------------------------------------------------------------------- */

void
run_on_worker (GstRtcSignalBin *self, std::function<void ()> fn)
{
  if (auto &w = signal_bin (self).worker)
    w->invoke (std::move (fn));
}

void
run_on_worker_sync (GstRtcSignalBin *self, std::function<void ()> fn)
{
  if (auto &w = signal_bin (self).worker)
    w->invoke_sync (std::move (fn));
}

Session *
find_session (GstRtcSignalBin *self, const std::string &session_id)
{
  auto &sessions = signal_bin (self).sessions;
  auto it = sessions.find (session_id);
  return it == sessions.end () ? nullptr : it->second.get ();
}

GstElement *
new_peer (GstRtcSignalBin *self, Session &session)
{
  GstElement *peer = gst_element_factory_make ("rtcpeerbin", nullptr);
  if (!peer)
    {
      refuse_session (self, session.session_id, "internal error: rtcpeerbin is missing");
      return nullptr;
    }
  SignalBinSettings s = signal_bin_settings (self);
  session.peer = Ptr<GstElement>::ref (peer);
  g_object_set (
      peer, "session-id", session.session_id.c_str (), "peer-id", session.peer_id.c_str (),
      "turn-servers", turn_servers_for (s, session.session_id).c_str (), "ice-local-addresses",
      s.ice_local_addresses.c_str (), "ice-port-range", s.ice_port_range.c_str (), nullptr);
  if (!s.stun_server.empty ())
    g_object_set (peer, "stun-server", s.stun_server.c_str (), nullptr);
  auto connect = [&] (const char *signal, GCallback cb) {
    connect_boxed (peer, signal, cb, SessionRef{ self, session.session_id });
  };
  connect ("local-description", G_CALLBACK (on_local_description));
  connect ("local-candidate", G_CALLBACK (on_local_candidate));
  connect ("notify::connection-state", G_CALLBACK (on_connection_state));
  connect ("failed", G_CALLBACK (on_peer_failed));
  watch_data_channels (self, session);
  count_frames (peer, session.frames);
  gst_bin_add (GST_BIN (self), peer);
  return peer;
}

void
start_peer (GstRtcSignalBin *self, Session &session, bool we_offer)
{
  gst_element_sync_state_with_parent (session.peer.get ());
  if (we_offer)
    open_data_channels (self, session);
  // webrtcbin keeps candidates that come before the remote description until it has one.
  for (auto &[mline, cand] : session.early_ice)
    gst_rtc_peer_bin_add_ice_candidate (GST_RTC_PEER_BIN (session.peer.get ()), mline,
                                        cand.c_str ());
  session.early_ice.clear ();
}

void
end_session (GstRtcSignalBin *self, const std::string &session_id, const char *reason,
             bool tell_remote, bool eos)
{
  auto &sessions = signal_bin (self).sessions;
  auto it = sessions.find (session_id);
  if (it == sessions.end ())
    return;
  std::unique_ptr<Session> s = std::move (it->second);
  sessions.erase (it);
  const auto &hooks = hooks_of (self);

  if (hooks.before_peer_stops)
    hooks.before_peer_stops (self, *s);
  // Locked first: the pipeline's own state changes must not restart a peer on its way out.
  forget_data_channels (self, session_id);
  if (s->peer)
    {
      gst_element_set_locked_state (s->peer.get (), TRUE);
      gst_element_set_state (s->peer.get (), GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self), s->peer.get ());
    }
  GST_INFO_OBJECT (self, "%s %s (session %s) left: %s", hooks.peer_noun, s->peer_id.c_str (),
                   session_id.c_str (), reason);
  log_end (self, session_id, reason);
  if (hooks.ended)
    hooks.ended (self, *s, reason, eos);
  count_changed (self);
  if (tell_remote)
    signal_bin (self).signalling.end_session (session_id, reason);
}

void
refuse_session (GstRtcSignalBin *self, const std::string &session_id, const std::string &why)
{
  GST_ELEMENT_WARNING (self, STREAM, CODEC_NOT_FOUND,
                       ("%s refused: %s", hooks_of (self).peer_noun, why.c_str ()),
                       ("session %s", session_id.c_str ()));
  if (find_session (self, session_id))
    end_session (self, session_id, why.c_str ());
  else
    signal_bin (self).signalling.end_session (session_id, why.c_str ());
}

void
stop_sessions (GstRtcSignalBin *self, const char *reason)
{
  auto &sb = signal_bin (self);
  if (!sb.worker)
    return;
  std::string why = reason;
  sb.worker->invoke_sync ([self, why] {
    std::vector<std::string> ids;
    for (auto &[id, s] : signal_bin (self).sessions)
      ids.push_back (id);
    for (auto &id : ids)
      end_session (self, id, why.c_str (), true, false);
  });
}

bool
start_sessions (GstRtcSignalBin *self)
{
  auto &sb = signal_bin (self);
  const auto &hooks = hooks_of (self);
  SignalBinSettings s = signal_bin_settings (self);
  std::string why = check_ice_settings (s);
  if (!why.empty ())
    {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("%s", why.c_str ()), (nullptr));
      return false;
    }
  SignallingConfig config;
  config.address = s.address;
  config.serve = s.serve;
  config.ice_servers = s.stun_server;
  if (!s.turn_servers.empty ())
    config.ice_servers += (config.ice_servers.empty () ? "" : ",") + s.turn_servers;
  config.turn_secret = s.turn_secret;
  config.turn_credential_lifetime = s.turn_credential_lifetime;
  if (auto publics = split_list (s.public_addresses); !publics.empty ())
    config.public_host = publics.front ();
  config.role = signal_bin_role (self);
  if (hooks.configure)
    hooks.configure (self, config);
  // /stats: the subclass's figures with every session's connection record beside them.
  sb.subclass_stats = config.stats_body;
  config.stats_body = [] (gpointer data) -> gchar * {
    auto *bin = GST_RTC_SIGNAL_BIN (data);
    auto sub = signal_bin (bin).subclass_stats;
    g_autofree gchar *theirs = sub ? sub (data) : nullptr;
    std::string json = theirs ? theirs : "{}";
    const std::string conns = "\"connections\":" + connections_json (bin);
    const auto close = json.rfind ('}');
    if (json.empty () || json[0] != '{' || close == std::string::npos)
      return g_strdup (("{" + conns + "}").c_str ());
    const bool empty = json.find_first_not_of (" \n\t", 1) == close;
    json.insert (close, (empty ? "" : ",") + conns);
    return g_strdup (json.c_str ());
  };
  sb.subclass_metrics = config.metrics_body;
  config.metrics_body = [] (gpointer data) -> gchar * {
    auto *bin = GST_RTC_SIGNAL_BIN (data);
    auto sub = signal_bin (bin).subclass_metrics;
    g_autofree gchar *theirs = sub ? sub (data) : nullptr;
    std::string text = theirs ? theirs : "";
    if (!text.empty () && text.back () != '\n')
      text += '\n';
    return g_strdup ((text + connections_metrics (bin)).c_str ());
  };
  if (!sb.signalling.start (GST_ELEMENT (self), config,
                            { G_CALLBACK (on_sig_session_requested),
                              G_CALLBACK (on_sig_session_ended), G_CALLBACK (on_sig_sdp),
                              G_CALLBACK (on_sig_ice) }))
    return false;
  sb.worker->every (1000, [self] { poll (self); });
  if (hooks_of (self).tick)
    sb.worker->every (250, [self] {
      auto tick = hooks_of (self).tick;
      for (auto &[id, s] : signal_bin (self).sessions)
        if (s->peer)
          tick (self, *s);
    });
  return true;
}

} // namespace rtc
