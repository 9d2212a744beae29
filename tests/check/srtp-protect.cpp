/* rtc::SrtpProtect (elements/send/srtp-protect.h): RFC 3711's test vectors, then the proof
 * against a real implementation: libsrtp2 unprotects what we protect, byte for byte, and its own
 * protect makes the same bytes as ours; and what it refuses. Plain GLib tests, no pipeline. */
#include "elements/send/srtp-protect.h"

#ifdef HAVE_LIBSRTP2
#include <srtp2/srtp.h>
#endif

#include <cstring>
#include <string>
#include <vector>

using Bytes = std::vector<guint8>;
using rtc::SrtpProfile;
using rtc::SrtpProtect;

/* --- helpers ----------------------------------------------------------------------------- */

static Bytes
hex (const char *s)
{
  Bytes out;
  for (; s[0] && s[1]; s += 2)
    out.push_back ((guint8)std::stoi (std::string (s, 2), nullptr, 16));
  return out;
}

static void
assert_bytes (const guint8 *got, const Bytes &want)
{
  g_assert_cmpmem (got, want.size (), want.data (), want.size ());
}

// The master key and salt of RFC 3711 B.3; any 30 bytes would do.
static const Bytes kKey = hex ("E1F97A0D3E018BE0D64FA32C06DE4139"
                               "0EC675AD498AFEEBB6960B3AABE6");
static const SrtpProfile kProfiles[]
    = { SrtpProfile::AesCm128HmacSha1_80, SrtpProfile::AesCm128HmacSha1_32 };

static std::unique_ptr<SrtpProtect>
protector (SrtpProfile profile)
{
  auto p = SrtpProtect::create (profile, kKey.data (), kKey.size ());
  g_assert_nonnull (p.get ());
  return p;
}

struct Rtp
{
  guint32 ssrc = 0x11223344;
  guint16 seq = 0;
  std::vector<guint32> csrcs;
  gint twcc = -1;      // transport-cc sequence number in a one-byte extension (id 5), -1 none
  guint8 padding = 0;  // RTP padding bytes at the end (P bit)
  gsize payload = 160; // payload bytes before the padding
};

static constexpr guint8 kTwccId = 5;

static Bytes
rtp (const Rtp &r)
{
  Bytes p (12);
  p[0] = 0x80 | (r.padding ? 0x20 : 0) | (r.twcc >= 0 ? 0x10 : 0) | (guint8)r.csrcs.size ();
  p[1] = 96;
  p[2] = r.seq >> 8;
  p[3] = r.seq & 0xff;
  const guint32 ts = r.seq * 3000u;
  for (int b = 0; b < 4; b++)
    {
      p[4 + b] = (guint8)(ts >> (24 - 8 * b));
      p[8 + b] = (guint8)(r.ssrc >> (24 - 8 * b));
    }
  for (guint32 c : r.csrcs)
    for (int b = 0; b < 4; b++)
      p.push_back ((guint8)(c >> (24 - 8 * b)));
  if (r.twcc >= 0) // RFC 8285 one-byte form: 0xBEDE, one word: id|len-1, 2 bytes, 1 byte pad
    for (guint8 b : { 0xbe, 0xde, 0x00, 0x01, (kTwccId << 4) | 1, r.twcc >> 8, r.twcc & 0xff, 0 })
      p.push_back (b);
  for (gsize i = 0; i < r.payload; i++)
    p.push_back ((guint8)(i * 7 + r.seq + r.ssrc));
  for (int i = 1; i <= r.padding; i++)
    p.push_back (i == r.padding ? r.padding : 0);
  return p;
}

