/* rtcsignalbin: the signalling bin, abstract base of rtcbroadcastsink, rtcingestsrc and
 * rtccallbin. It owns what every session-based element needs, written once: the endpoint
 * properties (address, serve, signaller, ICE, connect timeout), the `signaller` child, a
 * worker thread, one rtcpeerbin per signalling session, connect timeouts, teardown, and the
 * data channels of every session (`data-channel`, `send-message`, `message`, ...). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_SIGNAL_BIN (gst_rtc_signal_bin_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstRtcSignalBin, gst_rtc_signal_bin, GST, RTC_SIGNAL_BIN, GstBin)

/* What a subclass does with its sessions; defined in C++ (elements/signal/session.h). */
typedef struct _GstRtcSignalBinHooks GstRtcSignalBinHooks;

struct _GstRtcSignalBinClass
{
  GstBinClass parent_class;

  /*< private >*/
  const GstRtcSignalBinHooks *hooks;
  gpointer _gst_reserved[GST_PADDING];
};

/* The `send-message` / `send-data` action signals: to the data channel of session @session_id
 * (NULL: every session), the one labelled "rtckit" first. TRUE when a session took it (queued
 * until its channel opens); FALSE and a warning for an unknown session, a message over
 * `max-message-size`, or a session without a data channel. Any thread. */
gboolean gst_rtc_signal_bin_send_message (GstRtcSignalBin *self, const gchar *session_id,
                                          const gchar *text);
gboolean gst_rtc_signal_bin_send_data (GstRtcSignalBin *self, const gchar *session_id,
                                       GBytes *data);

G_END_DECLS
