#!/usr/bin/env bash
# An IP camera's H.264 as it comes: depayloaded, parsed and re-payloaded, never decoded.
# Browsers join on the next keyframe the camera sends (rtckit replays the current GOP).
set -euo pipefail
. "$(dirname "$0")/env.sh"
url=${1:?usage: $0 rtsp://camera/stream [PROPS]}
shift
exec gst-launch-1.0 -e rtcbroadcastsink name=s "$@" \
  rtspsrc location="$url" latency=100 ! rtph264depay ! h264parse ! s.video_0
