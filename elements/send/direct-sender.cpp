#include "send/direct-sender.h"

#include "repair-budget.h"
#include "send/outlet.h"
#include "send/packet-ring.h"
#include "send/rtcp-feedback.h"
#include "send/srtp-protect.h"

#include <gst/sdp/sdp.h>
#include <nice/agent.h>

#include <algorithm>
#include <cstring>
#include <optional>

GST_DEBUG_CATEGORY_STATIC (direct_debug);
#define GST_CAT_DEFAULT direct_debug

namespace rtc
{

namespace
{
constexpr gsize kMaxPacket = 1500;            // RTP over UDP on the usual path MTU
constexpr gsize kSrtpRoom = 16 + 4;           // auth tag, SRTCP index
constexpr gint64 kHistoryUs = G_USEC_PER_SEC; // packets kept for NACK: older ones are past use
// The history's slots: the first 128 hold a second of a 1 Mbit/s stream; the ring follows the
// packet rate up to a second of ~20 Mbit/s (send/packet-ring.h).
constexpr std::size_t kFirstHistory = 128;
constexpr std::size_t kMaxHistory = 2048;
constexpr gint64 kResendGapUs = 20000;        // the same packet again no sooner than this
constexpr gint64 kReportUs = G_USEC_PER_SEC;  // a sender report about every second

void
init_debug ()
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      GST_DEBUG_CATEGORY_INIT (direct_debug, "rtcdirectsend", 0,
                               "rtckit's own per-viewer send stage (SRTP, RTX, RTCP)");
      g_once_init_leave (&once, 1);
    }
}

} // namespace

// A packet kept for NACK: a ref on the feed's packet and our header for it.
struct DirectSender::Slot
{
  // Room for what our rewriter writes (12 + extensions 12 + descriptor 4, CSRCs rarely): a
  // full RewrittenHeader per slot would be 78 KB a viewer instead of 41.
  static constexpr gsize kRoom = 48;

  Ptr<GstBuffer> in;
  guint8 bytes[kRoom];
  guint8 len = 0, rtp_len = 0, twcc_at = 0;
  guint16 body = 0, body_len = 0;
  gint64 sent_us = 0, resent_us = 0;
  guint16 seq = 0;
  bool padding = false; // resent as it was, never as RTX

  // Keeps @h over @buf; false (nothing kept) when the header does not fit.
  bool keep (GstBuffer *buf, const RewrittenHeader &h, guint16 seq_, gint64 now, bool pad)
  {
    if (h.len > kRoom || h.body > G_MAXUINT16 || h.body_len > G_MAXUINT16)
      {
        in.reset ();
        return false;
      }
    in = Ptr<GstBuffer>::ref (buf);
    memcpy (bytes, h.bytes, h.len);
    len = (guint8)h.len;
    rtp_len = (guint8)h.rtp_len;
    body = (guint16)h.body;
    body_len = (guint16)h.body_len;
    twcc_at = (guint8)h.twcc_at;
    sent_us = now;
    resent_us = 0;
    seq = seq_;
    padding = pad;
    return true;
  }
  RewrittenHeader header () const
  {
    RewrittenHeader h;
    memcpy (h.bytes, bytes, len);
    h.len = len;
    h.rtp_len = rtp_len;
    h.body = body;
    h.body_len = body_len;
    h.twcc_at = twcc_at;
    return h;
  }
};

struct DirectSender::Stream
{
  DirectStreamConfig config;
  std::optional<PacketRing<Slot>> history; // video only
  guint32 rtx_ssrc = 0;
  guint16 rtx_seq = 0;
  // For the sender reports: the last packet's RTP timestamp and running time.
  guint32 last_ts = 0;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;
  gint64 last_report_us = 0;
  guint64 last_report_lost = 0, last_report_highest = 0; // for the loss between reports
  bool reported = false;
  guint64 payload_bytes = 0; // the sender reports' octet count
  DirectStats stats;
};

DirectSender::DirectSender (GstElement *peer)
    : peer_ (Ptr<GstElement>::ref (peer)), budget_ (&peer_repair_budget (GST_RTC_PEER_BIN (peer))),
      twcc_ (std::make_unique<TwccHistory> ())
{
  init_debug ();
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (int i = 0; i < 16; i++)
    cname_ += alphabet[g_random_int_range (0, sizeof alphabet - 1)];
}

DirectSender::~DirectSender () = default;

