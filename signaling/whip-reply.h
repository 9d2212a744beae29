/* rtc::whip: what a WHIP or WHEP client (RtcWhipSignaller) reads of the server's reply to the
 * offer's POST: the resource URL from Location, the ETag, the ICE servers of the Link headers and
 * the SDP answer. The requests and the HTTP loop stay in rtc-whip-signaller.cpp.
 *
 * Pure functions with no state: safe from any thread. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::whip
{

/* The ICE servers among the values of Link headers (comma-separated, RFC 8288): those with
 * rel="ice-server", as stun(s)://HOST[:PORT] or turn(s)://[USER:PASS@]HOST[:PORT][?query] (user
 * and password URI-escaped), in order. Anything else is skipped. */
std::vector<std::string> parse_ice_servers (std::string_view link_header);

/* What the client keeps of a 201 answer. */
struct PostAnswer
{
  std::string resource; /* Location resolved against the endpoint; "" unless an http(s) URL */
  std::string location_problem; /* why there is no resource, for the log; "" when there is one */
  std::optional<std::string> etag;
  std::vector<std::string> ice_servers;
  std::optional<std::string> sdp; /* nullopt when the body is empty or not UTF-8 text */
};

/* Reads the 201 answer to the offer POSTed to @endpoint: its response @headers and @body. */
PostAnswer read_post_answer (const std::string &endpoint, SoupMessageHeaders *headers,
                             std::string_view body);

} // namespace rtc::whip
