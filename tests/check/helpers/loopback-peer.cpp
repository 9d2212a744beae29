#include "loopback-peer.h"

#include <memory>

#include <gst/check/gstcheck.h>
#include <gst/sdp/sdp.h>

void
loopback_peer_use_loopback (GstElement *webrtc)
{
  GObject *ice = nullptr;
  g_object_get (webrtc, "ice-agent", &ice, nullptr);
  gboolean ok = FALSE;
  g_signal_emit_by_name (ice, "add-local-ip-address", "127.0.0.1", &ok);
  // No UPnP discovery from the tests' peers (it multicasts to the LAN).
  GObject *agent = nullptr;
  g_object_get (ice, "agent", &agent, nullptr);
  g_object_set (agent, "upnp", FALSE, nullptr);
  g_object_unref (agent);
  g_object_unref (ice);
}

void
loopback_peer_route_ice (GstElement *webrtc, TestSignaller *sig, const std::string &sid)
{
  struct IceCtx
  {
    TestSignaller *sig;
    std::string sid;
  };
  g_signal_connect_data (
      webrtc, "on-ice-candidate",
      G_CALLBACK (+[] (GstElement *, guint mline, gchar *cand, IceCtx *c) {
        rtc_signaller_emit_ice (RTC_SIGNALLER (c->sig), c->sid.c_str (), mline, cand);
      }),
      new IceCtx{ sig, sid }, [] (gpointer d, GClosure *) { delete static_cast<IceCtx *> (d); },
      GConnectFlags (0));
  std::lock_guard l (*sig->lock);
  // The route holds its own reference: the element may still send a candidate (a late one, or
  // the end of gathering) after the test has stopped and released this webrtcbin.
  std::shared_ptr<GstElement> keep (GST_ELEMENT (gst_object_ref (webrtc)), gst_object_unref);
  (*sig->routes)[sid] = [keep] (guint mline, const std::string &cand) {
    GstElement *webrtc = keep.get ();
    // The element's end of candidates ("") is for WHIP/WHEP; webrtcbin 1.22 takes it for a
    // malformed candidate (its end-of-candidates is a NULL string).
    if (!cand.empty ())
      g_signal_emit_by_name (webrtc, "add-ice-candidate", mline, cand.c_str ());
  };
}

void
loopback_peer_set_remote (GstElement *webrtc, GstWebRTCSDPType type, const std::string &sdp)
{
  GstSDPMessage *msg;
  gst_sdp_message_new_from_text (sdp.c_str (), &msg);
  GstWebRTCSessionDescription *desc = gst_webrtc_session_description_new (type, msg);
  GstPromise *p = gst_promise_new ();
  g_signal_emit_by_name (webrtc, "set-remote-description", desc, p);
  gst_promise_wait (p);
  gst_promise_unref (p);
  gst_webrtc_session_description_free (desc);
}

std::string
loopback_peer_create_local (GstElement *webrtc, const char *kind, const char *failure)
{
  std::string signal = std::string ("create-") + kind;
  GstPromise *p = gst_promise_new ();
  g_signal_emit_by_name (webrtc, signal.c_str (), nullptr, p);
  gst_promise_wait (p);
  GstWebRTCSessionDescription *desc = nullptr;
  gst_structure_get (gst_promise_get_reply (p), kind, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc,
                     nullptr);
  gst_promise_unref (p);
  fail_unless (desc != nullptr, "%s", failure);
  p = gst_promise_new ();
  g_signal_emit_by_name (webrtc, "set-local-description", desc, p);
  gst_promise_wait (p);
  gst_promise_unref (p);
  gchar *text = gst_sdp_message_as_text (desc->sdp);
  std::string out = text;
  g_free (text);
  gst_webrtc_session_description_free (desc);
  return out;
}
