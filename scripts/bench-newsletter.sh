#!/bin/sh
# `make bench` (newsletter part): sends one issue to 10,000 subscribers through SMTP to
# Postfix's smtp-sink on 127.0.0.1 and reports messages per second and nashr's peak memory,
# next to what Postfix's own smtp-source reaches against the same sink (the loopback limit).
# Postfix's test tools come from Debian's postfix package, installed here when missing (its mail
# daemon is stopped again: only the two test programs are used).
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${BENCH_RECIPIENTS:-10000}"
CONC="${BENCH_CONCURRENCY:-8}"
SINK=/usr/sbin/smtp-sink
SOURCE=/usr/sbin/smtp-source
if [ ! -x "$SINK" ] || [ ! -x "$SOURCE" ]; then
    echo "installing Debian's postfix for smtp-sink and smtp-source"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postfix >/dev/null
    $SUDO postfix stop 2>/dev/null || true
fi
cd "$ROOT"
cargo build --quiet --release -p nashr
NASHR="$ROOT/target/release/nashr"
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SINK" -u postfix 127.0.0.1:$PORT 256 &
SINK_PID=$!
trap 'kill $SINK_PID 2>/dev/null; rm -rf "$WORK"' EXIT INT TERM
sleep 0.5

# The sample project, N subscribers (half Persian), SMTP to the sink.
cp -r nashr.toml content locales templates static "$WORK/"
cat >> "$WORK/nashr.toml" <<TOML

[newsletter.smtp]
host = "127.0.0.1"
port = $PORT
tls = "none"
concurrency = $CONC
TOML
python3 - "$WORK/subs.csv" "$N" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("email,name,locale,consent\n")
    for i in range(int(sys.argv[2])):
        f.write("patient%05d@example.com,Patient %d,%s,express\n" % (i, i, "fa" if i % 2 else "en"))
PY
"$NASHR" --root "$WORK" --quiet subscribers import "$WORK/subs.csv"
MSG_BYTES=$("$NASHR" --root "$WORK" --quiet newsletter render 2026-12 >/dev/null 2>&1; wc -c < "$WORK/outbox/preview/2026-12/fa.eml")

echo "== nashr newsletter send: $N recipients, concurrency $CONC, smtp-sink on 127.0.0.1:$PORT"
START=$(date +%s.%N)
NASHR_NEWSLETTER_KEY=bench-key-not-secret /usr/bin/time -f "%M" -o "$WORK/rss" \
    "$NASHR" --root "$WORK" --quiet newsletter send 2026-12 --transport smtp
END=$(date +%s.%N)
python3 - "$START" "$END" "$N" "$(cat "$WORK/rss")" <<'PY'
import sys
s, e, n, rss = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print("nashr: %d messages in %.2f s = %.0f messages/s; peak RSS %.1f MB" % (n, e - s, n / (e - s), rss / 1024))
PY

echo "== smtp-source: $N messages of $MSG_BYTES bytes, $CONC sessions, same sink"
START=$(date +%s.%N)
"$SOURCE" -s "$CONC" -l "$MSG_BYTES" -m "$N" -f news@downtownphysio.example -t patient@example.com 127.0.0.1:$PORT
END=$(date +%s.%N)
python3 - "$START" "$END" "$N" <<'PY'
import sys
s, e, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print("smtp-source: %d messages in %.2f s = %.0f messages/s" % (n, e - s, n / (e - s)))
PY
