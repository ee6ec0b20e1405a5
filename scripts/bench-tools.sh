#!/bin/sh
# Installs what `make bench` compares against and measures with: Debian's `hugo` and GNU
# `time` (for peak memory). Idempotent: does nothing when both are there.
set -eu
missing=""
command -v hugo >/dev/null 2>&1 || missing="$missing hugo"
[ -x /usr/bin/time ] || missing="$missing time"
if [ -n "$missing" ]; then
    echo "installing$missing from Debian" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
hugo version
