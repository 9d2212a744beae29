// The RTCP of the per-viewer send stage, no pipeline.
//
// Once rtckit writes a viewer's RTP itself and sends it on the ICE socket, webrtcbin's
// rtpsession no longer knows those packets: it cannot answer NACKs, forward PLI/FIR, match TWCC
// feedback or write sender reports for them. This file does that part:
//   - read_rtcp(): one decrypted compound RTCP buffer from the viewer, read for our streams:
//     generic NACKs (RFC 4585), PLI and FIR (RFC 4585, RFC 5104), REMB
//     (draft-alvestrand-rmcat-remb), transport-wide congestion control feedback
//     (draft-holmer-rmcat-transport-wide-cc-extensions-01) and receiver report blocks
//     (RFC 3550). It is outside input: every length is checked before it is read, a packet
//     that does not parse (or says something no sender means) is skipped and counted, and the
//     other packets of the compound are still read.
//   - TwccHistory: the transport-wide sequence numbers we give our packets, and what a TWCC
//     report says of them, as the bandwidth estimate takes it (send/adaptation.h).
//   - write_sender_report(): SR + SDES CNAME, so the viewer can sync audio and video and
//     measure the round trip; and the NTP time they need.
//
// Threading: read_rtcp() and the NTP helpers are pure and thread-safe. TwccHistory and
// FirFilter are plain values: their owner calls them under its own lock (numbers are given on
// the streaming thread, feedback arrives on the RTCP thread).
#pragma once

#include "send/adaptation.h"
#include "send/packet-ring.h"

#include <gst/gst.h>

#include <functional>
#include <optional>
#include <vector>

namespace rtc
{

/* --- reading ----------------------------------------------------------------------------- */

// Whether an SSRC is one of the streams we send to this viewer.
using SsrcPredicate = std::function<bool (guint32 ssrc)>;

// Generic NACK (RTPFB fmt 1): the sequence numbers the viewer lost of one of our streams, in
// the order the compound lists them, each once (a peer listing one number many times must not
// make us send it many times).
struct Nack
{
  guint32 sender_ssrc = 0;
  guint32 media_ssrc = 0;
  std::vector<guint16> seqs;
};

// PLI (PSFB fmt 1) or FIR (PSFB fmt 4, one per FCI entry naming one of ours).
struct KeyframeRequest
{
  guint32 sender_ssrc = 0;
  guint32 media_ssrc = 0;
  bool fir = false;
  guint8 fir_seq = 0; // FIR only: the same number again is a repeat (FirFilter)
};

// REMB (PSFB fmt 15, "REMB"): the viewer's estimate of what it can receive.
struct Remb
{
  guint32 sender_ssrc = 0;
  guint64 bitrate_bps = 0;
  std::vector<guint32> ssrcs; // as sent; at least one of them is ours
};

// One transport-wide sequence number a TWCC report covers.
struct TwccArrival
{
  guint16 seq = 0;
  bool received = false;
  // When it arrived, in µs of the viewer's clock: the report's reference time (as sent, 24
  // bits of 64 ms) plus the receive deltas. It runs on from report to report until that
  // reference time wraps (every 12.4 days of the viewer's clock); TwccHistory unwraps it.
  // 0 when not received.
  gint64 arrival_us = 0;
};

// Transport-wide congestion control feedback (RTPFB fmt 15). Not filtered by SSRC: its
// sequence numbers are the transport's, so every report on this transport is about ours.
struct TwccFeedback
{
  guint32 sender_ssrc = 0;
  guint32 media_ssrc = 0;
  guint16 base_seq = 0;
  guint16 status_count = 0;   // == packets.size ()
  guint32 reference_time = 0; // 24 bits, in 64 ms
  // Runs on by one per report: a gap is a lost report, the same number again a duplicate.
  guint8 feedback_count = 0;
  std::vector<TwccArrival> packets; // base_seq, base_seq + 1, ... (mod 2^16)
};

// A report block about one of our streams, from a receiver report or a sender report.
struct ReportBlock
{
  guint32 reporter_ssrc = 0;  // the viewer's SSRC
  guint32 ssrc = 0;           // ours
  guint8 fraction_lost = 0;   // of 256, since the previous report
  gint32 cumulative_lost = 0; // 24 bits signed: duplicates can make it negative
  guint32 highest_seq = 0;    // extended highest sequence number received
  guint32 jitter = 0;         // in RTP timestamp units
  guint32 lsr = 0;            // middle 32 bits of our last SR's NTP time, 0 = none yet
  guint32 dlsr = 0;           // delay since that SR, in 1/65536 s
};

struct RtcpFeedback
{
  std::vector<Nack> nacks; // one per media SSRC
  std::vector<KeyframeRequest> keyframes;
  std::vector<Remb> rembs;
  std::vector<TwccFeedback> twcc;
  std::vector<ReportBlock> reports;
  // Packets of the compound skipped: they do not parse, or they say something no sender
  // means. A GST_DEBUG line says which and why.
  guint malformed = 0;
  guint absurd = 0; // of those, the ones that parse but are implausible (REMB above 10 Gbit/s,
                    // a TWCC report of more than 10,000 packets)
};

// Reads one compound (or reduced-size, RFC 5506) RTCP buffer, already decrypted, keeping what
// is about the streams @ours accepts.
RtcpFeedback read_rtcp (const guint8 *data, gsize len, const SsrcPredicate &ours);
RtcpFeedback read_rtcp (const guint8 *data, gsize len, const std::vector<guint32> &ours);
// The same on a buffer (transfer none); nothing when it cannot be mapped.
RtcpFeedback read_rtcp (GstBuffer *buf, const SsrcPredicate &ours);

// FIR repeats: a viewer sends the same FIR (same sequence number) again until it sees a
// keyframe; only a new number is a new request (RFC 5104 §4.3.1.2).
class FirFilter
{
public:
  // Whether @r is a new request; PLIs always are.
  bool is_new (const KeyframeRequest &r);

private:
  struct Last
  {
    guint32 sender, media;
    guint8 seq;
  };
  std::vector<Last> last_; // a handful: one per viewer SSRC and stream
};

/* --- round trip and NTP time ------------------------------------------------------------- */

// NTP time (RFC 5905: seconds since 1900 in the high 32 bits, fraction in the low) of a wall
// clock time in µs since the Unix epoch (g_get_real_time ()).
guint64 ntp_from_unix_us (gint64 unix_us);
// And back (within the NTP era the result is in: 1900-2036, or 2036-2104 for small values).
gint64 unix_us_from_ntp (guint64 ntp);
// The middle 32 bits (16.16 seconds), as LSR and the round trip use them.
constexpr guint32
ntp_middle32 (guint64 ntp)
{
  return (guint32)(ntp >> 16);
}
// The round trip a report block measures (RFC 3550 §6.4.1): @arrival_ntp is when the block
// arrived (our NTP time). None when the viewer has no SR of ours yet (LSR 0) or the result is
// negative beyond rounding (a clock stepped, or a report that is not about our SR).
std::optional<gint64> rtt_us (guint32 lsr, guint32 dlsr, guint64 arrival_ntp);
inline std::optional<gint64>
rtt_us (const ReportBlock &rb, guint64 arrival_ntp)
{
  return rtt_us (rb.lsr, rb.dlsr, arrival_ntp);
}

/* --- TWCC: our side ---------------------------------------------------------------------- */

// The transport-wide sequence numbers we send and when: a ring of the last packets (at most
// @capacity, and no older than @max_age_us), matched against the viewer's reports. The ring
// (send/packet-ring.h) follows the packet rate both ways, so a viewer costs what its packet
// rate needs (16 bytes a packet), not the largest rate's ring.
class TwccHistory
{
public:
  // @capacity: a power of two below 32768 (past that a 16-bit number would be ambiguous).
  explicit TwccHistory (guint capacity = 4096, gint64 max_age_us = 2 * G_USEC_PER_SEC);
  // How many packets the ring holds now (what it has grown or shrunk to).
  gsize slots () const { return ring_.size (); }

