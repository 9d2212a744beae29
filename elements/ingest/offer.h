// rtcingestsrc's choice of one codec per m-line of a publisher's offer.
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "common/codecs.h"

#include <string>
#include <vector>

namespace rtc::ingest
{

// What we answer on one audio/video m-line of an offer.
struct MlineChoice
{
  guint mline = 0;
  bool video = false;
  const CodecInfo *codec = nullptr; // nullptr: nothing we accept on this m-line
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
void choose_codecs (const std::string &offer, const std::vector<const CodecInfo *> &video,
                    const std::vector<const CodecInfo *> &audio, OfferChoice &out);

} // namespace rtc::ingest
