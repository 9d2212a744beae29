/**
 * SECTION:element-rtcencodebin
 * @title: rtcencodebin
 *
 * Encodes raw video or raw audio into real-time RTP ready for webrtcbin: it picks an encoder for
 * #GstRtcEncodeBin:codec (hardware first when one is present), tunes it for latency (no B-frames,
 * no lookahead, constant bitrate), and payloads the result with complete RTP caps (media,
 * encoding-name, clock-rate, payload; for H.264 packetization-mode=1 and a constrained-baseline
 * profile-level-id).
 *
 * The bitrate can be changed while playing, and an upstream force-key-unit event sent to the src
 * pad (gst_video_event_new_upstream_force_key_unit()) makes the encoder produce a keyframe.
 * With #GstRtcEncodeBin:temporal-layers=2 (vp8enc only), every other frame can be dropped
 * downstream: the payload descriptor says which (RFC 7741 TID, Y and TL0PICIDX).
 *
 * Children have stable names: `convert`, `encoder`, `payloader` (and `parser`, `resample`,
 * `encoded-caps`, `raw-caps` where the codec needs them).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! video/x-raw,width=1280,height=720,framerate=30/1 ! \
 *     rtcencodebin codec=h264 bitrate=1500 ! udpsink host=127.0.0.1 port=5004
 * gst-launch-1.0 audiotestsrc is-live=true ! rtcencodebin codec=opus ! fakesink
 * ]|
 */
#include "elements/rtcencodebin.h"

#include "elements/common/gst-ptr.h"
#include "elements/elements.h"
#include "elements/encoder-table.h"

#include <gst/video/video.h>

#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (rtc_encode_bin_debug);
#define GST_CAT_DEFAULT rtc_encode_bin_debug

using rtc::Ptr;
namespace enc = rtc::enc;

#define DEFAULT_CODEC GST_RTC_CODEC_H264
#define DEFAULT_BITRATE 0u
#define DEFAULT_KEYFRAME_INTERVAL 120u
#define DEFAULT_PT (-1)
#define DEFAULT_MTU 1200u
#define DEFAULT_ENCODER nullptr
#define DEFAULT_HARDWARE TRUE
#define DEFAULT_TEMPORAL_LAYERS 1u

enum
{
  PROP_0,
  PROP_CODEC,
  PROP_BITRATE,
  PROP_KEYFRAME_INTERVAL,
  PROP_PT,
  PROP_MTU,
  PROP_ENCODER,
  PROP_HARDWARE,
  PROP_TEMPORAL_LAYERS,
};

namespace
{

struct Settings
{
  GstRtcCodec codec = DEFAULT_CODEC;
  guint bitrate = DEFAULT_BITRATE;
  guint keyframe_interval = DEFAULT_KEYFRAME_INTERVAL;
  gint pt = DEFAULT_PT;
  guint mtu = DEFAULT_MTU;
  std::string encoder; // empty: choose
  bool hardware = DEFAULT_HARDWARE;
  guint temporal_layers = DEFAULT_TEMPORAL_LAYERS;
};

// The chain built from the settings. Lock order: settings_lock, then chain_lock (never the
// other way); neither is held while setting child properties or changing child states.
struct Chain
{
  std::vector<Ptr<GstElement>> elements; // upstream to downstream
  Ptr<GstElement> encoder;
  Ptr<GstElement> payloader;
  const enc::EncoderInfo *info = nullptr; // nullptr for a forced encoder we know nothing about
  std::string factory;
  guint temporal_layers = 1; // what the encoder was set up with
  bool stale = false; // codec, encoder or hardware changed since it was built
};

struct Private
{
  std::mutex settings_lock;
  Settings settings;
  std::mutex chain_lock;
  Chain chain;
};

} // namespace

struct _GstRtcEncodeBin
{
  GstBin parent;
  GstPad *sinkpad; // ghost, owned by the element
  GstPad *srcpad;
  Private *priv;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY); audio/x-raw"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));

G_DEFINE_TYPE (GstRtcEncodeBin, gst_rtc_encode_bin, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (rtcencodebin, "rtcencodebin", GST_RANK_NONE, GST_TYPE_RTC_ENCODE_BIN);

GType
gst_rtc_codec_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GST_RTC_CODEC_H264, "H.264 (constrained baseline)", "h264" },
    { GST_RTC_CODEC_VP8, "VP8", "vp8" },
    { GST_RTC_CODEC_VP9, "VP9", "vp9" },
    { GST_RTC_CODEC_OPUS, "Opus", "opus" },
    { GST_RTC_CODEC_PCMU, "PCMU (G.711 mu-law, 8 kHz mono)", "pcmu" },
    { GST_RTC_CODEC_PCMA, "PCMA (G.711 A-law, 8 kHz mono)", "pcma" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstRtcCodec", values));
  return type;
}

