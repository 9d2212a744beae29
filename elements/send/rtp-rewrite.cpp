#include "send/rtp-rewrite.h"

#include <cstring>

namespace rtc
{

namespace
{

// The parts of an RTP header the rewriter needs; @len: fixed part, CSRCs and extension.
struct Header
{
  guint8 b0 = 0, b1 = 0;
  guint16 seq = 0;
  guint32 ts = 0, ssrc = 0;
  guint8 csrc[60] = {};
  guint csrc_len = 0;
  gsize len = 0;
};

// @n bytes at @offset of @buf into @dest: from its first memory when they lie there (one map;
// gst_buffer_extract also refs and unrefs the memory: twice the instructions), else extracted.
gsize
copy_bytes (GstBuffer *buf, gsize offset, guint8 *dest, gsize n)
{
  if (gst_buffer_n_memory (buf) > 0)
    {
      GstMemory *mem = gst_buffer_peek_memory (buf, 0);
      GstMapInfo map;
      if (gst_memory_map (mem, &map, GST_MAP_READ))
        {
          const bool inside = map.size >= offset + n;
          if (inside)
            memcpy (dest, map.data + offset, n);
          gst_memory_unmap (mem, &map);
          if (inside)
            return n;
        }
    }
  return gst_buffer_extract (buf, offset, dest, n);
}

bool
read_header (GstBuffer *buf, Header &h)
{
  guint8 fixed[12];
  gsize size = gst_buffer_get_size (buf);
  if (size < 12 || copy_bytes (buf, 0, fixed, 12) != 12 || (fixed[0] >> 6) != 2)
    return false;
  h.b0 = fixed[0];
  h.b1 = fixed[1];
  h.seq = GST_READ_UINT16_BE (fixed + 2);
  h.ts = GST_READ_UINT32_BE (fixed + 4);
  h.ssrc = GST_READ_UINT32_BE (fixed + 8);
  h.csrc_len = 4 * (fixed[0] & 0x0f);
  h.len = 12 + h.csrc_len;
  if (size < h.len)
    return false;
  if (h.csrc_len && copy_bytes (buf, 12, h.csrc, h.csrc_len) != h.csrc_len)
    return false;
  if (fixed[0] & 0x10)
    {
      guint8 ext[4];
      if (copy_bytes (buf, h.len, ext, 4) != 4)
        return false;
      h.len += 4 + 4 * GST_READ_UINT16_BE (ext + 2);
      if (size < h.len)
        return false;
    }
  return true;
}

// Writes the fixed header, the CSRCs and our extension block into @out; returns its length.
// @twcc_at gets where the transport-wide number goes (0: no such extension).
gsize
write_header (guint8 *out, const Header &h, guint8 pt, guint16 seq, guint32 ts,
              const RewriteIds &ids, gint playout_max_ms, bool padding, gsize *twcc_at)
{
  *twcc_at = ids.twcc_id ? 12 + h.csrc_len + 4 + 1 : 0; // the first extension, after its id
  guint8 ext[16];
  gsize n = 0;
  if (ids.twcc_id)
    {
      ext[n++] = (guint8)((ids.twcc_id << 4) | 1); // two bytes, written by the RTP session
      ext[n++] = 0;
      ext[n++] = 0;
    }
  if (ids.playout_id && playout_max_ms >= 0)
    {
      const guint max = MIN ((guint)playout_max_ms / 10, 0xfffu); // 10 ms units
      ext[n++] = (guint8)((ids.playout_id << 4) | 2);
      ext[n++] = 0; // minimum 0: show frames as soon as they are decoded
      ext[n++] = (guint8)(max >> 8);
      ext[n++] = (guint8)(max & 0xff);
    }
  while (n % 4)
    ext[n++] = 0;
  out[0] = (guint8)((h.b0 & 0xc0) | (padding ? 0x20 : (h.b0 & 0x20)) | (n ? 0x10 : 0)
                    | (h.csrc_len / 4));
  out[1] = (guint8)((h.b1 & 0x80) | (pt & 0x7f));
  GST_WRITE_UINT16_BE (out + 2, seq);
  GST_WRITE_UINT32_BE (out + 4, ts);
  GST_WRITE_UINT32_BE (out + 8, h.ssrc);
  memcpy (out + 12, h.csrc, h.csrc_len);
  gsize len = 12 + h.csrc_len;
  if (n)
    {
      out[len] = 0xbe; // one-byte header extensions (RFC 8285)
      out[len + 1] = 0xde;
      GST_WRITE_UINT16_BE (out + len + 2, n / 4);
      memcpy (out + len + 4, ext, n);
      len += 4 + n;
    }
  return len;
}

} // namespace

bool
RtpRewriter::rewrite_header (GstBuffer *in, const PacketInfo &info, bool switched,
                             gint playout_max_ms, RewrittenHeader &out)
{
  Header h;
  if (!read_header (in, h))
    return false;
  if (!started_)
    {
      seq_delta_ = 0;
      ts_delta_ = 0;
      started_ = true;
    }
  else if (switched)
    {
      // The new source's first packet follows our last one; its timestamp keeps the pace of
      // the running times (both sources stamp the same frames).
      guint32 ts = last_ts_ + ids_.clock_rate / 30;
      GstClockTime pts = GST_BUFFER_PTS (in);
      if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (last_pts_) && pts >= last_pts_)
        ts = last_ts_
             + (guint32)gst_util_uint64_scale_int_round (pts - last_pts_, ids_.clock_rate, GST_SECOND);
      seq_delta_ = (guint16)(last_seq_ + 1 - h.seq);
      ts_delta_ = ts - h.ts;
    }
  const guint16 seq = (guint16)(h.seq + seq_delta_);
  const guint32 ts = h.ts + ts_delta_;
  const guint8 pt = ids_.pt >= 0 ? (guint8)ids_.pt : (guint8)(h.b1 & 0x7f);
  const gsize size = gst_buffer_get_size (in);

