/* ICE servers as the elements take them, and what the pages (welcome), WHIP/WHEP (Link headers)
 * and webrtcbin get: static credentials as given, or per-peer TURN REST credentials that
 * coturn's use-auth-secret accepts. */
#include "ice-servers.h"
#include "server.h"

#include <json-glib/json-glib.h>

#include <memory>
#include <string>
#include <vector>

using rtc::signaling::IceConfig;
using rtc::signaling::IceServer;
using rtc::signaling::parse_ice_server;

static void
test_uris_parse_and_bad_ones_are_named ()
{
  std::string why;
  auto turn
      = parse_ice_server ("turns://u%40x:p%3Aw@relay.example:5349?transport=tcp", false, &why);
  g_assert_true (turn.has_value ());
  g_assert_cmpstr (turn->scheme.c_str (), ==, "turns");
  g_assert_cmpstr (turn->address.c_str (), ==, "relay.example:5349");
  g_assert_cmpstr (turn->query.c_str (), ==, "?transport=tcp");
  g_assert_cmpstr (turn->username.c_str (), ==, "u@x");
  g_assert_cmpstr (turn->credential.c_str (), ==, "p:w");
  const std::string uri = rtc::signaling::ice_server_uri (*turn);
  g_assert_cmpstr (uri.c_str (), ==, "turns://u%40x:p%3Aw@relay.example:5349?transport=tcp");
  /* Without credentials TURN needs a secret. */
  g_assert_false (parse_ice_server ("turn://relay.example:3478", false, &why).has_value ());
  g_assert_true (why.find ("turn-secret") != std::string::npos);
  g_assert_true (parse_ice_server ("turn://relay.example:3478", true, &why).has_value ());
  for (const char *bad :
       { "http://x:1", "stun://u:p@h:1", "stun://h", "stun://h:port",
         "turn://u:p@h:1?transport=sctp", "stun://h:1?transport=tcp", "stun://a b:1" })
    {
      why.clear ();
      g_assert_false (parse_ice_server (bad, false, &why).has_value ());
      g_assert_true (why.find (bad) != std::string::npos);
    }
  std::vector<IceServer> list;
  g_assert_false (rtc::signaling::parse_ice_servers ("stun://a:1, bogus", false, list, &why));
  g_assert_true (why.find ("bogus") != std::string::npos);
}

static void
test_turn_rest_credentials_are_the_hmac_coturn_checks ()
{
  auto [user, pass] = rtc::signaling::turn_rest_credentials ("s3cret", "peer-1", 1700000000);
  g_assert_cmpstr (user.c_str (), ==, "1700000000:peer-1");
  /* coturn: base64 (HMAC-SHA1 (secret, username)); computed here with GLib's own API. */
  g_autofree gchar *hex
      = g_compute_hmac_for_string (G_CHECKSUM_SHA1, (const guchar *)"s3cret", 6, user.c_str (), -1);
  guint8 raw[20];
  for (int i = 0; i < 20; i++)
    raw[i] = (guint8)g_ascii_strtoull (std::string (hex + 2 * i, 2).c_str (), nullptr, 16);
  g_autofree gchar *b64 = g_base64_encode (raw, 20);
  g_assert_cmpstr (pass.c_str (), ==, b64);
}

static void
test_each_peer_gets_credentials_of_its_own_that_expire ()
{
  IceConfig ice;
  std::string why;
  g_assert_true (rtc::signaling::parse_ice_servers (
      "stun://127.0.0.1:3478,turn://127.0.0.1:3478?transport=tcp", true, ice.servers, &why));
  ice.turn_secret = "s3cret";
  ice.credential_lifetime = 600;
  const gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  auto a = ice.for_peer ("a"), b = ice.for_peer ("b");
  g_assert_cmpuint (a.size (), ==, 2);
  g_assert_true (a[0].username.empty ()); /* STUN has none */
  g_assert_cmpstr (a[1].username.c_str (), !=, b[1].username.c_str ());
  const gint64 expiry = g_ascii_strtoll (a[1].username.c_str (), nullptr, 10);
  g_assert_cmpint (expiry, >=, now + 600);
  g_assert_cmpint (expiry, <=, now + 602);
  /* Static credentials stay as given. */
  IceConfig fixed;
  g_assert_true (
      rtc::signaling::parse_ice_servers ("turn://u:p@127.0.0.1:3478", false, fixed.servers, &why));
  g_assert_cmpstr (fixed.for_peer ("x")[0].username.c_str (), ==, "u");
}

class InboxSink : public rtc::signaling::PeerSink
{
public:
  explicit InboxSink (std::vector<std::string> &inbox) : inbox_ (inbox) {}
  void send_text (const std::string &text) override { inbox_.push_back (text); }

private:
  std::vector<std::string> &inbox_;
};

static void
test_the_welcome_carries_the_pages_ice_servers ()
{
  rtc::signaling::Router router;
  IceConfig ice;
  std::string why;
  g_assert_true (rtc::signaling::parse_ice_servers ("stun://127.0.0.1:3478,turn://127.0.0.1:3478",
                                                    true, ice.servers, &why));
  ice.turn_secret = "s3cret";
  router.set_ice (ice);
  std::vector<std::string> inbox;
  const std::string id = router.add_remote (std::make_unique<InboxSink> (inbox));
  g_assert_cmpuint (inbox.size (), ==, 1);
  JsonParser *parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, inbox[0].c_str (), -1, nullptr));
  JsonObject *msg = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (msg, "type"), ==, "welcome");
  JsonArray *servers = json_object_get_array_member (msg, "iceServers");
  g_assert_nonnull (servers);
  g_assert_cmpuint (json_array_get_length (servers), ==, 2);
  JsonObject *turn = json_array_get_object_element (servers, 1);
  g_assert_cmpstr (json_object_get_string_member (turn, "urls"), ==, "turn:127.0.0.1:3478");
  /* The username names this peer: a credential leaked from one page is not another's. */
  const std::string user = json_object_get_string_member (turn, "username");
  g_assert_true (user.size () > id.size () && user.substr (user.size () - id.size ()) == id);
  g_assert_true (json_object_has_member (turn, "credential"));
  g_object_unref (parser);
  /* Without servers the welcome stays as gst-plugins-rs' server sends it. */
  rtc::signaling::Router plain;
  std::vector<std::string> inbox2;
  plain.add_remote (std::make_unique<InboxSink> (inbox2));
  g_assert_true (inbox2[0].find ("iceServers") == std::string::npos);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/signaling/ice-servers/uris-parse-and-bad-ones-are-named",
                   test_uris_parse_and_bad_ones_are_named);
  g_test_add_func ("/signaling/ice-servers/turn-rest-credentials-are-the-hmac-coturn-checks",
                   test_turn_rest_credentials_are_the_hmac_coturn_checks);
  g_test_add_func ("/signaling/ice-servers/each-peer-gets-credentials-of-its-own-that-expire",
                   test_each_peer_gets_credentials_of_its_own_that_expire);
  g_test_add_func ("/signaling/ice-servers/the-welcome-carries-the-pages-ice-servers",
                   test_the_welcome_carries_the_pages_ice_servers);
  return g_test_run ();
}
