// HMAC-SHA1 uses the low-level SHA1_* functions that OpenSSL 3 deprecates: copying a SHA_CTX is
// a plain struct copy, while copying an EVP_MD_CTX (or duplicating an EVP_MAC_CTX) allocates and
// frees the provider's context on every packet. Measured on a 1.2 KB packet's HMAC (SHA
// extensions, 200,000 runs): SHA_CTX copies 670 ns, EVP_MD_CTX_copy_ex 745 ns, EVP_MAC_init
// reusing its key 790 ns, EVP_DigestInit_ex2 hashing the pads again 850 ns, EVP_MAC_CTX_dup
// 1,070 ns. Without the deprecated API (OpenSSL built with no-deprecated, or
// -DRTC_SRTP_EVP_HMAC) the EVP_MD_CTX copies take over.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "send/srtp-protect.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

#if defined(OPENSSL_NO_DEPRECATED_3_0) && !defined(RTC_SRTP_EVP_HMAC)
#define RTC_SRTP_EVP_HMAC 1
#endif

namespace rtc
{

namespace
{

constexpr gsize kRtpHeaderLen = 12;
constexpr gsize kRtcpHeaderLen = 8; // what SRTCP leaves clear: the first header and its SSRC
constexpr gsize kSha1Len = 20;
constexpr gsize kAuthKeyLen = 20; // RFC 3711 §5.2: n_a = 160 for HMAC-SHA1
constexpr gsize kSrtcpTagLen = 10;
// AES-CM's keystream for one packet is at most 2^16 blocks (RFC 3711 §4.1.1); also keeps the
// lengths within libcrypto's int.
constexpr gsize kMaxPacketLen = 16u << 16;

// RFC 3711 §4.3.1's labels; SRTCP's are SRTP's + 3.
constexpr guint8 kLabelEncryption = 0, kLabelAuth = 1, kLabelSalt = 2, kLabelRtcp = 3;

guint16
read16 (const guint8 *p)
{
  return (guint16)((p[0] << 8) | p[1]);
}

guint32
read32 (const guint8 *p)
{
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

void
write32 (guint8 *p, guint32 v)
{
  p[0] = (guint8)(v >> 24);
  p[1] = (guint8)(v >> 16);
  p[2] = (guint8)(v >> 8);
  p[3] = (guint8)v;
}

struct CipherCtxFree
{
  void operator() (EVP_CIPHER_CTX *c) const { EVP_CIPHER_CTX_free (c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// XORs @len bytes at @data with the keystream of @c's key from @iv.
bool
ctr_xor (EVP_CIPHER_CTX *c, const guint8 *iv, guint8 *data, gsize len)
{
  if (EVP_EncryptInit_ex (c, nullptr, nullptr, nullptr, iv) != 1)
    return false;
  int out = 0;
  return len == 0 || (EVP_EncryptUpdate (c, data, &out, data, (int)len) == 1 && out == (int)len);
}

CipherCtx
aes_128_ctr (const guint8 *key)
{
  CipherCtx c (EVP_CIPHER_CTX_new ());
  if (c && EVP_EncryptInit_ex (c.get (), EVP_aes_128_ctr (), nullptr, key, nullptr) != 1)
    c.reset ();
  return c;
}

#ifndef RTC_SRTP_EVP_HMAC
// HMAC-SHA1 from the states after the key's inner and outer pad (RFC 2104): per message, two
// struct copies and no key setup.
class HmacSha1
{
public:
  ~HmacSha1 ()
  {
    OPENSSL_cleanse (&inner_, sizeof inner_);
    OPENSSL_cleanse (&outer_, sizeof outer_);
  }

  bool set_key (const guint8 *key, gsize len)
  {
    guint8 pad[SHA_CBLOCK];
    if (len > sizeof pad)
      return false;
    for (gsize i = 0; i < sizeof pad; i++)
      pad[i] = (i < len ? key[i] : 0) ^ 0x36;
    SHA1_Init (&inner_);
    SHA1_Update (&inner_, pad, sizeof pad);
    for (gsize i = 0; i < sizeof pad; i++)
      pad[i] = (i < len ? key[i] : 0) ^ 0x5c;
    SHA1_Init (&outer_);
    SHA1_Update (&outer_, pad, sizeof pad);
    OPENSSL_cleanse (pad, sizeof pad);
    return true;
  }

  // The MAC of @a followed by @b (@b_len may be 0).
  bool mac (const guint8 *a, gsize a_len, const guint8 *b, gsize b_len, guint8 *digest)
  {
    SHA_CTX c = inner_;
    SHA1_Update (&c, a, a_len);
    SHA1_Update (&c, b, b_len);
    SHA1_Final (digest, &c);
    c = outer_;
    SHA1_Update (&c, digest, kSha1Len);
    SHA1_Final (digest, &c);
    return true;
  }

private:
  SHA_CTX inner_, outer_;
};
#else
// The same with EVP: the copies allocate inside libcrypto (see the top of the file).
class HmacSha1
{
public:
  bool set_key (const guint8 *key, gsize len)
  {
    guint8 pad[64];
    if (len > sizeof pad || !inner_ || !outer_ || !work_)
      return false;
    bool ok = true;
    for (int round = 0; round < 2; round++)
      {
        EVP_MD_CTX *c = round == 0 ? inner_.get () : outer_.get ();
        for (gsize i = 0; i < sizeof pad; i++)
          pad[i] = (i < len ? key[i] : 0) ^ (round == 0 ? 0x36 : 0x5c);
        ok = ok && EVP_DigestInit_ex2 (c, EVP_sha1 (), nullptr) == 1
             && EVP_DigestUpdate (c, pad, sizeof pad) == 1;
      }
    OPENSSL_cleanse (pad, sizeof pad);
    return ok;
  }

  bool mac (const guint8 *a, gsize a_len, const guint8 *b, gsize b_len, guint8 *digest)
  {
    EVP_MD_CTX *w = work_.get ();
    return EVP_MD_CTX_copy_ex (w, inner_.get ()) == 1 && EVP_DigestUpdate (w, a, a_len) == 1
           && EVP_DigestUpdate (w, b, b_len) == 1 && EVP_DigestFinal_ex (w, digest, nullptr) == 1
           && EVP_MD_CTX_copy_ex (w, outer_.get ()) == 1
           && EVP_DigestUpdate (w, digest, kSha1Len) == 1
           && EVP_DigestFinal_ex (w, digest, nullptr) == 1;
  }

private:
  struct MdCtxFree
  {
    void operator() (EVP_MD_CTX *c) const { EVP_MD_CTX_free (c); }
  };
  using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
  MdCtx inner_{ EVP_MD_CTX_new () }, outer_{ EVP_MD_CTX_new () }, work_{ EVP_MD_CTX_new () };
};
#endif

} // namespace

// One direction's session keys: the AES-CTR context keyed once, the salt for the IVs, the HMAC.
struct SrtpProtect::Session
{
  CipherCtx cipher;
  guint8 salt[kSrtpMasterSaltLen];
  HmacSha1 hmac;

  ~Session () { OPENSSL_cleanse (salt, sizeof salt); }

  bool init (const guint8 *master_key, const guint8 *master_salt, guint8 first_label)
  {
    guint8 key[16], auth[kAuthKeyLen];
    bool ok
        = srtp::derive (master_key, master_salt, first_label + kLabelEncryption, key, sizeof key)
          && srtp::derive (master_key, master_salt, first_label + kLabelAuth, auth, sizeof auth)
          && srtp::derive (master_key, master_salt, first_label + kLabelSalt, salt, sizeof salt);
    if (ok)
      {
        cipher = aes_128_ctr (key);
        ok = cipher && hmac.set_key (auth, sizeof auth);
      }
    OPENSSL_cleanse (key, sizeof key);
    OPENSSL_cleanse (auth, sizeof auth);
    return ok;
  }

  // §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i the SRTP or SRTCP index.
  void iv (guint8 *out, guint32 ssrc, guint64 index) const
  {
    memcpy (out, salt, sizeof salt);
    out[14] = out[15] = 0;
    for (int b = 0; b < 4; b++)
      out[4 + b] ^= (guint8)(ssrc >> (24 - 8 * b));
    for (int b = 0; b < 6; b++)
      out[8 + b] ^= (guint8)(index >> (40 - 8 * b));
  }
};

std::optional<SrtpProfile>
srtp_profile_from_srtpenc (gint cipher, gint auth)
{
  constexpr gint kAes128Icm = 1, kHmacSha1_32 = 1, kHmacSha1_80 = 2;
  if (cipher != kAes128Icm)
    return std::nullopt;
  if (auth == kHmacSha1_80)
    return SrtpProfile::AesCm128HmacSha1_80;
  if (auth == kHmacSha1_32)
    return SrtpProfile::AesCm128HmacSha1_32;
  return std::nullopt;
}

gsize
srtp_tag_len (SrtpProfile profile)
{
  return profile == SrtpProfile::AesCm128HmacSha1_32 ? 4 : 10;
}

SrtpProtect::SrtpProtect (SrtpProfile profile) : profile_ (profile) {}

SrtpProtect::~SrtpProtect () = default;

std::unique_ptr<SrtpProtect>
SrtpProtect::create (SrtpProfile profile, const guint8 *key, gsize key_len)
{
  if (!key || key_len != kSrtpKeyingLen)
    return nullptr;
  std::unique_ptr<SrtpProtect> p (new SrtpProtect (profile));
  p->rtp_ = std::make_unique<Session> ();
  p->rtcp_ = std::make_unique<Session> ();
  const guint8 *salt = key + kSrtpMasterKeyLen;
  if (!p->rtp_->init (key, salt, 0) || !p->rtcp_->init (key, salt, kLabelRtcp))
    return nullptr;
  p->streams_.reserve (4);
  return p;
}

SrtpProtect::Stream &
SrtpProtect::stream (guint32 ssrc)
{
  if (last_ < streams_.size () && streams_[last_].ssrc == ssrc)
    return streams_[last_];
  for (last_ = 0; last_ < streams_.size (); last_++)
    if (streams_[last_].ssrc == ssrc)
      return streams_[last_];
  streams_.push_back (Stream{ ssrc });
  return streams_[last_];
}

guint32
SrtpProtect::roc (guint32 ssrc) const
{
  for (const auto &s : streams_)
    if (s.ssrc == ssrc)
      return s.roc;
  return 0;
}

gsize
SrtpProtect::protect_rtp (guint8 *packet, gsize len, gsize capacity)
{
  const gsize tag_len = srtp_tag_len (profile_);
  if (!packet || len < kRtpHeaderLen || len > kMaxPacketLen || capacity < len
      || capacity - len < tag_len || (packet[0] >> 6) != 2)
    return 0;
  gsize header_len = kRtpHeaderLen + 4 * (packet[0] & 0x0f);
  if (packet[0] & 0x10) // the extension's own 4-byte header, then its length in words
    {
      if (len < header_len + 4)
        return 0;
      header_len += 4 + 4 * (gsize)read16 (packet + header_len + 2);
    }
  if (len < header_len)
    return 0;

  const guint16 seq = read16 (packet + 2);
  const guint32 ssrc = read32 (packet + 8);
  Stream &s = stream (ssrc);
  // The packet's rollover counter v: the one that puts its index nearest the highest sent
  // (RFC 3711 Appendix A), so an old sequence number sent again keeps the ROC it had. Before the
  // first wrap there is no ROC - 1: a packet far behind the first is read as ahead of it, as
  // libsrtp2's receivers read it.
  guint32 v = s.roc;
  if (!s.rtp_started)
    v = 0;
  else if (s.highest_seq < 0x8000)
    {
      if (seq > s.highest_seq + 0x8000 && s.roc > 0)
        v = s.roc - 1;
    }
  else if (seq < s.highest_seq - 0x8000)
    {
      if (s.roc == G_MAXUINT32)
        return 0; // 2^48 packets: the key is spent (§9.2)
      v = s.roc + 1;
    }
  const guint64 index = ((guint64)v << 16) | seq;

  guint8 iv[16];
  rtp_->iv (iv, ssrc, index);
  if (!ctr_xor (rtp_->cipher.get (), iv, packet + header_len, len - header_len))
    return 0;
  // §4.2: the tag covers the header, the encrypted payload and the ROC.
  guint8 roc_be[4], digest[kSha1Len];
  write32 (roc_be, v);
  if (!rtp_->hmac.mac (packet, len, roc_be, sizeof roc_be, digest))
    return 0;
  memcpy (packet + len, digest, tag_len);

  if (!s.rtp_started || index > (((guint64)s.roc << 16) | s.highest_seq))
    {
      s.rtp_started = true;
      s.roc = v;
      s.highest_seq = seq;
    }
  return len + tag_len;
}

gsize
SrtpProtect::protect_rtcp (guint8 *packet, gsize len, gsize capacity)
{
  if (!packet || len < kRtcpHeaderLen || len > kMaxPacketLen || capacity < len
      || capacity - len < kSrtcpTrailerLen || (packet[0] >> 6) != 2)
    return 0;
  const guint32 ssrc = read32 (packet + 4);
  Stream &s = stream (ssrc);
  if (s.rtcp_index > 0x7fffffff)
    return 0; // 2^31 packets: the key is spent (§3.4)

  guint8 iv[16];
  rtcp_->iv (iv, ssrc, s.rtcp_index);
  if (!ctr_xor (rtcp_->cipher.get (), iv, packet + kRtcpHeaderLen, len - kRtcpHeaderLen))
    return 0;
  // §3.4: E flag (encrypted) and the index follow the packet, and the tag covers them too.
  write32 (packet + len, 0x80000000u | s.rtcp_index);
  guint8 digest[kSha1Len];
  if (!rtcp_->hmac.mac (packet, len + 4, nullptr, 0, digest))
    return 0;
  memcpy (packet + len + 4, digest, kSrtcpTagLen);
  s.rtcp_index++;
  return len + kSrtcpTrailerLen;
}

namespace srtp
{

bool
aes_cm_keystream (const guint8 *key, const guint8 *iv, guint8 *out, gsize len)
{
  CipherCtx c = aes_128_ctr (key);
  if (!c || len > G_MAXINT)
    return false;
  memset (out, 0, len);
  return ctr_xor (c.get (), iv, out, len);
}

bool
derive (const guint8 *master_key, const guint8 *master_salt, guint8 label, guint8 *out, gsize len)
{
  // x = key_id XOR master_salt, key_id = label || r (48 bits, 0 at rate 0) aligned right in the
  // 112-bit salt; the keystream starts at x * 2^16.
  guint8 iv[16] = {};
  memcpy (iv, master_salt, kSrtpMasterSaltLen);
  iv[7] ^= label;
  return aes_cm_keystream (master_key, iv, out, len);
}

} // namespace srtp

} // namespace rtc
