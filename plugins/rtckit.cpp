/* Plugin entry point: registration only. */
#include <gst/gst.h>

#include "elements/elements.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ok = TRUE;
  ok &= GST_ELEMENT_REGISTER (rtcencodebin, plugin);
  ok &= GST_ELEMENT_REGISTER (rtcpeerbin, plugin);
  ok &= GST_ELEMENT_REGISTER (rtcbroadcastsink, plugin);
  ok &= GST_ELEMENT_REGISTER (rtcingestsrc, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtckit,
                   "Publish pipelines to web browsers and receive from them over WebRTC",
                   plugin_init, VERSION, "LGPL", "rtckit", "https://example.invalid/rtckit")
