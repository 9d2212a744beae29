// Byte builders for the RTCP tests (rtcp-feedback, rtcp-twcc): GStreamer's own RTCP writer
// (GstRTCPBuffer) and packets by hand for what it cannot write (TWCC, broken packets).
// It includes gstcheck.h: include it after the C++ headers (its fail macro breaks
// std::basic_ios::fail in any header read after it).
#pragma once

#include "elements/send/rtcp-feedback.h"

#include <cstring>
#include <initializer_list>
#include <vector>

#include <gst/check/gstcheck.h>
#include <gst/rtp/rtp.h>

constexpr guint32 kViewer = 0x0000beef; // the viewer's SSRC: the sender of its RTCP
constexpr guint32 kVideo = 0x11223344;  // our streams
constexpr guint32 kAudio = 0x55667788;
constexpr guint32 kOther = 0x99aabbcc; // someone else's
inline const std::vector<guint32> kOurs = { kVideo, kAudio };
using Bytes = std::vector<guint8>;

// A compound RTCP packet written by GStreamer's own RTCP writer.
class GstRtcp
{
public:
  GstRtcp () : buf_ (gst_rtcp_buffer_new (1400))
  {
    fail_unless (gst_rtcp_buffer_map (buf_, GST_MAP_READWRITE, &rtcp_));
  }
  ~GstRtcp ()
  {
    if (mapped_)
      gst_rtcp_buffer_unmap (&rtcp_);
    gst_buffer_unref (buf_);
  }
  GstRtcp (const GstRtcp &) = delete;
  GstRtcp &operator= (const GstRtcp &) = delete;

  GstRTCPPacket *add (GstRTCPType type)
  {
    fail_unless (gst_rtcp_buffer_add_packet (&rtcp_, type, &packet_));
    return &packet_;
  }
  // A feedback message with @fci (a whole number of 32-bit words).
  void fb (GstRTCPType type, GstRTCPFBType fmt, guint32 media, const Bytes &fci)
  {
    GstRTCPPacket *p = add (type);
    gst_rtcp_packet_fb_set_type (p, fmt);
    gst_rtcp_packet_fb_set_sender_ssrc (p, kViewer);
    gst_rtcp_packet_fb_set_media_ssrc (p, media);
    fail_unless_equals_int (fci.size () % 4, 0);
    fail_unless (gst_rtcp_packet_fb_set_fci_length (p, fci.size () / 4));
    if (!fci.empty ())
      memcpy (gst_rtcp_packet_fb_get_fci (p), fci.data (), fci.size ());
  }
  Bytes bytes ()
  {
    if (mapped_)
      gst_rtcp_buffer_unmap (&rtcp_); // sets the buffer's size to what was written
    mapped_ = false;
    Bytes out (gst_buffer_get_size (buf_));
    gst_buffer_extract (buf_, 0, out.data (), out.size ());
    return out;
  }

private:
  GstBuffer *buf_;
  GstRTCPBuffer rtcp_ = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet_;
  bool mapped_ = true;
};

inline void
put16 (Bytes &b, guint v)
{
  b.push_back (v >> 8);
  b.push_back (v);
}
inline void
put24 (Bytes &b, guint32 v)
{
  b.push_back (v >> 16);
  put16 (b, v & 0xffff);
}
inline void
put32 (Bytes &b, guint32 v)
{
  put16 (b, v >> 16);
  put16 (b, v & 0xffff);
}

// One RTCP packet by hand (for what GstRTCPBuffer cannot write: TWCC, broken packets): header
// with @first_byte's low bits as count/format, @body zero-padded to 32 bits.
inline Bytes
rtcp (guint8 pt, guint8 count, Bytes body, guint8 first_byte = 0x80)
{
  while (body.size () % 4)
    body.push_back (0);
  Bytes b = { (guint8)(first_byte | count), pt };
  put16 (b, body.size () / 4);
  b.insert (b.end (), body.begin (), body.end ());
  return b;
}

// Feedback message by hand: the two SSRCs, then @fci.
inline Bytes
feedback (guint8 pt, guint8 fmt, guint32 media, const Bytes &fci)
{
  Bytes body;
  put32 (body, kViewer);
  put32 (body, media);
  body.insert (body.end (), fci.begin (), fci.end ());
  return rtcp (pt, fmt, body);
}

inline Bytes
operator+ (Bytes a, const Bytes &b)
{
  a.insert (a.end (), b.begin (), b.end ());
  return a;
}

inline rtc::RtcpFeedback
read (const Bytes &b)
{
  return rtc::read_rtcp (b.data (), b.size (), kOurs);
}

// REMB's FCI: "REMB", the SSRC count, exponent and mantissa, the SSRCs.
inline Bytes
remb_fci (guint exp, guint32 mantissa, const std::vector<guint32> &ssrcs)
{
  Bytes f = { 'R', 'E', 'M', 'B', (guint8)ssrcs.size () };
  put24 (f, (exp << 18) | mantissa);
  for (guint32 s : ssrcs)
    put32 (f, s);
  return f;
}

// TWCC packet status chunks (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
enum Status : guint8
{
  kLost = 0,
  kSmall = 1, // received, 1-byte delta
  kLarge = 2, // received, 2-byte signed delta
};
inline guint16
run_length (Status s, guint n)
{
  return (guint16)((s << 13) | n);
}
inline guint16
vector1 (const char *bits) // 14 of '0' (lost) or '1' (received)
{
  guint16 c = 0x8000;
  for (int i = 0; i < 14; i++)
    c |= (bits[i] == '1') << (13 - i);
  return c;
}
inline guint16
vector2 (std::initializer_list<guint8> symbols) // 7 symbols
{
  guint16 c = 0xc000;
  int i = 0;
  for (guint8 s : symbols)
    c |= s << (12 - 2 * i++);
  return c;
}

inline Bytes
twcc_fci (guint16 base, guint16 count, guint32 reference, guint8 fb_count,
          std::initializer_list<guint16> chunks, const Bytes &deltas)
{
  Bytes f;
  put16 (f, base);
  put16 (f, count);
  put24 (f, reference);
  f.push_back (fb_count);
  for (guint16 c : chunks)
    put16 (f, c);
  return f + deltas;
}
