/**
 * SECTION:element-rtcdisplaymediasrc
 * @title: rtcdisplaymediasrc
 *
 * The screen, one window or a region of either as live raw video: what getDisplayMedia() gives
 * a web page, as a source element. On X11 it captures through `ximagesrc` (the display in
 * `DISPLAY`, or #GstRtcDisplayMediaSrc:display-name); on a Wayland desktop through the
 * ScreenCast desktop portal and `pipewiresrc`, where the portal asks the user what to share.
 *
 * What to capture: the whole screen by default; a window by #GstRtcDisplayMediaSrc:window-title
 * (exact, else the topmost window whose title contains it) or #GstRtcDisplayMediaSrc:window-id
 * (X11 only); #GstRtcDisplayMediaSrc:region=x,y,width,height within the screen or the window.
 * #GstRtcDisplayMediaSrc:display-surface then reads "monitor", "window" or "region", and
 * #GstRtcDisplayMediaSrc:backend "x11" or "pipewire".
 *
 * Frames come at #GstRtcDisplayMediaSrc:frame-rate, timestamped with the pipeline clock, also
 * while nothing on the screen changes (a viewer that joins late still gets pictures). The
 * picture keeps the captured size unless #GstRtcDisplayMediaSrc:video-constraints asks for
 * one: `width=1280,height=720` fits the picture inside 1280x720 keeping its aspect ratio,
 * `width=exact:1280,height=exact:720` gives exactly that size (letterboxed).
 *
 * The capture is chosen at the NULL to READY change; what went wrong is an element error then
 * (no display, a window that is not there, a malformed region or constraint). On success the
 * element posts an element message `rtckit-display-media` with the fields backend (string),
 * display-surface (string), width and height (captured, before any scaling), frame-rate (int),
 * window-id (guint64, 0 for none), window-title (string, may be empty). A captured X11 window
 * that is closed or hidden while playing ends the stream with EOS after the element message
 * `rtckit-display-media-ended` with reason ("closed", "hidden"), window-id and window-title.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 rtcdisplaymediasrc ! rtcbroadcastsink
 * gst-launch-1.0 rtcdisplaymediasrc region=0,0,1280,720 frame-rate=15 ! rtcbroadcastsink
 * gst-launch-1.0 rtcdisplaymediasrc window-title="Terminal" cursor=false \
 *     video-constraints="width=1280,height=720" ! rtcbroadcastsink
 * gst-launch-1.0 rtccallbin name=c rtcdisplaymediasrc ! c.video_0 \
 *     c.video_src_0 ! decodebin ! autovideosink
 * ]|
 */
#include "elements/rtcdisplaymediasrc.h"

#include "elements/common/gst-ptr.h"
#include "elements/display/constraints.h"
#include "elements/display/portal.h"
#include "elements/display/x11-watch.h"
#include "elements/display/x11.h"
#include "elements/elements.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (rtc_display_media_src_debug);
#define GST_CAT_DEFAULT rtc_display_media_src_debug

using rtc::Ptr;
namespace display = rtc::display;

#define DEFAULT_SOURCE GST_RTC_DISPLAY_SOURCE_AUTO
#define DEFAULT_DISPLAY_NAME nullptr
#define DEFAULT_WINDOW_TITLE nullptr
#define DEFAULT_WINDOW_ID 0
#define DEFAULT_REGION nullptr
#define DEFAULT_CURSOR TRUE
#define DEFAULT_FRAME_RATE 30u
#define DEFAULT_VIDEO_CONSTRAINTS nullptr
#define DEFAULT_PORTAL_TIMEOUT 300u

enum
{
  PROP_0,
  PROP_SOURCE,
  PROP_DISPLAY_NAME,
  PROP_WINDOW_TITLE,
  PROP_WINDOW_ID,
  PROP_REGION,
  PROP_CURSOR,
  PROP_FRAME_RATE,
  PROP_VIDEO_CONSTRAINTS,
  PROP_PORTAL_TIMEOUT,
  PROP_DISPLAY_SURFACE,
  PROP_BACKEND,
};

