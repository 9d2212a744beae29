/* rtc::sdp: see sdp-text.h. */
#include "sdp-text.h"

namespace rtc::sdp
{

std::vector<std::string>
split_lines (std::string_view text)
{
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size ())
    {
      const size_t nl = text.find ('\n', pos);
      std::string line (
          text.substr (pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
      if (!line.empty () && line.back () == '\r')
        line.pop_back ();
      lines.push_back (std::move (line));
      if (nl == std::string_view::npos)
        break;
      pos = nl + 1;
    }
  return lines;
}

std::string
add_candidates (std::string_view sdp, const std::vector<std::pair<guint, std::string>> &candidates,
                bool complete)
{
  std::string out;
  int section = -1;
  auto flush = [&] (int idx) {
    if (idx < 0)
      return;
    for (const auto &[mline, cand] : candidates)
      if (mline == static_cast<guint> (idx) && !cand.empty ())
        out += "a=" + cand + "\r\n";
    if (complete)
      out += "a=end-of-candidates\r\n";
  };
  for (const auto &line : split_lines (sdp))
    {
      if (line.empty ())
        continue;
      if (line.rfind ("m=", 0) == 0)
        flush (section++);
      out += line + "\r\n";
    }
  flush (section);
  return out;
}

namespace
{

/* "<letter>=<anything>", the shape of every SDP line. */
bool
is_sdp_line (const std::string &line)
{
  return line.size () >= 2 && g_ascii_isalpha (line[0]) && line[1] == '=';
}

bool
starts_with (const std::string &s, std::string_view prefix)
{
  return s.compare (0, prefix.size (), prefix) == 0;
}

} // namespace

std::optional<OfferInfo>
parse_offer (std::string_view body, std::string &why)
{
  if (!g_utf8_validate (body.data (), static_cast<gssize> (body.size ()), nullptr))
    {
      why = "the body is not an SDP offer: not UTF-8 text";
      return std::nullopt;
    }
  std::vector<std::string> lines = split_lines (body);
  if (lines.empty () || lines[0] != "v=0")
    {
      why = "the body is not an SDP offer: it must start with \"v=0\"";
      return std::nullopt;
    }
  OfferInfo info;
  for (size_t i = 0; i < lines.size (); i++)
    {
      const std::string &line = lines[i];
      if (line.empty () && i + 1 == lines.size ())
        continue;
      if (!is_sdp_line (line))
        {
          why = "the body is not an SDP offer: line " + std::to_string (i + 1)
                + " is not <type>=<value>";
          return std::nullopt;
        }
      if (starts_with (line, "m="))
        info.mids.emplace_back ();
      else if (starts_with (line, "a=mid:") && !info.mids.empty ())
        info.mids.back () = line.substr (6);
      else if (starts_with (line, "a=ice-ufrag:") && info.ufrag.empty ())
        info.ufrag = line.substr (12);
      else if (starts_with (line, "a=ice-pwd:") && info.pwd.empty ())
        info.pwd = line.substr (10);
    }
  if (info.mids.empty ())
    {
      why = "the SDP offer has no media (no m= line)";
      return std::nullopt;
    }
  return info;
}

std::optional<Fragment>
parse_fragment (std::string_view body, std::string &why)
{
  if (!g_utf8_validate (body.data (), static_cast<gssize> (body.size ()), nullptr))
    {
      why = "the SDP fragment is not UTF-8 text";
      return std::nullopt;
    }
  Fragment frag;
  auto set_once = [&] (std::optional<std::string> &slot, std::string value, const char *name) {
    if (slot && *slot != value)
      {
        why = std::string ("the SDP fragment has two different a=") + name;
        return false;
      }
    slot = std::move (value);
    return true;
  };
  const std::vector<std::string> lines = split_lines (body);
  for (size_t i = 0; i < lines.size (); i++)
    {
      const std::string &line = lines[i];
      if (line.empty ())
        continue;
      if (!is_sdp_line (line))
        {
          why = "the SDP fragment's line " + std::to_string (i + 1) + " is not <type>=<value>";
          return std::nullopt;
        }
      Fragment::Section *section = frag.sections.empty () ? nullptr : &frag.sections.back ();
      if (starts_with (line, "m="))
        frag.sections.emplace_back ();
      else if (starts_with (line, "a=mid:"))
        {
          if (!section)
            {
              why = "the SDP fragment has an a=mid before any m= line";
              return std::nullopt;
            }
          section->mid = line.substr (6);
        }
      else if (starts_with (line, "a=candidate:"))
        {
          if (!section)
            {
              why = "the SDP fragment has an a=candidate before any m= line";
              return std::nullopt;
            }
          /* "candidate:" alone names no transport address. */
          if (line.size () <= 12)
            {
              why = "the SDP fragment has an empty a=candidate line";
              return std::nullopt;
            }
          section->candidates.push_back (line.substr (2));
        }
      else if (line == "a=end-of-candidates")
        {
          if (section)
            section->end_of_candidates = true;
          else
            frag.end_of_candidates = true;
        }
      else if (starts_with (line, "a=ice-ufrag:"))
        {
          if (!set_once (frag.ufrag, line.substr (12), "ice-ufrag"))
            return std::nullopt;
        }
      else if (starts_with (line, "a=ice-pwd:"))
        {
          if (!set_once (frag.pwd, line.substr (10), "ice-pwd"))
            return std::nullopt;
        }
    }
  return frag;
}

} // namespace rtc::sdp
