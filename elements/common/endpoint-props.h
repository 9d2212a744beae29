// The properties rtcbroadcastsink and rtcingestsrc share, with one meaning in both: where the
// embedded server listens, which signaller is used, and how new peers do ICE. Each element keeps
// its own property ids and installs these as one run of ids; their texts name its kind of peer.
#pragma once

#include "signalling.h"

#include <glib-object.h>

#include <string>

namespace rtc
{

#define RTC_DEFAULT_ADDRESS "127.0.0.1:8080"
#define RTC_DEFAULT_SERVE TRUE
#define RTC_DEFAULT_CONNECT_TIMEOUT 30
#define RTC_DEFAULT_TURN_CREDENTIAL_LIFETIME 86400

// The element's values of the shared properties; its Settings derives from this.
struct EndpointSettings
{
  std::string address = RTC_DEFAULT_ADDRESS;
  bool serve = RTC_DEFAULT_SERVE;
  std::string stun_server;
  std::string turn_servers;
  std::string ice_local_addresses;
  guint connect_timeout = RTC_DEFAULT_CONNECT_TIMEOUT;
  std::string turn_secret;
  guint turn_credential_lifetime = RTC_DEFAULT_TURN_CREDENTIAL_LIFETIME;
  std::string public_addresses; // comma-separated
  std::string ice_port_range;   // "MIN-MAX" or ""
};

// Offsets from the element's first shared id, in the order they are installed.
enum EndpointProp : guint
{
  kPropAddress,
  kPropServe,
  kPropSignaller,
  kPropStunServer,
  kPropTurnServers,
  kPropIceLocalAddresses,
  kPropConnectTimeout,
  kPropTurnSecret,
  kPropTurnCredentialLifetime,
  kPropPublicAddress,
  kPropIcePortRange,
  kEndpointPropCount
};

// What the texts say of the element's peers: "viewer" or "publisher", and what 'serve' adds
// about the remote signallers the element can use.
struct EndpointPropTexts
{
  const char *peer;
  const char *remote_signallers;
};

// Installs the shared properties at ids @first .. @first + kEndpointPropCount - 1.
void install_endpoint_properties (GObjectClass *klass, guint first, const EndpointPropTexts &texts);

// set_property/get_property for them, with the element's settings lock held. Return false when
// @id is not one of them (@first: as installed).
bool set_endpoint_property (EndpointSettings &s, Signalling &signalling, guint first, guint id,
                            const GValue *value);
bool get_endpoint_property (const EndpointSettings &s, const Signalling &signalling, guint first,
                            guint id, GValue *value);

} // namespace rtc
