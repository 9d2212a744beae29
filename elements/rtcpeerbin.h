/* rtcpeerbin: one WebRTC peer connection (webrtcbin inside), the RTCPeerConnection of a pipeline:
 * media both ways and data channels. Documentation: docs/rtcpeerbin.md. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_PEER_BIN (gst_rtc_peer_bin_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcPeerBin, gst_rtc_peer_bin, GST, RTC_PEER_BIN, GstBin)

/* Called on a webrtcbin thread: hand the work to your own context. @error is NULL on success. */
typedef void (*GstRtcPeerBinDoneFunc) (GstRtcPeerBin *self, const GError *error,
                                       gpointer user_data);
/* Called on a webrtcbin thread with the raw get-stats structure (transfer none), or NULL. */
typedef void (*GstRtcPeerBinStatsFunc) (GstRtcPeerBin *self, const GstStructure *stats,
                                        gpointer user_data);

/* Sending: request sink pads `video_%u` / `audio_%u` (RTP, caps = codec preferences). Their
 * transceivers take the "direction" property (sendonly by default; sendrecv also receives on
 * the m-line). Receiving: webrtcbin's incoming streams appear as sometimes src pads
 * `video_src_%u` / `audio_src_%u` (application/x-rtp; %u is the m-line index) once their first
 * packet arrives, on a streaming thread.
 *
 * Offering side: request and link the pads, gst_rtc_peer_bin_create_data_channel() if wanted,
 * gst_rtc_peer_bin_create_offer(), then gst_rtc_peer_bin_set_remote_description ("answer").
 *
 * Answering side, three ways:
 * - gst_rtc_peer_bin_answer (offer): pads requested before it send on the offer's m-lines that
 *   webrtcbin finds compatible (kind and codec preferences); other m-lines are answered
 *   recvonly. This is how rtcbroadcastsink (WHEP) and rtcingestsrc (with
 *   gst_rtc_peer_bin_add_receiver) answer.
 * - two-way, as RTCPeerConnection.addTrack() after setRemoteDescription(): call
 *   gst_rtc_peer_bin_set_remote_description ("offer"); once its @done ran, every pad requested
 *   until the answer is made is bound to the next m-line of its kind in the offer that can carry
 *   it (the offer sendrecv or recvonly, and the codec of the caps given to the request when they
 *   name an encoding-name); the pad's transceiver takes the offer's payload type for that codec
 *   as codec preference and answers sendrecv (sendonly when the offer is recvonly). RTP must
 *   use the offer's payload type: a payloader whose pt is not forced takes it from the pad's
 *   caps query. Link the pads, then gst_rtc_peer_bin_create_answer().
 * - data channels only: gst_rtc_peer_bin_answer (offer).
 *
 * Threads: call these from your own threads (a done callback may start the next step, but never
 * wait there); done and stats callbacks, and every signal, come on webrtcbin's threads. */

/* Creates an offer, sets it as local description and emits "local-description". Sink pads must
 * have caps already (webrtcbin makes no offer without them; the "create-offer" action signal
 * waits for them instead). On failure emits "failed". */
void gst_rtc_peer_bin_create_offer (GstRtcPeerBin *self);
/* Sets the remote description (@type "answer" or "offer"); @done runs once it is applied. */
void gst_rtc_peer_bin_set_remote_description (GstRtcPeerBin *self, const gchar *type,
                                              const gchar *sdp, GstRtcPeerBinDoneFunc done,
                                              gpointer user_data, GDestroyNotify notify);
/* Adds a remote ICE candidate; an empty or NULL @candidate is the end-of-candidates marker. */
void gst_rtc_peer_bin_add_ice_candidate (GstRtcPeerBin *self, guint mline_index,
                                         const gchar *candidate);
/* Receive mode: adds a recvonly transceiver for the next audio/video m-line of the remote offer
 * (m-line order), or for an m-line of our offer that we receive on and do not send. @caps is the
 * codec to answer with: one application/x-rtp structure with the offer's payload type, media and
 * encoding-name (use the offer's own fmtp fields). Call before the answer or the offer. */
void gst_rtc_peer_bin_add_receiver (GstRtcPeerBin *self, const GstCaps *caps);
/* Receive mode: sets @offer as remote description, creates the answer, sets it as local
 * description and emits "local-description" ("answer"); @done runs after (on a webrtcbin
 * thread), with an error when any step failed. */
void gst_rtc_peer_bin_answer (GstRtcPeerBin *self, const gchar *offer, GstRtcPeerBinDoneFunc done,
                              gpointer user_data, GDestroyNotify notify);
/* Two-way answer, after gst_rtc_peer_bin_set_remote_description ("offer") is done and the pads
 * to send on were requested and linked (see above): once every sink pad has caps, creates the
 * answer, sets it as local description and emits "local-description" ("answer"); @done runs
 * after (on a webrtcbin thread), with an error when webrtcbin made no answer. */
void gst_rtc_peer_bin_create_answer (GstRtcPeerBin *self, GstRtcPeerBinDoneFunc done,
                                     gpointer user_data, GDestroyNotify notify);
void gst_rtc_peer_bin_get_stats (GstRtcPeerBin *self, GstRtcPeerBinStatsFunc func,
                                 gpointer user_data, GDestroyNotify notify);

/* Data channels (see the signals for the details). In READY or beyond, before the offer
 * (offering side): an ordered, reliable channel @label; FALSE when one of that label exists or
 * webrtcbin made none. */
gboolean gst_rtc_peer_bin_create_data_channel (GstRtcPeerBin *self, const gchar *label);
/* Sends @text / @data on the channel @label (NULL: "rtckit", else the first open channel, else
 * the first still opening); queued until the channel opens. FALSE (and a warning) when there is
 * no such channel, the message is over "max-message-size" or the queue is full. */
gboolean gst_rtc_peer_bin_send_message (GstRtcPeerBin *self, const gchar *label, const gchar *text);
gboolean gst_rtc_peer_bin_send_data (GstRtcPeerBin *self, const gchar *label, GBytes *data);

G_END_DECLS
