// ICE servers as the elements take them (stun://HOST:PORT, turn(s)://USER:PASS@HOST:PORT with
// ?transport=tcp), and what each consumer of them needs: the pages' RTCIceServer JSON, WHIP/WHEP
// Link headers (RFC 9725), webrtcbin's URIs. With a TURN secret (coturn's use-auth-secret, the
// "TURN REST API" scheme) the credentials are made per session and expire. GLib only.
#pragma once

#include <glib.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::signaling
{

struct IceServer
{
  std::string scheme;   // "stun", "turn" or "turns"
  std::string address;  // "HOST:PORT" (an IPv6 host in brackets)
  std::string query;    // "" or "?transport=tcp" / "?transport=udp"
  std::string username; // TURN only; empty with a secret
  std::string credential;
};

// One URI; nullopt with @error set when it is none of the forms above. TURN without
// credentials is accepted only when @have_secret (they are made per session then).
std::optional<IceServer> parse_ice_server (std::string_view uri, bool have_secret,
                                           std::string *error);
// A comma-separated list; on the first bad URI returns false with @error naming it.
bool parse_ice_servers (std::string_view list, bool have_secret, std::vector<IceServer> &out,
                        std::string *error);

// coturn's REST API credentials for @who, valid until @expiry (seconds since the epoch):
// username "EXPIRY:WHO", password base64 (HMAC-SHA1 (secret, username)).
std::pair<std::string, std::string> turn_rest_credentials (std::string_view secret,
                                                           std::string_view who, gint64 expiry);

struct IceConfig
{
  std::vector<IceServer> servers;
  std::string turn_secret;           // set: TURN credentials are made per session
  guint credential_lifetime = 86400; // seconds

  bool empty () const { return servers.empty (); }
  // The servers with the credentials @who uses now (ephemeral ones with a secret).
  std::vector<IceServer> for_peer (std::string_view who) const;
};

// [{"urls":"turn:host:port?transport=tcp","username":..,"credential":..}, ...]
std::string ice_servers_json (const std::vector<IceServer> &servers);
// <turn:host:port>; rel="ice-server"; username=".."; credential=".."; credential-type="password"
std::string ice_server_link (const IceServer &server);
// turn://user:pass@host:port?transport=tcp, as webrtcbin's turn-server / add-turn-server take
std::string ice_server_uri (const IceServer &server);

} // namespace rtc::signaling
