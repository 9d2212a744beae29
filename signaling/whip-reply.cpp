/* rtc::whip: reading a WHIP or WHEP server's answer to the offer. */
#include "whip-reply.h"

namespace rtc::whip
{

namespace
{

/* One Link value: <target>; param=value; param="value", ... */
void
parse_link (const std::string &link, std::vector<std::string> &servers)
{
  size_t lt = link.find ('<'), gt = link.find ('>');
  if (lt == std::string::npos || gt == std::string::npos || gt < lt)
    return;
  std::string target = link.substr (lt + 1, gt - lt - 1);
  std::string rel, user, cred;
  size_t pos = gt + 1;
  while ((pos = link.find (';', pos)) != std::string::npos)
    {
      pos++;
      size_t eq = link.find ('=', pos);
      if (eq == std::string::npos)
        break;
      std::string key = link.substr (pos, eq - pos);
      key.erase (0, key.find_first_not_of (" \t"));
      key.erase (key.find_last_not_of (" \t") + 1);
      size_t v = link.find_first_not_of (" \t", eq + 1);
      if (v == std::string::npos)
        break;
      std::string value;
      if (link[v] == '"')
        {
          size_t end = link.find ('"', v + 1);
          value = link.substr (v + 1, end == std::string::npos ? std::string::npos : end - v - 1);
          pos = end == std::string::npos ? link.size () : end + 1;
        }
      else
        {
          size_t end = link.find (';', v);
          value = link.substr (v, end == std::string::npos ? std::string::npos : end - v);
          value.erase (value.find_last_not_of (" \t") + 1);
          pos = end == std::string::npos ? link.size () : end;
        }
      g_autofree gchar *lower = g_ascii_strdown (key.c_str (), -1);
      if (g_str_equal (lower, "rel"))
        rel = value;
      else if (g_str_equal (lower, "username"))
        user = value;
      else if (g_str_equal (lower, "credential"))
        cred = value;
    }
  bool is_ice = false;
  {
    g_auto (GStrv) rels = g_strsplit (rel.c_str (), " ", -1);
    for (guint i = 0; rels[i]; i++)
      if (g_ascii_strcasecmp (rels[i], "ice-server") == 0)
        is_ice = true;
  }
  size_t colon = target.find (':');
  if (!is_ice || colon == std::string::npos)
    return;
  g_autofree gchar *scheme = g_ascii_strdown (target.substr (0, colon).c_str (), -1);
  std::string rest = target.substr (colon + 1);
  if (g_str_has_prefix (rest.c_str (), "//"))
    rest.erase (0, 2);
  if (rest.empty ())
    return;
  if (g_str_equal (scheme, "stun") || g_str_equal (scheme, "stuns"))
    servers.push_back (std::string (scheme) + "://" + rest);
  else if (g_str_equal (scheme, "turn") || g_str_equal (scheme, "turns"))
    {
      std::string auth;
      if (!user.empty ())
        {
          g_autofree gchar *u = g_uri_escape_string (user.c_str (), nullptr, FALSE);
          g_autofree gchar *p = g_uri_escape_string (cred.c_str (), nullptr, FALSE);
          auth = std::string (u) + ":" + p + "@";
        }
      servers.push_back (std::string (scheme) + "://" + auth + rest);
    }
}

constexpr auto kHttpFlags = static_cast<GUriFlags> (SOUP_HTTP_URI_FLAGS);

/* @location resolved against @endpoint, when libsoup can send a request there (what
 * soup_message_new() checks: http or https, a host); "" with @why set otherwise. Checked before
 * the URI becomes text: g_uri_to_string() logs a critical for a host-less URI whose path starts
 * with "//", which some Locations resolve to. */
std::string
resolve_location (const std::string &endpoint, const char *location, std::string &why)
{
  g_autoptr (GError) err = nullptr;
  g_autoptr (GUri) base = g_uri_parse (endpoint.c_str (), kHttpFlags, &err);
  g_autoptr (GUri) uri = base ? g_uri_parse_relative (base, location, kHttpFlags, &err) : nullptr;
  if (!uri)
    {
      why = err->message;
      return "";
    }
  const char *scheme = g_uri_get_scheme (uri), *host = g_uri_get_host (uri);
  if ((g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
      || !host || !*host)
    {
      why = "not an http(s) URL with a host";
      return "";
    }
  g_autofree gchar *text = g_uri_to_string (uri);
  return text;
}

} // namespace

std::vector<std::string>
parse_ice_servers (std::string_view link_header)
{
  std::vector<std::string> servers;
  /* Split on commas outside <...> and "...". */
  std::string cur;
  bool in_angle = false, in_quote = false;
  for (char c : link_header)
    {
      if (c == '"' && !in_angle)
        in_quote = !in_quote;
      else if (c == '<' && !in_quote)
        in_angle = true;
      else if (c == '>' && !in_quote)
        in_angle = false;
      if (c == ',' && !in_angle && !in_quote)
        {
          parse_link (cur, servers);
          cur.clear ();
        }
      else
        cur += c;
    }
  parse_link (cur, servers);
  return servers;
}

PostAnswer
read_post_answer (const std::string &endpoint, SoupMessageHeaders *headers, std::string_view body)
{
  PostAnswer answer;
  if (const char *location = soup_message_headers_get_one (headers, "Location"))
    {
      std::string why;
      answer.resource = resolve_location (endpoint, location, why);
      if (answer.resource.empty ())
        answer.location_problem = std::string ("bad Location '") + location + "': " + why;
    }
  else
    answer.location_problem = "answered without a Location: no trickle, no DELETE";
  if (const char *etag = soup_message_headers_get_one (headers, "ETag"))
    answer.etag = etag;
  if (const char *links = soup_message_headers_get_list (headers, "Link"))
    answer.ice_servers = parse_ice_servers (links);
  if (!body.empty () && g_utf8_validate (body.data (), static_cast<gssize> (body.size ()), nullptr))
    answer.sdp = std::string (body);
  return answer;
}

} // namespace rtc::whip
