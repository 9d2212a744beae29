// rtcpeerbin's pads: request sink pads (one transceiver each, bound to the m-line of a remote
// offer when one awaits our answer) and the sometimes src pads of received streams.
#include "peer-private.h"

#include "codecs.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#define GST_CAT_DEFAULT rtc_peer_bin_debug

namespace rtc::peer
{

// What a request pad of @media takes: RTP, or a codec's encoded stream (common/codecs.h).
static GstCaps *
sink_caps (const char *media, bool with_rtp)
{
  GstCaps *caps
      = with_rtp ? gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, media, nullptr)
                 : gst_caps_new_empty ();
  for (const CodecInfo *c : codecs_of (media))
    gst_caps_append_structure (caps, gst_structure_new_empty (c->encoded_caps));
  return caps;
}
static GstStaticPadTemplate video_src_template
    = GST_STATIC_PAD_TEMPLATE ("video_src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
                               GST_STATIC_CAPS ("application/x-rtp, media=video"));
static GstStaticPadTemplate audio_src_template
    = GST_STATIC_PAD_TEMPLATE ("audio_src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
                               GST_STATIC_CAPS ("application/x-rtp, media=audio"));

void
add_pad_templates (GstElementClass *klass)
{
  for (const char *media : { "video", "audio" })
    {
      Ptr<GstCaps> caps (sink_caps (media, true));
      GStr name (g_strdup_printf ("%s_%%u", media));
      gst_element_class_add_pad_template (
          klass, gst_pad_template_new (name.get (), GST_PAD_SINK, GST_PAD_REQUEST, caps.get ()));
    }
  gst_element_class_add_static_pad_template (klass, &video_src_template);
  gst_element_class_add_static_pad_template (klass, &audio_src_template);
}

/* --- request pads ------------------------------------------------------------------------ */

namespace
{
// A pad requested while a remote offer awaits our answer sends on one of its m-lines, as
// RTCPeerConnection.addTrack() reuses an offered transceiver.
struct Binding
{
  gint mline = -1;
  GstWebRTCRTPTransceiverDirection direction = GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV;
  Ptr<GstCaps> codec; // the offer's payload type for the codec, application/x-rtp
};
} // namespace

// The offer's direction of @m, from the offerer's side.
static const gchar *
media_direction (const GstSDPMedia *m)
{
  for (const char *d : { "sendrecv", "sendonly", "recvonly", "inactive" })
    if (gst_sdp_media_get_attribute_val (m, d))
      return d;
  return "sendrecv";
}

// The first payload type of @m whose encoding-name is @encoding (any when NULL), as caps.
static Ptr<GstCaps>
offered_codec (const GstSDPMedia *m, const gchar *encoding)
{
  for (guint f = 0; f < gst_sdp_media_formats_len (m); f++)
    {
      const gint pt = atoi (gst_sdp_media_get_format (m, f));
      Ptr<GstCaps> caps (gst_sdp_media_get_caps_from_media (m, pt));
      if (!caps || gst_caps_is_empty (caps.get ()))
        continue;
      GST_LOG ("offered %" GST_PTR_FORMAT, caps.get ());
      GstStructure *s = gst_caps_get_structure (caps.get (), 0);
      const gchar *name = gst_structure_get_string (s, "encoding-name");
      // Repair formats are not a codec to send with.
      if (!name || !g_ascii_strcasecmp (name, "rtx") || !g_ascii_strcasecmp (name, "red")
          || !g_ascii_strcasecmp (name, "ulpfec"))
        continue;
      if (encoding && g_ascii_strcasecmp (name, encoding) != 0)
        continue;
      gst_structure_set_name (s, "application/x-rtp");
      return caps;
    }
  return {};
}