namespace
{

struct Settings
{
  GstRtcDisplaySource source = DEFAULT_SOURCE;
  std::string display_name;
  std::string window_title;
  guint64 window_id = DEFAULT_WINDOW_ID;
  std::string region;
  bool cursor = DEFAULT_CURSOR;
  guint frame_rate = DEFAULT_FRAME_RATE;
  std::string video_constraints;
  guint portal_timeout = DEFAULT_PORTAL_TIMEOUT;
};

// What was built from the settings at NULL to READY.
struct Capture
{
  std::vector<Ptr<GstElement>> elements; // upstream to downstream
  std::unique_ptr<display::ScreenCastSession> portal;
  std::unique_ptr<display::X11WindowWatch> watch; // a captured X11 window
  std::string backend;
  std::string surface;
};

// Lock order: settings_lock, then capture_lock; neither is held while changing child states
// or posting messages.
struct Private
{
  std::mutex settings_lock;
  Settings settings;
  std::mutex capture_lock;
  Capture capture;
};

// Everything the chain needs, worked out before any element is made.
struct Plan
{
  std::string backend; // "x11" or "pipewire"
  std::string surface; // "monitor", "window", "region"
  std::string display; // X display name
  display::X11Window window;
  std::optional<display::Region> region;
  display::Size captured;                 // after the region, before scaling
  std::optional<display::Size> scaled_to; // from the constraints
  guint frame_rate = DEFAULT_FRAME_RATE;
  display::PortalStream stream; // pipewire
};

} // namespace

struct _GstRtcDisplayMediaSrc
{
  GstBin parent;
  GstPad *srcpad; // ghost, owned by the element
  Private *priv;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

G_DEFINE_TYPE (GstRtcDisplayMediaSrc, gst_rtc_display_media_src, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (rtcdisplaymediasrc, "rtcdisplaymediasrc", GST_RANK_NONE,
                             GST_TYPE_RTC_DISPLAY_MEDIA_SRC);

GType
gst_rtc_display_source_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GST_RTC_DISPLAY_SOURCE_AUTO,
      "X11 unless this is a Wayland session with a ScreenCast portal; the other one when the "
      "first is not there",
      "auto" },
    { GST_RTC_DISPLAY_SOURCE_X11, "X11 (ximagesrc)", "x11" },
    { GST_RTC_DISPLAY_SOURCE_PIPEWIRE, "PipeWire through the ScreenCast desktop portal",
      "pipewire" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstRtcDisplaySource", values));
  return type;
}

static Settings
copy_settings (GstRtcDisplayMediaSrc *self)
{
  std::lock_guard<std::mutex> lock (self->priv->settings_lock);
  return self->priv->settings;
}

/* ---- planning: which backend, which surface, what size ---- */

static bool
region_error (GstRtcDisplayMediaSrc *self, const display::Region &r, display::Size surface,
              const char *what)
{
  if (r.x + r.width <= surface.width && r.y + r.height <= surface.height)
    return false;
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
                     ("region %u,%u,%u,%u reaches beyond the %s (%ux%u): make it fit inside it.",
                      r.x, r.y, r.width, r.height, what, surface.width, surface.height),
                     ("region %u,%u %ux%u, surface %ux%u", r.x, r.y, r.width, r.height,
                      surface.width, surface.height));
  return true;
}

// The X11 plan, once the display is open. False after posting an error.
static bool
plan_x11 (GstRtcDisplayMediaSrc *self, const Settings &s, display::X11Display &x, Plan *p)
{
  p->backend = "x11";
  p->display = x.name ();
  display::Size surface = x.screen_size ();
  const char *what = "screen";
  std::string error;
  if (!s.window_title.empty () || s.window_id)
    {
      bool ok = s.window_id ? x.describe_window (s.window_id, &p->window, &error)
                            : x.find_window (s.window_title, &p->window, &error);
      if (!ok)
        {
          GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s.", error.c_str ()),
                             ("window-title \"%s\", window-id %" G_GUINT64_FORMAT,
                              s.window_title.c_str (), s.window_id));
          return false;
        }
      surface = p->window.size;
      what = "window";
      p->surface = "window";
    }
  else
    p->surface = "monitor";
  if (p->region)
    {
      if (region_error (self, *p->region, surface, what))
        return false;
      surface = display::Size{ p->region->width, p->region->height };
      p->surface = "region";
    }
  p->captured = surface;
  return true;
}