static enc::Codec
to_codec (GstRtcCodec c)
{
  return static_cast<enc::Codec> (c);
}

/* ---- child properties ---- */

static guint
default_threads ()
{
  return CLAMP (g_get_num_processors (), 1u, 4u);
}

// Sets a property from a string if the element has it: encoder versions differ, and a missing
// tuning knob must not break the stream.
static void
set_arg (GstElement *element, const char *name, const char *value)
{
  if (!g_object_class_find_property (G_OBJECT_GET_CLASS (element), name))
    {
      GST_INFO_OBJECT (element, "no property '%s', not setting it to %s", name, value);
      return;
    }
  guint threads = 0;
  if (g_strcmp0 (value, "$threads") == 0)
    threads = default_threads ();
  else if (g_strcmp0 (value, "$vpx-threads") == 0)
    threads = g_get_num_processors () <= 3 ? 1 : CLAMP (g_get_num_processors () / 2, 1u, 4u);
  if (threads)
    {
      rtc::GStr text (g_strdup_printf ("%u", threads));
      gst_util_set_object_arg (G_OBJECT (element), name, text.get ());
      return;
    }
  gst_util_set_object_arg (G_OBJECT (element), name, value);
}

// Sets a numeric property, clamped to the range the element accepts (opusenc takes 4000-650000
// bit/s, for instance).
static void
set_number (GstElement *element, const char *name, guint64 value)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (element), name);
  if (!pspec)
    {
      GST_INFO_OBJECT (element, "no property '%s'", name);
      return;
    }
  GValue v = G_VALUE_INIT;
  g_value_init (&v, pspec->value_type);
  if (G_IS_PARAM_SPEC_UINT (pspec))
    {
      auto *p = G_PARAM_SPEC_UINT (pspec);
      g_value_set_uint (&v, (guint)CLAMP (value, (guint64)p->minimum, (guint64)p->maximum));
    }
  else if (G_IS_PARAM_SPEC_INT (pspec))
    {
      auto *p = G_PARAM_SPEC_INT (pspec);
      gint64 lo = MAX (p->minimum, 0);
      g_value_set_int (
          &v, (gint)CLAMP ((gint64)MIN (value, (guint64)G_MAXINT64), lo, (gint64)p->maximum));
    }
  else if (G_IS_PARAM_SPEC_UINT64 (pspec))
    {
      auto *p = G_PARAM_SPEC_UINT64 (pspec);
      g_value_set_uint64 (&v, CLAMP (value, p->minimum, p->maximum));
    }
  else if (G_IS_PARAM_SPEC_INT64 (pspec))
    {
      auto *p = G_PARAM_SPEC_INT64 (pspec);
      gint64 lo = MAX (p->minimum, 0);
      g_value_set_int64 (&v, CLAMP ((gint64)MIN (value, (guint64)G_MAXINT64), lo, p->maximum));
    }
  else
    {
      GST_WARNING_OBJECT (element, "property '%s' is not a number", name);
      g_value_unset (&v);
      return;
    }
  g_object_set_property (G_OBJECT (element), name, &v);
  g_value_unset (&v);
}

static guint
effective_kbps (const Settings &s)
{
  return s.bitrate ? s.bitrate : enc::codec_info (to_codec (s.codec)).default_kbps;
}

// The base layer's share of the bitrate with two temporal layers: TL0 carries every other frame,
// and the frames between (TL1) predict from the TL0 frame just before them, so they are small.
static constexpr guint kBaseLayerPercent = 60;

static void
set_int_array (GstElement *element, const char *name, std::initializer_list<gint> values)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GValueArray *va = g_value_array_new ((guint)values.size ());
  for (gint x : values)
    {
      GValue v = G_VALUE_INIT;
      g_value_init (&v, G_TYPE_INT);
      g_value_set_int (&v, x);
      g_value_array_append (va, &v);
      g_value_unset (&v);
    }
  g_object_set (element, name, va, nullptr);
  g_value_array_free (va);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

// vp8enc's per-layer targets (bit/s, cumulative: TL0, then TL0 + TL1), before its total.
static void
apply_layer_bitrates (GstElement *encoder, guint kbps)
{
  const gint total = (gint)MIN ((guint64)kbps * 1000, (guint64)G_MAXINT);
  set_int_array (encoder, "temporal-scalability-target-bitrate",
                 { (gint)((gint64)total * kBaseLayerPercent / 100), total });
}

