#include "endpoint-props.h"

#include "signalling.h"

#include <gst/gst.h>

namespace rtc
{

void
install_endpoint_properties (GObjectClass *klass, guint first, const EndpointPropTexts &t)
{
  // The blurbs name the element's peers, so they are built here: GLib keeps copies of them.
  const auto names = GParamFlags (G_PARAM_STATIC_NAME | G_PARAM_STATIC_NICK);
  const auto rw_ready = GParamFlags (G_PARAM_READWRITE | names | GST_PARAM_MUTABLE_READY);
  const auto rw_playing = GParamFlags (G_PARAM_READWRITE | names | GST_PARAM_MUTABLE_PLAYING);
  const std::string peers = std::string (t.peer) + "s";

  g_object_class_install_property (
      klass, first + kPropAddress,
      g_param_spec_string (
          "address", "Address",
          "HOST:PORT the embedded web server listens on; 0.0.0.0:8080 serves the LAN, port 0 "
          "picks a free port (read it back from 'url')",
          RTC_DEFAULT_ADDRESS, rw_ready));
  g_object_class_install_property (
      klass, first + kPropServe,
      g_param_spec_boolean (
          "serve", "Serve",
          ("Run the embedded web and signalling server; false to use a remote one through the "
           "'signaller' child: signaller::uri=ws://HOST:PORT/ws"
           + std::string (t.remote_signallers))
              .c_str (),
          RTC_DEFAULT_SERVE, rw_ready));
  register_signaller_names ();
  g_object_class_install_property (
      klass, first + kPropSignaller,
      g_param_spec_object (
          "signaller", "Signaller",
          ("The RtcSignaller in use (the embedded server's while running with serve=true); set "
           "one from an application to use any signalling transport, whatever 'serve' says. On a "
           "gst-launch line, signaller=KIND makes a client of that kind ("
           + std::string (rtc_signaller_kind_names ())
           + ") whose settings follow in any order: signaller=whip signaller::uri=URL "
             "signaller::retries=3")
              .c_str (),
          RTC_TYPE_SIGNALLER, rw_ready));
  g_object_class_install_property (
      klass, first + kPropStunServer,
      g_param_spec_string (
          "stun-server", "STUN server",
          ("STUN server for new " + peers + " as stun://host:port (none by default: fine on a LAN)")
              .c_str (),
          nullptr, rw_playing));
  g_object_class_install_property (
      klass, first + kPropTurnServers,
      g_param_spec_string (
          "turn-servers", "TURN servers",
          ("Comma-separated TURN servers for new " + peers + ", turn(s)://user:password@host:port")
              .c_str (),
          "", rw_playing));
  g_object_class_install_property (
      klass, first + kPropIceLocalAddresses,
      g_param_spec_string (
          "ice-local-addresses", "ICE local addresses",
          ("Comma-separated local IP addresses ICE may use for new " + peers
           + " (e.g. 127.0.0.1 to keep media on loopback); empty means every interface but "
             "loopback")
              .c_str (),
          "", rw_playing));
  g_object_class_install_property (
      klass, first + kPropConnectTimeout,
      g_param_spec_uint ("connect-timeout", "Connect timeout",
                         ("Seconds a new " + std::string (t.peer)
                          + " may take to connect before it is dropped (0 = forever)")
                             .c_str (),
                         0, 3600, RTC_DEFAULT_CONNECT_TIMEOUT, rw_playing));
  g_object_class_install_property (
      klass, first + kPropTurnSecret,
      g_param_spec_string (
          "turn-secret", "TURN secret",
          "The TURN server's shared secret (coturn use-auth-secret, the TURN REST API scheme): "
          "turn-servers then need no USER:PASSWORD, and every session, ours and the page's, gets "
          "credentials of its own that expire after turn-credential-lifetime",
          nullptr, rw_ready));
  g_object_class_install_property (
      klass, first + kPropTurnCredentialLifetime,
      g_param_spec_uint ("turn-credential-lifetime", "TURN credential lifetime",
                         "Seconds the TURN credentials made with turn-secret are valid", 60,
                         7 * 86400, RTC_DEFAULT_TURN_CREDENTIAL_LIFETIME, rw_ready));
  g_object_class_install_property (
      klass, first + kPropPublicAddress,
      g_param_spec_string (
          "public-address", "Public address",
          "Comma-separated public IP addresses of this host behind a 1:1 NAT or port forward "
          "(like Janus's nat_1_1_mapping): each host candidate is also announced with them, and "
          "the printed URL uses the first; pair it with ice-port-range and forward those ports",
          "", rw_ready));
  g_object_class_install_property (
      klass, first + kPropIcePortRange,
      g_param_spec_string ("ice-port-range", "ICE port range",
                           "Local ports ICE may use, MIN-MAX (e.g. 50000-50100), for a firewall "
                           "that opens only those; empty: any",
                           "", rw_ready));
}

static std::string
string_of (const GValue *value)
{
  const gchar *s = g_value_get_string (value);
  return s ? s : "";
}

bool
set_endpoint_property (EndpointSettings &s, Signalling &signalling, guint first, guint id,
                       const GValue *value)
{
  if (id < first || id >= first + kEndpointPropCount)
    return false;
  switch (id - first)
    {
    case kPropAddress:
      s.address = string_of (value).empty () ? RTC_DEFAULT_ADDRESS : string_of (value);
      break;
    case kPropServe:
      s.serve = g_value_get_boolean (value);
      break;
    case kPropSignaller:
      signalling.set_signaller_locked (G_OBJECT (g_value_get_object (value)));
      break;
    case kPropStunServer:
      s.stun_server = string_of (value);
      break;
    case kPropTurnServers:
      s.turn_servers = string_of (value);
      break;
    case kPropIceLocalAddresses:
      s.ice_local_addresses = string_of (value);
      break;
    case kPropConnectTimeout:
      s.connect_timeout = g_value_get_uint (value);
      break;
    case kPropTurnSecret:
      s.turn_secret = string_of (value);
      break;
    case kPropTurnCredentialLifetime:
      s.turn_credential_lifetime = g_value_get_uint (value);
      break;
    case kPropPublicAddress:
      s.public_addresses = string_of (value);
      break;
    case kPropIcePortRange:
      s.ice_port_range = string_of (value);
      break;
    }
  return true;
}

bool
get_endpoint_property (const EndpointSettings &s, const Signalling &signalling, guint first,
                       guint id, GValue *value)
{
  if (id < first || id >= first + kEndpointPropCount)
    return false;
  switch (id - first)
    {
    case kPropAddress:
      g_value_set_string (value, s.address.c_str ());
      break;
    case kPropServe:
      g_value_set_boolean (value, s.serve);
      break;
    case kPropSignaller:
      g_value_set_object (value, signalling.signaller.get ());
      break;
    case kPropStunServer:
      g_value_set_string (value, s.stun_server.empty () ? nullptr : s.stun_server.c_str ());
      break;
    case kPropTurnServers:
      g_value_set_string (value, s.turn_servers.c_str ());
      break;
    case kPropIceLocalAddresses:
      g_value_set_string (value, s.ice_local_addresses.c_str ());
      break;
    case kPropConnectTimeout:
      g_value_set_uint (value, s.connect_timeout);
      break;
    case kPropTurnSecret:
      g_value_set_string (value, s.turn_secret.empty () ? nullptr : s.turn_secret.c_str ());
      break;
    case kPropTurnCredentialLifetime:
      g_value_set_uint (value, s.turn_credential_lifetime);
      break;
    case kPropPublicAddress:
      g_value_set_string (value, s.public_addresses.c_str ());
      break;
    case kPropIcePortRange:
      g_value_set_string (value, s.ice_port_range.c_str ());
      break;
    }
  return true;
}

} // namespace rtc
