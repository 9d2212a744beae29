#!/usr/bin/env bash
# The screen (or a window, or a region) to browsers. Arguments are rtcdisplaymediasrc properties:
#   examples/broadcast-screen.sh window-title=Terminal cursor=false frame-rate=15
#   examples/broadcast-screen.sh region=0,0,1280,720 video-constraints=width=1280
# RTCKIT_SINK_PROPS holds rtcbroadcastsink's, e.g. RTCKIT_SINK_PROPS="address=0.0.0.0:8080".
set -euo pipefail
. "$(dirname "$0")/env.sh"
# shellcheck disable=SC2086 # RTCKIT_SINK_PROPS is a list of properties
exec gst-launch-1.0 -e rtcdisplaymediasrc "$@" ! rtcbroadcastsink ${RTCKIT_SINK_PROPS:-}
