/* rtcpeerbin: one WebRTC peer connection (webrtcbin inside), the RTCPeerConnection of a pipeline. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_PEER_BIN (gst_rtc_peer_bin_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcPeerBin, gst_rtc_peer_bin, GST, RTC_PEER_BIN, GstBin)

/* Called on a webrtcbin thread: hand the work to your own context. @error is NULL on success. */
typedef void (*GstRtcPeerBinDoneFunc) (GstRtcPeerBin *self, const GError *error, gpointer user_data);
/* Called on a webrtcbin thread with the raw get-stats structure (transfer none), or NULL. */
typedef void (*GstRtcPeerBinStatsFunc) (GstRtcPeerBin *self, const GstStructure *stats,
                                        gpointer user_data);

/* Creates an offer, sets it as local description and emits "local-description". */
void gst_rtc_peer_bin_create_offer (GstRtcPeerBin *self);
/* Sets the remote description (@type "answer" or "offer"); @done runs once it is applied. */
void gst_rtc_peer_bin_set_remote_description (GstRtcPeerBin *self, const gchar *type,
                                              const gchar *sdp, GstRtcPeerBinDoneFunc done,
                                              gpointer user_data, GDestroyNotify notify);
/* Adds a remote ICE candidate; an empty or NULL @candidate is the end-of-candidates marker. */
void gst_rtc_peer_bin_add_ice_candidate (GstRtcPeerBin *self, guint mline_index,
                                         const gchar *candidate);
void gst_rtc_peer_bin_get_stats (GstRtcPeerBin *self, GstRtcPeerBinStatsFunc func,
                                 gpointer user_data, GDestroyNotify notify);

G_END_DECLS
