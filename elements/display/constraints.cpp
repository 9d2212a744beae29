#include "elements/display/constraints.h"

#include "elements/common/media-constraints.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <vector>

namespace rtc::display
{

static std::string
trim (const std::string &s)
{
  size_t b = s.find_first_not_of (" \t");
  if (b == std::string::npos)
    return {};
  size_t e = s.find_last_not_of (" \t");
  return s.substr (b, e - b + 1);
}

static std::vector<std::string>
split (const std::string &s, char sep)
{
  std::vector<std::string> out;
  size_t start = 0;
  while (true)
    {
      size_t pos = s.find (sep, start);
      out.push_back (trim (s.substr (start, pos == std::string::npos ? pos : pos - start)));
      if (pos == std::string::npos)
        return out;
      start = pos + 1;
    }
}

// A whole positive decimal number below 1 << 20 (no sign, no suffix).
static bool
parse_number (const std::string &text, unsigned *out)
{
  if (text.empty () || text.size () > 7
      || !std::all_of (text.begin (), text.end (), [] (char c) { return c >= '0' && c <= '9'; }))
    return false;
  *out = (unsigned)std::strtoul (text.c_str (), nullptr, 10);
  return *out > 0 && *out < (1u << 20);
}

bool
parse_constraints (const std::string &text, Constraints *out, std::string *error)
{
  // The one text form of the capture sources (common/media-constraints.h); a screen takes
  // width, height and frame-rate, each ideal or exact, in whole numbers.
  um::Constraints parsed;
  um::ParseError why;
  if (!um::parse_constraints (text.c_str (), um::Kind::Display, parsed, why))
    {
      *error = "video-constraints: " + why.message;
      return false;
    }
  Constraints c;
  for (const um::Constraint &item : parsed.items)
    {
      if (item.min || item.max)
        {
          *error = "video-constraints: \"" + item.name
                   + "\" takes an ideal or exact value here (min and max are for cameras)";
          return false;
        }
      const double v = item.exact ? *item.exact : item.ideal ? *item.ideal : 0;
      if (v < 1 || v != (double)(unsigned)v)
        {
          *error = "video-constraints: field \"" + item.name + "\" is " + item.describe ()
                   + ", not a positive whole number (write " + item.name + "=N or " + item.name
                   + "=exact:N)";
          return false;
        }
      const Value value{ (unsigned)v, item.exact.has_value () };
      if (item.name == "width")
        c.width = value;
      else if (item.name == "height")
        c.height = value;
      else
        c.frame_rate = value;
    }
  *out = c;
  return true;
}

bool
parse_region (const std::string &text, Region *out, std::string *error)
{
  std::vector<std::string> parts = split (text, ',');
  static const char *const names[] = { "x", "y", "width", "height" };
  if (parts.size () != 4)
    {
      *error = "region \"" + text + "\" is not x,y,width,height (e.g. region=0,0,640,480)";
      return false;
    }
  unsigned v[4];
  for (int i = 0; i < 4; i++)
    {
      if (i < 2 && parts[i] == "0")
        {
          v[i] = 0;
          continue;
        }
      bool ok = parse_number (parts[i], &v[i]);
      if (!ok)
        {
          *error = std::string ("region: ") + names[i] + " is \"" + parts[i] + "\", not "
                   + (i < 2 ? "a whole number >= 0" : "a whole number > 0") + " (region \"" + text
                   + "\", expected x,y,width,height)";
          return false;
        }
    }
  *out = Region{ v[0], v[1], v[2], v[3] };
  return true;
}

static unsigned
even (double v)
{
  unsigned r = (unsigned)(v + 0.5);
  r &= ~1u;
  return std::max (r, 2u);
}

std::optional<Size>
output_size (const Constraints &c, Size source)
{
  if (!c.width && !c.height)
    return std::nullopt;
  if (source.width == 0 || source.height == 0)
    return std::nullopt;
  double aspect = (double)source.width / source.height;
  bool w_exact = c.width && c.width->exact, h_exact = c.height && c.height->exact;
  Size out;
  if (w_exact && h_exact)
    out = { c.width->value, c.height->value };
  else if (w_exact)
    out = { c.width->value, even (c.width->value / aspect) };
  else if (h_exact)
    out = { even (c.height->value * aspect), c.height->value };
  else
    {
      // Ideal: the largest picture of the source's aspect ratio inside what was asked.
      double w = c.width ? c.width->value : 1e9, h = c.height ? c.height->value : 1e9;
      double scale = std::min (w / source.width, h / source.height);
      out = { even (source.width * scale), even (source.height * scale) };
    }
  if (out == source)
    return std::nullopt;
  return out;
}

} // namespace rtc::display
