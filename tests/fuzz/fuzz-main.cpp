/* Standalone driver for the fuzz targets, so the suite runs them without clang/libFuzzer:
 * replays every file of a corpus directory, then a deterministic series of mutations of it.
 * Usage: fuzz-protocol-replay CORPUS_DIR [ITERATIONS] */
#include <glib.h>

#include <cstdint>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
/* Optional, as in libFuzzer: one-time set-up of a target. */
extern "C" int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

namespace
{

/* xorshift64*: fixed seed, so a failure reproduces on every machine. */
struct Rng
{
  guint64 s = 0x9E3779B97F4A7C15ull;
  guint64
  next ()
  {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  size_t
  below (size_t n)
  {
    return n ? static_cast<size_t> (next () % n) : 0;
  }
};

const char *const kTokens[] = {
  "{", "}", "[", "]", ",", ":", "\"", "null", "true", "-1", "1e999", "65536", "\\u0000", "\n",
  "\"type\":", "\"peer\"", "\"startSession\"", "\"endSession\"", "\"setPeerStatus\"",
  "\"sessionId\":\"@S\"", "\"peerId\":\"@L\"", "\"peerId\":\"@A\"", "\"roles\":[\"producer\"]",
  "\"roles\":[\"listener\"]", "\"sdp\":{\"type\":\"offer\",\"sdp\":\"v=0\"}",
  "\"ice\":{\"candidate\":\"\",\"sdpMLineIndex\":0}", "\nx0\n", "\nLe\n", "\nb", "\xff",
};

std::string
mutate (Rng &rng, const std::vector<std::string> &corpus)
{
  std::string s = corpus[rng.below (corpus.size ())];
  const size_t rounds = 1 + rng.below (6);
  for (size_t r = 0; r < rounds; r++)
    {
      const size_t pos = rng.below (s.size () + 1);
      switch (rng.below (6))
        {
        case 0: /* flip a bit */
          if (!s.empty ())
            s[rng.below (s.size ())] ^= static_cast<char> (1u << rng.below (8));
          break;
        case 1: /* insert a random byte */
          s.insert (pos, 1, static_cast<char> (rng.below (256)));
          break;
        case 2: /* delete a range */
          if (!s.empty ())
            s.erase (pos < s.size () ? pos : 0, 1 + rng.below (16));
          break;
        case 3: /* insert a protocol token */
          s.insert (pos, kTokens[rng.below (G_N_ELEMENTS (kTokens))]);
          break;
        case 4: /* splice another input */
          {
            const std::string &o = corpus[rng.below (corpus.size ())];
            const size_t from = rng.below (o.size () + 1);
            s.insert (pos, o.substr (from, rng.below (o.size () - from + 1)));
            break;
          }
        default: /* duplicate a range */
          if (!s.empty ())
            {
              const size_t from = rng.below (s.size ());
              s.insert (pos, s.substr (from, 1 + rng.below (32)));
            }
          break;
        }
    }
  return s;
}

} // namespace

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      g_printerr ("usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
      return 2;
    }
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize (&argc, &argv);
  const guint64 iterations = argc > 2 ? g_ascii_strtoull (argv[2], nullptr, 10) : 3000;
  g_autoptr (GError) err = nullptr;
  g_autoptr (GDir) dir = g_dir_open (argv[1], 0, &err);
  if (!dir)
    {
      g_printerr ("%s\n", err->message);
      return 1;
    }
  std::vector<std::string> corpus;
  std::vector<std::string> names;
  while (const char *name = g_dir_read_name (dir))
    names.emplace_back (name);
  std::sort (names.begin (), names.end ());
  for (const auto &name : names)
    {
      g_autofree gchar *path = g_build_filename (argv[1], name.c_str (), nullptr);
      gchar *contents = nullptr;
      gsize len = 0;
      if (!g_file_get_contents (path, &contents, &len, nullptr))
        continue;
      corpus.emplace_back (contents, len);
      g_free (contents);
      LLVMFuzzerTestOneInput (reinterpret_cast<const uint8_t *> (corpus.back ().data ()),
                              corpus.back ().size ());
    }
  if (corpus.empty ())
    {
      g_printerr ("empty corpus in %s\n", argv[1]);
      return 1;
    }
  Rng rng;
  for (guint64 i = 0; i < iterations; i++)
    {
      const std::string input = mutate (rng, corpus);
      if (g_getenv ("FUZZ_DUMP_LAST") && i + 1 == iterations)
        g_file_set_contents (g_getenv ("FUZZ_DUMP_LAST"), input.data (), input.size (), nullptr);
      LLVMFuzzerTestOneInput (reinterpret_cast<const uint8_t *> (input.data ()), input.size ());
    }
  g_print ("replayed %zu corpus files and %" G_GUINT64_FORMAT " mutations\n", corpus.size (),
           iterations);
  return 0;
}