std::size_t
DirectSender::add_stream (const DirectStreamConfig &config)
{
  std::lock_guard lock (lock_);
  auto s = std::make_unique<Stream> ();
  s->config = config;
  if (config.video)
    s->history.emplace (kHistoryUs, kFirstHistory, kMaxHistory);
  s->rtx_ssrc = g_random_int ();
  s->rtx_seq = (guint16)g_random_int_range (0, 0x8000);
  streams_.push_back (std::move (s));
  return streams_.size () - 1;
}

void
DirectSender::set_rtx_pt (std::size_t stream, gint pt)
{
  std::lock_guard lock (lock_);
  if (stream < streams_.size ())
    streams_[stream]->config.rtx_pt = pt;
}

bool
DirectSender::start (std::shared_ptr<const MediaPath> path)
{
  if (!path)
    return false;
  const std::optional<SrtpProfile> profile = srtp_profile_from_srtpenc (path->cipher, path->auth);
  if (!profile)
    {
      GST_WARNING ("SRTP cipher %d auth %d: not ours to speak; webrtcbin sends", path->cipher,
                   path->auth);
      return false;
    }
  auto srtp = SrtpProtect::create (*profile, path->key.data (), path->key.size ());
  if (!srtp)
    {
      GST_WARNING ("an SRTP key of %zu bytes: not ours to use; webrtcbin sends", path->key.size ());
      return false;
    }
  std::lock_guard lock (lock_);
  srtp_ = std::move (srtp);
  path_ = std::move (path);
  started_ = true;
  return true;
}

bool
DirectSender::started () const
{
  std::lock_guard lock (lock_);
  return started_;
}

gsize
DirectSender::protect_locked (guint8 *pkt, gsize len, gsize cap, bool rtcp)
{
  return rtcp ? srtp_->protect_rtcp (pkt, len, cap) : srtp_->protect_rtp (pkt, len, cap);
}

void
DirectSender::stop ()
{
  std::lock_guard lock (lock_);
  started_ = false;
  path_.reset ();
  srtp_.reset ();
  budget_ = nullptr;
  peer_.reset ();
  for (auto &s : streams_)
    if (s->history)
      s->history->clear ();
}

void
DirectSender::transmit (const MediaPath &path, const guint8 *pkt, gsize len)
{
  gint sent = nice_agent_send (NICE_AGENT (path.agent.get ()), path.stream_id, path.component_id,
                               len, reinterpret_cast<const gchar *> (pkt));
  if (sent != (gint)len)
    {
      std::lock_guard lock (lock_);
      if (!streams_.empty ())
        streams_[0]->stats.send_errors++;
    }
}

guint16
DirectSender::next_twcc_locked (gint64 now_us, gsize size)
{
  return twcc_->on_send (now_us, (guint)size);
}

void
DirectSender::send_media (std::size_t stream, GstBuffer *in, const RewrittenHeader &h,
                          const guint8 *data, gsize size)
{
  guint8 pkt[kMaxPacket + kSrtpRoom];
  gsize len = h.len + h.body_len;
  if (len > kMaxPacket)
    {
      GST_WARNING ("a packet of %zu bytes: over %zu, not sent", len, kMaxPacket);
      return;
    }
  memcpy (pkt, h.bytes, h.len);
  if (data && h.body + h.body_len <= size)
    memcpy (pkt + h.len, data + h.body, h.body_len);
  else if (h.body_len && gst_buffer_extract (in, h.body, pkt + h.len, h.body_len) != h.body_len)
    return;
  const gint64 now = g_get_monotonic_time ();
  const gsize payload = len - h.rtp_len; // the payload descriptor's start included
  std::shared_ptr<const MediaPath> path;
  RepairBudget *budget = nullptr;
  {
    std::lock_guard lock (lock_);
    if (!started_ || stream >= streams_.size ())
      return;
    Stream &s = *streams_[stream];
    path = path_;
    // The budget counts video, as webrtcbin's RTX sender (on video only) did.
    budget = s.config.video ? budget_ : nullptr;
    const guint16 seq = GST_READ_UINT16_BE (pkt + 2);
    if (s.config.twcc_id && h.twcc_at)
      GST_WRITE_UINT16_BE (pkt + h.twcc_at, next_twcc_locked (now, payload));
    if (s.config.video)
      {
        s.history->to_keep (seq, now).keep (in, h, seq, now, false);
      }
    s.last_ts = GST_READ_UINT32_BE (pkt + 4);
    if (GST_BUFFER_PTS_IS_VALID (in))
      s.last_pts = GST_BUFFER_PTS (in);
    s.stats.packets_sent++;
    s.stats.bytes_sent += len;
    if (s.config.video && (pkt[1] & 0x80))
      s.stats.frames_sent++;
    s.payload_bytes += payload;
    len = protect_locked (pkt, len, sizeof pkt, false);
  }
  if (len)
    transmit (*path, pkt, len);
  if (budget)
    budget->add_media (1);
}

