/**
 * SECTION:element-rtcpeerbin
 * @title: rtcpeerbin
 *
 * One WebRTC peer connection: a webrtcbin configured for browsers (max-bundle, NACK/RTX on
 * video, transceivers whose codec preferences come from the caps given when a pad is
 * requested) with the DTLS certificate checked against the remote SDP's a=fingerprint, which
 * webrtcbin 1.22 does not do by itself. Media goes both ways (property "direction", and the
 * two-way answer described in rtcpeerbin.h), data channels carry text and binary messages.
 * rtcbroadcastsink creates one per viewer, rtcingestsrc one per publisher; applications use it
 * through its action signals (from Python as webrtcbin's) or the functions in rtcpeerbin.h.
 * docs/rtcpeerbin.md has a tested Python example.
 *
 * Receive mode (rtcingestsrc): gst_rtc_peer_bin_add_receiver() once per m-line of the remote
 * offer (recvonly, the codec to answer with as codec preferences), then
 * gst_rtc_peer_bin_answer(). Each incoming stream appears as a sometimes src pad
 * `video_src_%u` / `audio_src_%u` (application/x-rtp, %u = m-line index) on its first packet;
 * depayloading is left to the user. The fingerprint check works the same in both directions.
 *
 * Send mode: a request pad `video_%u` / `audio_%u` takes RTP, or a codec's encoded stream
 * (video/x-h264, video/x-vp8, video/x-vp9, audio/x-opus, G.711), which the bin payloads itself
 * ([parser !] payloader, added on the pad's first caps).
 *
 * The files in elements/peer/ do the work: negotiation, pads, transport (ICE, DTLS), data
 * channels, stats.
 *
 * ## Example (application code)
 * |[
 * pad = gst_element_request_pad (peer, templ, "video_0", codec_preference_caps);
 * g_signal_connect (peer, "local-description", G_CALLBACK (send_to_remote), NULL);
 * gst_rtc_peer_bin_create_offer (GST_RTC_PEER_BIN (peer));
 * ]|
 */
#include "rtcpeerbin.h"

#include "bin-util.h"
#include "elements/elements.h"
#include "peer/peer-private.h"

#include <chrono>
#include <condition_variable>

GST_DEBUG_CATEGORY (rtc_peer_bin_debug);
#define GST_CAT_DEFAULT rtc_peer_bin_debug

using namespace rtc::peer;

enum
{
  PROP_0,
  PROP_STUN_SERVER,
  PROP_TURN_SERVERS,
  PROP_ICE_LOCAL_ADDRESSES,
  PROP_ICE_PORT_RANGE,
  PROP_SESSION_ID,
  PROP_PEER_ID,
  PROP_CONNECTION_STATE,
  PROP_WEBRTCBIN,
  PROP_RETRANSMISSION_BUDGET,
  PROP_REPAIR_STATS,
  PROP_DIRECTION,
  PROP_MAX_MESSAGE_SIZE,
  PROP_DATA_CHANNEL_STATS,
};

namespace rtc::peer
{
guint signals[N_SIGNALS];
Private::Private (GstRtcPeerBin *) {}
} // namespace rtc::peer

G_DEFINE_TYPE (GstRtcPeerBin, gst_rtc_peer_bin, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcpeerbin, "rtcpeerbin", GST_RANK_NONE,
                                       GST_TYPE_RTC_PEER_BIN,
                                       GST_DEBUG_CATEGORY_INIT (rtc_peer_bin_debug, "rtcpeerbin", 0,
                                                                "rtckit peer connection"));

/* --- data channels: C API ---------------------------------------------------------------- */

gboolean
gst_rtc_peer_bin_create_data_channel (GstRtcPeerBin *self, const gchar *label)
{
  g_return_val_if_fail (GST_IS_RTC_PEER_BIN (self), FALSE);
  g_return_val_if_fail (label != nullptr, FALSE);
  if (!self->priv->webrtc)
    return FALSE;
  // webrtcbin 1.22 makes channels only once started (its NULL state counts as closed).
  if (GST_STATE (self->priv->webrtc) < GST_STATE_READY
      && GST_STATE_PENDING (self->priv->webrtc) < GST_STATE_READY)
    {
      GST_WARNING_OBJECT (self, "create data channel '%s' once the element is READY or beyond",
                          label);
      return FALSE;
    }
  return self->priv->channels.create (self->priv->webrtc, label);
}

