#!/bin/sh
# Installs Debian's headless browser for the `nashr serve` end-to-end test: `chromium` and
# `chromium-driver` (chromedriver, which the test drives over WebDriver on 127.0.0.1).
# Idempotent: when both are installed, it only checks that they run.
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "chromium: missing packages ($missing) and not root: install them with apt-get" >&2
        exit 1
    fi
    echo "chromium: installing from Debian:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # Without package lists, nothing can be found.
    if ! apt-cache show chromium >/dev/null 2>&1; then
        apt-get -o DPkg::Lock::Timeout=600 -q -y update >/dev/null
    fi
    # shellcheck disable=SC2086
    apt-get -o DPkg::Lock::Timeout=600 -q -y install --no-install-recommends $missing fonts-dejavu-core >/dev/null
fi
chromium --version >/dev/null 2>&1
chromedriver --version >/dev/null 2>&1
