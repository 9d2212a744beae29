/**
 * SECTION:element-rtcingestsrc
 * @title: rtcingestsrc
 *
 * Receives the audio and video that remote peers publish over WebRTC: browsers on the
 * embedded server's publish page (http://127.0.0.1:8080/publish by default, property
 * `address`), or any client of the signalling protocol that registers as a producer.
 *
 * Each published track becomes a sometimes src pad `video_%u` / `audio_%u` (numbered per kind across
 * the element) carrying the depayloaded, parsed, still-encoded stream: H.264 (byte-stream or
 * avc, alignment=au), VP8, VP9 or Opus. The pads are #GstRtcIngestPad with read-only
 * properties `publisher-id` and `session-id`, and carry a stream tag `rtckit-publisher-id`
 * (also as the title). All pads of one publisher are added before data flows on any of them;
 * then the `publisher-ready` signal is emitted and the `rtckit-publisher-ready` message posted,
 * and only then does data flow, so an application can build one muxer per publisher.
 * When a publisher leaves, its pads get EOS (a muxer finalises its file) and are removed.
 *
 * ## Examples
 * |[
 * gst-launch-1.0 rtcingestsrc ! queue ! h264parse ! avdec_h264 ! videoconvert ! autovideosink
 * gst-launch-1.0 -e rtcingestsrc name=s video-codecs=vp8 s. ! queue ! webmmux ! filesink
 * location=p.webm
 * ]|
 *
 * Bus messages (element messages): `rtckit-url` {url}, `rtckit-publisher-joined`
 * {publisher-id, session-id}, `rtckit-publisher-ready` {publisher-id, session-id, pads (strv)},
 * `rtckit-publisher-left` {publisher-id, session-id, reason}.
 */
#include "rtcingestsrc.h"

#include "elements/elements.h"
#include "gst-ptr.h"
#include "ingest/offer.h"
#include "closure.h"
#include "rtcpeerbin.h"
#include "signalling.h"
#include "worker.h"

#include <gio/gio.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (rtc_ingest_src_debug);
#define GST_CAT_DEFAULT rtc_ingest_src_debug

#define DEFAULT_ADDRESS "127.0.0.1:8080"
#define DEFAULT_SERVE TRUE
#define DEFAULT_VIDEO_CODECS "h264,vp8,vp9"
#define DEFAULT_AUDIO_CODECS "opus"
#define DEFAULT_MAX_PUBLISHERS 0
#define DEFAULT_CONNECT_TIMEOUT 30
// How long the first tracks of a publisher wait for the others before its pads are announced.
#define READY_TIMEOUT_MS 3000

enum
{
  PROP_0,
  PROP_ADDRESS,
  PROP_SERVE,
  PROP_SIGNALLER,
  PROP_VIDEO_CODECS,
  PROP_AUDIO_CODECS,
  PROP_MAX_PUBLISHERS,
  PROP_STUN_SERVER,
  PROP_TURN_SERVERS,
  PROP_ICE_LOCAL_ADDRESSES,
  PROP_CONNECT_TIMEOUT,
  PROP_URL,
  PROP_PUBLISHERS,
};

