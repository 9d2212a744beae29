/* rtc::janus: reading Janus's replies and events. */
#include "janus-api.h"

#include "json-text.h"

namespace rtc::janus
{

namespace
{

JsonObject *
member_object (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : nullptr;
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : nullptr;
}

std::string
member_string (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : nullptr;
  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return "";
  return json_node_get_string (n);
}

gint64
member_int (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : nullptr;
  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (n);
}

Message
read_message (JsonObject *o)
{
  Message m;
  m.janus = member_string (o, "janus");
  m.sender = member_int (o, "sender");
  m.data_id = member_int (member_object (o, "data"), "id");
  m.reason = member_string (o, "reason");

  JsonObject *e = member_object (o, "error");
  m.error_code = member_int (e, "code");
  m.error_reason = member_string (e, "reason");

  if (JsonObject *data = member_object (member_object (o, "plugindata"), "data"))
    {
      m.videoroom_failed = json_object_has_member (data, "error_code");
      m.videoroom_error_code = member_int (data, "error_code");
      m.videoroom_error_text = member_string (data, "error");
      m.videoroom = member_string (data, "videoroom");
      m.publisher_id = member_int (data, "id");
      JsonNode *exists = json_object_get_member (data, "exists");
      m.room_exists = exists && JSON_NODE_HOLDS_VALUE (exists) && json_node_get_boolean (exists);
    }

  if (JsonObject *jsep = member_object (o, "jsep"))
    m.jsep = Jsep{ member_string (jsep, "type"), member_string (jsep, "sdp") };

  if (JsonObject *c = member_object (o, "candidate"))
    m.candidate = Candidate{ json_object_has_member (c, "completed") != FALSE,
                             member_string (c, "candidate"), member_int (c, "sdpMLineIndex") };
  return m;
}

} // namespace

std::string
Message::janus_error () const
{
  return "Janus error " + std::to_string (error_code) + ": " + error_reason;
}

std::string
Message::videoroom_error () const
{
  if (!videoroom_failed)
    return "";
  return "VideoRoom error " + std::to_string (videoroom_error_code) + ": " + videoroom_error_text;
}

std::optional<Message>
parse_reply (std::string_view body, std::string &error)
{
  std::string why;
  g_autoptr (JsonNode) node = json::parse_container (body, why);
  if (!node || !JSON_NODE_HOLDS_OBJECT (node))
    {
      error = "not a Janus reply (no JSON object)";
      return std::nullopt;
    }
  return read_message (json_node_get_object (node));
}

std::optional<std::vector<Message>>
parse_events (std::string_view body, std::string &error)
{
  std::string why;
  g_autoptr (JsonNode) node = json::parse_container (body, why);
  if (!node)
    {
      error = "no JSON in the reply (" + why + ")";
      return std::nullopt;
    }
  std::vector<Message> events;
  if (JSON_NODE_HOLDS_OBJECT (node))
    events.push_back (read_message (json_node_get_object (node)));
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *arr = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (arr); i++)
        if (JSON_NODE_HOLDS_OBJECT (json_array_get_element (arr, i)))
          events.push_back (read_message (json_node_get_object (json_array_get_element (arr, i))));
    }
  return events;
}

} // namespace rtc::janus
