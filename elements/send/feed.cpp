#include "feed.h"

#include "send/outlet.h"
#include "encoder-table.h"

GST_DEBUG_CATEGORY_EXTERN (rtc_broadcast_sink_debug);
#define GST_CAT_DEFAULT rtc_broadcast_sink_debug

#include <gst/video/video.h>

#include <algorithm>

namespace rtc {

// One forced keyframe per window however many viewers ask: a lossy viewer must not turn the
// stream into all-keyframes for everybody.
static constexpr gint64 kKeyframeMinIntervalUs = 250 * 1000;
// Bound on the GOP cache; a longer GOP is not cached (new viewers then wait for a keyframe).
static constexpr std::size_t kMaxGopPackets = 6000;

Feed::Feed (const CodecInfo *codec, Mode mode, std::string track_name, guint32 ssrc,
            std::size_t rung_index, Rung rung)
    : codec_ (codec), mode_ (mode), track_ (std::move (track_name)), ssrc_ (ssrc),
      rung_index_ (rung_index), rung_ (rung),
      vp8_ (g_ascii_strcasecmp (codec->encoding_name, "VP8") == 0)
{
}

Feed::~Feed () = default;

static GstElement *
make (const char *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, nullptr);
  if (!e)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                 "GStreamer element '%s' is missing", factory);
  return e;
}

GstPad *
Feed::build (GstBin *bin, bool live, guint bitrate_kbps, guint keyframe_interval, GError **error)
{
  std::vector<GstElement *> chain;
  GstElement *payloader = nullptr;
  if (mode_ == Mode::Encode)
    {
      GstElement *queue = make ("queue", error);
      GstElement *valve = queue ? make ("valve", error) : nullptr;
      GstElement *enc = valve ? make ("rtcencodebin", error) : nullptr;
      if (!enc)
        {
          if (queue)
            gst_object_unref (queue);
          if (valve)
            gst_object_unref (valve);
          return nullptr;
        }
      // Nobody watches this codec yet: do not spend CPU encoding it. Caps and segments still
      // pass so the encoder is configured and starts at once when the first viewer arrives.
      g_object_set (valve, "drop", TRUE, nullptr);
      gst_util_set_object_arg (G_OBJECT (valve), "drop-mode", "forward-sticky-events");
      valve_ = Ptr<GstElement>::ref (valve);
      // A short leaky queue lets two codecs encode on two cores, and drops raw frames instead
      // of building latency when the encoder cannot keep up.
      g_object_set (queue, "max-size-buffers", 3, "max-size-bytes", 0, "max-size-time",
                    (guint64) 0, "leaky", 2, nullptr);
      gst_util_set_object_arg (G_OBJECT (enc), "codec", codec_->name);
      g_object_set (enc, "pt", codec_->pt, nullptr);
      if (rung_.kbps)
        bitrate_kbps = rung_.kbps;
      if (bitrate_kbps)
        g_object_set (enc, "bitrate", bitrate_kbps, nullptr);
      if (g_str_equal (codec_->media, "video"))
        g_object_set (enc, "keyframe-interval", keyframe_interval, nullptr);
      if (temporal_layers_ > 1)
        g_object_set (enc, "temporal-layers", temporal_layers_, nullptr);
      encoder_ = Ptr<GstElement>::ref (enc);
      chain = { queue, valve };
      if (rung_.width && rung_.height)
        {
          // A lower rung: its own size, from the same frames.
          GstElement *scale = make ("videoscale", error);
          GstElement *filter = scale ? make ("capsfilter", error) : nullptr;
          if (!filter)
            {
              for (auto *e : { queue, valve, enc, scale })
                if (e)
                  gst_object_unref (e);
              return nullptr;
            }
          Ptr<GstCaps> size (gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT,
                                                  (gint)rung_.width, "height", G_TYPE_INT,
                                                  (gint)rung_.height, nullptr));
          g_object_set (filter, "caps", size.get (), nullptr);
          chain.push_back (scale);
          chain.push_back (filter);
        }
      chain.push_back (enc);
    }
  else
    {
      chain = make_send_chain (codec_, codec_->pt, error);
      if (chain.empty ())
        return nullptr;
      payloader = chain.back ();
    }

  GstElement *sink = make ("appsink", error);
  if (!sink)
    {
      for (auto *e : chain)
        gst_object_unref (e);
      return nullptr;
    }
  // Live input is sent as soon as it is payloaded; a file is paced by the clock.
  g_object_set (sink, "sync", live ? FALSE : TRUE, "async", FALSE, "enable-last-sample", FALSE,
                "max-buffers", 64, "drop", FALSE, "qos", FALSE, nullptr);
  // The payloader (ours, or rtcencodebin's) takes the SSRC from downstream caps when it
  // negotiates: unlike its property, whatever state it is in when the feed starts.
  Ptr<GstCaps> ssrc_caps (gst_caps_new_simple ("application/x-rtp", "ssrc", G_TYPE_UINT, ssrc_,
                                               nullptr));
  g_object_set (sink, "caps", ssrc_caps.get (), nullptr);
  GstAppSinkCallbacks cb = {};
  cb.new_sample = on_new_sample;
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, this, nullptr);
  appsink_ = Ptr<GstElement>::ref (sink);
  chain.push_back (sink);

  for (auto *e : chain)
    {
      elements_.push_back (Ptr<GstElement>::ref (e));
      gst_bin_add (bin, e);
    }
  for (std::size_t i = 0; i + 1 < chain.size (); i++)
    if (!gst_element_link (chain[i], chain[i + 1]))
      {
        g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                     "could not link %s to %s", GST_OBJECT_NAME (chain[i]),
                     GST_OBJECT_NAME (chain[i + 1]));
        teardown (bin);
        return nullptr;
      }
  if (payloader && mode_ == Mode::Passthrough)
    {
      GstPad *pad = gst_element_get_static_pad (payloader, "sink");
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_payloader_input, this, nullptr);
      gst_object_unref (pad);
    }
  for (auto it = chain.rbegin (); it != chain.rend (); ++it)
    gst_element_sync_state_with_parent (*it);
  if (encoder_)
    {
      // Chosen by now (rtcencodebin picks on NULL->READY); /stats reads it under a lock.
      GStr name;
      g_object_get (encoder_.get (), "encoder", name.out (), nullptr);
      encoder_factory_ = name.c_str ();
      if (!vp8_ || !enc::supports_temporal_layers (encoder_factory_.c_str ()))
        temporal_layers_ = 1;
    }
  else
    temporal_layers_ = 1;
  return gst_element_get_static_pad (chain.front (), "sink");
}

