// What rtcdisplaymediasrc is asked for: its constraint string and region, parsed, and the
// output size they lead to. Plain C++, no GStreamer: the parsers are tested without a display.
#pragma once

#include <optional>
#include <string>

namespace rtc::display
{

// One constraint value: ideal unless written `exact:N`.
struct Value
{
  unsigned value = 0;
  bool exact = false;
};

// video-constraints="width=1280,height=720,frame-rate=15" (getDisplayMedia's video constraints).
struct Constraints
{
  std::optional<Value> width;
  std::optional<Value> height;
  std::optional<Value> frame_rate;
};

struct Region
{
  unsigned x = 0, y = 0, width = 0, height = 0;
};

// Both return false and say which field is wrong, and why, in *error (a sentence a user can act
// on: it names the field and the text found).
bool parse_constraints (const std::string &text, Constraints *out, std::string *error);
bool parse_region (const std::string &text, Region *out, std::string *error);

struct Size
{
  unsigned width = 0, height = 0;
  bool operator== (const Size &) const = default;
};

// The size to scale a surface of @source to; nullopt when the constraints ask for no scaling.
// Ideal values fit the picture inside them keeping its aspect ratio (as browsers scale a shared
// screen); exact values are met exactly (both exact: letterboxed by the scaler). Computed sides
// are even, as 4:2:0 encoders need.
std::optional<Size> output_size (const Constraints &c, Size source);

} // namespace rtc::display
