/* rtcbroadcastsink: publish one live stream to many web browsers over WebRTC. */
#pragma once

#include "rtcsignalbin.h"

G_BEGIN_DECLS

#define GST_TYPE_RTC_BROADCAST_SINK (gst_rtc_broadcast_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcBroadcastSink, gst_rtc_broadcast_sink, GST, RTC_BROADCAST_SINK,
                      GstRtcSignalBin)

G_END_DECLS
