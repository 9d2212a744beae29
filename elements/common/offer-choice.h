// The choice of one codec per m-line of a remote SDP offer, for both directions: rtcingestsrc
// answers publishers' offers (it receives), rtcbroadcastsink answers WHEP players' offers (it
// sends).
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "codecs.h"

#include <string>
#include <vector>

namespace rtc
{

// What we answer on one audio/video m-line of an offer.
struct MlineChoice
{
  guint mline = 0;
  bool video = false;
  const CodecInfo *codec = nullptr; // nullptr: nothing we accept on this m-line
  guint pt = 0;                     // the offer's payload type for @codec
  GstCaps *caps = nullptr; // application/x-rtp of that payload type, the offer's fields (owned)

  MlineChoice () = default;
  MlineChoice (MlineChoice &&o) noexcept;
  MlineChoice &operator= (MlineChoice &&o) noexcept;
  MlineChoice (const MlineChoice &) = delete;
  MlineChoice &operator= (const MlineChoice &) = delete;
  ~MlineChoice ();
};

enum class OfferUse
{
  Receive, // the offerer sends (it publishes): answer m-lines it sends on
  Send,    // the offerer receives (a WHEP player): answer m-lines it receives on
};

// The first codec of @ours (preference order) that @media offers, or a choice without codec.
// H.264: for receiving, packetization-mode=1 wins over mode 0; for sending only mode 1 will do
// (our payloader fragments), and profile-level-id 42e01f is preferred, then 42001f, then any.
MlineChoice choose_codec (const GstSDPMedia *media, guint mline,
                          const std::vector<const CodecInfo *> &ours, OfferUse use);

// True when the m-line's direction lets the offerer do what @use needs (receive mode: it sends;
// send mode: it receives) and the port is not 0.
bool mline_usable (const GstSDPMedia *media, OfferUse use);

struct OfferChoice
{
  std::vector<MlineChoice> mlines; // audio and video m-lines only, in order
  std::string error;               // set when the offer cannot be answered
};

// rtcingestsrc: picks, per audio/video m-line, the first of @video / @audio the offer has.
// Fills @out.error when the SDP is not valid, has no audio/video m-line, or an m-line offers
// nothing we accept.
void choose_codecs (const std::string &offer, const std::vector<const CodecInfo *> &video,
                    const std::vector<const CodecInfo *> &audio, OfferChoice &out);

// Our offer will receive video on these caps' m-lines: offer the transport-cc extension (so
// webrtcbin's RTP session sends TWCC feedback and a browser's congestion control can ramp up
// instead of staying near 300 kbit/s and scaling the picture down) and libwebrtc's start
// bitrate. Video structures only.
void ask_for_feedback (GstCaps *caps);
// The transport-wide congestion control header extension id of @m (an offer or an answer),
// or 0 when the m-line does not have it.
guint twcc_extmap_id (const GstSDPMedia *m);

// Parses @text; nullptr when it is not an SDP with at least one m-line (free with
// gst_sdp_message_free).
GstSDPMessage *parse_sdp (const std::string &text);

} // namespace rtc
