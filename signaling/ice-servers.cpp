#include "ice-servers.h"

#include <json-glib/json-glib.h>

namespace rtc::signaling
{

namespace
{

std::string
unescape (std::string_view s)
{
  g_autofree gchar *raw = g_uri_unescape_segment (s.data (), s.data () + s.size (), nullptr);
  return raw ? raw : "";
}

std::string
escape (const std::string &s)
{
  g_autofree gchar *e = g_uri_escape_string (s.c_str (), nullptr, FALSE);
  return e;
}

/* A quoted-string (RFC 9110 5.6.4). */
std::string
quote (std::string_view s)
{
  std::string out = "\"";
  for (char c : s)
    {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
  return out + "\"";
}

bool
valid_address (std::string_view a)
{
  const auto colon = a.rfind (':');
  if (a.empty () || colon == std::string_view::npos || colon + 1 == a.size ())
    return false;
  for (char c : a.substr (colon + 1))
    if (!g_ascii_isdigit (c))
      return false;
  return a.find_first_of ("<>\"\r\n ,;@/?#") == std::string_view::npos;
}

} // namespace

std::optional<IceServer>
parse_ice_server (std::string_view uri, bool have_secret, std::string *error)
{
  IceServer s;
  for (std::string_view scheme : { "stun", "turns", "turn" })
    if (uri.substr (0, scheme.size () + 3) == std::string (scheme) + "://")
      {
        s.scheme = scheme;
        break;
      }
  auto fail = [&] (const std::string &why) -> std::optional<IceServer> {
    if (error)
      *error = "'" + std::string (uri) + "': " + why;
    return std::nullopt;
  };
  if (s.scheme.empty ())
    return fail ("expected stun://HOST:PORT or turn(s)://USER:PASSWORD@HOST:PORT");
  std::string_view rest = uri.substr (s.scheme.size () + 3);
  if (const auto q = rest.find ('?'); q != std::string_view::npos)
    {
      s.query = rest.substr (q);
      rest = rest.substr (0, q);
      if (s.scheme == "stun" || (s.query != "?transport=tcp" && s.query != "?transport=udp"))
        return fail ("the only parameter is ?transport=tcp|udp, on TURN");
    }
  if (const auto at = rest.rfind ('@'); at != std::string_view::npos)
    {
      const std::string_view cred = rest.substr (0, at);
      const auto colon = cred.find (':');
      if (s.scheme == "stun")
        return fail ("STUN takes no credentials");
      if (colon == std::string_view::npos)
        return fail ("TURN credentials are USER:PASSWORD");
      s.username = unescape (cred.substr (0, colon));
      s.credential = unescape (cred.substr (colon + 1));
      rest = rest.substr (at + 1);
    }
  else if (s.scheme != "stun" && !have_secret)
    return fail ("TURN needs USER:PASSWORD@ (or a turn-secret)");
  if (!valid_address (rest))
    return fail ("expected HOST:PORT");
  s.address = rest;
  return s;
}

bool
parse_ice_servers (std::string_view list, bool have_secret, std::vector<IceServer> &out,
                   std::string *error)
{
  g_auto (GStrv) parts = g_strsplit (std::string (list).c_str (), ",", -1);
  for (gchar **p = parts; *p; p++)
    {
      g_strstrip (*p);
      if (!**p)
        continue;
      auto s = parse_ice_server (*p, have_secret, error);
      if (!s)
        return false;
      out.push_back (*s);
    }
  return true;
}

std::pair<std::string, std::string>
turn_rest_credentials (std::string_view secret, std::string_view who, gint64 expiry)
{
  std::string user = std::to_string (expiry);
  if (!who.empty ())
    user += ":" + std::string (who);
  guint8 digest[20];
  gsize len = sizeof digest;
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA1, reinterpret_cast<const guchar *> (secret.data ()),
                            secret.size ());
  g_hmac_update (hmac, reinterpret_cast<const guchar *> (user.data ()), user.size ());
  g_hmac_get_digest (hmac, digest, &len);
  g_hmac_unref (hmac);
  g_autofree gchar *pass = g_base64_encode (digest, len);
  return { user, pass };
}

std::vector<IceServer>
IceConfig::for_peer (std::string_view who) const
{
  std::vector<IceServer> out = servers;
  if (turn_secret.empty ())
    return out;
  const gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + credential_lifetime;
  auto [user, pass] = turn_rest_credentials (turn_secret, who, expiry);
  for (auto &s : out)
    if (s.scheme != "stun" && s.username.empty ())
      {
        s.username = user;
        s.credential = pass;
      }
  return out;
}

std::string
ice_servers_json (const std::vector<IceServer> &servers)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_array (b);
  for (const auto &s : servers)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "urls");
      json_builder_add_string_value (b, (s.scheme + ":" + s.address + s.query).c_str ());
      if (s.scheme != "stun")
        {
          json_builder_set_member_name (b, "username");
          json_builder_add_string_value (b, s.username.c_str ());
          json_builder_set_member_name (b, "credential");
          json_builder_add_string_value (b, s.credential.c_str ());
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  JsonNode *root = json_builder_get_root (b);
  g_autofree gchar *text = json_to_string (root, FALSE);
  json_node_unref (root);
  g_object_unref (b);
  return text;
}

std::string
ice_server_link (const IceServer &s)
{
  std::string link = "<" + s.scheme + ":" + s.address + s.query + ">; rel=\"ice-server\"";
  if (s.scheme != "stun")
    link += "; username=" + quote (s.username) + "; credential=" + quote (s.credential)
            + "; credential-type=\"password\"";
  return link;
}

std::string
ice_server_uri (const IceServer &s)
{
  if (s.scheme == "stun")
    return "stun://" + s.address;
  return s.scheme + "://" + escape (s.username) + ":" + escape (s.credential) + "@" + s.address
         + s.query;
}

} // namespace rtc::signaling