  // The number for the next packet, sent at @sent_us (monotonic µs) with @payload_size bytes
  // of RTP payload (what the estimate counts; it adds the headers).
  guint16 on_send (gint64 sent_us, guint payload_size);
  // How many numbers were given so far (the next one, unwrapped).
  guint64 sent () const { return next_; }

  // The packets @fb covers, as the estimate takes them: times in ns, ours of sending (the
  // monotonic clock of on_send) and the viewer's of arrival (its reference time unwrapped),
  // received NONE when lost. A number we never sent or that is long gone comes out with sent
  // NONE (the estimate counts and skips those) and is counted here too; a packet already
  // reported received, or reported lost again, does not come out twice. A report right after
  // the last one (feedback count + 1) that starts past where it ended makes the numbers
  // between lost: GStreamer's receiver never names them.
  std::vector<TwccPacket> on_feedback (const TwccFeedback &fb);

  struct Counters
  {
    guint64 reports = 0;
    guint64 unknown = 0;      // entries for numbers never sent or long gone
    guint64 repeated = 0;     // entries already reported
    guint64 lost_reports = 0; // gaps in the feedback count
  };
  const Counters &counters () const { return counters_; }

private:
  struct Slot
  {
    gint64 sent_us = 0;
    guint16 seq = 0;  // the transport-wide number
    guint16 size = 0; // RTP payload bytes (a UDP datagram's are fewer than 65536)
    guint8 state = 0; // 0 not reported yet, 1 reported lost, 2 reported received
    bool in = false;  // a packet was put here
  };
  static_assert (sizeof (Slot) == 16, "a slot a packet, 16 bytes");
  Slot *find (guint16 seq);

  // The smallest ring: 2.5 s of a 1 Mbit/s stream's packets.
  static constexpr guint kFirstSlots = 256;

  PacketRing<Slot> ring_;
  guint64 next_ = 0;
  gint64 last_sent_us_ = 0;
  // The viewer's reference time, unwrapped: the last one as sent and as extended.
  bool have_reference_ = false;
  guint32 last_reference_ = 0;
  gint64 last_reference_ext_ = 0;
  guint8 next_feedback_count_ = 0;
  // Where the latest report ended (its last number + 1).
  bool have_end_ = false;
  guint16 end_seq_ = 0;
  Counters counters_;
};

/* --- writing ----------------------------------------------------------------------------- */

struct SenderInfo
{
  guint32 ssrc = 0;
  guint64 ntp = 0;     // now, ntp_from_unix_us (g_get_real_time ())
  guint32 rtp_ts = 0;  // the same instant in the stream's RTP timestamps
  guint32 packets = 0; // sent so far (mod 2^32)
  guint32 octets = 0;  // payload octets sent so far (mod 2^32)
};

// A compound packet: a sender report without report blocks, then an SDES with @cname (1 to
// 255 bytes), into @out. Returns its length, or 0 when it does not fit in @capacity or the
// CNAME is empty or too long.
gsize write_sender_report (guint8 *out, gsize capacity, const SenderInfo &sr, const char *cname);
// The length that needs (0: no such report).
gsize sender_report_size (const char *cname);

} // namespace rtc
