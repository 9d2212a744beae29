/**
 * SECTION:element-rtcbroadcastsink
 * @title: rtcbroadcastsink
 *
 * Publishes one live stream to many web browsers over WebRTC. By default it serves a viewer
 * page at http://127.0.0.1:8080/ (property `address`): open it and the stream plays.
 *
 * Raw input is encoded once per codec in use (rtcencodebin), never once per viewer; H.264,
 * VP8, VP9, Opus, PCMU or PCMA input is parsed and payloaded without decoding (an IP camera).
 * Each viewer is one rtcpeerbin fed the same RTP buffers through its own bounded, leaky queue,
 * so a slow or vanished viewer never stalls the pipeline or the other viewers. The codec is
 * chosen per viewer from `video-codecs` (a browser without H.264 gets VP8).
 *
 * ## Examples
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! rtcbroadcastsink
 * gst-launch-1.0 rtcbroadcastsink name=s videotestsrc is-live=true ! s. audiotestsrc is-live=true ! s.
 * gst-launch-1.0 rtspsrc location=rtsp://camera/stream ! rtph264depay ! h264parse ! rtcbroadcastsink
 * ]|
 *
 * Bus messages (element messages): `rtckit-url` {url}, `rtckit-viewer-joined` {session-id,
 * peer-id, video-codec, audio-codec}, `rtckit-viewer-left` {session-id, peer-id, reason}.
 */
#include "rtcbroadcastsink.h"

#include "common/codecs.h"
#include "broadcast/feed.h"
#include "broadcast/stats.h"
#include "elements/elements.h"
#include "gst-ptr.h"
#include "closure.h"
#include "rtcpeerbin.h"
#include "signalling.h"
#include "worker.h"

#include <gst/app/gstappsrc.h>
#include <gio/gio.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY (rtc_broadcast_sink_debug);
#define GST_CAT_DEFAULT rtc_broadcast_sink_debug

#define DEFAULT_ADDRESS "127.0.0.1:8080"
#define DEFAULT_SERVE TRUE
#define DEFAULT_VIDEO_CODECS "h264,vp8"
#define DEFAULT_AUDIO_CODECS "opus"
#define DEFAULT_MAX_VIEWERS 0
#define DEFAULT_VIDEO_BITRATE 2000
#define DEFAULT_KEYFRAME_INTERVAL 120
#define DEFAULT_CONNECT_TIMEOUT 30

enum
{
  PROP_0,
  PROP_ADDRESS,
  PROP_SERVE,
  PROP_SIGNALLER,
  PROP_VIDEO_CODECS,
  PROP_AUDIO_CODECS,
  PROP_MAX_VIEWERS,
  PROP_STUN_SERVER,
  PROP_TURN_SERVERS,
  PROP_ICE_LOCAL_ADDRESSES,
  PROP_VIDEO_BITRATE,
  PROP_KEYFRAME_INTERVAL,
  PROP_CONNECT_TIMEOUT,
  PROP_URL,
  PROP_VIEWERS,
};

namespace {

using rtc::CodecInfo;
using rtc::Feed;
using rtc::Ptr;

struct Settings
{
  std::string address = DEFAULT_ADDRESS;
  bool serve = DEFAULT_SERVE;
  std::string video_codecs = DEFAULT_VIDEO_CODECS;
  std::string audio_codecs = DEFAULT_AUDIO_CODECS;
  guint max_viewers = DEFAULT_MAX_VIEWERS;
  std::string stun_server;
  std::string turn_servers;
  std::string ice_local_addresses;
  guint video_bitrate = DEFAULT_VIDEO_BITRATE;
  guint keyframe_interval = DEFAULT_KEYFRAME_INTERVAL;
  guint connect_timeout = DEFAULT_CONNECT_TIMEOUT;
};

// One input pad: a tee that feeds one Feed per codec in use.
struct Track
{
  GstRtcBroadcastSink *owner = nullptr; // the element outlives its tracks
  std::string name;                     // "video_0"
  bool video = true;
  GstPad *ghost = nullptr; // owned by the element
  Ptr<GstElement> tee;
  // Guarded by BroadcastPrivate::tracks_lock:
  bool caps_known = false;
  bool live = true;
  const CodecInfo *passthrough = nullptr; // encoded input codec, nullptr for raw input
  std::vector<const CodecInfo *> codecs;  // what a viewer may be offered
  std::map<const CodecInfo *, std::shared_ptr<Feed>> feeds;
};

// Where a viewer's keyframe requests (PLI/FIR turned into force-key-unit events) go.
struct KeyframeRoute
{
  std::mutex lock;
  std::shared_ptr<Feed> feed;
};

struct ViewerTrack
{
  std::shared_ptr<Track> track;
  Ptr<GstElement> appsrc;
  std::shared_ptr<KeyframeRoute> route;
  const CodecInfo *codec = nullptr;
};

// Owned and touched by the worker thread only.
struct Viewer
{
  std::string session_id;
  std::string peer_id;
  Ptr<GstElement> peer; // rtcpeerbin
  std::vector<ViewerTrack> tracks;
  gint64 created_us = 0;
  bool answered = false;
  bool connected = false;
};

struct PendingSession
{
  std::string session_id;
  std::string peer_id;
};

/* Lock order: settings_lock, then tracks_lock, then stats_lock. None is held while calling
 * into children, the signaller, or posting messages. */
struct BroadcastPrivate
{
  std::mutex settings_lock;
  Settings settings;
  rtc::Signalling signalling{ settings_lock, rtc_broadcast_sink_debug };

  std::mutex tracks_lock;
  std::vector<std::shared_ptr<Track>> tracks;
  guint next_video = 0, next_audio = 0;
  std::mutex feed_build_lock; // serialises creating feeds (streaming and worker threads)

  std::unique_ptr<rtc::Worker> worker;
  // Worker-thread state:
  std::map<std::string, std::unique_ptr<Viewer>> viewers;
  std::vector<PendingSession> pending;

  std::mutex stats_lock;
  std::map<std::string, rtc::ViewerSnapshot> snapshots;
  rtc::BroadcastTotals totals;
  guint viewer_count = 0;
};

} // namespace

