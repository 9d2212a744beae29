// The C++ side of rtcsignalbin, for its subclasses: the session every element keeps per remote
// peer, the hooks a subclass fills in, and what the base does for them. Everything that touches
// sessions runs on the element's worker thread, which alone owns them.
#pragma once

#include "rtcsignalbin.h"

#include "endpoint-props.h"
#include "gst-ptr.h"
#include "media-figures.h"
#include "signalling.h"
#include "worker.h"

#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#define RTC_DEFAULT_DATA_CHANNEL FALSE
#define RTC_DEFAULT_MAX_MESSAGE_SIZE (256 * 1024)

namespace rtc
{

// The base's settings: the endpoint properties and the data channels.
struct SignalBinSettings : EndpointSettings
{
  bool data_channel = RTC_DEFAULT_DATA_CHANNEL;
  guint max_message_size = RTC_DEFAULT_MAX_MESSAGE_SIZE;
};

// The label of the data channel rtcsignalbin opens in every session (`data-channel`), and of the
// one the application's messages go to first.
constexpr const char *kDataChannelLabel = "rtckit";
// Received messages of one session waiting for the worker thread, at most: beyond that a
// flooding peer loses its own messages, and nothing else waits for it.
constexpr guint kInboxMaxMessages = 256;
constexpr gsize kInboxMaxBytes = 4 * 1024 * 1024;

// One session's received data channel messages on their way to the worker thread.
struct Inbox
{
  std::atomic<guint> queued{ 0 };
  std::atomic<gsize> bytes{ 0 };
  std::atomic<guint64> received{ 0 }, dropped{ 0 };
};

// One signalling session: the remote peer and our rtcpeerbin for it. A subclass derives its own
// (a viewer, a publisher) and makes them in its new_session hook.
struct Session
{
  virtual ~Session () = default;
  std::string session_id, peer_id;
  Ptr<GstElement> peer; // rtcpeerbin, once made (new_peer)
  gint64 created_us = 0;
  bool connected = false;                               // its peer connection came up
  // webrtcbin's get-stats every poll (a second), or every fifth once the subclass counts what it
  // sends itself (a session on rtckit's own send stage: ~340,000 instructions a call saved).
  bool stats_every_poll = true;
  guint polls = 0;
  std::vector<std::pair<guint, std::string>> early_ice; // remote candidates before the peer
  std::shared_ptr<Inbox> inbox = std::make_shared<Inbox> ();
  // Frames through the peer's video pads (media-figures.h), for the connection log.
  std::shared_ptr<FrameCounters> frames = std::make_shared<FrameCounters> ();
};

// How one session's connection went, for the /stats dashboard: what happened when, the
// candidates each side gave, the pair ICE selected, and why it ended.
struct ConnectionLog
{
  std::string session_id, peer_id, kind; // kind: the subclass's peer noun
  gint64 started_us = 0;                 // real time
  gint64 ended_us = 0;
  std::string state = "new"; // the peer connection's state, or "ended"
  std::string end_reason;
  std::vector<std::pair<gint64, std::string>> events;           // ms since the start, what
  std::vector<std::string> local_candidates, remote_candidates; // "srflx udp 1.2.3.4:5"
  std::string selected_pair; // "srflx udp 1.2.3.4:5 -> relay udp 6.7.8.9:10"
  MediaFigures media;          // the dashboard's graphs
  std::shared_ptr<FrameCounters> frames;
};

// The base's state (lock order: settings_lock first, then the subclass's own locks).
struct SignalBin
{
  explicit SignalBin (GstDebugCategory *&cat) : signalling (settings_lock, cat) {}

  std::mutex settings_lock;
  SignalBinSettings settings;
  Signalling signalling;

  std::unique_ptr<Worker> worker;
  // Worker-thread state:
  std::map<std::string, std::unique_ptr<Session>> sessions;

  // The sessions' peers, for sending messages from any thread (after settings_lock).
  std::mutex peers_lock;
  std::map<std::string, Ptr<GstElement>> peers;

  // The dashboard's record: the sessions now and the last ended ones (a leaf lock).
  RtcHttpBodyFunc subclass_stats = nullptr;   // its /stats body, under the connections
  RtcHttpBodyFunc subclass_metrics = nullptr; // its /metrics body, before the sessions' lines
  std::mutex log_lock;
  std::map<std::string, ConnectionLog> live_logs;
  std::vector<ConnectionLog> ended_logs;       // newest last, at most kEndedLogs
  std::map<std::string, guint64> ended_by_why; // counters for /metrics (why_ended())
};

constexpr std::size_t kEndedLogs = 20;

// connection-log.cpp. Any thread: add to the record of @session_id (nothing once it ended).
void log_event (GstRtcSignalBin *self, const std::string &session_id, const std::string &what);
void log_candidate (GstRtcSignalBin *self, const std::string &session_id, bool local,
                    const char *candidate);
void log_state (GstRtcSignalBin *self, const std::string &session_id, const std::string &state);
// Worker thread: a session begins / ends (its record moves to the ended ones).
void log_begin (GstRtcSignalBin *self, const Session &session, const char *kind);
void log_end (GstRtcSignalBin *self, const std::string &session_id, const char *reason);
// Any thread: the selected pair and media figures from the session's get-stats reply.
void log_stats (GstRtcSignalBin *self, const std::string &session_id, const GstStructure *stats);
// Any thread: the sending side of @session_id's media, from a subclass that sends past
// webrtcbin; webrtcbin's stats no longer give it.
void log_sending (GstRtcSignalBin *self, const std::string &session_id, const MediaFigures &sent);
// Any thread: every record as a JSON array (the dashboard's "connections").
std::string connections_json (GstRtcSignalBin *self);
// Any thread: Prometheus lines: sessions ended by why, live ones by selected pair type.
std::string connections_metrics (GstRtcSignalBin *self);

} // namespace rtc

