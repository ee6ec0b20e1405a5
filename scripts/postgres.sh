#!/bin/sh
# Makes sure the tests' PostgreSQL answers on 127.0.0.1:5432 with a database `test` that the
# user `postgres` reaches without a password (trust on loopback), as CI provides it. On a
# machine without it: installs Debian's postgresql, allows trust for 127.0.0.1 only, starts
# the cluster and creates the database. Idempotent; quick when all is there. Tests create and
# drop their own schema inside `test` (nashr_store::testing), so runs never collide.
set -eu
HOST=127.0.0.1
PORT=5432
ok() { psql -h "$HOST" -p "$PORT" -U postgres -d test -Atqc 'SELECT 1' >/dev/null 2>&1; }
ok && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing PostgreSQL (Debian's postgresql)"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
VERSION=$(ls /etc/postgresql | sort -n | tail -1)
HBA=/etc/postgresql/$VERSION/main/pg_hba.conf
if ! $SUDO grep -q '^host all all 127.0.0.1/32 trust' "$HBA"; then
    # First match wins: trust for loopback TCP goes before the packaged rules.
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust' "$HBA"
fi
$SUDO pg_ctlcluster "$VERSION" main start 2>/dev/null || $SUDO pg_ctlcluster "$VERSION" main reload
for _ in $(seq 1 50); do
    pg_isready -h "$HOST" -p "$PORT" -q && break
    sleep 0.2
done
if ! psql -h "$HOST" -p "$PORT" -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
    psql -h "$HOST" -p "$PORT" -U postgres -d postgres -qc 'CREATE DATABASE test'
fi
ok || { echo "PostgreSQL on $HOST:$PORT does not accept user postgres on database test" >&2; exit 1; }
echo "PostgreSQL $VERSION on $HOST:$PORT, database test"
