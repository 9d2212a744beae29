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

std::vector<Rung>
Outgoing::ladder_of (const Track &track) const
{
  std::lock_guard lock (lock_);
  return track.ladder;
}

std::pair<guint, guint>
Outgoing::input_size_of (const Track &track) const
{
  std::lock_guard lock (lock_);
  return { track.width, track.height };
}

// Passthrough input with lower rungs: [queue ! valve ! parser ! decoder ! videoconvert ! tee]
// on the track's tee, the lower rungs' feeds on its tee. Called with feed_build_lock_ held.
bool
Outgoing::build_decoder (const std::shared_ptr<Track> &track, GError **error)
{
  const CodecInfo *codec;
  {
    std::lock_guard lock (lock_);
    if (track->decoder)
      return true;
    codec = track->passthrough;
  }
  const char *decoder = g_str_equal (codec->name, "h264")  ? "avdec_h264"
                        : g_str_equal (codec->name, "vp8") ? "vp8dec"
                        : g_str_equal (codec->name, "vp9") ? "vp9dec"
                                                           : nullptr;
  if (decoder && g_str_equal (decoder, "avdec_h264"))
    {
      GstElementFactory *f = gst_element_factory_find (decoder);
      if (f)
        gst_object_unref (f);
      else
        decoder = "openh264dec";
    }
  if (!decoder)
    {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                   "no decoder for %s input", codec->name);
      return false;
    }
  std::vector<const char *> factories = { "queue", "valve" };
  if (codec->parser)
    factories.push_back (codec->parser);
  for (const char *f : { decoder, "videoconvert", "tee" })
    factories.push_back (f);
  auto dec = std::make_unique<Track::Decoder> ();
  std::vector<GstElement *> chain;
  for (const char *f : factories)
    {
      GstElement *e = gst_element_factory_make (f, nullptr);
      if (!e)
        {
          g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                       "GStreamer element '%s' is missing", f);
          for (auto *c : chain)
            gst_object_unref (c);
          return false;
        }
      chain.push_back (e);
    }
  g_object_set (chain[0], "max-size-buffers", 30, "max-size-bytes", 0, "max-size-time",
                (guint64)0, "leaky", 2, nullptr);
  // Decoding starts wherever the valve opens: frames that miss their references are dropped,
  // not encoded as garbage for the lower rungs (the first keyframe follows the request below).
  GstElement *dec_element = chain[codec->parser ? 3 : 2];
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (dec_element), "output-corrupt"))
    g_object_set (dec_element, "output-corrupt", FALSE, nullptr);
  // Nobody on a lower rung yet: do not decode.
  g_object_set (chain[1], "drop", TRUE, nullptr);
  gst_util_set_object_arg (G_OBJECT (chain[1]), "drop-mode", "forward-sticky-events");
  g_object_set (chain.back (), "allow-not-linked", TRUE, nullptr);
  dec->valve = Ptr<GstElement>::ref (chain[1]);
  dec->tee = Ptr<GstElement>::ref (chain.back ());
  for (auto *e : chain)
    {
      dec->elements.push_back (Ptr<GstElement>::ref (e));
      gst_bin_add (GST_BIN (element_), e);
    }
  bool linked = true;
  for (std::size_t i = 0; linked && i + 1 < chain.size (); i++)
    linked = gst_element_link (chain[i], chain[i + 1]);
  Ptr<GstPad> teepad (gst_element_request_pad_simple (track->tee.get (), "src_%u"));
  Ptr<GstPad> sinkpad (gst_element_get_static_pad (chain[0], "sink"));
  linked = linked && gst_pad_link (teepad.get (), sinkpad.get ()) == GST_PAD_LINK_OK;
  if (!linked)
    {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                   "could not link the %s decoder", decoder);
      for (auto &e : dec->elements)
        {
          gst_element_set_state (e.get (), GST_STATE_NULL);
          gst_bin_remove (GST_BIN (element_), e.get ());
        }
      gst_element_release_request_pad (track->tee.get (), teepad.get ());
      return false;
    }
  for (auto it = chain.rbegin (); it != chain.rend (); ++it)
    gst_element_sync_state_with_parent (*it);
  GST_INFO_OBJECT (element_, "%s: decoding %s (%s) for the lower rungs", track->name.c_str (),
                   codec->name, decoder);
  std::lock_guard lock (lock_);
  track->decoder = std::move (dec);
  return true;
}

