#include "offer.h"

#include <algorithm>
#include <cstring>

namespace rtc::ingest
{

OfferChoice::~OfferChoice ()
{
  for (auto &m : mlines)
    if (m.caps)
      gst_caps_unref (m.caps);
}

// application/x-rtp caps of @pt in @media, without the "a-*" attribute fields that webrtcbin
// also drops; NULL when the payload type has no usable rtpmap.
static GstCaps *
caps_for_pt (const GstSDPMedia *media, guint pt)
{
  GstCaps *caps = gst_sdp_media_get_caps_from_media (media, pt);
  if (!caps)
    return nullptr;
  GstStructure *s = gst_caps_get_structure (caps, 0);
  gst_structure_set_name (s, "application/x-rtp");
  gst_structure_filter_and_map_in_place (
      s,
      [] (GQuark field, GValue *, gpointer) -> gboolean {
        return !g_str_has_prefix (g_quark_to_string (field), "a-");
      },
      nullptr);
  return caps;
}

void
choose_codecs (const std::string &offer, const std::vector<const CodecInfo *> &video,
               const std::vector<const CodecInfo *> &audio, OfferChoice &out)
{
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new (&sdp);
  if (gst_sdp_message_parse_buffer (reinterpret_cast<const guint8 *> (offer.data ()), offer.size (),
                                    sdp)
          != GST_SDP_OK
      || gst_sdp_message_medias_len (sdp) == 0)
    {
      gst_sdp_message_free (sdp);
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
      MlineChoice choice;
      choice.mline = i;
      choice.video = is_video;
      const auto &ours = is_video ? video : audio;
      for (auto *codec : ours)
        {
          GstCaps *best = nullptr;
          guint best_pt = 0;
          for (guint f = 0; f < gst_sdp_media_formats_len (m); f++)
            {
              guint pt = atoi (gst_sdp_media_get_format (m, f));
              GstCaps *caps = caps_for_pt (m, pt);
              if (!caps)
                continue;
              const GstStructure *s = gst_caps_get_structure (caps, 0);
              gint rate = 0;
              gst_structure_get_int (s, "clock-rate", &rate);
              if (g_ascii_strcasecmp (gst_structure_get_string (s, "encoding-name"),
                                      codec->encoding_name)
                      != 0
                  || (guint)rate != codec->clock_rate)
                {
                  gst_caps_unref (caps);
                  continue;
                }
              // H.264 packetization-mode 0 (single NAL units) is the fallback.
              bool mode0
                  = g_str_equal (codec->name, "h264")
                    && g_strcmp0 (gst_structure_get_string (s, "packetization-mode"), "1") != 0;
              if (!best || !mode0)
                {
                  if (best)
                    gst_caps_unref (best);
                  best = caps;
                  best_pt = pt;
                  if (!mode0)
                    break;
                }
              else
                gst_caps_unref (caps);
            }
          if (best)
            {
              choice.codec = codec;
              choice.pt = best_pt;
              choice.caps = best;
              break;
            }
        }
      bool missing = choice.codec == nullptr;
      out.mlines.push_back (choice);
      if (missing && out.error.empty ())
        out.error = std::string ("no supported ") + kind + " codec in the offer: we accept "
                    + (ours.empty () ? std::string ("none") : codec_names (ours));
    }
  gst_sdp_message_free (sdp);
  if (out.mlines.empty () && out.error.empty ())
    out.error = "the offer has no audio or video to receive";
}

} // namespace rtc::ingest
