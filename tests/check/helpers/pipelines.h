/* What gst-check tests of whole pipelines share: parse a launch line, wait for a condition,
 * count buffers, fail on a bus error. Header-only. */
#pragma once

#include <gst/check/gstcheck.h>

#include <atomic>
#include <functional>
#include <string>

namespace rtc::check
{

inline GstElement *
launch (const std::string &line)
{
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch (line.c_str (), &err);
  fail_unless (pipe != nullptr, "%s", err ? err->message : "");
  return pipe;
}

/* Polls @cond every 20 ms; FALSE once @timeout_ms passed without it. */
inline gboolean
wait_for (const std::function<bool ()> &cond, guint timeout_ms = 20000)
{
  const gint64 end = g_get_monotonic_time () + timeout_ms * 1000;
  while (!cond ())
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_usleep (20000);
    }
  return TRUE;
}

inline GstPadProbeReturn
count_probe (GstPad *, GstPadProbeInfo *, gpointer data)
{
  (*static_cast<std::atomic<int> *> (data))++;
  return GST_PAD_PROBE_OK;
}

/* Counts the buffers reaching the sink pad of the element named @name in @pipe. */
inline void
count_buffers (GstElement *pipe, const char *name, std::atomic<int> *counter)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipe), name);
  fail_unless (e != nullptr, "no element %s", name);
  GstPad *pad = gst_element_get_static_pad (e, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, counter, nullptr);
  gst_object_unref (pad);
  gst_object_unref (e);
}

/* An error on @pipe's bus fails the test with its text. */
inline void
assert_no_error (GstElement *pipe)
{
  GstBus *bus = gst_element_get_bus (pipe);
  if (GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))
    {
      GError *e = nullptr;
      gchar *dbg = nullptr;
      gst_message_parse_error (m, &e, &dbg);
      fail ("%s: %s (%s)", GST_OBJECT_NAME (pipe), e->message, dbg);
    }
  gst_object_unref (bus);
}

} // namespace rtc::check
