// The per-viewer header rewrite alone (elements/send/rtp-rewrite.cpp), counted by callgrind: each
// packet shaped like rtph264pay's output (a 12-byte header memory, a 1188-byte payload memory)
// is rewritten for every viewer, and the copies live until all are made (as in the viewers'
// appsrc queues), then go. Instructions per packet per viewer, for 1, 10 or 50 viewers:
//
//   valgrind --tool=callgrind --toggle-collect='one_packet*' build/bench/rewrite-bench 10 2000
//   (the total of the "Collected" line / (10 x 2000))
#include "send/rtp-rewrite.h"

#include <gst/gst.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

static GstBuffer *
packet (guint16 seq, guint32 ts, bool marker)
{
  GstBuffer *buf = gst_buffer_new ();
  guint8 hdr[12] = { 0x80, (guint8)((marker ? 0x80 : 0) | 96) };
  GST_WRITE_UINT16_BE (hdr + 2, seq);
  GST_WRITE_UINT32_BE (hdr + 4, ts);
  GST_WRITE_UINT32_BE (hdr + 8, 0x12345678);
  gst_buffer_append_memory (buf, gst_memory_new_wrapped ((GstMemoryFlags)0, g_memdup2 (hdr, 12),
                                                         12, 0, 12, nullptr, nullptr));
  GstMemory *payload = gst_allocator_alloc (nullptr, 1188, nullptr);
  GstMapInfo map;
  gst_memory_map (payload, &map, GST_MAP_WRITE);
  memset (map.data, 0x5c, map.size);
  map.data[0] = 28; // FU-A
  gst_memory_unmap (payload, &map);
  gst_buffer_append_memory (buf, payload);
  GST_BUFFER_PTS (buf) = (GstClockTime)ts * GST_SECOND / 90000;
  return buf;
}

// Not inlined: callgrind's --toggle-collect counts from here.
extern "C" G_GNUC_NO_INLINE void
one_packet (std::vector<rtc::RtpRewriter> &viewers, GstBuffer *in, const rtc::PacketInfo &info,
            std::vector<GstBuffer *> &outs)
{
  for (std::size_t i = 0; i < viewers.size (); i++)
    outs[i] = viewers[i].rewrite (in, info, false, info.frame_start ? 100 : -1);
  for (auto *o : outs)
    gst_buffer_unref (o);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  const std::size_t viewers = argc > 1 ? strtoul (argv[1], nullptr, 10) : 10;
  const guint packets = argc > 2 ? strtoul (argv[2], nullptr, 10) : 2000;
  std::vector<rtc::RtpRewriter> rw (viewers);
  for (auto &r : rw)
    r.set_ids ({ 102, 3, 4, 90000, rtc::PictureIds::None }); // TWCC and playout-delay slots
  std::vector<GstBuffer *> outs (viewers);
  for (guint p = 0; p < packets; p++)
    {
      const bool last = p % 4 == 3; // 4 packets a frame
      GstBuffer *in = packet ((guint16)p, (p / 4) * 3000, last);
      rtc::PacketInfo info{ p % 4 == 0, false };
      one_packet (rw, in, info, outs);
      gst_buffer_unref (in);
    }
  printf ("%zu viewers x %u packets rewritten\n", viewers, packets);
  return 0;
}