enum
{
  SIGNAL_PUBLISHER_READY,
  SIGNAL_PUBLISHER_LEFT,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* --- GstRtcIngestPad --------------------------------------------------------------------- */

struct _GstRtcIngestPad
{
  GstGhostPad parent;
  gchar *publisher_id;
  gchar *session_id;
};

enum
{
  PAD_PROP_0,
  PAD_PROP_PUBLISHER_ID,
  PAD_PROP_SESSION_ID,
};

G_DEFINE_TYPE (GstRtcIngestPad, gst_rtc_ingest_pad, GST_TYPE_GHOST_PAD);

static void
gst_rtc_ingest_pad_init (GstRtcIngestPad *)
{
}

static void
gst_rtc_ingest_pad_class_init (GstRtcIngestPadClass *klass)
{
  auto *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->finalize = [] (GObject *o) {
    auto *pad = GST_RTC_INGEST_PAD (o);
    g_free (pad->publisher_id);
    g_free (pad->session_id);
    G_OBJECT_CLASS (gst_rtc_ingest_pad_parent_class)->finalize (o);
  };
  gobject_class->get_property = [] (GObject *o, guint id, GValue *v, GParamSpec *pspec) {
    auto *pad = GST_RTC_INGEST_PAD (o);
    if (id == PAD_PROP_PUBLISHER_ID)
      g_value_set_string (v, pad->publisher_id);
    else if (id == PAD_PROP_SESSION_ID)
      g_value_set_string (v, pad->session_id);
    else
      G_OBJECT_WARN_INVALID_PROPERTY_ID (o, id, pspec);
  };
  g_object_class_install_property (
      gobject_class, PAD_PROP_PUBLISHER_ID,
      g_param_spec_string ("publisher-id", "Publisher id",
                           "Signalling peer id of the publisher whose track this pad carries",
                           nullptr, GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PAD_PROP_SESSION_ID,
      g_param_spec_string ("session-id", "Session id",
                           "Signalling session of the publisher whose track this pad carries",
                           nullptr, GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

/* --- element state ----------------------------------------------------------------------- */

namespace
{

using rtc::Ptr;
using rtc::CodecInfo;

struct Settings
{
  std::string address = DEFAULT_ADDRESS;
  bool serve = DEFAULT_SERVE;
  std::string video_codecs = DEFAULT_VIDEO_CODECS;
  std::string audio_codecs = DEFAULT_AUDIO_CODECS;
  guint max_publishers = DEFAULT_MAX_PUBLISHERS;
  std::string stun_server;
  std::string turn_servers;
  std::string ice_local_addresses;
  guint connect_timeout = DEFAULT_CONNECT_TIMEOUT;
};

// One received stream: rtcpeerbin pad ! depayloader [! parser] ! ghost pad of the element.
// Built on the streaming thread that brings its first packet, then owned by the worker.
struct Track
{
  GstRtcIngestSrc *owner = nullptr;
  std::string session_id, publisher_id;
  std::string name; // "video_0"
  bool video = false;
  const CodecInfo *codec = nullptr;
  std::vector<Ptr<GstElement>> chain; // depayloader first
  Ptr<GstPad> out;                    // last element's src pad: blocked until announced
  Ptr<GstPad> ghost;                  // GstRtcIngestPad, added to the element when announced
  gulong block_id = 0;
  std::atomic<bool> flowing{ false }; // a buffer reached the block
  bool added = false;                 // worker thread
};

// Immutable once the answer is made; shared with the peer's pad-added handler.
struct PeerRef
{
  GstRtcIngestSrc *self;
  std::string session_id, publisher_id;
  std::map<guint, const CodecInfo *> codecs; // m-line index -> codec we answered with
};

// Owned and touched by the worker thread only.
struct Publisher
{
  std::string session_id, peer_id;
  Ptr<GstElement> peer; // rtcpeerbin, once the offer arrived
  std::size_t expected_tracks = 0;
  std::vector<std::shared_ptr<Track>> tracks;
  gint64 created_us = 0;
  bool answered = false, connected = false, ready = false;
  GSource *ready_timer = nullptr;
  std::vector<std::pair<guint, std::string>> early_ice; // candidates that came before the offer
};

/* Lock order: settings_lock, then state_lock. Neither is held while calling children, the
 * signaller, emitting signals or posting messages. */
struct IngestPrivate
{
  std::mutex settings_lock;
  Settings settings;
  rtc::Signalling signalling{ settings_lock, rtc_ingest_src_debug };

  std::mutex state_lock;
  guint publisher_count = 0;

  std::atomic<guint> next_video{ 0 }, next_audio{ 0 };
  std::atomic<bool> eos{ false };

  std::unique_ptr<rtc::Worker> worker;
  // Worker-thread state:
  std::map<std::string, std::unique_ptr<Publisher>> publishers;
};

} // namespace

struct _GstRtcIngestSrc
{
  GstBin parent;
  IngestPrivate *priv;
};

G_DEFINE_TYPE (GstRtcIngestSrc, gst_rtc_ingest_src, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (
    rtcingestsrc, "rtcingestsrc", GST_RANK_NONE, GST_TYPE_RTC_INGEST_SRC,
    GST_DEBUG_CATEGORY_INIT (rtc_ingest_src_debug, "rtcingestsrc", 0, "rtckit ingest source"));

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS (
        "video/x-h264, stream-format=(string){ byte-stream, avc }, alignment=(string)au; "
        "video/x-vp8; video/x-vp9"));
static GstStaticPadTemplate audio_template
    = GST_STATIC_PAD_TEMPLATE ("audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
                               GST_STATIC_CAPS ("audio/x-opus; audio/x-mulaw; audio/x-alaw"));

static Settings
copy_settings (GstRtcIngestSrc *self)
{
  std::lock_guard lock (self->priv->settings_lock);
  return self->priv->settings;
}

static void
post_element_message (GstRtcIngestSrc *self, GstStructure *s)
{
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

static void
update_count (GstRtcIngestSrc *self)
{
  {
    std::lock_guard lock (self->priv->state_lock);
    self->priv->publisher_count = self->priv->publishers.size ();
  }
  g_object_notify (G_OBJECT (self), "publishers");
}

static void
request_keyframe (const std::shared_ptr<Track> &t)
{
  if (!t->video || t->chain.empty ())
    return;
  // Upstream force-key-unit: webrtcbin's rtpsession turns it into a PLI to the publisher.
  Ptr<GstPad> src (gst_element_get_static_pad (t->chain.front ().get (), "src"));
  gst_pad_send_event (src.get (),
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
}

/* --- tracks (streaming threads, then worker) --------------------------------------------- */

static GstTagList *
publisher_tags (const Track &t)
{
  GstTagList *tags = gst_tag_list_new (RTC_TAG_PUBLISHER_ID, t.publisher_id.c_str (), GST_TAG_TITLE,
                                       t.publisher_id.c_str (), nullptr);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
  return tags;
}

// Later stream tags from the parser (codec, bitrate) keep the publisher id.
static GstPadProbeReturn
on_track_event (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_TAG)
    return GST_PAD_PROBE_OK;
  auto &track = *static_cast<std::shared_ptr<Track> *> (user_data);
  GstTagList *tags = nullptr;
  gst_event_parse_tag (event, &tags);
  if (gst_tag_list_get_scope (tags) != GST_TAG_SCOPE_STREAM
      || gst_tag_list_get_tag_size (tags, RTC_TAG_PUBLISHER_ID) > 0)
    return GST_PAD_PROBE_OK;
  GstTagList *ours = publisher_tags (*track);
  GstTagList *merged = gst_tag_list_merge (tags, ours, GST_TAG_MERGE_REPLACE);
  gst_tag_list_unref (ours);
  gst_tag_list_set_scope (merged, GST_TAG_SCOPE_STREAM);
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_tag (merged);
  return GST_PAD_PROBE_OK;
}

static void check_ready (GstRtcIngestSrc *self, const std::string &session_id);

// Holds the track's first buffer until all pads of its publisher are announced.
static GstPadProbeReturn
on_track_blocked (GstPad *pad, GstPadProbeInfo *, gpointer user_data)
{
  auto track = *static_cast<std::shared_ptr<Track> *> (user_data);
  if (track->flowing.exchange (true))
    return GST_PAD_PROBE_OK;
  // Stream-start, caps and segment are on the pad now: the tag goes after them.
  Ptr<GstEvent> existing (gst_pad_get_sticky_event (pad, GST_EVENT_TAG, 0));
  if (!existing)
    gst_pad_store_sticky_event (pad,
                                Ptr<GstEvent> (gst_event_new_tag (publisher_tags (*track))).get ());
  auto *self = track->owner;
  std::string sid = track->session_id;
  if (self->priv->worker)
    self->priv->worker->invoke ([self, sid] { check_ready (self, sid); });
  return GST_PAD_PROBE_OK;
}

static void
unblock (const std::shared_ptr<Track> &t)
{
  if (t->block_id)
    gst_pad_remove_probe (t->out.get (), t->block_id);
  t->block_id = 0;
}

static void
destroy_track (GstRtcIngestSrc *self, const std::shared_ptr<Track> &t)
{
  for (auto &e : t->chain)
    gst_element_set_locked_state (e.get (), TRUE);
  for (auto &e : t->chain)
    gst_element_set_state (e.get (), GST_STATE_NULL);
  if (t->added)
    gst_element_remove_pad (GST_ELEMENT (self), t->ghost.get ());
  t->added = false;
  for (auto &e : t->chain)
    gst_bin_remove (GST_BIN (self), e.get ());
  t->chain.clear ();
}

static void
add_track_pad (GstRtcIngestSrc *self, const std::shared_ptr<Track> &t)
{
  gst_element_add_pad (GST_ELEMENT (self), t->ghost.get ());
  t->added = true;
}

static void
cancel_ready_timer (Publisher *p)
{
  if (p->ready_timer)
    {
      g_source_destroy (p->ready_timer);
      g_source_unref (p->ready_timer);
      p->ready_timer = nullptr;
    }
}

// Adds every pad of the publisher, tells the application, then lets data flow.
static void
announce (GstRtcIngestSrc *self, Publisher *p)
{
  p->ready = true;
  cancel_ready_timer (p);
  std::vector<std::string> names;
  for (auto &t : p->tracks)
    {
      add_track_pad (self, t);
      names.push_back (t->name);
    }
  GST_INFO_OBJECT (self, "publisher %s ready with %zu pad(s)", p->peer_id.c_str (), names.size ());
  std::string sid = p->session_id, pid = p->peer_id;
  g_signal_emit (self, signals[SIGNAL_PUBLISHER_READY], 0, pid.c_str (), sid.c_str ());
  GStrv strv = g_new0 (gchar *, names.size () + 1);
  for (std::size_t i = 0; i < names.size (); i++)
    strv[i] = g_strdup (names[i].c_str ());
  post_element_message (self,
                        gst_structure_new ("rtckit-publisher-ready", "publisher-id", G_TYPE_STRING,
                                           pid.c_str (), "session-id", G_TYPE_STRING, sid.c_str (),
                                           "pads", G_TYPE_STRV, strv, nullptr));
  g_strfreev (strv);
  // The handler may have removed the publisher (e.g. the element stopped).
  auto it = self->priv->publishers.find (sid);
  if (it == self->priv->publishers.end ())
    return;
  for (auto &t : it->second->tracks)
    {
      unblock (t);
      // A recording starts on a decodable frame.
      request_keyframe (t);
    }
}

static void
check_ready (GstRtcIngestSrc *self, const std::string &session_id)
{
  auto it = self->priv->publishers.find (session_id);
  if (it == self->priv->publishers.end () || it->second->ready)
    return;
  Publisher *p = it->second.get ();
  std::size_t flowing = 0;
  for (auto &t : p->tracks)
    flowing += t->flowing.load () ? 1 : 0;
  if (flowing >= p->expected_tracks)
    announce (self, p);
}

static void
register_track (GstRtcIngestSrc *self, const std::shared_ptr<Track> &t)
{
  auto it = self->priv->publishers.find (t->session_id);
  if (it == self->priv->publishers.end ())
    {
      unblock (t);
      destroy_track (self, t);
      return;
    }
  Publisher *p = it->second.get ();
  p->tracks.push_back (t);
  if (p->ready)
    {
      // A track that started after the others were announced.
      add_track_pad (self, t);
      unblock (t);
      return;
    }
  if (!p->ready_timer)
    {
      p->ready_timer = g_timeout_source_new (READY_TIMEOUT_MS);
      struct Ctx
      {
        GstRtcIngestSrc *self;
        std::string session_id;
      };
      g_source_set_callback (
          p->ready_timer,
          [] (gpointer data) -> gboolean {
            auto *ctx = static_cast<Ctx *> (data);
            auto it = ctx->self->priv->publishers.find (ctx->session_id);
            if (it != ctx->self->priv->publishers.end () && !it->second->ready)
              {
                GST_INFO_OBJECT (ctx->self,
                                 "publisher %s: not every track sent data; announcing "
                                 "the %zu that did",
                                 it->second->peer_id.c_str (), it->second->tracks.size ());
                // The timer is being dispatched: let its destruction be the dispatcher's.
                g_source_unref (it->second->ready_timer);
                it->second->ready_timer = nullptr;
                announce (ctx->self, it->second.get ());
              }
            return G_SOURCE_REMOVE;
          },
          rtc::boxed (Ctx{ self, t->session_id }), rtc::free_boxed<Ctx>);
      g_source_attach (p->ready_timer, self->priv->worker->context ());
    }
  check_ready (self, t->session_id);
}

static void
set_if_exists (GstElement *e, const char *prop, gboolean value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), prop))
    g_object_set (e, prop, value, nullptr);
}

// rtcpeerbin's video_src_%u / audio_src_%u: the first packet of a track is being pushed (a
// streaming thread). Link it at once, so that packet is not lost, and hold its output.
static void
on_peer_pad_added (GstElement *, GstPad *pad, gpointer user_data)
{
  auto &ref = *static_cast<std::shared_ptr<PeerRef> *> (user_data);
  auto *self = ref->self;
  guint mline = 0;
  bool video = sscanf (GST_PAD_NAME (pad), "video_src_%u", &mline) == 1;
  if (!video && sscanf (GST_PAD_NAME (pad), "audio_src_%u", &mline) != 1)
    return;
  auto cit = ref->codecs.find (mline);
  if (cit == ref->codecs.end ())
    {
      GST_WARNING_OBJECT (self, "session %s: stream on m-line %u that we did not accept",
                          ref->session_id.c_str (), mline);
      return;
    }
  auto t = std::make_shared<Track> ();
  t->owner = self;
  t->session_id = ref->session_id;
  t->publisher_id = ref->publisher_id;
  t->video = video;
  t->codec = cit->second;
  guint n = (video ? self->priv->next_video : self->priv->next_audio).fetch_add (1);
  t->name = (video ? "video_" : "audio_") + std::to_string (n);

  std::vector<const char *> factories = { t->codec->depayloader };
  if (t->codec->parser)
    factories.push_back (t->codec->parser);
  for (auto *f : factories)
    {
      GstElement *e = gst_element_factory_make (f, nullptr);
      if (!e)
        {
          GST_ELEMENT_WARNING (self, CORE, MISSING_PLUGIN,
                               ("Cannot receive %s from publisher %s: element %s is missing",
                                t->codec->name, ref->publisher_id.c_str (), f),
                               (nullptr));
          t->chain.clear ();
          return;
        }
      t->chain.push_back (Ptr<GstElement>::ref (e));
    }
  GstElement *depay = t->chain.front ().get ();
  // Loss makes the depayloader drop to the next keyframe and ask for one (PLI).
  set_if_exists (depay, "request-keyframe", TRUE);
  set_if_exists (depay, "wait-for-keyframe", TRUE);
  if (g_str_equal (t->codec->name, "h264"))
    {
      // SPS/PPS before every IDR: a file or a late decoder can start at any keyframe.
      g_object_set (t->chain.back ().get (), "config-interval", -1, nullptr);
      GstElement *cf = gst_element_factory_make ("capsfilter", nullptr);
      GstCaps *caps = gst_caps_from_string ("video/x-h264, alignment=(string)au");
      g_object_set (cf, "caps", caps, nullptr);
      gst_caps_unref (caps);
      t->chain.push_back (Ptr<GstElement>::ref (cf));
    }
  for (auto &e : t->chain)
    gst_bin_add (GST_BIN (self), e.get ());
  for (std::size_t i = 1; i < t->chain.size (); i++)
    gst_element_link (t->chain[i - 1].get (), t->chain[i].get ());
  t->out = Ptr<GstPad> (gst_element_get_static_pad (t->chain.back ().get (), "src"));
  Ptr<GstPad> sink (gst_element_get_static_pad (depay, "sink"));

  GstPadTemplate *templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
                                                              video ? "video_%u" : "audio_%u");
  auto *ghost
      = GST_RTC_INGEST_PAD (g_object_new (GST_TYPE_RTC_INGEST_PAD, "name", t->name.c_str (),
                                          "direction", GST_PAD_SRC, "template", templ, nullptr));
  ghost->publisher_id = g_strdup (t->publisher_id.c_str ());
  ghost->session_id = g_strdup (t->session_id.c_str ());
  gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), t->out.get ());
  t->ghost = Ptr<GstPad>::ref (GST_PAD (ghost)); // floating ref sunk: ours until added
  gst_pad_set_active (GST_PAD (ghost), TRUE);

