/* rtc::proto: strict parsing and compact serialisation of the signalling protocol. */
#include "protocol.h"

#include "json-text.h"

namespace rtc::proto
{

namespace
{

/* Owning JsonBuilder that hands out the finished text. */
class Writer
{
public:
  explicit Writer (const char *type) : b_ (json_builder_new ())
  {
    json_builder_begin_object (b_);
    str ("type", type);
  }
  ~Writer () { g_object_unref (b_); }
  Writer (const Writer &) = delete;
  Writer &operator= (const Writer &) = delete;

  Writer &
  str (const char *key, const std::string &value)
  {
    json_builder_set_member_name (b_, key);
    json_builder_add_string_value (b_, value.c_str ());
    return *this;
  }
  Writer &
  integer (const char *key, gint64 value)
  {
    json_builder_set_member_name (b_, key);
    json_builder_add_int_value (b_, value);
    return *this;
  }
  /* @json is trusted compact JSON produced by normalize_meta(). */
  Writer &
  raw (const char *key, const std::string &json)
  {
    json_builder_set_member_name (b_, key);
    add_raw (json);
    return *this;
  }
  Writer &
  roles (unsigned roles)
  {
    json_builder_set_member_name (b_, "roles");
    json_builder_begin_array (b_);
    for (const auto &name : role_names (roles))
      json_builder_add_string_value (b_, name.c_str ());
    json_builder_end_array (b_);
    return *this;
  }
  Writer &
  peers (const char *key, const std::vector<PeerInfo> &peers)
  {
    json_builder_set_member_name (b_, key);
    json_builder_begin_array (b_);
    for (const auto &p : peers)
      {
        json_builder_begin_object (b_);
        json_builder_set_member_name (b_, "id");
        json_builder_add_string_value (b_, p.id.c_str ());
        json_builder_set_member_name (b_, "meta");
        add_raw (p.meta);
        json_builder_end_object (b_);
      }
    json_builder_end_array (b_);
    return *this;
  }
  /* Opens a nested object member; close it with end(). */
  Writer &
  begin (const char *key)
  {
    json_builder_set_member_name (b_, key);
    json_builder_begin_object (b_);
    return *this;
  }
  Writer &
  end ()
  {
    json_builder_end_object (b_);
    return *this;
  }

  std::string
  text ()
  {
    json_builder_end_object (b_);
    JsonNode *root = json_builder_get_root (b_);
    g_autofree gchar *s = json_to_string (root, FALSE);
    json_node_unref (root);
    return s;
  }

private:
  void
  add_raw (const std::string &json)
  {
    JsonNode *node = json_from_string (json.c_str (), nullptr);
    if (node)
      json_builder_add_value (b_, node); /* takes ownership */
    else
      json_builder_add_null_value (b_);
  }

