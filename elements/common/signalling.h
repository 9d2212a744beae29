// The element side of signalling, shared by rtcbroadcastsink and rtcingestsrc: the signaller in
// use (the embedded server's when serve=true, or the application's), the element's handlers on
// it, and the address of the embedded server's page.
#pragma once

#include "gst-ptr.h"

#include "signaling/rtc-signaller.h"
#include "signaling/signaller-factory.h"

#include <gst/gst.h>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace rtc
{

// The element's handlers of the RtcSignaller signals, called on the signaller's thread with the
// element as user data ("error" is handled here: it becomes an element error).
struct SignallerCallbacks
{
  GCallback session_requested;
  GCallback session_ended;
  GCallback sdp;
  GCallback ice;
};

struct SignallingConfig
{
  std::string address;
  bool serve = true;
  RtcSignallerRole role = RTC_SIGNALLER_ROLE_PRODUCER;
  const char *page = "/";               // path of the element's page on the embedded server
  const char *action = nullptr;         // "watch": printed as "open URL in a web browser to watch"
  std::string producer_id;              // consumer role over a remote server: whom to consume
  RtcHttpBodyFunc stats_body = nullptr; // embedded server's /stats, with the element as data
  RtcHttpBodyFunc metrics_body = nullptr;           // embedded server's /metrics
  std::function<void (const std::string &)> on_url; // before the URL is announced
  // The embedded server's pages and WHIP/WHEP get these ICE servers (unless the application
  // set the child's own), with per-peer credentials when there is a TURN secret.
  std::string ice_servers; // comma-separated stun:// turn(s):// URIs
  std::string turn_secret;
  guint turn_credential_lifetime = 0;
  std::string public_host; // the printed URL's host, when set (public-address)
};

class Signalling
{
public:
  // @lock is the element's settings lock; @cat its debug category.
  Signalling (std::mutex &lock, GstDebugCategory *&cat) : lock_ (lock), cat_ (cat) {}
  // The child may outlive us (an application's reference): it must not call back.
  ~Signalling ()
  {
    if (remote_ && remote_uri_handler_)
      g_signal_handler_disconnect (remote_.get (), remote_uri_handler_);
  }
  Signalling (const Signalling &) = delete;
  Signalling &operator= (const Signalling &) = delete;

  // Guarded by the settings lock: the signaller in use (the 'signaller' property) and the page's
  // address (the 'url' property).
  Ptr<GObject> signaller;
  std::string url;

  Ptr<GObject> get () const;
  // Whether offers must announce their SSRCs (a=ssrc): the signaller in use talks to a server
  // that demultiplexes by SSRC (WHIP endpoints, Janus VideoRoom).
  bool announces_ssrc () const;

  // The element's `signaller` child (GstChildProxy, `signaller::uri=...` in gst-launch): the
  // application's signaller when one was set; else, with @serve, the embedded server
  // (RtcEmbeddedSignaller: `signaller::auth-token=...`), kept from run to run; else a client of
  // a remote server, used when serve=false, created on first use with @role. The URI scheme picks
  // the client: the child starts as a WebSocket client (RtcWsSignaller); setting its `uri` to
  // http:// or https:// (producer role only) replaces it with a WHIP client (RtcWhipSignaller),
  // janus+http:// or janus+https:// (producer role only) with a Janus VideoRoom publisher
  // (RtcJanusSignaller), and ws(s):// back, carrying uri, auth-token and timeout over. Later
  // lookups of `signaller` return the new object, so WHIP-only properties (signaller::retries) must
  // be set after signaller::uri (before it on a 1.22 gst-launch line, which sets child properties
  // last to first), unless signaller=whip chose the kind first (register_signaller_names()).
  Ptr<GObject> child (RtcSignallerRole role, bool serve);
  // Sets the application's signaller (the 'signaller' property); NULL goes back to the default.
  // One made by name (signaller=whip on a gst-launch line, register_signaller_names()) is set
  // up as the remote client would be (role, meta), whatever `serve` says.
  // Call with the settings lock held.
  void set_signaller_locked (GObject *sig);

  // Creates the embedded signaller unless one is set, connects the handlers and starts it; then
  // prints and posts `rtckit-url` and notifies "url". Posts an element error and returns false
  // when it cannot start.
  bool start (GstElement *element, const SignallingConfig &config,
              const SignallerCallbacks &callbacks);
  // Stops and disconnects; the embedded signaller and its URL belong to that run and go.
  void stop ();

  // To the remote peer of @session_id; nothing without a signaller.
  void send_sdp (const std::string &session_id, const char *type, const char *sdp) const;
  void send_ice (const std::string &session_id, guint mline, const char *candidate) const;
  void end_session (const std::string &session_id, const char *reason) const;
  // Whether a consumer offers in sessions requested without an offer (WHEP).
  bool consumer_offers () const;

private:
  static void on_error (GObject *, const gchar *message, Signalling *self);
  static void on_child_uri (GObject *child, GParamSpec *, Signalling *self);
  // Swaps the default remote client for the kind its uri asks for.
  void retarget (GObject *child);
  Ptr<GObject> make_remote (GType type, GObject *from);
  void fail (const char *message);

  std::mutex &lock_;
  GstDebugCategory *&cat_;
  // Guarded by the settings lock: set through the property, and the default remote client.
  Ptr<GObject> app_signaller_;
  Ptr<GObject> embedded_;
  Ptr<GObject> remote_;
  gulong remote_uri_handler_ = 0;
  RtcSignallerRole remote_role_ = RTC_SIGNALLER_ROLE_PRODUCER;
  // start/stop only (the element's state changes):
  GstElement *element_ = nullptr;
  std::vector<gulong> handlers_;
};

// `signaller=NAME` on a gst-launch line (GStreamer's value deserialization for the
// RtcSignaller-typed `signaller` property): a new remote signaller of the kind
// rtc_signaller_type_for_name() gives, marked with its name. Registered once, when a class
// installs the property (install_endpoint_properties).
void register_signaller_names ();
// The name a signaller was made from by signaller=NAME, or NULL.
const gchar *signaller_name (GObject *sig);

// GstChildProxy for an element (a GstBin) with a `signaller` child before its bin children, so
// that gst-launch can say `signaller::uri=...`. The element's `serve` property picks which one. Use
// as
//   G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY, (rtc::signaller_child_proxy_init<get, role>))
// where @Get returns the element's Signalling and @Role is the role of a default signaller.
GObject *signaller_child_by_name (GstChildProxy *proxy, const gchar *name, Signalling &signalling,
                                  RtcSignallerRole role);
GObject *signaller_child_by_index (GstChildProxy *proxy, guint index, Signalling &signalling,
                                   RtcSignallerRole role);
guint signaller_children_count (GstChildProxy *proxy);

template <Signalling &(*Get) (GstChildProxy *), RtcSignallerRole Role>
void
signaller_child_proxy_init (gpointer g_iface, gpointer)
{
  auto *iface = static_cast<GstChildProxyInterface *> (g_iface);
  iface->get_child_by_name = [] (GstChildProxy *proxy, const gchar *name) {
    return signaller_child_by_name (proxy, name, Get (proxy), Role);
  };
  iface->get_child_by_index = [] (GstChildProxy *proxy, guint index) {
    return signaller_child_by_index (proxy, index, Get (proxy), Role);
  };
  iface->get_children_count = signaller_children_count;
}

} // namespace rtc