struct _GstRtcBroadcastSink
{
  GstBin parent;
  BroadcastPrivate *priv;
};

G_DEFINE_TYPE (GstRtcBroadcastSink, gst_rtc_broadcast_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcbroadcastsink, "rtcbroadcastsink", GST_RANK_NONE,
    GST_TYPE_RTC_BROADCAST_SINK,
    GST_DEBUG_CATEGORY_INIT (rtc_broadcast_sink_debug, "rtcbroadcastsink", 0,
                             "rtckit broadcast sink"));

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE ("video_%u", GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-raw; video/x-h264, stream-format=(string){ avc, byte-stream }; "
                     "video/x-vp8; video/x-vp9"));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE ("audio_%u", GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/x-raw; audio/x-opus; audio/x-mulaw; audio/x-alaw"));

static Settings
copy_settings (GstRtcBroadcastSink *self)
{
  std::lock_guard lock (self->priv->settings_lock);
  return self->priv->settings;
}

static void
post_element_message (GstRtcBroadcastSink *self, GstStructure *s)
{
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

/* --- feeds ------------------------------------------------------------------------------- */

// Returns the feed of @codec on @track, creating and linking it on first use.
static std::shared_ptr<Feed>
ensure_feed (GstRtcBroadcastSink *self, const std::shared_ptr<Track> &track, const CodecInfo *codec)
{
  std::lock_guard build (self->priv->feed_build_lock);
  bool live;
  const CodecInfo *passthrough;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    auto it = track->feeds.find (codec);
    if (it != track->feeds.end ())
      return it->second;
    live = track->live;
    passthrough = track->passthrough;
  }
  Settings s = copy_settings (self);
  auto feed = std::make_shared<Feed> (codec, passthrough ? Feed::Mode::Passthrough : Feed::Mode::Encode,
                                      track->name);
  rtc::Error err;
  Ptr<GstPad> sinkpad (feed->build (GST_BIN (self), live, track->video ? s.video_bitrate : 0,
                                    s.keyframe_interval, err.out ()));
  if (!sinkpad)
    {
      GST_ELEMENT_WARNING (self, CORE, MISSING_PLUGIN,
                           ("Cannot send %s on %s: %s", codec->name, track->name.c_str (),
                            err.message ()),
                           ("feed construction failed"));
      return nullptr;
    }
  Ptr<GstPad> teepad (gst_element_request_pad_simple (track->tee.get (), "src_%u"));
  if (gst_pad_link (teepad.get (), sinkpad.get ()) != GST_PAD_LINK_OK)
    {
      GST_ELEMENT_WARNING (self, CORE, NEGOTIATION, ("Cannot send %s on %s", codec->name,
                           track->name.c_str ()), ("linking the tee branch failed"));
      feed->teardown (GST_BIN (self));
      gst_element_release_request_pad (track->tee.get (), teepad.get ());
      return nullptr;
    }
  GST_INFO_OBJECT (self, "%s: sending %s (%s)", track->name.c_str (), codec->name,
                   passthrough ? "passthrough" : feed->encoder_factory ().c_str ());
  std::lock_guard lock (self->priv->tracks_lock);
  track->feeds[codec] = feed;
  return feed;
}

static void process_pending (GstRtcBroadcastSink *self);

// First caps on a track decide raw (encode) or encoded (passthrough) and start the first feed.
static GstPadProbeReturn
on_track_caps (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  auto track = *static_cast<std::shared_ptr<Track> *> (user_data);
  auto *self = track->owner;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  const char *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  bool raw = g_str_has_suffix (name, "/x-raw");
  {
    std::lock_guard lock (self->priv->tracks_lock);
    if (track->caps_known)
      {
        bool was_raw = track->passthrough == nullptr;
        if (was_raw == raw && (raw || rtc::codec_by_encoded_caps (caps) == track->passthrough))
          return GST_PAD_PROBE_OK;
      }
  }
  if (track->caps_known)
    {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
                         ("The format on %s changed to %s while streaming: restart the pipeline "
                          "to change it", track->name.c_str (), name), (nullptr));
      return GST_PAD_PROBE_DROP;
    }
  Settings s = copy_settings (self);
  std::vector<const CodecInfo *> codecs;
  const CodecInfo *passthrough = nullptr;
  if (raw)
    {
      std::vector<std::string> unknown;
      codecs = rtc::parse_codec_list (track->video ? s.video_codecs : s.audio_codecs,
                                      track->video ? "video" : "audio", &unknown);
      for (auto &u : unknown)
        GST_WARNING_OBJECT (self, "ignoring unknown %s codec '%s'", track->video ? "video" : "audio",
                            u.c_str ());
      if (codecs.empty ())
        {
          GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
                             ("No usable %s codec in %s-codecs=\"%s\"", track->video ? "video" : "audio",
                              track->video ? "video" : "audio",
                              track->video ? s.video_codecs.c_str () : s.audio_codecs.c_str ()),
                             (nullptr));
          return GST_PAD_PROBE_DROP;
        }
    }
  else
    {
      passthrough = rtc::codec_by_encoded_caps (caps);
      if (!passthrough || g_strcmp0 (passthrough->media, track->video ? "video" : "audio") != 0)
        {
          GST_ELEMENT_ERROR (self, STREAM, FORMAT,
                             ("%s cannot be sent to browsers on %s: give raw %s or H.264, VP8, VP9 "
                              "(video) / Opus, PCMU, PCMA (audio)", name, track->name.c_str (),
                              track->video ? "video" : "audio"), (nullptr));
          return GST_PAD_PROBE_DROP;
        }
      codecs = { passthrough };
    }
  // Live sources are sent as soon as they are payloaded; anything else is paced by the clock.
  bool live = true;
  GstQuery *q = gst_query_new_latency ();
  if (gst_pad_peer_query (track->ghost, q))
    {
      gboolean is_live;
      gst_query_parse_latency (q, &is_live, nullptr, nullptr);
      live = is_live;
    }
  gst_query_unref (q);
  {
    std::lock_guard lock (self->priv->tracks_lock);
    track->caps_known = true;
    track->live = live;
    track->passthrough = passthrough;
    track->codecs = codecs;
  }
  GST_INFO_OBJECT (self, "%s: %s input (%s), offering %s", track->name.c_str (),
                   raw ? "raw" : "encoded", live ? "live" : "not live",
                   rtc::codec_names (codecs).c_str ());
  // The first (preferred) codec is ready before anyone asks, so the first viewer starts fast.
  ensure_feed (self, track, codecs.front ());
  if (self->priv->worker)
    self->priv->worker->invoke ([self] { process_pending (self); });
  return GST_PAD_PROBE_OK;
}