static bool
plan_pipewire (GstRtcDisplayMediaSrc *self, const Settings &s, Plan *p,
               std::unique_ptr<display::ScreenCastSession> *session)
{
  if (!s.window_title.empty () || s.window_id)
    {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
                         ("window-title and window-id work only with X11: with source=pipewire "
                          "the desktop portal asks the user which window to share."),
                         (nullptr));
      return false;
    }
  p->backend = "pipewire";
  auto portal = std::make_unique<display::ScreenCastSession> ();
  std::string error;
  GST_INFO_OBJECT (self, "asking the ScreenCast portal (up to %u s for the user's choice)",
                   s.portal_timeout);
  if (!portal->start (s.cursor, false, s.portal_timeout, &p->stream, &error))
    {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
                         ("Screen capture through the portal: %s.", error.c_str ()),
                         ("org.freedesktop.portal.ScreenCast"));
      return false;
    }
  p->surface = p->stream.surface;
  p->captured = p->stream.size;
  if (p->region)
    {
      if (p->captured.width == 0)
        {
          GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
                             ("region needs the size of what is shared, and the ScreenCast "
                              "portal did not report it: leave region unset."),
                             ("portal stream without a size"));
          return false;
        }
      if (region_error (self, *p->region, p->captured, p->surface.c_str ()))
        return false;
      p->captured = display::Size{ p->region->width, p->region->height };
      p->surface = "region";
    }
  *session = std::move (portal);
  return true;
}

// Works out the capture from the settings; false after posting an element error.
static bool
make_plan (GstRtcDisplayMediaSrc *self, const Settings &s, Plan *p,
           std::unique_ptr<display::ScreenCastSession> *session)
{
  std::string error;
  display::Constraints c;
  if (!display::parse_constraints (s.video_constraints, &c, &error))
    {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s.", error.c_str ()),
                         ("video-constraints=\"%s\"", s.video_constraints.c_str ()));
      return false;
    }
  if (!s.region.empty ())
    {
      display::Region r;
      if (!display::parse_region (s.region, &r, &error))
        {
          GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s.", error.c_str ()),
                             ("region=\"%s\"", s.region.c_str ()));
          return false;
        }
      p->region = r;
    }
  p->frame_rate = c.frame_rate ? c.frame_rate->value : s.frame_rate;

  bool wants_window = !s.window_title.empty () || s.window_id;
  const char *wayland = g_getenv ("WAYLAND_DISPLAY");
  std::vector<GstRtcDisplaySource> order;
  if (s.source != GST_RTC_DISPLAY_SOURCE_AUTO)
    order = { s.source };
  else if (wants_window)
    order = { GST_RTC_DISPLAY_SOURCE_X11 };
  else if (wayland && *wayland)
    order = { GST_RTC_DISPLAY_SOURCE_PIPEWIRE, GST_RTC_DISPLAY_SOURCE_X11 };
  else
    order = { GST_RTC_DISPLAY_SOURCE_X11, GST_RTC_DISPLAY_SOURCE_PIPEWIRE };

  // A backend that is not there moves on to the next; an error once one is there is final.
  std::vector<std::string> missing;
  for (GstRtcDisplaySource backend : order)
    {
      bool ok;
      if (backend == GST_RTC_DISPLAY_SOURCE_X11)
        {
          auto x = display::X11Display::open (s.display_name, &error);
          if (!x)
            {
              missing.push_back (error);
              continue;
            }
          ok = plan_x11 (self, s, *x, p);
        }
      else
        {
          if (!display::ScreenCastSession::available (&error))
            {
              missing.push_back (error);
              continue;
            }
          ok = plan_pipewire (self, s, p, session);
        }
      if (ok)
        p->scaled_to = display::output_size (c, p->captured);
      // Scaling was asked but the portal did not say the size: let videoscale work it out.
      if (ok && !p->scaled_to && (c.width || c.height) && p->captured.width == 0)
        p->scaled_to
            = display::Size{ c.width ? c.width->value : 0, c.height ? c.height->value : 0 };
      return ok;
    }
  std::string why;
  for (const auto &m : missing)
    why += (why.empty () ? "" : "; and ") + m;
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
                     ("Nothing to capture the screen from: %s.", why.c_str ()),
                     ("source=%d, WAYLAND_DISPLAY=%s", s.source, wayland ? wayland : "(unset)"));
  return false;
}