  JsonBuilder *b_;
};

/* Field readers: each returns false and fills @error with the reason. */
bool
get_string (JsonObject *obj, const char *prefix, const char *key, bool required,
            std::optional<std::string> &out, std::string &error)
{
  JsonNode *node = json_object_get_member (obj, key);
  if (!node || (!required && JSON_NODE_HOLDS_NULL (node)))
    {
      if (required)
        error = std::string ("missing field '") + prefix + key + "'";
      return !required;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      error = std::string ("field '") + prefix + key + "' must be a string";
      return false;
    }
  out = json_node_get_string (node);
  return true;
}

bool
get_required_string (JsonObject *obj, const char *prefix, const char *key, std::string &out,
                     std::string &error)
{
  std::optional<std::string> v;
  if (!get_string (obj, prefix, key, true, v, error))
    return false;
  out = std::move (*v);
  return true;
}

bool
get_object (JsonObject *obj, const char *key, JsonObject *&out, std::string &error)
{
  JsonNode *node = json_object_get_member (obj, key);
  if (!node || JSON_NODE_HOLDS_NULL (node))
    {
      out = nullptr;
      return true;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      error = std::string ("field '") + key + "' must be an object";
      return false;
    }
  out = json_node_get_object (node);
  return true;
}

bool
parse_roles (JsonObject *obj, unsigned &roles, std::string &error)
{
  JsonNode *node = json_object_get_member (obj, "roles");
  if (!node)
    {
      error = "missing field 'roles'";
      return false;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      error = "field 'roles' must be an array of strings";
      return false;
    }
  JsonArray *arr = json_node_get_array (node);
  roles = 0;
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonNode *el = json_array_get_element (arr, i);
      if (!JSON_NODE_HOLDS_VALUE (el) || json_node_get_value_type (el) != G_TYPE_STRING)
        {
          error = "field 'roles' must be an array of strings";
          return false;
        }
      std::string_view name = json_node_get_string (el);
      if (name == "producer")
        roles |= kRoleProducer;
      else if (name == "consumer")
        roles |= kRoleConsumer;
      else if (name == "listener")
        roles |= kRoleListener;
      else
        {
          error = "unknown role '" + std::string (name)
                  + "' (expected producer, consumer or listener)";
          return false;
        }
    }
  if ((roles & kRoleProducer) && (roles & kRoleConsumer))
    {
      error = "roles 'producer' and 'consumer' cannot be held together";
      return false;
    }
  return true;
}

bool
parse_peer (JsonObject *obj, ClientMessage &msg, std::string &error)
{
  if (!get_required_string (obj, "", "sessionId", msg.session_id, error))
    return false;
  JsonObject *sdp = nullptr, *ice = nullptr;
  if (!get_object (obj, "sdp", sdp, error) || !get_object (obj, "ice", ice, error))
    return false;
  if ((sdp == nullptr) == (ice == nullptr))
    {
      error = "a 'peer' message needs exactly one of 'sdp' or 'ice'";
      return false;
    }
  if (sdp)
    {
      SdpBody body;
      if (!get_required_string (sdp, "sdp.", "type", body.type, error)
          || !get_required_string (sdp, "sdp.", "sdp", body.sdp, error))
        return false;
      if (body.type != "offer" && body.type != "answer")
        {
          error = "field 'sdp.type' must be \"offer\" or \"answer\"";
          return false;
        }
      msg.sdp = std::move (body);
      return true;
    }
  IceBody body;
  if (!get_required_string (ice, "ice.", "candidate", body.candidate, error))
    return false;
  JsonNode *idx = json_object_get_member (ice, "sdpMLineIndex");
  if (!idx)
    {
      error = "missing field 'ice.sdpMLineIndex'";
      return false;
    }
  if (!JSON_NODE_HOLDS_VALUE (idx) || json_node_get_value_type (idx) != G_TYPE_INT64
      || json_node_get_int (idx) < 0 || json_node_get_int (idx) > G_MAXUINT16)
    {
      error = "field 'ice.sdpMLineIndex' must be an integer from 0 to 65535";
      return false;
    }
  body.mline_index = static_cast<guint> (json_node_get_int (idx));
  msg.ice = std::move (body);
  return true;
}

/* One JSON object that json-glib may see: see rtc::json::check_syntax() for why. @what names
 * the text in @error ("message", "meta"). */
bool
single_object (std::string_view text, const char *what, std::string &error)
{
  size_t i = text.find_first_not_of (" \t\r\n");
  if (i == std::string_view::npos || text[i] != '{')
    {
      error = std::string (what) + " must be a JSON object";
      return false;
    }
  std::string why;
  if (!json::check_syntax (text, why))
    {
      error = std::string (what) + " is not valid JSON: " + why;
      return false;
    }
  return true;
}

} // namespace

std::vector<std::string>
role_names (unsigned roles)
{
  std::vector<std::string> out;
  if (roles & kRoleProducer)
    out.emplace_back ("producer");
  if (roles & kRoleConsumer)
    out.emplace_back ("consumer");
  if (roles & kRoleListener)
    out.emplace_back ("listener");
  return out;
}

const char *
kind_name (Kind kind)
{
  switch (kind)
    {
    case Kind::SetProtocolVersion:
      return "setProtocolVersion";
    case Kind::SetPeerStatus:
      return "setPeerStatus";
    case Kind::StartSession:
      return "startSession";
    case Kind::Peer:
      return "peer";
    case Kind::EndSession:
      return "endSession";
    case Kind::List:
      return "list";
    case Kind::ListConsumers:
      return "listConsumers";
    }
  return "?";
}

