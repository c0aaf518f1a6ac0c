#!/bin/sh
# Install the system packages the report tests need: Debian's chromium (headless browser),
# poppler-utils (pdftoppm, pdftotext), and the pango/fonts weasyprint renders with.
# Idempotent and quiet: does nothing when everything is already present.
set -eu

missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v pdftoppm >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v pdftotext >/dev/null 2>&1 || case "$missing" in *poppler-utils*) ;; *) missing="$missing poppler-utils" ;; esac
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0' || missing="$missing libpango-1.0-0 libpangoft2-1.0-0"
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$missing fonts-dejavu-core"
command -v fc-list >/dev/null 2>&1 || missing="$missing fontconfig"

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "install_test_system_deps.sh: need root to install:$missing" >&2; exit 1
    fi
else
    SUDO=""
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() { "$@" >"$log" 2>&1 || { cat "$log" >&2; echo "install_test_system_deps.sh: failed: $*" >&2; exit 1; }; }
# Refresh the package lists only when they are absent or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
    run $SUDO apt-get update -qq
fi
# shellcheck disable=SC2086
run $SUDO apt-get install -y -qq --no-install-recommends $missing