/* --- viewers (worker thread) -------------------------------------------------------------- */

static void
update_snapshot (GstRtcBroadcastSink *self, const std::string &session_id,
                 const std::function<void (rtc::ViewerSnapshot &)> &fn)
{
  std::lock_guard lock (self->priv->stats_lock);
  auto it = self->priv->snapshots.find (session_id);
  if (it != self->priv->snapshots.end ())
    fn (it->second);
}

static void
remove_viewer (GstRtcBroadcastSink *self, const std::string &session_id, const char *reason,
               bool tell_remote)
{
  auto &viewers = self->priv->viewers;
  auto it = viewers.find (session_id);
  if (it == viewers.end ())
    return;
  std::unique_ptr<Viewer> v = std::move (it->second);
  viewers.erase (it);

  for (auto &vt : v->tracks)
    {
      std::shared_ptr<Feed> feed;
      {
        std::lock_guard lock (vt.route->lock);
        feed = std::move (vt.route->feed);
      }
      if (feed)
        feed->unsubscribe (vt.appsrc.get ());
    }
  // Nothing pushes into this viewer any more: take it out of the pipeline.
  gst_element_set_locked_state (v->peer.get (), TRUE);
  for (auto &vt : v->tracks)
    gst_element_set_locked_state (vt.appsrc.get (), TRUE);
  for (auto &vt : v->tracks)
    gst_element_set_state (vt.appsrc.get (), GST_STATE_NULL);
  gst_element_set_state (v->peer.get (), GST_STATE_NULL);
  for (auto &vt : v->tracks)
    gst_bin_remove (GST_BIN (self), vt.appsrc.get ());
  gst_bin_remove (GST_BIN (self), v->peer.get ());

  {
    std::lock_guard lock (self->priv->stats_lock);
    self->priv->snapshots.erase (session_id);
    self->priv->totals.viewers_left++;
    self->priv->viewer_count = self->priv->viewers.size ();
  }
  GST_INFO_OBJECT (self, "viewer %s left: %s", session_id.c_str (), reason);
  if (tell_remote)
    self->priv->signalling.end_session (session_id, reason);
  post_element_message (self, gst_structure_new ("rtckit-viewer-left", "session-id",
                                                 G_TYPE_STRING, session_id.c_str (), "peer-id",
                                                 G_TYPE_STRING, v->peer_id.c_str (), "reason",
                                                 G_TYPE_STRING, reason, nullptr));
}

static void
refuse_session (GstRtcBroadcastSink *self, const std::string &session_id, const std::string &why)
{
  GST_WARNING_OBJECT (self, "refusing session %s: %s", session_id.c_str (), why.c_str ());
  self->priv->signalling.end_session (session_id, why.c_str ());
}

namespace {
struct SessionRef
{
  GstRtcBroadcastSink *self;
  std::string session_id;
};
} // namespace

static void
on_local_description (GstElement *, const gchar *type, const gchar *sdp, SessionRef *ref)
{
  ref->self->priv->signalling.send_sdp (ref->session_id, type, sdp);
}

static void
on_local_candidate (GstElement *, guint mline, const gchar *candidate, SessionRef *ref)
{
  ref->self->priv->signalling.send_ice (ref->session_id, mline, candidate);
}

static void
request_keyframes (Viewer *v)
{
  for (auto &vt : v->tracks)
    {
      std::shared_ptr<Feed> feed;
      {
        std::lock_guard lock (vt.route->lock);
        feed = vt.route->feed;
      }
      if (feed)
        feed->request_keyframe ();
    }
}

static void
on_connection_state (GstElement *peer, GParamSpec *, SessionRef *ref)
{
  GstWebRTCPeerConnectionState state;
  g_object_get (peer, "connection-state", &state, nullptr);
  auto *self = ref->self;
  std::string session_id = ref->session_id;
  self->priv->worker->invoke ([self, session_id, state] {
    auto it = self->priv->viewers.find (session_id);
    if (it == self->priv->viewers.end ())
      return;
    Viewer *v = it->second.get ();
    GEnumValue *ev = g_enum_get_value (
        G_ENUM_CLASS (g_type_class_peek (GST_TYPE_WEBRTC_PEER_CONNECTION_STATE)), state);
    std::string nick = ev ? ev->value_nick : "unknown";
    update_snapshot (self, session_id, [&] (rtc::ViewerSnapshot &s) {
      s.state = nick;
      if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !s.connected_us)
        s.connected_us = g_get_monotonic_time ();
    });
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !v->connected)
      {
        v->connected = true;
        // The first frames before DTLS was up were lost: make the first one a keyframe.
        request_keyframes (v);
      }
    else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
             state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)
      remove_viewer (self, session_id, "the peer connection failed (ICE or DTLS)", true);
  });
}

static void
on_peer_failed (GstElement *, const gchar *reason, SessionRef *ref)
{
  auto *self = ref->self;
  std::string session_id = ref->session_id, why = reason;
  self->priv->worker->invoke ([self, session_id, why] {
    remove_viewer (self, session_id, why.c_str (), true);
  });
}

static GstPadProbeReturn
on_viewer_upstream_event (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  auto *route = static_cast<std::shared_ptr<KeyframeRoute> *> (user_data);
  std::shared_ptr<Feed> feed;
  {
    std::lock_guard lock ((*route)->lock);
    feed = (*route)->feed;
  }
  if (feed)
    feed->request_keyframe ();
  return GST_PAD_PROBE_DROP;
}