static void
apply_bitrate (GstElement *encoder, const enc::EncoderInfo *info, guint kbps,
               guint temporal_layers = 1)
{
  if (!info || !info->bitrate_prop || kbps == 0)
    return;
  GST_DEBUG_OBJECT (encoder, "bitrate %u kbit/s", kbps);
  if (temporal_layers > 1)
    apply_layer_bitrates (encoder, kbps);
  set_number (encoder, info->bitrate_prop, (guint64)kbps * info->bitrate_per_kbps);
}

// Two temporal layers (vp8enc only): even frames are TL0, which predict only from the previous
// TL0 frame and are the only ones to update a reference; odd frames are TL1, which predict from
// the TL0 frame just before them and update nothing (not even the entropy contexts). So any TL1
// frame can be dropped, and a receiver can take TL1 up again at any TL1 frame: each one is a
// layer sync (Y). libvpx's own two-layer pattern (vp8_scalable_patterns mode 1) is this one.
// Returns the number of layers the encoder was set up with.
static guint
apply_temporal_layers (GstElement *encoder, const char *factory, guint layers)
{
  if (layers < 2)
    return 1;
  if (!enc::supports_temporal_layers (factory))
    {
      GST_INFO_OBJECT (encoder, "%s cannot mark temporal layers: one layer", factory);
      return 1;
    }
  g_object_set (encoder, "temporal-scalability-number-layers", 2,
                "temporal-scalability-periodicity", 2, nullptr);
  set_int_array (encoder, "temporal-scalability-layer-id", { 0, 1 });
  set_int_array (encoder, "temporal-scalability-rate-decimator", { 2, 1 });

  GType flags_type = G_TYPE_NONE;
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (encoder),
                                                    "temporal-scalability-layer-flags");
  if (pspec && GST_IS_PARAM_SPEC_ARRAY_LIST (pspec))
    flags_type = GST_PARAM_SPEC_ARRAY_LIST (pspec)->element_spec->value_type;
  GFlagsClass *fc = G_TYPE_IS_FLAGS (flags_type)
                        ? static_cast<GFlagsClass *> (g_type_class_ref (flags_type))
                        : nullptr;
  auto flags_of = [fc] (std::initializer_list<const char *> nicks) {
    guint f = 0;
    for (const char *n : nicks)
      if (GFlagsValue *v = g_flags_get_value_by_nick (fc, n))
        f |= v->value;
    return f;
  };
  GValue flags = G_VALUE_INIT, sync = G_VALUE_INIT;
  gst_value_array_init (&flags, 2);
  gst_value_array_init (&sync, 2);
  if (fc)
    {
      const guint tl0 = flags_of ({ "no-ref-golden", "no-ref-alt", "no-upd-golden", "no-upd-alt" });
      const guint tl1 = flags_of ({ "no-ref-golden", "no-ref-alt", "no-upd-last", "no-upd-golden",
                                    "no-upd-alt", "no-upd-entropy" });
      for (guint f : { tl0, tl1 })
        {
          GValue v = G_VALUE_INIT;
          g_value_init (&v, flags_type);
          g_value_set_flags (&v, f);
          gst_value_array_append_and_take_value (&flags, &v);
        }
      g_object_set_property (G_OBJECT (encoder), "temporal-scalability-layer-flags", &flags);
      g_type_class_unref (fc);
    }
  // vp8enc reads a sync flag for every frame once layers are set: never leave the list empty.
  for (gboolean y : std::initializer_list<gboolean>{ FALSE, TRUE })
    {
      GValue v = G_VALUE_INIT;
      g_value_init (&v, G_TYPE_BOOLEAN);
      g_value_set_boolean (&v, y);
      gst_value_array_append_and_take_value (&sync, &v);
    }
  g_object_set_property (G_OBJECT (encoder), "temporal-scalability-layer-sync-flags", &sync);
  g_value_unset (&flags);
  g_value_unset (&sync);
  if (!fc)
    {
      GST_WARNING_OBJECT (encoder, "no temporal-scalability-layer-flags: one layer");
      g_object_set (encoder, "temporal-scalability-number-layers", 1,
                    "temporal-scalability-periodicity", 0, nullptr);
      return 1;
    }
  return 2;
}

static void
apply_keyframe_interval (GstElement *encoder, const enc::EncoderInfo *info, guint frames)
{
  if (!info || !info->keyint_prop)
    return;
  if (frames > 0)
    set_number (encoder, info->keyint_prop, frames);
  else if (info->keyint_off_prop)
    set_arg (encoder, info->keyint_off_prop, info->keyint_off_value);
  else
    set_arg (encoder, info->keyint_prop, info->keyint_off_value);
}

static guint
effective_pt (const Settings &s)
{
  return s.pt >= 0 ? (guint)s.pt : enc::codec_info (to_codec (s.codec)).default_pt;
}

/* ---- building the chain ---- */

