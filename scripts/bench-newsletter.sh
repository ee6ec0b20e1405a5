#!/bin/sh
# `make bench` (newsletter part): sends one issue to 10,000 subscribers through SMTP to
# Postfix's smtp-sink on 127.0.0.1 and reports messages per second and nashr's peak memory,
# next to what Postfix's own smtp-source reaches against the same sink (the loopback limit).
# Postfix's test tools come from Debian's postfix package, installed here when missing (its mail
# daemon is stopped again: only the two test programs are used).
# Then the same send by `nashr worker` processes: 1 on SQLite, and 1, 2 and 3 sharing a
# PostgreSQL store (a schema of its own in the database `test` on 127.0.0.1:5432, dropped
# afterwards), timed from the scheduled job's start until the ledger has every message sent.
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
SCHEMA="nashr_bench_$$"
PG="postgres://postgres@127.0.0.1:5432/test"
WORKERS=""
cleanup() {
    for p in $WORKERS; do kill "$p" 2>/dev/null || true; done
    kill $SINK_PID 2>/dev/null
    psql "$PG" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
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

# nashr worker: K processes, each with CONC messages in flight, on a fresh store.
# $1 = label, $2 = number of workers; NASHR_STORE_URL chooses the store (unset: SQLite).
workers() {
    label=$1
    k=$2
    rm -rf "$WORK/.nashr" "$WORK/outbox"
    "$NASHR" --root "$WORK" --quiet subscribers import "$WORK/subs.csv"
    WORKERS=""
    for i in $(seq 1 "$k"); do
        NASHR_NEWSLETTER_KEY=bench-key-not-secret "$NASHR" --root "$WORK" --quiet worker \
            --listen 127.0.0.1:0 --tick 0.1 --transport smtp --concurrency "$CONC" 2>"$WORK/worker-$i.log" &
        WORKERS="$WORKERS $!"
    done
    sleep 1
    START=$(date +%s.%N)
    "$NASHR" --root "$WORK" --quiet newsletter schedule 2026-12 --at "2026-01-01 00:00" --tz UTC >/dev/null 2>&1
    until "$NASHR" --root "$WORK" newsletter status 2026-12 2>/dev/null | grep -q "^2026-12: $N sent"; do
        sleep 0.1
    done
    END=$(date +%s.%N)
    for p in $WORKERS; do kill -TERM "$p"; done
    for p in $WORKERS; do wait "$p" || true; done
    WORKERS=""
    python3 - "$label" "$k" "$START" "$END" "$N" "$CONC" <<'PY'
import sys
label, k, s, e, n, c = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
print("%s, %d worker%s x %s: %d messages in %.2f s = %.0f messages/s" % (label, k, "" if k == 1 else "s", c, n, e - s, n / (e - s)))
PY
}

echo "== nashr worker: $N recipients, concurrency $CONC per worker, same sink"
unset NASHR_STORE_URL
workers "SQLite" 1
for k in 1 2 3; do
    psql "$PG" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA" 2>/dev/null
    export NASHR_STORE_URL="$PG?options=-c%20search_path%3D$SCHEMA"
    workers "PostgreSQL" "$k"
    unset NASHR_STORE_URL
done
echo "(load while measuring: $(cut -d' ' -f1-3 /proc/loadavg))"
