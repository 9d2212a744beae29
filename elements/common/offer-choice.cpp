#include "offer-choice.h"

#include <gst/rtp/gstrtppayloads.h>

#include <cstring>
#include <utility>

namespace rtc
{

MlineChoice::MlineChoice (MlineChoice &&o) noexcept
    : mline (o.mline), video (o.video), codec (o.codec), pt (o.pt),
      caps (std::exchange (o.caps, nullptr))
{
}

MlineChoice &
MlineChoice::operator= (MlineChoice &&o) noexcept
{
  if (this != &o)
    {
      if (caps)
        gst_caps_unref (caps);
      mline = o.mline;
      video = o.video;
      codec = o.codec;
      pt = o.pt;
      caps = std::exchange (o.caps, nullptr);
    }
  return *this;
}

MlineChoice::~MlineChoice ()
{
  if (caps)
    gst_caps_unref (caps);
}

GstSDPMessage *
parse_sdp (const std::string &text)
{
  // GstSdp takes an empty buffer for a programming error (a critical), not for bad input, and
  // copies bytes that are not UTF-8 into caps fields (a warning per field, "please file a bug").
  if (text.empty () || !g_utf8_validate (text.data (), static_cast<gssize> (text.size ()), nullptr))
    return nullptr;
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new (&sdp);
  if (gst_sdp_message_parse_buffer (reinterpret_cast<const guint8 *> (text.data ()), text.size (),
                                    sdp)
          != GST_SDP_OK
      || gst_sdp_message_medias_len (sdp) == 0)
    {
      gst_sdp_message_free (sdp);
      return nullptr;
    }
  return sdp;
}

// application/x-rtp caps of @pt in @media, without the "a-*" attribute fields that webrtcbin
// also drops, always with an encoding-name; NULL when the payload type has no usable rtpmap.
static GstCaps *
caps_for_pt (const GstSDPMedia *media, guint pt)
{
  GstCaps *caps = gst_sdp_media_get_caps_from_media (media, pt);
  if (!caps)
    return nullptr;
  GstStructure *s = gst_caps_get_structure (caps, 0);
  if (!gst_structure_has_field_typed (s, "encoding-name", G_TYPE_STRING))
    {
      // RFC 3551: a static payload type may come without an a=rtpmap; its name is the table's.
      const GstRTPPayloadInfo *info = pt < 96 ? gst_rtp_payload_info_for_pt (pt) : nullptr;
      if (!info || !info->encoding_name)
        {
          gst_caps_unref (caps);
          return nullptr;
        }
      gst_structure_set (s, "encoding-name", G_TYPE_STRING, info->encoding_name, nullptr);
    }
  gst_structure_set_name (s, "application/x-rtp");
  gst_structure_filter_and_map_in_place (
      s,
      [] (GQuark field, GValue *, gpointer) -> gboolean {
        return !g_str_has_prefix (g_quark_to_string (field), "a-");
      },
      nullptr);
  return caps;
}

// How well the offer's format @s suits @codec (higher is better, 0 = unusable).
static int
format_rank (const CodecInfo *codec, const GstStructure *s, OfferUse use)
{
  gint rate = 0;
  gst_structure_get_int (s, "clock-rate", &rate);
  if (g_ascii_strcasecmp (gst_structure_get_string (s, "encoding-name"), codec->encoding_name) != 0
      || (guint)rate != codec->clock_rate)
    return 0;
  if (!g_str_equal (codec->name, "h264"))
    return 1;
  bool mode1 = g_strcmp0 (gst_structure_get_string (s, "packetization-mode"), "1") == 0;
  if (use == OfferUse::Receive)
    return mode1 ? 2 : 1;
  if (!mode1)
    return 0;
  const gchar *plid = gst_structure_get_string (s, "profile-level-id");
  if (plid && g_ascii_strncasecmp (plid, "42e0", 4) == 0)
    return 4;
  if (plid && g_ascii_strncasecmp (plid, "4200", 4) == 0)
    return 3;
  return 2;
}

static const char kStartBitrateKbps[] = "2000";

void
ask_for_feedback (GstCaps *caps)
{
  for (guint i = 0; i < gst_caps_get_size (caps); i++)
    {
      GstStructure *st = gst_caps_get_structure (caps, i);
      if (g_strcmp0 (gst_structure_get_string (st, "media"), "video") != 0)
        continue;
      gchar *field = g_strdup_printf ("extmap-%u", kTwccExtId);
      gst_structure_set (st, field, G_TYPE_STRING, kTwccUri, "x-google-start-bitrate",
                         G_TYPE_STRING, kStartBitrateKbps, nullptr);
      g_free (field);
    }
}

guint
twcc_extmap_id (const GstSDPMedia *m)
{
  for (guint i = 0;; i++)
    {
      const gchar *v = gst_sdp_media_get_attribute_val_n (m, "extmap", i);
      if (!v)
        return 0;
      // "N[/direction] URI [attributes]"
      gchar **parts = g_strsplit (v, " ", 3);
      guint id = 0;
      if (parts[0] && parts[1] && g_str_equal (parts[1], kTwccUri))
        id = (guint)g_ascii_strtoull (parts[0], nullptr, 10);
      g_strfreev (parts);
      if (id >= 1 && id <= 14)
        return id;
    }
}

MlineChoice
choose_codec (const GstSDPMedia *m, guint mline, const std::vector<const CodecInfo *> &ours,
              OfferUse use)
{
  MlineChoice choice;
  choice.mline = mline;
  choice.video = g_strcmp0 (gst_sdp_media_get_media (m), "video") == 0;
  for (auto *codec : ours)
    {
      int best_rank = 0;
      for (guint f = 0; f < gst_sdp_media_formats_len (m); f++)
        {
          // An RTP payload type is 7 bits; "200", "-1" or "96x" is none.
          guint64 pt = 0;
          if (!g_ascii_string_to_unsigned (gst_sdp_media_get_format (m, f), 10, 0, 127, &pt,
                                           nullptr))
            continue;
          GstCaps *caps = caps_for_pt (m, static_cast<guint> (pt));
          if (!caps)
            continue;
          int rank = format_rank (codec, gst_caps_get_structure (caps, 0), use);
          if (rank > best_rank)
            {
              best_rank = rank;
              if (choice.caps)
                gst_caps_unref (choice.caps);
              choice.caps = caps;
              choice.pt = static_cast<guint> (pt);
              choice.codec = codec;
            }
          else
            gst_caps_unref (caps);
        }
      if (choice.codec)
        break;
    }
  // Receiving: answer the offerer's transport-cc extension, so that webrtcbin's RTP session
  // sends TWCC feedback and the sender's congestion control can ramp up (a browser without
  // feedback stays near its 300 kbit/s start and scales the picture down).
  if (choice.caps && use == OfferUse::Receive)
    {
      GstStructure *st = gst_caps_get_structure (choice.caps, 0);
      if (guint id = twcc_extmap_id (m))
        {
          gchar *field = g_strdup_printf ("extmap-%u", id);
          gst_structure_set (st, field, G_TYPE_STRING, kTwccUri, nullptr);
          g_free (field);
        }
      // Browsers start video at ~300 kbit/s and pick a small picture for it; what they publish
      // to be recorded should start at the size they capture. libwebrtc reads this from the
      // codec parameters of the answer (other senders ignore it).
      if (choice.video)
        gst_structure_set (st, "x-google-start-bitrate", G_TYPE_STRING, kStartBitrateKbps, nullptr);
    }
  return choice;
}

bool
mline_usable (const GstSDPMedia *m, OfferUse use)
{
  // Port 0 rejects an m-line, except a bundle-only one (webrtcbin's max-bundle offers).
  if (gst_sdp_media_get_port (m) == 0 && !gst_sdp_media_get_attribute_val (m, "bundle-only"))
    return false;
  bool sendonly = gst_sdp_media_get_attribute_val (m, "sendonly") != nullptr;
  bool recvonly = gst_sdp_media_get_attribute_val (m, "recvonly") != nullptr;
  bool inactive = gst_sdp_media_get_attribute_val (m, "inactive") != nullptr;
  if (inactive)
    return false;
  return use == OfferUse::Receive ? !recvonly : !sendonly;
}

void
choose_codecs (const std::string &offer, const std::vector<const CodecInfo *> &video,
               const std::vector<const CodecInfo *> &audio, OfferChoice &out)
{
  GstSDPMessage *sdp = parse_sdp (offer);
  if (!sdp)
    {
      out.error = "the offer is not a valid SDP with media";
      return;
    }
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
      const gchar *kind = gst_sdp_media_get_media (m);
      bool is_video = g_strcmp0 (kind, "video") == 0;
      if (!is_video && g_strcmp0 (kind, "audio") != 0)
        continue;
      const auto &ours = is_video ? video : audio;
      MlineChoice choice = choose_codec (m, i, ours, OfferUse::Receive);
      bool missing = choice.codec == nullptr;
      out.mlines.push_back (std::move (choice));
      if (missing && out.error.empty ())
        out.error = std::string ("no supported ") + kind + " codec in the offer: we accept "
                    + (ours.empty () ? std::string ("none") : codec_names (ours));
    }
  gst_sdp_message_free (sdp);
  if (out.mlines.empty () && out.error.empty ())
    out.error = "the offer has no audio or video to receive";
}

} // namespace rtc