static bool
factory_produces (GstElementFactory *factory, const char *media_type)
{
  Ptr<GstCaps> caps (gst_caps_new_empty_simple (media_type));
  return gst_element_factory_can_src_any_caps (factory, caps.get ());
}

// The encoder the settings ask for, or the first usable one in the table. Posts an element error
// and returns an empty pointer when there is none.
static Ptr<GstElement>
make_encoder (GstRtcEncodeBin *self, const Settings &s, const enc::EncoderInfo **info_out)
{
  const enc::CodecInfo &ci = enc::codec_info (to_codec (s.codec));
  *info_out = nullptr;

  if (!s.encoder.empty ())
    {
      const enc::EncoderInfo *info = enc::find_encoder_info (s.encoder.c_str ());
      Ptr<GstElementFactory> factory (gst_element_factory_find (s.encoder.c_str ()));
      if (!factory)
        {
          if (info && info->debian_package)
            GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
                               ("Encoder \"%s\" is not installed: install the Debian package %s, "
                                "or leave the encoder property unset to pick one automatically.",
                                s.encoder.c_str (), info->debian_package),
                               ("no element factory named %s", s.encoder.c_str ()));
          else
            GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
                               ("Encoder \"%s\" is not installed: check the name with "
                                "gst-inspect-1.0, or leave the encoder property unset.",
                                s.encoder.c_str ()),
                               ("no element factory named %s", s.encoder.c_str ()));
          return {};
        }
      if (!factory_produces (factory.get (), ci.media_type))
        {
          GST_ELEMENT_ERROR (
              self, CORE, NEGOTIATION,
              ("Encoder \"%s\" cannot produce %s: choose a %s encoder or leave "
               "the encoder property unset.",
               s.encoder.c_str (), ci.display_name, ci.display_name),
              ("%s has no src template compatible with %s", s.encoder.c_str (), ci.media_type));
          return {};
        }
      GstElement *e = gst_element_factory_create (factory.get (), "encoder");
      if (!e)
        {
          GST_ELEMENT_ERROR (self, CORE, FAILED,
                             ("Could not create encoder \"%s\".", s.encoder.c_str ()), (nullptr));
          return {};
        }
      if (!info)
        GST_WARNING_OBJECT (self,
                            "%s is not in the encoder table: using its defaults, bitrate "
                            "and keyframe-interval are not applied",
                            s.encoder.c_str ());
      *info_out = info;
      return Ptr<GstElement> (GST_ELEMENT (gst_object_ref_sink (e)));
    }

  std::string tried;
  for (const auto &row : enc::kEncoders)
    {
      if (row.codec != to_codec (s.codec) || (row.hardware && !s.hardware))
        continue;
      tried += tried.empty () ? row.factory : std::string (", ") + row.factory;
      Ptr<GstElementFactory> factory (gst_element_factory_find (row.factory));
      if (!factory)
        continue;
      GstElement *raw = gst_element_factory_create (factory.get (), "encoder");
      if (!raw)
        continue;
      Ptr<GstElement> e (GST_ELEMENT (gst_object_ref_sink (raw)));
      // A hardware encoder can be registered yet unusable (no device, no permission): opening
      // it now lets us fall back to the next row instead of failing later.
      if (row.hardware
          && gst_element_set_state (e.get (), GST_STATE_READY) == GST_STATE_CHANGE_FAILURE)
        {
          GST_INFO_OBJECT (self, "%s does not open, trying the next encoder", row.factory);
          gst_element_set_state (e.get (), GST_STATE_NULL);
          continue;
        }
      *info_out = &row;
      return e;
    }

  const char *pkg = enc::package_for (to_codec (s.codec));
  GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
                     ("No %s encoder is installed: install the Debian package %s.", ci.display_name,
                      pkg ? pkg : "that provides one"),
                     ("none of these element factories exist or open: %s", tried.c_str ()));
  return {};
}

static const char *
package_of_helper (const char *factory)
{
  if (g_str_has_prefix (factory, "rtp"))
    return "gstreamer1.0-plugins-good";
  if (g_str_has_suffix (factory, "parse"))
    return "gstreamer1.0-plugins-bad";
  return "gstreamer1.0-plugins-base";
}

static Ptr<GstElement>
make_helper (GstRtcEncodeBin *self, const char *factory, const char *name)
{
  GstElement *e = gst_element_factory_make (factory, name);
  if (!e)
    {
      GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
                         ("Element \"%s\" is missing: install the Debian package %s.", factory,
                          package_of_helper (factory)),
                         ("gst_element_factory_make (\"%s\") failed", factory));
      return {};
    }
  return Ptr<GstElement> (GST_ELEMENT (gst_object_ref_sink (e)));
}

