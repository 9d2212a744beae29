// rtcpeerbin's state and the functions its files share (C++ only; the public API is rtcpeerbin.h).
//
// Files: rtcpeerbin.cpp (the GObject: properties, signals, state changes), negotiation.cpp
// (offer, answer, descriptions, candidates), pads.cpp (request and sometimes pads, m-line
// binding), transport.cpp (ICE settings, DTLS fingerprint check), data-channels.cpp (data
// channels), stats.cpp (get-stats, repair and data channel counters).
#pragma once

#include "rtcpeerbin.h"

#include "data-channels.h"
#include "gst-ptr.h"
#include "media-path.h"
#include "promise-util.h"
#include "repair-budget.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN (rtc_peer_bin_debug);

#define DEFAULT_RETRANSMISSION_BUDGET 25
#define DEFAULT_DIRECTION GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY
#define DEFAULT_MAX_MESSAGE_SIZE 262144

namespace rtc::peer
{

enum Signal
{
  SIGNAL_LOCAL_DESCRIPTION,
  SIGNAL_LOCAL_CANDIDATE,
  SIGNAL_FAILED,
  SIGNAL_MESSAGE,
  SIGNAL_DATA,
  SIGNAL_DATA_CHANNEL_OPENED,
  SIGNAL_DATA_CHANNEL_CLOSED,
  N_SIGNALS
};
extern guint signals[N_SIGNALS];

struct Settings
{
  std::string stun_server;
  std::string turn_servers;
  std::string ice_local_addresses;
  guint ice_min_port = 0, ice_max_port = 0; // "ice-port-range"; 0: any
  std::string session_id;
  std::string peer_id;
  GstWebRTCRTPTransceiverDirection direction = DEFAULT_DIRECTION;
};

// Lock order: settings_lock, then state_lock (DataChannels has its own lock, never taken with
// these); none is held while calling webrtcbin or emitting a signal.
struct Private
{
  explicit Private (GstRtcPeerBin *self);

  std::mutex settings_lock;
  Settings settings;

  std::mutex state_lock;
  std::string remote_fingerprint; // "sha-256 AA:BB:..." from the remote SDP
  bool fingerprint_checked = false;
  std::vector<gpointer> watched_transports; // DTLS transports whose state we follow
  bool gathering_done = false;              // the end of candidates was emitted
  std::vector<guint> bound_mlines;          // m-lines of the remote offer a requested pad sends on

  GstElement *webrtc = nullptr; // owned by the bin
  guint next_pad = 0;
  // Set while the bin stops: our promise callbacks queue no further webrtcbin operation (a
  // set-local-description queued behind the stop started transports that were never stopped).
  std::atomic<bool> stopping{ false };
  RepairBudget repair{ DEFAULT_RETRANSMISSION_BUDGET };
  DataChannels channels;

  // The media path of our own (media-path.cpp); a leaf lock, taken on streaming threads.
  std::mutex path_lock;
  bool path_known = false; // announced (path may still be nullptr: none)
  bool key_watch = false;  // waiting for dtlssrtpenc's on-key-set
  bool rtcp_probed = false;
  std::shared_ptr<const MediaPath> path;
  MediaPathReady path_ready;
  RtcpTap rtcp_tap;
  std::vector<guint32> claimed_ssrcs;
};

/* transport.cpp */
void fail (GstRtcPeerBin *self, const gchar *reason);
void remember_remote_fingerprint (GstRtcPeerBin *self, const GstSDPMessage *sdp);
void watch_dtls_transports (GstRtcPeerBin *self);
// @fn on each transceiver's DTLS transport (transfer none; one transport many times when bundled).
void each_transceiver_transport (GstRtcPeerBin *self,
                                 const std::function<void (GstWebRTCDTLSTransport *)> &fn);
void apply_ice_settings (GstRtcPeerBin *self);
void connect_transport_signals (GstRtcPeerBin *self);
// webrtcbin (1.22, and upstream since) connects each TransportReceiveBin to its ICE transport's
// notify::state and never disconnects it. A state change after the bin stopped (the agent
// failing or closing as the session ends) blocks the bin's pad again, and that block holds a
// ref on the bin: the bin, its nicesrc, the agent's two sockets and three eventfds live on for
// good (test_churn: one run in ten of 300 hostile cycles). Called before the bins stop.
void detach_receive_bins (GstRtcPeerBin *self);

/* media-path.cpp */
// Once the DTLS peer is verified: reads the SRTP key and ICE stream, calls the watcher.
void announce_media_path (GstRtcPeerBin *self);

/* pads.cpp */
GstPad *request_new_pad (GstElement *element, GstPadTemplate *templ, const gchar *name,
                         const GstCaps *caps);
void release_pad (GstElement *element, GstPad *pad);
void connect_pad_signals (GstRtcPeerBin *self);
void add_pad_templates (GstElementClass *klass);

/* negotiation.cpp */
void create_offer (GstRtcPeerBin *self, bool wait_for_caps, Completion done);
void set_remote_description (GstRtcPeerBin *self, const gchar *type, const gchar *sdp,
                             Completion done);
void create_answer (GstRtcPeerBin *self, Completion done);
void answer (GstRtcPeerBin *self, const gchar *offer, Completion done);

/* stats.cpp */
void get_stats (GstRtcPeerBin *self, GstPromise *promise);
GstStructure *repair_stats (GstRtcPeerBin *self);
GstStructure *data_channel_stats (GstRtcPeerBin *self);

} // namespace rtc::peer

struct _GstRtcPeerBin
{
  GstBin parent;
  rtc::peer::Private *priv;
};
