/* rtc::janus: what RtcJanusSignaller reads of the JSON that Janus's HTTP API sends back (the
 * replies to its requests and the events of the long poll), as plain values. The requests and the
 * HTTP loop stay in rtc-janus-signaller.cpp.
 *
 * Pure functions with no state: safe from any thread. */
#pragma once

#include <glib.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtc::janus
{

struct Jsep
{
  std::string type, sdp; /* "" when missing or not a string */
};

/* The "candidate" of a trickle event. */
struct Candidate
{
  bool completed = false; /* it has a "completed" member: the end of candidates */
  std::string candidate;
  gint64 mline_index = 0; /* sdpMLineIndex as sent, unchecked */
};

/* One message from Janus: a reply ("success", "ack", "error") or an event ("event", "trickle",
 * "hangup", "detached", "webrtcup", ...). A member that is missing or of another type reads as 0,
 * "" or false, as the signaller treats it. */
struct Message
{
  std::string janus;  /* the kind */
  gint64 sender = 0;  /* the handle an event is for */
  gint64 data_id = 0; /* data.id: the session or handle that a create or attach made */
  std::string reason; /* hangup and detached */

  /* "error" (janus == "error"): code and reason */
  gint64 error_code = 0;
  std::string error_reason;

  /* plugindata.data, the VideoRoom's part */
  bool videoroom_failed = false; /* it has an "error_code" member */
  gint64 videoroom_error_code = 0;
  std::string videoroom_error_text;
  std::string videoroom;   /* "joined", "event", ... */
  gint64 publisher_id = 0; /* data.id */
  bool room_exists = false;

  std::optional<Jsep> jsep;           /* when "jsep" is an object */
  std::optional<Candidate> candidate; /* when "candidate" is an object */

  /* "Janus error CODE: REASON": what a reply with janus == "error" means. */
  std::string janus_error () const;
  /* "VideoRoom error CODE: TEXT", or "" when the VideoRoom reported no error. */
  std::string videoroom_error () const;
};

/* The body of a 2xx reply to a request: one JSON object (UTF-8, nothing after it but
 * whitespace). nullopt, with @error, when it is not. */
std::optional<Message> parse_reply (std::string_view body, std::string &error);

/* The body of a long poll's answer: one event or an array of them, whose entries that are not
 * objects are skipped. nullopt, with @error, when it is not one JSON object or array. */
std::optional<std::vector<Message>> parse_events (std::string_view body, std::string &error);

} // namespace rtc::janus
