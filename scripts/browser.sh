#!/usr/bin/env bash
# Install Debian's Chromium for the dashboard's browser test (tests/e2e), when it is missing.
# Playwright drives this browser (its own browser downloads are not reachable from here).
# Without root or apt the test suite still runs; the browser test then skips and says why.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "==> no /usr/bin/chromium and no root apt-get: the browser test will skip" >&2
  exit 0
fi
echo "==> installing Debian's chromium for the browser test" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq chromium >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq chromium >/dev/null 2>&1 || echo "==> chromium install failed: the browser test will skip" >&2
fi
