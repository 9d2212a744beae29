// ICE settings and events, and the DTLS certificate check against the remote SDP's
// a=fingerprint (webrtcbin 1.22 does not make it).
#include "peer-private.h"

#include "bin-util.h"
#include "string-util.h"

#include <algorithm>
#include <cstring>

#define GST_CAT_DEFAULT rtc_peer_bin_debug

namespace rtc::peer
{

void
fail (GstRtcPeerBin *self, const gchar *reason)
{
  GST_WARNING_OBJECT (self, "peer connection failed: %s", reason);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, reason);
}

/* --- DTLS fingerprint verification ------------------------------------------------------ */

static std::string
fingerprint_of_pem (const gchar *pem)
{
  const gchar *begin = strstr (pem, "-----BEGIN CERTIFICATE-----");
  const gchar *end = begin ? strstr (begin, "-----END CERTIFICATE-----") : nullptr;
  if (!begin || !end)
    return {};
  begin += strlen ("-----BEGIN CERTIFICATE-----");
  std::string b64 (begin, end - begin);
  gsize len = 0;
  guchar *der = g_base64_decode (b64.c_str (), &len);
  if (!der || len == 0)
    {
      g_free (der);
      return {};
    }
  guint8 digest[32];
  gsize dlen = sizeof (digest);
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, der, len);
  g_checksum_get_digest (sum, digest, &dlen);
  g_checksum_free (sum);
  g_free (der);
  std::string out;
  char hex[4];
  for (gsize i = 0; i < dlen; i++)
    {
      g_snprintf (hex, sizeof hex, i ? ":%02X" : "%02X", digest[i]);
      out += hex;
    }
  return out;
}

// The sha-256 a=fingerprint of @sdp (session or media level), else the first one, else "".
// Some peers (aiortc) list sha-256, sha-384 and sha-512.
static std::string
sdp_fingerprint (const GstSDPMessage *sdp)
{
  std::string first;
  auto consider = [&first] (const gchar *fp) {
    if (!fp)
      return false;
    if (first.empty ())
      first = fp;
    return g_ascii_strncasecmp (fp, "sha-256 ", 8) == 0;
  };
  for (guint a = 0;; a++)
    {
      const gchar *fp = gst_sdp_message_get_attribute_val_n (sdp, "fingerprint", a);
      if (!fp)
        break;
      if (consider (fp))
        return fp;
    }
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    for (guint a = 0;; a++)
      {
        const gchar *fp = gst_sdp_media_get_attribute_val_n (gst_sdp_message_get_media (sdp, i),
                                                             "fingerprint", a);
        if (!fp)
          break;
        if (consider (fp))
          return fp;
      }
  return first;
}

void
remember_remote_fingerprint (GstRtcPeerBin *self, const GstSDPMessage *sdp)
{
  std::string fp = sdp_fingerprint (sdp);
  std::lock_guard lock (self->priv->state_lock);
  self->priv->remote_fingerprint = fp;
}

static void
on_dtls_state (GObject *transport, GParamSpec *, GstRtcPeerBin *self)
{
  GstWebRTCDTLSTransportState state;
  g_object_get (transport, "state", &state, nullptr);
  if (state != GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED)
    return;
  GStr pem;
  g_object_get (transport, "remote-certificate", pem.out (), nullptr);
  std::string expected;
  {
    std::lock_guard lock (self->priv->state_lock);
    expected = self->priv->remote_fingerprint;
    self->priv->fingerprint_checked = true;
  }
  // expected is "<hash-func> <hex>"; only sha-256 is used by every browser and by webrtcbin.
  auto space = expected.find (' ');
  std::string func = space == std::string::npos ? "" : expected.substr (0, space);
  std::string hex = space == std::string::npos ? "" : expected.substr (space + 1);
  if (g_ascii_strcasecmp (func.c_str (), "sha-256") != 0)
    {
      fail (self, "remote SDP has no sha-256 a=fingerprint: refusing an unverifiable DTLS peer");
      return;
    }
  std::string actual = pem ? fingerprint_of_pem (pem.get ()) : "";
  if (actual.empty () || g_ascii_strcasecmp (actual.c_str (), hex.c_str ()) != 0)
    {
      GST_ERROR_OBJECT (self, "DTLS fingerprint mismatch: SDP says %s, certificate is %s",
                        hex.c_str (), actual.c_str ());
      fail (self, "DTLS certificate does not match the SDP fingerprint");
      return;
    }
  GST_INFO_OBJECT (self, "DTLS certificate matches the SDP fingerprint");
  announce_media_path (self);
}

static void
watch_transport (GstRtcPeerBin *self, GstWebRTCDTLSTransport *dtls)
{
  std::lock_guard lock (self->priv->state_lock);
  auto &seen = self->priv->watched_transports;
  if (std::find (seen.begin (), seen.end (), dtls) != seen.end ())
    return;
  seen.push_back (dtls);
  // The transport lives as long as webrtcbin, which this bin owns.
  g_signal_connect_object (dtls, "notify::state", G_CALLBACK (on_dtls_state), self,
                           GConnectFlags (0));
}

void
each_transceiver_transport (GstRtcPeerBin *self,
                            const std::function<void (GstWebRTCDTLSTransport *)> &fn)
{
  GArray *transceivers = nullptr;
  g_signal_emit_by_name (self->priv->webrtc, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len; i++)
    {
      auto *trans = g_array_index (transceivers, GstWebRTCRTPTransceiver *, i);
      GstWebRTCRTPSender *sender = nullptr;
      g_object_get (trans, "sender", &sender, nullptr);
      GstWebRTCDTLSTransport *dtls = nullptr;
      if (sender)
        g_object_get (sender, "transport", &dtls, nullptr);
      if (dtls)
        {
          fn (dtls);
          gst_object_unref (dtls);
        }
      if (sender)
        gst_object_unref (sender);
    }
  if (transceivers)
    g_array_unref (transceivers);
}