gboolean
gst_rtc_peer_bin_send_message (GstRtcPeerBin *self, const gchar *label, const gchar *text)
{
  g_return_val_if_fail (GST_IS_RTC_PEER_BIN (self), FALSE);
  return self->priv->channels.send_text (label, text);
}

gboolean
gst_rtc_peer_bin_send_data (GstRtcPeerBin *self, const gchar *label, GBytes *data)
{
  g_return_val_if_fail (GST_IS_RTC_PEER_BIN (self), FALSE);
  return self->priv->channels.send_data (label, data);
}

static void
on_data_channel (GstElement *, GObject *channel, GstRtcPeerBin *self)
{
  GST_INFO_OBJECT (self, "the remote peer opened a data channel");
  self->priv->channels.adopt (channel);
}

// The data channels' events as this element's signals; the element held weakly (an event can
// run on webrtcbin's thread while the element is finalized).
static void
connect_data_channel_events (GstRtcPeerBin *self)
{
  auto weak = std::make_shared<WeakSelf> (self);
  DataChannels::Events ev;
  ev.opened = [weak] (const gchar *label) {
    if (auto s = weak->get ())
      g_signal_emit (s.get (), signals[SIGNAL_DATA_CHANNEL_OPENED], 0, label);
  };
  ev.closed = [weak] (const gchar *label) {
    if (auto s = weak->get ())
      g_signal_emit (s.get (), signals[SIGNAL_DATA_CHANNEL_CLOSED], 0, label);
  };
  ev.message = [weak] (const gchar *label, const gchar *text) {
    if (auto s = weak->get ())
      g_signal_emit (s.get (), signals[SIGNAL_MESSAGE], 0, label, text);
  };
  ev.data = [weak] (const gchar *label, GBytes *data) {
    if (auto s = weak->get ())
      g_signal_emit (s.get (), signals[SIGNAL_DATA], 0, label, data);
  };
  self->priv->channels.set_events (std::move (ev));
  g_signal_connect (self->priv->webrtc, "on-data-channel", G_CALLBACK (on_data_channel), self);
}

/* --- action signals ---------------------------------------------------------------------- */

static void
action_create_offer (GstRtcPeerBin *self, GstPromise *promise)
{
  create_offer (self, true, completion_from_promise (promise, "offer"));
}

static void
action_create_answer (GstRtcPeerBin *self, GstPromise *promise)
{
  create_answer (self, completion_from_promise (promise, "answer"));
}

static void
action_set_remote_description (GstRtcPeerBin *self, const gchar *type, const gchar *sdp,
                               GstPromise *promise)
{
  set_remote_description (self, type, sdp, completion_from_promise (promise, nullptr));
}

static void
action_answer (GstRtcPeerBin *self, const gchar *offer, GstPromise *promise)
{
  answer (self, offer, completion_from_promise (promise, "answer"));
}

static void
action_get_stats (GstRtcPeerBin *self, GstPromise *promise)
{
  get_stats (self, promise);
}

/* --- element ----------------------------------------------------------------------------- */

// webrtcbin 1.22 creates a session's transport bins on its own thread (create-offer,
// set-remote-description). When the bin stops while such an operation runs, the new bins join
// after the stop went through the children and follow the state the parent had: a nicesrc
// stayed PLAYING, its task and sockets alive for good, and gst_deinit() then waited for that
// task forever (SIGINT hung). Once webrtcbin is in NULL its thread is joined: stop what is left.
static void
stop_late_children (GstRtcPeerBin *self)
{
  rtc::peer::detach_receive_bins (self); // late ones too, before they stop
  std::vector<rtc::Ptr<GstElement>> running;
  rtc::each_element (GST_BIN (self), [&running] (GstElement *e) {
    if (GST_STATE (e) != GST_STATE_NULL || GST_STATE_PENDING (e) != GST_STATE_VOID_PENDING)
      running.push_back (rtc::Ptr<GstElement>::ref (e));
  });
  for (auto &e : running)
    {
      GST_DEBUG_OBJECT (self, "stopping %s, left running by webrtcbin",
                        GST_ELEMENT_NAME (e.get ()));
      gst_element_set_state (e.get (), GST_STATE_NULL);
    }
}

