/* Element registration declarations, one per element. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE (rtcencodebin);
GST_ELEMENT_REGISTER_DECLARE (rtcpeerbin);
GST_ELEMENT_REGISTER_DECLARE (rtcbroadcastsink);
GST_ELEMENT_REGISTER_DECLARE (rtcingestsrc);
GST_ELEMENT_REGISTER_DECLARE (rtccallbin);
GST_ELEMENT_REGISTER_DECLARE (rtcusermediasrc);
GST_ELEMENT_REGISTER_DECLARE (rtcdisplaymediasrc);

G_END_DECLS
