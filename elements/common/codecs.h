// The RTP codecs rtckit sends (rtcbroadcastsink) and receives (rtcingestsrc): names, payload
// types, the caps offered in SDP, and the elements that (de)payload and parse each one.
#pragma once

#include <gst/gst.h>

#include <string>
#include <vector>

namespace rtc
{

struct CodecInfo
{
  const char *name;          // "h264": the name used in properties and stats
  const char *media;         // "video" or "audio"
  const char *encoding_name; // RTP encoding name
  guint pt;                  // payload type we offer
  guint clock_rate;
  const char *encoded_caps; // caps name of the encoded stream, e.g. "video/x-h264"
  const char *parser;       // parser of the encoded stream, or nullptr (VP8, G.711)
  // Sending:
  const char *payloader;
  const char *offer_fields; // extra caps fields offered (fmtp), in caps syntax
  // Receiving:
  const char *depayloader;
};

// RTP header extension that tells the receiver how long it may hold frames (libwebrtc's
// "playout-delay": 12-bit minimum and maximum, in 10 ms units). Offered on our video m-lines
// under this id; each viewer's outlet puts it on the first packet of every frame.
constexpr guint kPlayoutDelayExtId = 6;
constexpr const char *kPlayoutDelayUri
    = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
// Transport-wide congestion control sequence numbers: offered on video m-lines under this id,
// for the viewer's feedback (send/adaptation.h) and for the publisher's (we answer with it).
constexpr guint kTwccExtId = 5;
constexpr const char *kTwccUri
    = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

// nullptr when unknown.
const CodecInfo *codec_by_name (const std::string &name);
const CodecInfo *codec_by_encoded_caps (const GstCaps *caps);
const CodecInfo *codec_by_pt (guint pt);

// Parses "h264,vp8": known names of the given media, in order, without duplicates. Unknown
// names are returned in @unknown.
std::vector<const CodecInfo *> parse_codec_list (const std::string &list, const char *media,
                                                 std::vector<std::string> *unknown = nullptr);

// The caps we offer for one codec (one structure), used for codec preferences and appsrc caps.
GstCaps *codec_offer_caps (const CodecInfo *codec);
// The caps to offer for @codecs (codec preferences, one structure per codec, in order).
GstCaps *offer_caps_for (const std::vector<const CodecInfo *> &codecs);

std::string codec_names (const std::vector<const CodecInfo *> &codecs);

// Every codec of @media ("video" or "audio"), in the table's order.
std::vector<const CodecInfo *> codecs_of (const char *media);

// [parser !] payloader that send @codec's encoded stream as RTP with payload type @pt, set up
// for real time: SPS/PPS before every IDR and STAP-A without holding frames (H.264), 15-bit
// picture ids (VP8, VP9), an MTU of 1200. Floating refs, in order; empty with @error set when
// an element is missing.
std::vector<GstElement *> make_send_chain (const CodecInfo *codec, guint pt, GError **error);

} // namespace rtc