  // The payload descriptor's picture id, when the codec has one: where, and how wide; VP8's
  // TL0PICIDX, where.
  guint8 desc[6] = {};
  gsize desc_len = 0, pid_at = 0, tl0_at = 0;
  bool pid_wide = false;
  if (ids_.picture_ids != PictureIds::None)
    {
      gsize n = gst_buffer_extract (in, h.len, desc, sizeof desc);
      if (ids_.picture_ids == PictureIds::Vp8 && n >= 3 && (desc[0] & 0x80) && (desc[1] & 0x80))
        pid_at = 2;
      else if (ids_.picture_ids == PictureIds::Vp9 && n >= 2 && (desc[0] & 0x80))
        pid_at = 1;
      if (pid_at)
        {
          pid_wide = desc[pid_at] & 0x80;
          desc_len = pid_at + (pid_wide ? 2 : 1);
          if (desc_len > n)
            desc_len = pid_at = 0;
        }
      if (pid_at && ids_.picture_ids == PictureIds::Vp8 && (desc[1] & 0x40) && desc_len < n)
        tl0_at = desc_len++;
    }
  if (tl0_at)
    {
      // Each rung's encoder counts its TL0 frames on its own: a switch carries ours on.
      const guint8 in_tl0 = desc[tl0_at];
      if (!tl0_seen_)
        tl0_delta_ = 0;
      else if (switched)
        tl0_delta_ = (guint8)(last_tl0_ + 1 - in_tl0);
      tl0_seen_ = true;
      last_tl0_ = (guint8)(in_tl0 + tl0_delta_);
      desc[tl0_at] = last_tl0_;
    }
  if (pid_at)
    {
      const guint16 mask = pid_wide ? 0x7fff : 0x7f;
      const guint16 in_pid = pid_wide ? (guint16)(((desc[pid_at] & 0x7f) << 8) | desc[pid_at + 1])
                                      : (guint16)(desc[pid_at] & 0x7f);
      if (!pid_seen_)
        pid_delta_ = 0;
      else if (switched)
        pid_delta_ = (guint16)((last_pid_ + 1 - in_pid) & mask);
      pid_seen_ = true;
      const guint16 out_pid = (guint16)((in_pid + pid_delta_) & mask);
      last_pid_ = out_pid;
      if (pid_wide)
        {
          desc[pid_at] = (guint8)(0x80 | (out_pid >> 8));
          desc[pid_at + 1] = (guint8)(out_pid & 0xff);
        }
      else
        desc[pid_at] = (guint8)out_pid;
    }

  gsize len = write_header (out.bytes, h, pt, seq, ts, ids_,
                            info.frame_start ? playout_max_ms : -1, false, &out.twcc_at);
  memcpy (out.bytes + len, desc, desc_len); // the rewritten descriptor start, if any
  out.rtp_len = len;
  out.len = len + desc_len;
  out.body = h.len + desc_len;
  out.body_len = size > out.body ? size - out.body : 0;
  last_seq_ = seq;
  last_ts_ = ts;
  ssrc_ = h.ssrc;
  last_pt_ = pt;
  if (GST_BUFFER_PTS_IS_VALID (in))
    last_pts_ = GST_BUFFER_PTS (in);
  return true;
}

void
RtpRewriter::skip (GstBuffer *in, const PacketInfo &info)
{
  if (!started_)
    return; // the first packet sent sets the numbering
  seq_delta_--;
  if (!info.frame_start || !pid_seen_ || ids_.picture_ids == PictureIds::None)
    return;
  Header h;
  guint8 d[2];
  if (read_header (in, h) && gst_buffer_extract (in, h.len, d, 2) == 2
      && ((ids_.picture_ids == PictureIds::Vp8 && (d[0] & 0x80) && (d[1] & 0x80))
          || (ids_.picture_ids == PictureIds::Vp9 && (d[0] & 0x80))))
    pid_delta_--; // masked to the id's width where used
}

