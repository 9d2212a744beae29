#include "receive/incoming.h"

#include "closure.h"
#include "receive/ingest-pad.h"
#include "signal/session.h"

#include <gst/video/video.h>

#include <algorithm>

#define GST_CAT_DEFAULT cat_

// How long the first tracks of a session wait for the others before its pads are announced.
#define READY_TIMEOUT_MS 3000

namespace rtc
{

namespace
{

void
request_keyframe (const std::shared_ptr<ReceivedTrack> &t)
{
  if (!t->video || t->chain.empty ())
    return;
  // Upstream force-key-unit: webrtcbin's rtpsession turns it into a PLI to the sender.
  Ptr<GstPad> src (gst_element_get_static_pad (t->chain.front ().get (), "src"));
  gst_pad_send_event (src.get (),
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
}

GstTagList *
peer_tags (const ReceivedTrack &t)
{
  GstTagList *tags = gst_tag_list_new (RTC_TAG_PUBLISHER_ID, t.peer_id.c_str (), GST_TAG_TITLE,
                                       t.peer_id.c_str (), nullptr);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
  return tags;
}

// Later stream tags from the parser (codec, bitrate) keep the peer id.
GstPadProbeReturn
on_track_event (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_TAG)
    return GST_PAD_PROBE_OK;
  auto track = static_cast<std::weak_ptr<ReceivedTrack> *> (user_data)->lock ();
  if (!track)
    return GST_PAD_PROBE_OK;
  GstTagList *tags = nullptr;
  gst_event_parse_tag (event, &tags);
  if (gst_tag_list_get_scope (tags) != GST_TAG_SCOPE_STREAM
      || gst_tag_list_get_tag_size (tags, RTC_TAG_PUBLISHER_ID) > 0)
    return GST_PAD_PROBE_OK;
  GstTagList *ours = peer_tags (*track);
  GstTagList *merged = gst_tag_list_merge (tags, ours, GST_TAG_MERGE_REPLACE);
  gst_tag_list_unref (ours);
  gst_tag_list_set_scope (merged, GST_TAG_SCOPE_STREAM);
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_tag (merged);
  return GST_PAD_PROBE_OK;
}

// Holds the track's first buffer until all pads of its session are announced.
GstPadProbeReturn
on_track_blocked (GstPad *pad, GstPadProbeInfo *, gpointer user_data)
{
  auto track = static_cast<std::weak_ptr<ReceivedTrack> *> (user_data)->lock ();
  if (!track || track->flowing.exchange (true))
    return GST_PAD_PROBE_OK;
  // Stream-start, caps and segment are on the pad now: the tag goes after them.
  Ptr<GstEvent> existing (gst_pad_get_sticky_event (pad, GST_EVENT_TAG, 0));
  if (!existing)
    gst_pad_store_sticky_event (pad, Ptr<GstEvent> (gst_event_new_tag (peer_tags (*track))).get ());
  Incoming *in = track->owner;
  std::string sid = track->session_id;
  run_on_worker (in->element (), [in, sid] { in->check_ready (sid); });
  return GST_PAD_PROBE_OK;
}

void
unblock (const std::shared_ptr<ReceivedTrack> &t)
{
  if (t->block_id)
    gst_pad_remove_probe (t->out.get (), t->block_id);
  t->block_id = 0;
}

void
cancel_ready_timer (IncomingSession &s)
{
  if (s.ready_timer)
    {
      g_source_destroy (s.ready_timer);
      g_source_unref (s.ready_timer);
      s.ready_timer = nullptr;
    }
}

void
set_if_exists (GstElement *e, const char *prop, gboolean value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), prop))
    g_object_set (e, prop, value, nullptr);
}

void
on_peer_pad_added (GstElement *, GstPad *pad, gpointer user_data)
{
  auto &ref = *static_cast<std::shared_ptr<ReceiveRef> *> (user_data);
  ref->owner->on_pad_added (ref, pad);
}

} // namespace

void
register_peer_tag ()
{
  gst_tag_register_static (RTC_TAG_PUBLISHER_ID, GST_TAG_FLAG_META, G_TYPE_STRING,
                           "rtckit publisher id", "signalling peer id of the WebRTC publisher",
                           gst_tag_merge_use_first);
}

Incoming::Incoming (GstRtcSignalBin *element, GstDebugCategory *cat, Callbacks callbacks,
                    PadNames names)
    : element_ (element), cat_ (cat), cb_ (std::move (callbacks)), names_ (names),
      flows_ (names.drop_unlinked)
{
}

