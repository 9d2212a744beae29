/* rtcencodebin: raw video or audio in, real-time RTP out (encoder chosen and tuned for WebRTC). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* The codecs rtcencodebin can produce; the nicks are the SDP-ish names ("h264", "vp8", ...). */
typedef enum
{
  GST_RTC_CODEC_H264,
  GST_RTC_CODEC_VP8,
  GST_RTC_CODEC_VP9,
  GST_RTC_CODEC_OPUS,
  GST_RTC_CODEC_PCMU,
  GST_RTC_CODEC_PCMA,
} GstRtcCodec;

#define GST_TYPE_RTC_CODEC (gst_rtc_codec_get_type())
GType gst_rtc_codec_get_type(void);

#define GST_TYPE_RTC_ENCODE_BIN (gst_rtc_encode_bin_get_type())
G_DECLARE_FINAL_TYPE(GstRtcEncodeBin, gst_rtc_encode_bin, GST, RTC_ENCODE_BIN, GstBin)

G_END_DECLS
