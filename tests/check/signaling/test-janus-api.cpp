/* rtc::janus: reading Janus's replies and events, no network. */
#include "janus-api.h"

#include <cstring>

using rtc::janus::Message;

/* A function, not g_assert_cmpstr on c_str (): that would outlive a temporary std::string. */
static void
expect_text (const std::string &got, const char *want)
{
  g_assert_cmpstr (got.c_str (), ==, want);
}

static Message
reply_ok (const char *text)
{
  std::string err;
  auto m = rtc::janus::parse_reply (text, err);
  if (!m)
    g_error ("expected %s to parse, got: %s", text, err.c_str ());
  return *m;
}

static void
test_create_reply ()
{
  Message m = reply_ok (R"({"janus":"success","transaction":"t","data":{"id":111}})");
  expect_text (m.janus, "success");
  g_assert_cmpint (m.data_id, ==, 111);
  expect_text (m.videoroom_error (), "");
  /* An id that is not an integer is none. */
  g_assert_cmpint (reply_ok (R"({"janus":"success","data":{"id":"111"}})").data_id, ==, 0);
  g_assert_cmpint (reply_ok (R"({"janus":"success","data":{"id":1.5}})").data_id, ==, 0);
}

static void
test_janus_error ()
{
  Message m = reply_ok (
      R"j({"janus":"error","error":{"code":403,"reason":"Unauthorized request (wrong or missing secret/token)"}})j");
  expect_text (m.janus, "error");
  expect_text (m.janus_error (),
               "Janus error 403: Unauthorized request (wrong or missing secret/token)");
  expect_text (reply_ok (R"({"janus":"error"})").janus_error (), "Janus error 0: ");
}

static void
test_videoroom_data ()
{
  Message m = reply_ok (
      R"({"janus":"event","sender":222,"plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"joined","room":1234,"id":333}},"jsep":{"type":"answer","sdp":"v=0"}})");
  g_assert_cmpint (m.sender, ==, 222);
  expect_text (m.videoroom, "joined");
  g_assert_cmpint (m.publisher_id, ==, 333);
  expect_text (m.jsep->type, "answer");
  expect_text (m.jsep->sdp, "v=0");
  g_assert_false (m.candidate.has_value ());

  m = reply_ok (
      R"j({"janus":"success","plugindata":{"data":{"videoroom":"event","error_code":426,"error":"No such room (1234)"}}})j");
  expect_text (m.videoroom_error (), "VideoRoom error 426: No such room (1234)");
  /* An error_code of any kind is an error. */
  m = reply_ok (R"({"janus":"success","plugindata":{"data":{"error_code":null}}})");
  expect_text (m.videoroom_error (), "VideoRoom error 0: ");

  g_assert_true (reply_ok (R"({"plugindata":{"data":{"exists":true}}})").room_exists);
  g_assert_true (reply_ok (R"({"plugindata":{"data":{"exists":1}}})").room_exists);
  g_assert_false (reply_ok (R"({"plugindata":{"data":{"exists":false}}})").room_exists);
  g_assert_false (reply_ok (R"({"plugindata":{"data":{"exists":"yes"}}})").room_exists);
  g_assert_false (reply_ok (R"({"plugindata":{"data":{"exists":{}}}})").room_exists);
  g_assert_false (reply_ok (R"({"plugindata":{"data":{}}})").room_exists);
}

static void
test_trickle_and_hangup ()
{
  Message m = reply_ok (
      R"({"janus":"trickle","sender":222,"candidate":{"candidate":"candidate:9 1 udp 1 10.0.0.2 4 typ host","sdpMLineIndex":1,"sdpMid":"1"}})");
  g_assert_false (m.candidate->completed);
  expect_text (m.candidate->candidate, "candidate:9 1 udp 1 10.0.0.2 4 typ host");
  g_assert_cmpint (m.candidate->mline_index, ==, 1);
  g_assert_true (
      reply_ok (R"({"janus":"trickle","candidate":{"completed":true}})").candidate->completed);
  g_assert_false (reply_ok (R"({"janus":"trickle","candidate":"x"})").candidate.has_value ());

  m = reply_ok (R"({"janus":"hangup","sender":222,"reason":"DTLS alert"})");
  expect_text (m.reason, "DTLS alert");
}

static void
test_not_a_reply ()
{
  for (const char *text : { "", "nope", "[]", "[{}]", "42", "\"x\"", "{" })
    {
      std::string err;
      if (rtc::janus::parse_reply (text, err))
        g_error ("expected %s to be rejected", text);
      expect_text (err, "not a Janus reply (no JSON object)");
    }
}

static void
test_events ()
{
  std::string err;
  auto one = rtc::janus::parse_events (R"({"janus":"keepalive"})", err);
  g_assert_cmpuint (one->size (), ==, 1);
  expect_text ((*one)[0].janus, "keepalive");

  auto many = rtc::janus::parse_events (R"([{"janus":"ack"},7,null,{"janus":"webrtcup"}])", err);
  g_assert_cmpuint (many->size (), ==, 2);
  expect_text ((*many)[1].janus, "webrtcup");

  g_assert_cmpuint (rtc::janus::parse_events ("[]", err)->size (), ==, 0);
  for (const char *text : { "", "[", "42", "null" })
    {
      if (rtc::janus::parse_events (text, err))
        g_error ("expected %s to be rejected", text);
      g_assert_true (g_str_has_prefix (err.c_str (), "no JSON in the reply"));
    }
}

/* json-glib alone takes the first of two values and leaks the second: a server could repeat
 * that to exhaust our memory (found by fuzz-janus under LeakSanitizer). */
static void
test_trailing_data ()
{
  std::string err;
  g_assert_false (rtc::janus::parse_reply (R"({"janus":"ack"}{"janus":"ack"})", err));
  g_assert_false (rtc::janus::parse_reply (R"({"janus":"ack"} [])", err));
  g_assert_false (rtc::janus::parse_events (R"([{"janus":"ack"}]{"janus":"ack"})", err));
  g_assert_true (g_str_has_prefix (err.c_str (), "no JSON in the reply"));
  g_assert_nonnull (strstr (err.c_str (), "unexpected data after the value"));
  /* Whitespace after the value is fine. */
  g_assert_true (rtc::janus::parse_reply ("{\"janus\":\"ack\"}\r\n", err));
  /* So are brackets inside strings. */
  g_assert_true (rtc::janus::parse_reply (R"({"janus":"ack","reason":"}{"})", err));
  /* A lone surrogate escape decodes to bytes that are not UTF-8: refused too. */
  g_assert_false (rtc::janus::parse_reply (R"({"janus":"ack","reason":"\udc00x"})", err));
  /* A NUL byte ends nothing: the text is refused. */
  g_assert_false (rtc::janus::parse_reply (std::string_view ("{\"janus\":\"ack\"}\0{}", 18), err));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/janus-api/create-reply", test_create_reply);
  g_test_add_func ("/janus-api/janus-error", test_janus_error);
  g_test_add_func ("/janus-api/videoroom-data", test_videoroom_data);
  g_test_add_func ("/janus-api/trickle-and-hangup", test_trickle_and_hangup);
  g_test_add_func ("/janus-api/not-a-reply", test_not_a_reply);
  g_test_add_func ("/janus-api/events", test_events);
  g_test_add_func ("/janus-api/trailing-data", test_trailing_data);
  return g_test_run ();
}