void
Incoming::attach (GstElement *peer, IncomingSession &session, const std::string &session_id,
                  const std::string &peer_id)
{
  session.ref = std::make_shared<ReceiveRef> ();
  session.ref->owner = this;
  session.ref->session_id = session_id;
  session.ref->peer_id = peer_id;
  connect_boxed (peer, "pad-added", G_CALLBACK (on_peer_pad_added), session.ref);
}

void
Incoming::destroy_track (const std::shared_ptr<ReceivedTrack> &t)
{
  for (auto &e : t->chain)
    gst_element_set_locked_state (e.get (), TRUE);
  for (auto &e : t->chain)
    gst_element_set_state (e.get (), GST_STATE_NULL);
  if (t->added)
    {
      flows_.remove (t->ghost.get ());
      gst_element_remove_pad (GST_ELEMENT (element_), t->ghost.get ());
    }
  t->added = false;
  for (auto &e : t->chain)
    gst_bin_remove (GST_BIN (element_), e.get ());
  t->chain.clear ();
}

void
Incoming::add_track_pad (const std::shared_ptr<ReceivedTrack> &t)
{
  flows_.add (t->ghost.get ());
  gst_element_add_pad (GST_ELEMENT (element_), t->ghost.get ());
  t->added = true;
}

// Adds every pad of the session, tells the element, then lets data flow.
void
Incoming::announce (IncomingSession &s)
{
  s.ready = true;
  cancel_ready_timer (s);
  // Video first, whatever arrived first: gst-launch links the first pad that fits, so
  // "rtcingestsrc ! queue ! decodebin ! videoconvert ! ..." gets the video.
  std::stable_partition (s.tracks.begin (), s.tracks.end (),
                         [] (const std::shared_ptr<ReceivedTrack> &t) { return t->video; });
  std::vector<std::string> names;
  for (auto &t : s.tracks)
    {
      add_track_pad (t);
      names.push_back (t->name);
    }
  const std::string sid = s.ref->session_id, pid = s.ref->peer_id;
  GST_INFO_OBJECT (element_, "%s ready with %zu pad(s)", pid.c_str (), names.size ());
  if (cb_.announced)
    cb_.announced (sid, pid, names);
  // The handler may have ended the session (e.g. the element stopped).
  IncomingSession *still = cb_.find (sid);
  if (!still)
    return;
  for (auto &t : still->tracks)
    {
      unblock (t);
      // A recording starts on a decodable frame.
      request_keyframe (t);
    }
}

void
Incoming::check_ready (const std::string &session_id)
{
  IncomingSession *s = cb_.find (session_id);
  if (!s || s->ready)
    return;
  std::size_t flowing = 0;
  for (auto &t : s->tracks)
    flowing += t->flowing.load () ? 1 : 0;
  if (flowing >= s->expected_tracks)
    announce (*s);
}

void
Incoming::register_track (const std::shared_ptr<ReceivedTrack> &t)
{
  IncomingSession *s = cb_.find (t->session_id);
  if (!s)
    {
      unblock (t);
      destroy_track (t);
      return;
    }
  s->tracks.push_back (t);
  if (s->ready)
    {
      // A track that started after the others were announced.
      add_track_pad (t);
      unblock (t);
      return;
    }
  if (!s->ready_timer)
    {
      s->ready_timer = g_timeout_source_new (READY_TIMEOUT_MS);
      struct Ctx
      {
        Incoming *in;
        std::string session_id;
      };
      g_source_set_callback (
          s->ready_timer,
          [] (gpointer data) -> gboolean {
            auto *ctx = static_cast<Ctx *> (data);
            auto *in = ctx->in;
            IncomingSession *s = in->cb_.find (ctx->session_id);
            if (s && !s->ready)
              {
                GST_CAT_INFO_OBJECT (in->cat_, in->element_,
                                     "%s: not every track sent data; announcing the %zu that did",
                                     s->ref->peer_id.c_str (), s->tracks.size ());
                // The timer is being dispatched: let its destruction be the dispatcher's.
                g_source_unref (s->ready_timer);
                s->ready_timer = nullptr;
                in->announce (*s);
              }
            return G_SOURCE_REMOVE;
          },
          boxed (Ctx{ this, t->session_id }), free_boxed<Ctx>);
      g_source_attach (s->ready_timer, signal_bin (element_).worker->context ());
    }
  check_ready (t->session_id);
}

