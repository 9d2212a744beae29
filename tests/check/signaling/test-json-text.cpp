/* rtc::json: the JSON that json-glib is allowed to see, no network. */
#include "json-text.h"
#include "protocol.h"

#include <cstring>

static void
expect_valid (const char *text)
{
  std::string err;
  if (!rtc::json::check_syntax (text, err))
    g_error ("expected %s to be valid JSON, got: %s", text, err.c_str ());
}

static void
expect_invalid (std::string_view text, const char *why)
{
  std::string err;
  if (rtc::json::check_syntax (text, err))
    g_error ("expected %.*s to be refused", (int)text.size (), text.data ());
  if (!strstr (err.c_str (), why))
    g_error ("%.*s: error '%s' does not mention '%s'", (int)text.size (), text.data (),
             err.c_str (), why);
}

static void
test_valid ()
{
  for (const char *text :
       { "{}", "[]", " \t\r\n{ } ", "0", "-0", "12", "-1.5e+10", "1E-2", "1e999", "true", "false",
         "null", R"("")", R"("\"\\\/\b\f\n\r\t\u00e9\u0000")", R"("\ud83d\ude00")", "\"\xc3\xa9\"",
         R"({"a":[1,{"b":null}],"c":"}{"})", R"([[],[[]],{}])" })
    expect_valid (text);
  /* As deep as allowed. */
  expect_valid (
      (std::string (rtc::json::kMaxDepth, '[') + std::string (rtc::json::kMaxDepth, ']')).c_str ());
}

static void
test_invalid ()
{
  expect_invalid ("", "unexpected end");
  expect_invalid ("{}{}", "unexpected data after the value at byte 2");
  expect_invalid ("[1] {}", "unexpected data after the value");
  expect_invalid ("{} x", "unexpected data after the value");
  expect_invalid ("{", "expected a member name");
  expect_invalid ("{\"a\"}", "expected ':'");
  expect_invalid ("{\"a\":1,}", "expected a member name");
  expect_invalid ("[1,]", "unexpected character");
  expect_invalid ("[1 2]", "expected ',' or ']'");
  expect_invalid ("{\"a\":1 \"b\":2}", "expected ',' or '}'");
  expect_invalid ("01", "unexpected data after the value");
  expect_invalid ("1.", "expected a digit");
  expect_invalid ("1e", "expected a digit");
  expect_invalid ("-", "unexpected end");
  expect_invalid ("+1", "unexpected character");
  expect_invalid ("tru", "unexpected character");
  expect_invalid ("NaN", "unexpected character");
  expect_invalid ("\"abc", "an unterminated string");
  expect_invalid ("\"a\tb\"", "a control character in a string");
  expect_invalid (std::string_view ("\"a\0b\"", 5), "a control character in a string");
  expect_invalid (R"("\x")", "a bad escape");
  expect_invalid (R"("\u12")", "a bad escape");
  expect_invalid (R"("\u12g4")", "a bad escape");
  expect_invalid (R"("\udc00")", "lone surrogate");
  expect_invalid (R"("\ud800")", "lone surrogate");
  expect_invalid (R"("\ud800x")", "lone surrogate");
  expect_invalid (R"("\ud800\u0041")", "lone surrogate");
  expect_invalid (R"("\ud800\ud800")", "lone surrogate");
  std::string deep (rtc::json::kMaxDepth + 1, '[');
  expect_invalid (deep + std::string (rtc::json::kMaxDepth + 1, ']'), "nested too deeply");
  /* Deep nesting is refused where it starts, before the text is read any further. */
  expect_invalid (std::string (100000, '['), "nested too deeply at byte 64");
}

/* What fuzz-ws-client found: json-glib 1.6 leaks on this malformed string (a \u escape that is
 * no escape), and a WebSocket peer could send it to the server message after message. */
static void
test_malformed_strings_never_reach_json_glib ()
{
  const char *leaky = R"( {  "code" : "h\udcw\u0"0 "9 )";
  std::string err;
  g_assert_false (rtc::proto::parse_client_message (leaky, err));
  g_assert_true (g_str_has_prefix (err.c_str (), "message is not valid JSON: "));
  g_assert_false (rtc::proto::parse_server_message (leaky, err));
  g_assert_null (rtc::json::parse_container (leaky, err));
  g_assert_true (g_str_has_prefix (err.c_str (), "not valid JSON: "));
}

static void
test_parse_container ()
{
  std::string err;
  JsonNode *n = rtc::json::parse_container (" [1, {\"a\": \"b\"}] \r\n", err);
  g_assert_nonnull (n);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (n));
  json_node_unref (n);
  g_assert_null (rtc::json::parse_container ("42", err));
  g_assert_cmpstr (err.c_str (), ==, "not a JSON object or array");
  g_assert_null (rtc::json::parse_container ("{\"a\":\"\xff\"}", err));
  g_assert_cmpstr (err.c_str (), ==, "not UTF-8 text");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/json-text/valid", test_valid);
  g_test_add_func ("/json-text/invalid", test_invalid);
  g_test_add_func ("/json-text/malformed-strings-never-reach-json-glib",
                   test_malformed_strings_never_reach_json_glib);
  g_test_add_func ("/json-text/parse-container", test_parse_container);
  return g_test_run ();
}
