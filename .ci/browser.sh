#!/usr/bin/env bash
# Install what the headless-browser test (tests/test_web_browser.py) needs:
# Chromium from Debian's package and axe-core from the npm registry (cached in
# .cache/browser). Playwright for Python comes with the dev extra (make test).
#
#   eval "$(bash .ci/browser.sh)"   # sets PIPELINE_CHROMIUM and PIPELINE_AXE_JS
#
# Only the export lines go to stdout; progress goes to stderr. Idempotent: nothing
# is installed or fetched again when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[browser.sh] $*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 && SUDO="sudo" || { log "need root or sudo"; exit 1; }
fi

CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$CHROMIUM" ]; then
  log "installing chromium (apt)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq chromium >&2
  CHROMIUM="$(command -v chromium)"
fi

CACHE="${PIPELINE_BROWSER_CACHE:-.cache/browser}"
AXE="$CACHE/node_modules/axe-core/axe.min.js"
if [ ! -f "$AXE" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    log "installing npm (apt)"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq npm >&2
  fi
  log "fetching axe-core@4 (npm) into $CACHE"
  mkdir -p "$CACHE"
  npm install --prefix "$CACHE" --no-audit --no-fund --silent axe-core@4 >&2
fi

log "ready: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown')), $AXE"
echo "export PIPELINE_CHROMIUM=$CHROMIUM"
echo "export PIPELINE_AXE_JS=$(cd "$(dirname "$AXE")" && pwd)/axe.min.js"
