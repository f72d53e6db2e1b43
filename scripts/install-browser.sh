#!/usr/bin/env bash
# Installs what the web UI's tests need: Debian's Chromium (driven by
# playwright-core in web/e2e) and the UI's npm packages (web/node_modules,
# exact versions from web/package-lock.json). Idempotent.
#
#   scripts/install-browser.sh
#
# Assumes root (or sudo-free apt) and Node 20+ with npm.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[32m[install-browser]\033[0m %s\n' "$*"; }

# A CJK font too: the screenshots of Chinese pages are checked by eye.
missing=()
for pkg in chromium fonts-wqy-zenhei; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "chromium and fonts present: $(/usr/bin/chromium --version 2>/dev/null || true)"
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: install Node.js 20+ to build and test the web UI" >&2
  exit 1
fi
if [ web/package-lock.json -nt web/node_modules/.package-lock.json ] || [ ! -d web/node_modules ]; then
  log "npm ci (web/)"
  (cd web && npm ci --no-audit --no-fund)
else
  log "web/node_modules is up to date"
fi
