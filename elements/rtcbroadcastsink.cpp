/* placeholder: replaced by the real element */
#include "elements/elements.h"
extern "C" gboolean gst_element_register_rtcbroadcastsink (GstPlugin *) { return TRUE; }