static Ptr<GstElement>
make_capsfilter (const char *caps_string, const char *name)
{
  GstElement *e = gst_element_factory_make ("capsfilter", name);
  Ptr<GstCaps> caps (gst_caps_from_string (caps_string));
  g_object_set (e, "caps", caps.get (), nullptr);
  return Ptr<GstElement> (GST_ELEMENT (gst_object_ref_sink (e)));
}

static void
teardown_chain (GstRtcEncodeBin *self)
{
  Chain old;
  {
    std::lock_guard<std::mutex> lock (self->priv->chain_lock);
    old = std::move (self->priv->chain);
    self->priv->chain = Chain ();
  }
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->sinkpad), nullptr);
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->srcpad), nullptr);
  for (auto &e : old.elements)
    {
      gst_element_set_state (e.get (), GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self), e.get ());
    }
}

// profile_idc 66 (baseline) with constraint_set1: constrained baseline, whatever constraint_set2.
static bool is_constrained_baseline (const gchar *plid);

// Browsers offer H.264 as profile-level-id 42e01f. x264 writes constraint_set2=0 (42c0xx) and a
// level that follows the resolution; both spellings mean constrained baseline (RFC 6184), and a
// stream within a lower level is within 3.1 too. Labelling it 42e01f (or 42e0 with the real level
// above 3.1) lets webrtcbin 1.22, which intersects caps literally, match a browser's offer.
static GstPadProbeReturn
normalize_h264_caps (GstPad *pad, GstPadProbeInfo *info, gpointer)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  const gchar *plid
      = gst_structure_get_string (gst_caps_get_structure (caps, 0), "profile-level-id");
  if (!is_constrained_baseline (plid))
    return GST_PAD_PROBE_OK;
  guint level = (guint)g_ascii_strtoull (plid + 4, nullptr, 16);
  rtc::GStr normalized (g_strdup_printf ("42e0%02x", MAX (level, 0x1fu)));
  if (g_ascii_strcasecmp (normalized.get (), plid) == 0)
    return GST_PAD_PROBE_OK;
  GST_DEBUG_OBJECT (pad, "profile-level-id %s -> %s", plid, normalized.get ());
  GstCaps *fixed = gst_caps_copy (caps);
  gst_caps_set_simple (fixed, "profile-level-id", G_TYPE_STRING, normalized.get (), nullptr);
  GstEvent *replacement = gst_event_new_caps (fixed);
  gst_caps_unref (fixed);
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = replacement;
  return GST_PAD_PROBE_OK;
}

static bool
is_constrained_baseline (const gchar *plid)
{
  guint profile_iop;
  return plid && strlen (plid) == 6 && sscanf (plid, "%4x", &profile_iop) == 1
         && (profile_iop & 0xff40) == 0x4240;
}

static GstCaps *
without_cb_profile_level_id (const GstCaps *caps)
{
  GstCaps *copy = gst_caps_copy (caps);
  for (guint i = 0; i < gst_caps_get_size (copy); i++)
    {
      GstStructure *st = gst_caps_get_structure (copy, i);
      if (is_constrained_baseline (gst_structure_get_string (st, "profile-level-id")))
        gst_structure_remove_field (st, "profile-level-id");
    }
  return copy;
}

// The other half of the above: when downstream asks for 42e01f, the payloader would intersect
// that with what x264 wrote (42c01f) and fail, so the caps query between the payloader and
// downstream ignores constrained-baseline profile-level-ids on both sides; the caps probe then
// relabels what the payloader produces.
static GstPadProbeReturn
relax_h264_caps_query (GstPad *internal, GstPadProbeInfo *info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  if (GST_QUERY_TYPE (query) != GST_QUERY_CAPS || !(info->type & GST_PAD_PROBE_TYPE_PUSH))
    return GST_PAD_PROBE_OK;
  GstPad *ghost = GST_PAD (user_data);
  GstCaps *filter;
  gst_query_parse_caps (query, &filter);
  Ptr<GstCaps> relaxed_filter (filter ? without_cb_profile_level_id (filter) : nullptr);
  Ptr<GstCaps> peer (gst_pad_peer_query_caps (ghost, relaxed_filter.get ()));
  Ptr<GstCaps> result (without_cb_profile_level_id (peer.get ()));
  GST_LOG_OBJECT (internal, "caps query answered with %" GST_PTR_FORMAT, result.get ());
  gst_query_set_caps_result (query, result.get ());
  return GST_PAD_PROBE_HANDLED;
}

