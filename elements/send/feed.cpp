#include "feed.h"

GST_DEBUG_CATEGORY_EXTERN (rtc_broadcast_sink_debug);
#define GST_CAT_DEFAULT rtc_broadcast_sink_debug

#include <gst/video/video.h>

namespace rtc {

// One forced keyframe per window however many viewers ask: a lossy viewer must not turn the
// stream into all-keyframes for everybody.
static constexpr gint64 kKeyframeMinIntervalUs = 250 * 1000;
// Bound on the GOP cache; a longer GOP is not cached (new viewers then wait for a keyframe).
static constexpr std::size_t kMaxGopPackets = 6000;

Feed::Feed (const CodecInfo *codec, Mode mode, std::string track_name, guint32 ssrc)
    : codec_ (codec), mode_ (mode), track_ (std::move (track_name)), ssrc_ (ssrc)
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
      if (bitrate_kbps)
        g_object_set (enc, "bitrate", bitrate_kbps, nullptr);
      if (g_str_equal (codec_->media, "video"))
        g_object_set (enc, "keyframe-interval", keyframe_interval, nullptr);
      encoder_ = Ptr<GstElement>::ref (enc);
      chain = { queue, valve, enc };
    }
  else
    {
      if (codec_->parser)
        {
          GstElement *parser = make (codec_->parser, error);
          if (!parser)
            return nullptr;
          if (g_str_equal (codec_->parser, "h264parse"))
            g_object_set (parser, "config-interval", -1, nullptr);
          chain.push_back (parser);
        }
      payloader = make (codec_->payloader, error);
      if (!payloader)
        {
          for (auto *e : chain)
            gst_object_unref (e);
          return nullptr;
        }
      g_object_set (payloader, "pt", codec_->pt, "mtu", 1200, nullptr);
      if (g_str_equal (codec_->payloader, "rtph264pay"))
        {
          g_object_set (payloader, "config-interval", -1, nullptr);
          gst_util_set_object_arg (G_OBJECT (payloader), "aggregate-mode", "zero-latency");
        }
      else if (g_str_equal (codec_->payloader, "rtpvp8pay") ||
               g_str_equal (codec_->payloader, "rtpvp9pay"))
        gst_util_set_object_arg (G_OBJECT (payloader), "picture-id-mode", "15-bit");
      chain.push_back (payloader);
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
    }
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
Feed::subscribe (GstElement *appsrc, int pt)
{
  bool first;
  {
    std::lock_guard lock (lock_);
    if (pt == (int)codec_->pt)
      pt = -1;
    subs_.push_back ({ Ptr<GstElement>::ref (appsrc), mode_ == Mode::Passthrough, pt });
    first = subs_.size () == 1;
  }
  if (first && valve_)
    g_object_set (valve_.get (), "drop", FALSE, nullptr);
  request_keyframe ();
}

