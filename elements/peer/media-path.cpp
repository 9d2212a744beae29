// The way around webrtcbin's media chain: see media-path.h.
#include "media-path.h"

#include "bin-util.h"
#include "peer-private.h"

#include <gst/rtp/gstrtcpbuffer.h>

#include <algorithm>

#define GST_CAT_DEFAULT rtc_peer_bin_debug

namespace rtc
{

using namespace rtc::peer;

namespace
{

// The session's one DTLS transport, or nullptr when its m-lines use more than one.
Ptr<GstWebRTCDTLSTransport>
bundled_transport (GstRtcPeerBin *self)
{
  Ptr<GstWebRTCDTLSTransport> only;
  bool bundled = true;
  each_transceiver_transport (self, [&] (GstWebRTCDTLSTransport *dtls) {
    if (!only)
      only = Ptr<GstWebRTCDTLSTransport>::ref (dtls);
    bundled = bundled && dtls == only.get ();
  });
  return bundled ? only : Ptr<GstWebRTCDTLSTransport>{};
}

// The nicesink that sends for @dtls, and the srtpenc inside the dtlssrtpenc that feeds it.
struct SendElements
{
  Ptr<GstElement> nicesink, srtpenc, dtlssrtpenc;
};

SendElements
send_elements_of (GstWebRTCDTLSTransport *dtls)
{
  SendElements out;
  GstWebRTCICETransport *ice = nullptr;
  g_object_get (dtls, "transport", &ice, nullptr);
  if (!ice)
    return out;
  if (ice->sink)
    out.nicesink = Ptr<GstElement>::ref (ice->sink);
  gst_object_unref (ice);
  if (!out.nicesink)
    return out;
  // transportsendbin links dtlssrtpenc's src straight to nicesink's sink.
  Ptr<GstPad> sink (gst_element_get_static_pad (out.nicesink.get (), "sink"));
  Ptr<GstPad> upstream (sink ? gst_pad_get_peer (sink.get ()) : nullptr);
  Ptr<GstElement> enc (upstream ? gst_pad_get_parent_element (upstream.get ()) : nullptr);
  if (!enc || !GST_IS_BIN (enc.get ()))
    return out;
  each_element (GST_BIN (enc.get ()), [&out] (GstElement *e) {
    if (!out.srtpenc && made_by (e, "srtpenc"))
      out.srtpenc = Ptr<GstElement>::ref (e);
  });
  out.dtlssrtpenc = std::move (enc);
  return out;
}

// The path, or nullptr while the key is not set yet (or the cipher is not one we speak).
std::shared_ptr<MediaPath>
read_path (const SendElements &els, bool &key_pending)
{
  key_pending = false;
  if (!els.nicesink || !els.srtpenc)
    return nullptr;
  auto path = std::make_shared<MediaPath> ();
  GstBuffer *key = nullptr;
  gboolean random_key = TRUE;
  g_object_get (els.srtpenc.get (), "key", &key, "rtp-cipher", &path->cipher, "rtp-auth",
                &path->auth, "random-key", &random_key, nullptr);
  if (!key || random_key || path->cipher == 0)
    {
      if (key)
        gst_buffer_unref (key);
      key_pending = true;
      return nullptr;
    }
  path->key.resize (gst_buffer_get_size (key));
  gst_buffer_extract (key, 0, path->key.data (), path->key.size ());
  gst_buffer_unref (key);
  GObject *agent = nullptr;
  g_object_get (els.nicesink.get (), "agent", &agent, "stream", &path->stream_id, "component",
                &path->component_id, nullptr);
  if (!agent || !path->stream_id)
    {
      if (agent)
        g_object_unref (agent);
      return nullptr;
    }
  path->agent = Ptr<GObject>::adopt (agent);
  return path;
}

/* --- RTCP probes on webrtcbin's rtpbin ----------------------------------------------------- */

GstPadProbeReturn
on_rtcp_in (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *self = static_cast<GstRtcPeerBin *> (data);
  RtcpTap tap;
  {
    std::lock_guard lock (self->priv->path_lock);
    tap = self->priv->rtcp_tap;
  }
  if (!tap)
    return GST_PAD_PROBE_OK;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    tap (GST_PAD_PROBE_INFO_BUFFER (info));
  else if (GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info))
    for (guint i = 0; i < gst_buffer_list_length (list); i++)
      tap (gst_buffer_list_get (list, i));
  return GST_PAD_PROBE_OK;
}

// The sender SSRC of @buf's first RTCP packet (RR and SR alike: bytes 4-8), 0 when too short.
guint32
first_rtcp_ssrc (GstBuffer *buf)
{
  guint8 head[8];
  if (gst_buffer_extract (buf, 0, head, sizeof head) != sizeof head)
    return 0;
  return GST_READ_UINT32_BE (head + 4);
}

GstPadProbeReturn
on_rtcp_out (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *self = static_cast<GstRtcPeerBin *> (data);
  if (!(GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER))
    return GST_PAD_PROBE_OK;
  const guint32 ssrc = first_rtcp_ssrc (GST_PAD_PROBE_INFO_BUFFER (info));
  std::lock_guard lock (self->priv->path_lock);
  const auto &claimed = self->priv->claimed_ssrcs;
  if (ssrc && std::find (claimed.begin (), claimed.end (), ssrc) != claimed.end ())
    {
      GST_LOG_OBJECT (self, "dropping webrtcbin's RTCP under SSRC %08x: we report it", ssrc);
      return GST_PAD_PROBE_DROP;
    }
  return GST_PAD_PROBE_OK;
}

void
probe_rtpbin_pad (GstRtcPeerBin *self, GstPad *pad)
{
  const gchar *name = GST_PAD_NAME (pad);
  const auto types = GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST);
  if (g_str_has_prefix (name, "recv_rtcp_sink_"))
    gst_pad_add_probe (pad, types, on_rtcp_in, self, nullptr);
  else if (g_str_has_prefix (name, "send_rtcp_src_"))
    gst_pad_add_probe (pad, types, on_rtcp_out, self, nullptr);
}

