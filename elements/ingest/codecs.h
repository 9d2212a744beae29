// The codecs rtcingestsrc receives, and the choice of one per m-line of a publisher's offer.
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <string>
#include <vector>

namespace rtc::ingest
{

struct RecvCodec
{
  const char *name;          // "h264": the name used in properties
  const char *media;         // "video" or "audio"
  const char *encoding_name; // RTP encoding name (compared case-insensitively)
  guint clock_rate;
  const char *depayloader;
  const char *parser; // nullptr when there is none (VP8, G.711)
};

const RecvCodec *recv_codec_by_name (const std::string &name);

// Parses "h264,vp8": known names of @media, in order, without duplicates; unknown names go to
// @unknown.
std::vector<const RecvCodec *> parse_recv_codecs (const std::string &list, const char *media,
                                                  std::vector<std::string> *unknown = nullptr);
std::string recv_codec_names (const std::vector<const RecvCodec *> &codecs);

// What we answer on one audio/video m-line of an offer.
struct MlineChoice
{
  guint mline = 0;
  bool video = false;
  const RecvCodec *codec = nullptr; // nullptr: nothing we accept on this m-line
  guint pt = 0;
  GstCaps *caps = nullptr; // application/x-rtp for the codec preferences (owned)
};

struct OfferChoice
{
  std::vector<MlineChoice> mlines; // audio and video m-lines only, in order
  std::string error;               // set when the offer cannot be answered
  OfferChoice () = default;
  OfferChoice (const OfferChoice &) = delete;
  OfferChoice &operator= (const OfferChoice &) = delete;
  ~OfferChoice ();
};

// Picks, per m-line, the first codec of @video / @audio (preference order) that the offer has;
// for H.264, packetization-mode=1 wins over mode 0. Fills @out.error when the SDP is not
// valid, has no audio/video m-line, or an m-line offers nothing we accept.
void choose_codecs (const std::string &offer, const std::vector<const RecvCodec *> &video,
                    const std::vector<const RecvCodec *> &audio, OfferChoice &out);

} // namespace rtc::ingest
