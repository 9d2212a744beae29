#include "send/outgoing.h"

#include "closure.h"

#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#define GST_CAT_DEFAULT cat_

namespace rtc
{

/* --- tracks and feeds -------------------------------------------------------------------- */

Outgoing::Outgoing (GstElement *element, GstDebugCategory *cat, Callbacks callbacks)
    : element_ (element), cat_ (cat), cb_ (std::move (callbacks))
{
}

std::vector<std::shared_ptr<Track>>
Outgoing::tracks () const
{
  std::lock_guard lock (lock_);
  return tracks_;
}

std::vector<const CodecInfo *>
Outgoing::codecs_of (const Track &track) const
{
  std::lock_guard lock (lock_);
  return track.codecs;
}

bool
Outgoing::ready (std::string *why) const
{
  std::lock_guard lock (lock_);
  if (tracks_.empty ())
    {
      *why = "the stream has no media pads yet";
      return false;
    }
  for (auto &t : tracks_)
    if (!t->caps_known)
      {
        *why = t->name + " has no data yet";
        return false;
      }
  return true;
}

std::shared_ptr<Feed>
Outgoing::ensure_feed (const std::shared_ptr<Track> &track, const CodecInfo *codec)
{
  std::lock_guard build (feed_build_lock_);
  bool live;
  const CodecInfo *passthrough;
  {
    std::lock_guard lock (lock_);
    auto it = track->feeds.find (codec);
    if (it != track->feeds.end ())
      return it->second;
    live = track->live;
    passthrough = track->passthrough;
  }
  OutgoingSettings s = cb_.settings ();
  auto feed = std::make_shared<Feed> (
      codec, passthrough ? Feed::Mode::Passthrough : Feed::Mode::Encode, track->name, track->ssrc);
  feed->set_playout_delay (s.playout_delay);
  Error err;
  Ptr<GstPad> sinkpad (feed->build (GST_BIN (element_), live, track->video ? s.video_bitrate : 0,
                                    s.keyframe_interval, err.out ()));
  if (!sinkpad)
    {
      GST_ELEMENT_WARNING (
          element_, CORE, MISSING_PLUGIN,
          ("Cannot send %s on %s: %s", codec->name, track->name.c_str (), err.message ()),
          ("feed construction failed"));
      return nullptr;
    }
  Ptr<GstPad> teepad (gst_element_request_pad_simple (track->tee.get (), "src_%u"));
  if (gst_pad_link (teepad.get (), sinkpad.get ()) != GST_PAD_LINK_OK)
    {
      GST_ELEMENT_WARNING (element_, CORE, NEGOTIATION,
                           ("Cannot send %s on %s", codec->name, track->name.c_str ()),
                           ("linking the tee branch failed"));
      feed->teardown (GST_BIN (element_));
      gst_element_release_request_pad (track->tee.get (), teepad.get ());
      return nullptr;
    }
  GST_INFO_OBJECT (element_, "%s: sending %s (%s)", track->name.c_str (), codec->name,
                   passthrough ? "passthrough" : feed->encoder_factory ().c_str ());
  std::lock_guard lock (lock_);
  track->feeds[codec] = feed;
  return feed;
}

// First caps on a track decide raw (encode) or encoded (passthrough) and start the first feed.
bool
Outgoing::on_caps (const std::shared_ptr<Track> &track, GstCaps *caps)
{
  const char *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  bool raw = g_str_has_suffix (name, "/x-raw");
  {
    std::lock_guard lock (lock_);
    if (track->caps_known)
      {
        bool was_raw = track->passthrough == nullptr;
        if (was_raw == raw && (raw || codec_by_encoded_caps (caps) == track->passthrough))
          return true;
      }
  }
  if (track->caps_known)
    {
      GST_ELEMENT_ERROR (element_, STREAM, FORMAT,
                         ("The format on %s changed to %s while streaming: restart the pipeline "
                          "to change it",
                          track->name.c_str (), name),
                         (nullptr));
      return false;
    }
  OutgoingSettings s = cb_.settings ();
  std::vector<const CodecInfo *> codecs;
  const CodecInfo *passthrough = nullptr;
  const char *kind = track->video ? "video" : "audio";
  if (raw)
    {
      std::vector<std::string> unknown;
      const std::string &list = track->video ? s.video_codecs : s.audio_codecs;
      codecs = parse_codec_list (list, kind, &unknown);
      for (auto &u : unknown)
        GST_WARNING_OBJECT (element_, "ignoring unknown %s codec '%s'", kind, u.c_str ());
      if (codecs.empty ())
        {
          GST_ELEMENT_ERROR (element_, LIBRARY, SETTINGS,
                             ("No usable %s codec in %s-codecs=\"%s\"", kind, kind, list.c_str ()),
                             (nullptr));
          return false;
        }
    }
  else
    {
      passthrough = codec_by_encoded_caps (caps);
      if (!passthrough || g_strcmp0 (passthrough->media, kind) != 0)
        {
          GST_ELEMENT_ERROR (element_, STREAM, FORMAT,
                             ("%s cannot be sent to browsers on %s: give raw %s or H.264, VP8, VP9 "
                              "(video) / Opus, PCMU, PCMA (audio)",
                              name, track->name.c_str (), kind),
                             (nullptr));
          return false;
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
    std::lock_guard lock (lock_);
    track->caps_known = true;
    track->live = live;
    track->passthrough = passthrough;
    track->codecs = codecs;
  }
  GST_INFO_OBJECT (element_, "%s: %s input (%s), offering %s", track->name.c_str (),
                   raw ? "raw" : "encoded", live ? "live" : "not live",
                   codec_names (codecs).c_str ());
  // The first (preferred) codec is ready before anyone asks, so the first session starts fast.
  ensure_feed (track, codecs.front ());
  if (cb_.caps_known)
    cb_.caps_known ();
  return true;
}

static GstPadProbeReturn
on_track_caps (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  std::shared_ptr<Track> track = static_cast<std::weak_ptr<Track> *> (user_data)->lock ();
  if (!track)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  return track->owner->on_caps (track, caps) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

GstPad *
Outgoing::request_pad (GstPadTemplate *templ, const gchar *name)
{
  bool video = g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "video_%u");
  auto track = std::make_shared<Track> ();
  track->video = video;
  track->owner = this;
  {
    std::lock_guard lock (lock_);
    guint &next = video ? next_video_ : next_audio_;
    guint index = next;
    if (name && sscanf (name, video ? "video_%u" : "audio_%u", &index) == 1)
      {
        for (auto &t : tracks_)
          if (t->name == name)
            return nullptr;
      }
    next = MAX (next, index + 1);
    track->name = (video ? "video_" : "audio_") + std::to_string (index);
    // Unique among the tracks, which share one bundled transport per session.
    for (bool unique = false; !unique;)
      {
        track->ssrc = g_random_int_range (1, G_MAXINT32);
        unique = true;
        for (auto &t : tracks_)
          unique = unique && t->ssrc != track->ssrc;
      }
  }
  GstElement *tee = gst_element_factory_make ("tee", nullptr);
  g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  track->tee = Ptr<GstElement>::ref (tee);
  gst_bin_add (GST_BIN (element_), tee);
  Ptr<GstPad> teesink (gst_element_get_static_pad (tee, "sink"));
  GstPad *ghost = gst_ghost_pad_new_from_template (track->name.c_str (), teesink.get (), templ);
  track->ghost = ghost;
  // Weakly: the track owns the tee, whose pad owns this probe.
  gst_pad_add_probe (teesink.get (), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_track_caps,
                     boxed (std::weak_ptr<Track> (track)), free_boxed<std::weak_ptr<Track>>);
  {
    std::lock_guard lock (lock_);
    tracks_.push_back (track);
  }
  gst_element_sync_state_with_parent (tee);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (element_, ghost);
  return ghost;
}

void
Outgoing::release_pad (GstPad *pad)
{
  std::shared_ptr<Track> track;
  {
    std::lock_guard lock (lock_);
    for (auto it = tracks_.begin (); it != tracks_.end (); ++it)
      if ((*it)->ghost == pad)
        {
          track = *it;
          tracks_.erase (it);
          break;
        }
  }
  if (!track)
    return;
  // Sessions were offered this track: they end, new ones get the remaining tracks.
  if (cb_.removing)
    cb_.removing (track);
  std::map<const CodecInfo *, std::shared_ptr<Feed>> feeds;
  {
    std::lock_guard lock (lock_);
    feeds.swap (track->feeds);
  }
  gst_element_set_locked_state (track->tee.get (), TRUE);
  gst_element_set_state (track->tee.get (), GST_STATE_NULL);
  for (auto &[c, f] : feeds)
    f->teardown (GST_BIN (element_));
  gst_element_remove_pad (element_, pad);
  gst_bin_remove (GST_BIN (element_), track->tee.get ());
}

void
Outgoing::reset ()
{
  std::vector<std::pair<std::shared_ptr<Track>, std::shared_ptr<Feed>>> all;
  {
    std::lock_guard lock (lock_);
    for (auto &t : tracks_)
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
      // Release the tee pads that fed the branches.
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
      f->teardown (GST_BIN (element_));
    }
}

void
Outgoing::set_bitrate (guint kbps)
{
  std::vector<std::shared_ptr<Feed>> feeds;
  {
    std::lock_guard lock (lock_);
    for (auto &t : tracks_)
      if (t->video)
        for (auto &[c, f] : t->feeds)
          feeds.push_back (f);
  }
  for (auto &f : feeds)
    f->set_bitrate (kbps);
}

void
Outgoing::set_playout_delay (gint ms)
{
  std::lock_guard lock (lock_);
  for (auto &t : tracks_)
    for (auto &[codec, feed] : t->feeds)
      feed->set_playout_delay (ms);
}

std::vector<EncoderSnapshot>
Outgoing::encoders () const
{
  std::vector<EncoderSnapshot> out;
  std::lock_guard lock (lock_);
  for (auto &t : tracks_)
    for (auto &[codec, feed] : t->feeds)
      out.push_back ({ t->name, codec->name, feed->encoder_factory (), feed->subscriber_count () });
  return out;
}

/* --- a session's tracks ------------------------------------------------------------------ */

// Upstream events from the session's peer: keyframe requests (PLI/FIR turned into
// force-key-unit by webrtcbin) go to the feed.
static GstPadProbeReturn
on_session_upstream_event (GstPad *, GstPadProbeInfo *info, gpointer user_data)
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

SessionTrack
add_session_track (GstBin *bin, GstElement *peer, const std::shared_ptr<Track> &track,
                   GstCaps *caps)
{
  GstPadTemplate *templ
      = gst_element_get_pad_template (peer, track->video ? "video_%u" : "audio_%u");
  Ptr<GstPad> sinkpad (gst_element_request_pad (peer, templ, nullptr, caps));
  GstElement *src = gst_element_factory_make ("appsrc", nullptr);
  // Bounded and leaky: a session that cannot keep up loses its own oldest packets (NACK and
  // PLI repair that), and never blocks the feed.
  g_object_set (src, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", FALSE, "block",
                FALSE, "max-bytes", (guint64)4 * 1024 * 1024, "max-buffers", (guint64)0, "max-time",
                (guint64)0, "emit-signals", FALSE, nullptr);
  gst_util_set_object_arg (G_OBJECT (src), "leaky-type", "downstream");
  gst_bin_add (bin, src);
  Ptr<GstPad> srcpad (gst_element_get_static_pad (src, "src"));
  if (sinkpad)
    gst_pad_link (srcpad.get (), sinkpad.get ());
  SessionTrack st;
  st.track = track;
  st.appsrc = Ptr<GstElement>::ref (src);
  st.route = std::make_shared<KeyframeRoute> ();
  gst_pad_add_probe (srcpad.get (), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_session_upstream_event,
                     boxed (st.route), free_boxed<std::shared_ptr<KeyframeRoute>>);
  return st;
}

bool
route_to_feed (Outgoing &out, SessionTrack &st)
{
  auto feed = out.ensure_feed (st.track, st.codec);
  if (!feed)
    return false;
  std::lock_guard lock (st.route->lock);
  st.route->feed = feed;
  return true;
}

void
subscribe_session_tracks (std::vector<SessionTrack> &tracks, bool &subscribed)
{
  for (auto &st : tracks)
    {
      std::shared_ptr<Feed> feed;
      {
        std::lock_guard lock (st.route->lock);
        feed = st.route->feed;
      }
      if (!feed)
        continue;
      if (subscribed)
        feed->request_keyframe ();
      else
        feed->subscribe (st.appsrc.get (), st.pt);
    }
  subscribed = true;
}

void
detach_session_tracks (std::vector<SessionTrack> &tracks)
{
  for (auto &st : tracks)
    {
      std::shared_ptr<Feed> feed;
      {
        std::lock_guard lock (st.route->lock);
        feed = std::move (st.route->feed);
      }
      if (feed)
        feed->unsubscribe (st.appsrc.get ());
    }
  // An appsrc's thread may be blocked inside the peer (a sink of a PAUSED webrtcbin waits for
  // PLAYING while the pipeline stops): stopping that appsrc first waited forever for its stream
  // lock. The stopped peer flushes instead, and the appsrc's push returns FLUSHING.
  for (auto &st : tracks)
    gst_element_set_locked_state (st.appsrc.get (), TRUE);
}

void
remove_session_tracks (GstBin *bin, std::vector<SessionTrack> &tracks)
{
  for (auto &st : tracks)
    gst_element_set_state (st.appsrc.get (), GST_STATE_NULL);
  for (auto &st : tracks)
    gst_bin_remove (bin, st.appsrc.get ());
}

} // namespace rtc
