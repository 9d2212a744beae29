// getUserMedia- and getDisplayMedia-like constraints: the text form rtcusermediasrc and
// rtcdisplaymediasrc take, and the W3C mediacapture-main fitness distance over a candidate's
// settings. No GStreamer here.
//
// Text form: comma-separated `name=value` fields; a value is ideal unless qualified, and several
// qualifiers join with ';':
//   width=1280,height=720,frame-rate=30,facing-mode=user
//   width=exact:1280,frame-rate=min:15;max:30;ideal:25
//   channel-count=1,sample-rate=48000,echo-cancellation=exact:true
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rtc::um
{

enum class Kind
{
  Video,   // a camera
  Audio,   // a microphone
  Display, // a screen, window or region: width, height and frame-rate only
};

enum class Type
{
  Number,
  String,
  Bool,
};

struct Constraint
{
  std::string name;
  Type type = Type::Number;
  // Numbers use all four; strings and booleans only exact and ideal (as text "true"/"false").
  std::optional<double> exact, ideal, min, max;
  std::optional<std::string> exact_text, ideal_text;

  // exact, min or max: a candidate that misses it is not a candidate (the browser's
  // OverconstrainedError names the first such constraint no candidate meets).
  bool required () const;
  // The text of the constraint as given back to the user, e.g. "width=exact:1280".
  std::string describe () const;
};

struct Constraints
{
  std::vector<Constraint> items; // in the order given
  const Constraint *find (const std::string &name) const;
  // The value a candidate should aim at: exact, else ideal, else @fallback clamped to min/max.
  std::optional<double> target (const std::string &name, std::optional<double> fallback) const;
  std::optional<bool> wanted_bool (const std::string &name) const;
};

struct ParseError
{
  std::string field;   // the field at fault ("width"), or the whole text when it has none
  std::string message; // what is wrong, for a person
};

// Parses @text (NULL or empty: no constraints). Unknown names are errors: a typo would otherwise
// be silently ignored.
bool parse_constraints (const char *text, Kind kind, Constraints &out, ParseError &error);

// What a candidate (a device mode, after any scaling) would deliver. Absent keys: the candidate
// has no such setting (a camera that does not say where it faces).
struct Settings
{
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> texts; // strings and booleans ("true"/"false")
};

bool satisfies (const Constraint &c, const Settings &s);
// Sum over the constraints of each one's W3C fitness distance; infinity when a required one is
// not met.
double fitness_distance (const Constraints &cs, const Settings &s);

} // namespace rtc::um