/* ---- building the chain ---- */

static Ptr<GstElement>
make (GstRtcDisplayMediaSrc *self, const char *factory, const char *name, const char *package)
{
  GstElement *e = gst_element_factory_make (factory, name);
  if (!e)
    {
      GST_ELEMENT_ERROR (
          self, CORE, MISSING_PLUGIN,
          ("Element \"%s\" is missing: install the Debian package %s.", factory, package),
          ("gst_element_factory_make (\"%s\") failed", factory));
      return {};
    }
  return Ptr<GstElement> (GST_ELEMENT (gst_object_ref_sink (e)));
}

static Ptr<GstElement>
make_capsfilter (const char *name, GstCaps *caps)
{
  GstElement *e = gst_element_factory_make ("capsfilter", name);
  g_object_set (e, "caps", caps, nullptr);
  gst_caps_unref (caps);
  return Ptr<GstElement> (GST_ELEMENT (gst_object_ref_sink (e)));
}

static bool
build_chain (GstRtcDisplayMediaSrc *self, const Settings &s, const Plan &p,
             std::vector<Ptr<GstElement>> *chain)
{
  if (p.backend == "x11")
    {
      Ptr<GstElement> src = make (self, "ximagesrc", "capture", "gstreamer1.0-plugins-good");
      if (!src)
        return false;
      // use-damage=false: every frame is a full grab, so a screen that does not change still
      // yields frame-rate frames per second, and nothing depends on XDamage working.
      g_object_set (src.get (), "display-name", p.display.c_str (), "use-damage", FALSE,
                    "show-pointer", s.cursor, "xid", (guint64)p.window.id, nullptr);
      if (p.region)
        g_object_set (src.get (), "startx", p.region->x, "starty", p.region->y, "endx",
                      p.region->x + p.region->width - 1, "endy", p.region->y + p.region->height - 1,
                      nullptr);
      chain->push_back (src);
      chain->push_back (make_capsfilter (
          "rate", gst_caps_new_simple ("video/x-raw", "framerate", GST_TYPE_FRACTION,
                                       (int)p.frame_rate, 1, nullptr)));
    }
  else
    {
      Ptr<GstElement> src = make (self, "pipewiresrc", "capture", "gstreamer1.0-pipewire");
      if (!src)
        return false;
      std::string node = std::to_string (p.stream.node);
      // The portal sends frames only when the screen changes: keepalive-time repeats the last
      // one and videorate makes the rate exact.
      g_object_set (src.get (), "fd", p.stream.fd, "path", node.c_str (), "keepalive-time",
                    (int)MAX (1000 / p.frame_rate, 1u), "always-copy", TRUE, nullptr);
      chain->push_back (src);
      Ptr<GstElement> rate = make (self, "videorate", "videorate", "gstreamer1.0-plugins-base");
      if (!rate)
        return false;
      chain->push_back (rate);
      chain->push_back (make_capsfilter (
          "rate", gst_caps_new_simple ("video/x-raw", "framerate", GST_TYPE_FRACTION,
                                       (int)p.frame_rate, 1, nullptr)));
      if (p.region)
        {
          Ptr<GstElement> crop = make (self, "videocrop", "crop", "gstreamer1.0-plugins-good");
          if (!crop)
            return false;
          // videocrop takes margins: the far ones come from the size the portal reported.
          int right = (int)p.stream.size.width - (int)(p.region->x + p.region->width);
          int bottom = (int)p.stream.size.height - (int)(p.region->y + p.region->height);
          g_object_set (crop.get (), "left", (int)p.region->x, "top", (int)p.region->y, "right",
                        MAX (right, 0), "bottom", MAX (bottom, 0), nullptr);
          chain->push_back (crop);
        }
    }
  if (p.scaled_to)
    {
      Ptr<GstElement> scale = make (self, "videoscale", "scale", "gstreamer1.0-plugins-base");
      if (!scale)
        return false;
      chain->push_back (scale);
      GstCaps *caps = gst_caps_new_simple ("video/x-raw", "pixel-aspect-ratio", GST_TYPE_FRACTION,
                                           1, 1, nullptr);
      if (p.scaled_to->width)
        gst_caps_set_simple (caps, "width", G_TYPE_INT, (int)p.scaled_to->width, nullptr);
      if (p.scaled_to->height)
        gst_caps_set_simple (caps, "height", G_TYPE_INT, (int)p.scaled_to->height, nullptr);
      chain->push_back (make_capsfilter ("size", caps));
    }
  return true;
}

