/* libFuzzer target: a viewer's RTCP as the per-viewer send stage reads it
 * (elements/send/rtcp-feedback): rtc::read_rtcp() on one decrypted compound, then its TWCC
 * reports through a TwccHistory that has sent packets, as the send stage would.
 *
 * Input: one compound RTCP buffer. Checked: what is read is about our streams only; NACK numbers
 * each once, no more than the bytes can name; a TWCC report covers exactly its status count
 * (1..10,000) of consecutive numbers, arrivals no further from its reference time than its
 * deltas can reach; REMB at most 10 Gbit/s; the GstBuffer reading says the same; the history
 * returns at most what the report covers plus the numbers it can fill in, with times that are
 * times. */
#include "fuzz-check.h"
#include "send/rtcp-feedback.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <set>

namespace
{

constexpr guint32 kVideo = 0x11223344, kAudio = 0x55667788;

bool
ours (guint32 ssrc)
{
  return ssrc == kVideo || ssrc == kAudio;
}

void
check (const rtc::RtcpFeedback &r, size_t size)
{
  FUZZ_CHECK (r.absurd <= r.malformed);
  for (const auto &n : r.nacks)
    {
      FUZZ_CHECK (ours (n.media_ssrc));
      FUZZ_CHECK (!n.seqs.empty () && n.seqs.size () <= size / 4 * 17);
      FUZZ_CHECK (std::set<guint16> (n.seqs.begin (), n.seqs.end ()).size () == n.seqs.size ());
    }
  for (const auto &k : r.keyframes)
    FUZZ_CHECK (ours (k.media_ssrc));
  for (const auto &m : r.rembs)
    {
      FUZZ_CHECK (m.bitrate_bps <= 10000000000ull);
      FUZZ_CHECK (std::any_of (m.ssrcs.begin (), m.ssrcs.end (), ours));
    }
  for (const auto &t : r.twcc)
    {
      FUZZ_CHECK (t.status_count >= 1 && t.status_count <= 10000);
      FUZZ_CHECK (t.packets.size () == t.status_count);
      FUZZ_CHECK (t.reference_time <= 0xffffff);
      const gint64 ref = (gint64)t.reference_time * 64000;
      for (size_t i = 0; i < t.packets.size (); i++)
        {
          const auto &a = t.packets[i];
          FUZZ_CHECK (a.seq == (guint16)(t.base_seq + i));
          if (a.received)
            FUZZ_CHECK (std::llabs (a.arrival_us - ref) <= (gint64)(i + 1) * 32768 * 250);
          else
            FUZZ_CHECK (a.arrival_us == 0);
        }
    }
  for (const auto &b : r.reports)
    FUZZ_CHECK (ours (b.ssrc));
}

} // namespace

extern "C" int
LLVMFuzzerInitialize (int *, char ***)
{
  /* GstBuffer and the debug log need gst_init(), but no plugin: no registry to scan or write. */
  g_setenv ("GST_REGISTRY_UPDATE", "no", TRUE);
  g_setenv ("GST_REGISTRY_FORK", "no", TRUE);
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", "", TRUE);
  gst_init (nullptr, nullptr);
  return 0;
}

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const auto r = rtc::read_rtcp (data, size, ours);
  check (r, size);

  /* The GstBuffer convenience reads the same. */
  GstBuffer *buf = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY, (gpointer)data, size, 0,
                                                size, nullptr, nullptr);
  const auto again = rtc::read_rtcp (buf, ours);
  gst_buffer_unref (buf);
  FUZZ_CHECK (again.malformed == r.malformed && again.nacks.size () == r.nacks.size ()
              && again.twcc.size () == r.twcc.size ()
              && again.reports.size () == r.reports.size ());

  /* The send stage's history: 3000 packets sent 300 µs apart, numbers 0..2999. */
  rtc::TwccHistory history;
  for (guint i = 0; i < 3000; i++)
    history.on_send (i * 300, 1000);
  for (const auto &fb : r.twcc)
    {
      const auto out = history.on_feedback (fb);
      FUZZ_CHECK (out.size () <= fb.packets.size () + 4096);
      for (const auto &p : out)
        if (GST_CLOCK_TIME_IS_VALID (p.sent))
          FUZZ_CHECK (p.sent < 3000 * 300 * GST_USECOND && p.size == 1000);
    }
  return 0;
}