static Binding
bind_to_remote_offer (GstRtcPeerBin *self, bool video, const GstCaps *caps)
{
  Binding b;
  GstWebRTCSignalingState state = GST_WEBRTC_SIGNALING_STATE_STABLE;
  g_object_get (self->priv->webrtc, "signaling-state", &state, nullptr);
  if (state != GST_WEBRTC_SIGNALING_STATE_HAVE_REMOTE_OFFER)
    return b;
  GstWebRTCSessionDescription *desc = nullptr;
  g_object_get (self->priv->webrtc, "pending-remote-description", &desc, nullptr);
  if (!desc)
    return b;
  const GstStructure *want = caps && !gst_caps_is_any (caps) && gst_caps_get_size (caps)
                                 ? gst_caps_get_structure (caps, 0)
                                 : nullptr;
  const gchar *encoding = want ? gst_structure_get_string (want, "encoding-name") : nullptr;
  {
    std::lock_guard lock (self->priv->state_lock);
    auto &bound = self->priv->bound_mlines;
    for (guint i = 0; i < gst_sdp_message_medias_len (desc->sdp) && b.mline < 0; i++)
      {
        const GstSDPMedia *m = gst_sdp_message_get_media (desc->sdp, i);
        if (g_strcmp0 (gst_sdp_media_get_media (m), video ? "video" : "audio") != 0
            || (gst_sdp_media_get_port (m) == 0 // rejected, unless only bundled (max-bundle)
                && !gst_sdp_media_get_attribute_val (m, "bundle-only"))
            || std::find (bound.begin (), bound.end (), i) != bound.end ())
          continue;
        const std::string dir = media_direction (m);
        GST_LOG_OBJECT (self, "offer m-line %u: %s, %s", i, gst_sdp_media_get_media (m),
                        dir.c_str ());
        if (dir != "sendrecv" && dir != "recvonly")
          continue; // the offerer would not receive what we send
        Ptr<GstCaps> codec = offered_codec (m, encoding);
        if (!codec)
          continue;
        b.mline = static_cast<gint> (i);
        b.direction = dir == "sendrecv" ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV
                                        : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY;
        b.codec = std::move (codec);
        bound.push_back (i);
      }
  }
  gst_webrtc_session_description_free (desc);
  if (b.mline < 0)
    GST_WARNING_OBJECT (self, "the remote offer has no free %s m-line%s%s we can send on",
                        video ? "video" : "audio", encoding ? " with " : "",
                        encoding ? encoding : "");
  return b;
}

/* --- encoded input ----------------------------------------------------------------------- */

namespace
{
// A request pad's way into webrtcbin: the ghost pad targets webrtcbin's sink pad (RTP in) until
// its first caps say it is a codec's encoded stream; then [parser !] payloader go between.
struct Input
{
  GstRtcPeerBin *self;     // the bin owns the pad: no ref
  Ptr<GstPad> webrtc_sink; // webrtcbin's request pad
  gint mline;              // the remote offer's m-line the pad answers, or -1
  const char *media;
  std::atomic<bool> payloading{ false }; // the chain is in place (queries come on any thread)
  std::mutex lock;                       // guards chain (the first caps' thread, release_pad)
  std::vector<Ptr<GstElement>> chain;    // parser, payloader: made on the first encoded caps
};

Input *
input_of (GstPad *ghost)
{
  return static_cast<Input *> (g_object_get_data (G_OBJECT (ghost), "rtckit-input"));
}
} // namespace

// Caps queries from upstream: webrtcbin's answer (RTP, with the payload type it wants) and the
// encoded streams we can payload ourselves, until the pad is an encoded one.
static gboolean
input_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  Input *in = input_of (pad);
  if (in && !in->payloading)
    switch (GST_QUERY_TYPE (query))
      {
      case GST_QUERY_CAPS:
        {
          GstCaps *filter = nullptr;
          gst_query_parse_caps (query, &filter);
          Ptr<GstCaps> theirs (gst_pad_query_caps (in->webrtc_sink.get (), nullptr));
          GstCaps *all
              = gst_caps_merge (gst_caps_copy (theirs.get ()), sink_caps (in->media, false));
          if (filter)
            {
              GstCaps *f = gst_caps_intersect_full (filter, all, GST_CAPS_INTERSECT_FIRST);
              gst_caps_unref (all);
              all = f;
            }
          gst_query_set_caps_result (query, all);
          gst_caps_unref (all);
          return TRUE;
        }
      case GST_QUERY_ACCEPT_CAPS:
        {
          GstCaps *caps = nullptr;
          gst_query_parse_accept_caps (query, &caps);
          if (const CodecInfo *c = codec_by_encoded_caps (caps))
            {
              gst_query_set_accept_caps_result (query, g_str_equal (c->media, in->media));
              return TRUE;
            }
          break;
        }
      default:
        break;
      }
  return gst_pad_query_default (pad, parent, query);
}

