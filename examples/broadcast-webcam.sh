#!/usr/bin/env bash
# Webcam and microphone to browsers: encoded once per codec in use. The camera mode closest to
# 1280x720 at 30 fps is chosen as a browser's getUserMedia would (rtcusermediasrc); arguments are
# more rtcusermediasrc properties, e.g. video-device-id=... (gst-device-monitor-1.0 lists them).
set -euo pipefail
. "$(dirname "$0")/env.sh"
exec gst-launch-1.0 -e rtcusermediasrc name=m video-constraints="width=1280,height=720,frame-rate=30" "$@" \
  m.video ! queue ! rtcbroadcastsink name=s \
  m.audio ! queue ! s.