// A lower rung of a passthrough track got its first viewer or lost its last: the decoder runs
// while any is watched, and starts at a keyframe.
void
Outgoing::decoder_watched (const std::shared_ptr<Track> &track, bool watched)
{
  Ptr<GstElement> valve;
  bool open = false, changed = false;
  {
    std::lock_guard lock (lock_);
    if (!track->decoder)
      return;
    auto &d = *track->decoder;
    int before = d.watchers;
    d.watchers = MAX (0, d.watchers + (watched ? 1 : -1));
    changed = (before == 0) != (d.watchers == 0);
    open = d.watchers > 0;
    valve = d.valve;
  }
  if (!changed)
    return;
  g_object_set (valve.get (), "drop", open ? FALSE : TRUE, nullptr);
  if (open)
    {
      // Travels up the track's tee to the source of the encoded stream.
      Ptr<GstPad> pad (gst_element_get_static_pad (valve.get (), "sink"));
      gst_pad_push_event (pad.get (),
                          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
    }
}

std::shared_ptr<Feed>
Outgoing::ensure_feed (const std::shared_ptr<Track> &track, const CodecInfo *codec,
                       std::size_t rung_index)
{
  std::lock_guard build (feed_build_lock_);
  bool live;
  const CodecInfo *passthrough;
  Rung rung;
  std::size_t rungs;
  {
    std::lock_guard lock (lock_);
    auto it = track->feeds.find ({ codec, rung_index });
    if (it != track->feeds.end ())
      return it->second;
    if (rung_index && rung_index >= track->ladder.size ())
      return nullptr;
    live = track->live;
    passthrough = track->passthrough;
    rungs = track->ladder.size ();
    if (rung_index < track->ladder.size () && !(passthrough && rung_index == 0))
      rung = track->ladder[rung_index];
  }
  OutgoingSettings s = cb_.settings ();
  if (!playout_delay_set_.exchange (true))
    playout_delay_.store (s.playout_delay);
  // Rung 0 of encoded input passes through; its lower rungs are encoded from its decoder.
  const bool transcode = passthrough && rung_index > 0;
  Error err;
  if (transcode && !build_decoder (track, err.out ()))
    {
      GST_ELEMENT_WARNING (element_, CORE, MISSING_PLUGIN,
                           ("Cannot send lower rungs of %s: %s", track->name.c_str (),
                            err.message ()),
                           ("decoder construction failed"));
      return nullptr;
    }
  auto feed = std::make_shared<Feed> (codec,
                                      passthrough && !transcode ? Feed::Mode::Passthrough
                                                                : Feed::Mode::Encode,
                                      track->name, track->ssrc, rung_index, rung);
  // With a ladder, VP8 rungs encode two temporal layers: a viewer whose link narrows drops
  // every other frame at once, before the lower rung's keyframe (send/adaptation.h).
  if (rungs > 1 && track->video)
    feed->set_temporal_layers (kLadderTemporalLayers);
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
  GstElement *tee = track->tee.get ();
  if (transcode)
    {
      std::lock_guard lock (lock_);
      tee = track->decoder->tee.get ();
      std::weak_ptr<Track> weak = track;
      feed->set_watched_callback ([this, weak] (bool watched) {
        if (auto t = weak.lock ())
          decoder_watched (t, watched);
      });
    }
  Ptr<GstPad> teepad (gst_element_request_pad_simple (tee, "src_%u"));
  if (gst_pad_link (teepad.get (), sinkpad.get ()) != GST_PAD_LINK_OK)
    {
      GST_ELEMENT_WARNING (element_, CORE, NEGOTIATION,
                           ("Cannot send %s on %s", codec->name, track->name.c_str ()),
                           ("linking the tee branch failed"));
      feed->teardown (GST_BIN (element_));
      gst_element_release_request_pad (tee, teepad.get ());
      return nullptr;
    }
  GST_INFO_OBJECT (element_, "%s: sending %s, rung %zu %s (%s)", track->name.c_str (),
                   codec->name, rung_index, rung_name (rung).c_str (),
                   passthrough && !transcode ? "passthrough" : feed->encoder_factory ().c_str ());
  std::lock_guard lock (lock_);
  track->feeds[{ codec, rung_index }] = feed;
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
  // Video: the ladder for the input's size.
  std::vector<Rung> ladder;
  gint width = 0, height = 0;
  if (track->video)
    {
      GstStructure *st = gst_caps_get_structure (caps, 0);
      gst_structure_get_int (st, "width", &width);
      gst_structure_get_int (st, "height", &height);
      ladder = ladder_for (s.video_layers, (guint)MAX (width, 0), (guint)MAX (height, 0),
                           s.video_bitrate);
    }
  std::string rungs;
  for (auto &r : ladder)
    rungs += (rungs.empty () ? "" : ", ") + rung_name (r);
  {
    std::lock_guard lock (lock_);
    track->caps_known = true;
    track->live = live;
    track->passthrough = passthrough;
    track->codecs = codecs;
    track->ladder = ladder;
    track->width = (guint)MAX (width, 0);
    track->height = (guint)MAX (height, 0);
  }
  GST_INFO_OBJECT (element_, "%s: %s input (%s), offering %s%s%s", track->name.c_str (),
                   raw ? "raw" : "encoded", live ? "live" : "not live",
                   codec_names (codecs).c_str (), ladder.empty () ? "" : ", rungs ",
                   rungs.c_str ());
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
  decltype (track->feeds) feeds;
  std::unique_ptr<Track::Decoder> decoder;
  {
    std::lock_guard lock (lock_);
    feeds.swap (track->feeds);
    decoder = std::move (track->decoder);
  }
  gst_element_set_locked_state (track->tee.get (), TRUE);
  gst_element_set_state (track->tee.get (), GST_STATE_NULL);
  for (auto &[c, f] : feeds)
    f->teardown (GST_BIN (element_));
  remove_decoder (std::move (decoder));
  gst_element_remove_pad (element_, pad);
  // (While the element is disposed, the bin has let go of its children already.)
  if (GST_OBJECT_PARENT (track->tee.get ()) == GST_OBJECT (element_))
    gst_bin_remove (GST_BIN (element_), track->tee.get ());
}

void
Outgoing::remove_decoder (std::unique_ptr<Track::Decoder> decoder)
{
  if (!decoder)
    return;
  for (auto &e : decoder->elements)
    {
      gst_element_set_locked_state (e.get (), TRUE);
      gst_element_set_state (e.get (), GST_STATE_NULL);
      if (GST_OBJECT_PARENT (e.get ()) == GST_OBJECT (element_))
        gst_bin_remove (GST_BIN (element_), e.get ());
    }
}

void
Outgoing::reset ()
{
  std::vector<std::pair<std::shared_ptr<Track>, decltype (Track::feeds)>> all;
  std::vector<std::unique_ptr<Track::Decoder>> decoders;
  {
    std::lock_guard lock (lock_);
    for (auto &t : tracks_)
      {
        all.emplace_back (t, std::move (t->feeds));
        t->feeds.clear ();
        decoders.push_back (std::move (t->decoder));
        t->caps_known = false;
        t->passthrough = nullptr;
        t->codecs.clear ();
        t->ladder.clear ();
      }
  }
  for (auto &[t, feeds] : all)
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
      for (auto &[key, f] : feeds)
        f->teardown (GST_BIN (element_));
    }
  for (auto &d : decoders)
    remove_decoder (std::move (d));
}

void
Outgoing::set_playout_delay (gint ms)
{
  playout_delay_set_.store (true);
  playout_delay_.store (ms);
}

void
Outgoing::set_bitrate (guint kbps)
{
  std::vector<std::shared_ptr<Feed>> feeds;
  {
    std::lock_guard lock (lock_);
    for (auto &t : tracks_)
      if (t->video)
        {
          if (!t->ladder.empty ())
            t->ladder.front ().kbps = kbps;
          for (auto &[key, f] : t->feeds)
            if (key.second == 0)
              feeds.push_back (f);
        }
  }
  for (auto &f : feeds)
    f->set_bitrate (kbps);
}

std::vector<EncoderSnapshot>
Outgoing::encoders () const
{
  std::vector<EncoderSnapshot> out;
  std::lock_guard lock (lock_);
  for (auto &t : tracks_)
    for (auto &[key, feed] : t->feeds)
      out.push_back ({ t->name, key.first->name, feed->encoder_factory (),
                       feed->subscriber_count (), key.second, feed->rung () });
  return out;
}

} // namespace rtc
