/* The fuzz targets' assertion: the property that failed, then abort(), which libFuzzer reports
 * as a crash (with the input saved) and the replay driver as a failed test. */
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                           \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          std::fprintf (stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);      \
          std::abort ();                                                                           \
        }                                                                                          \
    }                                                                                              \
  while (0)