// @fn on every DTLS transport: the transceivers' and the data channels' (a session with data
// channels only has no transceiver: its DTLS transport is the SCTP one's).
static void
each_dtls_transport (GstRtcPeerBin *self, const std::function<void (GstWebRTCDTLSTransport *)> &fn)
{
  each_transceiver_transport (self, fn);
  GObject *sctp = nullptr;
  g_object_get (self->priv->webrtc, "sctp-transport", &sctp, nullptr);
  if (sctp)
    {
      GstWebRTCDTLSTransport *dtls = nullptr;
      g_object_get (sctp, "transport", &dtls, nullptr);
      if (dtls)
        {
          fn (dtls);
          gst_object_unref (dtls);
        }
      g_object_unref (sctp);
    }
}

// Called once the remote description is applied, when webrtcbin has created its transports.
void
watch_dtls_transports (GstRtcPeerBin *self)
{
  each_dtls_transport (self, [self] (GstWebRTCDTLSTransport *dtls) { watch_transport (self, dtls); });
}

void
detach_receive_bins (GstRtcPeerBin *self)
{
  std::vector<Ptr<GstElement>> bins;
  each_element (GST_BIN (self->priv->webrtc), [&bins] (GstElement *e) {
    if (g_str_equal (G_OBJECT_TYPE_NAME (e), "TransportReceiveBin"))
      bins.push_back (Ptr<GstElement>::ref (e));
  });
  if (bins.empty ())
    return;
  guint n = 0;
  each_dtls_transport (self, [&bins, &n] (GstWebRTCDTLSTransport *dtls) {
    GObject *ice = nullptr;
    g_object_get (dtls, "transport", &ice, nullptr);
    if (!ice)
      return;
    for (const auto &bin : bins)
      n += g_signal_handlers_disconnect_matched (ice, G_SIGNAL_MATCH_DATA, 0, 0, nullptr, nullptr,
                                                 bin.get ());
    g_object_unref (ice);
  });
  GST_DEBUG_OBJECT (self, "%u receive bin(s) no longer follow their ICE transport's state", n);
}

/* --- ICE --------------------------------------------------------------------------------- */

void
apply_ice_settings (GstRtcPeerBin *self)
{
  Settings s;
  {
    std::lock_guard lock (self->priv->settings_lock);
    s = self->priv->settings;
  }
  // No UPnP: libnice would multicast SSDP discovery to the LAN for every viewer and open a
  // GUPnP HTTP server per agent; seen ending in a double free when many agents share a process.
  {
    GObject *ice = nullptr, *agent = nullptr;
    g_object_get (self->priv->webrtc, "ice-agent", &ice, nullptr);
    if (ice && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
      g_object_get (ice, "agent", &agent, nullptr);
    if (agent)
      {
        g_object_set (agent, "upnp", FALSE, nullptr);
        g_object_unref (agent);
      }
    if (ice && s.ice_min_port)
      g_object_set (ice, "min-rtp-port", s.ice_min_port, "max-rtp-port", s.ice_max_port, nullptr);
    if (ice)
      g_object_unref (ice);
  }
  if (!s.stun_server.empty ())
    g_object_set (self->priv->webrtc, "stun-server", s.stun_server.c_str (), nullptr);
  for (const auto &turn : split_list (s.turn_servers))
    {
      gboolean ok = FALSE;
      g_signal_emit_by_name (self->priv->webrtc, "add-turn-server", turn.c_str (), &ok);
      if (!ok)
        GST_WARNING_OBJECT (self, "webrtcbin refused TURN server %s", turn.c_str ());
    }
  auto addrs = split_list (s.ice_local_addresses);
  if (!addrs.empty ())
    {
      GObject *ice = nullptr;
      g_object_get (self->priv->webrtc, "ice-agent", &ice, nullptr);
      for (const auto &a : addrs)
        {
          gboolean ok = FALSE;
          if (ice)
            g_signal_emit_by_name (ice, "add-local-ip-address", a.c_str (), &ok);
          if (!ok)
            GST_WARNING_OBJECT (self, "could not restrict ICE to %s", a.c_str ());
        }
      if (ice)
        g_object_unref (ice);
    }
}

static void
on_ice_candidate (GstElement *, guint mline, const gchar *candidate, GstRtcPeerBin *self)
{
  g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, mline, candidate);
}

// Gathering done: an empty candidate tells the signaller (WHIP/WHEP put the candidates they
// have into the SDP they send then, instead of waiting for a timeout).
static void
on_gathering_state (GObject *webrtc, GParamSpec *, GstRtcPeerBin *self)
{
  GstWebRTCICEGatheringState state;
  g_object_get (webrtc, "ice-gathering-state", &state, nullptr);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  {
    std::lock_guard lock (self->priv->state_lock);
    if (self->priv->gathering_done)
      return;
    self->priv->gathering_done = true;
  }
  g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, 0u, "");
}

static void
on_connection_state (GObject *, GParamSpec *, GstRtcPeerBin *self)
{
  g_object_notify (G_OBJECT (self), "connection-state");
}

void
connect_transport_signals (GstRtcPeerBin *self)
{
  GstElement *webrtc = self->priv->webrtc;
  g_signal_connect (webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (webrtc, "notify::connection-state", G_CALLBACK (on_connection_state), self);
  g_signal_connect (webrtc, "notify::ice-gathering-state", G_CALLBACK (on_gathering_state), self);
}

} // namespace rtc::peer