/* What a subclass does with its sessions, all on the worker thread unless said otherwise. A
 * subclass sets GstRtcSignalBinClass.hooks in its class_init; optional hooks may be null. */
struct _GstRtcSignalBinHooks
{
  RtcSignallerRole role; // of the default signallers (embedded server, remote client)
  // Optional, any thread: the role now, when it follows a property (rtccallbin's `call`).
  RtcSignallerRole (*role_now) (GstRtcSignalBin *self);
  const char *peer_noun; // "viewer", "publisher": in log lines and reasons
  // Any thread, no lock: the signalling's page, stats bodies, remote producer.
  void (*configure) (GstRtcSignalBin *self, rtc::SignallingConfig &config);
  std::unique_ptr<rtc::Session> (*new_session) ();
  // "" to accept one more session (@count are running), else why it is refused.
  std::string (*admit) (GstRtcSignalBin *self, std::size_t count);
  // A new session, in the map: make its peer (rtc::new_peer) and offer, or answer @offer; or
  // wait (the session stays, without a peer, until the subclass begins it).
  void (*begin) (GstRtcSignalBin *self, rtc::Session &session, const std::string &offer);
  // An SDP from the remote peer of @session.
  void (*remote_sdp) (GstRtcSignalBin *self, rtc::Session &session, const std::string &type,
                      const std::string &sdp);
  // Optional: every state of the peer connection, then its first "connected".
  void (*state_changed) (GstRtcSignalBin *self, rtc::Session &session,
                         GstWebRTCPeerConnectionState state);
  void (*connected) (GstRtcSignalBin *self, rtc::Session &session);
  // Optional: every second for each session with a peer.
  void (*poll) (GstRtcSignalBin *self, rtc::Session &session);
  // Optional, on the worker every 250 ms, for each session with a peer: quick control loops
  // (the broadcast sink's per-viewer adaptation).
  void (*tick) (GstRtcSignalBin *self, rtc::Session &session);
  // Optional, on a webrtcbin thread with no lock held: the session's get-stats reply, which the
  // base asks for once a second per session (and reads the selected pair from).
  void (*stats) (GstRtcSignalBin *self, const std::string &session_id, const GstStructure *stats);
  // Optional: the session is out of the map and its peer about to stop: stop feeding it.
  void (*before_peer_stops) (GstRtcSignalBin *self, rtc::Session &session);
  // Optional: the peer is stopped and gone; @eos: end the session's outputs (a peer left), not a
  // pipeline that stops.
  void (*ended) (GstRtcSignalBin *self, rtc::Session &session, const char *reason, bool eos);
  // Optional: the number of sessions changed.
  void (*count_changed) (GstRtcSignalBin *self, guint count);
  // Optional: a text message on one of the session's data channels; true when the subclass
  // consumed it (its own channel), else the application gets it.
  bool (*channel_message) (GstRtcSignalBin *self, rtc::Session &session, const std::string &label,
                           const std::string &text);
};

namespace rtc
{

SignalBin &signal_bin (GstRtcSignalBin *self);
// Any thread: runs @fn later on the element's worker, or drops it when the element stopped.
void run_on_worker (GstRtcSignalBin *self, std::function<void ()> fn);
// Any thread: runs @fn on the worker and waits for it (at once when called from there, or not
// at all when the element is stopped).
void run_on_worker_sync (GstRtcSignalBin *self, std::function<void ()> fn);
SignalBinSettings signal_bin_settings (GstRtcSignalBin *self);
RtcSignallerRole signal_bin_role (GstRtcSignalBin *self);
void post_element_message (GstRtcSignalBin *self, GstStructure *s);

// Worker thread:
Session *find_session (GstRtcSignalBin *self, const std::string &session_id);
// The session's rtcpeerbin with the element's ICE settings and the base's handlers, in the bin,
// not started; nullptr, and the session refused, when it cannot be made.
GstElement *new_peer (GstRtcSignalBin *self, Session &session);
// Starts the peer inside the element and hands it the remote candidates that came early. When
// @we_offer, before the subclass makes the offer: the `rtckit` data channel (`data-channel`).
void start_peer (GstRtcSignalBin *self, Session &session, bool we_offer);
// Ends @session_id: the subclass's hooks, the peer stopped and removed, the remote told unless
// it was the one that ended it.
void end_session (GstRtcSignalBin *self, const std::string &session_id, const char *reason,
                  bool tell_remote = true, bool eos = true);
// Ends a session we cannot serve, with a warning on the bus that says why.
void refuse_session (GstRtcSignalBin *self, const std::string &session_id, const std::string &why);

// data-channels.cpp. Worker thread: the session's peer's messages to the element
// (new_peer does it), and forgotten (end_session); its `rtckit` channel (start_peer).
void watch_data_channels (GstRtcSignalBin *self, Session &session);
void forget_data_channels (GstRtcSignalBin *self, const std::string &session_id);
void open_data_channels (GstRtcSignalBin *self, Session &session);
// Any thread: the `send-message` and `send-data` action signals.
gboolean send_message (GstRtcSignalBin *self, const gchar *session_id, const gchar *text);
gboolean send_data (GstRtcSignalBin *self, const gchar *session_id, GBytes *data);

// Any thread: ends every session (the pipeline stops: no EOS).
void stop_sessions (GstRtcSignalBin *self, const char *reason);
// Worker thread (rtcsignalbin.cpp's state changes): the signaller's handlers and the timer.
bool start_sessions (GstRtcSignalBin *self);

} // namespace rtc
