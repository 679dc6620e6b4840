#!/usr/bin/env bash
# Install everything the classroom and its tests need on a fresh Debian/Ubuntu machine with
# Python 3.11: the pinned Python packages (CPU torch) and Debian's Chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m pip install --quiet --disable-pip-version-check -r requirements.txt
if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  else
    echo "note: Chromium not installed (no apt-get); the browser tests need /usr/bin/chromium" >&2
  fi
fi
