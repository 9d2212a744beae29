// Per-viewer RTP headers over shared payloads.
//
// Every rung of the ladder is payloaded once with its own sequence numbers and RTP timestamps;
// a viewer moves between rungs and must see one continuous stream. The rewriter gives each
// viewer its own header for every packet: sequence numbers that run on without gaps across
// switches (and across the padding it sends to probe the link), timestamps that keep their
// pace across switches (taken from the packets' running times), VP8/VP9 picture ids that run
// on too (over the frames this viewer is sent: a temporal layer it does not get leaves no gap;
// VP8's TL0PICIDX runs on across switches), the viewer's payload type,
// and the header extensions this viewer negotiated (transport-wide sequence number slot,
// playout delay) under this viewer's ids. The payload memories are shared, never copied.
//
// Threading: one rewriter per viewer track, called under its owner's lock.
#pragma once

#include <gst/gst.h>

namespace rtc
{

// Codecs whose payload descriptor numbers pictures: each encoder (rung) counts on its own, and
// a receiver that sees the count jump back takes the new frames for old ones.
enum class PictureIds
{
  None, // H.264, audio
  Vp8,  // RFC 7741: X, then I, then a 7- or 15-bit picture id
  Vp9,  // VP9 payload descriptor: I, then a 7- or 15-bit picture id
};

struct RewriteIds
{
  int pt = -1;             // the viewer's payload type, -1 = keep the packet's
  guint8 twcc_id = 0;      // transport-wide-cc extension id, 0 = none
  guint8 playout_id = 0;   // playout-delay extension id, 0 = none
  guint clock_rate = 90000;
  PictureIds picture_ids = PictureIds::None;
};

// What a packet is, read once by its feed (video packets only; false for audio).
struct PacketInfo
{
  bool frame_start = false; // the first packet of a frame
  bool key_start = false;   // the first packet of a keyframe: a viewer may switch here
  bool frame_end = false;   // the last packet of a frame (the marker bit): padding may follow
  gint8 temporal_layer = -1; // the frame's temporal layer (VP8 TID), -1 = not layered
  bool layer_sync = false;   // Y: the frame predicts from TL0 frames only (a viewer may climb here)
  // The packet's bytes, mapped once by its feed for every viewer while it delivers (nullptr
  // otherwise, e.g. for a cached GOP): a send stage copies from here instead of mapping again.
  const guint8 *data = nullptr;
  gsize size = 0;
};

// A VP8 packet's temporal fields (RFC 7741 payload descriptor: T, Y, L).
struct Vp8Temporal
{
  gint tid = -1; // -1: no T field
  bool layer_sync = false;
  gint tl0picidx = -1; // -1: no L field
};
// Reads them from @buf (an RTP packet of VP8); false when it is not one.
bool vp8_temporal_of (GstBuffer *buf, Vp8Temporal &out);

// The largest header rewrite_header() writes: 12 fixed, 60 of CSRCs, 4 + 8 of extensions and
// 6 of payload descriptor, rounded up.
static constexpr gsize kMaxRewrittenHeader = 96;
// The largest padding packet: header, extensions and 255 bytes of padding.
static constexpr gsize kMaxPaddingPacket = 12 + 16 + 255;

// A packet's new header, and where in the packet it came from the kept payload starts.
struct RewrittenHeader
{
  guint8 bytes[kMaxRewrittenHeader];
  gsize len = 0;      // of bytes
  gsize rtp_len = 0;  // of which the RTP header (then the payload descriptor's start, if any)
  gsize body = 0;     // offset of the payload kept from the input packet
  gsize body_len = 0; // its length (may be 0)
  gsize twcc_at = 0;  // where in bytes the transport-wide number's two bytes go (0: none)
};

class RtpRewriter
{
public:
  void set_ids (const RewriteIds &ids) { ids_ = ids; }
  const RewriteIds &ids () const { return ids_; }

  // A new header for @in (transfer none); @switched: the first packet from another source
  // (a rung switch): its sequence numbers and timestamps are rebased onto ours. A frame's
  // first packet carries the playout-delay extension with maximum @playout_max_ms (-1: none).
  // Returns a new buffer, or nullptr when @in is not RTP.
  GstBuffer *rewrite (GstBuffer *in, const PacketInfo &info, bool switched, gint playout_max_ms);
  // The same without building a buffer: the new header into @out, and which bytes of @in
  // follow it (a send stage that copies the packet anyway; elements/send/direct-sender.h).
  bool rewrite_header (GstBuffer *in, const PacketInfo &info, bool switched, gint playout_max_ms,
                       RewrittenHeader &out);
  // @in (transfer none) is not sent to this viewer (a temporal layer it does not get): the next
  // packet takes its sequence number, the next frame its picture id.
  void skip (GstBuffer *in, const PacketInfo &info);
  // A padding-only packet of @size bytes (>= 13) after the last one, for probing the link;
  // nullptr before the first packet.
  GstBuffer *padding (guint size);
  // The same into @out (kMaxPaddingPacket bytes); returns its length, 0 before the first packet.
  // @layout, when given, gets its header (len, rtp_len, twcc_at; body and body_len: the padding
  // after it).
  gsize padding_into (guint size, guint8 *out, RewrittenHeader *layout = nullptr);

  guint16 last_seq () const { return last_seq_; }

private:
  RewriteIds ids_;
  bool started_ = false;
  guint16 seq_delta_ = 0;  // out = in + delta (mod 2^16)
  guint32 ts_delta_ = 0;   // out = in + delta (mod 2^32)
  guint16 last_seq_ = 0;   // last sent
  guint32 last_ts_ = 0;
  guint32 ssrc_ = 0;
  guint8 last_pt_ = 0;
  GstClockTime last_pts_ = GST_CLOCK_TIME_NONE;
  guint16 pid_delta_ = 0; // picture ids: out = in + delta (mod 2^15, or 2^7)
  guint16 last_pid_ = 0;
  bool pid_seen_ = false;
  guint8 tl0_delta_ = 0; // VP8 TL0PICIDX: out = in + delta (mod 2^8)
  guint8 last_tl0_ = 0;
  bool tl0_seen_ = false;
};

// Whether @buf (an RTP packet of @encoding_name: "VP8", "VP9", "H264") starts a keyframe.
bool rtp_starts_keyframe (const char *encoding_name, GstBuffer *buf);

} // namespace rtc