void
DirectSender::send_padding (std::size_t stream, const guint8 *padding, const RewrittenHeader &h)
{
  guint8 pkt[kMaxPacket + kSrtpRoom];
  gsize len = h.len + h.body_len;
  if (len > kMaxPacket)
    return;
  memcpy (pkt, padding, len);
  std::shared_ptr<const MediaPath> path;
  {
    std::lock_guard lock (lock_);
    if (!started_ || stream >= streams_.size ())
      return;
    path = path_;
    Stream &s = *streams_[stream];
    const gint64 now = g_get_monotonic_time ();
    // Kept for NACK too: a receiver that orders frames by sequence number alone (H.264 in
    // Chromium) waits for a lost padding packet as for media, until the next keyframe.
    if (s.config.video)
      {
        const guint16 seq = GST_READ_UINT16_BE (padding + 2);
        Ptr<GstBuffer> copy = Ptr<GstBuffer>::adopt (gst_buffer_new_memdup (padding, len));
        s.history->to_keep (seq, now).keep (copy.get (), h, seq, now, true);
      }
    if (s.config.twcc_id && h.twcc_at)
      GST_WRITE_UINT16_BE (pkt + h.twcc_at, next_twcc_locked (now, 0));
    s.stats.packets_sent++;
    s.stats.bytes_sent += len;
    len = protect_locked (pkt, len, sizeof pkt, false);
  }
  if (len)
    transmit (*path, pkt, len);
}

gsize
write_retransmission (const RewrittenHeader &h, GstBuffer *in, const RtxIds *rtx, guint8 *out,
                      gsize cap)
{
  const gsize extra = rtx ? 2 : 0;
  const gsize len = h.len + extra + h.body_len;
  if (len > cap || h.rtp_len < 12 || h.rtp_len > h.len)
    return 0;
  // RFC 4588: the original sequence number goes between the RTP header and the payload (the
  // payload descriptor's rewritten start included).
  memcpy (out, h.bytes, h.rtp_len);
  memcpy (out + h.rtp_len + extra, h.bytes + h.rtp_len, h.len - h.rtp_len);
  if (h.body_len && gst_buffer_extract (in, h.body, out + h.len + extra, h.body_len) != h.body_len)
    return 0;
  if (rtx)
    {
      memcpy (out + h.rtp_len, h.bytes + 2, 2); // the original sequence number
      out[0] &= ~0x20; // no padding: it would end the RTX payload, not the original's
      out[1] = (guint8)((out[1] & 0x80) | (rtx->pt & 0x7f));
      GST_WRITE_UINT16_BE (out + 2, rtx->seq);
      GST_WRITE_UINT32_BE (out + 8, rtx->ssrc);
    }
  return len;
}

// The kept packet @slot again, with a new transport-wide number.
gsize
DirectSender::write_packet_locked (Stream &s, const Slot &slot, guint8 *out, gsize cap, bool rtx)
{
  RtxIds ids{ (guint8)s.config.rtx_pt, s.rtx_ssrc, s.rtx_seq };
  const RewrittenHeader h = slot.header ();
  const gsize len = write_retransmission (h, slot.in.get (), rtx ? &ids : nullptr, out,
                                          cap - kSrtpRoom);
  if (!len)
    return 0;
  if (rtx)
    s.rtx_seq++;
  if (s.config.twcc_id && h.twcc_at)
    GST_WRITE_UINT16_BE (out + h.twcc_at,
                         next_twcc_locked (g_get_monotonic_time (), len - h.rtp_len));
  return len;
}

