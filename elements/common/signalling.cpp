#include "signalling.h"

#include <gio/gio.h>

// Log as the element that owns this signalling.
#define GST_CAT_DEFAULT cat_

namespace rtc
{

Ptr<GObject>
Signalling::get () const
{
  std::lock_guard lock (lock_);
  return signaller;
}

bool
Signalling::announces_ssrc () const
{
  Ptr<GObject> sig = get ();
  return sig && rtc_signaller_announces_ssrc (RTC_SIGNALLER (sig.get ()));
}

Ptr<GObject>
Signalling::child (RtcSignallerRole role, bool serve)
{
  std::lock_guard lock (lock_);
  if (app_signaller_)
    return app_signaller_;
  if (serve)
    {
      if (!embedded_)
        embedded_ = Ptr<GObject> (rtc_signaller_new_server (role));
      return embedded_;
    }
  if (!remote_)
    {
      remote_role_ = role;
      remote_ = Ptr<GObject> (rtc_signaller_new_client (role));
      remote_uri_handler_
          = g_signal_connect (remote_.get (), "notify::uri", G_CALLBACK (on_child_uri), this);
    }
  return remote_;
}

void
Signalling::on_child_uri (GObject *child, GParamSpec *, Signalling *self)
{
  self->retarget (child);
}

// A new default client of @type with the connection settings of @from (no lock held: setting
// properties notifies).
Ptr<GObject>
Signalling::make_remote (GType type, GObject *from)
{
  GStr uri;
  g_object_get (from, "uri", uri.out (), nullptr);
  GObject *obj = G_OBJECT (g_object_new (type, "uri", uri.get (), nullptr));
  // What both kinds have carries over (a local:// signaller has no token nor timeout).
  auto has = [] (GObject *o, const char *name) {
    return g_object_class_find_property (G_OBJECT_GET_CLASS (o), name) != nullptr;
  };
  if (has (from, "auth-token") && has (obj, "auth-token"))
    {
      GStr token;
      g_object_get (from, "auth-token", token.out (), nullptr);
      g_object_set (obj, "auth-token", token.get (), nullptr);
    }
  if (has (from, "timeout") && has (obj, "timeout"))
    {
      guint timeout = 0;
      g_object_get (from, "timeout", &timeout, nullptr);
      g_object_set (obj, "timeout", timeout, nullptr);
    }
  if (has (obj, "role"))
    g_object_set (obj, "role", remote_role_, nullptr);
  return Ptr<GObject> (obj);
}

void
Signalling::retarget (GObject *child)
{
  GStr uri;
  g_object_get (child, "uri", uri.out (), nullptr);
  GType want;
  {
    std::lock_guard lock (lock_);
    if (remote_.get () != child)
      return;
    want = rtc_signaller_type_for_uri (uri.get (), remote_role_);
    // Anything else: start() of the current client names the bad URI.
    if (!want)
      return;
    if (G_OBJECT_TYPE (child) == want)
      return;
  }
  Ptr<GObject> next = make_remote (want, child);
  std::lock_guard lock (lock_);
  if (remote_.get () != child)
    return;
  g_signal_handler_disconnect (child, remote_uri_handler_);
  remote_ = next;
  remote_uri_handler_
      = g_signal_connect (remote_.get (), "notify::uri", G_CALLBACK (on_child_uri), this);
}

void
Signalling::set_signaller_locked (GObject *sig)
{
  app_signaller_ = Ptr<GObject>::ref (sig);
  signaller = app_signaller_;
}

void
Signalling::on_error (GObject *, const gchar *message, Signalling *self)
{
  self->fail (message);
}

void
Signalling::fail (const char *message)
{
  GST_ELEMENT_ERROR (element_, RESOURCE, FAILED, ("Signalling failed: %s", message), (nullptr));
}

bool
Signalling::start (GstElement *element, const SignallingConfig &config,
                   const SignallerCallbacks &callbacks)
{
  Ptr<GObject> sig = get ();
  const gchar *named = sig ? signaller_name (sig.get ()) : nullptr;
  if (named && !rtc_signaller_type_serves (G_OBJECT_TYPE (sig.get ()), config.role))
    {
      GST_ELEMENT_ERROR (
          element, RESOURCE, SETTINGS,
          ("signaller=%s cannot receive media: it only publishes", named),
          ("set signaller to one of %s, or leave it unset", rtc_signaller_kind_names ()));
      return false;
    }
  if (named || (!sig && !config.serve))
    {
      // A remote signalling server: the `signaller` child, a WebSocket client by default, or
      // the kind signaller=NAME chose.
      if (!sig)
        sig = child (config.role, false);
      // The role may follow a property set after the child was made (rtccallbin's call).
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (sig.get ()), "role"))
        g_object_set (sig.get (), "role", config.role, nullptr);
      // A client of our protocol announces itself with a meta, and may be told whom to consume.
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (sig.get ()), "producer-id"))
        {
          GStr meta (g_strdup_printf ("{\"name\":\"%s\"}", GST_OBJECT_NAME (element)));
          GStr current;
          g_object_get (sig.get (), "meta", current.out (), nullptr);
          if (!current)
            g_object_set (sig.get (), "meta", meta.get (), nullptr);
          if (!config.producer_id.empty ())
            g_object_set (sig.get (), "producer-id", config.producer_id.c_str (), nullptr);
        }
      std::lock_guard lock (lock_);
      signaller = sig;
    }
  if (!sig)
    {
      // The embedded server: the `signaller` child of serve=true, with what was set on it.
      sig = child (config.role, true);
      GStr meta (g_strdup_printf ("{\"name\":\"%s\"}", GST_OBJECT_NAME (element)));
      GStr current;
      g_object_get (sig.get (), "meta", current.out (), nullptr);
      g_object_set (sig.get (), "address", config.address.c_str (), "role", config.role, nullptr);
      // The element's ICE servers for the pages, unless signaller::ice-servers= said otherwise.
      GStr ice, secret;
      g_object_get (sig.get (), "ice-servers", ice.out (), "turn-secret", secret.out (), nullptr);
      if ((!ice || !*ice.get ()) && !config.ice_servers.empty ())
        g_object_set (sig.get (), "ice-servers", config.ice_servers.c_str (), nullptr);
      if (!secret && !config.turn_secret.empty ())
        g_object_set (sig.get (), "turn-secret", config.turn_secret.c_str (),
                      "turn-credential-lifetime", config.turn_credential_lifetime, nullptr);
      if (!current)
        g_object_set (sig.get (), "meta", meta.get (), nullptr);
      rtc_signaller_set_http_bodies (RTC_SIGNALLER (sig.get ()), config.stats_body,
                                     config.metrics_body, element);
      std::lock_guard lock (lock_);
      signaller = sig;
    }
  element_ = element;
  auto &h = handlers_;
  h.push_back (
      g_signal_connect (sig.get (), "session-requested", callbacks.session_requested, element));
  h.push_back (g_signal_connect (sig.get (), "session-ended", callbacks.session_ended, element));
  h.push_back (g_signal_connect (sig.get (), "sdp", callbacks.sdp, element));
  h.push_back (g_signal_connect (sig.get (), "ice", callbacks.ice, element));
  h.push_back (g_signal_connect (sig.get (), "error", G_CALLBACK (on_error), this));

  const std::string &address = config.address;
  Error err;
  if (!rtc_signaller_start (RTC_SIGNALLER (sig.get ()), err.out ()))
    {
      if (g_error_matches (err.get (), G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ_WRITE,
                           ("The address %s is already in use: set address=HOST:PORT to another "
                            "port (e.g. address=127.0.0.1:8081) or stop the other program",
                            address.c_str ()),
                           ("%s", err.message ()));
      else if (!config.serve)
        GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ_WRITE,
                           ("Could not reach the signalling server: %s", err.message ()),
                           ("serve=false: check signaller::uri"));
      else
        GST_ELEMENT_ERROR (
            element, RESOURCE, OPEN_READ_WRITE,
            ("Could not start signalling on %s: %s", address.c_str (), err.message ()), (nullptr));
      for (auto id : h)
        g_signal_handler_disconnect (sig.get (), id);
      h.clear ();
      // A new start sets the address again.
      {
        std::lock_guard lock (lock_);
        signaller = app_signaller_;
      }
      return false;
    }
  // A signaller that serves pages (the embedded server) has a port: print and post the page.
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (sig.get ()), "port"))
    {
      guint port = 0;
      g_object_get (sig.get (), "port", &port, nullptr);
      std::string host = config.public_host.empty () ? address.substr (0, address.rfind (':'))
                                                     : config.public_host;
      if (host == "0.0.0.0" || host == "[::]" || host.empty ())
        host = g_get_host_name ();
      std::string page_url = "http://" + host + ":" + std::to_string (port) + config.page;
      if (config.on_url)
        config.on_url (page_url);
      {
        std::lock_guard lock (lock_);
        url = page_url;
      }
      g_print ("%s: open %s in a web browser to %s\n", GST_OBJECT_NAME (element), page_url.c_str (),
               config.action);
      gst_element_post_message (
          element, gst_message_new_element (GST_OBJECT (element),
                                            gst_structure_new ("rtckit-url", "url", G_TYPE_STRING,
                                                               page_url.c_str (), nullptr)));
      g_object_notify (G_OBJECT (element), "url");
    }
  return true;
}