void
on_rtpbin_pad_added (GstElement *, GstPad *pad, GstRtcPeerBin *self)
{
  probe_rtpbin_pad (self, pad);
}

// Once per peer: the probes live as long as webrtcbin (which this bin owns) and read the
// peer's state under path_lock.
void
install_rtcp_probes (GstRtcPeerBin *self)
{
  {
    std::lock_guard lock (self->priv->path_lock);
    if (self->priv->rtcp_probed)
      return;
    self->priv->rtcp_probed = true;
  }
  Ptr<GstElement> rtpbin (gst_bin_get_by_name (GST_BIN (self->priv->webrtc), "rtpbin"));
  if (!rtpbin)
    {
      GST_WARNING_OBJECT (self, "webrtcbin has no rtpbin: no RTCP tap");
      return;
    }
  g_signal_connect_object (rtpbin.get (), "pad-added", G_CALLBACK (on_rtpbin_pad_added), self,
                           GConnectFlags (0));
  GstIterator *it = gst_element_iterate_pads (rtpbin.get ());
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      probe_rtpbin_pad (self, GST_PAD (g_value_get_object (&item)));
      g_value_reset (&item);
    }
  g_value_unset (&item);
  gst_iterator_free (it);
}

void
on_key_set (GstElement *, GstRtcPeerBin *self)
{
  peer::announce_media_path (self);
}

void
announce (GstRtcPeerBin *self, std::shared_ptr<const MediaPath> path)
{
  MediaPathReady ready;
  {
    std::lock_guard lock (self->priv->path_lock);
    if (self->priv->path_known)
      return;
    self->priv->path_known = true;
    self->priv->path = path;
    ready = self->priv->path_ready;
  }
  if (path)
    GST_INFO_OBJECT (self, "media path ready: ICE stream %u component %u, SRTP cipher %d auth %d",
                     path->stream_id, path->component_id, path->cipher, path->auth);
  else
    GST_INFO_OBJECT (self, "no media path of our own: sending through webrtcbin");
  if (ready)
    ready (path);
}

} // namespace

// transport.cpp calls this once the remote's certificate matched its fingerprint.
void
peer::announce_media_path (GstRtcPeerBin *self)
{
  {
    std::lock_guard lock (self->priv->path_lock);
    if (self->priv->path_known)
      return;
  }
  Ptr<GstWebRTCDTLSTransport> dtls = bundled_transport (self);
  if (!dtls)
    {
      announce (self, nullptr);
      return;
    }
  SendElements els = send_elements_of (dtls.get ());
  bool key_pending = false;
  std::shared_ptr<MediaPath> path = read_path (els, key_pending);
  if (key_pending && els.dtlssrtpenc)
    {
      // The handshake is done but dtlssrtpenc has not set the key yet: it says when.
      bool connect = false;
      {
        std::lock_guard lock (self->priv->path_lock);
        connect = !self->priv->key_watch;
        self->priv->key_watch = true;
      }
      if (connect)
        g_signal_connect_object (els.dtlssrtpenc.get (), "on-key-set", G_CALLBACK (on_key_set),
                                 self, GConnectFlags (0));
      // It may have been set between the read and the connect.
      path = read_path (els, key_pending);
      if (key_pending)
        return;
    }
  if (path)
    install_rtcp_probes (self);
  announce (self, path);
}

void
peer_watch_media_path (GstRtcPeerBin *peer, MediaPathReady ready)
{
  std::shared_ptr<const MediaPath> path;
  bool known = false;
  {
    std::lock_guard lock (peer->priv->path_lock);
    peer->priv->path_ready = ready;
    known = peer->priv->path_known;
    path = peer->priv->path;
  }
  if (known && ready)
    ready (path);
}

void
peer_tap_rtcp (GstRtcPeerBin *peer, RtcpTap tap)
{
  std::lock_guard lock (peer->priv->path_lock);
  peer->priv->rtcp_tap = std::move (tap);
}

void
peer_claim_ssrc (GstRtcPeerBin *peer, guint32 ssrc)
{
  std::lock_guard lock (peer->priv->path_lock);
  auto &claimed = peer->priv->claimed_ssrcs;
  if (std::find (claimed.begin (), claimed.end (), ssrc) == claimed.end ())
    claimed.push_back (ssrc);
}

RepairBudget &
peer_repair_budget (GstRtcPeerBin *peer)
{
  return peer->priv->repair;
}

} // namespace rtc
