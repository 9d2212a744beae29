/* rtcusermediasrc: a camera and a microphone chosen by getUserMedia-like constraints. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* What to do when no device of a kind is present. */
typedef enum
{
  GST_RTC_USER_MEDIA_FALLBACK_NONE,
  GST_RTC_USER_MEDIA_FALLBACK_TEST,
} GstRtcUserMediaFallback;

#define GST_TYPE_RTC_USER_MEDIA_FALLBACK (gst_rtc_user_media_fallback_get_type ())
GType gst_rtc_user_media_fallback_get_type (void);

#define GST_TYPE_RTC_USER_MEDIA_SRC (gst_rtc_user_media_src_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcUserMediaSrc, gst_rtc_user_media_src, GST, RTC_USER_MEDIA_SRC, GstBin)

G_END_DECLS
