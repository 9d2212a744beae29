#!/usr/bin/env bash
# Installs the end-to-end test peers that cannot come from a plain `apt-get install` into
# BUILD/e2e-deps (never into the system), non-interactively:
#   simple-whip-server  Debian's package, unpacked (apt-get download + dpkg -x): installing it
#                       pulls Debian's nodejs, which conflicts with a NodeSource nodejs; its Node
#                       modules come from npm into the same directory.
# tests/e2e/janus.py finds them there. Re-running is cheap: what is present is kept.
#   tools/install-e2e-deps.sh BUILD_DIR
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
DEST="$BUILD/e2e-deps"
SWS="$DEST/simple-whip-server"

# The modules server.js and whip-janus.js require, in versions of the package's time (2023).
SWS_MODULES="express@4.18.2 body-parser@1.20.1 cors@2.8.5 async@3.2.4 colors@1.4.0 debug@4.3.4
 websocket@1.0.34"

if [ -f "$SWS/ok" ]; then
  exit 0
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "rtckit: node and npm are needed for simple-whip-server (apt-get install nodejs npm)" >&2
  exit 1
fi
rm -rf "$SWS"
mkdir -p "$SWS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "rtckit: unpacking Debian's simple-whip-server into $SWS"
# apt's sandbox user must be able to write the download directory.
chmod 777 "$tmp"
if ! (cd "$tmp" && apt-get download -q simple-whip-server); then
  apt-get update -q # no package lists yet on a fresh machine
  (cd "$tmp" && apt-get download -q simple-whip-server)
fi
dpkg -x "$tmp"/simple-whip-server_*.deb "$SWS/root"
echo "rtckit: npm modules for simple-whip-server"
# shellcheck disable=SC2086
npm install --prefix "$SWS" --no-audit --no-fund --no-save --loglevel=error $SWS_MODULES
touch "$SWS/ok"