std::optional<std::string>
normalize_meta (std::string_view json, std::string &error)
{
  const size_t first = json.find_first_not_of (" \t\r\n");
  const size_t last = json.find_last_not_of (" \t\r\n");
  if (first != std::string_view::npos && json.substr (first, last - first + 1) == "null")
    return std::string ("null");
  if (!single_object (json, "meta", error))
    return std::nullopt;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = nullptr;
  if (!json_parser_load_from_data (parser, json.data (), static_cast<gssize> (json.size ()), &err))
    {
      error = std::string ("meta is not valid JSON: ") + err->message;
      return std::nullopt;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || JSON_NODE_HOLDS_NULL (root))
    return std::string ("null");
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      error = "meta must be a JSON object or null";
      return std::nullopt;
    }
  g_autofree gchar *s = json_to_string (root, FALSE);
  return std::string (s);
}

std::optional<ClientMessage>
parse_client_message (std::string_view text, std::string &error)
{
  /* json-glib would stop at an embedded NUL; WebSocket text is UTF-8 without NULs in practice,
   * but a fuzzer or a broken client must still get a clean answer. */
  if (!g_utf8_validate (text.data (), static_cast<gssize> (text.size ()), nullptr))
    {
      error = "message is not valid UTF-8 text";
      return std::nullopt;
    }
  if (!single_object (text, "message", error))
    return std::nullopt;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = nullptr;
  if (!json_parser_load_from_data (parser, text.data (), static_cast<gssize> (text.size ()), &err))
    {
      error = std::string ("message is not valid JSON: ") + err->message;
      return std::nullopt;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    {
      error = "message must be a JSON object";
      return std::nullopt;
    }
  JsonObject *obj = json_node_get_object (root);
  std::string type;
  if (!get_required_string (obj, "", "type", type, error))
    return std::nullopt;

  ClientMessage msg;
  if (type == "setProtocolVersion")
    {
      msg.kind = Kind::SetProtocolVersion;
      std::string version;
      if (!get_required_string (obj, "", "version", version, error))
        return std::nullopt;
      /* serde's spelling ("v1_1", what webrtcsink sends) and the human one ("1.1"). */
      if (version == "v1_1" || version == "1.1")
        msg.version = Version::V1_1;
      else if (version == "v1_0" || version == "1.0")
        msg.version = Version::V1_0;
      else
        {
          error = "unknown protocol version '" + version.substr (0, 64)
                  + "' (expected \"v1_0\" or \"v1_1\")";
          return std::nullopt;
        }
    }
  else if (type == "setPeerStatus")
    {
      msg.kind = Kind::SetPeerStatus;
      if (!parse_roles (obj, msg.roles, error)
          || !get_string (obj, "", "peerId", false, msg.peer_id, error))
        return std::nullopt;
      JsonNode *meta = json_object_get_member (obj, "meta");
      if (meta && JSON_NODE_HOLDS_OBJECT (meta))
        {
          g_autofree gchar *s = json_to_string (meta, FALSE);
          msg.meta = s;
        }
      else if (meta && !JSON_NODE_HOLDS_NULL (meta))
        {
          error = "field 'meta' must be an object or null";
          return std::nullopt;
        }
    }
  else if (type == "startSession")
    {
      msg.kind = Kind::StartSession;
      if (!get_string (obj, "", "peerId", true, msg.peer_id, error)
          || !get_string (obj, "", "offer", false, msg.offer, error))
        return std::nullopt;
    }
  else if (type == "peer")
    {
      msg.kind = Kind::Peer;
      if (!parse_peer (obj, msg, error))
        return std::nullopt;
    }
  else if (type == "endSession" || type == "endSessionV1_1")
    {
      msg.kind = Kind::EndSession;
      msg.v1_1 = type == "endSessionV1_1";
      if (!get_required_string (obj, "", "sessionId", msg.session_id, error)
          || (msg.v1_1 && !get_string (obj, "", "error", false, msg.error, error)))
        return std::nullopt;
    }
  else if (type == "list")
    msg.kind = Kind::List;
  else if (type == "listConsumers")
    msg.kind = Kind::ListConsumers;
  else
    {
      /* Bound the echo: the type comes from the peer. */
      error = "unknown message type '" + type.substr (0, 64) + "'";
      return std::nullopt;
    }
  return msg;
}

namespace
{

/* A member that is a string, else nullopt: the client's view, where a wrong type is absence. */
std::optional<std::string>
string_member (JsonObject *obj, const char *key)
{
  JsonNode *node = json_object_get_member (obj, key);
  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return std::nullopt;
  return std::string (json_node_get_string (node));
}

/* The body of a server's "peer" message: an "sdp" object decides, else an "ice" object. */
bool
read_server_peer (JsonObject *obj, ServerMessage &msg, std::string &error)
{
  JsonNode *sdp = json_object_get_member (obj, "sdp");
  JsonNode *ice = json_object_get_member (obj, "ice");
  if (sdp && JSON_NODE_HOLDS_OBJECT (sdp))
    {
      JsonObject *so = json_node_get_object (sdp);
      std::optional<std::string> type = string_member (so, "type"),
                                 body = string_member (so, "sdp");
      if (!type || !body)
        {
          error = "a 'peer' sdp needs the strings 'type' and 'sdp'";
          return false;
        }
      msg.sdp = SdpBody{ std::move (*type), std::move (*body) };
      return true;
    }
  if (ice && JSON_NODE_HOLDS_OBJECT (ice))
    {
      JsonObject *io = json_node_get_object (ice);
      std::optional<std::string> candidate = string_member (io, "candidate");
      JsonNode *idx = json_object_get_member (io, "sdpMLineIndex");
      const gint64 line
          = idx && JSON_NODE_HOLDS_VALUE (idx) && json_node_get_value_type (idx) == G_TYPE_INT64
                ? json_node_get_int (idx)
                : -1;
      if (!candidate || line < 0 || line > G_MAXUINT16)
        {
          error = "a 'peer' ice needs a string 'candidate' and an 'sdpMLineIndex' from 0 to 65535";
          return false;
        }
      msg.ice = IceBody{ std::move (*candidate), static_cast<guint> (line) };
      return true;
    }
  error = "a 'peer' message needs an 'sdp' or an 'ice' object";
  return false;
}

} // namespace

std::optional<ServerMessage>
parse_server_message (std::string_view text, std::string &error)
{
  g_autoptr (JsonNode) root = json::parse_container (text, error);
  if (!root)
    return std::nullopt;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      error = "not a JSON object";
      return std::nullopt;
    }
  JsonObject *obj = json_node_get_object (root);
  const std::optional<std::string> type = string_member (obj, "type");
  std::optional<std::string> sid = string_member (obj, "sessionId");
  std::optional<std::string> peer = string_member (obj, "peerId");
  if (!type)
    {
      error = "no string 'type'";
      return std::nullopt;
    }
  ServerMessage msg;
  /* Which fields each type needs, where it needs more than its type. */
  auto need = [&] (bool with_sid, bool with_peer) {
    if ((with_sid && !sid) || (with_peer && !peer))
      {
        error = "a '" + type->substr (0, 64) + "' message needs "
                + (with_sid && with_peer ? "the strings 'sessionId' and 'peerId'"
                   : with_sid            ? "a string 'sessionId'"
                                         : "a string 'peerId'");
        return false;
      }
    if (with_sid)
      msg.session_id = std::move (*sid);
    if (with_peer)
      msg.peer_id = std::move (*peer);
    return true;
  };
  if (*type == "welcome")
    {
      msg.kind = ServerKind::Welcome;
      if (!need (false, true))
        return std::nullopt;
    }
  else if (*type == "startSession")
    {
      msg.kind = ServerKind::StartSession;
      if (!need (true, true))
        return std::nullopt;
      msg.offer = string_member (obj, "offer");
    }
  else if (*type == "sessionStarted")
    {
      msg.kind = ServerKind::SessionStarted;
      if (!need (true, true))
        return std::nullopt;
    }
  else if (*type == "peer")
    {
      msg.kind = ServerKind::Peer;
      if (!need (true, false) || !read_server_peer (obj, msg, error))
        return std::nullopt;
    }
  else if (*type == "endSession" || *type == "endSessionV1_1")
    {
      msg.kind = ServerKind::EndSession;
      if (!need (true, false))
        return std::nullopt;
    }
  else if (*type == "list")
    {
      msg.kind = ServerKind::List;
      JsonNode *n = json_object_get_member (obj, "producers");
      if (!n || !JSON_NODE_HOLDS_ARRAY (n))
        {
          error = "a 'list' message needs a 'producers' array";
          return std::nullopt;
        }
      JsonArray *a = json_node_get_array (n);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          if (e && JSON_NODE_HOLDS_OBJECT (e))
            if (std::optional<std::string> id = string_member (json_node_get_object (e), "id"))
              msg.producers.push_back (std::move (*id));
        }
    }
  else if (*type == "peerStatusChanged")
    {
      msg.kind = ServerKind::PeerStatusChanged;
      JsonNode *n = json_object_get_member (obj, "roles");
      if (!need (false, true))
        return std::nullopt;
      if (!n || !JSON_NODE_HOLDS_ARRAY (n))
        {
          error = "a 'peerStatusChanged' message needs a 'roles' array";
          return std::nullopt;
        }
      JsonArray *a = json_node_get_array (n);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          if (!e || !JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
            continue;
          std::string_view name = json_node_get_string (e);
          if (name == "producer")
            msg.roles |= kRoleProducer;
          else if (name == "consumer")
            msg.roles |= kRoleConsumer;
          else if (name == "listener")
            msg.roles |= kRoleListener;
        }
    }
  else if (*type == "error")
    {
      msg.kind = ServerKind::Error;
      msg.details = string_member (obj, "details");
      msg.error_session_id = std::move (sid);
    }
  else
    {
      error = "unknown message type '" + type->substr (0, 64) + "'";
      return std::nullopt;
    }
  return msg;
}

