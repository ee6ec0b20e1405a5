#!/bin/sh
# Installs the test SMTP server (aiosmtpd from PyPI) into .services/smtp, for the newsletter
# tests. They start their own instances of scripts/smtp_server.py on free 127.0.0.1 ports,
# each with its own spool directory (and, for the fault test, its configured 4xx/5xx answers).
# Idempotent: a second run only checks the version.
set -eu
VERSION=1.4.6
DIR="$(cd "$(dirname "$0")/.." && pwd)/.services/smtp"
if [ -x "$DIR/bin/python" ] && "$DIR/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$VERSION')" 2>/dev/null; then
    exit 0
fi
echo "installing aiosmtpd $VERSION into $DIR"
rm -rf "$DIR"
python3 -m venv "$DIR"
"$DIR/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$VERSION"
"$DIR/bin/python" -c "import aiosmtpd; print('aiosmtpd', aiosmtpd.__version__)"
