#include "elements/common/media-constraints.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>

namespace rtc::um
{

namespace
{

struct Known
{
  const char *name;
  Type type;
  Kind kind;
  double lo, hi;              // numbers: the values that make sense at all
  const char *const *choices; // strings: the allowed values, or nullptr for any
};

const char *const kFacingModes[] = { "user", "environment", "left", "right", nullptr };

// One row per constraint the element understands (mediacapture-main names, in kebab-case).
const Known kKnown[] = {
  { "width", Type::Number, Kind::Video, 1, 16384, nullptr },
  { "height", Type::Number, Kind::Video, 1, 16384, nullptr },
  { "frame-rate", Type::Number, Kind::Video, 0, 1000, nullptr },
  { "aspect-ratio", Type::Number, Kind::Video, 0.01, 100, nullptr },
  { "facing-mode", Type::String, Kind::Video, 0, 0, kFacingModes },
  { "device-id", Type::String, Kind::Video, 0, 0, nullptr },
  { "sample-rate", Type::Number, Kind::Audio, 1000, 384000, nullptr },
  { "channel-count", Type::Number, Kind::Audio, 1, 64, nullptr },
  { "sample-size", Type::Number, Kind::Audio, 8, 64, nullptr },
  { "echo-cancellation", Type::Bool, Kind::Audio, 0, 0, nullptr },
  { "noise-suppression", Type::Bool, Kind::Audio, 0, 0, nullptr },
  { "auto-gain-control", Type::Bool, Kind::Audio, 0, 0, nullptr },
  { "device-id", Type::String, Kind::Audio, 0, 0, nullptr },
  { "width", Type::Number, Kind::Display, 1, 16384, nullptr },
  { "height", Type::Number, Kind::Display, 1, 16384, nullptr },
  { "frame-rate", Type::Number, Kind::Display, 1, 120, nullptr },
};

const Known *
known (const std::string &name, Kind kind)
{
  for (const auto &k : kKnown)
    if (k.kind == kind && name == k.name)
      return &k;
  return nullptr;
}

std::string
trim (const std::string &s)
{
  size_t a = s.find_first_not_of (" \t\n");
  if (a == std::string::npos)
    return {};
  size_t b = s.find_last_not_of (" \t\n");
  return s.substr (a, b - a + 1);
}

std::vector<std::string>
split (const std::string &s, char sep)
{
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in (s);
  while (std::getline (in, cur, sep))
    out.push_back (cur);
  if (!s.empty () && s.back () == sep)
    out.emplace_back ();
  return out;
}

std::optional<double>
parse_number (const std::string &text)
{
  if (text.empty ())
    return std::nullopt;
  errno = 0;
  char *end = nullptr;
  double v = std::strtod (text.c_str (), &end);
  if (errno || *end || !std::isfinite (v))
    return std::nullopt;
  return v;
}

std::string
format_number (double v)
{
  std::ostringstream o;
  o << v;
  return o.str ();
}

bool
fail (ParseError &e, const std::string &field, std::string message)
{
  e.field = field;
  e.message = std::move (message);
  return false;
}

bool
parse_value (const Known &k, const std::string &value_text, Constraint &c, ParseError &e)
{
  const std::string &name = c.name;
  if (trim (value_text).empty ())
    return fail (e, name, "'" + name + "' has no value");
  for (const std::string &raw : split (value_text, ';'))
    {
      std::string part = trim (raw);
      std::string qual = "ideal", v = part;
      size_t colon = part.find (':');
      if (colon != std::string::npos)
        {
          qual = trim (part.substr (0, colon));
          v = trim (part.substr (colon + 1));
        }
      if (qual != "ideal" && qual != "exact" && qual != "min" && qual != "max")
        return fail (e, name,
                     "'" + name + "': unknown qualifier '" + qual
                         + "' (use exact:, ideal:, min: or max:)");
      if (k.type != Type::Number && (qual == "min" || qual == "max"))
        return fail (e, name, "'" + name + "' takes no " + qual + ": (only exact: or ideal:)");

      if (k.type == Type::Number)
        {
          std::optional<double> n = parse_number (v);
          if (!n)
            return fail (e, name, "'" + name + "': '" + v + "' is not a number");
          if (*n < k.lo || *n > k.hi)
            return fail (e, name,
                         "'" + name + "': " + v + " is outside " + format_number (k.lo) + " to "
                             + format_number (k.hi));
          std::optional<double> &slot = qual == "exact"   ? c.exact
                                        : qual == "ideal" ? c.ideal
                                        : qual == "min"   ? c.min
                                                          : c.max;
          if (slot)
            return fail (e, name, "'" + name + "' has " + qual + " twice");
          slot = n;
        }
      else
        {
          if (v.empty ())
            return fail (e, name, "'" + name + "' has no value");
          if (k.type == Type::Bool && v != "true" && v != "false")
            return fail (e, name, "'" + name + "': '" + v + "' is not true or false");
          if (k.choices)
            {
              bool ok = false;
              std::string all;
              for (const char *const *ch = k.choices; *ch; ch++)
                {
                  ok |= v == *ch;
                  all += (all.empty () ? "" : ", ") + std::string (*ch);
                }
              if (!ok)
                return fail (e, name, "'" + name + "': '" + v + "' is not one of " + all);
            }
          std::optional<std::string> &slot = qual == "exact" ? c.exact_text : c.ideal_text;
          if (slot)
            return fail (e, name, "'" + name + "' has " + qual + " twice");
          slot = v;
        }
    }
  if (c.min && c.max && *c.min > *c.max)
    return fail (e, name, "'" + name + "': min is above max");
  if (c.exact && ((c.min && *c.exact < *c.min) || (c.max && *c.exact > *c.max)))
    return fail (e, name, "'" + name + "': exact is outside min/max");
  return true;
}

} // namespace

bool
Constraint::required () const
{
  return exact || min || max || exact_text;
}

std::string
Constraint::describe () const
{
  std::vector<std::string> parts;
  if (exact)
    parts.push_back ("exact:" + format_number (*exact));
  if (exact_text)
    parts.push_back ("exact:" + *exact_text);
  if (min)
    parts.push_back ("min:" + format_number (*min));
  if (max)
    parts.push_back ("max:" + format_number (*max));
  if (ideal)
    parts.push_back ("ideal:" + format_number (*ideal));
  if (ideal_text)
    parts.push_back ("ideal:" + *ideal_text);
  std::string out = name + "=";
  for (size_t i = 0; i < parts.size (); i++)
    out += (i ? ";" : "") + parts[i];
  return out;
}

const Constraint *
Constraints::find (const std::string &name) const
{
  for (const auto &c : items)
    if (c.name == name)
      return &c;
  return nullptr;
}

std::optional<double>
Constraints::target (const std::string &name, std::optional<double> fallback) const
{
  const Constraint *c = find (name);
  if (!c)
    return fallback;
  if (c->exact)
    return c->exact;
  std::optional<double> t = c->ideal ? c->ideal : fallback;
  if (!t)
    t = c->min ? c->min : c->max;
  if (c->min)
    t = std::max (*t, *c->min);
  if (c->max)
    t = std::min (*t, *c->max);
  return t;
}

std::optional<bool>
Constraints::wanted_bool (const std::string &name) const
{
  const Constraint *c = find (name);
  if (!c)
    return std::nullopt;
  const std::optional<std::string> &t = c->exact_text ? c->exact_text : c->ideal_text;
  if (!t)
    return std::nullopt;
  return *t == "true";
}

bool
parse_constraints (const char *text, Kind kind, Constraints &out, ParseError &error)
{
  out = Constraints ();
  if (!text || trim (text).empty ())
    return true;
  for (const std::string &raw : split (text, ','))
    {
      std::string field = trim (raw);
      if (field.empty ())
        return fail (error, text, "an empty field in '" + std::string (text) + "'");
      size_t eq = field.find ('=');
      std::string name = trim (field.substr (0, eq));
      if (eq == std::string::npos)
        return fail (error, name, "'" + name + "' has no value (write " + name + "=VALUE)");
      const Known *k = known (name, kind);
      if (!k)
        {
          std::string all;
          for (const auto &row : kKnown)
            if (row.kind == kind)
              all += (all.empty () ? "" : ", ") + std::string (row.name);
          return fail (error, name,
                       "unknown "
                           + std::string (kind == Kind::Video   ? "video"
                                          : kind == Kind::Audio ? "audio"
                                                                : "display")
                           + " constraint '" + name + "' (known: " + all + ")");
        }
      if (out.find (name))
        return fail (error, name, "'" + name + "' is given twice");
      Constraint c;
      c.name = name;
      c.type = k->type;
      if (!parse_value (*k, field.substr (eq + 1), c, error))
        return false;
      out.items.push_back (std::move (c));
    }
  return true;
}

bool
satisfies (const Constraint &c, const Settings &s)
{
  if (!c.required ())
    return true;
  if (c.type == Type::Number)
    {
      auto it = s.numbers.find (c.name);
      if (it == s.numbers.end ())
        return false;
      double v = it->second;
      // Frame rates and aspect ratios are fractions: 30000/1001 meets exact:29.97.
      double eps = c.name == "width" || c.name == "height" ? 1e-9 : 0.005 * std::max (1.0, v);
      if (c.exact && std::fabs (v - *c.exact) > eps)
        return false;
      if (c.min && v < *c.min - eps)
        return false;
      if (c.max && v > *c.max + eps)
        return false;
      return true;
    }
  auto it = s.texts.find (c.name);
  return it != s.texts.end () && (!c.exact_text || it->second == *c.exact_text);
}

double
fitness_distance (const Constraints &cs, const Settings &s)
{
  double total = 0;
  for (const Constraint &c : cs.items)
    {
      if (!satisfies (c, s))
        return std::numeric_limits<double>::infinity ();
      if (c.type == Type::Number)
        {
          if (!c.ideal)
            continue;
          auto it = s.numbers.find (c.name);
          if (it == s.numbers.end ())
            {
              total += 1;
              continue;
            }
          double actual = it->second, ideal = *c.ideal;
          double denom = std::max (std::fabs (actual), std::fabs (ideal));
          total += denom > 0 ? std::fabs (actual - ideal) / denom : 0;
        }
      else if (c.ideal_text)
        {
          auto it = s.texts.find (c.name);
          total += it != s.texts.end () && it->second == *c.ideal_text ? 0 : 1;
        }
    }
  return total;
}

} // namespace rtc::um
