/* rtc::json: JSON text from a peer (a WebSocket message, an HTTP body), read with json-glib
 * without its pitfalls. Plain C++ for the signalling library. */
#pragma once

#include <json-glib/json-glib.h>

#include <string>
#include <string_view>

namespace rtc::json
{

/* One past the closing bracket of the object or array that @text starts with (after
 * whitespace), found by counting brackets outside strings; npos when @text starts with something
 * else or its brackets do not close. json-glib still validates what is inside. */
size_t container_end (std::string_view text);

/* Whether every string in @node, member names included, is UTF-8. json-glib 1.6 decodes a lone
 * surrogate escape ("\ud800") into bytes that are not, and drops the character after it. */
bool strings_are_utf8 (JsonNode *node);

/* Parses a JSON object or array: UTF-8 text without NUL bytes, one value, nothing after it but
 * whitespace, no string that decodes to anything but UTF-8. json-glib 1.6 alone reads
 * "{...}{...}" (or "[...]{...}") as its first value and leaks the second, which a peer could
 * repeat to exhaust memory. nullptr with @error set (a sentence without a period) when @text is
 * not that; unref the node with json_node_unref. */
JsonNode *parse_container (std::string_view text, std::string &error);

} // namespace rtc::json
