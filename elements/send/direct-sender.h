// DirectSender: one session's send stage of our own, past webrtcbin's media chain.
//
// Per packet and viewer, webrtcbin's chain (the appsrc's thread hand-off, rtpbin, rtpsession,
// the RTX sender, funnels, srtpenc and dtlssrtpenc, nicesink) cost ~41,000 instructions on top
// of SRTP's 57,000 (bench/README.md, "The send path per viewer, profiled"). Here the feed's
// streaming thread itself copies the rewritten packet into a scratch buffer, writes the
// transport-wide sequence number, protects it (elements/send/srtp-protect.h: OpenSSL, AES-NI
// and SHA-NI) and hands it to the ICE agent (nice_agent_send): no thread hand-off, no pad push.
//
// webrtcbin still negotiates, runs ICE and DTLS, and checks the peer (elements/peer/
// media-path.h gives the key and the ICE stream once the fingerprint matched). What its RTP
// session did for these packets is done here:
//   - NACK: the last second of packets is kept (a ref on the feed's shared packet plus our
//     header), resent as RTX (RFC 4588) when the session agreed an RTX payload type, else as
//     the packet itself, within the peer's retransmission budget; over it, a keyframe instead;
//   - PLI and FIR: a keyframe request to the track's outlet;
//   - TWCC: transport-wide sequence numbers, the send times, and the feedback matched to them
//     for the track's bandwidth estimate; REMB and receiver-report loss as the fallbacks;
//   - RTCP sender reports (with SDES CNAME) about once a second per stream, so the browser can
//     measure the round trip and sync audio with video.
//
// Threading: send_*() run on the feeds' streaming threads, on_rtcp() on webrtcbin's receive
// thread, tick() and stats() on the element's worker. One lock (a leaf) guards the SRTP
// context, the histories and the counters; it is never held while sending on the socket or
// calling an outlet.
#pragma once

#include "send/adaptation.h"
#include "send/rtcp-feedback.h"
#include "send/rtp-rewrite.h"
#include "elements/peer/media-path.h"
#include "gst-ptr.h"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rtc
{

class Outlet;
class SrtpProtect;
class RepairBudget;

struct DirectStreamConfig
{
  guint32 ssrc = 0;
  bool video = false;
  guint8 twcc_id = 0;     // transport-wide-cc extension id agreed, 0 = none
  guint clock_rate = 90000;
  gint rtx_pt = -1;       // the RTX payload type agreed for the codec, -1 = resend as is
  std::weak_ptr<Outlet> outlet;              // where keyframe requests go
  std::shared_ptr<BandwidthEstimate> estimate; // video: fed by TWCC, REMB and reports
};

// What a stream's viewer reported and what was sent to it (the session's stats).
struct DirectStats
{
  guint64 packets_sent = 0, bytes_sent = 0; // media and padding, RTX excluded
  guint64 frames_sent = 0;                   // video: packets that end a frame (marker bit)
  guint64 nack_count = 0, pli_count = 0, fir_count = 0;
  guint64 retransmitted = 0;   // packets resent
  gint64 packets_lost = 0;     // the last receiver report's cumulative count
  double fraction_lost = -1;   // the last receiver report's; -1 before one
  double rtt_ms = -1;          // from the last report's LSR/DLSR; -1 before one
  double remb_kbps = -1;       // the last REMB; -1 before one
  guint64 send_errors = 0;     // packets the ICE agent did not take
};

class DirectSender
{
public:
  // @peer: the session's rtcpeerbin (kept alive: its retransmission budget is used).
  explicit DirectSender (GstElement *peer);
  ~DirectSender ();
  DirectSender (const DirectSender &) = delete;
  DirectSender &operator= (const DirectSender &) = delete;

  // Before start(): one per track; returns its index.
  std::size_t add_stream (const DirectStreamConfig &config);
  // The RTX payload type the session agreed for @stream's codec (-1: none, resend as is).
  void set_rtx_pt (std::size_t stream, gint pt);
  // The session's path is known: false when its cipher is not one we speak (then the tracks
  // go through webrtcbin).
  bool start (std::shared_ptr<const MediaPath> path);
  bool started () const;
  // Before the session's peer stops: nothing more is sent, and the sender lets go of the peer,
  // its ICE agent and the packets it kept (whoever still holds the sender holds nothing of
  // the session's: its sockets close with the peer).
  void stop ();

  // A feed's streaming thread: the packet @in (transfer none) under the header @h; @data (@size
  // bytes) is @in mapped, when its feed did that already (else nullptr).
  void send_media (std::size_t stream, GstBuffer *in, const RewrittenHeader &h,
                   const guint8 *data = nullptr, gsize size = 0);
  // A padding packet at @pkt, laid out as @h says (RtpRewriter::padding_into()).
  void send_padding (std::size_t stream, const guint8 *pkt, const RewrittenHeader &h);
  // webrtcbin's receive thread: a decrypted RTCP compound packet from the peer.
  void on_rtcp (GstBuffer *rtcp);
  // The worker, about every 250 ms: sender reports when due.
  void tick ();

  DirectStats stats (std::size_t stream) const;
  // Everything in one line for the log.
  std::string describe () const;

private:
  struct Stream;
  struct Slot;

  // Under lock_: protects @len bytes at @pkt (room for the tag) for @s; returns the new length.
  gsize protect_locked (guint8 *pkt, gsize len, gsize cap, bool rtcp);
  void transmit (const MediaPath &path, const guint8 *pkt, gsize len);
  void resend (std::size_t stream, const std::vector<guint16> &seqs, gint64 now_us);
  gsize write_packet_locked (Stream &s, const Slot &slot, guint8 *out, gsize cap, bool rtx);
  guint16 next_twcc_locked (gint64 now_us, gsize size);
  GstClockTime running_time () const;

  Ptr<GstElement> peer_;
  RepairBudget *budget_ = nullptr; // the peer's
  std::string cname_;
  mutable std::mutex lock_;
  std::shared_ptr<const MediaPath> path_;
  std::unique_ptr<SrtpProtect> srtp_;
  std::unique_ptr<TwccHistory> twcc_;
  FirFilter firs_;
  std::vector<std::unique_ptr<Stream>> streams_;
  bool started_ = false;
};

// A retransmission's own identity (RFC 4588): the RTX payload type, SSRC and sequence number.
struct RtxIds
{
  guint8 pt = 0;
  guint32 ssrc = 0;
  guint16 seq = 0;
};
// A packet sent before (header @h over @in's payload) again, into @out (@cap bytes): as RTX
// when @rtx is given (the original sequence number in front of the payload), else as it was.
// Returns its length, 0 when it does not fit.
gsize write_retransmission (const RewrittenHeader &h, GstBuffer *in, const RtxIds *rtx, guint8 *out,
                            gsize cap);

// The RTX payload type that the session description @sdp pairs with @pt (a=fmtp:N apt=PT of
// an rtx rtpmap), -1 when none.
gint rtx_payload_type (const GstSDPMessage *sdp, gint pt);

} // namespace rtc