static bool
build_chain (GstRtcEncodeBin *self)
{
  Settings s;
  {
    std::lock_guard<std::mutex> lock (self->priv->settings_lock);
    s = self->priv->settings;
  }
  const enc::CodecInfo &ci = enc::codec_info (to_codec (s.codec));

  const enc::EncoderInfo *info = nullptr;
  Ptr<GstElement> encoder = make_encoder (self, s, &info);
  if (!encoder)
    return false;

  std::vector<Ptr<GstElement>> chain;
  auto add_helper = [&] (const char *factory, const char *name) {
    Ptr<GstElement> e = make_helper (self, factory, name);
    if (!e)
      return false;
    chain.push_back (std::move (e));
    return true;
  };
  auto fail = [&] () {
    // a hardware encoder may already be open
    gst_element_set_state (encoder.get (), GST_STATE_NULL);
    return false;
  };
  if (!add_helper (ci.video ? "videoconvert" : "audioconvert", "convert"))
    return fail ();
  if (!ci.video && !add_helper ("audioresample", "resample"))
    return fail ();
  if (ci.raw_caps)
    chain.push_back (make_capsfilter (ci.raw_caps, "raw-caps"));
  chain.push_back (encoder);
  if (ci.encoded_caps)
    chain.push_back (make_capsfilter (ci.encoded_caps, "encoded-caps"));
  if (ci.parser && !add_helper (ci.parser, "parser"))
    return fail ();
  if (!add_helper (ci.payloader, "payloader"))
    return fail ();
  Ptr<GstElement> payloader = chain.back ();

  if (info)
    for (const auto &[name, value] : info->tuning)
      set_arg (encoder.get (), name, value);
  const guint layers = apply_temporal_layers (
      encoder.get (), GST_OBJECT_NAME (gst_element_get_factory (encoder.get ())),
      s.temporal_layers);
  apply_bitrate (encoder.get (), info, effective_kbps (s), layers);
  apply_keyframe_interval (encoder.get (), info, s.keyframe_interval);
  for (const auto &[name, value] : ci.payloader_props)
    set_arg (payloader.get (), name, value);
  g_object_set (payloader.get (), "pt", effective_pt (s), "mtu", s.mtu, nullptr);

  for (auto &e : chain)
    gst_bin_add (GST_BIN (self), e.get ()); // the bin takes its own reference
  for (size_t i = 0; i + 1 < chain.size (); i++)
    if (!gst_element_link (chain[i].get (), chain[i + 1].get ()))
      {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
                           ("Could not build the %s encoding chain.", ci.display_name),
                           ("cannot link %s to %s", GST_ELEMENT_NAME (chain[i].get ()),
                            GST_ELEMENT_NAME (chain[i + 1].get ())));
        for (auto &e : chain)
          {
            gst_element_set_state (e.get (), GST_STATE_NULL);
            gst_bin_remove (GST_BIN (self), e.get ());
          }
        return false;
      }

  Ptr<GstPad> sink (gst_element_get_static_pad (chain.front ().get (), "sink"));
  Ptr<GstPad> src (gst_element_get_static_pad (payloader.get (), "src"));
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->sinkpad), sink.get ());
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->srcpad), src.get ());

  GstElementFactory *factory = gst_element_get_factory (encoder.get ());
  GST_INFO_OBJECT (self, "%s chain with %s, %u kbit/s, %u temporal layer(s), pt %u", ci.nick,
                   GST_OBJECT_NAME (factory), effective_kbps (s), layers, effective_pt (s));
  {
    std::lock_guard<std::mutex> lock (self->priv->chain_lock);
    Chain &c = self->priv->chain;
    c.elements = std::move (chain);
    c.encoder = encoder;
    c.payloader = payloader;
    c.info = info;
    c.factory = GST_OBJECT_NAME (factory);
    c.temporal_layers = layers;
    c.stale = false;
  }
  return true;
}

/* ---- GObject / GstElement ---- */

static GstStateChangeReturn
gst_rtc_encode_bin_change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_ENCODE_BIN (element);

  switch (transition)
    {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!build_chain (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      {
        bool stale;
        {
          std::lock_guard<std::mutex> lock (self->priv->chain_lock);
          stale = self->priv->chain.stale;
        }
        if (stale)
          {
            teardown_chain (self);
            if (!build_chain (self))
              return GST_STATE_CHANGE_FAILURE;
          }
        break;
      }
    default:
      break;
    }

  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS (gst_rtc_encode_bin_parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_READY_TO_NULL
      || (transition == GST_STATE_CHANGE_NULL_TO_READY && ret == GST_STATE_CHANGE_FAILURE))
    teardown_chain (self);
  return ret;
}

// Settings that choose the encoder only take effect on the next build: mark the chain stale.
static void
mark_stale_if_built (GstRtcEncodeBin *self, const char *what)
{
  GST_OBJECT_LOCK (self);
  GstState state = GST_STATE (self);
  GST_OBJECT_UNLOCK (self);
  if (state > GST_STATE_READY)
    GST_WARNING_OBJECT (self, "%s changed while running: it applies after going back to READY",
                        what);
  std::lock_guard<std::mutex> lock (self->priv->chain_lock);
  if (!self->priv->chain.elements.empty ())
    self->priv->chain.stale = true;
}

