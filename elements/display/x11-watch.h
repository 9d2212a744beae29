// A captured X11 window can close, hide or move off the screen while ximagesrc reads it. Xlib's
// default error handler ends the whole process on the error that follows; browsers end the track
// instead. Two parts make rtcdisplaymediasrc behave like them:
// - a watch on a connection of its own that reports the window's end (destroyed or unmapped),
//   so the element ends the stream with EOS before ximagesrc reads it again;
// - an Xlib error handler, installed once and chained to the one before it, that lets through
//   the errors of reading a watched window that has just gone or moved partly off the screen
//   (the frame is then the previous one), and hands every other error to the previous handler.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace rtc::display
{

class X11WindowWatch
{
public:
  // Called once, on the watch's thread, with "closed" or "hidden".
  using Gone = std::function<void (const char *reason)>;

  // nullptr and a sentence in *error when the display does not open.
  static std::unique_ptr<X11WindowWatch> start (const std::string &display, uint64_t window,
                                                Gone gone, std::string *error);
  ~X11WindowWatch (); // stops and joins the thread; no call of gone after it returns

  struct Impl;

private:
  X11WindowWatch () = default;
  std::unique_ptr<Impl> impl_;
};

} // namespace rtc::display