// The codec @encoding as m-line @mline of the remote offer offers it (application/x-rtp, with its
// payload type), or none.
static Ptr<GstCaps>
remote_offer_codec (GstRtcPeerBin *self, gint mline, const gchar *encoding)
{
  GstWebRTCSessionDescription *desc = nullptr;
  g_object_get (self->priv->webrtc, "pending-remote-description", &desc, nullptr);
  if (!desc)
    g_object_get (self->priv->webrtc, "current-remote-description", &desc, nullptr);
  if (!desc)
    return {};
  Ptr<GstCaps> out;
  if ((guint)mline < gst_sdp_message_medias_len (desc->sdp))
    out = offered_codec (gst_sdp_message_get_media (desc->sdp, mline), encoding);
  gst_webrtc_session_description_free (desc);
  return out;
}

// The first encoded caps on @pad: [parser !] payloader between it and webrtcbin, before the
// caps go on (to the parser, then as RTP to webrtcbin). On the upstream streaming thread.
static GstPadProbeReturn
on_input_caps (GstPad *pad, GstPadProbeInfo *info, gpointer)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  Input *in = input_of (pad);
  GstCaps *caps = nullptr;
  gst_event_parse_caps (event, &caps);
  const CodecInfo *codec = codec_by_encoded_caps (caps);
  if (!in || !codec || in->payloading)
    return GST_PAD_PROBE_REMOVE; // RTP (or already payloaded): webrtcbin takes it as it is
  if (!g_str_equal (codec->media, in->media))
    return GST_PAD_PROBE_REMOVE; // refused by the caps check after this probe
  // The payload type: the remote offer's for this codec when the pad answers one (the
  // transceiver then prefers that codec), else the codec table's (webrtcbin offers what the
  // payloader's caps say).
  guint pt = codec->pt;
  if (in->mline >= 0)
    {
      Ptr<GstCaps> offered = remote_offer_codec (in->self, in->mline, codec->encoding_name);
      gint offered_pt = -1;
      if (!offered
          || !gst_structure_get_int (gst_caps_get_structure (offered.get (), 0), "payload",
                                     &offered_pt))
        {
          GST_ELEMENT_ERROR (in->self, STREAM, FORMAT,
                             ("Cannot send %s on %s: the remote offer's m-line %d has no %s",
                              codec->name, GST_PAD_NAME (pad), in->mline, codec->encoding_name),
                             (nullptr));
          return GST_PAD_PROBE_REMOVE;
        }
      pt = (guint)offered_pt;
      GstWebRTCRTPTransceiver *trans = nullptr;
      g_object_get (in->webrtc_sink.get (), "transceiver", &trans, nullptr);
      if (trans)
        {
          g_object_set (trans, "codec-preferences", offered.get (), nullptr);
          gst_object_unref (trans);
        }
    }
  GError *error = nullptr;
  std::vector<GstElement *> chain = make_send_chain (codec, pt, &error);
  if (chain.empty ())
    {
      GST_ELEMENT_ERROR (in->self, CORE, MISSING_PLUGIN,
                         ("Cannot send %s: %s", codec->name, error->message), (nullptr));
      g_error_free (error);
      return GST_PAD_PROBE_REMOVE;
    }
  GST_DEBUG_OBJECT (in->self, "%s: %s in, payloaded as %u", GST_PAD_NAME (pad), codec->name, pt);
  for (auto *e : chain)
    gst_bin_add (GST_BIN (in->self), e);
  {
    std::lock_guard lock (in->lock); // only for the vector: no call into elements under it
    for (auto *e : chain)
      in->chain.push_back (Ptr<GstElement>::ref (e));
  }
  bool linked = true;
  for (std::size_t i = 1; i < chain.size (); i++)
    linked = linked && gst_element_link (chain[i - 1], chain[i]);
  Ptr<GstPad> out (gst_element_get_static_pad (chain.back (), "src"));
  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), nullptr);
  linked = linked && GST_PAD_LINK_SUCCESSFUL (gst_pad_link (out.get (), in->webrtc_sink.get ()));
  for (auto *e : chain)
    gst_element_sync_state_with_parent (e);
  Ptr<GstPad> first (gst_element_get_static_pad (chain.front (), "sink"));
  linked = linked && gst_ghost_pad_set_target (GST_GHOST_PAD (pad), first.get ());
  if (!linked)
    GST_ELEMENT_ERROR (in->self, CORE, NEGOTIATION,
                       ("Cannot send %s on %s: its payloader does not link to webrtcbin",
                        codec->name, GST_PAD_NAME (pad)),
                       (nullptr));
  in->payloading = true;
  return GST_PAD_PROBE_REMOVE;
}