void
Feed::teardown (GstBin *bin)
{
  {
    std::lock_guard lock (lock_);
    subs_.clear ();
    gop_.clear ();
  }
  for (auto &e : elements_)
    {
      gst_element_set_locked_state (e.get (), TRUE);
      gst_element_set_state (e.get (), GST_STATE_NULL);
      if (GST_OBJECT_PARENT (e.get ()) == GST_OBJECT (bin))
        gst_bin_remove (bin, e.get ());
    }
  elements_.clear ();
}

void
Feed::subscribe (const std::shared_ptr<Outlet> &outlet, bool with_cache)
{
  bool first;
  {
    std::lock_guard lock (lock_);
    subs_.push_back ({ outlet, with_cache && mode_ == Mode::Passthrough });
    first = subs_.size () == 1;
  }
  if (first && valve_)
    g_object_set (valve_.get (), "drop", FALSE, nullptr);
  if (first && watched_cb_)
    watched_cb_ (true);
  request_keyframe ();
}

void
Feed::unsubscribe (Outlet *outlet)
{
  bool last;
  {
    std::lock_guard lock (lock_);
    auto n = std::erase_if (subs_,
                            [outlet] (const Subscriber &s) { return s.outlet.get () == outlet; });
    last = n > 0 && subs_.empty ();
  }
  if (last && valve_)
    g_object_set (valve_.get (), "drop", TRUE, nullptr);
  if (last && watched_cb_)
    watched_cb_ (false);
}

