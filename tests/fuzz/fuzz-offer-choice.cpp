/* libFuzzer target: the choice of codecs and payload types in a remote SDP offer
 * (elements/common/offer-choice), as rtcingestsrc makes it for a publisher's offer (receive) and
 * rtcbroadcastsink for a WHEP player's (send), on GstSdp's parse of the offer.
 *
 * Input: one SDP offer. Checked: every m-line choice with a codec names one of the codecs asked
 * for, a payload type an RTP packet can carry (0..127) that the m-line offers, and
 * application/x-rtp caps of that payload type with the codec's encoding name and clock rate; a
 * choice that the receiving side accepts has a codec on every audio/video m-line. */
#include "codecs.h"
#include "fuzz-check.h"
#include "offer-choice.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace
{

std::vector<const rtc::CodecInfo *> video, audio;

void
check_choice (const rtc::MlineChoice &c, const GstSDPMedia *m,
              const std::vector<const rtc::CodecInfo *> &asked)
{
  if (!c.codec)
    return;
  FUZZ_CHECK (std::find (asked.begin (), asked.end (), c.codec) != asked.end ());
  FUZZ_CHECK (c.pt <= 127);
  bool offered = false;
  for (guint f = 0; f < gst_sdp_media_formats_len (m); f++)
    {
      guint64 pt = 0;
      offered
          |= g_ascii_string_to_unsigned (gst_sdp_media_get_format (m, f), 10, 0, 127, &pt, nullptr)
             && pt == c.pt;
    }
  FUZZ_CHECK (offered);
  FUZZ_CHECK (c.caps && gst_caps_get_size (c.caps) == 1);
  const GstStructure *s = gst_caps_get_structure (c.caps, 0);
  FUZZ_CHECK (gst_structure_has_name (s, "application/x-rtp"));
  gint payload = -1, rate = -1;
  FUZZ_CHECK (gst_structure_get_int (s, "payload", &payload) && (guint)payload == c.pt);
  FUZZ_CHECK (gst_structure_get_int (s, "clock-rate", &rate) && (guint)rate == c.codec->clock_rate);
  const gchar *name = gst_structure_get_string (s, "encoding-name");
  FUZZ_CHECK (name && g_ascii_strcasecmp (name, c.codec->encoding_name) == 0);
}

} // namespace

extern "C" int
LLVMFuzzerInitialize (int *, char ***)
{
  /* GstSdp and GstCaps need gst_init(), but no plugin: no registry to scan or write. */
  g_setenv ("GST_REGISTRY_UPDATE", "no", TRUE);
  g_setenv ("GST_REGISTRY_FORK", "no", TRUE);
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", "", TRUE);
  gst_init (nullptr, nullptr);
  video = rtc::parse_codec_list ("h264,vp8,vp9", "video");
  audio = rtc::parse_codec_list ("opus,pcmu,pcma", "audio");
  return 0;
}

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const std::string offer (reinterpret_cast<const char *> (data), size);

  /* rtcingestsrc: receive what a publisher offers. */
  rtc::OfferChoice choice;
  rtc::choose_codecs (offer, video, audio, choice);
  GstSDPMessage *sdp = rtc::parse_sdp (offer);
  FUZZ_CHECK (sdp || !choice.error.empty ());
  if (!sdp)
    return 0;
  for (const auto &c : choice.mlines)
    {
      FUZZ_CHECK (c.mline < gst_sdp_message_medias_len (sdp));
      const GstSDPMedia *m = gst_sdp_message_get_media (sdp, c.mline);
      check_choice (c, m, c.video ? video : audio);
      if (choice.error.empty ())
        FUZZ_CHECK (c.codec != nullptr);
    }
  if (choice.error.empty ())
    FUZZ_CHECK (!choice.mlines.empty ());

  /* rtcbroadcastsink: send to a WHEP player what it offers to receive. */
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
      const bool is_video = g_strcmp0 (gst_sdp_media_get_media (m), "video") == 0;
      if (!rtc::mline_usable (m, rtc::OfferUse::Send))
        continue;
      const auto &asked = is_video ? video : audio;
      rtc::MlineChoice c = rtc::choose_codec (m, i, asked, rtc::OfferUse::Send);
      check_choice (c, m, asked);
    }
  gst_sdp_message_free (sdp);
  return 0;
}
