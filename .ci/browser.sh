#!/usr/bin/env bash
# Make sure the web tests have what they need from Debian: chromium (driven by Playwright
# through executable_path=/usr/bin/chromium; Playwright's own browser download is never
# used) and fonts-dejavu-core (the Unicode font of the PDF summary). Installs only what is
# missing. Under CI=true the browser tests fail, not skip, without chromium.
# Exports nothing. Call from .ci/run before the test command.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
[ -x /usr/bin/pdftotext ] || missing+=(poppler-utils)  # the PDF summary's text, in e2e tests

if [ ${#missing[@]} -eq 0 ]; then
    echo "browser.sh: chromium and DejaVu fonts present ($(/usr/bin/chromium --version 2>/dev/null || echo chromium))"
    exit 0
fi

echo "browser.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
/usr/bin/chromium --version