static GstCaps *
offer_caps_for (const std::vector<const CodecInfo *> &codecs)
{
  GstCaps *caps = gst_caps_new_empty ();
  for (auto *c : codecs)
    gst_caps_append (caps, rtc::codec_offer_caps (c));
  return caps;
}

static void
start_viewer (GstRtcBroadcastSink *self, const std::string &session_id, const std::string &peer_id)
{
  Settings s = copy_settings (self);
  std::vector<std::shared_ptr<Track>> tracks;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    tracks = self->priv->tracks;
  }
  auto v = std::make_unique<Viewer> ();
  v->session_id = session_id;
  v->peer_id = peer_id;
  v->created_us = g_get_monotonic_time ();
  GstElement *peer = gst_element_factory_make ("rtcpeerbin", nullptr);
  if (!peer)
    {
      refuse_session (self, session_id, "internal error: rtcpeerbin is missing");
      return;
    }
  v->peer = Ptr<GstElement>::ref (peer);
  g_object_set (peer, "session-id", session_id.c_str (), "peer-id", peer_id.c_str (),
                "turn-servers", s.turn_servers.c_str (), "ice-local-addresses",
                s.ice_local_addresses.c_str (), nullptr);
  if (!s.stun_server.empty ())
    g_object_set (peer, "stun-server", s.stun_server.c_str (), nullptr);
  gst_bin_add (GST_BIN (self), peer);

  for (auto &track : tracks)
    {
      std::vector<const CodecInfo *> codecs;
      {
        std::lock_guard lock (self->priv->tracks_lock);
        codecs = track->codecs;
      }
      GstCaps *caps = offer_caps_for (codecs);
      GstPadTemplate *templ = gst_element_get_pad_template (peer, track->video ? "video_%u" : "audio_%u");
      GstPad *pad = gst_element_request_pad (peer, templ, nullptr, caps);
      gst_caps_unref (caps);
      GstElement *src = gst_element_factory_make ("appsrc", nullptr);
      // Bounded and leaky: a viewer that cannot keep up loses its own oldest packets (NACK and
      // PLI repair that), and never blocks the feed.
      g_object_set (src, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", FALSE,
                    "block", FALSE, "max-bytes", (guint64) 4 * 1024 * 1024, "max-buffers",
                    (guint64) 0, "max-time", (guint64) 0, "emit-signals", FALSE, nullptr);
      gst_util_set_object_arg (G_OBJECT (src), "leaky-type", "downstream");
      gst_bin_add (GST_BIN (self), src);
      Ptr<GstPad> srcpad (gst_element_get_static_pad (src, "src"));
      gst_pad_link (srcpad.get (), pad);
      gst_object_unref (pad);
      ViewerTrack vt;
      vt.track = track;
      vt.appsrc = Ptr<GstElement>::ref (src);
      vt.route = std::make_shared<KeyframeRoute> ();
      gst_pad_add_probe (srcpad.get (), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_viewer_upstream_event,
                         rtc::boxed (vt.route),
                         rtc::free_boxed<std::shared_ptr<KeyframeRoute>>);
      v->tracks.push_back (std::move (vt));
    }

  auto connect = [&] (const char *signal, GCallback cb) {
    rtc::connect_boxed (peer, signal, cb, SessionRef{ self, session_id });
  };
  connect ("local-description", G_CALLBACK (on_local_description));
  connect ("local-candidate", G_CALLBACK (on_local_candidate));
  connect ("notify::connection-state", G_CALLBACK (on_connection_state));
  connect ("failed", G_CALLBACK (on_peer_failed));

  {
    std::lock_guard lock (self->priv->stats_lock);
    rtc::ViewerSnapshot snap;
    snap.session_id = session_id;
    snap.peer_id = peer_id;
    snap.created_us = v->created_us;
    self->priv->snapshots[session_id] = snap;
    self->priv->viewer_count = self->priv->viewers.size () + 1;
  }
  gst_element_sync_state_with_parent (peer);
  for (auto &vt : v->tracks)
    gst_element_sync_state_with_parent (vt.appsrc.get ());
  self->priv->viewers[session_id] = std::move (v);
  GST_INFO_OBJECT (self, "viewer %s (peer %s): sending offer", session_id.c_str (), peer_id.c_str ());
  gst_rtc_peer_bin_create_offer (GST_RTC_PEER_BIN (peer));
}

static bool
tracks_ready (GstRtcBroadcastSink *self, std::string *why)
{
  std::lock_guard lock (self->priv->tracks_lock);
  if (self->priv->tracks.empty ())
    {
      *why = "the stream has no media pads yet";
      return false;
    }
  for (auto &t : self->priv->tracks)
    if (!t->caps_known)
      {
        *why = t->name + " has no data yet";
        return false;
      }
  return true;
}

static void
process_pending (GstRtcBroadcastSink *self)
{
  std::string why;
  if (self->priv->pending.empty () || !tracks_ready (self, &why))
    return;
  auto pending = std::move (self->priv->pending);
  self->priv->pending.clear ();
  for (auto &p : pending)
    start_viewer (self, p.session_id, p.peer_id);
}

static void
handle_session_requested (GstRtcBroadcastSink *self, const std::string &session_id,
                          const std::string &peer_id, bool has_offer)
{
  if (has_offer)
    {
      refuse_session (self, session_id,
                      "rtcbroadcastsink sends the offer: start the session without one");
      return;
    }
  Settings s = copy_settings (self);
  std::size_t count = self->priv->viewers.size () + self->priv->pending.size ();
  if (s.max_viewers && count >= s.max_viewers)
    {
      refuse_session (self, session_id,
                      "max-viewers reached: this stream accepts " + std::to_string (s.max_viewers) +
                          " viewer(s) at once; try again later");
      return;
    }
  std::string why;
  if (!tracks_ready (self, &why))
    {
      GST_INFO_OBJECT (self, "session %s waits: %s", session_id.c_str (), why.c_str ());
      self->priv->pending.push_back ({ session_id, peer_id });
      return;
    }
  start_viewer (self, session_id, peer_id);
}

