// The X11 side of rtcdisplaymediasrc: opens the display and finds what to capture (the screen,
// a window by title or id) before ximagesrc starts. XCB, not Xlib: errors come back per request
// instead of through Xlib's process-wide error handler, which ends the process by default.
#pragma once

#include "elements/display/constraints.h"

#include <cstdint>
#include <memory>
#include <string>

namespace rtc::display
{

struct X11Window
{
  uint64_t id = 0;
  std::string title;
  int x = 0, y = 0; // on the screen
  Size size;
};

class X11Display
{
public:
  // nullptr and a sentence in *error when the display does not open; @name empty means $DISPLAY.
  static std::unique_ptr<X11Display> open (const std::string &name, std::string *error);
  ~X11Display ();

  const std::string &name () const { return name_; }
  Size screen_size () const { return screen_; }
  // The topmost viewable window titled exactly @title, else the topmost whose title contains it.
  bool find_window (const std::string &title, X11Window *out, std::string *error);
  // A viewable window lying wholly on the screen (ximagesrc cannot read a window partly off it).
  bool describe_window (uint64_t id, X11Window *out, std::string *error);

  struct Impl; // XCB connection and atoms, in x11.cpp

private:
  X11Display () = default;
  std::unique_ptr<Impl> impl_;
  std::string name_;
  Size screen_;
};

} // namespace rtc::display
