#include "send/rtcp-feedback.h"

#include <algorithm>
#include <cstring>

namespace rtc
{

// Its own category: the file serves every element that sends (and the fuzz target, which has
// no element), so it cannot borrow one element's.
static GstDebugCategory *
rtcp_feedback_category ()
{
  static GstDebugCategory *cat = [] {
    GstDebugCategory *c = nullptr;
    GST_DEBUG_CATEGORY_INIT (c, "rtcrtcp", 0, "rtckit RTCP feedback and reports");
    return c;
  }();
  return cat;
}
#define GST_CAT_DEFAULT rtcp_feedback_category ()

namespace
{

// Big-endian fields byte by byte: GST_READ_UINT16_BE and friends are typed loads from any
// address on x86 (undefined behaviour that UBSan stops on), and RTCP fields sit at any offset
// (TWCC deltas at odd ones; a caller's buffer may start anywhere).
constexpr guint16
be16 (const guint8 *p)
{
  return (guint16)((p[0] << 8) | p[1]);
}
constexpr guint32
be24 (const guint8 *p)
{
  return ((guint32)p[0] << 16) | ((guint32)p[1] << 8) | p[2];
}
constexpr guint32
be32 (const guint8 *p)
{
  return ((guint32)be16 (p) << 16) | be16 (p + 2);
}
void
put_be16 (guint8 *p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}
void
put_be32 (guint8 *p, guint32 v)
{
  put_be16 (p, v >> 16);
  put_be16 (p + 2, v & 0xffff);
}

constexpr guint8 kTypeSr = 200, kTypeRr = 201, kTypeRtpfb = 205, kTypePsfb = 206;
constexpr guint8 kFmtNack = 1, kFmtTwcc = 15;            // RTPFB
constexpr guint8 kFmtPli = 1, kFmtFir = 4, kFmtAfb = 15; // PSFB
constexpr gsize kReportBlockSize = 24;
// No viewer receives this much: a REMB above it is a bug or an attack.
constexpr guint64 kMaxRembBps = 10'000'000'000ull;
// A report every 50-100 ms covers a few hundred packets even at 20 Mbit/s; 10,000 would let
// one small run-length packet make us walk a long list for nothing.
constexpr guint kMaxTwccStatus = 10000;
constexpr gint64 kTwccReferenceUs = 64000;
constexpr gint64 kTwccDeltaUs = 250;

// Reads what one compound says about our streams into @out.
class Reader
{
public:
  Reader (const SsrcPredicate &ours, RtcpFeedback &out) : ours_ (ours), out_ (out) {}

  void compound (const guint8 *data, gsize len);

private:
  void packet (guint8 pt, guint8 count, const guint8 *body, gsize len, gsize offset);
  void report_blocks (guint32 reporter, guint8 count, const guint8 *blocks, gsize len,
                      gsize offset);
  void rtpfb (guint8 fmt, guint32 sender, guint32 media, const guint8 *fci, gsize len,
              gsize offset);
  void psfb (guint8 fmt, guint32 sender, guint32 media, const guint8 *fci, gsize len, gsize offset);
  void nack (guint32 sender, guint32 media, const guint8 *fci, gsize len, gsize offset);
  void remb (guint32 sender, const guint8 *fci, gsize len, gsize offset);
  void twcc (guint32 sender, guint32 media, const guint8 *fci, gsize len, gsize offset);

  void skip (gsize offset, const char *why)
  {
    out_.malformed++;
    GST_DEBUG ("RTCP at byte %" G_GSIZE_FORMAT ": %s, skipped", offset, why);
  }
  void absurd (gsize offset, const char *why)
  {
    out_.absurd++;
    skip (offset, why);
  }

