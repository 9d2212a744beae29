/* rtcdisplaymediasrc: the screen, a window or a region as a live raw video source
 * (getDisplayMedia as an element). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Where rtcdisplaymediasrc captures from. */
typedef enum
{
  GST_RTC_DISPLAY_SOURCE_AUTO,
  GST_RTC_DISPLAY_SOURCE_X11,
  GST_RTC_DISPLAY_SOURCE_PIPEWIRE,
} GstRtcDisplaySource;

#define GST_TYPE_RTC_DISPLAY_SOURCE (gst_rtc_display_source_get_type())
GType gst_rtc_display_source_get_type(void);

#define GST_TYPE_RTC_DISPLAY_MEDIA_SRC (gst_rtc_display_media_src_get_type())
G_DECLARE_FINAL_TYPE(GstRtcDisplayMediaSrc, gst_rtc_display_media_src, GST, RTC_DISPLAY_MEDIA_SRC,
                     GstBin)

G_END_DECLS