void
Signalling::stop ()
{
  Ptr<GObject> sig = get ();
  if (!sig)
    return;
  rtc_signaller_stop (RTC_SIGNALLER (sig.get ()));
  for (auto id : handlers_)
    g_signal_handler_disconnect (sig.get (), id);
  handlers_.clear ();
  // The page callbacks point at the element, which the child may outlive.
  rtc_signaller_set_http_bodies (RTC_SIGNALLER (sig.get ()), nullptr, nullptr, nullptr);
  // An application's signaller stays; the embedded one and the remote client stay the
  // `signaller` child for the next run.
  std::lock_guard lock (lock_);
  signaller = app_signaller_;
  url.clear ();
}

void
Signalling::send_sdp (const std::string &session_id, const char *type, const char *sdp) const
{
  if (auto sig = get ())
    rtc_signaller_send_sdp (RTC_SIGNALLER (sig.get ()), session_id.c_str (), type, sdp);
}

void
Signalling::send_ice (const std::string &session_id, guint mline, const char *candidate) const
{
  if (auto sig = get ())
    rtc_signaller_send_ice (RTC_SIGNALLER (sig.get ()), session_id.c_str (), mline, candidate);
}

bool
Signalling::consumer_offers () const
{
  auto sig = get ();
  return sig && rtc_signaller_consumer_offers (RTC_SIGNALLER (sig.get ()));
}