// Picks, per m-line, the first payload type of the answer that we offered.
static void
apply_answer (GstRtcBroadcastSink *self, const std::string &session_id, const std::string &sdp_text)
{
  auto it = self->priv->viewers.find (session_id);
  if (it == self->priv->viewers.end ())
    return;
  Viewer *v = it->second.get ();
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new (&sdp);
  gst_sdp_message_parse_buffer (reinterpret_cast<const guint8 *> (sdp_text.data ()),
                                sdp_text.size (), sdp);
  bool any_video = false, video_rejected = false;
  std::string video_codec, audio_codec, offered_video;
  for (std::size_t i = 0; i < v->tracks.size (); i++)
    {
      ViewerTrack &vt = v->tracks[i];
      std::vector<const CodecInfo *> codecs;
      {
        std::lock_guard lock (self->priv->tracks_lock);
        codecs = vt.track->codecs;
      }
      const CodecInfo *chosen = nullptr;
      if (i < gst_sdp_message_medias_len (sdp))
        {
          const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
          if (gst_sdp_media_get_port (m) != 0)
            for (guint f = 0; !chosen && f < gst_sdp_media_formats_len (m); f++)
              {
                guint pt = atoi (gst_sdp_media_get_format (m, f));
                for (auto *c : codecs)
                  if (c->pt == pt)
                    chosen = c;
              }
        }
      if (vt.track->video)
        {
          any_video = true;
          if (!chosen)
            {
              video_rejected = true;
              offered_video = rtc::codec_names (codecs);
            }
        }
      if (!chosen)
        continue;
      vt.codec = chosen;
      (vt.track->video ? video_codec : audio_codec) = chosen->name;
    }
  gst_sdp_message_free (sdp);

  if (video_rejected || (!any_video && audio_codec.empty ()))
    {
      std::string why = video_rejected
          ? "no common video codec: this stream offers " + offered_video +
                " and the browser accepts none of them"
          : "no common audio codec: the browser accepts none of the offered ones";
      GST_ELEMENT_WARNING (self, STREAM, CODEC_NOT_FOUND, ("Viewer %s: %s", session_id.c_str (),
                           why.c_str ()), (nullptr));
      remove_viewer (self, session_id, why.c_str (), true);
      return;
    }
  for (auto &vt : v->tracks)
    {
      if (!vt.codec)
        continue;
      auto feed = ensure_feed (self, vt.track, vt.codec);
      if (!feed)
        continue;
      GstCaps *caps = rtc::codec_offer_caps (vt.codec);
      gst_app_src_set_caps (GST_APP_SRC (vt.appsrc.get ()), caps);
      gst_caps_unref (caps);
      {
        std::lock_guard lock (vt.route->lock);
        vt.route->feed = feed;
      }
      feed->subscribe (vt.appsrc.get ());
    }
  v->answered = true;
  update_snapshot (self, session_id, [&] (rtc::ViewerSnapshot &s) {
    s.video_codec = video_codec;
    s.audio_codec = audio_codec;
  });
  {
    std::lock_guard lock (self->priv->stats_lock);
    self->priv->totals.viewers_joined++;
  }
  GST_INFO_OBJECT (self, "viewer %s joined: video %s, audio %s", session_id.c_str (),
                   video_codec.empty () ? "none" : video_codec.c_str (),
                   audio_codec.empty () ? "none" : audio_codec.c_str ());
  post_element_message (self, gst_structure_new ("rtckit-viewer-joined", "session-id",
                                                 G_TYPE_STRING, session_id.c_str (), "peer-id",
                                                 G_TYPE_STRING, v->peer_id.c_str (), "video-codec",
                                                 G_TYPE_STRING, video_codec.c_str (), "audio-codec",
                                                 G_TYPE_STRING, audio_codec.c_str (), nullptr));
}

static void
handle_remote_sdp (GstRtcBroadcastSink *self, const std::string &session_id,
                   const std::string &type, const std::string &sdp)
{
  auto it = self->priv->viewers.find (session_id);
  if (it == self->priv->viewers.end ())
    {
      GST_WARNING_OBJECT (self, "SDP for unknown session %s ignored", session_id.c_str ());
      return;
    }
  if (type != "answer" || it->second->answered)
    {
      remove_viewer (self, session_id,
                     ("expected one SDP answer to our offer, got " + type).c_str (), true);
      return;
    }
  auto *peer = GST_RTC_PEER_BIN (it->second->peer.get ());
  struct Ctx
  {
    GstRtcBroadcastSink *self;
    std::string session_id, sdp;
  };
  gst_rtc_peer_bin_set_remote_description (peer, "answer", sdp.c_str (),
      [] (GstRtcPeerBin *, const GError *error, gpointer data) {
        auto *ctx = static_cast<Ctx *> (data);
        auto *self = ctx->self;
        std::string session_id = ctx->session_id, sdp = ctx->sdp;
        std::string err = error ? error->message : "";
        self->priv->worker->invoke ([self, session_id, sdp, err] {
          if (!err.empty ())
            remove_viewer (self, session_id, ("the SDP answer was refused: " + err).c_str (), true);
          else
            apply_answer (self, session_id, sdp);
        });
      },
      rtc::boxed (Ctx{ self, session_id, sdp }), rtc::free_boxed<Ctx>);
}

static void
poll_stats (GstRtcBroadcastSink *self)
{
  Settings s = copy_settings (self);
  gint64 now = g_get_monotonic_time ();
  std::vector<std::string> stale;
  for (auto &[id, v] : self->priv->viewers)
    {
      if (!v->connected && s.connect_timeout && now - v->created_us > s.connect_timeout * G_USEC_PER_SEC)
        {
          stale.push_back (id);
          continue;
        }
      gst_rtc_peer_bin_get_stats (GST_RTC_PEER_BIN (v->peer.get ()),
          [] (GstRtcPeerBin *, const GstStructure *stats, gpointer data) {
            auto *ref = static_cast<SessionRef *> (data);
            update_snapshot (ref->self, ref->session_id,
                             [stats] (rtc::ViewerSnapshot &snap) { rtc::parse_webrtc_stats (stats, snap); });
          },
          rtc::boxed (SessionRef{ self, id }), rtc::free_boxed<SessionRef>);
    }
  for (auto &id : stale)
    remove_viewer (self, id, "timed out before the peer connection was established", true);
}