GstBuffer *
RtpRewriter::rewrite (GstBuffer *in, const PacketInfo &info, bool switched, gint playout_max_ms)
{
  RewrittenHeader rh;
  if (!rewrite_header (in, info, switched, playout_max_ms, rh))
    return nullptr;
  GstMemory *header = gst_allocator_alloc (nullptr, rh.len, nullptr);
  GstMapInfo map;
  if (!gst_memory_map (header, &map, GST_MAP_WRITE))
    {
      gst_memory_unref (header);
      return nullptr;
    }
  memcpy (map.data, rh.bytes, rh.len);
  gst_memory_unmap (header, &map);

  // The payload's memories (shared: a region copy refs them) behind our header; one buffer
  // fewer than building the header's and appending the payload's (callgrind:
  // bench/rewrite-bench.cpp).
  GstBuffer *out = rh.body_len
                       ? gst_buffer_copy_region (in, GST_BUFFER_COPY_MEMORY, rh.body, rh.body_len)
                       : gst_buffer_new ();
  gst_buffer_prepend_memory (out, header);
  gst_buffer_copy_into (out, in,
                        (GstBufferCopyFlags)(GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS
                                             | GST_BUFFER_COPY_META),
                        0, -1);
  return out;
}

gsize
RtpRewriter::padding_into (guint size, guint8 *out, RewrittenHeader *layout)
{
  if (!started_ || size == 0)
    return 0;
  size = MIN (size, 255u);
  Header h;
  h.b0 = 0x80;
  h.b1 = last_pt_;
  h.ssrc = ssrc_;
  // The padding takes a sequence number: the media after it moves one on.
  last_seq_++;
  seq_delta_++;
  gsize twcc_at = 0;
  gsize len = write_header (out, h, last_pt_, last_seq_, last_ts_, ids_, -1, true, &twcc_at);
  memset (out + len, 0, size);
  out[len + size - 1] = (guint8)size; // RFC 3550: the last octet counts the padding
  if (layout)
    {
      memcpy (layout->bytes, out, len);
      layout->len = layout->rtp_len = layout->body = len;
      layout->body_len = size;
      layout->twcc_at = twcc_at;
    }
  return len + size;
}

GstBuffer *
RtpRewriter::padding (guint size)
{
  guint8 bytes[kMaxPaddingPacket];
  const gsize len = padding_into (size, bytes);
  if (!len)
    return nullptr;
  GstBuffer *out = gst_buffer_new_memdup (bytes, len);
  if (GST_CLOCK_TIME_IS_VALID (last_pts_))
    GST_BUFFER_PTS (out) = last_pts_;
  return out;
}

bool
vp8_temporal_of (GstBuffer *buf, Vp8Temporal &out)
{
  out = {};
  Header h;
  if (!read_header (buf, h))
    return false;
  guint8 p[6];
  const gsize n = gst_buffer_extract (buf, h.len, p, sizeof p);
  if (n < 1)
    return false;
  if (!(p[0] & 0x80) || n < 2)
    return true; // no extension: one layer
  const guint8 x = p[1];
  gsize i = 2;
  if (x & 0x80)
    i += (i < n && (p[i] & 0x80)) ? 2 : 1;
  if (x & 0x40)
    {
      if (i >= n)
        return false;
      out.tl0picidx = p[i++];
    }
  if (x & 0x30)
    {
      if (i >= n)
        return false;
      if (x & 0x20)
        {
          out.tid = p[i] >> 6;
          out.layer_sync = p[i] & 0x20;
        }
    }
  return true;
}

bool
rtp_starts_keyframe (const char *encoding_name, GstBuffer *buf)
{
  Header h;
  if (!read_header (buf, h))
    return false;
  guint8 p[24];
  gsize n = gst_buffer_extract (buf, h.len, p, sizeof p);
  if (n < 2)
    return false;
  if (g_ascii_strcasecmp (encoding_name, "VP8") == 0)
    {
      // RFC 7741 payload descriptor, then the VP8 payload header (P bit: 0 = keyframe).
      const bool start = p[0] & 0x10, partition0 = (p[0] & 0x07) == 0;
      gsize i = 1;
      if (p[0] & 0x80)
        {
          const guint8 x = p[1];
          i = 2;
          if (x & 0x80)
            i += (i < n && (p[i] & 0x80)) ? 2 : 1;
          if (x & 0x40)
            i++;
          if (x & 0x30)
            i++;
        }
      return start && partition0 && i < n && !(p[i] & 0x01);
    }
  if (g_ascii_strcasecmp (encoding_name, "VP9") == 0)
    return (p[0] & 0x08) && !(p[0] & 0x40); // B (start of a frame), not inter-predicted
  if (g_ascii_strcasecmp (encoding_name, "H264") == 0)
    {
      const guint type = p[0] & 0x1f;
      if (type == 5 || type == 7)
        return true;
      if (type == 24 && n >= 4) // STAP-A: the first NAL unit inside
        return (p[3] & 0x1f) == 7 || (p[3] & 0x1f) == 5;
      if (type == 28) // FU-A: the start of an IDR slice
        return (p[1] & 0x80) && (p[1] & 0x1f) == 5;
    }
  return false;
}

} // namespace rtc
