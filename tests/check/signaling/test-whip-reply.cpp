/* rtc::whip: what the WHIP/WHEP client reads of a server's answer, no network. */
#include "client-loop.h"
#include "whip-reply.h"

#define ENDPOINT "http://127.0.0.1:8080/whip/endpoint"

/* A function, not g_assert_cmpstr on c_str (): that would outlive a temporary std::string. */
static void
expect_text (const std::string &got, const char *want)
{
  g_assert_cmpstr (got.c_str (), ==, want);
}

static rtc::whip::PostAnswer
answer (std::initializer_list<std::pair<const char *, const char *>> headers,
        std::string_view body = "v=0\r\n")
{
  SoupMessageHeaders *h = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  for (const auto &[name, value] : headers)
    soup_message_headers_append (h, name, value);
  rtc::whip::PostAnswer a = rtc::whip::read_post_answer (ENDPOINT, h, body);
  soup_message_headers_unref (h);
  return a;
}

static void
test_location ()
{
  rtc::whip::PostAnswer a = answer ({ { "Location", "/whip/resource/1" } });
  expect_text (a.resource, "http://127.0.0.1:8080/whip/resource/1");
  g_assert_true (a.location_problem.empty ());
  expect_text (answer ({ { "Location", "r/2" } }).resource, "http://127.0.0.1:8080/whip/r/2");
  expect_text (answer ({ { "Location", "https://cdn.example.net/res?id=3" } }).resource,
               "https://cdn.example.net/res?id=3");

  a = answer ({});
  g_assert_true (a.resource.empty ());
  expect_text (a.location_problem, "answered without a Location: no trickle, no DELETE");
  a = answer ({ { "Location", "http://[::1/x" } });
  g_assert_true (a.resource.empty ());
  g_assert_true (g_str_has_prefix (a.location_problem.c_str (), "bad Location 'http://[::1/x': "));
}

/* A Location that resolves to no URL a request can go to (no host, another scheme) is no
 * resource: the PATCH and DELETE would fail silently later (found by fuzz-whip-client). */
static void
test_location_without_host_or_http ()
{
  for (const char *location :
       { "http:/tial", "https://", "ftp://files.example.net/r", "mailto:ops@example.net",
         /* resolves to a host-less "//" path: a GLib critical before */
         "htspt:; username=\"/..//cd=\"c d\"" })
    {
      rtc::whip::PostAnswer a = answer ({ { "Location", location } });
      if (!a.resource.empty ())
        g_error ("Location '%s' gave the resource %s", location, a.resource.c_str ());
      g_assert_true (g_str_has_prefix (a.location_problem.c_str (), "bad Location '"));
    }
}

static void
test_etag_and_body ()
{
  rtc::whip::PostAnswer a = answer ({ { "ETag", "\"xyz\"" } });
  expect_text (*a.etag, "\"xyz\"");
  expect_text (*a.sdp, "v=0\r\n");
  g_assert_false (answer ({}).etag.has_value ());
  g_assert_false (answer ({}, "").sdp.has_value ());
  g_assert_false (answer ({}, "v=0\r\n\xff").sdp.has_value ());
  g_assert_false (answer ({}, std::string_view ("v=0\0x", 5)).sdp.has_value ());
}

static void
test_link_headers ()
{
  /* Two Link headers are one comma-separated list. */
  rtc::whip::PostAnswer a
      = answer ({ { "Link", "<stun:stun.example.net:3478>; rel=\"ice-server\"" },
                  { "Link", "<turn:t.example.net?transport=udp>; rel=\"ice-server\"; "
                            "username=\"u@x\"; credential=\"p:w\"; credential-type=\"password\"" },
                  { "Link", "</whip/resource/1/layer>; rel=\"urn:ietf:params:whip:ext:layer\"" } });
  g_assert_cmpuint (a.ice_servers.size (), ==, 2);
  expect_text (a.ice_servers[0], "stun://stun.example.net:3478");
  expect_text (a.ice_servers[1], "turn://u%40x:p%3Aw@t.example.net?transport=udp");
  g_assert_true (answer ({}).ice_servers.empty ());
}

static void
test_ice_server_edge_cases ()
{
  using rtc::whip::parse_ice_servers;
  /* rel is a space-separated list, case-insensitive; stun:// and stun: both work. */
  auto s = parse_ice_servers ("<STUN://a:1>; REL=\"next ICE-SERVER\", <stuns:b>;rel=ice-server");
  g_assert_cmpuint (s.size (), ==, 2);
  expect_text (s[0], "stun://a:1");
  expect_text (s[1], "stuns://b");
  /* Unknown schemes, no target, no rel, empty host, an unterminated quote. */
  g_assert_true (parse_ice_servers ("<http://x>; rel=ice-server").empty ());
  g_assert_true (parse_ice_servers ("stun:a; rel=ice-server").empty ());
  g_assert_true (parse_ice_servers ("<stun:a>").empty ());
  g_assert_true (parse_ice_servers ("<stun:>; rel=ice-server").empty ());
  g_assert_true (parse_ice_servers ("<stun:a>; rel=\"ice-server").size () == 1);
  g_assert_true (parse_ice_servers ("").empty ());
  g_assert_true (parse_ice_servers (";;;<>=,,\"").empty ());
}

static void
test_describe_http_status ()
{
  expect_text (rtc::describe_http_status (404, "Not Found", ""), "HTTP 404 Not Found");
  expect_text (rtc::describe_http_status (403, nullptr, "no token\r\n"), "HTTP 403 (no token)");
  expect_text (rtc::describe_http_status (500, "Oops", std::string (300, 'x')),
               ("HTTP 500 Oops (" + std::string (200, 'x') + ")").c_str ());
  /* A body that is no text is left out. */
  expect_text (rtc::describe_http_status (502, "Bad Gateway", "\xff\xfe"), "HTTP 502 Bad Gateway");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/whip-reply/location", test_location);
  g_test_add_func ("/whip-reply/location-without-host-or-http", test_location_without_host_or_http);
  g_test_add_func ("/whip-reply/etag-and-body", test_etag_and_body);
  g_test_add_func ("/whip-reply/link-headers", test_link_headers);
  g_test_add_func ("/whip-reply/ice-server-edge-cases", test_ice_server_edge_cases);
  g_test_add_func ("/whip-reply/describe-http-status", test_describe_http_status);
  return g_test_run ();
}