/* --- signaller --------------------------------------------------------------------------- */

static void
on_sig_session_requested (GObject *, const gchar *session_id, const gchar *peer_id,
                          const gchar *offer, GstRtcBroadcastSink *self)
{
  std::string sid = session_id, pid = peer_id ? peer_id : "";
  bool has_offer = offer && *offer;
  self->priv->worker->invoke ([self, sid, pid, has_offer] {
    handle_session_requested (self, sid, pid, has_offer);
  });
}

static void
on_sig_session_ended (GObject *, const gchar *session_id, GstRtcBroadcastSink *self)
{
  std::string sid = session_id;
  self->priv->worker->invoke ([self, sid] {
    std::erase_if (self->priv->pending, [&] (const PendingSession &p) { return p.session_id == sid; });
    remove_viewer (self, sid, "the viewer ended the session", false);
  });
}

static void
on_sig_sdp (GObject *, const gchar *session_id, const gchar *type, const gchar *sdp,
            GstRtcBroadcastSink *self)
{
  std::string sid = session_id, t = type, text = sdp;
  self->priv->worker->invoke ([self, sid, t, text] { handle_remote_sdp (self, sid, t, text); });
}

static void
on_sig_ice (GObject *, const gchar *session_id, guint mline, const gchar *candidate,
            GstRtcBroadcastSink *self)
{
  std::string sid = session_id, cand = candidate ? candidate : "";
  self->priv->worker->invoke ([self, sid, mline, cand] {
    auto it = self->priv->viewers.find (sid);
    if (it == self->priv->viewers.end ())
      return;
    if (mline >= it->second->tracks.size ())
      {
        GST_WARNING_OBJECT (self, "session %s: ICE candidate for m-line %u ignored", sid.c_str (), mline);
        return;
      }
    gst_rtc_peer_bin_add_ice_candidate (GST_RTC_PEER_BIN (it->second->peer.get ()), mline,
                                        cand.c_str ());
  });
}

// The embedded server's /stats (JSON) and /metrics (Prometheus) bodies, on its thread.
static gchar *
stats_text (GstRtcBroadcastSink *self, bool metrics)
{
  std::vector<rtc::EncoderSnapshot> encoders;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    for (auto &t : self->priv->tracks)
      for (auto &[codec, feed] : t->feeds)
        encoders.push_back ({ t->name, codec->name, feed->encoder_factory (), feed->subscriber_count () });
  }
  std::lock_guard lock (self->priv->stats_lock);
  std::vector<rtc::ViewerSnapshot> viewers;
  for (auto &[id, s] : self->priv->snapshots)
    viewers.push_back (s);
  const auto &totals = self->priv->totals;
  return g_strdup ((metrics ? rtc::metrics_text (totals, viewers, encoders)
                            : rtc::stats_json (totals, viewers, encoders)).c_str ());
}

static bool
start_signalling (GstRtcBroadcastSink *self)
{
  Settings s = copy_settings (self);
  rtc::SignallingConfig config;
  config.address = s.address;
  config.serve = s.serve;
  config.role = RTC_SIGNALLER_ROLE_PRODUCER;
  config.page = "/";
  config.action = "watch";
  config.stats_body = [] (gpointer data) { return stats_text (GST_RTC_BROADCAST_SINK (data), false); };
  config.metrics_body = [] (gpointer data) { return stats_text (GST_RTC_BROADCAST_SINK (data), true); };
  config.on_url = [self] (const std::string &url) {
    std::lock_guard lock (self->priv->stats_lock);
    self->priv->totals.url = url;
  };
  return self->priv->signalling.start (GST_ELEMENT (self), config,
                                       { G_CALLBACK (on_sig_session_requested),
                                         G_CALLBACK (on_sig_session_ended), G_CALLBACK (on_sig_sdp),
                                         G_CALLBACK (on_sig_ice) });
}

/* --- pads and states --------------------------------------------------------------------- */

static GstPad *
request_new_pad (GstElement *element, GstPadTemplate *templ, const gchar *name, const GstCaps *)
{
  auto *self = GST_RTC_BROADCAST_SINK (element);
  bool video = g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "video_%u");
  auto track = std::make_shared<Track> ();
  track->video = video;
  track->owner = self;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    guint &next = video ? self->priv->next_video : self->priv->next_audio;
    guint index = next;
    if (name && sscanf (name, video ? "video_%u" : "audio_%u", &index) == 1)
      {
        for (auto &t : self->priv->tracks)
          if (t->name == name)
            return nullptr;
      }
    next = MAX (next, index + 1);
    track->name = (video ? "video_" : "audio_") + std::to_string (index);
  }
  GstElement *tee = gst_element_factory_make ("tee", nullptr);
  g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  track->tee = Ptr<GstElement>::ref (tee);
  gst_bin_add (GST_BIN (self), tee);
  Ptr<GstPad> teesink (gst_element_get_static_pad (tee, "sink"));
  GstPad *ghost = gst_ghost_pad_new_from_template (track->name.c_str (), teesink.get (), templ);
  track->ghost = ghost;
  gst_pad_add_probe (teesink.get (), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_track_caps,
                     rtc::boxed (track), rtc::free_boxed<std::shared_ptr<Track>>);
  {
    std::lock_guard lock (self->priv->tracks_lock);
    self->priv->tracks.push_back (track);
  }
  gst_element_sync_state_with_parent (tee);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (element, ghost);
  return ghost;
}