  t->block_id
      = gst_pad_add_probe (t->out.get (),
                           GstPadProbeType (GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER
                                            | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                           on_track_blocked, rtc::boxed (t), rtc::free_boxed<std::shared_ptr<Track>>);
  gst_pad_add_probe (t->out.get (), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_track_event,
                     rtc::boxed (t), rtc::free_boxed<std::shared_ptr<Track>>);

  for (auto it = t->chain.rbegin (); it != t->chain.rend (); ++it)
    gst_element_sync_state_with_parent (it->get ());
  if (gst_pad_link (pad, sink.get ()) != GST_PAD_LINK_OK)
    GST_WARNING_OBJECT (self, "%s: could not link %s", t->name.c_str (), GST_PAD_NAME (pad));
  GST_INFO_OBJECT (self, "publisher %s: %s is %s", t->publisher_id.c_str (), t->name.c_str (),
                   t->codec->name);
  request_keyframe (t);
  if (self->priv->worker)
    self->priv->worker->invoke ([self, t] { register_track (self, t); });
}

/* --- publishers (worker thread) ---------------------------------------------------------- */

static void
remove_publisher (GstRtcIngestSrc *self, const std::string &session_id, const char *reason,
                  bool tell_remote, bool send_eos)
{
  auto &pubs = self->priv->publishers;
  auto it = pubs.find (session_id);
  if (it == pubs.end ())
    return;
  std::unique_ptr<Publisher> p = std::move (it->second);
  pubs.erase (it);
  cancel_ready_timer (p.get ());

  // Nothing may stay blocked while the peer stops (its streaming threads must finish).
  for (auto &t : p->tracks)
    unblock (t);
  if (p->peer)
    {
      gst_element_set_locked_state (p->peer.get (), TRUE);
      gst_element_set_state (p->peer.get (), GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self), p->peer.get ());
    }
  // Nothing pushes into the tracks any more: end their streams so muxers finalise.
  if (send_eos)
    for (auto &t : p->tracks)
      if (t->added && !t->chain.empty ())
        {
          Ptr<GstPad> sink (gst_element_get_static_pad (t->chain.front ().get (), "sink"));
          gst_pad_send_event (sink.get (), gst_event_new_eos ());
        }
  for (auto &t : p->tracks)
    destroy_track (self, t);
  update_count (self);