static void
gst_rtc_encode_bin_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  auto *self = GST_RTC_ENCODE_BIN (object);
  Private *priv = self->priv;
  Settings s;
  {
    std::lock_guard<std::mutex> lock (priv->settings_lock);
    Settings &w = priv->settings;
    switch (prop_id)
      {
      case PROP_CODEC:
        w.codec = (GstRtcCodec)g_value_get_enum (value);
        break;
      case PROP_BITRATE:
        w.bitrate = g_value_get_uint (value);
        break;
      case PROP_KEYFRAME_INTERVAL:
        w.keyframe_interval = g_value_get_uint (value);
        break;
      case PROP_PT:
        w.pt = g_value_get_int (value);
        break;
      case PROP_MTU:
        w.mtu = g_value_get_uint (value);
        break;
      case PROP_ENCODER:
        {
          const char *name = g_value_get_string (value);
          w.encoder = name ? name : "";
          break;
        }
      case PROP_HARDWARE:
        w.hardware = g_value_get_boolean (value);
        break;
      case PROP_TEMPORAL_LAYERS:
        w.temporal_layers = g_value_get_uint (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        return;
      }
    s = w;
  }

  Ptr<GstElement> encoder, payloader;
  const enc::EncoderInfo *info;
  guint layers;
  {
    std::lock_guard<std::mutex> lock (priv->chain_lock);
    encoder = priv->chain.encoder;
    payloader = priv->chain.payloader;
    info = priv->chain.info;
    layers = priv->chain.temporal_layers;
  }

  switch (prop_id)
    {
    case PROP_CODEC:
    case PROP_ENCODER:
    case PROP_HARDWARE:
    case PROP_TEMPORAL_LAYERS:
      mark_stale_if_built (self, pspec->name);
      break;
    case PROP_BITRATE:
      if (encoder)
        apply_bitrate (encoder.get (), info, effective_kbps (s), layers);
      break;
    case PROP_KEYFRAME_INTERVAL:
      if (encoder)
        apply_keyframe_interval (encoder.get (), info, s.keyframe_interval);
      break;
    case PROP_PT:
      if (payloader)
        g_object_set (payloader.get (), "pt", effective_pt (s), nullptr);
      break;
    case PROP_MTU:
      if (payloader)
        g_object_set (payloader.get (), "mtu", s.mtu, nullptr);
      break;
    default:
      break;
    }
}

// The factory the bin would choose now, without opening anything.
static std::string
predicted_encoder (const Settings &s)
{
  if (!s.encoder.empty ())
    return s.encoder;
  for (const auto &row : enc::kEncoders)
    {
      if (row.codec != to_codec (s.codec) || (row.hardware && !s.hardware))
        continue;
      Ptr<GstElementFactory> factory (gst_element_factory_find (row.factory));
      if (factory)
        return row.factory;
    }
  return {};
}

static void
gst_rtc_encode_bin_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto *self = GST_RTC_ENCODE_BIN (object);
  Private *priv = self->priv;
  Settings s;
  {
    std::lock_guard<std::mutex> lock (priv->settings_lock);
    s = priv->settings;
  }
  switch (prop_id)
    {
    case PROP_CODEC:
      g_value_set_enum (value, s.codec);
      break;
    case PROP_BITRATE:
      g_value_set_uint (value, s.bitrate);
      break;
    case PROP_KEYFRAME_INTERVAL:
      g_value_set_uint (value, s.keyframe_interval);
      break;
    case PROP_PT:
      g_value_set_int (value, s.pt);
      break;
    case PROP_MTU:
      g_value_set_uint (value, s.mtu);
      break;
    case PROP_ENCODER:
      {
        std::string name;
        {
          std::lock_guard<std::mutex> lock (priv->chain_lock);
          if (!priv->chain.stale)
            name = priv->chain.factory;
        }
        if (name.empty ())
          name = predicted_encoder (s);
        g_value_set_string (value, name.empty () ? nullptr : name.c_str ());
        break;
      }
    case PROP_HARDWARE:
      g_value_set_boolean (value, s.hardware);
      break;
    case PROP_TEMPORAL_LAYERS:
      g_value_set_uint (value, s.temporal_layers);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_rtc_encode_bin_finalize (GObject *object)
{
  auto *self = GST_RTC_ENCODE_BIN (object);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_encode_bin_parent_class)->finalize (object);
}

