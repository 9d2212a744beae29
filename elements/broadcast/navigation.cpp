#include "broadcast/navigation.h"
#include "elements/common/json-util.h"

#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include <cmath>

namespace rtc
{

namespace
{

GstNavigationModifierType
modifiers_of (JsonObject *ev)
{
  const gchar *text = json_object_get_string_member_with_default (ev, "modifier_state", "");
  guint flags = 0;
  auto *klass = static_cast<GFlagsClass *> (g_type_class_ref (GST_TYPE_NAVIGATION_MODIFIER_TYPE));
  gchar **names = g_strsplit (text ? text : "", "+", -1);
  for (gchar **n = names; *n; n++)
    if (const GFlagsValue *v = g_flags_get_value_by_nick (klass, g_strstrip (*n)))
      flags |= v->value;
  g_strfreev (names);
  g_type_class_unref (klass);
  return GstNavigationModifierType (flags);
}

// A coordinate member, or NaN when it is missing or not a number.
double
number (JsonObject *ev, const char *name)
{
  JsonNode *n = json_object_get_member (ev, name);
  if (!n || JSON_NODE_TYPE (n) != JSON_NODE_VALUE)
    return NAN;
  GType t = json_node_get_value_type (n);
  if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
    return NAN;
  double v = json_node_get_double (n);
  return std::isfinite (v) ? v : NAN;
}

GstEvent *
event_from (JsonObject *ev, double scale_x, double scale_y, std::string &error)
{
  const gchar *kind = json_object_get_string_member_with_default (ev, "event", nullptr);
  if (!kind)
    {
      error = "the event has no \"event\" name";
      return nullptr;
    }
  GstNavigationModifierType mods = modifiers_of (ev);
  const std::string k = kind;
  if (k == "KeyPress" || k == "KeyRelease")
    {
      const gchar *key = json_object_get_string_member_with_default (ev, "key", nullptr);
      if (!key || !*key)
        {
          error = "a key event without \"key\"";
          return nullptr;
        }
      return k == "KeyPress" ? gst_navigation_event_new_key_press (key, mods)
                             : gst_navigation_event_new_key_release (key, mods);
    }
  double x = number (ev, "x") * scale_x, y = number (ev, "y") * scale_y;
  if (std::isnan (x) || std::isnan (y))
    {
      error = k + " without numeric x and y";
      return nullptr;
    }
  if (k == "MouseMove")
    return gst_navigation_event_new_mouse_move (x, y, mods);
  if (k == "MouseButtonPress" || k == "MouseButtonRelease")
    {
      gint64 button = json_object_get_int_member_with_default (ev, "button", 1);
      if (button < 1 || button > 32)
        {
          error = "button out of range";
          return nullptr;
        }
      return k == "MouseButtonPress"
                 ? gst_navigation_event_new_mouse_button_press ((gint)button, x, y, mods)
                 : gst_navigation_event_new_mouse_button_release ((gint)button, x, y, mods);
    }
  if (k == "MouseScroll")
    {
      double dx = number (ev, "delta_x"), dy = number (ev, "delta_y");
      return gst_navigation_event_new_mouse_scroll (x, y, std::isnan (dx) ? 0 : dx,
                                                    std::isnan (dy) ? 0 : dy, mods);
    }
  error = "unknown navigation event " + k;
  return nullptr;
}

} // namespace

NavigationRequest
parse_navigation_request (const std::string &text, double scale_x, double scale_y)
{
  NavigationRequest out;
  JsonParser *parser = json_parser_new ();
  GError *err = nullptr;
  if (!json_parser_load_from_data (parser, text.data (), (gssize)text.size (), &err))
    {
      out.error = std::string ("not JSON: ") + err->message;
      g_error_free (err);
      g_object_unref (parser);
      return out;
    }
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *msg = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : nullptr;
  JsonNode *id = msg ? json_object_get_member (msg, "id") : nullptr;
  if (id && JSON_NODE_TYPE (id) == JSON_NODE_VALUE && json_node_get_value_type (id) == G_TYPE_INT64)
    out.id = json_node_get_int (id);
  JsonNode *req = msg ? json_object_get_member (msg, "request") : nullptr;
  JsonObject *request = req && JSON_NODE_HOLDS_OBJECT (req) ? json_node_get_object (req) : nullptr;
  const gchar *type
      = request ? json_object_get_string_member_with_default (request, "type", nullptr) : nullptr;
  JsonNode *evn = request ? json_object_get_member (request, "event") : nullptr;
  if (!request)
    out.error = "not a control request";
  else if (g_strcmp0 (type, "navigationEvent") != 0)
    out.error = std::string ("unsupported request type ") + (type ? type : "(none)");
  else if (!evn || !JSON_NODE_HOLDS_OBJECT (evn))
    out.error = "a navigationEvent without an event object";
  else
    out.event = event_from (json_node_get_object (evn), scale_x, scale_y, out.error);
  g_object_unref (parser);
  return out;
}

std::string
navigation_response (gint64 id, const std::string &error)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "ControlResponseMessage");
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, id);
  json_builder_set_member_name (b, "error");
  if (error.empty ())
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, error.c_str ());
  json_builder_end_object (b);
  return json_text (b);
}

} // namespace rtc