static void
teardown (GstRtcDisplayMediaSrc *self)
{
  Capture old;
  {
    std::lock_guard<std::mutex> lock (self->priv->capture_lock);
    old = std::move (self->priv->capture);
    self->priv->capture = Capture ();
  }
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->srcpad), nullptr);
  for (auto &e : old.elements)
    {
      gst_element_set_state (e.get (), GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self), e.get ());
    }
  // Only once ximagesrc has stopped: the watch's error handler covers its last reads.
  old.watch.reset ();
  // old.portal closes the ScreenCast session when it goes out of scope, after pipewiresrc.
}

// On the window watch's thread: the captured window closed or was hidden. The message, then
// EOS (the browser's track "ended"), which also keeps ximagesrc from reading the window again.
static void
window_gone (GstRtcDisplayMediaSrc *self, GstElement *capture, const display::X11Window &window,
             const char *reason)
{
  GST_INFO_OBJECT (self, "window %" G_GUINT64_FORMAT " (\"%s\") %s: ending the stream",
                   (guint64)window.id, window.title.c_str (), reason);
  GstStructure *st = gst_structure_new (
      "rtckit-display-media-ended", "reason", G_TYPE_STRING, reason, "window-id", G_TYPE_UINT64,
      (guint64)window.id, "window-title", G_TYPE_STRING, window.title.c_str (), nullptr);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), st));
  gst_element_send_event (capture, gst_event_new_eos ());
}

static bool
start (GstRtcDisplayMediaSrc *self)
{
  Settings s = copy_settings (self);
  Plan p;
  std::unique_ptr<display::ScreenCastSession> session;
  if (!make_plan (self, s, &p, &session))
    return false;
  std::vector<Ptr<GstElement>> chain;
  if (!build_chain (self, s, p, &chain))
    return false;
  for (auto &e : chain)
    gst_bin_add (GST_BIN (self), e.get ());
  for (size_t i = 1; i < chain.size (); i++)
    if (!gst_element_link (chain[i - 1].get (), chain[i].get ()))
      {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Could not build the capture chain."),
                           ("linking %s to %s failed", GST_OBJECT_NAME (chain[i - 1].get ()),
                            GST_OBJECT_NAME (chain[i].get ())));
        for (auto &e : chain)
          gst_bin_remove (GST_BIN (self), e.get ());
        return false;
      }
  std::unique_ptr<display::X11WindowWatch> watch;
  if (p.window.id)
    {
      std::string error;
      watch = display::X11WindowWatch::start (
          p.display, p.window.id,
          [self, src = chain.front (), window = p.window] (const char *reason) {
            window_gone (self, src.get (), window, reason);
          },
          &error);
      if (!watch)
        GST_WARNING_OBJECT (self, "not following the window: %s", error.c_str ());
    }
  Ptr<GstPad> pad (gst_element_get_static_pad (chain.back ().get (), "src"));
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->srcpad), pad.get ());
  {
    std::lock_guard<std::mutex> lock (self->priv->capture_lock);
    self->priv->capture.elements = std::move (chain);
    self->priv->capture.portal = std::move (session);
    self->priv->capture.watch = std::move (watch);
    self->priv->capture.backend = p.backend;
    self->priv->capture.surface = p.surface;
  }
  GST_INFO_OBJECT (self, "capturing %s through %s: %ux%u at %u fps%s", p.surface.c_str (),
                   p.backend.c_str (), p.captured.width, p.captured.height, p.frame_rate,
                   p.scaled_to ? ", scaled" : "");
  g_object_notify (G_OBJECT (self), "display-surface");
  g_object_notify (G_OBJECT (self), "backend");
  GstStructure *st = gst_structure_new (
      "rtckit-display-media", "backend", G_TYPE_STRING, p.backend.c_str (), "display-surface",
      G_TYPE_STRING, p.surface.c_str (), "width", G_TYPE_INT, (int)p.captured.width, "height",
      G_TYPE_INT, (int)p.captured.height, "frame-rate", G_TYPE_INT, (int)p.frame_rate, "window-id",
      G_TYPE_UINT64, (guint64)p.window.id, "window-title", G_TYPE_STRING, p.window.title.c_str (),
      nullptr);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), st));
  return true;
}

