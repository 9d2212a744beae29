#include "test-signaller.h"

static void test_signaller_iface_init (RtcSignallerInterface *iface);
G_DEFINE_TYPE_WITH_CODE (TestSignaller, test_signaller, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (RTC_TYPE_SIGNALLER, test_signaller_iface_init))

static void
record (RtcSignaller *s, Sent e)
{
  auto *self = TEST_SIGNALLER (s);
  std::function<void (guint, const std::string &)> fwd;
  {
    std::lock_guard l (*self->lock);
    self->sent->push_back (e);
    auto it = self->routes->find (e.session_id);
    if (it != self->routes->end ())
      fwd = it->second;
  }
  if (e.kind == "ice" && fwd)
    fwd (e.mline, e.a);
}

static void
test_signaller_iface_init (RtcSignallerInterface *iface)
{
  iface->start = [] (RtcSignaller *s, GError **) -> gboolean {
    TEST_SIGNALLER (s)->started = TRUE;
    return TRUE;
  };
  iface->stop = [] (RtcSignaller *s) { TEST_SIGNALLER (s)->started = FALSE; };
  iface->send_sdp = [] (RtcSignaller *s, const gchar *sid, const gchar *type, const gchar *sdp) {
    record (s, { "sdp", sid, type, sdp, 0 });
  };
  iface->send_ice = [] (RtcSignaller *s, const gchar *sid, guint mline, const gchar *cand) {
    record (s, { "ice", sid, cand, "", mline });
  };
  iface->end_session = [] (RtcSignaller *s, const gchar *sid, const gchar *reason) {
    record (s, { "end", sid, reason ? reason : "", "", 0 });
  };
}

static void
test_signaller_init (TestSignaller *self)
{
  self->lock = new std::mutex;
  self->sent = new std::vector<Sent>;
  self->routes = new std::map<std::string, std::function<void (guint, const std::string &)>>;
}

static void
test_signaller_class_init (TestSignallerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = [] (GObject *o) {
    auto *self = TEST_SIGNALLER (o);
    delete self->lock;
    delete self->sent;
    delete self->routes;
    G_OBJECT_CLASS (test_signaller_parent_class)->finalize (o);
  };
}

std::vector<Sent>
sent_for (TestSignaller *sig, const std::string &sid, const std::string &kind)
{
  std::lock_guard l (*sig->lock);
  std::vector<Sent> out;
  for (auto &e : *sig->sent)
    if (e.session_id == sid && e.kind == kind)
      out.push_back (e);
  return out;
}

std::string
error_on_start (GstElement *pipe, GstClockTime timeout)
{
  GstBus *bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, timeout, GST_MESSAGE_ERROR);
  std::string out;
  if (msg)
    {
      GError *err = nullptr;
      gst_message_parse_error (msg, &err, nullptr);
      out = err ? err->message : "";
      g_clear_error (&err);
      gst_message_unref (msg);
    }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  return out;
}

bool
wait_until (const std::function<bool ()> &pred, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * 1000;
  while (!pred ())
    {
      if (g_get_monotonic_time () > end)
        return false;
      g_main_context_iteration (nullptr, FALSE);
      g_usleep (5000);
    }
  return true;
}
