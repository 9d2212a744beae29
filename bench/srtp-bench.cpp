// SRTP protect of 1200-byte RTP packets (AES_CM_128_HMAC_SHA1_80): ours
// (elements/send/srtp-protect.cpp, libcrypto) against libsrtp2 (Debian's, through NSS), for
// bench/README.md, "SRTP: our own protect against libsrtp2".
//
//   build/bench/srtp-bench [PACKETS]          wall-clock ns per packet of each, best and median
//                                             of 5 rounds of PACKETS (default 20000)
//   valgrind --tool=callgrind --toggle-collect=protect_ours build/bench/srtp-bench 2000
//   valgrind --tool=callgrind --toggle-collect=protect_libsrtp build/bench/srtp-bench 2000
//                                             instructions: the "Collected" total / (6 x 2000)
//                                             (a warm-up round and 5 timed ones)
//   build/bench/srtp-bench --count [PACKETS]  instructions per packet on this CPU, counted by
//                                             single-stepping a child (ptrace; default 20)
//
// valgrind's CPU has no SHA extensions (it cannot run them, and CPUID says so), so under
// callgrind libcrypto's SHA-1 takes its AVX2 path; --count gives what the real CPU runs.
#include "send/srtp-protect.h"

#ifdef HAVE_LIBSRTP2
#include <srtp2/srtp.h>
#endif

#include <glib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace
{

constexpr gsize kPacketLen = 1200;
constexpr gsize kCapacity = kPacketLen + 16;
guint8 kKey[30]
    = { 0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
        0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6 };

// One 1200-byte packet protected in place again and again: only its sequence number changes
// (the payload's bytes cost the same whatever they are).
guint8 packet[kCapacity];
guint16 seq = 0;

void
next_packet ()
{
  seq++;
  packet[2] = seq >> 8;
  packet[3] = seq & 0xff;
}

rtc::SrtpProtect *ours;
#ifdef HAVE_LIBSRTP2
srtp_t theirs;
#endif

} // namespace

// Not inlined: callgrind's --toggle-collect counts from here.
extern "C" G_GNUC_NO_INLINE gsize
protect_ours ()
{
  return ours->protect_rtp (packet, kPacketLen, kCapacity);
}

#ifdef HAVE_LIBSRTP2
extern "C" G_GNUC_NO_INLINE gsize
protect_libsrtp ()
{
  int len = kPacketLen;
  return srtp_protect (theirs, packet, &len) == srtp_err_status_ok ? len : 0;
}
#endif

extern "C" G_GNUC_NO_INLINE gsize
protect_nothing ()
{
  return kPacketLen;
}

namespace
{

using Protect = gsize (*) ();

void
run (Protect protect, guint packets)
{
  for (guint i = 0; i < packets; i++)
    {
      next_packet ();
      if (!protect ())
        {
          fprintf (stderr, "protect failed\n");
          exit (1);
        }
    }
}

// ns per packet: best and median of 5 rounds, after a warm-up round.
void
time_it (const char *name, Protect protect, guint packets)
{
  run (protect, packets);
  std::vector<double> ns;
  for (int round = 0; round < 5; round++)
    {
      const auto start = std::chrono::steady_clock::now ();
      run (protect, packets);
      const std::chrono::duration<double, std::nano> d = std::chrono::steady_clock::now () - start;
      ns.push_back (d.count () / packets);
    }
  std::sort (ns.begin (), ns.end ());
  printf ("%-10s %8.0f ns per packet (best), %8.0f (median)\n", name, ns[0], ns[2]);
}

// Instructions that @packets calls of @protect run on this CPU: a child single-stepped by
// ptrace between two stops, less the same loop around a function that does nothing.
guint64
steps (Protect protect, guint packets)
{
  const pid_t pid = fork ();
  if (pid == 0)
    {
      ptrace (PTRACE_TRACEME, 0, nullptr, nullptr);
      raise (SIGSTOP);
      run (protect, packets);
      raise (SIGSTOP);
      _exit (0);
    }
  int status = 0;
  waitpid (pid, &status, 0);
  guint64 n = 0;
  while (ptrace (PTRACE_SINGLESTEP, pid, nullptr, nullptr) == 0 && waitpid (pid, &status, 0) == pid
         && WIFSTOPPED (status) && WSTOPSIG (status) == SIGTRAP)
    n++;
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
  return n;
}

void
count_it (const char *name, Protect protect, guint packets)
{
  run (protect, 100); // the first packets' lazy set-up (a new SSRC, libsrtp2's stream clone)
  const guint64 n = steps (protect, packets), base = steps (protect_nothing, packets);
  printf ("%-10s %8.0f instructions per packet (single-stepped, %u packets)\n", name,
          (double)(n - base) / packets, packets);
}

} // namespace

int
main (int argc, char **argv)
{
  const bool count = argc > 1 && !strcmp (argv[1], "--count");
  const int first = count ? 2 : 1;
  const guint packets = argc > first ? strtoul (argv[first], nullptr, 10) : (count ? 20 : 20000);

  packet[0] = 0x80;
  packet[1] = 96;
  packet[8] = 0x12;
  packet[9] = 0x34;
  packet[10] = 0x56;
  packet[11] = 0x78;
  for (gsize i = 12; i < kPacketLen; i++)
    packet[i] = (guint8)i;

  auto p = rtc::SrtpProtect::create (rtc::SrtpProfile::AesCm128HmacSha1_80, kKey, sizeof kKey);
  ours = p.get ();
#ifdef HAVE_LIBSRTP2
  srtp_init ();
  srtp_policy_t policy;
  memset (&policy, 0, sizeof policy);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
  srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = kKey;
  if (srtp_create (&theirs, &policy) != srtp_err_status_ok)
    return 1;
#endif

  auto measure = count ? count_it : time_it;
  measure ("ours", protect_ours, packets);
#ifdef HAVE_LIBSRTP2
  measure ("libsrtp2", protect_libsrtp, packets);
  srtp_dealloc (theirs);
  srtp_shutdown ();
#else
  printf ("libsrtp2: not built in (no libsrtp2 found)\n");
#endif
  return 0;
}