std::string
welcome (const std::string &peer_id, const std::string &ice_servers_json)
{
  Writer w ("welcome");
  w.str ("peerId", peer_id);
  if (!ice_servers_json.empty ())
    w.raw ("iceServers", ice_servers_json);
  return w.text ();
}

std::string
peer_status_changed (const std::string &peer_id, unsigned roles, const std::string &meta)
{
  return Writer ("peerStatusChanged").str ("peerId", peer_id).roles (roles).raw ("meta", meta).text ();
}

std::string
session_started (const std::string &producer_id, const std::string &session_id)
{
  return Writer ("sessionStarted").str ("peerId", producer_id).str ("sessionId", session_id).text ();
}

std::string
start_session (const std::string &consumer_id, const std::string &session_id,
               const std::optional<std::string> &offer)
{
  Writer w ("startSession");
  w.str ("peerId", consumer_id).str ("sessionId", session_id);
  if (offer)
    w.str ("offer", *offer);
  return w.text ();
}

std::string
peer_sdp (const std::string &session_id, const SdpBody &sdp)
{
  return Writer ("peer")
      .str ("sessionId", session_id)
      .begin ("sdp")
      .str ("type", sdp.type)
      .str ("sdp", sdp.sdp)
      .end ()
      .text ();
}

std::string
peer_ice (const std::string &session_id, const IceBody &ice)
{
  return Writer ("peer")
      .str ("sessionId", session_id)
      .begin ("ice")
      .str ("candidate", ice.candidate)
      .integer ("sdpMLineIndex", ice.mline_index)
      .end ()
      .text ();
}