GstPad *
request_new_pad (GstElement *element, GstPadTemplate *templ, const gchar *name, const GstCaps *caps)
{
  auto *self = GST_RTC_PEER_BIN (element);
  bool video = g_str_has_prefix (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "video");
  // Caps of an encoded stream: bound by its codec's RTP name, and no codec preferences of their
  // own (the payloader's caps, or the remote offer's codec, say it later).
  Ptr<GstCaps> as_rtp;
  if (const CodecInfo *encoded = codec_by_encoded_caps (caps))
    {
      as_rtp = Ptr<GstCaps> (gst_caps_new_simple ("application/x-rtp", "encoding-name",
                                                  G_TYPE_STRING, encoded->encoding_name, nullptr));
      caps = nullptr;
    }
  Binding bound = bind_to_remote_offer (self, video, as_rtp ? as_rtp.get () : caps);
  Ptr<GstPad> wpad;
  if (bound.mline >= 0)
    {
      // webrtcbin 1.22 makes no transceiver for a remote offer's m-line before the answer:
      // sink_N makes one on m-line N, which create-answer then uses for that m-line.
      GStr wname (g_strdup_printf ("sink_%d", bound.mline));
      wpad = Ptr<GstPad> (gst_element_request_pad_simple (self->priv->webrtc, wname.get ()));
    }
  else
    wpad = Ptr<GstPad> (gst_element_request_pad_simple (self->priv->webrtc, "sink_%u"));
  if (!wpad)
    return nullptr;
  GstWebRTCRTPTransceiverDirection direction;
  {
    std::lock_guard lock (self->priv->settings_lock);
    direction = self->priv->settings.direction;
  }
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_object_get (wpad.get (), "transceiver", &trans, nullptr);
  if (trans)
    {
      if (bound.mline >= 0)
        {
          direction = bound.direction;
          g_object_set (trans, "codec-preferences", bound.codec.get (), nullptr);
        }
      else if (caps && !gst_caps_is_any (caps) && !gst_caps_is_empty (caps))
        g_object_set (trans, "codec-preferences", caps, nullptr);
      g_object_set (trans, "direction", direction, nullptr);
      if (video)
        g_object_set (trans, "do-nack", TRUE, nullptr);
      gst_object_unref (trans);
    }
  GST_DEBUG_OBJECT (self, "%s pad on %s, m-line %d", video ? "video" : "audio",
                    GST_PAD_NAME (wpad.get ()), bound.mline);
  GStr pad_name;
  if (name)
    pad_name = GStr (g_strdup (name));
  else
    pad_name = GStr (g_strdup_printf (video ? "video_%u" : "audio_%u", self->priv->next_pad));
  self->priv->next_pad++;
  GstPad *ghost = gst_ghost_pad_new_from_template (pad_name.get (), wpad.get (), templ);
  auto *in = new Input{ self, wpad, bound.mline, video ? "video" : "audio" };
  g_object_set_data_full (G_OBJECT (ghost), "rtckit-input", in,
                          [] (gpointer d) { delete static_cast<Input *> (d); });
  gst_pad_set_query_function (ghost, input_query);
  gst_pad_add_probe (ghost, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_input_caps, nullptr, nullptr);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (element, ghost);
  return ghost;
}

