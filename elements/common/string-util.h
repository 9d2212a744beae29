// Small string helpers shared by the elements.
#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace rtc
{

// "a, b,c" -> {"a", "b", "c"}: split on commas and spaces, empty items dropped.
inline std::vector<std::string>
split_list (const std::string &s)
{
  std::vector<std::string> out;
  gchar **parts = g_strsplit_set (s.c_str (), ", ", -1);
  for (gchar **p = parts; p && *p; p++)
    if (**p)
      out.emplace_back (*p);
  g_strfreev (parts);
  return out;
}

} // namespace rtc
