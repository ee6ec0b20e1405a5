#!/bin/sh
# Installs Mozilla's compare-locales (PyPI) into .services/compare-locales, for the test that
# runs it next to `nashr l10n status` and `nashr l10n lint` on the same fixture trees.
# Idempotent: a second run only checks the version.
set -eu
VERSION=9.0.5
DIR="$(cd "$(dirname "$0")/.." && pwd)/.services/compare-locales"
if [ -x "$DIR/bin/compare-locales" ] && "$DIR/bin/compare-locales" --version 2>/dev/null | grep -q "$VERSION"; then
    exit 0
fi
echo "installing compare-locales $VERSION into $DIR"
rm -rf "$DIR"
python3 -m venv "$DIR"
"$DIR/bin/pip" install --quiet --disable-pip-version-check "compare-locales==$VERSION"
"$DIR/bin/compare-locales" --version