void
release_pad (GstElement *element, GstPad *pad)
{
  Input *in = input_of (pad);
  Ptr<GstPad> webrtc_sink = in ? in->webrtc_sink : Ptr<GstPad> ();
  std::vector<Ptr<GstElement>> chain;
  if (in)
    {
      std::lock_guard lock (in->lock);
      chain = in->chain;
    }
  gst_element_remove_pad (element, pad);
  // (While the bin is disposed, its children may be gone already.)
  for (auto &e : chain)
    if (GST_OBJECT_PARENT (e.get ()) == GST_OBJECT (element))
      {
        gst_element_set_state (e.get (), GST_STATE_NULL);
        gst_bin_remove (GST_BIN (element), e.get ());
      }
  // webrtcbin's pad, unless webrtcbin let go of it already (its parent is then none).
  Ptr<GstElement> webrtc (webrtc_sink ? GST_ELEMENT (gst_pad_get_parent (webrtc_sink.get ()))
                                      : nullptr);
  if (webrtc)
    gst_element_release_request_pad (webrtc.get (), webrtc_sink.get ());
}

/* --- received streams -------------------------------------------------------------------- */

// The m-line of @media that carries payload type @pt in the negotiated session, or -1.
static gint
mline_for_payload (GstRtcPeerBin *self, const gchar *media, gint pt)
{
  GstWebRTCSessionDescription *desc = nullptr;
  g_object_get (self->priv->webrtc, "current-local-description", &desc, nullptr);
  if (!desc)
    return -1;
  gint found = -1;
  const std::string want = std::to_string (pt);
  for (guint i = 0; i < gst_sdp_message_medias_len (desc->sdp) && found < 0; i++)
    {
      const GstSDPMedia *m = gst_sdp_message_get_media (desc->sdp, i);
      if (g_strcmp0 (gst_sdp_media_get_media (m), media) != 0)
        continue;
      for (guint f = 0; f < gst_sdp_media_formats_len (m); f++)
        if (want == gst_sdp_media_get_format (m, f))
          found = static_cast<gint> (i);
    }
  gst_webrtc_session_description_free (desc);
  return found;
}

// Transceivers webrtcbin makes for a remote offer's m-lines: video ones ask for lost packets
// again (NACK, and RTX when the offer has it), as the ones we add ourselves do. Called with
// webrtcbin's lock held: read nothing from webrtcbin here.
static void
on_new_transceiver (GstElement *, GstWebRTCRTPTransceiver *trans, GstRtcPeerBin *)
{
  // The kind is often still unknown here (webrtcbin 1.22 learns it from the caps later); an
  // audio m-line gets no NACK all the same, as offers do not ask for it there.
  GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
  g_object_get (trans, "kind", &kind, nullptr);
  if (kind != GST_WEBRTC_KIND_AUDIO)
    g_object_set (trans, "do-nack", TRUE, nullptr);
}