// Waits until webrtcbin's thread has run what was queued before (an offer or an answer in the
// making adds transport bins, a data channel's close resets its stream): a get-stats round trip,
// as its operations run in order. Bounded, in case that thread is stuck; woken too when
// webrtcbin drops the promise unanswered.
static void
drain_operations (GstRtcPeerBin *self)
{
  struct Wait
  {
    std::mutex lock;
    std::condition_variable cond;
    bool done = false;
    void wake ()
    {
      {
        std::lock_guard l (lock);
        done = true;
      }
      cond.notify_all ();
    }
  };
  auto w = std::make_shared<Wait> ();
  GstPromise *p = gst_promise_new_with_change_func (
      [] (GstPromise *, gpointer d) { (*static_cast<std::shared_ptr<Wait> *> (d))->wake (); },
      new std::shared_ptr<Wait> (w),
      [] (gpointer d) {
        auto *sw = static_cast<std::shared_ptr<Wait> *> (d);
        (*sw)->wake ();
        delete sw;
      });
  g_signal_emit_by_name (self->priv->webrtc, "get-stats", nullptr, p);
  gst_promise_unref (p);
  std::unique_lock l (w->lock);
  if (!w->cond.wait_for (l, std::chrono::seconds (2), [&] { return w->done; }))
    GST_WARNING_OBJECT (self, "webrtcbin did not finish its operations within 2 s");
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_PEER_BIN (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY)
    {
      self->priv->stopping = false;
      apply_ice_settings (self);
    }
  // Before the children stop: no transport may be created behind their backs, and no data
  // channel may be open when webrtcbin stops.
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    {
      self->priv->stopping = true;
      self->priv->channels.close_all ();
      drain_operations (self);
    }
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    rtc::peer::detach_receive_bins (self);
  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS (gst_rtc_peer_bin_parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    stop_late_children (self);
  return ret;
}

static void
handle_message (GstBin *bin, GstMessage *msg)
{
  // This bin is one viewer among many: its transport sinks' EOS must not end the pipeline.
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
    {
      gst_message_unref (msg);
      return;
    }
  // Nor may its children's errors: an SCTP association the remote tore down, a stream the
  // pipeline left unlinked. They end this peer connection ("failed") with a warning instead.
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    {
      GError *err = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error (msg, &err, &debug);
      std::string reason = std::string (GST_MESSAGE_SRC_NAME (msg)) + ": " + err->message;
      GST_ELEMENT_WARNING (bin, STREAM, FAILED, ("A peer connection failed: %s", reason.c_str ()),
                           ("%s", debug ? debug : ""));
      g_clear_error (&err);
      g_free (debug);
      gst_message_unref (msg);
      fail (GST_RTC_PEER_BIN (bin), reason.c_str ());
      return;
    }
  GST_BIN_CLASS (gst_rtc_peer_bin_parent_class)->handle_message (bin, msg);
}

static void
gst_rtc_peer_bin_init (GstRtcPeerBin *self)
{
  self->priv = new Private (self);
  self->priv->webrtc = gst_element_factory_make ("webrtcbin", "webrtcbin");
  if (!self->priv->webrtc)
    {
      GST_ERROR_OBJECT (self, "webrtcbin is missing: install gstreamer1.0-plugins-bad");
      return;
    }
  g_object_set (self->priv->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  gst_bin_add (GST_BIN (self), self->priv->webrtc);
  // Not a sink or source of the pipeline: a viewer joining or leaving must not change the
  // pipeline's preroll, EOS or liveness.
  GST_OBJECT_FLAG_UNSET (self, GST_ELEMENT_FLAG_SINK | GST_ELEMENT_FLAG_SOURCE);
  connect_transport_signals (self);
  connect_pad_signals (self);
  connect_data_channel_events (self);
  // webrtcbin's RTX sender (in rtpbin's aux sender bin) gets the retransmission budget.
  g_signal_connect (self, "deep-element-added",
                    G_CALLBACK (+[] (GstBin *, GstBin *, GstElement *e, GstRtcPeerBin *self) {
                      self->priv->repair.watch (e);
                    }),
                    self);
}

static void
dispose (GObject *object)
{
  auto *self = GST_RTC_PEER_BIN (object);
  // A bin disposed without a state change (never started) still has its channels.
  self->priv->channels.close_all ();
  // webrtcbin may outlive this bin for a moment (its pads are freed on its own state change).
  if (self->priv->webrtc)
    g_signal_handlers_disconnect_by_data (self->priv->webrtc, self);
  G_OBJECT_CLASS (gst_rtc_peer_bin_parent_class)->dispose (object);
  self->priv->webrtc = nullptr; // the bin released it
}

static void
finalize (GObject *object)
{
  auto *self = GST_RTC_PEER_BIN (object);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_peer_bin_parent_class)->finalize (object);
}

static void
set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_PEER_BIN (object);
  switch (prop_id)
    {
    case PROP_RETRANSMISSION_BUDGET:
      self->priv->repair.set_percent (g_value_get_uint (value));
      return;
    case PROP_MAX_MESSAGE_SIZE:
      self->priv->channels.set_max_message_size (g_value_get_uint (value));
      return;
    default:
      break;
    }
  std::lock_guard lock (self->priv->settings_lock);
  auto &s = self->priv->settings;
  auto str = [value] {
    return std::string (g_value_get_string (value) ? g_value_get_string (value) : "");
  };
  switch (prop_id)
    {
    case PROP_STUN_SERVER:
      s.stun_server = str ();
      break;
    case PROP_TURN_SERVERS:
      s.turn_servers = str ();
      break;
    case PROP_ICE_PORT_RANGE:
      {
        guint lo = 0, hi = 0;
        std::string text = str ();
        if (!text.empty ()
            && (sscanf (text.c_str (), "%u-%u", &lo, &hi) != 2 || lo == 0 || hi < lo || hi > 65535))
          {
            GST_WARNING_OBJECT (self, "ice-port-range '%s' is not MIN-MAX: ignored", text.c_str ());
            break;
          }
        s.ice_min_port = lo;
        s.ice_max_port = hi;
        break;
      }
    case PROP_ICE_LOCAL_ADDRESSES:
      s.ice_local_addresses = str ();
      break;
    case PROP_SESSION_ID:
      s.session_id = str ();
      break;
    case PROP_PEER_ID:
      s.peer_id = str ();
      break;
    case PROP_DIRECTION:
      {
        auto d = static_cast<GstWebRTCRTPTransceiverDirection> (g_value_get_enum (value));
        if (d != GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY
            && d != GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV)
          {
            GST_WARNING_OBJECT (self, "direction must be sendonly or sendrecv (a sink pad sends); "
                                      "use gst_rtc_peer_bin_add_receiver() to only receive");
            break;
          }
        s.direction = d;
        break;
      }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_PEER_BIN (object);
  switch (prop_id)
    {
    case PROP_CONNECTION_STATE:
      {
        GstWebRTCPeerConnectionState st = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
        if (self->priv->webrtc)
          g_object_get (self->priv->webrtc, "connection-state", &st, nullptr);
        g_value_set_enum (value, st);
        return;
      }
    case PROP_WEBRTCBIN:
      g_value_set_object (value, self->priv->webrtc);
      return;
    case PROP_RETRANSMISSION_BUDGET:
      g_value_set_uint (value, self->priv->repair.percent ());
      return;
    case PROP_REPAIR_STATS:
      g_value_take_boxed (value, repair_stats (self));
      return;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint (value, self->priv->channels.max_message_size ());
      return;
    case PROP_DATA_CHANNEL_STATS:
      g_value_take_boxed (value, data_channel_stats (self));
      return;
    default:
      break;
    }
  std::lock_guard lock (self->priv->settings_lock);
  const auto &s = self->priv->settings;
  switch (prop_id)
    {
    case PROP_STUN_SERVER:
      g_value_set_string (value, s.stun_server.empty () ? nullptr : s.stun_server.c_str ());
      break;
    case PROP_TURN_SERVERS:
      g_value_set_string (value, s.turn_servers.c_str ());
      break;
    case PROP_ICE_PORT_RANGE:
      {
        std::string text = s.ice_min_port ? std::to_string (s.ice_min_port) + "-"
                                                + std::to_string (s.ice_max_port)
                                          : "";
        g_value_set_string (value, text.c_str ());
        break;
      }
    case PROP_ICE_LOCAL_ADDRESSES:
      g_value_set_string (value, s.ice_local_addresses.c_str ());
      break;
    case PROP_SESSION_ID:
      g_value_set_string (value, s.session_id.c_str ());
      break;
    case PROP_PEER_ID:
      g_value_set_string (value, s.peer_id.c_str ());
      break;
    case PROP_DIRECTION:
      g_value_set_enum (value, s.direction);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
install_properties (GObjectClass *gobject_class)
{
  const auto rw_ready
      = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_STUN_SERVER,
      g_param_spec_string (
          "stun-server", "STUN server",
          "STUN server as stun://host:port, e.g. stun://stun.example.org:3478 (none by default)",
          nullptr, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_TURN_SERVERS,
      g_param_spec_string ("turn-servers", "TURN servers",
                           "Comma-separated TURN servers as turn(s)://user:password@host:port", "",
                           rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_ICE_PORT_RANGE,
      g_param_spec_string ("ice-port-range", "ICE port range",
                           "Local UDP/TCP ports ICE may use, MIN-MAX (e.g. 50000-50100, for a "
                           "firewall that opens only those); empty: any",
                           "", rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_ICE_LOCAL_ADDRESSES,
      g_param_spec_string (
          "ice-local-addresses", "ICE local addresses",
          "Comma-separated local IP addresses ICE may gather on (e.g. 127.0.0.1 to stay on "
          "loopback); empty means every interface except loopback",
          "", rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_SESSION_ID,
      g_param_spec_string ("session-id", "Session id", "Signalling session this peer belongs to",
                           "", GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_PEER_ID,
      g_param_spec_string ("peer-id", "Peer id", "Signalling id of the remote peer", "",
                           GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_CONNECTION_STATE,
      g_param_spec_enum ("connection-state", "Connection state",
                         "The peer connection state, as RTCPeerConnection.connectionState",
                         GST_TYPE_WEBRTC_PEER_CONNECTION_STATE,
                         GST_WEBRTC_PEER_CONNECTION_STATE_NEW, ro));
  g_object_class_install_property (
      gobject_class, PROP_RETRANSMISSION_BUDGET,
      g_param_spec_uint (
          "retransmission-budget", "Retransmission budget",
          "Retransmissions (RTX) sent at most per 100 media packets; past it the "
          "sender asks for a keyframe instead (at most one a second), so a lossy "
          "or narrow link is not flooded with repairs",
          0, 100, DEFAULT_RETRANSMISSION_BUDGET,
          GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_REPAIR_STATS,
      g_param_spec_boxed ("repair-stats", "Repair statistics",
                          "Retransmissions requested, retransmitted, dropped over the budget, "
                          "and keyframes asked for instead",
                          GST_TYPE_STRUCTURE, ro));
  g_object_class_install_property (gobject_class, PROP_WEBRTCBIN,
                                   g_param_spec_object ("webrtcbin", "webrtcbin",
                                                        "The webrtcbin inside, for advanced use",
                                                        GST_TYPE_ELEMENT, ro));
  g_object_class_install_property (
      gobject_class, PROP_DIRECTION,
      g_param_spec_enum (
          "direction", "Direction",
          "What the transceiver of a requested sink pad does when we offer: sendonly, or "
          "sendrecv to also receive the remote's media on that m-line (it comes out of a "
          "video_src_N / audio_src_N pad). Pads bound to a remote offer follow the offer instead",
          GST_TYPE_WEBRTC_RTP_TRANSCEIVER_DIRECTION, DEFAULT_DIRECTION,
          GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_MAX_MESSAGE_SIZE,
      g_param_spec_uint (
          "max-message-size", "Maximum data channel message size",
          "Largest data channel message, in bytes, sent or accepted (larger ones "
          "are refused when sending, dropped and counted when received); 0 means "
          "no limit of our own",
          0, G_MAXUINT, DEFAULT_MAX_MESSAGE_SIZE,
          GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_DATA_CHANNEL_STATS,
      g_param_spec_boxed ("data-channel-stats", "Data channel statistics",
                          "Data channel messages sent, received and dropped (over "
                          "max-message-size), bytes sent and received, over all channels",
                          GST_TYPE_STRUCTURE, ro));
}

static void
install_signals (GObjectClass *klass)
{
  const GType type = G_TYPE_FROM_CLASS (klass);
  const auto action = GSignalFlags (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION);
  /**
   * GstRtcPeerBin::local-description:
   * @type: "offer" or "answer"
   * @sdp: the SDP text, to send to the remote peer
   *
   * Emitted from a webrtcbin thread once a local description is made (and its setting queued).
   */
  signals[SIGNAL_LOCAL_DESCRIPTION]
      = g_signal_new ("local-description", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcPeerBin::local-candidate:
   * @mline_index: the m-line the candidate belongs to
   * @candidate: "candidate:..." to send to the remote peer, or "" once when gathering is
   *   complete (the end of candidates; @mline_index is 0 then)
   */
  signals[SIGNAL_LOCAL_CANDIDATE]
      = g_signal_new ("local-candidate", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                      G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstRtcPeerBin::failed:
   * @reason: why the connection cannot go on (offer failed, DTLS fingerprint mismatch, ...)
   */
  signals[SIGNAL_FAILED] = g_signal_new ("failed", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                                         nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstRtcPeerBin::message:
   * @label: the data channel's label
   * @text: the text message received
   *
   * Emitted from webrtcbin's thread: the handler must not block (it holds up every channel).
   */
  signals[SIGNAL_MESSAGE] = g_signal_new ("message", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                                          nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcPeerBin::data:
   * @label: the data channel's label
   * @data: the binary message received
   *
   * Emitted from webrtcbin's thread: the handler must not block.
   */
  signals[SIGNAL_DATA] = g_signal_new ("data", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                                       nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BYTES);
  /**
   * GstRtcPeerBin::data-channel-opened:
   * @label: the channel's label
   *
   * A channel we created, or one the remote peer opened, is open: messages go out now.
   */
  signals[SIGNAL_DATA_CHANNEL_OPENED]
      = g_signal_new ("data-channel-opened", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                      G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstRtcPeerBin::data-channel-closed:
   * @label: the channel's label
   *
   * An open channel closed (by the remote peer, or when this element stops).
   */
  signals[SIGNAL_DATA_CHANNEL_CLOSED]
      = g_signal_new ("data-channel-closed", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                      G_TYPE_NONE, 1, G_TYPE_STRING);

  /* Action signals. Promise replies are application/x-rtckit-peer-reply structures: "type" and
   * "sdp" (strings) for a description made, nothing more for a description applied, or "error"
   * (string). A promise is always replied, with an error when the peer stopped first. Never
   * wait on one in a callback from webrtcbin. */

  /**
   * GstRtcPeerBin::create-offer:
   * @promise: (nullable): replied with "type"="offer" and "sdp"
   *
   * Once every sink pad has caps: creates an offer (media pads, receivers, data channels), sets
   * it as local description, emits "local-description".
   */
  g_signal_new_class_handler ("create-offer", type, action, G_CALLBACK (action_create_offer),
                              nullptr, nullptr, nullptr, G_TYPE_NONE, 1, GST_TYPE_PROMISE);
  /**
   * GstRtcPeerBin::create-answer:
   * @promise: (nullable): replied with "type"="answer" and "sdp"
   *
   * After "set-remote-description" of an offer and the pads to send on were requested (they
   * are bound to the offer's m-lines): once they have caps, creates the answer, sets it, emits
   * "local-description".
   */
  g_signal_new_class_handler ("create-answer", type, action, G_CALLBACK (action_create_answer),
                              nullptr, nullptr, nullptr, G_TYPE_NONE, 1, GST_TYPE_PROMISE);
  /**
   * GstRtcPeerBin::set-remote-description:
   * @type: "offer" or "answer"
   * @sdp: the remote SDP text
   * @promise: (nullable): replied once applied (or with "error")
   */
  g_signal_new_class_handler ("set-remote-description", type, action,
                              G_CALLBACK (action_set_remote_description), nullptr, nullptr, nullptr,
                              G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, GST_TYPE_PROMISE);
  /**
   * GstRtcPeerBin::add-ice-candidate:
   * @mline_index: the candidate's m-line
   * @candidate: "candidate:..." (an "a=" prefix is accepted); "" or NULL ends the candidates
   */
  g_signal_new_class_handler ("add-ice-candidate", type, action,
                              G_CALLBACK (gst_rtc_peer_bin_add_ice_candidate), nullptr, nullptr,
                              nullptr, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstRtcPeerBin::add-receiver:
   * @caps: the codec to receive: application/x-rtp with media, encoding-name, payload
   *
   * Adds a recvonly m-line (media we want and do not send), before the offer or the answer.
   */
  g_signal_new_class_handler ("add-receiver", type, action,
                              G_CALLBACK (gst_rtc_peer_bin_add_receiver), nullptr, nullptr, nullptr,
                              G_TYPE_NONE, 1, GST_TYPE_CAPS);
  /**
   * GstRtcPeerBin::answer:
   * @offer: the remote offer's SDP text
   * @promise: (nullable): replied with "type"="answer" and "sdp"
   *
   * Sets the offer, creates the answer (pads requested before send on compatible m-lines),
   * sets it, emits "local-description".
   */
  g_signal_new_class_handler ("answer", type, action, G_CALLBACK (action_answer), nullptr, nullptr,
                              nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, GST_TYPE_PROMISE);
  /**
   * GstRtcPeerBin::get-stats:
   * @promise: replied with webrtcbin's statistics plus "rtckit-data-channels" and
   *   "rtckit-repair" (structures, as the properties "data-channel-stats" and "repair-stats")
   */
  g_signal_new_class_handler ("get-stats", type, action, G_CALLBACK (action_get_stats), nullptr,
                              nullptr, nullptr, G_TYPE_NONE, 1, GST_TYPE_PROMISE);
  /**
   * GstRtcPeerBin::create-data-channel:
   * @label: the channel's label
   *
   * Offering side, before the offer: an ordered, reliable channel (the offer then has an SCTP
   * m-line). Returns FALSE when a channel of that label exists or webrtcbin made none.
   */
  g_signal_new_class_handler ("create-data-channel", type, action,
                              G_CALLBACK (gst_rtc_peer_bin_create_data_channel), nullptr, nullptr,
                              nullptr, G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  /**
   * GstRtcPeerBin::send-message:
   * @label: (nullable): the channel; NULL: "rtckit", else the first open one, else the first
   *   still opening
   * @text: the text to send
   *
   * Sends, or queues until the channel opens (64 messages, 1 MiB at most). Returns FALSE, with
   * a warning, when there is no such channel, @text is over "max-message-size" or the queue is
   * full.
   */
  g_signal_new_class_handler ("send-message", type, action,
                              G_CALLBACK (gst_rtc_peer_bin_send_message), nullptr, nullptr, nullptr,
                              G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcPeerBin::send-data:
   * @label: (nullable): the channel, as for "send-message"
   * @data: the bytes to send
   *
   * As "send-message", for a binary message.
   */
  g_signal_new_class_handler ("send-data", type, action, G_CALLBACK (gst_rtc_peer_bin_send_data),
                              nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_STRING,
                              G_TYPE_BYTES);
}

static void
gst_rtc_peer_bin_class_init (GstRtcPeerBinClass *klass)
{
  auto *gobject_class = G_OBJECT_CLASS (klass);
  auto *element_class = GST_ELEMENT_CLASS (klass);
  gobject_class->dispose = dispose;
  gobject_class->finalize = finalize;
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  element_class->change_state = change_state;
  element_class->request_new_pad = request_new_pad;
  element_class->release_pad = release_pad;
  GST_BIN_CLASS (klass)->handle_message = handle_message;

  install_properties (gobject_class);
  install_signals (gobject_class);
  add_pad_templates (element_class);
  gst_element_class_set_static_metadata (
      element_class, "WebRTC peer connection", "Filter/Network/WebRTC",
      "One WebRTC peer connection: RTP both ways with codec preferences per track, data "
      "channels, and DTLS fingerprint verification",
      "rtckit developers");
}
