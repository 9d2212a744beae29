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

/* Send mode: request sink pads `video_%u` / `audio_%u` (RTP, caps = codec preferences), then
 * create the offer. Receive mode: add one receiver per m-line of the remote offer, then answer;
 * webrtcbin's incoming streams appear as sometimes src pads `video_src_%u` / `audio_src_%u`
 * (application/x-rtp; %u is the m-line index) once their first packet arrives. */

/* Creates an offer, sets it as local description and emits "local-description". */
void gst_rtc_peer_bin_create_offer (GstRtcPeerBin *self);
/* Sets the remote description (@type "answer" or "offer"); @done runs once it is applied. */
void gst_rtc_peer_bin_set_remote_description (GstRtcPeerBin *self, const gchar *type,
                                              const gchar *sdp, GstRtcPeerBinDoneFunc done,
                                              gpointer user_data, GDestroyNotify notify);
/* Adds a remote ICE candidate; an empty or NULL @candidate is the end-of-candidates marker. */
void gst_rtc_peer_bin_add_ice_candidate (GstRtcPeerBin *self, guint mline_index,
                                         const gchar *candidate);
/* Receive mode: adds a recvonly transceiver for the next audio/video m-line of the remote offer
 * (m-line order). @caps is the codec to answer with: one application/x-rtp structure with the
 * offer's payload type, media and encoding-name (use the offer's own fmtp fields). */
void gst_rtc_peer_bin_add_receiver (GstRtcPeerBin *self, const GstCaps *caps);
/* Receive mode: sets @offer as remote description, creates the answer, sets it as local
 * description and emits "local-description" ("answer"); @done runs after (on a webrtcbin
 * thread), with an error when any step failed. */
void gst_rtc_peer_bin_answer (GstRtcPeerBin *self, const gchar *offer, GstRtcPeerBinDoneFunc done,
                              gpointer user_data, GDestroyNotify notify);
void gst_rtc_peer_bin_get_stats (GstRtcPeerBin *self, GstRtcPeerBinStatsFunc func,
                                 gpointer user_data, GDestroyNotify notify);

G_END_DECLS
