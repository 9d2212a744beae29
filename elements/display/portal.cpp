#include "elements/display/portal.h"

#include <gio/gunixfdlist.h>

#include <unistd.h>

#include <atomic>

namespace rtc::display
{

static const char *const kBus = "org.freedesktop.portal.Desktop";
static const char *const kPath = "/org/freedesktop/portal/desktop";
static const char *const kScreenCast = "org.freedesktop.portal.ScreenCast";

// Without a session bus address GDBus would try to autolaunch one through X11: not wanted here.
static bool
session_bus_configured ()
{
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS"))
    return true;
  const char *runtime = g_getenv ("XDG_RUNTIME_DIR");
  if (!runtime)
    return false;
  g_autofree char *bus = g_build_filename (runtime, "bus", nullptr);
  return g_file_test (bus, G_FILE_TEST_EXISTS);
}

bool
ScreenCastSession::available (std::string *why)
{
  if (!session_bus_configured ())
    {
      *why = "no ScreenCast desktop portal: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not "
             "set)";
      return false;
    }
  GError *err = nullptr;
  GDBusConnection *conn = g_bus_get_sync (G_BUS_TYPE_SESSION, nullptr, &err);
  if (!conn)
    {
      *why = std::string ("no ScreenCast desktop portal: no D-Bus session bus (") + err->message
             + ")";
      g_error_free (err);
      return false;
    }
  // Reading the interface's version also starts the portal when it is D-Bus activated.
  GVariant *v = g_dbus_connection_call_sync (conn, kBus, kPath, "org.freedesktop.DBus.Properties",
                                             "Get", g_variant_new ("(ss)", kScreenCast, "version"),
                                             G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                             nullptr, &err);
  g_object_unref (conn);
  if (!v)
    {
      *why = std::string ("no ScreenCast desktop portal on the session bus (") + err->message + ")";
      g_error_free (err);
      return false;
    }
  g_variant_unref (v);
  return true;
}

namespace
{

// One portal Request: subscribe to its Response signal first (the reply could beat us), call,
// then run a private main context until the response or the timeout.
struct Request
{
  GMainContext *ctx;
  GDBusConnection *conn;
  std::string token;
  std::string path;
  bool done = false;
  guint32 response = 2;
  GVariant *results = nullptr;
  guint sub = 0;

  Request (GDBusConnection *c, GMainContext *context) : ctx (context), conn (c)
  {
    static std::atomic<unsigned> counter{ 0 };
    token = "rtckit" + std::to_string (getpid ()) + "_" + std::to_string (++counter);
    std::string sender = g_dbus_connection_get_unique_name (conn) + 1; // without ':'
    for (char &ch : sender)
      if (ch == '.')
        ch = '_';
    path = std::string (kPath) + "/request/" + sender + "/" + token;
    sub = g_dbus_connection_signal_subscribe (conn, kBus, "org.freedesktop.portal.Request",
                                              "Response", path.c_str (), nullptr,
                                              G_DBUS_SIGNAL_FLAGS_NONE, on_response, this, nullptr);
  }
  ~Request ()
  {
    g_dbus_connection_signal_unsubscribe (conn, sub);
    if (results)
      g_variant_unref (results);
  }

  static void on_response (GDBusConnection *, const char *, const char *, const char *,
                           const char *, GVariant *params, gpointer data)
  {
    auto *r = static_cast<Request *> (data);
    g_variant_get (params, "(u@a{sv})", &r->response, &r->results);
    r->done = true;
  }

  static gboolean on_timeout (gpointer data)
  {
    *static_cast<bool *> (data) = true;
    return G_SOURCE_REMOVE;
  }

