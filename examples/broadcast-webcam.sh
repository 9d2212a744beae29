#!/usr/bin/env bash
# Webcam and microphone to browsers: encoded once per codec in use.
set -euo pipefail
. "$(dirname "$0")/env.sh"
device=${1:-/dev/video0}
shift || true
exec gst-launch-1.0 -e rtcbroadcastsink name=s "$@" \
  v4l2src device="$device" ! videoconvert ! videoscale ! video/x-raw,width=1280,height=720 ! s.video_0 \
  autoaudiosrc ! audioconvert ! s.audio_0
