#include "codecs.h"

#include "string-util.h"

#include <algorithm>

namespace rtc
{

static const CodecInfo kCodecs[] = {
  { "h264", "video", "H264", 96, 90000, "video/x-h264", "h264parse", "rtph264pay",
    "packetization-mode=(string)1, profile-level-id=(string)42e01f, "
    "level-asymmetry-allowed=(string)1",
    "rtph264depay" },
  { "vp8", "video", "VP8", 97, 90000, "video/x-vp8", nullptr, "rtpvp8pay", nullptr, "rtpvp8depay" },
  { "vp9", "video", "VP9", 98, 90000, "video/x-vp9", "vp9parse", "rtpvp9pay",
    "profile-id=(string)0", "rtpvp9depay" },
  { "opus", "audio", "OPUS", 111, 48000, "audio/x-opus", "opusparse", "rtpopuspay",
    "encoding-params=(string)2, minptime=(string)10, useinbandfec=(string)1", "rtpopusdepay" },
  { "pcmu", "audio", "PCMU", 0, 8000, "audio/x-mulaw", nullptr, "rtppcmupay", nullptr,
    "rtppcmudepay" },
  { "pcma", "audio", "PCMA", 8, 8000, "audio/x-alaw", nullptr, "rtppcmapay", nullptr,
    "rtppcmadepay" },
};

const CodecInfo *
codec_by_name (const std::string &name)
{
  for (const auto &c : kCodecs)
    if (g_ascii_strcasecmp (c.name, name.c_str ()) == 0)
      return &c;
  return nullptr;
}

const CodecInfo *
codec_by_encoded_caps (const GstCaps *caps)
{
  if (!caps || gst_caps_get_size (caps) == 0)
    return nullptr;
  const char *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  for (const auto &c : kCodecs)
    if (g_str_equal (c.encoded_caps, name))
      return &c;
  return nullptr;
}

const CodecInfo *
codec_by_pt (guint pt)
{
  for (const auto &c : kCodecs)
    if (c.pt == pt)
      return &c;
  return nullptr;
}

std::vector<const CodecInfo *>
parse_codec_list (const std::string &list, const char *media, std::vector<std::string> *unknown)
{
  std::vector<const CodecInfo *> out;
  for (const auto &name : split_list (list))
    {
      const CodecInfo *c = codec_by_name (name);
      if (c && g_str_equal (c->media, media))
        {
          if (std::find (out.begin (), out.end (), c) == out.end ())
            out.push_back (c);
        }
      else if (unknown)
        unknown->push_back (name);
    }
  return out;
}

GstCaps *
codec_offer_caps (const CodecInfo *codec)
{
  std::string s = std::string ("application/x-rtp, media=(string)") + codec->media
                  + ", encoding-name=(string)" + codec->encoding_name + ", payload=(int)"
                  + std::to_string (codec->pt) + ", clock-rate=(int)"
                  + std::to_string (codec->clock_rate);
  if (g_str_equal (codec->media, "video"))
    s += ", rtcp-fb-nack=(boolean)true, rtcp-fb-nack-pli=(boolean)true, "
         "rtcp-fb-ccm-fir=(boolean)true, rtcp-fb-transport-cc=(boolean)true, extmap-"
         + std::to_string (kPlayoutDelayExtId) + "=(string)" + kPlayoutDelayUri + ", extmap-"
         + std::to_string (kTwccExtId) + "=(string)" + kTwccUri;
  if (codec->offer_fields)
    s += std::string (", ") + codec->offer_fields;
  return gst_caps_from_string (s.c_str ());
}

GstCaps *
offer_caps_for (const std::vector<const CodecInfo *> &codecs)
{
  GstCaps *caps = gst_caps_new_empty ();
  for (auto *c : codecs)
    gst_caps_append (caps, codec_offer_caps (c));
  return caps;
}

std::string
codec_names (const std::vector<const CodecInfo *> &codecs)
{
  std::string out;
  for (auto *c : codecs)
    out += (out.empty () ? "" : ",") + std::string (c->name);
  return out;
}

std::vector<const CodecInfo *>
codecs_of (const char *media)
{
  std::vector<const CodecInfo *> out;
  for (const auto &c : kCodecs)
    if (g_str_equal (c.media, media))
      out.push_back (&c);
  return out;
}

std::vector<GstElement *>
make_send_chain (const CodecInfo *codec, guint pt, GError **error)
{
  std::vector<GstElement *> chain;
  for (const char *factory : { codec->parser, codec->payloader })
    {
      if (!factory)
        continue;
      GstElement *e = gst_element_factory_make (factory, nullptr);
      if (!e)
        {
          g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                       "GStreamer element '%s' is missing", factory);
          for (auto *made : chain)
            gst_object_unref (made);
          return {};
        }
      chain.push_back (e);
    }
  if (codec->parser && g_str_equal (codec->parser, "h264parse"))
    g_object_set (chain.front (), "config-interval", -1, nullptr);
  GstElement *payloader = chain.back ();
  g_object_set (payloader, "pt", pt, "mtu", 1200, nullptr);
  if (g_str_equal (codec->payloader, "rtph264pay"))
    {
      g_object_set (payloader, "config-interval", -1, nullptr);
      gst_util_set_object_arg (G_OBJECT (payloader), "aggregate-mode", "zero-latency");
    }
  else if (g_str_equal (codec->payloader, "rtpvp8pay")
           || g_str_equal (codec->payloader, "rtpvp9pay"))
    gst_util_set_object_arg (G_OBJECT (payloader), "picture-id-mode", "15-bit");
  return chain;
}

} // namespace rtc
