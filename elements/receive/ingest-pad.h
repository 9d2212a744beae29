// The instance of GstRtcIngestPad (rtcingestsrc.h), the pad type of received tracks: its type is
// registered in rtcingestsrc.cpp, its fields are set where the track is built (incoming.cpp).
#pragma once

#include "rtcingestsrc.h"

struct _GstRtcIngestPad
{
  GstGhostPad parent;
  gchar *publisher_id;
  gchar *session_id;
};
