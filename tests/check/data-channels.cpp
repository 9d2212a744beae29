/* Data channels of the rtcsignalbin elements (data-channel=true): a pipeline with
 * rtcbroadcastsink and one with rtcingestsrc, paired over local:// in this process, exchange
 * text and binary messages over a real SCTP association on loopback. */
#include <gst/check/gstcheck.h>

#include "helpers/pipelines.h"

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace
{

using rtc::check::launch;
using rtc::check::wait_for;

// What one element received, from its worker thread.
struct Inbox
{
  std::mutex lock;
  std::vector<std::string> texts, labels, sessions;
  std::vector<std::string> blobs;

  std::size_t n_texts ()
  {
    std::lock_guard l (lock);
    return texts.size ();
  }
  std::size_t n_blobs ()
  {
    std::lock_guard l (lock);
    return blobs.size ();
  }
};

void
on_message (GstElement *, const gchar *session, const gchar *label, const gchar *text, Inbox *in)
{
  std::lock_guard l (in->lock);
  in->texts.push_back (text);
  in->labels.push_back (label);
  in->sessions.push_back (session);
}

void
on_data (GstElement *, const gchar *, const gchar *, GBytes *data, Inbox *in)
{
  gsize n = 0;
  auto *p = static_cast<const char *> (g_bytes_get_data (data, &n));
  std::lock_guard l (in->lock);
  in->blobs.emplace_back (p, n);
}

// A sender (rtcbroadcastsink) and a receiver (rtcingestsrc) of one local:// name, both with
// data-channel=true, connected; @extra goes on the sink.
struct Pair
{
  GstElement *sender = nullptr, *receiver = nullptr;
  GstElement *sink = nullptr, *src = nullptr;
  Inbox at_sink, at_src;

  explicit Pair (const char *name, const std::string &extra = "")
  {
    sender = launch (std::string ("rtcbroadcastsink name=s serve=false data-channel=true ")
                     + "signaller::uri=local://" + name + " ice-local-addresses=127.0.0.1 "
                     + "video-codecs=vp8 " + extra
                     + " videotestsrc is-live=true ! video/x-raw,width=160,height=120 ! s.");
    receiver = launch (std::string ("rtcingestsrc name=src serve=false data-channel=true ")
                       + "signaller::uri=local://" + name + " ice-local-addresses=127.0.0.1 "
                       + "src. ! fakesink sync=false");
    sink = gst_bin_get_by_name (GST_BIN (sender), "s");
    src = gst_bin_get_by_name (GST_BIN (receiver), "src");
    g_signal_connect (sink, "message", G_CALLBACK (on_message), &at_sink);
    g_signal_connect (src, "message", G_CALLBACK (on_message), &at_src);
    g_signal_connect (sink, "data", G_CALLBACK (on_data), &at_sink);
    g_signal_connect (src, "data", G_CALLBACK (on_data), &at_src);
    fail_if (gst_element_set_state (receiver, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
    fail_if (gst_element_set_state (sender, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
    fail_unless (wait_for ([this] {
      guint v = 0;
      g_object_get (sink, "viewers", &v, nullptr);
      return v == 1;
    }));
    /* The sink opened the channel: its first message arrives once the receiver has it too. */
    fail_unless (wait_for ([this] { return send (sink, nullptr, "ping"); }));
    fail_unless (wait_for ([this] { return at_src.n_texts () >= 1; }), "the channel never opened");
    std::lock_guard l (at_src.lock);
    at_src.texts.clear ();
    at_src.labels.clear ();
    at_src.sessions.clear ();
  }
  ~Pair ()
  {
    gst_element_set_state (receiver, GST_STATE_NULL);
    gst_element_set_state (sender, GST_STATE_NULL);
    gst_object_unref (sink);
    gst_object_unref (src);
    gst_object_unref (receiver);
    gst_object_unref (sender);
  }

  gboolean send (GstElement *from, const gchar *session, const std::string &text)
  {
    gboolean ok = FALSE;
    g_signal_emit_by_name (from, "send-message", session, text.c_str (), &ok);
    return ok;
  }
  gboolean send_bytes (GstElement *from, const std::string &bytes)
  {
    GBytes *b = g_bytes_new (bytes.data (), bytes.size ());
    gboolean ok = FALSE;
    g_signal_emit_by_name (from, "send-data", nullptr, b, &ok);
    g_bytes_unref (b);
    return ok;
  }
};

std::string
pattern (std::size_t n)
{
  std::string s (n, '\0');
  for (std::size_t i = 0; i < n; i++)
    s[i] = char ((i * 31 + i / 256) & 0xff);
  return s;
}

} // namespace

GST_START_TEST (test_a_hundred_text_messages_each_way_arrive_in_order)
{
  Pair p ("dc-order");
  for (int i = 0; i < 100; i++)
    {
      fail_unless (p.send (p.sink, nullptr, "to-src-" + std::to_string (i)));
      fail_unless (p.send (p.src, nullptr, "to-sink-" + std::to_string (i)));
    }
  fail_unless (wait_for ([&] { return p.at_src.n_texts () >= 100 && p.at_sink.n_texts () >= 100; }),
               "src got %zu, sink got %zu", p.at_src.n_texts (), p.at_sink.n_texts ());
  for (int i = 0; i < 100; i++)
    {
      fail_unless_equals_string (p.at_src.texts[i].c_str (),
                                 ("to-src-" + std::to_string (i)).c_str ());
      fail_unless_equals_string (p.at_sink.texts[i].c_str (),
                                 ("to-sink-" + std::to_string (i)).c_str ());
      fail_unless_equals_string (p.at_src.labels[i].c_str (), "rtckit");
    }
  /* Each side names the session the message came in on; a reply to it reaches the sender. */
  fail_unless (p.send (p.sink, p.at_sink.sessions[0].c_str (), "reply"));
  fail_unless (wait_for ([&] { return p.at_src.n_texts () >= 101; }));
  fail_unless_equals_string (p.at_src.texts[100].c_str (), "reply");
}
GST_END_TEST;

GST_START_TEST (test_text_messages_are_posted_on_the_bus)
{
  Pair p ("dc-bus");
  fail_unless (p.send (p.src, nullptr, "hello bus"));
  GstBus *bus = gst_element_get_bus (p.sender);
  GstMessage *found = nullptr;
  fail_unless (wait_for ([&] {
    while (GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))
      {
        if (gst_message_has_name (m, "rtckit-message") && !found)
          found = m;
        else
          gst_message_unref (m);
      }
    return found != nullptr;
  }));
  const GstStructure *s = gst_message_get_structure (found);
  fail_unless_equals_string (gst_structure_get_string (s, "text"), "hello bus");
  fail_unless_equals_string (gst_structure_get_string (s, "label"), "rtckit");
  fail_unless (gst_structure_get_string (s, "session-id") != nullptr);
  gst_message_unref (found);
  gst_object_unref (bus);
}
GST_END_TEST;

GST_START_TEST (test_a_64_kib_binary_message_arrives_intact_both_ways)
{
  Pair p ("dc-binary");
  const std::string blob = pattern (64 * 1024);
  fail_unless (p.send_bytes (p.sink, blob));
  fail_unless (p.send_bytes (p.src, blob));
  fail_unless (wait_for ([&] { return p.at_src.n_blobs () >= 1 && p.at_sink.n_blobs () >= 1; }));
  fail_unless (p.at_src.blobs[0] == blob, "src got %zu bytes, not the same",
               p.at_src.blobs[0].size ());
  fail_unless (p.at_sink.blobs[0] == blob, "sink got %zu bytes, not the same",
               p.at_sink.blobs[0].size ());
}
GST_END_TEST;

GST_START_TEST (test_oversize_messages_and_unknown_sessions_are_refused)
{
  /* The sink takes at most 1 KiB each way. */
  Pair p ("dc-limits", "max-message-size=1024");
  fail_if (p.send (p.sink, nullptr, std::string (2000, 'x')), "an oversize message was sent");
  fail_if (p.send (p.sink, "no-such-session", "hi"), "a message to nobody was accepted");
  /* The receiver may send it; the sink drops it, and the session carries on. */
  p.send (p.src, nullptr, std::string (2000, 'y'));
  fail_unless (p.send (p.src, nullptr, "small"));
  fail_unless (p.send (p.sink, nullptr, "still here"));
  fail_unless (wait_for ([&] { return p.at_sink.n_texts () >= 1 && p.at_src.n_texts () >= 1; }));
  g_usleep (200000);
  fail_unless_equals_int (p.at_sink.n_texts (), 1);
  fail_unless_equals_string (p.at_sink.texts[0].c_str (), "small");
  fail_unless_equals_string (p.at_src.texts[0].c_str (), "still here");
}
GST_END_TEST;

static Suite *
data_channels_suite (void)
{
  Suite *s = suite_create ("data-channels");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_a_hundred_text_messages_each_way_arrive_in_order);
  tcase_add_test (tc, test_text_messages_are_posted_on_the_bus);
  tcase_add_test (tc, test_a_64_kib_binary_message_arrives_intact_both_ways);
  tcase_add_test (tc, test_oversize_messages_and_unknown_sessions_are_refused);
  return s;
}

GST_CHECK_MAIN (data_channels);