void
Signalling::end_session (const std::string &session_id, const char *reason) const
{
  if (auto sig = get ())
    rtc_signaller_end_session (RTC_SIGNALLER (sig.get ()), session_id.c_str (), reason);
}

static GstChildProxyInterface *
bin_child_proxy ()
{
  return static_cast<GstChildProxyInterface *> (
      g_type_interface_peek (g_type_class_peek (GST_TYPE_BIN), GST_TYPE_CHILD_PROXY));
}

// The element's `serve` property (true when it has none).
static bool
serving (GstChildProxy *proxy)
{
  gboolean serve = TRUE;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (proxy), "serve"))
    g_object_get (proxy, "serve", &serve, nullptr);
  return serve;
}

/* --- signaller=NAME ------------------------------------------------------------------------ */

static GQuark
name_quark ()
{
  return g_quark_from_static_string ("rtckit-signaller-name");
}

const gchar *
signaller_name (GObject *sig)
{
  return static_cast<const gchar *> (g_object_get_qdata (sig, name_quark ()));
}

static gboolean
signaller_from_name (GValue *dest, const gchar *s)
{
  const GType type = rtc_signaller_type_for_name (s);
  if (!type)
    {
      // Said where the gst-launch user sees it: the parser's own error names no kinds.
      g_printerr ("signaller=%s: no signaller kind of that name (the kinds: %s)\n", s,
                  rtc_signaller_kind_names ());
      return FALSE;
    }
  GObject *sig = G_OBJECT (g_object_new (type, nullptr));
  g_object_set_qdata_full (sig, name_quark (), g_ascii_strdown (s, -1), g_free);
  g_value_take_object (dest, sig);
  return TRUE;
}

static gchar *
signaller_to_name (const GValue *value)
{
  auto *sig = G_OBJECT (g_value_get_object (value));
  if (!sig)
    return g_strdup ("NULL");
  const gchar *name = signaller_name (sig);
  return g_strdup (name ? name : G_OBJECT_TYPE_NAME (sig));
}

void
register_signaller_names ()
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      static GstValueTable table = {};
      table.type = RTC_TYPE_SIGNALLER;
      table.serialize = signaller_to_name;
      table.deserialize = signaller_from_name;
      gst_value_register (&table);
      g_once_init_leave (&done, 1);
    }
}

GObject *
signaller_child_by_name (GstChildProxy *proxy, const gchar *name, Signalling &signalling,
                         RtcSignallerRole role)
{
  if (g_strcmp0 (name, "signaller") == 0)
    return signalling.child (role, serving (proxy)).release ();
  return bin_child_proxy ()->get_child_by_name (proxy, name);
}

GObject *
signaller_child_by_index (GstChildProxy *proxy, guint index, Signalling &signalling,
                          RtcSignallerRole role)
{
  if (index == 0)
    return signalling.child (role, serving (proxy)).release ();
  return bin_child_proxy ()->get_child_by_index (proxy, index - 1);
}

guint
signaller_children_count (GstChildProxy *proxy)
{
  return 1 + bin_child_proxy ()->get_children_count (proxy);
}

} // namespace rtc