void
DirectSender::resend (std::size_t stream, const std::vector<guint16> &seqs, gint64 now_us)
{
  bool keyframe = false;
  std::shared_ptr<Outlet> outlet;
  for (guint16 seq : seqs)
    {
      guint8 pkt[kMaxPacket + kSrtpRoom + 2];
      gsize len = 0;
      std::shared_ptr<const MediaPath> path;
      {
        std::lock_guard lock (lock_);
        if (!started_)
          break; // stopped: the session is ending
        path = path_;
        Stream &s = *streams_[stream];
        if (!s.history)
          break; // audio: nothing kept (a NACK for it is counted, not answered)
        Slot *kept = s.history->find (seq, now_us);
        if (!kept || now_us - kept->resent_us < kResendGapUs)
          continue; // gone, or just resent
        Slot &slot = *kept;
        switch (budget_ ? budget_->on_request () : RepairBudget::Verdict::Resend)
          {
          case RepairBudget::Verdict::Keyframe:
            keyframe = true;
            continue;
          case RepairBudget::Verdict::Drop:
            continue;
          case RepairBudget::Verdict::Resend:
            break;
          }
        len = write_packet_locked (s, slot, pkt, sizeof pkt, s.config.rtx_pt >= 0 && !slot.padding);
        if (!len)
          continue;
        slot.resent_us = now_us;
        s.stats.retransmitted++;
        len = protect_locked (pkt, len, sizeof pkt, false);
      }
      if (len)
        transmit (*path, pkt, len);
    }
  if (keyframe)
    {
      std::lock_guard lock (lock_);
      outlet = streams_[stream]->config.outlet.lock ();
    }
  if (outlet)
    outlet->request_keyframe ();
}

void
DirectSender::on_rtcp (GstBuffer *rtcp)
{
  std::vector<guint32> ssrcs;
  {
    std::lock_guard lock (lock_);
    if (!started_)
      return;
    for (auto &s : streams_)
      ssrcs.push_back (s->config.ssrc);
  }
  const RtcpFeedback fb = read_rtcp (rtcp, [&ssrcs] (guint32 ssrc) {
    return std::find (ssrcs.begin (), ssrcs.end (), ssrc) != ssrcs.end ();
  });
  const gint64 now = g_get_monotonic_time ();
  const guint64 arrival_ntp = ntp_from_unix_us (g_get_real_time ());
  for (std::size_t i = 0; i < ssrcs.size (); i++)
    {
      const guint32 ssrc = ssrcs[i];
      std::vector<guint16> nacked;
      bool keyframe = false;
      std::shared_ptr<Outlet> outlet;
      std::shared_ptr<BandwidthEstimate> estimate;
      double report_loss = -1, remb_kbps = -1;
      {
        std::lock_guard lock (lock_);
        Stream &s = *streams_[i];
        outlet = s.config.outlet.lock ();
        estimate = s.config.estimate;
        for (const auto &n : fb.nacks)
          if (n.media_ssrc == ssrc)
            {
              s.stats.nack_count++;
              nacked.insert (nacked.end (), n.seqs.begin (), n.seqs.end ());
            }
        for (const auto &k : fb.keyframes)
          if (k.media_ssrc == ssrc && firs_.is_new (k))
            {
              (k.fir ? s.stats.fir_count : s.stats.pli_count)++;
              keyframe = true;
            }
        for (const auto &r : fb.reports)
          if (r.ssrc == ssrc)
            {
              s.stats.packets_lost = r.cumulative_lost;
              s.stats.fraction_lost = r.fraction_lost / 256.0;
              if (auto rtt = rtt_us (r, arrival_ntp))
                s.stats.rtt_ms = *rtt / 1000.0;
              // Loss between two reports, from the cumulative counts.
              if (s.reported && r.highest_seq > s.last_report_highest)
                {
                  const double expected = (double)(r.highest_seq - s.last_report_highest);
                  const double lost = (double)r.cumulative_lost - (double)s.last_report_lost;
                  report_loss = CLAMP (lost / expected, 0.0, 1.0);
                }
              s.reported = true;
              s.last_report_highest = r.highest_seq;
              s.last_report_lost = (guint64)MAX (r.cumulative_lost, 0);
            }
        for (const auto &r : fb.rembs)
          if (std::find (r.ssrcs.begin (), r.ssrcs.end (), ssrc) != r.ssrcs.end ())
            s.stats.remb_kbps = remb_kbps = r.bitrate_bps / 1000.0;
      }
      if (!nacked.empty ())
        resend (i, nacked, now);
      if (keyframe && outlet)
        outlet->request_keyframe ();
      if (estimate && report_loss >= 0)
        estimate->on_report_loss (report_loss, now);
      if (estimate && remb_kbps >= 0)
        {
          GST_DEBUG ("REMB for %08x: %.0f kbit/s", ssrc, remb_kbps);
          estimate->on_remb (remb_kbps, now);
        }
    }
  // TWCC is transport-wide: its packets go to the estimate of the video stream (there is one).
  if (fb.twcc.empty ())
    return;
  std::vector<TwccPacket> packets;
  std::shared_ptr<BandwidthEstimate> estimate;
  {
    std::lock_guard lock (lock_);
    for (const auto &report : fb.twcc)
      {
        std::vector<TwccPacket> some = twcc_->on_feedback (report);
        packets.insert (packets.end (), some.begin (), some.end ());
      }
    for (auto &s : streams_)
      if (s->config.estimate)
        {
          estimate = s->config.estimate;
          break;
        }
  }
  if (estimate && !packets.empty ())
    estimate->on_twcc (packets, now);
}

