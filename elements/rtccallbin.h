/* rtccallbin: a two-way call with one remote peer at a time (a browser on the /call page, or
 * another pipeline), media both ways and a data channel beside it. */
#pragma once

#include "rtcsignalbin.h"

G_BEGIN_DECLS

#define GST_TYPE_RTC_CALL_BIN (gst_rtc_call_bin_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcCallBin, gst_rtc_call_bin, GST, RTC_CALL_BIN, GstRtcSignalBin)

G_END_DECLS
