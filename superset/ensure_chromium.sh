#!/usr/bin/env bash
# Install Debian's chromium when it is missing: the dashboard tests and screenshots drive
# it through Playwright (never `playwright install`, which downloads its own browser).
# Exit 0 when /usr/bin/chromium is there afterwards, 1 with one clear line otherwise.
set -uo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium: $CHROMIUM is missing and apt-get is not available; install Chromium there." >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        echo "chromium: $CHROMIUM is missing; run \`sudo apt-get install -y chromium\`." >&2
        exit 1
    fi
fi
echo "chromium: installing Debian's chromium (apt-get update && apt-get install -y chromium)" >&2
# No stdin in CI: never prompt; wait for another apt/dpkg run instead of failing on its lock.
APT=($SUDO env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300)
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
if ! { "${APT[@]}" update >"$LOG" 2>&1 && "${APT[@]}" install chromium >>"$LOG" 2>&1; } </dev/null; then
    tail -n 5 "$LOG" | sed 's/^/chromium:   /' >&2
    echo "chromium: apt-get could not install chromium (see above); install it at $CHROMIUM by hand." >&2
    exit 1
fi
[ -x "$CHROMIUM" ] || { echo "chromium: installed, but $CHROMIUM is still missing." >&2; exit 1; }
