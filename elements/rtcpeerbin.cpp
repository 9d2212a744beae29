/* placeholder: replaced by the real element */
#include "elements/elements.h"
extern "C" gboolean gst_element_register_rtcpeerbin (GstPlugin *) { return TRUE; }