  const SsrcPredicate &ours_;
  RtcpFeedback &out_;
  // Per entry of out_.nacks: the numbers it has, a bit each.
  std::vector<std::vector<guint64>> nack_seen_;
};

void
Reader::compound (const guint8 *data, gsize len)
{
  gsize offset = 0;
  while (offset < len)
    {
      if (len - offset < 4)
        {
          skip (offset, "fewer than 4 bytes left for a header");
          return;
        }
      const guint8 *p = data + offset;
      const gsize size = 4 * ((gsize)be16 (p + 2) + 1);
      if (size > len - offset)
        {
          // Nothing after this can be found: its length is all there is to go by.
          skip (offset, "length past the end of the buffer");
          return;
        }
      const gsize here = offset;
      offset += size;
      if ((p[0] >> 6) != 2)
        {
          skip (here, "version is not 2");
          continue;
        }
      gsize body_len = size - 4;
      if (p[0] & 0x20)
        {
          // Padding: its last byte says how much, header excluded.
          const guint8 padding = p[size - 1];
          if (padding == 0 || padding > body_len)
            {
              skip (here, "padding count is 0 or longer than the packet");
              continue;
            }
          body_len -= padding;
        }
      packet (p[1], p[0] & 0x1f, p + 4, body_len, here);
    }
}

void
Reader::packet (guint8 pt, guint8 count, const guint8 *body, gsize len, gsize offset)
{
  switch (pt)
    {
    case kTypeSr:
      if (len < 24)
        return skip (offset, "sender report shorter than its sender info");
      return report_blocks (be32 (body), count, body + 24, len - 24, offset);
    case kTypeRr:
      if (len < 4)
        return skip (offset, "receiver report without an SSRC");
      return report_blocks (be32 (body), count, body + 4, len - 4, offset);
    case kTypeRtpfb:
    case kTypePsfb:
      if (len < 8)
        return skip (offset, "feedback message without its two SSRCs");
      if (pt == kTypeRtpfb)
        rtpfb (count, be32 (body), be32 (body + 4), body + 8, len - 8, offset);
      else
        psfb (count, be32 (body), be32 (body + 4), body + 8, len - 8, offset);
      return;
    default:
      return; // SDES, BYE, APP, XR: nothing the send stage needs
    }
}

void
Reader::report_blocks (guint32 reporter, guint8 count, const guint8 *blocks, gsize len,
                       gsize offset)
{
  // What follows the blocks is a profile extension: allowed, and not ours to read.
  if (len < count * kReportBlockSize)
    return skip (offset, "report count beyond the packet");
  for (guint i = 0; i < count; i++)
    {
      const guint8 *b = blocks + i * kReportBlockSize;
      ReportBlock rb;
      rb.reporter_ssrc = reporter;
      rb.ssrc = be32 (b);
      if (!ours_ (rb.ssrc))
        continue;
      rb.fraction_lost = b[4];
      // 24 bits, two's complement.
      rb.cumulative_lost = (gint32)(be24 (b + 5) << 8) >> 8;
      rb.highest_seq = be32 (b + 8);
      rb.jitter = be32 (b + 12);
      rb.lsr = be32 (b + 16);
      rb.dlsr = be32 (b + 20);
      out_.reports.push_back (rb);
    }
}

void
Reader::rtpfb (guint8 fmt, guint32 sender, guint32 media, const guint8 *fci, gsize len,
               gsize offset)
{
  if (fmt == kFmtNack)
    nack (sender, media, fci, len, offset);
  else if (fmt == kFmtTwcc)
    twcc (sender, media, fci, len, offset);
}

void
Reader::psfb (guint8 fmt, guint32 sender, guint32 media, const guint8 *fci, gsize len, gsize offset)
{
  if (fmt == kFmtPli)
    {
      // The FCI should be empty; libwebrtc tolerates more, so do we.
      if (ours_ (media))
        out_.keyframes.push_back ({ sender, media, false, 0 });
    }
  else if (fmt == kFmtFir)
    {
      // The media SSRC is unused (0): each 8-byte entry names a stream and a sequence number.
      if (len == 0 || len % 8)
        return skip (offset, "FIR without whole 8-byte entries");
      for (gsize i = 0; i < len; i += 8)
        if (ours_ (be32 (fci + i)))
          out_.keyframes.push_back ({ sender, be32 (fci + i), true, fci[i + 4] });
    }
  else if (fmt == kFmtAfb)
    {
      if (len >= 4 && memcmp (fci, "REMB", 4) == 0)
        remb (sender, fci, len, offset);
      else if (len >= 4 && memcmp (fci, "LNTF", 4) == 0)
        ; // libwebrtc's loss notification (goog-lntf): well formed, not ours to read
      else
        skip (offset, "application feedback that is neither REMB nor loss notification");
    }
}

void
Reader::nack (guint32 sender, guint32 media, const guint8 *fci, gsize len, gsize offset)
{
  if (len == 0 || len % 4)
    return skip (offset, "NACK without whole 4-byte entries");
  if (!ours_ (media))
    return;
  // One entry per stream across the compound.
  gsize idx = 0;
  while (idx < out_.nacks.size () && out_.nacks[idx].media_ssrc != media)
    idx++;
  if (idx == out_.nacks.size ())
    {
      out_.nacks.push_back ({ sender, media, {} });
      nack_seen_.emplace_back (65536 / 64, 0);
    }
  Nack &n = out_.nacks[idx];
  std::vector<guint64> &seen = nack_seen_[idx];
  auto add = [&] (guint16 seq) {
    guint64 &word = seen[seq / 64];
    const guint64 bit = G_GUINT64_CONSTANT (1) << (seq % 64);
    if (!(word & bit))
      {
        word |= bit;
        n.seqs.push_back (seq);
      }
  };
  for (gsize i = 0; i < len; i += 4)
    {
      // PID, then a bitmask of the 16 numbers after it (BLP).
      const guint16 pid = be16 (fci + i);
      const guint16 blp = be16 (fci + i + 2);
      add (pid);
      for (guint b = 0; b < 16; b++)
        if (blp & (1u << b))
          add ((guint16)(pid + b + 1));
    }
}

void
Reader::remb (guint32 sender, const guint8 *fci, gsize len, gsize offset)
{
  // "REMB", number of SSRCs, 6 bits of exponent and 18 of mantissa, the SSRCs.
  if (len < 8 || len != 8 + 4 * (gsize)fci[4])
    return skip (offset, "REMB whose SSRC count does not match its length");
  const guint exp = fci[5] >> 2;
  const guint64 mantissa = ((guint64)(fci[5] & 0x03) << 16) | be16 (fci + 6);
  // 18 + 63 bits would not fit in 64.
  if (exp > 46 && (mantissa >> (64 - exp)) != 0)
    return absurd (offset, "REMB bitrate beyond 64 bits");
  Remb r;
  r.sender_ssrc = sender;
  r.bitrate_bps = mantissa << exp;
  if (r.bitrate_bps > kMaxRembBps)
    return absurd (offset, "REMB bitrate above 10 Gbit/s");
  bool about_ours = false;
  for (guint i = 0; i < fci[4]; i++)
    {
      r.ssrcs.push_back (be32 (fci + 8 + 4 * i));
      about_ours |= ours_ (r.ssrcs.back ());
    }
  if (about_ours)
    out_.rembs.push_back (std::move (r));
}

void
Reader::twcc (guint32 sender, guint32 media, const guint8 *fci, gsize len, gsize offset)
{
  if (len < 8)
    return skip (offset, "TWCC feedback shorter than its header");
  TwccFeedback fb;
  fb.sender_ssrc = sender;
  fb.media_ssrc = media;
  fb.base_seq = be16 (fci);
  fb.status_count = be16 (fci + 2);
  fb.reference_time = be24 (fci + 4);
  fb.feedback_count = fci[7];
  if (fb.status_count == 0)
    return skip (offset, "TWCC feedback about no packet");
  if (fb.status_count > kMaxTwccStatus)
    return absurd (offset, "TWCC feedback about more than 10,000 packets");

  // Packet status chunks, until they cover status_count packets; the last one may say more
  // (its unused symbols are padding).
  std::vector<guint8> status;
  status.reserve (fb.status_count);
  gsize pos = 8;
  while (status.size () < fb.status_count)
    {
      if (len - pos < 2)
        return skip (offset, "TWCC status count beyond its chunks");
      const guint16 chunk = be16 (fci + pos);
      pos += 2;
      const gsize left = fb.status_count - status.size ();
      if (!(chunk & 0x8000))
        {
          // Run length: 2 bits of status, 13 of count.
          const guint8 symbol = (chunk >> 13) & 0x03;
          const gsize run = std::min<gsize> (chunk & 0x1fff, left);
          if (symbol == 3 && run)
            return skip (offset, "TWCC run of the reserved status");
          status.insert (status.end (), run, symbol);
        }
      else
        {
          // Status vector: 14 symbols of 1 bit (received or not) or 7 of 2 bits.
          const bool two_bit = chunk & 0x4000;
          const guint bits = two_bit ? 2 : 1;
          const gsize n = std::min<gsize> (14 / bits, left);
          for (gsize i = 0; i < n; i++)
            {
              const guint shift = 14 - bits * (i + 1);
              const guint8 symbol = (chunk >> shift) & (two_bit ? 0x03 : 0x01);
              if (symbol == 3)
                return skip (offset, "TWCC vector with the reserved status");
              status.push_back (symbol);
            }
        }
    }

  // Receive deltas, one per received packet: 1 byte (0..63.75 ms) or 2 signed.
  gint64 arrival = (gint64)fb.reference_time * kTwccReferenceUs;
  fb.packets.reserve (status.size ());
  for (gsize i = 0; i < status.size (); i++)
    {
      TwccArrival a;
      a.seq = (guint16)(fb.base_seq + i);
      if (status[i] == 1)
        {
          if (len - pos < 1)
            return skip (offset, "TWCC receive deltas truncated");
          arrival += fci[pos++] * kTwccDeltaUs;
        }
      else if (status[i] == 2)
        {
          if (len - pos < 2)
            return skip (offset, "TWCC receive deltas truncated");
          arrival += (gint16)be16 (fci + pos) * kTwccDeltaUs;
          pos += 2;
        }
      if (status[i])
        {
          a.received = true;
          a.arrival_us = arrival;
        }
      fb.packets.push_back (a);
    }
  out_.twcc.push_back (std::move (fb));
}

} // namespace

RtcpFeedback
read_rtcp (const guint8 *data, gsize len, const SsrcPredicate &ours)
{
  RtcpFeedback out;
  if (!data && len)
    return out;
  Reader (ours, out).compound (data, len);
  return out;
}

RtcpFeedback
read_rtcp (const guint8 *data, gsize len, const std::vector<guint32> &ours)
{
  return read_rtcp (data, len, [&ours] (guint32 ssrc) {
    return std::find (ours.begin (), ours.end (), ssrc) != ours.end ();
  });
}

RtcpFeedback
read_rtcp (GstBuffer *buf, const SsrcPredicate &ours)
{
  GstMapInfo map;
  if (!buf || !gst_buffer_map (buf, &map, GST_MAP_READ))
    return {};
  RtcpFeedback out = read_rtcp (map.data, map.size, ours);
  gst_buffer_unmap (buf, &map);
  return out;
}

bool
FirFilter::is_new (const KeyframeRequest &r)
{
  if (!r.fir)
    return true;
  for (auto &l : last_)
    if (l.sender == r.sender_ssrc && l.media == r.media_ssrc)
      {
        const bool fresh = l.seq != r.fir_seq;
        l.seq = r.fir_seq;
        return fresh;
      }
  // A viewer has one SSRC per stream it sends and asks about a few of ours: a handful of
  // entries, the oldest dropped past that.
  if (last_.size () >= 16)
    last_.erase (last_.begin ());
  last_.push_back ({ r.sender_ssrc, r.media_ssrc, r.fir_seq });
  return true;
}

/* --- round trip and NTP time ------------------------------------------------------------- */

// 1970-01-01 in seconds since 1900-01-01.
static constexpr gint64 kNtpUnixOffsetS = 2208988800LL;

guint64
ntp_from_unix_us (gint64 unix_us)
{
  gint64 s = unix_us / G_USEC_PER_SEC, us = unix_us % G_USEC_PER_SEC;
  if (us < 0)
    {
      us += G_USEC_PER_SEC;
      s--;
    }
  const guint64 seconds = (guint64)(s + kNtpUnixOffsetS) & G_MAXUINT32; // eras wrap
  const guint64 fraction = ((guint64)us << 32) / G_USEC_PER_SEC;
  return (seconds << 32) | fraction;
}

gint64
unix_us_from_ntp (guint64 ntp)
{
  gint64 s = (gint64)(ntp >> 32) - kNtpUnixOffsetS;
  if (s < 0)
    s += G_GINT64_CONSTANT (1) << 32; // era 1: after 2036-02-07
  // Rounded: ntp_from_unix_us truncates, so this gives its µs back.
  const gint64 us = (gint64)((((ntp & G_MAXUINT32) * G_USEC_PER_SEC) + (1u << 31)) >> 32);
  return s * G_USEC_PER_SEC + us;
}

std::optional<gint64>
rtt_us (guint32 lsr, guint32 dlsr, guint64 arrival_ntp)
{
  if (lsr == 0)
    return std::nullopt;
  // 16.16 seconds, modulo 2^32; LSR and A are each truncated to 1/65536 s, DLSR rounded by
  // the viewer: a loopback round trip may come out a few units below zero.
  const gint32 rtt = (gint32)(ntp_middle32 (arrival_ntp) - lsr - dlsr);
  constexpr gint32 kRounding = 65536 / 1000; // 1 ms
  if (rtt < -kRounding)
    return std::nullopt;
  return std::max<gint64> (rtt, 0) * G_USEC_PER_SEC / 65536;
}

/* --- TWCC: our side ---------------------------------------------------------------------- */

TwccHistory::TwccHistory (guint capacity, gint64 max_age_us)
    : ring_ (max_age_us, MIN (capacity, kFirstSlots), capacity)
{
  g_assert (capacity < 32768);
}

guint16
TwccHistory::on_send (gint64 sent_us, guint payload_size)
{
  const guint16 seq = next_++;
  ring_.to_keep (seq, sent_us)
      = { sent_us, seq, (guint16)MIN (payload_size, G_MAXUINT16), 0, true };
  last_sent_us_ = std::max (last_sent_us_, sent_us);
  return seq;
}

TwccHistory::Slot *
TwccHistory::find (guint16 seq)
{
  // Young enough by the newest packet's time: a report comes well after its packets.
  return ring_.find (seq, last_sent_us_);
}

std::vector<TwccPacket>
TwccHistory::on_feedback (const TwccFeedback &fb)
{
  counters_.reports++;
  const guint32 reference = fb.reference_time & 0xffffff;
  bool follows = false; // the report right after the last one
  bool late = false;    // one before it
  if (!have_reference_)
    {
      // Any start: one wrap period up, so that earlier reports (reordered) stay positive.
      last_reference_ext_ = (gint64)reference + (1 << 24);
      have_reference_ = true;
    }
  else
    {
      // The nearest: forward or back by less than half the 24-bit range (6.2 days).
      const gint32 diff = (gint32)(((reference - last_reference_) & 0xffffff) << 8) >> 8;
      last_reference_ext_ += diff;
      // One missing is one lost report.
      const guint8 gap = fb.feedback_count - next_feedback_count_;
      follows = gap == 0;
      late = gap >= 128;
      if (!late)
        counters_.lost_reports += gap;
    }
  if (!late)
    next_feedback_count_ = fb.feedback_count + 1;
  last_reference_ = reference;
  const gint64 wraps_us = (last_reference_ext_ - reference) * kTwccReferenceUs;

  std::vector<TwccPacket> out;
  out.reserve (fb.packets.size ());
  // GStreamer's receiver starts a report at the first packet it received since the last one:
  // the numbers between the two reports were lost (as webrtcbin's parser reads it). Browsers
  // start where the last report ended, and have no such gap.
  if (follows && have_end_)
    {
      const guint16 missing = fb.base_seq - end_seq_;
      if (missing < ring_.size ())
        for (guint16 i = 0; i < missing; i++)
          if (Slot *slot = find (end_seq_ + i); slot && slot->state == 0)
            {
              slot->state = 1;
              out.push_back (
                  { (GstClockTime)slot->sent_us * GST_USECOND, GST_CLOCK_TIME_NONE, slot->size });
            }
    }
  const guint16 end = fb.base_seq + fb.packets.size ();
  if (!have_end_ || (guint16)(end - end_seq_) < 32768)
    end_seq_ = end;
  have_end_ = true;

  guint64 unknown = 0, repeated = 0;
  for (const auto &a : fb.packets)
    {
      TwccPacket p;
      const gint64 arrival_us = a.arrival_us + wraps_us;
      if (a.received && arrival_us >= 0)
        p.received = (GstClockTime)arrival_us * GST_USECOND;
      Slot *slot = find (a.seq);
      if (!slot)
        {
          unknown++;
          out.push_back (p); // sent NONE: the estimate skips it
          continue;
        }
      const guint8 state = GST_CLOCK_TIME_IS_VALID (p.received) ? 2 : 1;
      if (slot->state >= state)
        {
          repeated++; // received before, or lost again
          continue;
        }
      slot->state = state;
      p.sent = (GstClockTime)slot->sent_us * GST_USECOND;
      p.size = slot->size;
      out.push_back (p);
    }
  if (unknown)
    GST_DEBUG ("TWCC report %u: %" G_GUINT64_FORMAT " of %" G_GSIZE_FORMAT
               " packets never sent or long gone (%" G_GUINT64_FORMAT " sent)",
               fb.feedback_count, unknown, fb.packets.size (), next_);
  counters_.unknown += unknown;
  counters_.repeated += repeated;
  return out;
}

/* --- writing ----------------------------------------------------------------------------- */

gsize
sender_report_size (const char *cname)
{
  const gsize n = cname ? strlen (cname) : 0;
  if (n == 0 || n > 255)
    return 0; // the CNAME is the viewer's name for us: RFC 3550 has no empty one
  // SR: header, SSRC, sender info. SDES: header, SSRC, CNAME item, at least one null octet
  // ending the item list, padded to 32 bits.
  return 28 + 8 + ((2 + n + 1 + 3) & ~(gsize)3);
}

gsize
write_sender_report (guint8 *out, gsize capacity, const SenderInfo &sr, const char *cname)
{
  const gsize size = sender_report_size (cname);
  if (!out || size == 0 || size > capacity)
    return 0;
  const gsize n = cname ? strlen (cname) : 0;
  memset (out, 0, size);
  guint8 *p = out;
  p[0] = 0x80; // V=2, no padding, no report blocks
  p[1] = kTypeSr;
  put_be16 (p + 2, 28 / 4 - 1);
  put_be32 (p + 4, sr.ssrc);
  put_be32 (p + 8, sr.ntp >> 32);
  put_be32 (p + 12, sr.ntp & G_MAXUINT32);
  put_be32 (p + 16, sr.rtp_ts);
  put_be32 (p + 20, sr.packets);
  put_be32 (p + 24, sr.octets);
  p += 28;
  p[0] = 0x81; // one chunk
  p[1] = 202;  // SDES
  put_be16 (p + 2, (size - 28) / 4 - 1);
  put_be32 (p + 4, sr.ssrc);
  p[8] = 1; // CNAME
  p[9] = (guint8)n;
  if (n)
    memcpy (p + 10, cname, n);
  // The nulls after it are the memset's.
  return size;
}

} // namespace rtc