  GST_INFO_OBJECT (self, "publisher %s (session %s) left: %s", p->peer_id.c_str (),
                   session_id.c_str (), reason);
  if (tell_remote)
    self->priv->signalling.end_session (session_id, reason);
  if (p->answered)
    {
      g_signal_emit (self, signals[SIGNAL_PUBLISHER_LEFT], 0, p->peer_id.c_str (),
                     session_id.c_str (), reason);
      post_element_message (
          self, gst_structure_new ("rtckit-publisher-left", "publisher-id", G_TYPE_STRING,
                                   p->peer_id.c_str (), "session-id", G_TYPE_STRING,
                                   session_id.c_str (), "reason", G_TYPE_STRING, reason, nullptr));
    }
}

// Ends a session we cannot serve: the publisher is told why, the log gets a warning.
static void
refuse (GstRtcIngestSrc *self, const std::string &session_id, const std::string &why)
{
  GST_ELEMENT_WARNING (self, STREAM, CODEC_NOT_FOUND, ("Publisher refused: %s", why.c_str ()),
                       ("session %s", session_id.c_str ()));
  if (self->priv->publishers.count (session_id))
    {
      remove_publisher (self, session_id, why.c_str (), true, true);
      return;
    }
  self->priv->signalling.end_session (session_id, why.c_str ());
}