// rtcpeerbin's video_src_%u / audio_src_%u: the first packet of a track is being pushed (a
// streaming thread). Link it at once, so that packet is not lost, and hold its output.
void
Incoming::on_pad_added (const std::shared_ptr<ReceiveRef> &ref, GstPad *pad)
{
  guint mline = 0;
  bool video = sscanf (GST_PAD_NAME (pad), "video_src_%u", &mline) == 1;
  if (!video && sscanf (GST_PAD_NAME (pad), "audio_src_%u", &mline) != 1)
    return;
  auto cit = ref->codecs.find (mline);
  if (cit == ref->codecs.end ())
    {
      GST_WARNING_OBJECT (element_, "session %s: stream on m-line %u that we did not accept",
                          ref->session_id.c_str (), mline);
      return;
    }
  auto t = std::make_shared<ReceivedTrack> ();
  t->owner = this;
  t->session_id = ref->session_id;
  t->peer_id = ref->peer_id;
  t->video = video;
  t->codec = cit->second;
  guint n = (video ? next_video_ : next_audio_).fetch_add (1);
  const std::string templ_name = video ? names_.video : names_.audio;
  t->name = templ_name.substr (0, templ_name.size () - 2) + std::to_string (n); // "%u" -> n

  std::vector<const char *> factories = { t->codec->depayloader };
  if (t->codec->parser)
    factories.push_back (t->codec->parser);
  for (auto *f : factories)
    {
      GstElement *e = gst_element_factory_make (f, nullptr);
      if (!e)
        {
          GST_ELEMENT_WARNING (element_, CORE, MISSING_PLUGIN,
                               ("Cannot receive %s from %s: element %s is missing", t->codec->name,
                                ref->peer_id.c_str (), f),
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
    gst_bin_add (GST_BIN (element_), e.get ());
  for (std::size_t i = 1; i < t->chain.size (); i++)
    gst_element_link (t->chain[i - 1].get (), t->chain[i].get ());
  t->out = Ptr<GstPad> (gst_element_get_static_pad (t->chain.back ().get (), "src"));
  Ptr<GstPad> sink (gst_element_get_static_pad (depay, "sink"));

  GstPadTemplate *templ
      = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (element_), templ_name.c_str ());
  auto *ghost
      = GST_RTC_INGEST_PAD (g_object_new (GST_TYPE_RTC_INGEST_PAD, "name", t->name.c_str (),
                                          "direction", GST_PAD_SRC, "template", templ, nullptr));
  ghost->publisher_id = g_strdup (t->peer_id.c_str ());
  ghost->session_id = g_strdup (t->session_id.c_str ());
  gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), t->out.get ());
  t->ghost = Ptr<GstPad>::ref (GST_PAD (ghost)); // floating ref sunk: ours until added
  gst_pad_set_active (GST_PAD (ghost), TRUE);

  // The probes hold the track weakly: it owns the pad that owns them.
  t->block_id
      = gst_pad_add_probe (t->out.get (),
                           GstPadProbeType (GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER
                                            | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                           on_track_blocked, boxed (std::weak_ptr<ReceivedTrack> (t)),
                           free_boxed<std::weak_ptr<ReceivedTrack>>);
  gst_pad_add_probe (t->out.get (), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_track_event,
                     boxed (std::weak_ptr<ReceivedTrack> (t)),
                     free_boxed<std::weak_ptr<ReceivedTrack>>);

  for (auto it = t->chain.rbegin (); it != t->chain.rend (); ++it)
    gst_element_sync_state_with_parent (it->get ());
  if (gst_pad_link (pad, sink.get ()) != GST_PAD_LINK_OK)
    GST_WARNING_OBJECT (element_, "%s: could not link %s", t->name.c_str (), GST_PAD_NAME (pad));
  GST_INFO_OBJECT (element_, "%s: %s is %s", t->peer_id.c_str (), t->name.c_str (), t->codec->name);
  request_keyframe (t);
  run_on_worker (element_, [this, t] { register_track (t); });
}

void
Incoming::before_peer_stops (IncomingSession &s)
{
  cancel_ready_timer (s);
  for (auto &t : s.tracks)
    unblock (t);
}

void
Incoming::end_tracks (IncomingSession &s)
{
  for (auto &t : s.tracks)
    if (t->added && !t->chain.empty ())
      {
        Ptr<GstPad> sink (gst_element_get_static_pad (t->chain.front ().get (), "sink"));
        gst_pad_send_event (sink.get (), gst_event_new_eos ());
      }
}

void
Incoming::ended (IncomingSession &s, bool eos)
{
  // Nothing pushes into the tracks any more: end their streams so muxers finalise.
  if (eos)
    end_tracks (s);
  for (auto &t : s.tracks)
    destroy_track (t);
}

void
Incoming::reset_numbering ()
{
  next_video_ = 0;
  next_audio_ = 0;
}

} // namespace rtc
