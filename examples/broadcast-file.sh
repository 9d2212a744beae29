#!/usr/bin/env bash
# A media file, decoded and re-encoded for browsers, paced by the clock.
set -euo pipefail
. "$(dirname "$0")/env.sh"
file=${1:?usage: $0 FILE [PROPS]}
shift
exec gst-launch-1.0 -e rtcbroadcastsink name=s "$@" \
  filesrc location="$file" ! decodebin name=d \
  d. ! queue ! videoconvert ! s.video_0 \
  d. ! queue ! audioconvert ! audioresample ! s.audio_0
