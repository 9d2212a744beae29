/* rtc::json: see json-text.h. */
#include "json-text.h"

namespace rtc::json
{

namespace
{
constexpr std::string_view kSpace = " \t\r\n";
}

size_t
container_end (std::string_view text)
{
  size_t i = text.find_first_not_of (kSpace);
  if (i == std::string_view::npos || (text[i] != '{' && text[i] != '['))
    return std::string_view::npos;
  int depth = 0;
  bool in_string = false;
  for (; i < text.size (); i++)
    {
      const char c = text[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = false;
          continue;
        }
      if (c == '"')
        in_string = true;
      else if (c == '{' || c == '[')
        depth++;
      else if ((c == '}' || c == ']') && --depth == 0)
        return i + 1;
    }
  return std::string_view::npos;
}

JsonNode *
parse_container (std::string_view text, std::string &error)
{
  /* g_utf8_validate() with a length also fails on NUL bytes, where json-glib would stop. */
  if (!g_utf8_validate (text.data (), static_cast<gssize> (text.size ()), nullptr))
    {
      error = "not UTF-8 text";
      return nullptr;
    }
  const size_t first = text.find_first_not_of (kSpace);
  if (first == std::string_view::npos || (text[first] != '{' && text[first] != '['))
    {
      error = "not a JSON object or array";
      return nullptr;
    }
  const size_t end = container_end (text);
  if (end != std::string_view::npos
      && text.find_first_not_of (kSpace, end) != std::string_view::npos)
    {
      error = "not valid JSON: unexpected data after the value";
      return nullptr;
    }
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = nullptr;
  if (!json_parser_load_from_data (parser, text.data (), static_cast<gssize> (text.size ()), &err))
    {
      error = std::string ("not valid JSON: ") + err->message;
      return nullptr;
    }
  JsonNode *root = json_parser_steal_root (parser);
  if (!root)
    error = "not valid JSON: empty";
  return root;
}

} // namespace rtc::json
