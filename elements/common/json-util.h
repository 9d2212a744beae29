// Finishing a JSON document the elements build with json-glib.
#pragma once

#include <json-glib/json-glib.h>

#include <string>

namespace rtc
{

// The compact text of what @b built; releases @b.
inline std::string
json_text (JsonBuilder *b)
{
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string out = text;
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
  return out;
}

} // namespace rtc
