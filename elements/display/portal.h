// The PipeWire side of rtcdisplaymediasrc: org.freedesktop.portal.ScreenCast over D-Bus
// (GDBus), which asks the user what to share and hands back a PipeWire fd and node for
// pipewiresrc. What a browser does for getDisplayMedia() on a Wayland desktop.
#pragma once

#include "elements/display/constraints.h"

#include <gio/gio.h>

#include <string>

namespace rtc::display
{

struct PortalStream
{
  int fd = -1; // the PipeWire remote, owned by the ScreenCastSession
  guint node = 0;
  std::string surface; // "monitor" or "window"
  Size size;           // 0x0 when the portal does not say
};

class ScreenCastSession
{
public:
  ScreenCastSession () = default;
  ScreenCastSession (const ScreenCastSession &) = delete;
  ScreenCastSession &operator= (const ScreenCastSession &) = delete;
  ~ScreenCastSession () { close (); }

  // Whether a session bus with the desktop portal's ScreenCast interface is there; if not, why.
  static bool available (std::string *why);
  // Runs CreateSession, SelectSources, Start (the portal's dialog: waits for the user, up to
  // @timeout_s), OpenPipeWireRemote. Blocks the calling thread.
  bool start (bool cursor, bool window, guint timeout_s, PortalStream *out, std::string *error);
  void close ();

private:
  GDBusConnection *conn_ = nullptr;
  std::string session_;
  int fd_ = -1;
};

} // namespace rtc::display
