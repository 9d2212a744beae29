// What rtcencodebin knows about codecs and encoders: which factories to try, in which order, and
// how to tune each one for real-time use. Plain data, so adding an encoder is adding a row.
#pragma once

#include <gst/gst.h>

#include <span>
#include <utility>

namespace rtc::enc
{

// Mirrors GstRtcCodec (rtcencodebin.h), same order.
enum class Codec
{
  H264,
  VP8,
  VP9,
  Opus,
  PCMU,
  PCMA,
};

struct CodecInfo
{
  const char *nick;
  const char *display_name; // for people: "H.264"
  const char *media_type;   // the encoder's output: "video/x-h264"
  bool video;
  // Caps forced right after the encoder (nullptr: none).
  const char *encoded_caps;
  // Raw caps forced right before the encoder (nullptr: none).
  const char *raw_caps;
  const char *parser; // nullptr: none
  const char *payloader;
  guint default_pt;
  guint default_kbps; // 0: the codec has no bitrate
  // Payloader settings, as gst_util_set_object_arg() strings.
  std::span<const std::pair<const char *, const char *>> payloader_props;
};

struct EncoderInfo
{
  const char *factory;
  Codec codec;
  bool hardware;
  const char *debian_package; // nullptr: none we know of
  // Bitrate property, and how many of its units make one kbit/s (1 or 1000).
  const char *bitrate_prop;
  guint bitrate_per_kbps;
  // Maximum distance between keyframes, in frames.
  const char *keyint_prop;
  // How to say "keyframes only on request" (keyframe-interval=0): a value for keyint_prop, or
  // (when keyint_off_prop is set) a separate property and value.
  const char *keyint_off_value;
  const char *keyint_off_prop;
  // Fixed real-time tuning, as gst_util_set_object_arg() strings. "$threads" becomes the number
  // of cores (1-4), "$vpx-threads" 1 on up to 3 cores, else half the cores (1-4): libvpx's
  // worker threads spin, and on 2 busy cores 2 VP8 threads fell behind real time.
  std::span<const std::pair<const char *, const char *>> tuning;
};

using Props = std::pair<const char *, const char *>;

inline constexpr Props kH264PayProps[] = {
  { "config-interval", "-1" },          // SPS/PPS before every IDR: joiners can decode at once
  { "aggregate-mode", "zero-latency" }, // STAP-A for SPS+PPS+IDR without holding frames back
};
inline constexpr Props kVp8PayProps[] = { { "picture-id-mode", "15-bit" } };
inline constexpr Props kVp9PayProps[] = { { "picture-id-mode", "15-bit" } };

inline constexpr CodecInfo kCodecs[] = {
  { "h264", "H.264", "video/x-h264", true,
    "video/x-h264,profile=constrained-baseline,stream-format=byte-stream,alignment=au", nullptr,
    "h264parse", "rtph264pay", 96, 2000, kH264PayProps },
  { "vp8", "VP8", "video/x-vp8", true, nullptr, nullptr, nullptr, "rtpvp8pay", 97, 2000,
    kVp8PayProps },
  { "vp9", "VP9", "video/x-vp9", true, nullptr, nullptr, nullptr, "rtpvp9pay", 98, 2000,
    kVp9PayProps },
  { "opus", "Opus", "audio/x-opus", false, nullptr, nullptr, nullptr, "rtpopuspay", 111, 64, {} },
  { "pcmu",
    "PCMU (G.711 µ-law)",
    "audio/x-mulaw",
    false,
    nullptr,
    "audio/x-raw,rate=8000,channels=1",
    nullptr,
    "rtppcmupay",
    0,
    0,
    {} },
  { "pcma",
    "PCMA (G.711 A-law)",
    "audio/x-alaw",
    false,
    nullptr,
    "audio/x-raw,rate=8000,channels=1",
    nullptr,
    "rtppcmapay",
    8,
    0,
    {} },
};

inline const CodecInfo &
codec_info(Codec c)
{
  return kCodecs[static_cast<int>(c)];
}

// Hardware encoders: low latency, no B-frames, constant bitrate where the element offers it.
inline constexpr Props kVaH264[]
    = { { "b-frames", "0" }, { "rate-control", "cbr" }, { "target-usage", "7" } };
inline constexpr Props kVaapiH264[]
    = { { "max-bframes", "0" }, { "rate-control", "cbr" }, { "tune", "low-power" } };
inline constexpr Props kNvH264[] = { { "bframes", "0" },
                                     { "rc-mode", "cbr" },
                                     { "zerolatency", "true" },
                                     { "preset", "low-latency-hq" } };
inline constexpr Props kVaVp[] = { { "rate-control", "cbr" } };

// x264: zerolatency turns off lookahead, B-frames and mb-tree and enables sliced threads, so a
// frame leaves the encoder as soon as it is encoded. ultrafast: on two cores superfast cost
// about a third more CPU and added encode time to every frame's glass-to-glass latency (bench/).
inline constexpr Props kX264[] = {
  { "tune", "zerolatency" }, { "speed-preset", "ultrafast" },
  { "bframes", "0" },        { "byte-stream", "true" },
  { "aud", "false" },        { "rc-lookahead", "0" },
};
inline constexpr Props kOpenH264[] = {
  { "complexity", "low" },        { "rate-control", "bitrate" }, { "usage-type", "camera" },
  { "multi-thread", "$threads" }, { "slice-mode", "auto" },
};
// libvpx real-time settings modelled on libwebrtc's: CBR, no lag, small client buffer
// (500/600/1000 ms), error resilient, and a realtime deadline with a speed that holds 720p30 on
// two cores.
inline constexpr Props kVp8[] = {
  { "deadline", "1" },
  { "cpu-used", "8" },
  { "end-usage", "cbr" },
  { "lag-in-frames", "0" },
  { "error-resilient", "default" },
  { "threads", "$vpx-threads" },
  { "token-partitions", "2" },
  { "buffer-initial-size", "500" },
  { "buffer-optimal-size", "600" },
  { "buffer-size", "1000" },
  { "undershoot", "100" },
  { "overshoot", "15" },
  { "min-quantizer", "2" },
  { "max-quantizer", "56" },
  { "dropframe-threshold", "0" },
};
inline constexpr Props kVp9[] = {
  { "deadline", "1" },
  { "cpu-used", "8" },
  { "end-usage", "cbr" },
  { "lag-in-frames", "0" },
  { "error-resilient", "default" },
  { "threads", "$vpx-threads" },
  { "row-mt", "true" },
  { "tile-columns", "1" },
  { "aq-mode", "3" }, // cyclic refresh, as real-time VP9 senders use
  { "frame-parallel-decoding", "false" },
  { "buffer-initial-size", "500" },
  { "buffer-optimal-size", "600" },
  { "buffer-size", "1000" },
  { "undershoot", "50" },
  { "overshoot", "50" },
  { "min-quantizer", "2" },
  { "max-quantizer", "52" },
};
// 20 ms frames (what browsers send); in-band FEC so a receiver can conceal a lost packet.
inline constexpr Props kOpus[] = {
  { "frame-size", "20" },
  { "bitrate-type", "cbr" },
  { "inband-fec", "true" },
  { "packet-loss-percentage", "5" },
};

// Order within a codec is the order of preference; hardware rows come first.
inline constexpr EncoderInfo kEncoders[] = {
  { "vah264enc", Codec::H264, true, "gstreamer1.0-plugins-bad", "bitrate", 1, "key-int-max", "1024",
    nullptr, kVaH264 },
  { "vah264lpenc", Codec::H264, true, "gstreamer1.0-plugins-bad", "bitrate", 1, "key-int-max",
    "1024", nullptr, kVaH264 },
  { "vaapih264enc", Codec::H264, true, "gstreamer1.0-vaapi", "bitrate", 1, "keyframe-period", "300",
    nullptr, kVaapiH264 },
  { "nvh264enc", Codec::H264, true, "gstreamer1.0-plugins-bad", "bitrate", 1, "gop-size", "-1",
    nullptr, kNvH264 },
  { "v4l2h264enc",
    Codec::H264,
    true,
    "gstreamer1.0-plugins-good",
    nullptr,
    0,
    nullptr,
    nullptr,
    nullptr,
    {} },
  { "x264enc", Codec::H264, false, "gstreamer1.0-plugins-ugly", "bitrate", 1, "key-int-max",
    "1073741824" /* X264_KEYINT_MAX_INFINITE */, nullptr, kX264 },
  { "openh264enc", Codec::H264, false, "gstreamer1.0-plugins-bad", "bitrate", 1000, "gop-size", "0",
    nullptr, kOpenH264 },

  { "vavp8enc", Codec::VP8, true, "gstreamer1.0-plugins-bad", "bitrate", 1, "key-int-max", "1024",
    nullptr, kVaVp },
  { "vaapivp8enc",
    Codec::VP8,
    true,
    "gstreamer1.0-vaapi",
    "bitrate",
    1,
    "keyframe-period",
    "300",
    nullptr,
    {} },
  { "vp8enc", Codec::VP8, false, "gstreamer1.0-plugins-good", "target-bitrate", 1000,
    "keyframe-max-dist", "disabled", "keyframe-mode", kVp8 },

  { "vavp9enc", Codec::VP9, true, "gstreamer1.0-plugins-bad", "bitrate", 1, "key-int-max", "1024",
    nullptr, kVaVp },
  { "vaapivp9enc",
    Codec::VP9,
    true,
    "gstreamer1.0-vaapi",
    "bitrate",
    1,
    "keyframe-period",
    "300",
    nullptr,
    {} },
  { "vp9enc", Codec::VP9, false, "gstreamer1.0-plugins-good", "target-bitrate", 1000,
    "keyframe-max-dist", "disabled", "keyframe-mode", kVp9 },

  { "opusenc", Codec::Opus, false, "gstreamer1.0-plugins-base", "bitrate", 1000, nullptr, nullptr,
    nullptr, kOpus },
  { "mulawenc",
    Codec::PCMU,
    false,
    "gstreamer1.0-plugins-good",
    nullptr,
    0,
    nullptr,
    nullptr,
    nullptr,
    {} },
  { "alawenc",
    Codec::PCMA,
    false,
    "gstreamer1.0-plugins-good",
    nullptr,
    0,
    nullptr,
    nullptr,
    nullptr,
    {} },
};

// Encoders that encode two temporal layers the RTP payloader can mark: vp8enc writes each frame's
// layer into a GstVP8Meta, which rtpvp8pay turns into the payload descriptor's TID, Y and
// TL0PICIDX (RFC 7741). The others (hardware VP8 included) send one layer.
inline bool
supports_temporal_layers(const char *factory)
{
  return g_strcmp0(factory, "vp8enc") == 0;
}

inline const EncoderInfo *
find_encoder_info(const char *factory)
{
  for (const auto &e : kEncoders)
    if (g_strcmp0(e.factory, factory) == 0)
      return &e;
  return nullptr;
}

// The software encoder's package: what to tell a user who has no encoder for @c.
inline const char *
package_for(Codec c)
{
  const char *pkg = nullptr;
  for (const auto &e : kEncoders)
    if (e.codec == c && !e.hardware)
      pkg = pkg ? pkg : e.debian_package;
  return pkg;
}

} // namespace rtc::enc
