// An in-process RtcSignaller for the element tests: it records what the element sends and
// forwards the element's ICE candidates to the remote peer of each session.
#pragma once

#include <gst/gst.h>

#include "signaling/rtc-signaller.h"

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#define TEST_TYPE_SIGNALLER (test_signaller_get_type ())
G_DECLARE_FINAL_TYPE (TestSignaller, test_signaller, TEST, SIGNALLER, GObject)

struct Sent
{
  std::string kind; // "sdp", "ice", "end"
  std::string session_id, a, b;
  guint mline = 0;
};

struct _TestSignaller
{
  GObject parent;
  std::mutex *lock;
  std::vector<Sent> *sent;
  // Per session: forwards our candidates to that session's remote peer.
  std::map<std::string, std::function<void (guint, const std::string &)>> *routes;
  gboolean started;
};

// What the element sent for session @sid, of one kind, in order.
std::vector<Sent> sent_for (TestSignaller *sig, const std::string &sid, const std::string &kind);

// Iterates the default main context until @pred holds; false after @timeout_ms.
bool wait_until (const std::function<bool ()> &pred, guint timeout_ms = 15000);

// Sets @pipe PLAYING and returns the message of the first error it posts within @timeout ("" when
// none came); @pipe is back in NULL.
std::string error_on_start (GstElement *pipe, GstClockTime timeout = 10 * GST_SECOND);
