/* rtc::json: JSON text from a peer (a WebSocket message, an HTTP body), read with json-glib
 * without its pitfalls. Plain C++ for the signalling library. */
#pragma once

#include <json-glib/json-glib.h>

#include <string>
#include <string_view>

namespace rtc::json
{

/* Deeper nesting than this is refused: nothing we read needs it, and json-glib recurses. */
constexpr int kMaxDepth = 64;

/* Checks that @text is exactly one JSON value (RFC 8259), with only whitespace around it:
 * strings with valid escapes (no lone surrogate), numbers in JSON's grammar, at most kMaxDepth
 * levels. json-glib 1.6 only sees text that passed: it reads "{...}{...}" as its first value and
 * leaks the second, leaks on some malformed strings, and decodes a lone surrogate escape into
 * bytes that are not UTF-8 (swallowing the character after it), so a peer could grow our memory
 * message by message or pass invalid text on. UTF-8 is not checked here. On failure, @error
 * says what and where (no trailing period). */
bool check_syntax (std::string_view text, std::string &error);

/* Parses a JSON object or array: UTF-8 text without NUL bytes that passes check_syntax().
 * nullptr with @error set (a sentence without a period) when @text is not that; unref the node
 * with json_node_unref. */
JsonNode *parse_container (std::string_view text, std::string &error);

} // namespace rtc::json