std::size_t
Feed::subscriber_count ()
{
  std::lock_guard lock (lock_);
  return subs_.size ();
}

void
Feed::set_bitrate (guint kbps)
{
  if (encoder_)
    g_object_set (encoder_.get (), "bitrate", kbps, nullptr);
}

guint
Feed::wish_bitrate (const void *who, guint kbps)
{
  guint before, now;
  {
    std::lock_guard lock (lock_);
    before = wishes_.current ();
    now = wishes_.wish (who, kbps, g_get_monotonic_time ());
  }
  if (now != before && encoder_)
    {
      GST_INFO ("%s: rung %zu encodes at %u kbit/s (its own: %u), as its viewers wish",
                track_.c_str (), rung_index_, now, rung_.kbps);
      set_bitrate (now);
    }
  return now;
}

void
Feed::request_keyframe ()
{
  bool send = false;
  gint64 now = g_get_monotonic_time ();
  {
    std::lock_guard lock (lock_);
    if (now - last_keyframe_request_us_ >= kKeyframeMinIntervalUs)
      {
        last_keyframe_request_us_ = now;
        keyframe_request_pending_ = false;
        send = true;
      }
    else
      keyframe_request_pending_ = true;
  }
  if (send && appsink_ && g_str_equal (codec_->media, "video"))
    {
      GST_DEBUG ("%s/%s: requesting a keyframe", track_.c_str (), codec_->name);
      // Travels upstream from the appsink: to rtcencodebin, or in passthrough to the element
      // that produced the encoded stream (an encoder upstream honours it; a camera may not).
      gst_element_send_event (appsink_.get (), gst_video_event_new_upstream_force_key_unit (
                                                   GST_CLOCK_TIME_NONE, TRUE, 0));
    }
}

void
Feed::maybe_send_keyframe_request (gint64 now_us)
{
  bool due;
  {
    std::lock_guard lock (lock_);
    due = keyframe_request_pending_ && now_us - last_keyframe_request_us_ >= kKeyframeMinIntervalUs;
  }
  if (due)
    request_keyframe ();
}

GstPadProbeReturn
Feed::on_payloader_input (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  auto *self = static_cast<Feed *> (user_data);
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT) && GST_BUFFER_PTS_IS_VALID (buf))
    self->last_key_pts_.store (GST_BUFFER_PTS (buf));
  return GST_PAD_PROBE_OK;
}