static void
on_local_description (GstElement *, const gchar *type, const gchar *sdp, gpointer data)
{
  auto &ref = *static_cast<std::shared_ptr<PeerRef> *> (data);
  ref->self->priv->signalling.send_sdp (ref->session_id, type, sdp);
}

static void
on_local_candidate (GstElement *, guint mline, const gchar *candidate, gpointer data)
{
  auto &ref = *static_cast<std::shared_ptr<PeerRef> *> (data);
  ref->self->priv->signalling.send_ice (ref->session_id, mline, candidate);
}

static void
on_connection_state (GstElement *peer, GParamSpec *, gpointer data)
{
  auto ref = *static_cast<std::shared_ptr<PeerRef> *> (data);
  GstWebRTCPeerConnectionState state;
  g_object_get (peer, "connection-state", &state, nullptr);
  auto *self = ref->self;
  self->priv->worker->invoke ([self, ref, state] {
    auto it = self->priv->publishers.find (ref->session_id);
    if (it == self->priv->publishers.end ())
      return;
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
      it->second->connected = true;
    else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED
             || state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)
      remove_publisher (self, ref->session_id, "the peer connection failed (ICE or DTLS)", true,
                        true);
  });
}

static void
on_peer_failed (GstElement *, const gchar *reason, gpointer data)
{
  auto ref = *static_cast<std::shared_ptr<PeerRef> *> (data);
  auto *self = ref->self;
  std::string why = reason;
  self->priv->worker->invoke (
      [self, ref, why] { remove_publisher (self, ref->session_id, why.c_str (), true, true); });
}

// The publisher's offer: pick our codec per m-line, build its rtcpeerbin and answer.
static void
handle_offer (GstRtcIngestSrc *self, const std::string &session_id, const std::string &offer)
{
  auto it = self->priv->publishers.find (session_id);
  if (it == self->priv->publishers.end ())
    {
      GST_WARNING_OBJECT (self, "offer for unknown session %s ignored", session_id.c_str ());
      return;
    }
  Publisher *p = it->second.get ();
  if (p->peer)
    {
      remove_publisher (self, session_id,
                        "expected one SDP offer, got another (renegotiation is "
                        "not supported)",
                        true, true);
      return;
    }
  Settings s = copy_settings (self);
  auto video = rtc::parse_codec_list (s.video_codecs, "video");
  auto audio = rtc::parse_codec_list (s.audio_codecs, "audio");
  rtc::ingest::OfferChoice choice;
  rtc::ingest::choose_codecs (offer, video, audio, choice);
  if (!choice.error.empty ())
    {
      refuse (self, session_id, choice.error);
      return;
    }
  GstElement *peer = gst_element_factory_make ("rtcpeerbin", nullptr);
  if (!peer)
    {
      refuse (self, session_id, "internal error: rtcpeerbin is missing");
      return;
    }
  p->peer = Ptr<GstElement>::ref (peer);
  g_object_set (peer, "session-id", session_id.c_str (), "peer-id", p->peer_id.c_str (),
                "turn-servers", s.turn_servers.c_str (), "ice-local-addresses",
                s.ice_local_addresses.c_str (), nullptr);
  if (!s.stun_server.empty ())
    g_object_set (peer, "stun-server", s.stun_server.c_str (), nullptr);

  auto ref = std::make_shared<PeerRef> ();
  ref->self = self;
  ref->session_id = session_id;
  ref->publisher_id = p->peer_id;
  std::string summary;
  for (auto &m : choice.mlines)
    {
      ref->codecs[m.mline] = m.codec;
      gst_rtc_peer_bin_add_receiver (GST_RTC_PEER_BIN (peer), m.caps);
      summary += (summary.empty () ? "" : ", ") + std::string (m.codec->name) + " (pt "
                 + std::to_string (m.pt) + ")";
    }
  p->expected_tracks = choice.mlines.size ();
  rtc::connect_boxed (peer, "local-description", G_CALLBACK (on_local_description), ref);
  rtc::connect_boxed (peer, "local-candidate", G_CALLBACK (on_local_candidate), ref);
  rtc::connect_boxed (peer, "notify::connection-state", G_CALLBACK (on_connection_state), ref);
  rtc::connect_boxed (peer, "failed", G_CALLBACK (on_peer_failed), ref);
  rtc::connect_boxed (peer, "pad-added", G_CALLBACK (on_peer_pad_added), ref);
  gst_bin_add (GST_BIN (self), peer);
  gst_element_sync_state_with_parent (peer);
  GST_INFO_OBJECT (self, "publisher %s (session %s): answering with %s", p->peer_id.c_str (),
                   session_id.c_str (), summary.c_str ());

  struct Ctx
  {
    GstRtcIngestSrc *self;
    std::string session_id;
  };
  gst_rtc_peer_bin_answer (
      GST_RTC_PEER_BIN (peer), offer.c_str (),
      [] (GstRtcPeerBin *, const GError *error, gpointer data) {
        auto *ctx = static_cast<Ctx *> (data);
        auto *self = ctx->self;
        std::string sid = ctx->session_id, err = error ? error->message : "";
        self->priv->worker->invoke ([self, sid, err] {
          auto it = self->priv->publishers.find (sid);
          if (it == self->priv->publishers.end ())
            return;
          if (!err.empty ())
            {
              refuse (self, sid, err);
              return;
            }
          Publisher *p = it->second.get ();
          p->answered = true;
          post_element_message (self,
                                gst_structure_new ("rtckit-publisher-joined", "publisher-id",
                                                   G_TYPE_STRING, p->peer_id.c_str (), "session-id",
                                                   G_TYPE_STRING, sid.c_str (), nullptr));
        });
      },
      rtc::boxed (Ctx{ self, session_id }), rtc::free_boxed<Ctx>);
  for (auto &[mline, cand] : p->early_ice)
    gst_rtc_peer_bin_add_ice_candidate (GST_RTC_PEER_BIN (peer), mline, cand.c_str ());
  p->early_ice.clear ();
}