void
Feed::unsubscribe (GstElement *appsrc)
{
  bool last;
  {
    std::lock_guard lock (lock_);
    auto n = std::erase_if (subs_,
                            [appsrc] (const Subscriber &s) { return s.appsrc.get () == appsrc; });
    last = n > 0 && subs_.empty ();
  }
  if (last && valve_)
    g_object_set (valve_.get (), "drop", TRUE, nullptr);
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

// @buf with payload type @pt: a new buffer sharing the payload, with its own copy of the first
// memory (the RTP header, and the payload too when the payloader put both in one memory).
static GstBuffer *
with_payload_type (GstBuffer *buf, int pt)
{
  if (pt < 0 || gst_buffer_n_memory (buf) == 0)
    return gst_buffer_ref (buf);
  GstMemory *first = gst_buffer_peek_memory (buf, 0);
  if (gst_memory_get_sizes (first, nullptr, nullptr) < 12)
    return gst_buffer_ref (buf);
  GstBuffer *out = gst_buffer_copy (buf); // shallow: memories are shared
  GstMemory *header = gst_memory_copy (first, 0, -1);
  GstMapInfo map;
  if (gst_memory_map (header, &map, GST_MAP_WRITE))
    {
      map.data[1] = (map.data[1] & 0x80) | (guint8)(pt & 0x7f);
      gst_memory_unmap (header, &map);
    }
  gst_buffer_replace_memory (out, 0, header);
  return out;
}

// @buf with the playout-delay extension (minimum 0, maximum @max_ms; 0 means "show frames as
// soon as they are decoded"), for the first packet of a video frame. Built by hand, not with
// gst_rtp_buffer_add_extension_onebyte_header (): a new header memory (fixed header, CSRCs,
// the one-byte extension block) followed by the packet's payload memories, shared. A packet
// that already has an extension or padding is left as it is.
static GstBuffer *
with_playout_delay (GstBuffer *buf, gint max_ms)
{
  gsize size = gst_buffer_get_size (buf);
  guint8 fixed[12];
  if (size < sizeof fixed || gst_buffer_extract (buf, 0, fixed, sizeof fixed) != sizeof fixed)
    return gst_buffer_ref (buf);
  const bool padding = fixed[0] & 0x20, extension = fixed[0] & 0x10;
  const gsize hdrlen = 12 + 4 * (fixed[0] & 0x0f);
  if (padding || extension || size < hdrlen)
    return gst_buffer_ref (buf);
  const guint max = MIN ((guint)max_ms / 10, 0xfffu); // 10 ms units
  GstMemory *header = gst_allocator_alloc (nullptr, hdrlen + 8, nullptr);
  GstMapInfo map;
  if (!gst_memory_map (header, &map, GST_MAP_WRITE))
    {
      gst_memory_unref (header);
      return gst_buffer_ref (buf);
    }
  gst_buffer_extract (buf, 0, map.data, hdrlen);
  map.data[0] |= 0x10; // X: an extension follows the CSRCs
  guint8 *ext = map.data + hdrlen;
  ext[0] = 0xbe; // one-byte header extensions (RFC 8285), one 32-bit word
  ext[1] = 0xde;
  ext[2] = 0;
  ext[3] = 1;
  ext[4] = (guint8)((kPlayoutDelayExtId << 4) | (3 - 1)); // id, length - 1
  ext[5] = 0;                                             // min 0 | max (12 bits each)
  ext[6] = (guint8)(max >> 8);
  ext[7] = (guint8)(max & 0xff);
  gst_memory_unmap (header, &map);
  GstBuffer *out = gst_buffer_new ();
  gst_buffer_append_memory (out, header);
  GstBuffer *payload = gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY, hdrlen, size - hdrlen);
  out = gst_buffer_append (out, payload);
  gst_buffer_copy_into (out, buf, (GstBufferCopyFlags)(GST_BUFFER_COPY_FLAGS
                                                       | GST_BUFFER_COPY_TIMESTAMPS
                                                       | GST_BUFFER_COPY_META),
                        0, -1);
  return out;
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
  // Only this thread touches frame_start_.
  if (video)
    {
      // The marker bit (second header byte) ends a frame; no need to map the whole packet.
      guint8 b1 = 0;
      bool marker = gst_buffer_extract (buf.get (), 1, &b1, 1) == 1 && (b1 & 0x80);
      gint delay = self->playout_delay_ms_.load ();
      if (self->frame_start_ && delay >= 0)
        buf.reset (with_playout_delay (buf.get (), delay));
      self->frame_start_ = marker;
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
    Ptr<GstElement> appsrc;
    bool backlog;
    int pt;
  };
  std::vector<Push> pushes;
  std::vector<Ptr<GstBuffer>> backlog;
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
              self->gop_.push_back (buf);
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
        pushes.push_back ({ s.appsrc, with_backlog, s.pt });
      }
  }
  // One buffer at a time, not buffer lists: GStreamer 1.22's basesrc takes a submitted list's
  // first buffer writable and unrefs NULL when a flush meets a list (a crash with shared lists,
  // a critical with copies; both seen when viewers leave). The buffers are shared by reference.
  for (auto &p : pushes)
    {
      auto *src = GST_APP_SRC (p.appsrc.get ());
      if (p.backlog)
        for (auto &b : backlog)
          gst_app_src_push_buffer (src, with_payload_type (b.get (), p.pt));
      else
        gst_app_src_push_buffer (src, with_payload_type (buf.get (), p.pt));
    }
  self->buffers_out_++;
  self->maybe_send_keyframe_request (g_get_monotonic_time ());
  return GST_FLOW_OK;
}

} // namespace rtc
