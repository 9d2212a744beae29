/* rtcingestsrc: receives the streams that remote peers (browsers, WebRTC clients) publish. */
#pragma once

#include "rtcsignalbin.h"

G_BEGIN_DECLS

#define GST_TYPE_RTC_INGEST_SRC (gst_rtc_ingest_src_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcIngestSrc, gst_rtc_ingest_src, GST, RTC_INGEST_SRC, GstRtcSignalBin)

/* The type of rtcingestsrc's src pads: read-only properties "publisher-id" and "session-id". */
#define GST_TYPE_RTC_INGEST_PAD (gst_rtc_ingest_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcIngestPad, gst_rtc_ingest_pad, GST, RTC_INGEST_PAD, GstGhostPad)

/* Stream tag pushed on every src pad: the signalling peer id of the publisher (string). */
#define RTC_TAG_PUBLISHER_ID "rtckit-publisher-id"

G_END_DECLS