static void
handle_session_requested (GstRtcIngestSrc *self, const std::string &session_id,
                          const std::string &peer_id, const std::string &offer)
{
  if (self->priv->publishers.count (session_id))
    return;
  if (self->priv->eos.load ())
    {
      refuse (self, session_id, "the receiving pipeline is shutting down");
      return;
    }
  Settings s = copy_settings (self);
  if (s.max_publishers && self->priv->publishers.size () >= s.max_publishers)
    {
      std::string why = "max-publishers reached: this server accepts "
                        + std::to_string (s.max_publishers)
                        + " publisher(s) at once; try again later";
      GST_WARNING_OBJECT (self, "refusing session %s: %s", session_id.c_str (), why.c_str ());
      self->priv->signalling.end_session (session_id, why.c_str ());
      return;
    }
  auto p = std::make_unique<Publisher> ();
  p->session_id = session_id;
  p->peer_id = peer_id;
  p->created_us = g_get_monotonic_time ();
  self->priv->publishers[session_id] = std::move (p);
  update_count (self);
  GST_INFO_OBJECT (self, "publisher %s (session %s) %s", peer_id.c_str (), session_id.c_str (),
                   offer.empty () ? "waits for its offer" : "offers");
  if (!offer.empty ())
    handle_offer (self, session_id, offer);
}

static void
poll_timeouts (GstRtcIngestSrc *self)
{
  Settings s = copy_settings (self);
  if (!s.connect_timeout)
    return;
  gint64 now = g_get_monotonic_time ();
  std::vector<std::string> stale;
  for (auto &[id, p] : self->priv->publishers)
    if (!p->connected && now - p->created_us > (gint64)s.connect_timeout * G_USEC_PER_SEC)
      stale.push_back (id);
  for (auto &id : stale)
    remove_publisher (self, id, "timed out before the peer connection was established", true, true);
}

static void
stop_publishers (GstRtcIngestSrc *self, const char *reason)
{
  if (!self->priv->worker)
    return;
  self->priv->worker->invoke_sync ([self, reason] {
    std::vector<std::string> ids;
    for (auto &[id, p] : self->priv->publishers)
      ids.push_back (id);
    for (auto &id : ids)
      remove_publisher (self, id, reason, true, false);
  });
}

/* --- signaller (its thread: hand everything to the worker) ------------------------------- */

static void
on_sig_session_requested (GObject *, const gchar *session_id, const gchar *peer_id,
                          const gchar *offer, GstRtcIngestSrc *self)
{
  std::string sid = session_id, pid = peer_id ? peer_id : "", o = offer ? offer : "";
  self->priv->worker->invoke (
      [self, sid, pid, o] { handle_session_requested (self, sid, pid, o); });
}

static void
on_sig_session_ended (GObject *, const gchar *session_id, GstRtcIngestSrc *self)
{
  std::string sid = session_id;
  self->priv->worker->invoke ([self, sid] {
    remove_publisher (self, sid, "the publisher ended the session", false, true);
  });
}

static void
on_sig_sdp (GObject *, const gchar *session_id, const gchar *type, const gchar *sdp,
            GstRtcIngestSrc *self)
{
  std::string sid = session_id, t = type, text = sdp;
  self->priv->worker->invoke ([self, sid, t, text] {
    if (!self->priv->publishers.count (sid))
      {
        GST_WARNING_OBJECT (self, "SDP for unknown session %s ignored", sid.c_str ());
        return;
      }
    if (t != "offer")
      {
        refuse (self, sid, "rtcingestsrc answers: the publisher must send an SDP offer, not " + t);
        return;
      }
    handle_offer (self, sid, text);
  });
}