// An RTCP compound packet as rtpsession sends it: a sender report, then SDES with a CNAME.
static Bytes
rtcp_sr_sdes (guint32 ssrc, guint32 packets_sent)
{
  Bytes p = { 0x80, 200, 0, 6 }; // SR, no report blocks: 7 words
  auto put32 = [&p] (guint32 v) {
    for (int b = 0; b < 4; b++)
      p.push_back ((guint8)(v >> (24 - 8 * b)));
  };
  put32 (ssrc);
  put32 (0xe8a1b2c3); // NTP timestamp
  put32 (0x40000000);
  put32 (packets_sent * 3000); // RTP timestamp
  put32 (packets_sent);
  put32 (packets_sent * 1200);
  const char cname[] = "rtckit@viewer";
  const gsize chunk = 4 + 2 + sizeof cname - 1 + 1; // SSRC, type and length, text, end
  const gsize words = (chunk + 3) / 4;
  for (guint8 b : { 0x81, 202, 0, (int)words })
    p.push_back (b);
  put32 (ssrc);
  p.push_back (1); // CNAME
  p.push_back (sizeof cname - 1);
  p.insert (p.end (), cname, cname + sizeof cname - 1);
  while (p.size () % 4 || p.size () < 28 + 4 + words * 4)
    p.push_back (0);
  return p;
}

// A packet in a buffer with room for any trailer; .len is the packet's length.
struct Packet
{
  Bytes data;
  gsize len;
  explicit Packet (const Bytes &b) : data (b), len (b.size ()) { data.resize (b.size () + 16); }
  Bytes bytes () const { return Bytes (data.begin (), data.begin () + len); }
};

/* --- profiles ---------------------------------------------------------------------------- */

static void
test_srtpenc_aes_128_icm_with_hmac_sha1_80_or_32_are_the_profiles ()
{
  g_assert_true (rtc::srtp_profile_from_srtpenc (1, 2) == SrtpProfile::AesCm128HmacSha1_80);
  g_assert_true (rtc::srtp_profile_from_srtpenc (1, 1) == SrtpProfile::AesCm128HmacSha1_32);
  // NULL cipher, AES-256-ICM, AES-128-GCM, AES-256-GCM; NULL auth; out of range
  for (auto [cipher, auth] :
       { std::pair{ 0, 2 }, { 2, 2 }, { 3, 0 }, { 4, 0 }, { 1, 0 }, { 1, 3 }, { -1, 2 } })
    g_assert_false (rtc::srtp_profile_from_srtpenc (cipher, auth).has_value ());
  g_assert_cmpuint (rtc::srtp_tag_len (SrtpProfile::AesCm128HmacSha1_80), ==, 10);
  g_assert_cmpuint (rtc::srtp_tag_len (SrtpProfile::AesCm128HmacSha1_32), ==, 4);
}

/* --- RFC 3711 Appendix B ----------------------------------------------------------------- */

static void
test_rfc3711_b2_aes_cm_keystream ()
{
  const Bytes key = hex ("2B7E151628AED2A6ABF7158809CF4F3C");
  // Session salt F0..FD, SSRC 0, index 0: the IV is the salt shifted by 16 bits.
  const Bytes iv = hex ("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000");
  Bytes ks (0xff02 * 16);
  g_assert_true (rtc::srtp::aes_cm_keystream (key.data (), iv.data (), ks.data (), ks.size ()));
  assert_bytes (ks.data () + 0x0000 * 16, hex ("E03EAD0935C95E80E166B16DD92B4EB4"));
  assert_bytes (ks.data () + 0x0001 * 16, hex ("D23513162B02D0F72A43A2FE4A5F97AB"));
  assert_bytes (ks.data () + 0x0002 * 16, hex ("41E95B3BB0A2E8DD477901E4FCA894C0"));
  assert_bytes (ks.data () + 0xfeff * 16, hex ("EC8CDF7398607CB0F2D21675EA9EA1E4"));
  assert_bytes (ks.data () + 0xff00 * 16, hex ("362B7C3C6773516318A077D7FC5073AE"));
  assert_bytes (ks.data () + 0xff01 * 16, hex ("6A2CC3787889374FBEB4C81B17BA6C44"));
}