static void
release_pad (GstElement *element, GstPad *pad)
{
  auto *self = GST_RTC_BROADCAST_SINK (element);
  std::shared_ptr<Track> track;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    auto &tracks = self->priv->tracks;
    for (auto it = tracks.begin (); it != tracks.end (); ++it)
      if ((*it)->ghost == pad)
        {
          track = *it;
          tracks.erase (it);
          break;
        }
  }
  if (!track)
    return;
  // Viewers were offered this track: end them, new viewers get the remaining tracks.
  if (self->priv->worker)
    self->priv->worker->invoke_sync ([self, track] {
      std::vector<std::string> ids;
      for (auto &[id, v] : self->priv->viewers)
        for (auto &vt : v->tracks)
          if (vt.track == track)
            ids.push_back (id);
      for (auto &id : ids)
        remove_viewer (self, id, "the stream's tracks changed", true);
    });
  std::map<const CodecInfo *, std::shared_ptr<Feed>> feeds;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    feeds.swap (track->feeds);
  }
  gst_element_set_locked_state (track->tee.get (), TRUE);
  gst_element_set_state (track->tee.get (), GST_STATE_NULL);
  for (auto &[c, f] : feeds)
    f->teardown (GST_BIN (self));
  gst_element_remove_pad (element, pad);
  gst_bin_remove (GST_BIN (self), track->tee.get ());
}

static void
stop_viewers (GstRtcBroadcastSink *self)
{
  if (!self->priv->worker)
    return;
  self->priv->worker->invoke_sync ([self] {
    std::vector<std::string> ids;
    for (auto &[id, v] : self->priv->viewers)
      ids.push_back (id);
    for (auto &id : ids)
      remove_viewer (self, id, "the stream stopped", true);
    for (auto &p : self->priv->pending)
      refuse_session (self, p.session_id, "the stream stopped");
    self->priv->pending.clear ();
  });
}

static void
reset_feeds (GstRtcBroadcastSink *self)
{
  std::vector<std::pair<std::shared_ptr<Track>, std::shared_ptr<Feed>>> all;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    for (auto &t : self->priv->tracks)
      {
        for (auto &[c, f] : t->feeds)
          all.emplace_back (t, f);
        t->feeds.clear ();
        t->caps_known = false;
        t->passthrough = nullptr;
        t->codecs.clear ();
      }
  }
  for (auto &[t, f] : all)
    {
      Ptr<GstPad> sink;
      // Release the tee pad that fed this branch.
      GstIterator *it = gst_element_iterate_src_pads (t->tee.get ());
      GValue item = G_VALUE_INIT;
      std::vector<Ptr<GstPad>> to_release;
      while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
        {
          auto *p = GST_PAD (g_value_get_object (&item));
          to_release.push_back (Ptr<GstPad>::ref (p));
          g_value_reset (&item);
        }
      g_value_unset (&item);
      gst_iterator_free (it);
      for (auto &p : to_release)
        gst_element_release_request_pad (t->tee.get (), p.get ());
      f->teardown (GST_BIN (self));
    }
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_BROADCAST_SINK (element);
  switch (transition)
    {
    case GST_STATE_CHANGE_NULL_TO_READY:
      self->priv->worker = std::make_unique<rtc::Worker> ("rtcbroadcast");
      if (!start_signalling (self))
        {
          self->priv->worker.reset ();
          return GST_STATE_CHANGE_FAILURE;
        }
      self->priv->worker->every (1000, [self] { poll_stats (self); });
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stop_viewers (self);
      break;
    default:
      break;
    }
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS (gst_rtc_broadcast_sink_parent_class)->change_state (element, transition);
  switch (transition)
    {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      reset_feeds (self);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      self->priv->signalling.stop ();
      stop_viewers (self);
      self->priv->worker.reset ();
      {
        std::lock_guard lock (self->priv->stats_lock);
        self->priv->snapshots.clear ();
        self->priv->viewer_count = 0;
      }
      break;
    default:
      break;
    }
  return ret;
}

/* --- GObject ----------------------------------------------------------------------------- */

static void
set_bitrate_on_feeds (GstRtcBroadcastSink *self, guint kbps)
{
  std::vector<std::shared_ptr<Feed>> feeds;
  {
    std::lock_guard lock (self->priv->tracks_lock);
    for (auto &t : self->priv->tracks)
      if (t->video)
        for (auto &[c, f] : t->feeds)
          feeds.push_back (f);
  }
  for (auto &f : feeds)
    f->set_bitrate (kbps);
}

static void
set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_BROADCAST_SINK (object);
  auto str = [value] { return std::string (g_value_get_string (value) ? g_value_get_string (value) : ""); };
  std::unique_lock lock (self->priv->settings_lock);
  Settings &s = self->priv->settings;
  switch (prop_id)
    {
    case PROP_ADDRESS: s.address = str ().empty () ? DEFAULT_ADDRESS : str (); break;
    case PROP_SERVE: s.serve = g_value_get_boolean (value); break;
    case PROP_SIGNALLER:
      self->priv->signalling.signaller = Ptr<GObject>::ref (G_OBJECT (g_value_get_object (value)));
      break;
    case PROP_VIDEO_CODECS: s.video_codecs = str (); break;
    case PROP_AUDIO_CODECS: s.audio_codecs = str (); break;
    case PROP_MAX_VIEWERS: s.max_viewers = g_value_get_uint (value); break;
    case PROP_STUN_SERVER: s.stun_server = str (); break;
    case PROP_TURN_SERVERS: s.turn_servers = str (); break;
    case PROP_ICE_LOCAL_ADDRESSES: s.ice_local_addresses = str (); break;
    case PROP_VIDEO_BITRATE:
      {
        s.video_bitrate = g_value_get_uint (value);
        guint kbps = s.video_bitrate;
        lock.unlock ();
        set_bitrate_on_feeds (self, kbps);
        break;
      }
    case PROP_KEYFRAME_INTERVAL: s.keyframe_interval = g_value_get_uint (value); break;
    case PROP_CONNECT_TIMEOUT: s.connect_timeout = g_value_get_uint (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
    }
}

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_BROADCAST_SINK (object);
  if (prop_id == PROP_VIEWERS)
    {
      std::lock_guard lock (self->priv->stats_lock);
      g_value_set_uint (value, self->priv->viewer_count);
      return;
    }
  std::lock_guard lock (self->priv->settings_lock);
  const Settings &s = self->priv->settings;
  switch (prop_id)
    {
    case PROP_ADDRESS: g_value_set_string (value, s.address.c_str ()); break;
    case PROP_SERVE: g_value_set_boolean (value, s.serve); break;
    case PROP_SIGNALLER: g_value_set_object (value, self->priv->signalling.signaller.get ()); break;
    case PROP_VIDEO_CODECS: g_value_set_string (value, s.video_codecs.c_str ()); break;
    case PROP_AUDIO_CODECS: g_value_set_string (value, s.audio_codecs.c_str ()); break;
    case PROP_MAX_VIEWERS: g_value_set_uint (value, s.max_viewers); break;
    case PROP_STUN_SERVER: g_value_set_string (value, s.stun_server.empty () ? nullptr : s.stun_server.c_str ()); break;
    case PROP_TURN_SERVERS: g_value_set_string (value, s.turn_servers.c_str ()); break;
    case PROP_ICE_LOCAL_ADDRESSES: g_value_set_string (value, s.ice_local_addresses.c_str ()); break;
    case PROP_VIDEO_BITRATE: g_value_set_uint (value, s.video_bitrate); break;
    case PROP_KEYFRAME_INTERVAL: g_value_set_uint (value, s.keyframe_interval); break;
    case PROP_CONNECT_TIMEOUT: g_value_set_uint (value, s.connect_timeout); break;
    case PROP_URL: g_value_set_string (value, self->priv->signalling.url.empty () ? nullptr : self->priv->signalling.url.c_str ()); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
    }
}