static void
on_sig_ice (GObject *, const gchar *session_id, guint mline, const gchar *candidate,
            GstRtcIngestSrc *self)
{
  std::string sid = session_id, cand = candidate ? candidate : "";
  self->priv->worker->invoke ([self, sid, mline, cand] {
    auto it = self->priv->publishers.find (sid);
    if (it == self->priv->publishers.end ())
      {
        GST_DEBUG_OBJECT (self, "ICE candidate for unknown session %s ignored", sid.c_str ());
        return;
      }
    if (!it->second->peer)
      {
        // A signaller may deliver candidates ahead of the offer: keep a few for later.
        if (it->second->early_ice.size () < 64)
          it->second->early_ice.emplace_back (mline, cand);
        return;
      }
    gst_rtc_peer_bin_add_ice_candidate (GST_RTC_PEER_BIN (it->second->peer.get ()), mline,
                                        cand.c_str ());
  });
}

static bool
start_signalling (GstRtcIngestSrc *self)
{
  Settings s = copy_settings (self);
  rtc::SignallingConfig config;
  config.address = s.address;
  config.serve = s.serve;
  config.role = RTC_SIGNALLER_ROLE_CONSUMER;
  config.page = "/publish";
  config.action = "publish";
  return self->priv->signalling.start (
      GST_ELEMENT (self), config,
      { G_CALLBACK (on_sig_session_requested), G_CALLBACK (on_sig_session_ended),
        G_CALLBACK (on_sig_sdp), G_CALLBACK (on_sig_ice) });
}

/* --- element ----------------------------------------------------------------------------- */

