/* libFuzzer target: what RtcWhipSignaller reads of a WHIP or WHEP server's reply to its POST,
 * from the bytes on the wire on: libsoup's own response parser (soup_headers_parse_response, as
 * its HTTP/1 client uses it) makes the status and the headers, then the signaller's code reads
 * them (rtc::whip::read_post_answer for a 201, describe_http_status for a failure).
 *
 * Input: an HTTP/1.1 response head, an empty line, then the body:
 *     HTTP/1.1 201 Created
 *     Location: /whip/resource/1
 *     Link: <stun:stun.example.net>; rel="ice-server"
 *
 *     v=0 ...
 * Checked: either a resource URL that requests can go to or a reason why there is none; ICE servers
 * only in the element's stun(s):// and turn(s):// forms; an answer only when it is UTF-8 text;
 * a failure's description starts with its status. */
#include "client-loop.h"
#include "fuzz-check.h"
#include "whip-reply.h"

#include <cstdint>
#include <cstring>
#include <string_view>

namespace
{

const char *const kEndpoint = "https://whip.example.net:8443/live/whip?stream=1";

bool
one_of_our_forms (const std::string &server)
{
  for (const char *scheme : { "stun://", "stuns://", "turn://", "turns://" })
    if (g_str_has_prefix (server.c_str (), scheme) && server.size () > strlen (scheme))
      return true;
  return false;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const std::string_view input (reinterpret_cast<const char *> (data), size);
  size_t head_end = input.find ("\r\n\r\n");
  size_t body_start = head_end == std::string_view::npos ? head_end : head_end + 4;
  if (head_end == std::string_view::npos)
    {
      head_end = input.find ("\n\n");
      body_start = head_end == std::string_view::npos ? input.size () : head_end + 2;
    }
  /* libsoup parses a NUL-terminated copy of the head it read. */
  const std::string head (input.substr (0, body_start));
  const std::string_view body = input.substr (body_start);
  if (head.empty () || head.size () > G_MAXINT)
    return 0;

  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  SoupHTTPVersion version;
  guint status = 0;
  char *reason = nullptr;
  if (soup_headers_parse_response (head.data (), static_cast<int> (head.size ()), headers, &version,
                                   &status, &reason))
    {
      const std::string described = rtc::describe_http_status (status, reason, body);
      FUZZ_CHECK (
          g_str_has_prefix (described.c_str (), ("HTTP " + std::to_string (status)).c_str ()));
      if (status == SOUP_STATUS_CREATED)
        {
          const rtc::whip::PostAnswer a = rtc::whip::read_post_answer (kEndpoint, headers, body);
          FUZZ_CHECK (a.resource.empty () != a.location_problem.empty ());
          if (!a.resource.empty ())
            {
              /* The resource is where the PATCH and DELETE requests go. */
              g_autoptr (SoupMessage) del = soup_message_new ("DELETE", a.resource.c_str ());
              FUZZ_CHECK (del != nullptr);
            }
          for (const auto &server : a.ice_servers)
            FUZZ_CHECK (one_of_our_forms (server));
          if (a.sdp)
            FUZZ_CHECK (
                !a.sdp->empty ()
                && g_utf8_validate (a.sdp->data (), static_cast<gssize> (a.sdp->size ()), nullptr));
        }
    }
  g_free (reason);
  soup_message_headers_unref (headers);
  return 0;
}
