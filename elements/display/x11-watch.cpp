#include "elements/display/x11-watch.h"

#include <X11/Xlib.h>
#include <X11/Xproto.h>
#include <X11/extensions/shmproto.h>
#include <xcb/xcb.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

namespace rtc::display
{

/* ---- the error handler ---- */

namespace
{

std::mutex g_errors_lock;
std::multiset<unsigned long> g_watched; // windows being captured (twice by two elements)
XErrorHandler g_previous = nullptr;
int g_shm_major = -1;
int g_damage_major = -1, g_damage_first_error = -1;
std::once_flag g_install_once;

int
on_x_error (Display *dpy, XErrorEvent *ev)
{
  bool ours = false;
  {
    std::lock_guard<std::mutex> lock (g_errors_lock);
    if (!g_watched.empty ())
      {
        if (ev->error_code == BadWindow || ev->error_code == BadDrawable)
          ours = g_watched.count (ev->resourceid) > 0;
        // A Match error names no resource: reading a window partly off the screen or unmapped.
        else if (ev->error_code == BadMatch)
          ours = ev->request_code == X_GetImage
                 || (g_shm_major > 0 && ev->request_code == g_shm_major
                     && ev->minor_code == X_ShmGetImage);
        // ximagesrc's XDamage object went with the window: destroying it at stop fails.
        else if (g_damage_major > 0 && ev->request_code == g_damage_major)
          ours = ev->error_code == g_damage_first_error; // BadDamage
      }
  }
  if (ours)
    return 0;
  return g_previous ? g_previous (dpy, ev) : 0;
}

void
install_handler (const std::string &display)
{
  std::call_once (g_install_once, [&display] {
    // ximagesrc reads with MIT-SHM when it can and makes an XDamage object on the window:
    // their requests and errors carry the extensions' numbers.
    if (Display *d = XOpenDisplay (display.c_str ()))
      {
        int first_event, first_error;
        if (!XQueryExtension (d, "MIT-SHM", &g_shm_major, &first_event, &first_error))
          g_shm_major = -1;
        if (!XQueryExtension (d, "DAMAGE", &g_damage_major, &first_event, &g_damage_first_error))
          g_damage_major = -1;
        XCloseDisplay (d);
      }
    std::lock_guard<std::mutex> lock (g_errors_lock);
    g_previous = XSetErrorHandler (on_x_error);
  });
}

} // namespace

/* ---- the watch ---- */

struct X11WindowWatch::Impl
{
  xcb_connection_t *conn = nullptr;
  xcb_window_t window = 0;
  int stop_fd = -1;
  Gone gone;
  std::thread thread;

  // A window that is closed is first unmapped: the server has destroyed it by the time it
  // answers a request sent after the unmap event.
  bool exists ()
  {
    xcb_get_window_attributes_reply_t *r
        = xcb_get_window_attributes_reply (conn, xcb_get_window_attributes (conn, window), nullptr);
    free (r);
    return r != nullptr;
  }

  void run ()
  {
    pollfd fds[2] = { { xcb_get_file_descriptor (conn), POLLIN, 0 }, { stop_fd, POLLIN, 0 } };
    while (true)
      {
        while (xcb_generic_event_t *ev = xcb_poll_for_event (conn))
          {
            uint8_t type = ev->response_type & 0x7f;
            free (ev);
            if (type == XCB_DESTROY_NOTIFY || type == XCB_UNMAP_NOTIFY)
              {
                gone (type == XCB_DESTROY_NOTIFY || !exists () ? "closed" : "hidden");
                return;
              }
          }
        if (xcb_connection_has_error (conn))
          return;
        if (poll (fds, 2, -1) < 0 || (fds[1].revents & POLLIN))
          return;
      }
  }
};

std::unique_ptr<X11WindowWatch>
X11WindowWatch::start (const std::string &display, uint64_t window, Gone gone, std::string *error)
{
  install_handler (display);
  std::unique_ptr<X11WindowWatch> w (new X11WindowWatch ());
  w->impl_ = std::make_unique<Impl> ();
  Impl &i = *w->impl_;
  i.conn = xcb_connect (display.c_str (), nullptr);
  if (xcb_connection_has_error (i.conn))
    {
      xcb_disconnect (i.conn);
      i.conn = nullptr;
      *error = "cannot open the X display \"" + display + "\" to follow the window";
      return nullptr;
    }
  i.window = (xcb_window_t)window;
  uint32_t mask = XCB_EVENT_MASK_STRUCTURE_NOTIFY;
  xcb_change_window_attributes (i.conn, i.window, XCB_CW_EVENT_MASK, &mask);
  xcb_flush (i.conn);
  i.stop_fd = eventfd (0, EFD_CLOEXEC);
  i.gone = std::move (gone);
  {
    std::lock_guard<std::mutex> lock (g_errors_lock);
    g_watched.insert ((unsigned long)window);
  }
  i.thread = std::thread ([&i] { i.run (); });
  return w;
}

X11WindowWatch::~X11WindowWatch ()
{
  if (!impl_)
    return;
  if (impl_->thread.joinable ())
    {
      uint64_t one = 1;
      [[maybe_unused]] ssize_t n = write (impl_->stop_fd, &one, sizeof one);
      impl_->thread.join ();
    }
  {
    std::lock_guard<std::mutex> lock (g_errors_lock);
    auto it = g_watched.find ((unsigned long)impl_->window);
    if (it != g_watched.end ())
      g_watched.erase (it);
  }
  if (impl_->stop_fd >= 0)
    close (impl_->stop_fd);
  if (impl_->conn)
    xcb_disconnect (impl_->conn);
}

} // namespace rtc::display