// EOS from the application (gst-launch-1.0 -e): end every announced pad so muxers finalise.
static gboolean
send_event (GstElement *element, GstEvent *event)
{
  auto *self = GST_RTC_INGEST_SRC (element);
  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (gst_rtc_ingest_src_parent_class)->send_event (element, event);
  self->priv->eos = true;
  if (self->priv->worker)
    self->priv->worker->invoke_sync ([self] {
      for (auto &[id, p] : self->priv->publishers)
        for (auto &t : p->tracks)
          if (t->added && !t->chain.empty ())
            {
              Ptr<GstPad> sink (gst_element_get_static_pad (t->chain.front ().get (), "sink"));
              gst_pad_send_event (sink.get (), gst_event_new_eos ());
            }
    });
  gst_event_unref (event);
  return TRUE;
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_INGEST_SRC (element);
  switch (transition)
    {
    case GST_STATE_CHANGE_NULL_TO_READY:
      self->priv->eos = false;
      self->priv->worker = std::make_unique<rtc::Worker> ("rtcingest");
      if (!start_signalling (self))
        {
          self->priv->worker.reset ();
          return GST_STATE_CHANGE_FAILURE;
        }
      self->priv->worker->every (1000, [self] { poll_timeouts (self); });
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stop_publishers (self, "the receiving pipeline stopped");
      break;
    default:
      break;
    }
  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS (gst_rtc_ingest_src_parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  switch (transition)
    {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      // A live source: nothing to preroll until someone publishes.
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      self->priv->signalling.stop ();
      stop_publishers (self, "the receiving pipeline stopped");
      self->priv->worker.reset ();
      update_count (self);
      self->priv->next_video = 0;
      self->priv->next_audio = 0;
      break;
    default:
      break;
    }
  return ret;
}

static void
set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_INGEST_SRC (object);
  auto str = [value] {
    return std::string (g_value_get_string (value) ? g_value_get_string (value) : "");
  };
  std::lock_guard lock (self->priv->settings_lock);
  Settings &s = self->priv->settings;
  switch (prop_id)
    {
    case PROP_ADDRESS:
      s.address = str ().empty () ? DEFAULT_ADDRESS : str ();
      break;
    case PROP_SERVE:
      s.serve = g_value_get_boolean (value);
      break;
    case PROP_SIGNALLER:
      self->priv->signalling.signaller = Ptr<GObject>::ref (G_OBJECT (g_value_get_object (value)));
      break;
    case PROP_VIDEO_CODECS:
      s.video_codecs = str ();
      break;
    case PROP_AUDIO_CODECS:
      s.audio_codecs = str ();
      break;
    case PROP_MAX_PUBLISHERS:
      s.max_publishers = g_value_get_uint (value);
      break;
    case PROP_STUN_SERVER:
      s.stun_server = str ();
      break;
    case PROP_TURN_SERVERS:
      s.turn_servers = str ();
      break;
    case PROP_ICE_LOCAL_ADDRESSES:
      s.ice_local_addresses = str ();
      break;
    case PROP_CONNECT_TIMEOUT:
      s.connect_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_INGEST_SRC (object);
  if (prop_id == PROP_PUBLISHERS)
    {
      std::lock_guard lock (self->priv->state_lock);
      g_value_set_uint (value, self->priv->publisher_count);
      return;
    }
  std::lock_guard lock (self->priv->settings_lock);
  const Settings &s = self->priv->settings;
  switch (prop_id)
    {
    case PROP_ADDRESS:
      g_value_set_string (value, s.address.c_str ());
      break;
    case PROP_SERVE:
      g_value_set_boolean (value, s.serve);
      break;
    case PROP_SIGNALLER:
      g_value_set_object (value, self->priv->signalling.signaller.get ());
      break;
    case PROP_VIDEO_CODECS:
      g_value_set_string (value, s.video_codecs.c_str ());
      break;
    case PROP_AUDIO_CODECS:
      g_value_set_string (value, s.audio_codecs.c_str ());
      break;
    case PROP_MAX_PUBLISHERS:
      g_value_set_uint (value, s.max_publishers);
      break;
    case PROP_STUN_SERVER:
      g_value_set_string (value, s.stun_server.empty () ? nullptr : s.stun_server.c_str ());
      break;
    case PROP_TURN_SERVERS:
      g_value_set_string (value, s.turn_servers.c_str ());
      break;
    case PROP_ICE_LOCAL_ADDRESSES:
      g_value_set_string (value, s.ice_local_addresses.c_str ());
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, s.connect_timeout);
      break;
    case PROP_URL:
      g_value_set_string (value, self->priv->signalling.url.empty () ? nullptr : self->priv->signalling.url.c_str ());
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_rtc_ingest_src_init (GstRtcIngestSrc *self)
{
  self->priv = new IngestPrivate ();
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
finalize (GObject *object)
{
  auto *self = GST_RTC_INGEST_SRC (object);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_ingest_src_parent_class)->finalize (object);
}

static void
gst_rtc_ingest_src_class_init (GstRtcIngestSrcClass *klass)
{
  auto *gobject_class = G_OBJECT_CLASS (klass);
  auto *element_class = GST_ELEMENT_CLASS (klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = change_state;
  element_class->send_event = send_event;

  gst_tag_register_static (RTC_TAG_PUBLISHER_ID, GST_TAG_FLAG_META, G_TYPE_STRING,
                           "rtckit publisher id", "signalling peer id of the WebRTC publisher",
                           gst_tag_merge_use_first);

  const auto rw_ready
      = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto rw_playing
      = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (
      gobject_class, PROP_ADDRESS,
      g_param_spec_string (
          "address", "Address",
          "HOST:PORT the embedded web server listens on; 0.0.0.0:8080 serves the LAN, port 0 "
          "picks a free port (read it back from 'url')",
          DEFAULT_ADDRESS, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_SERVE,
      g_param_spec_boolean (
          "serve", "Serve",
          "Run the embedded web and signalling server; false to use the 'signaller' property's "
          "external signaller instead",
          DEFAULT_SERVE, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_SIGNALLER,
      g_param_spec_object (
          "signaller", "Signaller",
          "The RtcSignaller in use (the embedded server's while running with serve=true); set "
          "one to use another signalling transport",
          G_TYPE_OBJECT, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_CODECS,
      g_param_spec_string (
          "video-codecs", "Video codecs",
          "Video codecs accepted from publishers, most preferred first (h264, vp8, vp9); the "
          "answer picks the first one the publisher offers",
          DEFAULT_VIDEO_CODECS, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_CODECS,
      g_param_spec_string (
          "audio-codecs", "Audio codecs",
          "Audio codecs accepted from publishers, most preferred first (opus, pcmu, pcma)",
          DEFAULT_AUDIO_CODECS, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_MAX_PUBLISHERS,
      g_param_spec_uint (
          "max-publishers", "Maximum publishers",
          "Publishers accepted at once (0 = no limit); a publisher over the limit is told why", 0,
          G_MAXUINT, DEFAULT_MAX_PUBLISHERS, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_STUN_SERVER,
      g_param_spec_string (
          "stun-server", "STUN server",
          "STUN server for new publishers as stun://host:port (none by default: fine on a LAN)",
          nullptr, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_TURN_SERVERS,
      g_param_spec_string (
          "turn-servers", "TURN servers",
          "Comma-separated TURN servers for new publishers, turn(s)://user:password@host:port", "",
          rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_ICE_LOCAL_ADDRESSES,
      g_param_spec_string (
          "ice-local-addresses", "ICE local addresses",
          "Comma-separated local IP addresses ICE may use for new publishers (e.g. 127.0.0.1 to "
          "keep media on loopback); empty means every interface but loopback",
          "", rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_CONNECT_TIMEOUT,
      g_param_spec_uint (
          "connect-timeout", "Connect timeout",
          "Seconds a new publisher may take to connect before it is dropped (0 = forever)", 0, 3600,
          DEFAULT_CONNECT_TIMEOUT, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_URL,
      g_param_spec_string ("url", "URL", "The publish page's address, once started", nullptr, ro));
  g_object_class_install_property (gobject_class, PROP_PUBLISHERS,
                                   g_param_spec_uint ("publishers", "Publishers",
                                                      "Publishers connected or connecting now", 0,
                                                      G_MAXUINT, 0, ro));

  /**
   * GstRtcIngestSrc::publisher-ready:
   * @publisher_id: the publisher's signalling peer id
   * @session_id: its session
   *
   * Every pad of the publisher has been added and no data has flowed on any of them yet: link
   * them here (e.g. one muxer per publisher). Emitted on the element's worker thread; adding
   * and linking elements here is safe, changing this element's state is not.
   */
  signals[SIGNAL_PUBLISHER_READY]
      = g_signal_new ("publisher-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                      nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcIngestSrc::publisher-left:
   * @publisher_id: the publisher's signalling peer id
   * @session_id: its session
   * @reason: why it left
   *
   * The publisher's pads got EOS and were removed. Emitted on the element's worker thread.
   */
  signals[SIGNAL_PUBLISHER_LEFT] = g_signal_new (
      "publisher-left", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  gst_element_class_add_static_pad_template_with_gtype (element_class, &video_template,
                                                        GST_TYPE_RTC_INGEST_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class, &audio_template,
                                                        GST_TYPE_RTC_INGEST_PAD);
  gst_element_class_set_static_metadata (
      element_class, "WebRTC ingest source", "Source/Network/WebRTC",
      "Receives what web browsers and other WebRTC peers publish, with a built-in publish page "
      "and signalling server; one depayloaded, parsed, still-encoded pad per track",
      "rtckit developers");
  gst_type_mark_as_plugin_api (GST_TYPE_RTC_INGEST_PAD, GstPluginAPIFlags (0));
}