static void
test_rfc3711_b3_key_derivation ()
{
  const guint8 *master_key = kKey.data (), *master_salt = kKey.data () + 16;
  guint8 cipher_key[16], cipher_salt[14], auth_key[20];
  g_assert_true (rtc::srtp::derive (master_key, master_salt, 0, cipher_key, sizeof cipher_key));
  g_assert_true (rtc::srtp::derive (master_key, master_salt, 2, cipher_salt, sizeof cipher_salt));
  g_assert_true (rtc::srtp::derive (master_key, master_salt, 1, auth_key, sizeof auth_key));
  assert_bytes (cipher_key, hex ("C61E7A93744F39EE10734AFE3FF7A087"));
  assert_bytes (cipher_salt, hex ("30CBBC08863D8C85D49DB34A9AE1"));
  assert_bytes (auth_key, hex ("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
}

#ifdef HAVE_LIBSRTP2

/* --- against libsrtp2: helpers ---------------------------------------------------------- */

// Ours on @plain in a buffer with room for the trailer; it must be accepted.
static Bytes
protect_rtp (SrtpProtect &p, const Bytes &plain)
{
  Packet pkt (plain);
  const gsize n = p.protect_rtp (pkt.data.data (), pkt.len, pkt.data.size ());
  g_assert_cmpuint (n, ==, plain.size () + rtc::srtp_tag_len (p.profile ()));
  pkt.len = n;
  return pkt.bytes ();
}

static Bytes
protect_rtcp (SrtpProtect &p, const Bytes &plain)
{
  Packet pkt (plain);
  const gsize n = p.protect_rtcp (pkt.data.data (), pkt.len, pkt.data.size ());
  g_assert_cmpuint (n, ==, plain.size () + rtc::kSrtcpTrailerLen);
  pkt.len = n;
  return pkt.bytes ();
}

// A libsrtp2 session with the same key: a receiver (unprotect) or a sender (protect), set up as
// dtlssrtpenc sets srtpenc: SRTCP's tag is 80 bits whatever the profile (RFC 5764 §4.1.2).
class LibSrtp
{
public:
  LibSrtp (SrtpProfile profile, srtp_ssrc_type_t direction)
  {
    srtp_policy_t policy;
    memset (&policy, 0, sizeof policy);
    if (profile == SrtpProfile::AesCm128HmacSha1_80)
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
    else
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (&policy.rtp);
    srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
    policy.ssrc.type = direction;
    policy.key = const_cast<guint8 *> (kKey.data ());
    policy.allow_repeat_tx = 1; // a sender may resend an index (a NACK repair)
    g_assert_cmpint (srtp_create (&session_, &policy), ==, srtp_err_status_ok);
  }
  ~LibSrtp () { srtp_dealloc (session_); }
  LibSrtp (const LibSrtp &) = delete;
  LibSrtp &operator= (const LibSrtp &) = delete;

  // The plain packet, or an empty one when libsrtp2 refuses it.
  Bytes unprotect_rtp (const Bytes &srtp)
  {
    Bytes b = srtp;
    int len = (int)b.size ();
    if (srtp_unprotect (session_, b.data (), &len) != srtp_err_status_ok)
      return {};
    b.resize (len);
    return b;
  }
  Bytes unprotect_rtcp (const Bytes &srtcp)
  {
    Bytes b = srtcp;
    int len = (int)b.size ();
    if (srtp_unprotect_rtcp (session_, b.data (), &len) != srtp_err_status_ok)
      return {};
    b.resize (len);
    return b;
  }
  Bytes protect_rtp (const Bytes &plain)
  {
    Bytes b = plain;
    b.resize (plain.size () + SRTP_MAX_TRAILER_LEN);
    int len = (int)plain.size ();
    g_assert_cmpint (srtp_protect (session_, b.data (), &len), ==, srtp_err_status_ok);
    b.resize (len);
    return b;
  }
  Bytes protect_rtcp (const Bytes &plain)
  {
    Bytes b = plain;
    b.resize (plain.size () + SRTP_MAX_TRAILER_LEN);
    int len = (int)plain.size ();
    g_assert_cmpint (srtp_protect_rtcp (session_, b.data (), &len), ==, srtp_err_status_ok);
    b.resize (len);
    return b;
  }

private:
  srtp_t session_ = nullptr;
};

// The packets of one stream sent from @first_seq on: @count of them, a transport-cc extension on
// each, as the per-viewer send stage makes them.
static std::vector<Bytes>
stream (guint32 ssrc, guint16 first_seq, int count)
{
  std::vector<Bytes> out;
  for (int i = 0; i < count; i++)
    out.push_back (rtp ({ .ssrc = ssrc, .seq = (guint16)(first_seq + i), .twcc = i }));
  return out;
}

/* --- libsrtp2 unprotects ours ------------------------------------------------------------ */

static void
test_libsrtp_unprotects_ours_across_a_sequence_wrap ()
{
  for (SrtpProfile profile : kProfiles)
    {
      auto ours = protector (profile);
      LibSrtp receiver (profile, ssrc_any_inbound);
      for (const Bytes &plain : stream (0xcafe, 65500, 100)) // 65500 .. 65535, 0 .. 63
        {
          const Bytes srtp = protect_rtp (*ours, plain);
          // the payload after the 20-byte header (12 + the extension) is encrypted
          g_assert_true (memcmp (srtp.data () + 20, plain.data () + 20, plain.size () - 20));
          const Bytes back = receiver.unprotect_rtp (srtp);
          g_assert_cmpmem (back.data (), back.size (), plain.data (), plain.size ());
        }
      g_assert_cmpuint (ours->roc (0xcafe), ==, 1);
    }
}

static void
test_libsrtp_unprotects_a_resend_of_a_pre_wrap_packet_after_the_wrap ()
{
  for (SrtpProfile profile : kProfiles)
    {
      auto ours = protector (profile);
      LibSrtp receiver (profile, ssrc_any_inbound);
      const auto plain = stream (0xcafe, 65500, 100);
      std::vector<Bytes> sent;
      for (gsize i = 0; i < plain.size (); i++)
        {
          sent.push_back (protect_rtp (*ours, plain[i]));
          if (i != 30) // 65530 is lost on the way
            g_assert_false (receiver.unprotect_rtp (sent.back ()).empty ());
        }
      // NACK repair after the wrap (highest sent: ROC 1, seq 63) with the original seq: the
      // lost one decrypts, and a resend is the same bytes as the first sending (same index).
      const Bytes resent = protect_rtp (*ours, plain[30]);
      const Bytes back = receiver.unprotect_rtp (resent);
      g_assert_cmpmem (back.data (), back.size (), plain[30].data (), plain[30].size ());
      g_assert_cmpmem (resent.data (), resent.size (), sent[30].data (), sent[30].size ());
      const Bytes again = protect_rtp (*ours, plain[20]);
      g_assert_cmpmem (again.data (), again.size (), sent[20].data (), sent[20].size ());
      g_assert_cmpuint (ours->roc (0xcafe), ==, 1); // a resend does not move the stream back
    }
}

static void
test_header_extension_and_csrcs_stay_clear_and_are_authenticated ()
{
  for (SrtpProfile profile : kProfiles)
    {
      auto ours = protector (profile);
      LibSrtp receiver (profile, ssrc_any_inbound);
      const Bytes plain = rtp ({ .ssrc = 0xbeef,
                                 .seq = 7,
                                 .csrcs = { 0x01020304, 0x05060708 },
                                 .twcc = 0x1234,
                                 .padding = 4,
                                 .payload = 300 });
      const gsize header = 12 + 2 * 4 + 8;
      const Bytes srtp = protect_rtp (*ours, plain);
      assert_bytes (srtp.data (), Bytes (plain.begin (), plain.begin () + header));
      // The padding is payload: encrypted too, its count byte included.
      for (gsize i = plain.size () - 4; i < plain.size (); i++)
        g_assert_cmpuint (srtp[i], !=, plain[i]);
      // The header is covered by the tag: one bit of the transport-cc number changed fails.
      Bytes forged = srtp;
      forged[12 + 8 + 4 + 2] ^= 1;
      g_assert_true (receiver.unprotect_rtp (forged).empty ());
      const Bytes back = receiver.unprotect_rtp (srtp);
      g_assert_cmpmem (back.data (), back.size (), plain.data (), plain.size ());
    }
}

static void
test_libsrtp_unprotects_interleaved_ssrcs_each_with_its_own_rollover ()
{
  // A viewer's video (wraps), its RTX and its audio, one packet of each in turn.
  const guint32 ssrcs[] = { 0x1000, 0x2000, 0x3000 };
  const guint16 firsts[] = { 65500, 0, 30000 };
  for (SrtpProfile profile : kProfiles)
    {
      auto ours = protector (profile);
      LibSrtp receiver (profile, ssrc_any_inbound);
      std::vector<std::vector<Bytes>> streams;
      for (int s = 0; s < 3; s++)
        streams.push_back (stream (ssrcs[s], firsts[s], 100));
      for (int i = 0; i < 100; i++)
        for (int s = 0; s < 3; s++)
          {
            const Bytes &plain = streams[s][i];
            const Bytes back = receiver.unprotect_rtp (protect_rtp (*ours, plain));
            g_assert_cmpmem (back.data (), back.size (), plain.data (), plain.size ());
          }
      g_assert_cmpuint (ours->roc (0x1000), ==, 1);
      g_assert_cmpuint (ours->roc (0x2000), ==, 0);
      g_assert_cmpuint (ours->roc (0x3000), ==, 0);
    }
}

static void
test_libsrtp_unprotects_srtcp_compounds_at_each_index_per_sender_ssrc ()
{
  for (SrtpProfile profile : kProfiles)
    {
      auto ours = protector (profile);
      LibSrtp receiver (profile, ssrc_any_inbound);
      for (guint32 i = 0; i < 5; i++)
        for (guint32 ssrc : { 0x1000u, 0x3000u }) // video's and audio's reports
          {
            const Bytes plain = rtcp_sr_sdes (ssrc, i * 100);
            const Bytes srtcp = protect_rtcp (*ours, plain);
            assert_bytes (srtcp.data (), Bytes (plain.begin (), plain.begin () + 8));
            g_assert_true (memcmp (srtcp.data () + 8, plain.data () + 8, plain.size () - 8));
            // E flag and the sender's own index from 0, then an 80-bit tag even with _32.
            guint8 trailer[4] = { 0x80, 0, 0, (guint8)i };
            g_assert_cmpmem (srtcp.data () + plain.size (), 4, trailer, 4);
            g_assert_cmpuint (srtcp.size () - plain.size () - 4, ==, 10);
            const Bytes back = receiver.unprotect_rtcp (srtcp);
            g_assert_cmpmem (back.data (), back.size (), plain.data (), plain.size ());
          }
    }
}

/* --- libsrtp2 protects as we do ---------------------------------------------------------- */

static void
test_libsrtp_protects_rtp_byte_for_byte_as_ours ()
{
  for (SrtpProfile profile : kProfiles)
    {
      auto ours = protector (profile);
      LibSrtp theirs (profile, ssrc_any_outbound);
      std::vector<Bytes> packets;
      // A wrapping stream with extensions interleaved with one with CSRCs and padding, then
      // resends of pre-wrap packets after the wrap.
      const auto video = stream (0x1000, 65500, 100);
      for (int i = 0; i < 100; i++)
        {
          packets.push_back (video[i]);
          packets.push_back (rtp ({ .ssrc = 0x2000,
                                    .seq = (guint16)(40000 + i),
                                    .csrcs = { 0xaabbccdd },
                                    .padding = (guint8)(i % 3 ? 0 : 16),
                                    .payload = (gsize)(i * 11 % 1200) }));
        }
      packets.push_back (video[10]);
      packets.push_back (video[35]);
      for (const Bytes &plain : packets)
        {
          const Bytes a = protect_rtp (*ours, plain);
          const Bytes b = theirs.protect_rtp (plain);
          g_assert_cmpmem (a.data (), a.size (), b.data (), b.size ());
        }
    }
}

static void
test_libsrtp_protects_srtcp_byte_for_byte_as_ours ()
{
  for (SrtpProfile profile : kProfiles)
    {
      auto ours = protector (profile);
      LibSrtp theirs (profile, ssrc_any_outbound);
      for (guint32 ssrc : { 0x1000u, 0x3000u })
        {
          // libsrtp2 counts SRTCP from 1 (it increments before sending), RFC 3711 §3.4 from 0
          // as we do: our index 0 goes on a packet libsrtp2 never sees.
          protect_rtcp (*ours, rtcp_sr_sdes (ssrc, 0));
          for (guint32 i = 1; i <= 5; i++)
            {
              const Bytes plain = rtcp_sr_sdes (ssrc, i);
              const Bytes a = protect_rtcp (*ours, plain);
              const Bytes b = theirs.protect_rtcp (plain);
              g_assert_cmpmem (a.data (), a.size (), b.data (), b.size ());
            }
        }
    }
}

#endif // HAVE_LIBSRTP2

/* --- bad input --------------------------------------------------------------------------- */

// protect_*() on @bytes with @capacity (>= its size): returns 0 and writes nothing, not even
// past the packet.
static void
assert_refused (bool rtcp, const Bytes &bytes, gsize capacity)
{
  auto ours = protector (SrtpProfile::AesCm128HmacSha1_80);
  Bytes buf = bytes;
  buf.resize (capacity + 32, 0xa5);
  const Bytes before = buf;
  const gsize n = rtcp ? ours->protect_rtcp (buf.data (), bytes.size (), capacity)
                       : ours->protect_rtp (buf.data (), bytes.size (), capacity);
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpmem (buf.data (), buf.size (), before.data (), before.size ());
}

static void
test_truncated_packets_are_refused_untouched ()
{
  const Bytes full = rtp ({ .csrcs = { 1, 2, 3 }, .twcc = 9, .payload = 0 }); // 12 + 12 + 8
  for (gsize len : { 0, 1, 11, 12, 23, 24, 27, 31 })
    assert_refused (false, Bytes (full.begin (), full.begin () + len), 64);
  // CSRCs past the end, without an extension.
  const Bytes csrcs = rtp ({ .csrcs = { 1, 2, 3 }, .payload = 0 });
  assert_refused (false, Bytes (csrcs.begin (), csrcs.begin () + 20), 64);
  // An extension whose length runs past the packet.
  Bytes long_ext = rtp ({ .twcc = 1, .payload = 4 });
  long_ext[12 + 3] = 3; // 12 bytes of elements where 4 and the payload's 4 are
  assert_refused (false, long_ext, 64);
  // Not RTP version 2.
  Bytes v1 = rtp ({});
  v1[0] = 0x40;
  assert_refused (false, v1, 256);
  // RTCP shorter than its first header and SSRC.
  const Bytes sr = rtcp_sr_sdes (1, 1);
  for (gsize len : { 0, 4, 7 })
    assert_refused (true, Bytes (sr.begin (), sr.begin () + len), 64);
  // The whole header and nothing else is a packet (an empty payload).
  auto ours = protector (SrtpProfile::AesCm128HmacSha1_80);
  Packet empty (full);
  g_assert_cmpuint (ours->protect_rtp (empty.data.data (), empty.len, empty.data.size ()), ==,
                    full.size () + 10);
}

static void
test_no_room_for_the_tag_is_refused_untouched ()
{
  const Bytes plain = rtp ({ .payload = 100 });
  assert_refused (false, plain, plain.size () + 9);
  assert_refused (false, plain, plain.size ());
  const Bytes sr = rtcp_sr_sdes (1, 1);
  assert_refused (true, sr, sr.size () + rtc::kSrtcpTrailerLen - 1);
  // _32's SRTP tag is 4 bytes: room for 4 is enough.
  auto ours = protector (SrtpProfile::AesCm128HmacSha1_32);
  Bytes buf = plain;
  buf.resize (plain.size () + 4);
  g_assert_cmpuint (ours->protect_rtp (buf.data (), plain.size (), buf.size ()), ==, buf.size ());
  buf.resize (plain.size () + 3);
  memcpy (buf.data (), plain.data (), plain.size ());
  g_assert_cmpuint (ours->protect_rtp (buf.data (), plain.size (), buf.size ()), ==, 0);
}

static void
test_a_key_of_another_length_is_refused ()
{
  Bytes long_key = kKey;
  long_key.push_back (0);
  for (gsize len : { 0, 16, 29 })
    g_assert_null (
        SrtpProtect::create (SrtpProfile::AesCm128HmacSha1_80, kKey.data (), len).get ());
  g_assert_null (
      SrtpProtect::create (SrtpProfile::AesCm128HmacSha1_80, long_key.data (), long_key.size ())
          .get ());
  g_assert_null (SrtpProtect::create (SrtpProfile::AesCm128HmacSha1_80, nullptr, 30).get ());
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
#ifdef HAVE_LIBSRTP2
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);
#endif
  g_test_add_func ("/srtp/srtpenc-aes-128-icm-with-hmac-sha1-80-or-32-are-the-profiles",
                   test_srtpenc_aes_128_icm_with_hmac_sha1_80_or_32_are_the_profiles);
  g_test_add_func ("/srtp/rfc3711-b2-aes-cm-keystream", test_rfc3711_b2_aes_cm_keystream);
  g_test_add_func ("/srtp/rfc3711-b3-key-derivation", test_rfc3711_b3_key_derivation);
#ifdef HAVE_LIBSRTP2
  g_test_add_func ("/srtp/libsrtp-unprotects-ours-across-a-sequence-wrap",
                   test_libsrtp_unprotects_ours_across_a_sequence_wrap);
  g_test_add_func ("/srtp/libsrtp-unprotects-a-resend-of-a-pre-wrap-packet-after-the-wrap",
                   test_libsrtp_unprotects_a_resend_of_a_pre_wrap_packet_after_the_wrap);
  g_test_add_func ("/srtp/header-extension-and-csrcs-stay-clear-and-are-authenticated",
                   test_header_extension_and_csrcs_stay_clear_and_are_authenticated);
  g_test_add_func ("/srtp/libsrtp-unprotects-interleaved-ssrcs-each-with-its-own-rollover",
                   test_libsrtp_unprotects_interleaved_ssrcs_each_with_its_own_rollover);
  g_test_add_func ("/srtp/libsrtp-unprotects-srtcp-compounds-at-each-index-per-sender-ssrc",
                   test_libsrtp_unprotects_srtcp_compounds_at_each_index_per_sender_ssrc);
  g_test_add_func ("/srtp/libsrtp-protects-rtp-byte-for-byte-as-ours",
                   test_libsrtp_protects_rtp_byte_for_byte_as_ours);
  g_test_add_func ("/srtp/libsrtp-protects-srtcp-byte-for-byte-as-ours",
                   test_libsrtp_protects_srtcp_byte_for_byte_as_ours);
#else
  g_test_add_func ("/srtp/libsrtp-comparisons",
                   [] { g_test_skip ("built without libsrtp2 (-Dtests=enabled requires it)"); });
#endif
  g_test_add_func ("/srtp/truncated-packets-are-refused-untouched",
                   test_truncated_packets_are_refused_untouched);
  g_test_add_func ("/srtp/no-room-for-the-tag-is-refused-untouched",
                   test_no_room_for_the_tag_is_refused_untouched);
  g_test_add_func ("/srtp/a-key-of-another-length-is-refused",
                   test_a_key_of_another_length_is_refused);
  const int ret = g_test_run ();
#ifdef HAVE_LIBSRTP2
  srtp_shutdown ();
#endif
  return ret;
}