GstClockTime
DirectSender::running_time () const
{
  if (!peer_)
    return GST_CLOCK_TIME_NONE;
  Ptr<GstClock> clock (gst_element_get_clock (peer_.get ()));
  if (!clock)
    return GST_CLOCK_TIME_NONE;
  const GstClockTime now = gst_clock_get_time (clock.get ());
  const GstClockTime base = gst_element_get_base_time (peer_.get ());
  return now >= base ? now - base : GST_CLOCK_TIME_NONE;
}

void
DirectSender::tick ()
{
  const gint64 now = g_get_monotonic_time ();
  const GstClockTime running = running_time ();
  const gint64 real = g_get_real_time ();
  std::vector<std::vector<guint8>> reports;
  std::shared_ptr<const MediaPath> path;
  {
    std::lock_guard lock (lock_);
    if (!started_)
      return;
    path = path_;
    for (auto &sp : streams_)
      {
        Stream &s = *sp;
        // Between 0.5 and 1.5 s apart (RFC 3550 6.3.1: randomised against synchronisation).
        if (!s.stats.packets_sent || now - s.last_report_us < kReportUs / 2)
          continue;
        if (s.last_report_us && now - s.last_report_us < kReportUs / 2 + g_random_int_range (0, kReportUs))
          continue;
        s.last_report_us = now;
        // The RTP time of now, on the last packet's pace (both in running time).
        guint32 rtp = s.last_ts;
        if (GST_CLOCK_TIME_IS_VALID (running) && GST_CLOCK_TIME_IS_VALID (s.last_pts))
          {
            const gint64 diff = (gint64)running - (gint64)s.last_pts;
            rtp += (guint32)(gint32)gst_util_uint64_scale_int_round (ABS (diff), s.config.clock_rate,
                                                                     GST_SECOND)
                   * (diff < 0 ? -1 : 1);
          }
        guint8 pkt[kMaxPacket + kSrtpRoom];
        SenderInfo sr;
        sr.ssrc = s.config.ssrc;
        sr.ntp = ntp_from_unix_us (real);
        sr.rtp_ts = rtp;
        sr.packets = (guint32)s.stats.packets_sent;
        sr.octets = (guint32)s.payload_bytes;
        gsize len = write_sender_report (pkt, kMaxPacket, sr, cname_.c_str ());
        if (!len)
          continue;
        len = protect_locked (pkt, len, sizeof pkt, true);
        if (len)
          reports.emplace_back (pkt, pkt + len);
      }
  }
  for (auto &r : reports)
    transmit (*path, r.data (), r.size ());
}

DirectStats
DirectSender::stats (std::size_t stream) const
{
  std::lock_guard lock (lock_);
  return stream < streams_.size () ? streams_[stream]->stats : DirectStats{};
}

std::string
DirectSender::describe () const
{
  std::lock_guard lock (lock_);
  std::string out = started_ ? "direct" : "waiting";
  for (auto &s : streams_)
    out += " ssrc=" + std::to_string (s->config.ssrc) + " sent="
           + std::to_string (s->stats.packets_sent) + " resent="
           + std::to_string (s->stats.retransmitted);
  return out;
}

gint
rtx_payload_type (const GstSDPMessage *sdp, gint pt)
{
  for (guint m = 0; sdp && m < gst_sdp_message_medias_len (sdp); m++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, m);
      for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
        {
          const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
          if (g_strcmp0 (attr->key, "fmtp") != 0 || !attr->value)
            continue;
          gint rtx = -1, apt = -1;
          if (sscanf (attr->value, "%d apt=%d", &rtx, &apt) != 2 || apt != pt)
            continue;
          // ... and that format is rtx.
          for (guint b = 0; b < gst_sdp_media_attributes_len (media); b++)
            {
              const GstSDPAttribute *map = gst_sdp_media_get_attribute (media, b);
              gint n = -1;
              char name[16] = "";
              if (g_strcmp0 (map->key, "rtpmap") == 0 && map->value
                  && sscanf (map->value, "%d %15[^/]", &n, name) == 2 && n == rtx
                  && g_ascii_strcasecmp (name, "rtx") == 0)
                return rtx;
            }
        }
    }
  return -1;
}

} // namespace rtc