GstFlowReturn
Feed::on_new_sample (GstAppSink *sink, gpointer user_data)
{
  auto *self = static_cast<Feed *> (user_data);
  Ptr<GstSample> sample (gst_app_sink_pull_sample (sink));
  if (!sample)
    return GST_FLOW_EOS;
  GstBuffer *in = gst_sample_get_buffer (sample.get ());
  if (!in)
    return GST_FLOW_OK;
  Ptr<GstBuffer> buf = Ptr<GstBuffer>::ref (in);

  // Viewers' appsrcs run on the pipeline clock with a zero-based segment: send running time.
  const GstSegment *seg = gst_sample_get_segment (sample.get ());
  if (seg && GST_BUFFER_PTS_IS_VALID (in))
    {
      GstClockTime rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME, GST_BUFFER_PTS (in));
      if (rt != GST_BUFFER_PTS (in))
        {
          buf.reset (gst_buffer_copy (in)); // shallow: memory is shared
          GST_BUFFER_PTS (buf.get ()) = rt;
          GST_BUFFER_DTS (buf.get ()) = GST_CLOCK_TIME_NONE;
        }
    }

  bool video = g_str_equal (self->codec_->media, "video");
  PacketInfo info;
  // Only this thread touches frame_start_.
  if (video)
    {
      // The marker bit (second header byte) ends a frame; no need to map the whole packet.
      guint8 b1 = 0;
      bool marker = gst_buffer_extract (buf.get (), 1, &b1, 1) == 1 && (b1 & 0x80);
      info.frame_start = self->frame_start_;
      info.key_start
          = info.frame_start && rtp_starts_keyframe (self->codec_->encoding_name, buf.get ());
      info.frame_end = marker;
      self->frame_start_ = marker;
      Vp8Temporal t;
      if (self->vp8_ && vp8_temporal_of (buf.get (), t) && t.tid >= 0)
        {
          info.temporal_layer = (gint8)t.tid;
          info.layer_sync = t.layer_sync;
        }
    }
  // How long the buffer took from entering the pipeline to the fan-out (live input: its
  // running time is its capture time), for latency tracing with GST_DEBUG=rtcbroadcastsink:6.
  if (G_UNLIKELY (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_LOG)
      && GST_BUFFER_PTS_IS_VALID (buf.get ()))
    if (Ptr<GstClock> clock{ gst_element_get_clock (GST_ELEMENT (sink)) })
      {
        GstClockTime now = gst_clock_get_time (clock.get ())
                           - gst_element_get_base_time (GST_ELEMENT (sink));
        GST_LOG ("%s/%s: fan-out %" G_GINT64_FORMAT " us after capture", self->track_.c_str (),
                 self->codec_->name,
                 (gint64)(GST_CLOCK_DIFF (GST_BUFFER_PTS (buf.get ()), now) / 1000));
      }
  struct Push
  {
    std::shared_ptr<Outlet> outlet;
    bool backlog;
  };
  std::vector<Push> pushes;
  std::vector<Cached> backlog;
  {
    std::lock_guard lock (self->lock_);
    if (self->mode_ == Mode::Passthrough && video)
      {
        GstClockTime key = self->last_key_pts_.load ();
        if (GST_CLOCK_TIME_IS_VALID (key) && GST_BUFFER_PTS (in) == key
            && self->gop_key_pts_ != key)
          {
            self->gop_.clear ();
            self->gop_key_pts_ = key;
          }
        if (GST_CLOCK_TIME_IS_VALID (self->gop_key_pts_))
          {
            if (self->gop_.size () >= kMaxGopPackets)
              {
                self->gop_.clear ();
                self->gop_key_pts_ = GST_CLOCK_TIME_NONE;
              }
            else
              self->gop_.push_back ({ buf, info });
          }
      }
    pushes.reserve (self->subs_.size ());
    for (auto &s : self->subs_)
      {
        // A new passthrough viewer starts with the packets since the last keyframe, which
        // already end with this one.
        bool with_backlog = s.needs_cache && !self->gop_.empty ();
        s.needs_cache = false;
        if (with_backlog && backlog.empty ())
          backlog = self->gop_;
        pushes.push_back ({ s.outlet, with_backlog });
      }
  }
  // Mapped once for every viewer's send stage (a map and unmap per viewer was 1,400 of the
  // 13,000 instructions a packet and viewer cost: bench/README.md).
  GstMapInfo map;
  const bool direct = std::any_of (pushes.begin (), pushes.end (), [] (const Push &p) {
    return p.outlet->route () == OutletRoute::Direct;
  });
  const bool mapped = direct && gst_buffer_map (buf.get (), &map, GST_MAP_READ);
  if (mapped)
    {
      info.data = map.data;
      info.size = map.size;
    }
  // One buffer at a time, not buffer lists: GStreamer 1.22's basesrc takes a submitted list's
  // first buffer writable and unrefs NULL when a flush meets a list (a crash with shared lists,
  // a critical with copies; both seen when viewers leave). The buffers are shared by reference.
  for (auto &p : pushes)
    {
      if (p.backlog)
        for (auto &b : backlog)
          p.outlet->deliver (self, b.buf.get (), b.info);
      else
        p.outlet->deliver (self, buf.get (), info);
    }
  if (mapped)
    gst_buffer_unmap (buf.get (), &map);
  self->buffers_out_++;
  self->maybe_send_keyframe_request (g_get_monotonic_time ());
  return GST_FLOW_OK;
}

} // namespace rtc
