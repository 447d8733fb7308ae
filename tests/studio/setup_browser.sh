#!/bin/sh
# Install the headless browser the Studio's end-to-end tests drive: Debian's own `chromium`
# package (Playwright is only the driver; it must never download a browser of its own).
# Idempotent: does nothing when /usr/bin/chromium already runs. Needs root (or sudo) for apt.
set -eu

if [ -x /usr/bin/chromium ] && /usr/bin/chromium --headless --no-sandbox --version >/dev/null 2>&1; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null)"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "setup_browser.sh: installing chromium needs root; run: apt-get update && apt-get install -y chromium" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
