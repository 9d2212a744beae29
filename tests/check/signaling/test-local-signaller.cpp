/* RtcLocalSignaller (local://NAME) without elements: who meets whom, what is forwarded, and
 * what a stop ends. Signals come from each signaller's own thread; Recorder collects them. */
#include "rtc-local-signaller.h"
#include "ws-client.h"

#include <gio/gio.h>

#include <string>

namespace
{

struct Local
{
  RtcLocalSignaller *sig;
  Recorder rec;

  Local (const char *uri, RtcSignallerRole role)
  {
    sig = RTC_LOCAL_SIGNALLER (
        g_object_new (RTC_TYPE_LOCAL_SIGNALLER, "uri", uri, "role", role, nullptr));
    rec.connect (sig);
  }
  ~Local ()
  {
    rtc_signaller_stop (s ());
    g_object_unref (sig);
  }
  RtcSignaller *
  s ()
  {
    return RTC_SIGNALLER (sig);
  }
  void
  start ()
  {
    g_autoptr (GError) err = nullptr;
    if (!rtc_signaller_start (s (), &err))
      g_error ("start: %s", err->message);
  }
  std::string
  peer_id ()
  {
    g_autofree gchar *id = nullptr;
    g_object_get (sig, "peer-id", &id, nullptr);
    return id ? id : "";
  }
};

} // namespace

static void
test_a_producer_and_a_consumer_of_one_name_get_one_session ()
{
  Local p ("local://t-one", RTC_SIGNALLER_ROLE_PRODUCER), c ("local://t-one", RTC_SIGNALLER_ROLE_CONSUMER);
  p.start ();
  c.start ();
  Event ec = c.rec.wait (0), ep = p.rec.wait (0);
  g_assert_cmpstr (ec.name.c_str (), ==, "session-requested");
  g_assert_cmpstr (ep.name.c_str (), ==, "session-requested");
  g_assert_cmpstr (ec.session.c_str (), ==, ep.session.c_str ());
  const std::string pid = p.peer_id (), cid = c.peer_id ();
  g_assert_cmpstr (ec.a.c_str (), ==, pid.c_str ());
  g_assert_cmpstr (ep.a.c_str (), ==, cid.c_str ());
  g_assert_false (ec.has_b);
  const std::string sid = ec.session;

  /* Descriptions and candidates go across; an empty candidate does not. */
  rtc_signaller_send_sdp (p.s (), sid.c_str (), "offer", "v=0 p");
  Event e = c.rec.wait (1);
  g_assert_cmpstr (e.name.c_str (), ==, "sdp");
  g_assert_cmpstr (e.b.c_str (), ==, "v=0 p");
  rtc_signaller_send_ice (c.s (), sid.c_str (), 1, "");
  rtc_signaller_send_ice (c.s (), sid.c_str (), 1, "candidate:c");
  e = p.rec.wait (1);
  g_assert_cmpstr (e.name.c_str (), ==, "ice");
  g_assert_cmpstr (e.a.c_str (), ==, "candidate:c");
  g_assert_cmpuint (e.n, ==, 1);

  /* Ending it tells the other side once; later messages for it go nowhere. */
  rtc_signaller_end_session (c.s (), sid.c_str (), "bye");
  e = p.rec.wait (2);
  g_assert_cmpstr (e.name.c_str (), ==, "session-ended");
  rtc_signaller_send_sdp (p.s (), sid.c_str (), "offer", "late");
  g_assert_true (c.rec.count () == 2 && !wait_until ([&] { return c.rec.count () > 2; }, 200));
}

static void
test_names_keep_apart_and_a_stop_ends_the_sessions ()
{
  Local p ("local://t-two", RTC_SIGNALLER_ROLE_PRODUCER);
  Local other ("local://t-three", RTC_SIGNALLER_ROLE_CONSUMER);
  Local c1 ("local://t-two", RTC_SIGNALLER_ROLE_CONSUMER), c2 ("local://t-two", RTC_SIGNALLER_ROLE_CONSUMER);
  c1.start ();
  other.start ();
  p.start ();
  c2.start ();
  /* One session per consumer of the name, none for the other name. */
  p.rec.wait (1);
  c1.rec.wait (0);
  c2.rec.wait (0);
  g_assert_false (wait_until ([&] { return other.rec.count () > 0 || p.rec.count () > 2; }, 200));
  rtc_signaller_stop (p.s ());
  g_assert_cmpstr (c1.rec.wait (1).name.c_str (), ==, "session-ended");
  g_assert_cmpstr (c2.rec.wait (1).name.c_str (), ==, "session-ended");
  g_assert_true (p.peer_id ().empty ());
}

static void
test_a_bad_uri_fails_start_naming_it ()
{
  Local bad ("local://a b", RTC_SIGNALLER_ROLE_PRODUCER);
  g_autoptr (GError) err = nullptr;
  g_assert_false (rtc_signaller_start (bad.s (), &err));
  g_assert_nonnull (strstr (err->message, "local://a b"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/signaling/local/one-name-one-session",
                   test_a_producer_and_a_consumer_of_one_name_get_one_session);
  g_test_add_func ("/signaling/local/names-apart-stop-ends-sessions",
                   test_names_keep_apart_and_a_stop_ends_the_sessions);
  g_test_add_func ("/signaling/local/bad-uri", test_a_bad_uri_fails_start_naming_it);
  return g_test_run ();
}
