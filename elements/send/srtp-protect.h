// SRTP and SRTCP protect (RFC 3711), the sender's side only, for the per-viewer send stage.
//
// webrtcbin 1.22's DTLS negotiates AES_CM_128_HMAC_SHA1_80 or AES_CM_128_HMAC_SHA1_32 (RFC 5764).
// Debian's libsrtp2 does them through NSS, whose SHA-1 is plain C and which sets up a context per
// packet: ~57,000 instructions for a 1.2 KB packet (bench/README.md, "The send path per viewer").
// Here libcrypto does the work with AES-NI and the SHA extensions, with everything that depends
// only on the key prepared once: the AES-CTR context is only re-IV'd per packet and HMAC-SHA1
// starts from precomputed inner and outer states. A 1200-byte packet: 6,200 instructions and
// 0.9 us against libsrtp2's 64,000 and 4.7 us (bench/README.md, "SRTP: our own protect").
//
// The sender keeps, per SSRC, the rollover counter and the highest sequence number sent (RFC 3711
// §3.3.1). A packet sent again with its old sequence number (a NACK repair) gets the index a
// receiver would estimate for it (Appendix A), so a resend just after a wrap carries the ROC it
// had the first time: the same bytes as the original.
//
// Threading: one context is used by one thread at a time; the caller locks. Contexts share
// nothing. No allocation per packet (a new SSRC adds one entry to a small vector).
#pragma once

#include <glib.h>

#include <memory>
#include <optional>
#include <vector>

namespace rtc
{

enum class SrtpProfile
{
  AesCm128HmacSha1_80, // 80-bit tag on SRTP and SRTCP
  AesCm128HmacSha1_32, // 32-bit tag on SRTP only: SRTCP keeps 80 bits (RFC 5764 §4.1.2)
};

// srtpenc's description of a profile, its "rtp-cipher" and "rtp-auth" properties (the values of
// GstSrtpCipherType and GstSrtpAuthType): (1 aes-128-icm, 2 hmac-sha1-80) and (1, 1 hmac-sha1-32).
// Anything else (NULL cipher or auth, AES-256, GCM) has no profile here: nullopt.
std::optional<SrtpProfile> srtp_profile_from_srtpenc (gint cipher, gint auth);

// What DTLS-SRTP exports for one side, as srtpenc's "key" property holds it: key, then salt.
constexpr gsize kSrtpMasterKeyLen = 16;
constexpr gsize kSrtpMasterSaltLen = 14;
constexpr gsize kSrtpKeyingLen = kSrtpMasterKeyLen + kSrtpMasterSaltLen;
// What protect_rtcp() appends: E flag and 31-bit index, then the 80-bit tag.
constexpr gsize kSrtcpTrailerLen = 4 + 10;

// What protect_rtp() appends: the tag, 10 or 4 bytes.
gsize srtp_tag_len (SrtpProfile profile);

class SrtpProtect
{
public:
  // @key: kSrtpKeyingLen bytes, master key then master salt. nullptr for another length, or
  // when libcrypto fails (no AES-128-CTR or SHA-1 in its providers).
  static std::unique_ptr<SrtpProtect> create (SrtpProfile profile, const guint8 *key,
                                              gsize key_len);
  ~SrtpProtect ();
  SrtpProtect (const SrtpProtect &) = delete;
  SrtpProtect &operator= (const SrtpProtect &) = delete;

  SrtpProfile profile () const { return profile_; }

  // Encrypts the payload of the RTP packet @packet (@len bytes, room for @capacity) in place,
  // from the end of its header (CSRCs and header extension stay clear; the padding is payload),
  // and appends the tag. Returns the new length, or 0 without touching the packet: not RTP
  // version 2, shorter than its header, no room for the tag, or its stream's index exhausted.
  gsize protect_rtp (guint8 *packet, gsize len, gsize capacity);

  // SRTCP: encrypts everything after the first 8 bytes of the compound packet @packet in place,
  // appends E flag and SRTCP index (counted per sender SSRC, bytes 4-8, from 0) and the 80-bit
  // tag: kSrtcpTrailerLen bytes. Returns the new length, or 0 as protect_rtp() does.
  gsize protect_rtcp (guint8 *packet, gsize len, gsize capacity);

  // The rollover counter of @ssrc's RTP stream (0 before its first packet), for tests and stats.
  guint32 roc (guint32 ssrc) const;

private:
  struct Session; // one direction's session keys (SRTP or SRTCP) and libcrypto's contexts
  struct Stream
  {
    guint32 ssrc = 0;
    bool rtp_started = false;
    guint32 roc = 0;         // rollover counter of the highest index sent
    guint16 highest_seq = 0; // s_l
    guint32 rtcp_index = 0;  // the next SRTCP index
  };

  SrtpProtect (SrtpProfile profile);
  Stream &stream (guint32 ssrc);

  SrtpProfile profile_;
  std::unique_ptr<Session> rtp_, rtcp_;
  std::vector<Stream> streams_; // a few per viewer: video, RTX, audio, padding
  gsize last_ = 0;              // the last stream used: packets come in runs
};

// The building blocks that RFC 3711's test vectors (Appendix B) check.
namespace srtp
{
// @len bytes of AES-128 counter-mode keystream from @key (16 bytes) and @iv (16 bytes) (§4.1.1).
bool aes_cm_keystream (const guint8 *key, const guint8 *iv, guint8 *out, gsize len);
// The AES-CM key derivation of §4.3.3, key derivation rate 0: @len bytes labelled @label (0-2
// SRTP encryption key, auth key, salt; 3-5 the same for SRTCP) from a master key (16 bytes) and
// master salt (14 bytes).
bool derive (const guint8 *master_key, const guint8 *master_salt, guint8 label, guint8 *out,
             gsize len);
} // namespace srtp

} // namespace rtc
