/* Plugin entry point: registration only. */
#include <gst/gst.h>

#include "elements/common/signalling.h"
#include "elements/elements.h"

#include <openssl/crypto.h>

static gboolean
plugin_init (GstPlugin *plugin)
{
  // webrtcbin's DTLS runs on OpenSSL, which by default frees its global state from an atexit()
  // handler. GStreamer's pool threads can still be ending (and freeing their OpenSSL thread
  // state) when the application returns from main() right after stopping a pipeline: that race
  // crashed or hung processes at exit (OpenSSL issue #6214). Without the handler the kernel
  // reclaims that memory instead. This takes effect only if nothing in the process initialised
  // OpenSSL before rtckit was loaded; an application that did keeps its own choice.
  OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, nullptr);
  // signaller=KIND on gst-launch lines: GStreamer's value table is not locked, so it is added to
  // here, before any element exists (install_endpoint_properties() asks again, once).
  rtc::register_signaller_names ();
  gboolean ok = TRUE;
  ok &= GST_ELEMENT_REGISTER (rtcencodebin, plugin);
  ok &= GST_ELEMENT_REGISTER (rtcpeerbin, plugin);
  ok &= GST_ELEMENT_REGISTER (rtcbroadcastsink, plugin);
  ok &= GST_ELEMENT_REGISTER (rtcingestsrc, plugin);
  ok &= GST_ELEMENT_REGISTER (rtccallbin, plugin);
  ok &= GST_ELEMENT_REGISTER (rtcusermediasrc, plugin);
  ok &= GST_ELEMENT_REGISTER (rtcdisplaymediasrc, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtckit,
                   "Publish pipelines to web browsers and receive from them over WebRTC",
                   plugin_init, VERSION, "LGPL", "rtckit", "https://example.invalid/rtckit")
