/* libFuzzer target: what RtcJanusSignaller reads of Janus's HTTP API (rtc::janus::parse_reply
 * for the replies to its requests, parse_events for the long poll), the code the signaller runs on
 * every body Janus sends.
 *
 * Input: one body, read both ways. Checked: a reply is also one event; the error texts the
 * signaller puts in its messages are well formed. */
#include "fuzz-check.h"
#include "janus-api.h"

#include <cstdint>
#include <string_view>

namespace
{

void
check_message (const rtc::janus::Message &m)
{
  const std::string janus = m.janus_error ();
  FUZZ_CHECK (g_str_has_prefix (janus.c_str (), "Janus error "));
  const std::string vr = m.videoroom_error ();
  FUZZ_CHECK (vr.empty () == !m.videoroom_failed);
  if (m.videoroom_failed)
    FUZZ_CHECK (g_str_has_prefix (vr.c_str (), "VideoRoom error "));
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const std::string_view body (reinterpret_cast<const char *> (data), size);
  std::string reply_error, events_error;
  std::optional<rtc::janus::Message> reply = rtc::janus::parse_reply (body, reply_error);
  std::optional<std::vector<rtc::janus::Message>> events
      = rtc::janus::parse_events (body, events_error);
  FUZZ_CHECK (reply || !reply_error.empty ());
  FUZZ_CHECK (events || !events_error.empty ());
  if (reply)
    {
      check_message (*reply);
      FUZZ_CHECK (events && events->size () == 1 && (*events)[0].janus == reply->janus
                  && (*events)[0].sender == reply->sender);
    }
  if (events)
    for (const auto &ev : *events)
      check_message (ev);
  return 0;
}