static void
gst_rtc_broadcast_sink_init (GstRtcBroadcastSink *self)
{
  self->priv = new BroadcastPrivate ();
}

static void
finalize (GObject *object)
{
  auto *self = GST_RTC_BROADCAST_SINK (object);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_broadcast_sink_parent_class)->finalize (object);
}

static void
gst_rtc_broadcast_sink_class_init (GstRtcBroadcastSinkClass *klass)
{
  auto *gobject_class = G_OBJECT_CLASS (klass);
  auto *element_class = GST_ELEMENT_CLASS (klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = change_state;
  element_class->request_new_pad = request_new_pad;
  element_class->release_pad = release_pad;

  const auto rw_ready = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto rw_playing = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "HOST:PORT the embedded web server listens on; 0.0.0.0:8080 serves the LAN, port 0 "
          "picks a free port (read it back from 'url')", DEFAULT_ADDRESS,
          GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_SERVE,
      g_param_spec_boolean ("serve", "Serve",
          "Run the embedded web and signalling server; false to use the 'signaller' property's "
          "external signaller instead", DEFAULT_SERVE, rw_ready));
  g_object_class_install_property (gobject_class, PROP_SIGNALLER,
      g_param_spec_object ("signaller", "Signaller",
          "The RtcSignaller in use (the embedded server's while running with serve=true); set "
          "one to use another signalling transport", G_TYPE_OBJECT,
          GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_VIDEO_CODECS,
      g_param_spec_string ("video-codecs", "Video codecs",
          "Video codecs offered to each viewer for raw input, most preferred first (h264, vp8, "
          "vp9); each viewer gets the first one its browser accepts", DEFAULT_VIDEO_CODECS, rw_ready));
  g_object_class_install_property (gobject_class, PROP_AUDIO_CODECS,
      g_param_spec_string ("audio-codecs", "Audio codecs",
          "Audio codecs offered for raw input, most preferred first (opus, pcmu, pcma)",
          DEFAULT_AUDIO_CODECS, rw_ready));
  g_object_class_install_property (gobject_class, PROP_MAX_VIEWERS,
      g_param_spec_uint ("max-viewers", "Maximum viewers",
          "Viewers accepted at once (0 = no limit); a viewer over the limit is told why",
          0, G_MAXUINT, DEFAULT_MAX_VIEWERS, rw_playing));
  g_object_class_install_property (gobject_class, PROP_STUN_SERVER,
      g_param_spec_string ("stun-server", "STUN server",
          "STUN server for new viewers as stun://host:port (none by default: fine on a LAN)",
          nullptr, rw_playing));
  g_object_class_install_property (gobject_class, PROP_TURN_SERVERS,
      g_param_spec_string ("turn-servers", "TURN servers",
          "Comma-separated TURN servers for new viewers, turn(s)://user:password@host:port",
          "", rw_playing));
  g_object_class_install_property (gobject_class, PROP_ICE_LOCAL_ADDRESSES,
      g_param_spec_string ("ice-local-addresses", "ICE local addresses",
          "Comma-separated local IP addresses ICE may use for new viewers (e.g. 127.0.0.1 to "
          "keep media on loopback); empty means every interface but loopback", "", rw_playing));
  g_object_class_install_property (gobject_class, PROP_VIDEO_BITRATE,
      g_param_spec_uint ("video-bitrate", "Video bitrate",
          "Target bitrate of encoded video in kbit/s (raw input only; changeable while playing)",
          1, 100000, DEFAULT_VIDEO_BITRATE, rw_playing));
  g_object_class_install_property (gobject_class, PROP_KEYFRAME_INTERVAL,
      g_param_spec_uint ("keyframe-interval", "Keyframe interval",
          "Maximum frames between keyframes of encoded video (0 = only when a viewer asks)",
          0, G_MAXINT, DEFAULT_KEYFRAME_INTERVAL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_CONNECT_TIMEOUT,
      g_param_spec_uint ("connect-timeout", "Connect timeout",
          "Seconds a new viewer may take to connect before it is dropped (0 = forever)",
          0, 3600, DEFAULT_CONNECT_TIMEOUT, rw_playing));
  g_object_class_install_property (gobject_class, PROP_URL,
      g_param_spec_string ("url", "URL", "Where viewers open the stream, once started", nullptr, ro));
  g_object_class_install_property (gobject_class, PROP_VIEWERS,
      g_param_spec_uint ("viewers", "Viewers", "Viewers attached now", 0, G_MAXUINT, 0, ro));

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (element_class, "WebRTC broadcast sink",
      "Sink/Network/WebRTC",
      "Publishes a live stream to many web browsers over WebRTC, with a built-in web page and "
      "signalling server; encodes once per codec, or passes encoded input through",
      "rtckit developers");
}
