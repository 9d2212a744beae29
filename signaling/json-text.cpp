/* rtc::json: see json-text.h. */
#include "json-text.h"

#include <vector>

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

bool
strings_are_utf8 (JsonNode *node)
{
  auto utf8 = [] (const char *s) { return !s || g_utf8_validate (s, -1, nullptr); };
  /* A stack, not recursion: the nesting is the peer's to choose. */
  std::vector<JsonNode *> todo{ node };
  while (!todo.empty ())
    {
      JsonNode *n = todo.back ();
      todo.pop_back ();
      if (JSON_NODE_HOLDS_OBJECT (n))
        {
          JsonObjectIter it;
          const gchar *name;
          JsonNode *member;
          json_object_iter_init (&it, json_node_get_object (n));
          while (json_object_iter_next (&it, &name, &member))
            {
              if (!utf8 (name))
                return false;
              todo.push_back (member);
            }
        }
      else if (JSON_NODE_HOLDS_ARRAY (n))
        {
          JsonArray *a = json_node_get_array (n);
          for (guint i = 0; i < json_array_get_length (a); i++)
            todo.push_back (json_array_get_element (a, i));
        }
      else if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
               && !utf8 (json_node_get_string (n)))
        return false;
    }
  return true;
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
  else if (!strings_are_utf8 (root))
    {
      error = "not valid JSON: a string escape is no Unicode text (a lone surrogate)";
      json_node_unref (root);
      return nullptr;
    }
  return root;
}

} // namespace rtc::json