static GstStateChangeReturn
gst_rtc_display_media_src_change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_DISPLAY_MEDIA_SRC (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !start (self))
    return GST_STATE_CHANGE_FAILURE;
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (gst_rtc_display_media_src_parent_class)
                                 ->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE && transition == GST_STATE_CHANGE_NULL_TO_READY)
    teardown (self);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    teardown (self);
  return ret;
}

/* ---- properties ---- */

static void
gst_rtc_display_media_src_set_property (GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec)
{
  auto *self = GST_RTC_DISPLAY_MEDIA_SRC (object);
  std::lock_guard<std::mutex> lock (self->priv->settings_lock);
  Settings &s = self->priv->settings;
  auto str = [value] () {
    const char *v = g_value_get_string (value);
    return std::string (v ? v : "");
  };
  switch (prop_id)
    {
    case PROP_SOURCE:
      s.source = (GstRtcDisplaySource)g_value_get_enum (value);
      break;
    case PROP_DISPLAY_NAME:
      s.display_name = str ();
      break;
    case PROP_WINDOW_TITLE:
      s.window_title = str ();
      break;
    case PROP_WINDOW_ID:
      s.window_id = g_value_get_uint64 (value);
      break;
    case PROP_REGION:
      s.region = str ();
      break;
    case PROP_CURSOR:
      s.cursor = g_value_get_boolean (value);
      break;
    case PROP_FRAME_RATE:
      s.frame_rate = g_value_get_uint (value);
      break;
    case PROP_VIDEO_CONSTRAINTS:
      s.video_constraints = str ();
      break;
    case PROP_PORTAL_TIMEOUT:
      s.portal_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_rtc_display_media_src_get_property (GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
  auto *self = GST_RTC_DISPLAY_MEDIA_SRC (object);
  Settings s = copy_settings (self);
  auto opt = [] (const std::string &v) { return v.empty () ? nullptr : v.c_str (); };
  switch (prop_id)
    {
    case PROP_SOURCE:
      g_value_set_enum (value, s.source);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, opt (s.display_name));
      break;
    case PROP_WINDOW_TITLE:
      g_value_set_string (value, opt (s.window_title));
      break;
    case PROP_WINDOW_ID:
      g_value_set_uint64 (value, s.window_id);
      break;
    case PROP_REGION:
      g_value_set_string (value, opt (s.region));
      break;
    case PROP_CURSOR:
      g_value_set_boolean (value, s.cursor);
      break;
    case PROP_FRAME_RATE:
      g_value_set_uint (value, s.frame_rate);
      break;
    case PROP_VIDEO_CONSTRAINTS:
      g_value_set_string (value, opt (s.video_constraints));
      break;
    case PROP_PORTAL_TIMEOUT:
      g_value_set_uint (value, s.portal_timeout);
      break;
    case PROP_DISPLAY_SURFACE:
    case PROP_BACKEND:
      {
        std::lock_guard<std::mutex> lock (self->priv->capture_lock);
        const Capture &c = self->priv->capture;
        g_value_set_string (value, opt (prop_id == PROP_BACKEND ? c.backend : c.surface));
        break;
      }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_rtc_display_media_src_finalize (GObject *object)
{
  auto *self = GST_RTC_DISPLAY_MEDIA_SRC (object);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_display_media_src_parent_class)->finalize (object);
}

static void
gst_rtc_display_media_src_init (GstRtcDisplayMediaSrc *self)
{
  self->priv = new Private ();
  Ptr<GstPadTemplate> tmpl (gst_static_pad_template_get (&src_template));
  self->srcpad = gst_ghost_pad_new_no_target_from_template ("src", tmpl.get ());
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_rtc_display_media_src_class_init (GstRtcDisplayMediaSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_rtc_display_media_src_set_property;
  gobject_class->get_property = gst_rtc_display_media_src_get_property;
  gobject_class->finalize = gst_rtc_display_media_src_finalize;
  element_class->change_state = gst_rtc_display_media_src_change_state;

  auto ready = (GParamFlags)(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  auto readonly = (GParamFlags)(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (
      gobject_class, PROP_SOURCE,
      g_param_spec_enum ("source", "Source",
                         "Where to capture from: X11 (ximagesrc), PipeWire through the desktop "
                         "portal, or auto (the portal on Wayland, else X11; each falls back to "
                         "the other)",
                         GST_TYPE_RTC_DISPLAY_SOURCE, DEFAULT_SOURCE, ready));
  g_object_class_install_property (
      gobject_class, PROP_DISPLAY_NAME,
      g_param_spec_string ("display-name", "X display",
                           "X display to capture, e.g. \":1\" (NULL = the DISPLAY environment "
                           "variable)",
                           DEFAULT_DISPLAY_NAME, ready));
  g_object_class_install_property (
      gobject_class, PROP_WINDOW_TITLE,
      g_param_spec_string ("window-title", "Window title",
                           "Capture the window with this title (exact, else the topmost window "
                           "whose title contains it; X11 only; NULL = the whole screen)",
                           DEFAULT_WINDOW_TITLE, ready));
  g_object_class_install_property (
      gobject_class, PROP_WINDOW_ID,
      g_param_spec_uint64 ("window-id", "Window id",
                           "Capture the window with this X11 id (as xwininfo or xdotool show "
                           "it; 0 = none, takes precedence over window-title)",
                           0, G_MAXUINT64, DEFAULT_WINDOW_ID, ready));
  g_object_class_install_property (
      gobject_class, PROP_REGION,
      g_param_spec_string ("region", "Region",
                           "Capture only this rectangle, \"x,y,width,height\" in pixels within "
                           "the screen or the chosen window (NULL = all of it)",
                           DEFAULT_REGION, ready));
  g_object_class_install_property (gobject_class, PROP_CURSOR,
                                   g_param_spec_boolean ("cursor", "Cursor",
                                                         "Draw the mouse pointer into the frames",
                                                         DEFAULT_CURSOR, ready));
  g_object_class_install_property (
      gobject_class, PROP_FRAME_RATE,
      g_param_spec_uint ("frame-rate", "Frame rate",
                         "Frames per second, kept also while the screen does not change "
                         "(video-constraints frame-rate takes precedence)",
                         1, 120, DEFAULT_FRAME_RATE, ready));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_CONSTRAINTS,
      g_param_spec_string ("video-constraints", "Video constraints",
                           "As getDisplayMedia's, e.g. \"width=1280,height=720,frame-rate=15\": "
                           "fields width, height, frame-rate; each ideal (fit inside, keep the "
                           "aspect ratio) unless written exact:N (NULL = the captured size)",
                           DEFAULT_VIDEO_CONSTRAINTS, ready));
  g_object_class_install_property (
      gobject_class, PROP_PORTAL_TIMEOUT,
      g_param_spec_uint ("portal-timeout", "Portal timeout",
                         "Seconds to wait for the user to choose in the desktop portal's dialog "
                         "(PipeWire only)",
                         1, 3600, DEFAULT_PORTAL_TIMEOUT, ready));
  g_object_class_install_property (
      gobject_class, PROP_DISPLAY_SURFACE,
      g_param_spec_string ("display-surface", "Display surface",
                           "What is captured, as the browser's displaySurface: \"monitor\", "
                           "\"window\" or \"region\" (NULL until READY)",
                           nullptr, readonly));
  g_object_class_install_property (
      gobject_class, PROP_BACKEND,
      g_param_spec_string ("backend", "Backend",
                           "How it is captured: \"x11\" or \"pipewire\" (NULL until READY)",
                           nullptr, readonly));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "RTC display media source", "Source/Video",
      "The screen, a window or a region as live video (getDisplayMedia), through X11 or the "
      "PipeWire desktop portal",
      "rtckit developers");

  gst_type_mark_as_plugin_api (GST_TYPE_RTC_DISPLAY_SOURCE, (GstPluginAPIFlags)0);
  GST_DEBUG_CATEGORY_INIT (rtc_display_media_src_debug, "rtcdisplaymediasrc", 0,
                           "rtckit display media source");
}