// webrtcbin's src_%u (one per received stream) appear on their first packet, on a streaming
// thread. Bundled streams are told apart by payload type here: webrtcbin 1.22 tied an SSRC that
// no a=ssrc announced to the wrong transceiver (the audio of a sender without a=ssrc came out on
// the video m-line, and its video on a second pad of the same name, which nobody could link).
static void
on_webrtc_pad_added (GstElement *, GstPad *pad, GstRtcPeerBin *self)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  bool video = false;
  guint mline = 0;
  bool by_payload = false;
  if (Ptr<GstCaps> caps{ gst_pad_get_current_caps (pad) })
    {
      const GstStructure *st = gst_caps_get_structure (caps.get (), 0);
      const gchar *media = gst_structure_get_string (st, "media");
      gint pt = -1;
      if (media && gst_structure_get_int (st, "payload", &pt))
        {
          const gint m = mline_for_payload (self, media, pt);
          if (m >= 0)
            {
              mline = static_cast<guint> (m);
              video = g_str_equal (media, "video");
              by_payload = true;
            }
        }
    }
  GstWebRTCRTPTransceiver *trans = nullptr;
  if (!by_payload)
    g_object_get (pad, "transceiver", &trans, nullptr);
  if (trans)
    {
      GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
      g_object_get (trans, "mlineindex", &mline, "kind", &kind, nullptr);
      video = kind == GST_WEBRTC_KIND_VIDEO;
      if (kind == GST_WEBRTC_KIND_UNKNOWN)
        {
          Ptr<GstCaps> caps (gst_pad_get_current_caps (pad));
          const gchar *media
              = caps ? gst_structure_get_string (gst_caps_get_structure (caps.get (), 0), "media")
                     : nullptr;
          video = g_strcmp0 (media, "video") == 0;
        }
      gst_object_unref (trans);
    }
  else if (!by_payload && sscanf (GST_PAD_NAME (pad), "src_%u", &mline) != 1)
    return;
  GStr name (g_strdup_printf (video ? "video_src_%u" : "audio_src_%u", mline));
  // A second stream on the same m-line (the sender changed its SSRC): a name of its own.
  if (Ptr<GstPad> existing{ gst_element_get_static_pad (GST_ELEMENT (self), name.get ()) })
    name = GStr (g_strdup_printf ("%s_%s", name.get (), GST_PAD_NAME (pad)));
  GstPadTemplate *templ
      = gst_static_pad_template_get (video ? &video_src_template : &audio_src_template);
  GstPad *ghost = gst_ghost_pad_new_from_template (name.get (), pad, templ);
  gst_object_unref (templ);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
}

static void
on_webrtc_pad_removed (GstElement *, GstPad *pad, GstRtcPeerBin *self)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  GstPad *found = nullptr;
  GST_OBJECT_LOCK (self);
  for (GList *l = GST_ELEMENT (self)->srcpads; l && !found; l = l->next)
    {
      Ptr<GstPad> target (gst_ghost_pad_get_target (GST_GHOST_PAD (l->data)));
      if (target.get () == pad)
        found = GST_PAD (gst_object_ref (l->data));
    }
  GST_OBJECT_UNLOCK (self);
  if (found)
    {
      gst_element_remove_pad (GST_ELEMENT (self), found);
      gst_object_unref (found);
    }
}

void
connect_pad_signals (GstRtcPeerBin *self)
{
  GstElement *webrtc = self->priv->webrtc;
  g_signal_connect (webrtc, "pad-added", G_CALLBACK (on_webrtc_pad_added), self);
  g_signal_connect (webrtc, "pad-removed", G_CALLBACK (on_webrtc_pad_removed), self);
  g_signal_connect (webrtc, "on-new-transceiver", G_CALLBACK (on_new_transceiver), self);
}

} // namespace rtc::peer

/* --- receive mode ------------------------------------------------------------------------ */

void
gst_rtc_peer_bin_add_receiver (GstRtcPeerBin *self, const GstCaps *caps)
{
  g_return_if_fail (GST_IS_RTC_PEER_BIN (self));
  const GstStructure *s
      = caps && gst_caps_get_size (caps) ? gst_caps_get_structure (caps, 0) : nullptr;
  bool video = s && g_strcmp0 (gst_structure_get_string (s, "media"), "video") == 0;
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_signal_emit_by_name (self->priv->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
  if (!trans)
    return;
  // Loss on video is repaired by NACK (RTX when the sender offers it) before a PLI.
  if (video)
    g_object_set (trans, "do-nack", TRUE, nullptr);
  gst_object_unref (trans);
}