static void
gst_rtc_encode_bin_init (GstRtcEncodeBin *self)
{
  self->priv = new Private ();
  Ptr<GstPadTemplate> sink_tmpl (gst_static_pad_template_get (&sink_template));
  Ptr<GstPadTemplate> src_tmpl (gst_static_pad_template_get (&src_template));
  self->sinkpad = gst_ghost_pad_new_no_target_from_template ("sink", sink_tmpl.get ());
  self->srcpad = gst_ghost_pad_new_no_target_from_template ("src", src_tmpl.get ());
  // On the ghost pad's internal pad, so the ghost pad itself stores the normalized caps.
  Ptr<GstPad> internal (GST_PAD (gst_proxy_pad_get_internal (GST_PROXY_PAD (self->srcpad))));
  gst_pad_add_probe (internal.get (), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, normalize_h264_caps,
                     nullptr, nullptr);
  gst_pad_add_probe (internal.get (), GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, relax_h264_caps_query,
                     self->srcpad, nullptr);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

static void
gst_rtc_encode_bin_class_init (GstRtcEncodeBinClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_rtc_encode_bin_set_property;
  gobject_class->get_property = gst_rtc_encode_bin_get_property;
  gobject_class->finalize = gst_rtc_encode_bin_finalize;
  element_class->change_state = gst_rtc_encode_bin_change_state;

  auto ready = (GParamFlags)(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  auto playing
      = (GParamFlags)(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  g_object_class_install_property (
      gobject_class, PROP_CODEC,
      g_param_spec_enum ("codec", "Codec",
                         "Codec to encode to; video codecs need raw video on the sink pad, audio "
                         "codecs raw audio",
                         GST_TYPE_RTC_CODEC, DEFAULT_CODEC, ready));
  g_object_class_install_property (
      gobject_class, PROP_BITRATE,
      g_param_spec_uint ("bitrate", "Bitrate",
                         "Target bitrate in kbit/s, applied live while playing (0 = the codec's "
                         "default: 2000 for video, 64 for Opus; ignored for PCMU/PCMA)",
                         0, G_MAXUINT / 1000, DEFAULT_BITRATE, playing));
  g_object_class_install_property (
      gobject_class, PROP_KEYFRAME_INTERVAL,
      g_param_spec_uint ("keyframe-interval", "Keyframe interval",
                         "Maximum number of frames between keyframes (0 = keyframes only when "
                         "requested with a force-key-unit event)",
                         0, G_MAXINT, DEFAULT_KEYFRAME_INTERVAL, ready));
  g_object_class_install_property (
      gobject_class, PROP_PT,
      g_param_spec_int ("pt", "Payload type",
                        "RTP payload type (-1 = the codec's usual one: 96 H.264, 97 VP8, 98 VP9, "
                        "111 Opus, 0 PCMU, 8 PCMA)",
                        -1, 127, DEFAULT_PT, ready));
  g_object_class_install_property (
      gobject_class, PROP_MTU,
      g_param_spec_uint ("mtu", "MTU",
                         "Maximum size of one RTP packet in bytes (1200 leaves room for SRTP, "
                         "TURN and VPN headers)",
                         28, G_MAXUINT, DEFAULT_MTU, playing));
  g_object_class_install_property (
      gobject_class, PROP_ENCODER,
      g_param_spec_string ("encoder", "Encoder",
                           "Element factory of the encoder: reads the one chosen (e.g. x264enc), "
                           "write to force one (NULL = choose automatically)",
                           DEFAULT_ENCODER, ready));
  g_object_class_install_property (
      gobject_class, PROP_HARDWARE,
      g_param_spec_boolean ("hardware", "Hardware",
                            "Prefer a hardware encoder (VA-API, NVENC, V4L2) when one is present "
                            "and opens",
                            DEFAULT_HARDWARE, ready));
  g_object_class_install_property (
      gobject_class, PROP_TEMPORAL_LAYERS,
      g_param_spec_uint ("temporal-layers", "Temporal layers",
                         "Temporal layers to encode: 2 = every other frame is a base-layer "
                         "frame and the frames between can be dropped by a receiver or a "
                         "forwarder without breaking decoding (the RTP payload descriptor marks "
                         "them). Only vp8enc does it; other encoders send one layer",
                         1, 2, DEFAULT_TEMPORAL_LAYERS, ready));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "RTC encode bin", "Codec/Encoder/Network/RTP/Bin",
      "Encodes raw video or audio to real-time RTP for WebRTC, hardware first, tuned for latency",
      "rtckit developers");

  gst_type_mark_as_plugin_api (GST_TYPE_RTC_CODEC, (GstPluginAPIFlags)0);
  GST_DEBUG_CATEGORY_INIT (rtc_encode_bin_debug, "rtcencodebin", 0, "rtckit encode bin");
}
