#include "elements/display/x11.h"

#include <xcb/xcb.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace rtc::display
{

struct X11Display::Impl
{
  xcb_connection_t *conn = nullptr;
  xcb_window_t root = 0;
  xcb_atom_t net_wm_name = XCB_NONE;
  xcb_atom_t utf8_string = XCB_NONE;
};

template <typename T> struct Reply
{
  T *p = nullptr;
  explicit Reply (T *r) : p (r) {}
  Reply (const Reply &) = delete;
  ~Reply () { free (p); }
  T *operator->() const { return p; }
  explicit operator bool () const { return p != nullptr; }
};

static xcb_atom_t
intern (xcb_connection_t *c, const char *name)
{
  Reply<xcb_intern_atom_reply_t> r (
      xcb_intern_atom_reply (c, xcb_intern_atom (c, 1, (uint16_t)strlen (name), name), nullptr));
  return r ? r->atom : XCB_NONE;
}

std::unique_ptr<X11Display>
X11Display::open (const std::string &name, std::string *error)
{
  const char *env = getenv ("DISPLAY");
  std::string use = !name.empty () ? name : (env ? env : "");
  if (use.empty ())
    {
      *error = "no X display: DISPLAY is not set (set DISPLAY, e.g. DISPLAY=:0, or the "
               "display-name property)";
      return nullptr;
    }
  int screen_num = 0;
  xcb_connection_t *c = xcb_connect (use.c_str (), &screen_num);
  if (xcb_connection_has_error (c))
    {
      xcb_disconnect (c);
      *error = "cannot open the X display \"" + use + "\" ("
               + (name.empty () ? "DISPLAY" : "display-name")
               + "): is an X server running there, and may this user connect to it?";
      return nullptr;
    }
  xcb_screen_iterator_t it = xcb_setup_roots_iterator (xcb_get_setup (c));
  for (int i = 0; i < screen_num && it.rem; i++)
    xcb_screen_next (&it);
  std::unique_ptr<X11Display> d (new X11Display ());
  d->impl_ = std::make_unique<Impl> ();
  d->impl_->conn = c;
  d->impl_->root = it.data->root;
  d->impl_->net_wm_name = intern (c, "_NET_WM_NAME");
  d->impl_->utf8_string = intern (c, "UTF8_STRING");
  d->name_ = use;
  d->screen_ = Size{ it.data->width_in_pixels, it.data->height_in_pixels };
  return d;
}

X11Display::~X11Display ()
{
  if (impl_ && impl_->conn)
    xcb_disconnect (impl_->conn);
}

static std::string
read_text (xcb_connection_t *c, xcb_window_t w, xcb_atom_t prop, xcb_atom_t type)
{
  Reply<xcb_get_property_reply_t> r (
      xcb_get_property_reply (c, xcb_get_property (c, 0, w, prop, type, 0, 1024), nullptr));
  if (!r || r->format != 8)
    return {};
  return std::string ((const char *)xcb_get_property_value (r.p),
                      (size_t)xcb_get_property_value_length (r.p));
}

static std::string
title_of (const X11Display::Impl &d, xcb_window_t w)
{
  std::string t;
  if (d.net_wm_name != XCB_NONE && d.utf8_string != XCB_NONE)
    t = read_text (d.conn, w, d.net_wm_name, d.utf8_string);
  if (t.empty ())
    t = read_text (d.conn, w, XCB_ATOM_WM_NAME, XCB_GET_PROPERTY_TYPE_ANY);
  return t;
}

static bool
viewable (xcb_connection_t *c, xcb_window_t w)
{
  Reply<xcb_get_window_attributes_reply_t> a (
      xcb_get_window_attributes_reply (c, xcb_get_window_attributes (c, w), nullptr));
  return a && a->map_state == XCB_MAP_STATE_VIEWABLE && a->_class == XCB_WINDOW_CLASS_INPUT_OUTPUT;
}

// Viewable windows, topmost first (query_tree lists children bottom to top).
static void
collect (xcb_connection_t *c, xcb_window_t w, std::vector<xcb_window_t> *out, int depth)
{
  Reply<xcb_query_tree_reply_t> tree (xcb_query_tree_reply (c, xcb_query_tree (c, w), nullptr));
  if (!tree || depth > 8)
    return;
  xcb_window_t *kids = xcb_query_tree_children (tree.p);
  for (int i = xcb_query_tree_children_length (tree.p) - 1; i >= 0; i--)
    {
      if (!viewable (c, kids[i]))
        continue;
      out->push_back (kids[i]);
      collect (c, kids[i], out, depth + 1);
    }
}

bool
X11Display::find_window (const std::string &title, X11Window *out, std::string *error)
{
  std::vector<xcb_window_t> windows;
  collect (impl_->conn, impl_->root, &windows, 0);
  xcb_window_t exact = 0, partial = 0;
  for (xcb_window_t w : windows)
    {
      std::string t = title_of (*impl_, w);
      if (t.empty ())
        continue;
      if (t == title)
        {
          exact = w;
          break;
        }
      if (!partial && t.find (title) != std::string::npos)
        partial = w;
    }
  xcb_window_t found = exact ? exact : partial;
  if (!found)
    {
      *error = "no window titled \"" + title + "\" on the X display " + name_ + " (window-title; "
               + std::to_string (windows.size ())
               + " viewable windows there: list them with xwininfo -root -tree)";
      return false;
    }
  return describe_window (found, out, error);
}

bool
X11Display::describe_window (uint64_t id, X11Window *out, std::string *error)
{
  xcb_connection_t *c = impl_->conn;
  xcb_window_t w = (xcb_window_t)id;
  Reply<xcb_get_geometry_reply_t> g (
      id > UINT32_MAX ? nullptr : xcb_get_geometry_reply (c, xcb_get_geometry (c, w), nullptr));
  if (!g)
    {
      *error = "no window with id " + std::to_string (id) + " on the X display " + name_
               + " (window-id)";
      return false;
    }
  if (!viewable (c, w))
    {
      *error = "window " + std::to_string (id) + " is not shown on the X display " + name_
               + " (window-id: an unmapped or minimised window has no pixels to capture)";
      return false;
    }
  Reply<xcb_translate_coordinates_reply_t> pos (xcb_translate_coordinates_reply (
      c, xcb_translate_coordinates (c, w, impl_->root, 0, 0), nullptr));
  out->id = id;
  out->title = title_of (*impl_, w);
  out->x = pos ? pos->dst_x : 0;
  out->y = pos ? pos->dst_y : 0;
  out->size = Size{ g->width, g->height };
  if (out->x < 0 || out->y < 0 || out->x + (int)out->size.width > (int)screen_.width
      || out->y + (int)out->size.height > (int)screen_.height)
    {
      *error = "window " + std::to_string (id) + " (\"" + out->title + "\", "
               + std::to_string (out->size.width) + "x" + std::to_string (out->size.height) + " at "
               + std::to_string (out->x) + "," + std::to_string (out->y)
               + ") lies partly off the screen: X11 capture reads only on-screen windows";
      return false;
    }
  return true;
}

} // namespace rtc::display