std::string
end_session (const std::string &session_id)
{
  return Writer ("endSession").str ("sessionId", session_id).text ();
}

std::string
end_session_v1_1 (const std::string &session_id, const std::optional<std::string> &error)
{
  Writer w ("endSessionV1_1");
  w.str ("sessionId", session_id);
  if (error)
    w.str ("error", *error);
  else
    w.raw ("error", "null");
  return w.text ();
}

std::string
list (const std::vector<PeerInfo> &producers)
{
  return Writer ("list").peers ("producers", producers).text ();
}

std::string
list_consumers (const std::vector<PeerInfo> &consumers)
{
  return Writer ("listConsumers").peers ("consumers", consumers).text ();
}

std::string
error (const std::string &details, const std::optional<std::string> &session_id)
{
  Writer w ("error");
  w.str ("details", details);
  if (session_id)
    w.str ("sessionId", *session_id);
  return w.text ();
}

std::string
set_peer_status (unsigned roles, const std::string &meta)
{
  return Writer ("setPeerStatus").roles (roles).raw ("meta", meta).text ();
}

std::string
request_session (const std::string &producer_id, const std::optional<std::string> &offer)
{
  Writer w ("startSession");
  w.str ("peerId", producer_id);
  if (offer)
    w.str ("offer", *offer);
  return w.text ();
}

std::string
request_end_session (const std::string &session_id)
{
  return Writer ("endSession").str ("sessionId", session_id).text ();
}

} // namespace rtc::proto
