#!/usr/bin/env bash
# rtckit developer entry point: installs what is missing (Debian 12, as root), builds, and runs.
#   tools/dev.sh demo   publish a live test pattern with audio; prints the URL to open
#   tools/dev.sh test   build and run every test (unit, fuzz, end to end with real browsers)
#   tools/dev.sh build  install and build only (the product; test also builds the fuzz build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${RTCKIT_BUILD_DIR:-$ROOT/build}
BUILD=${BUILD%/}
# The sanitizer fuzz build (docs/fuzzing.md): clang, libFuzzer, ASan and UBSan. The fuzz suite of
# $BUILD finds it by this name (option fuzz_build_dir).
FUZZ_BUILD=$BUILD-fuzz

BUILD_PKGS="meson ninja-build g++ pkg-config libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
 libgstreamer-plugins-bad1.0-dev libnice-dev libsoup-3.0-dev libjson-glib-dev libssl-dev
 libxcb1-dev libx11-dev"
RUNTIME_PKGS="gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
 gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice gstreamer1.0-tools
 gstreamer1.0-pipewire"
TEST_PKGS="chromium chromium-driver firefox-esr python3-selenium python3-aiortc python3-gi python3-gst-1.0
 gir1.2-gst-plugins-bad-1.0 gir1.2-gst-plugins-base-1.0 python3-websockets iproute2 procps python3-numpy python3-matplotlib janus coturn iptables valgrind
 gstreamer1.0-plugins-base-apps openssl curl libsrtp2-dev heaptrack
 xvfb xdotool gstreamer1.0-x dbus-daemon pipewire-bin"
# clang, its libFuzzer and sanitizer runtimes (not pulled in without recommends), llvm-symbolizer
FUZZ_PKGS="clang libclang-rt-dev llvm"

install_missing() {
  local missing=()
  for p in $*; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "rtckit: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# JavaScript packages the e2e tests use as third-party clients (not committed): npm's registry,
# into <build>/test-deps. Node.js and npm come from Debian when the machine has none.
TEST_NPM="whip-whep@1.2.0 gstwebrtc-api@3.0.0"
install_npm() {
  local dir="$BUILD/test-deps" want=() spec name
  for spec in $TEST_NPM; do
    name=${spec%@*}
    [ -f "$dir/node_modules/$name/package.json" ] && \
      grep -q "\"version\": *\"${spec##*@}\"" "$dir/node_modules/$name/package.json" || want+=("$spec")
  done
  [ ${#want[@]} -eq 0 ] && return 0
  command -v npm >/dev/null || install_missing nodejs npm
  mkdir -p "$dir"
  # All of them at once: with --no-save, npm removes what the command line does not name.
  echo "rtckit: npm install $TEST_NPM into $dir (missing: ${want[*]})"
  npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error $TEST_NPM
}

werror() {
  if [ "${CI:-}" = "true" ]; then echo true; else echo false; fi
}

build() {
  if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" -Dwerror="$(werror)"
  fi
  ninja -C "$BUILD"
}

# Only the signalling library, what the fuzz targets need and the targets themselves.
build_fuzz() {
  if [ ! -f "$FUZZ_BUILD/build.ninja" ]; then
    CC=clang CXX=clang++ meson setup "$FUZZ_BUILD" -Dfuzzing=true -Dwerror="$(werror)"
  fi
  ninja -C "$FUZZ_BUILD"
}

plugin_env() {
  export GST_PLUGIN_PATH="$BUILD/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
}

cmd=${1:-demo}
case "$cmd" in
  build)
    install_missing $BUILD_PKGS $RUNTIME_PKGS
    build
    ;;
  demo)
    install_missing $BUILD_PKGS $RUNTIME_PKGS
    build
    plugin_env
    shift || true
    exec gst-launch-1.0 -e rtcbroadcastsink name=s "$@" \
      videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720,framerate=30/1 ! s.video_0 \
      audiotestsrc is-live=true wave=ticks ! s.audio_0
    ;;
  test)
    install_missing $BUILD_PKGS $RUNTIME_PKGS $TEST_PKGS $FUZZ_PKGS
    # simple-whip-server needs Node; any nodejs will do (NodeSource's conflicts with Debian's npm).
    command -v node >/dev/null || install_missing nodejs
    command -v npm >/dev/null || install_missing npm
    build
    build_fuzz
    install_npm
    "$ROOT/tools/install-e2e-deps.sh" "$BUILD"
    exec "$ROOT/tools/run-tests.sh" "$BUILD"
    ;;
  *)
    echo "usage: $0 demo|test|build" >&2
    exit 2
    ;;
esac