  // Empty on success; else what went wrong in @step.
  std::string wait (const char *step, guint timeout_s)
  {
    bool expired = false;
    GSource *t = g_timeout_source_new_seconds (timeout_s);
    g_source_set_callback (t, on_timeout, &expired, nullptr);
    g_source_attach (t, ctx);
    while (!done && !expired)
      g_main_context_iteration (ctx, TRUE);
    g_source_destroy (t);
    g_source_unref (t);
    if (!done)
      return std::string ("the ScreenCast portal did not answer ") + step + " within "
             + std::to_string (timeout_s) + " s";
    if (response == 1)
      return std::string ("the screen share was cancelled in the portal's dialog (") + step + ")";
    if (response != 0)
      return std::string ("the ScreenCast portal refused ") + step + " (response "
             + std::to_string (response) + ")";
    return {};
  }
};

} // namespace

bool
ScreenCastSession::start (bool cursor, bool window, guint timeout_s, PortalStream *out,
                          std::string *error)
{
  GError *err = nullptr;
  conn_ = g_bus_get_sync (G_BUS_TYPE_SESSION, nullptr, &err);
  if (!conn_)
    {
      *error = std::string ("no D-Bus session bus: ") + err->message;
      g_error_free (err);
      return false;
    }
  GMainContext *ctx = g_main_context_new ();
  g_main_context_push_thread_default (ctx);
  auto call = [&] (const char *method, GVariant *args, std::string *err_text) -> bool {
    GError *e = nullptr;
    GVariant *r = g_dbus_connection_call_sync (conn_, kBus, kPath, kScreenCast, method, args,
                                               nullptr, G_DBUS_CALL_FLAGS_NONE, 10000, nullptr, &e);
    if (!r)
      {
        *err_text = std::string ("ScreenCast.") + method + " failed: " + e->message;
        g_error_free (e);
        return false;
      }
    g_variant_unref (r);
    return true;
  };

  bool ok = false;
  do
    {
      {
        Request req (conn_, ctx);
        GVariantBuilder opts;
        g_variant_builder_init (&opts, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add (&opts, "{sv}", "handle_token",
                               g_variant_new_string (req.token.c_str ()));
        g_variant_builder_add (&opts, "{sv}", "session_handle_token",
                               g_variant_new_string (req.token.c_str ()));
        if (!call ("CreateSession", g_variant_new ("(a{sv})", &opts), error))
          break;
        if (!(*error = req.wait ("CreateSession", 10)).empty ())
          break;
        const char *handle = nullptr;
        if (!g_variant_lookup (req.results, "session_handle", "&s", &handle))
          {
            *error = "the ScreenCast portal gave no session_handle";
            break;
          }
        session_ = handle;
      }
      {
        Request req (conn_, ctx);
        GVariantBuilder opts;
        g_variant_builder_init (&opts, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add (&opts, "{sv}", "handle_token",
                               g_variant_new_string (req.token.c_str ()));
        // types: 1 monitor, 2 window; cursor_mode: 1 hidden, 2 embedded in the frames
        g_variant_builder_add (&opts, "{sv}", "types", g_variant_new_uint32 (window ? 2 : 3));
        g_variant_builder_add (&opts, "{sv}", "multiple", g_variant_new_boolean (FALSE));
        g_variant_builder_add (&opts, "{sv}", "cursor_mode", g_variant_new_uint32 (cursor ? 2 : 1));
        if (!call ("SelectSources", g_variant_new ("(oa{sv})", session_.c_str (), &opts), error))
          break;
        if (!(*error = req.wait ("SelectSources", 10)).empty ())
          break;
      }
      {
        Request req (conn_, ctx);
        GVariantBuilder opts;
        g_variant_builder_init (&opts, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add (&opts, "{sv}", "handle_token",
                               g_variant_new_string (req.token.c_str ()));
        if (!call ("Start", g_variant_new ("(osa{sv})", session_.c_str (), "", &opts), error))
          break;
        if (!(*error = req.wait ("Start", timeout_s)).empty ())
          break;
        GVariant *streams
            = g_variant_lookup_value (req.results, "streams", G_VARIANT_TYPE ("a(ua{sv})"));
        if (!streams || g_variant_n_children (streams) == 0)
          {
            *error = "the ScreenCast portal started no stream";
            if (streams)
              g_variant_unref (streams);
            break;
          }
        GVariant *props = nullptr;
        g_variant_get_child (streams, 0, "(u@a{sv})", &out->node, &props);
        guint32 type = 1;
        g_variant_lookup (props, "source_type", "u", &type);
        out->surface = type == 2 ? "window" : "monitor";
        gint32 w = 0, h = 0;
        if (g_variant_lookup (props, "size", "(ii)", &w, &h) && w > 0 && h > 0)
          out->size = Size{ (unsigned)w, (unsigned)h };
        g_variant_unref (props);
        g_variant_unref (streams);
      }
      GUnixFDList *fds = nullptr;
      GVariantBuilder opts;
      g_variant_builder_init (&opts, G_VARIANT_TYPE_VARDICT);
      GVariant *r = g_dbus_connection_call_with_unix_fd_list_sync (
          conn_, kBus, kPath, kScreenCast, "OpenPipeWireRemote",
          g_variant_new ("(oa{sv})", session_.c_str (), &opts), G_VARIANT_TYPE ("(h)"),
          G_DBUS_CALL_FLAGS_NONE, 10000, nullptr, &fds, nullptr, &err);
      if (!r)
        {
          *error = std::string ("ScreenCast.OpenPipeWireRemote failed: ") + err->message;
          g_error_free (err);
          break;
        }
      gint32 index = 0;
      g_variant_get (r, "(h)", &index);
      g_variant_unref (r);
      fd_ = fds ? g_unix_fd_list_get (fds, index, &err) : -1;
      if (fds)
        g_object_unref (fds);
      if (fd_ < 0)
        {
          *error = "the ScreenCast portal gave no PipeWire fd";
          if (err)
            g_error_free (err);
          break;
        }
      out->fd = fd_;
      ok = true;
    }
  while (false);

  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
  if (!ok)
    close ();
  return ok;
}

void
ScreenCastSession::close ()
{
  if (fd_ >= 0)
    ::close (fd_);
  fd_ = -1;
  // Synchronous, briefly: an asynchronous call could still be queued when the process exits.
  if (conn_ && !session_.empty ())
    {
      GVariant *r = g_dbus_connection_call_sync (
          conn_, kBus, session_.c_str (), "org.freedesktop.portal.Session", "Close", nullptr,
          nullptr, G_DBUS_CALL_FLAGS_NONE, 2000, nullptr, nullptr);
      if (r)
        g_variant_unref (r);
    }
  session_.clear ();
  g_clear_object (&conn_);
}

} // namespace rtc::display
