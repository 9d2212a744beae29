#!/usr/bin/env bash
# A live 720p30 test pattern with audio, published to every browser that opens the URL.
set -euo pipefail
. "$(dirname "$0")/env.sh"
exec gst-launch-1.0 -e rtcbroadcastsink name=s "$@" \
  videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720,framerate=30/1 ! s.video_0 \
  audiotestsrc is-live=true wave=ticks ! s.audio_0
