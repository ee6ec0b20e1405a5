#!/usr/bin/env bash
# A real WordPress for nashr's integration tests, on 127.0.0.1, without any manual step.
#
#   scripts/wordpress.sh start   install what is missing, set up, start; idempotent (make services)
#   scripts/wordpress.sh reset   put both sites back to the state right after installation (0.1 s)
#   scripts/wordpress.sh stop    stop the PHP servers this script started
#   scripts/wordpress.sh status  say whether WordPress answers
#
# Two WordPress sites share one Debian WordPress tree and one database (table prefixes wp_ and
# fa_): http://127.0.0.1:8089 ("en") and http://127.0.0.1:8090 ("fa"), so that both ways of
# publishing locales can be tested (one site per locale, or one site with language categories).
# Each site gets an administrator and an application password, written to
# $STATE/site-<name>.env for the tests (readable by root only).
#
# What it uses: Debian's wordpress package (extracted, not installed: no apache2), php-cli,
# php-mysql, and the MariaDB server the machine runs (started if it is not). The comments
# below say which pitfall each step avoids.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
STATE="${NASHR_WP_STATE:-/var/tmp/nashr-wordpress}"
PORT_EN="${NASHR_WP_PORT_EN:-8089}"
PORT_FA="${NASHR_WP_PORT_FA:-8090}"
DB=nashr_wp
DB_USER=nashr_wp
DB_PASS=nashr_wp_test_only
WP="$STATE/wp"

log() { echo "wordpress: $*" >&2; }
die() { echo "wordpress: error: $*" >&2; exit 1; }

as_root_apt() {
  if [ "$(id -u)" != 0 ]; then die "missing packages ($*) and not root: install them with apt-get"; fi
  log "installing from Debian: $*"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -q -y)
  # Without package lists, nothing can be found.
  if ! apt-cache show "$1" >/dev/null 2>&1; then "${apt[@]}" update >/dev/null; fi
  "${apt[@]}" install --no-install-recommends "$@" >/dev/null
}

ensure_packages() {
  local missing=() modules=""
  # (Captured first: `php -m | grep -q` fails under pipefail when grep stops reading early.)
  command -v php >/dev/null && modules="$(php -m 2>/dev/null)"
  command -v php >/dev/null || missing+=(php-cli)
  grep -qx mysqli <<<"$modules" || missing+=(php-mysql)
  # Image handling for media uploads, and the libraries Debian's WordPress links to.
  [ -d /usr/share/php/getid3 ] || missing+=(php-getid3)
  [ -d /usr/share/javascript/underscore ] || missing+=(libjs-underscore)
  [ -d /usr/share/javascript/cropper ] || missing+=(libjs-cropper)
  grep -qx gd <<<"$modules" || missing+=(php-gd)
  command -v mariadb >/dev/null || missing+=(mariadb-client)
  if [ ! -x /usr/sbin/mariadbd ]; then missing+=(mariadb-server); fi
  if [ ${#missing[@]} -gt 0 ]; then as_root_apt "${missing[@]}"; fi
}

# WordPress itself: Debian's package, extracted into $STATE (installing it would pull apache2).
ensure_wordpress_tree() {
  [ -f "$STATE/tree/usr/share/wordpress/wp-load.php" ] && return 0
  local tree="$STATE/tree" debs="$STATE/debs"
  rm -rf "$tree" "$debs"
  mkdir -p "$tree" "$debs"
  if [ -d /usr/share/wordpress ] && [ -f /usr/share/wordpress/wp-load.php ]; then
    mkdir -p "$tree/usr/share"
    cp -a /usr/share/wordpress "$tree/usr/share/"
  else
    log "downloading Debian's wordpress package"
    ( cd "$debs" && chown _apt "$debs" 2>/dev/null || true
      apt-get -q download wordpress >/dev/null 2>&1 || { apt-get -o DPkg::Lock::Timeout=600 -q update >/dev/null && apt-get -q download wordpress >/dev/null; } )
    dpkg-deb -x "$debs"/wordpress_*.deb "$tree"
  fi
  # Debian's tree has relative symlinks into /usr/share/php and /usr/share/javascript; in a copy
  # they dangle (a WAV upload then fails with HTTP 500). Replace each by what it points to.
  local base="$tree/usr/share/wordpress"
  while IFS= read -r -d '' link; do
    local rel="${link#"$base"/}" target
    target="$(cd / && realpath -m "/usr/share/wordpress/$(dirname "$rel")/$(readlink "$link")")"
    if [ -e "$target" ]; then rm -f "$link"; cp -rL "$target" "$link"; fi
  done < <(find "$base" -type l -print0)
}

ensure_mariadb() {
  if mariadb -uroot -e 'select 1' >/dev/null 2>&1; then return 0; fi
  log "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do
    mariadb -uroot -e 'select 1' >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "MariaDB does not answer on its socket (tried: start-stop-daemon --exec /usr/sbin/mariadbd)"
}

write_config() {
  mkdir -p "$WP"
  # The docroot: the tree (read-only code) plus our own wp-config.php and wp-content.
  if [ ! -f "$WP/wp-load.php" ]; then
    cp -a "$STATE/tree/usr/share/wordpress/." "$WP/"
    rm -rf "$WP/wp-content/languages" "$WP/.htaccess"
  fi
  mkdir -p "$WP/wp-content/mu-plugins" "$WP/wp-content/uploads" "$STATE/run"
  cp "$HERE/wordpress/nashr-test.php" "$WP/wp-content/mu-plugins/nashr-test.php"
  cat > "$WP/wp-config.php" <<PHP
<?php
// Written by scripts/wordpress.sh: a throw-away WordPress for tests. Two sites share this
// tree; the port says which (table prefix wp_ on $PORT_EN, fa_ on $PORT_FA).
\$nashr_port = isset(\$_SERVER['SERVER_PORT']) ? (int) \$_SERVER['SERVER_PORT'] : (int) getenv('NASHR_WP_PORT');
define('DB_NAME', '$DB');
define('DB_USER', '$DB_USER');
define('DB_PASSWORD', '$DB_PASS');
define('DB_HOST', 'localhost');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
\$table_prefix = (\$nashr_port === $PORT_FA) ? 'fa_' : 'wp_';
define('WP_HOME', 'http://127.0.0.1:' . \$nashr_port);
define('WP_SITEURL', 'http://127.0.0.1:' . \$nashr_port);
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
// Application passwords over plain http need a local environment.
define('WP_ENVIRONMENT_TYPE', 'local');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_DEBUG', true);
define('WP_DEBUG_DISPLAY', false);
define('WP_DEBUG_LOG', '$STATE/run/wp-debug.log');
define('AUTH_KEY', 'nashr-test'); define('SECURE_AUTH_KEY', 'nashr-test'); define('LOGGED_IN_KEY', 'nashr-test');
define('NONCE_KEY', 'nashr-test'); define('AUTH_SALT', 'nashr-test'); define('SECURE_AUTH_SALT', 'nashr-test');
define('LOGGED_IN_SALT', 'nashr-test'); define('NONCE_SALT', 'nashr-test');
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
PHP
}

setup_database() {
  mariadb -uroot <<SQL
DROP DATABASE IF EXISTS $DB;
CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON $DB.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
  for site in en fa; do
    local port=$PORT_EN; [ $site = fa ] && port=$PORT_FA
    NASHR_WP_PORT=$port NASHR_WP_SITE=$site NASHR_WP_STATE="$STATE" \
      php -d display_errors=stderr "$HERE/wordpress/install.php" "$WP" > "$STATE/site-$site.env.tmp"
    chmod 600 "$STATE/site-$site.env.tmp"
    mv "$STATE/site-$site.env.tmp" "$STATE/site-$site.env"
  done
  mariadb-dump -uroot --skip-comments --databases $DB > "$STATE/snapshot.sql"
  touch "$STATE/installed"
}

answers() { # port [auth]: does the REST API answer (with these credentials)?
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/index.php?rest_route=/wp/v2/users/me" ${2:+-u "$2"} 2>/dev/null
}

creds() { # site -> user:password
  # shellcheck disable=SC1090
  ( . "$STATE/site-$1.env"; echo "$NASHR_WP_USER:$NASHR_WP_PASSWORD" )
}

start_php() { # port
  local port=$1 pidfile="$STATE/run/php-$1.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return 0; fi
  # The router is copied into the state directory: the servers outlive this script and must
  # not depend on the checkout that started them (another clone, a removed worktree).
  cp "$HERE/wordpress/router.php" "$STATE/run/router.php"
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
    die "port $port answers but not with this script's WordPress; stop what runs there (or set NASHR_WP_PORT_EN/FA)"
  fi
  # setsid: the PHP server's workers outlive a TERM to their parent; the process group does not.
  # The servers outlive this script, so they keep none of its other open files: a lock held
  # around `make test` (`flock LOCK make test`) would otherwise never be released.
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    PHP_CLI_SERVER_WORKERS=4 exec setsid php -d display_errors=stderr -d upload_max_filesize=32M -d post_max_size=40M \
      -S "127.0.0.1:$port" -t "$WP" "$STATE/run/router.php" >"$STATE/run/php-$port.log" 2>&1 < /dev/null
  ) &
  echo $! > "$pidfile"
}

wait_ready() { # port site
  local auth; auth="$(creds "$2")"
  for _ in $(seq 1 100); do
    if answers "$1" "$auth"; then return 0; fi
    kill -0 "$(cat "$STATE/run/php-$1.pid")" 2>/dev/null || die "php -S on port $1 exited: $(tail -3 "$STATE/run/php-$1.log")"
    sleep 0.1
  done
  die "WordPress on port $1 is not ready after 10 s (see $STATE/run/php-$1.log)"
}

stop() {
  for port in $PORT_EN $PORT_FA; do
    local pidfile="$STATE/run/php-$port.pid"
    if [ -f "$pidfile" ]; then
      kill -TERM -- "-$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
  done
}

start() {
  local t0=$SECONDS
  ensure_packages
  ensure_mariadb
  if [ -f "$STATE/installed" ] && [ -f "$WP/wp-config.php" ] \
     && answers $PORT_EN "$(creds en)" && answers $PORT_FA "$(creds fa)"; then
    log "ready at http://127.0.0.1:$PORT_EN (en) and http://127.0.0.1:$PORT_FA (fa)"
    return 0
  fi
  mkdir -p "$STATE/run"
  chmod 755 "$STATE"
  ensure_wordpress_tree
  write_config
  if [ ! -f "$STATE/installed" ] || ! mariadb -uroot -e "use $DB" 2>/dev/null; then
    rm -f "$STATE/installed"
    setup_database
  fi
  start_php $PORT_EN
  start_php $PORT_FA
  wait_ready $PORT_EN en
  wait_ready $PORT_FA fa
  log "ready at http://127.0.0.1:$PORT_EN (en) and http://127.0.0.1:$PORT_FA (fa) in $((SECONDS - t0)) s; credentials in $STATE/site-{en,fa}.env"
}

reset() {
  [ -f "$STATE/snapshot.sql" ] || die "not set up yet: run scripts/wordpress.sh start"
  mariadb -uroot < "$STATE/snapshot.sql"
  find "$WP/wp-content/uploads" -mindepth 1 -delete 2>/dev/null || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  reset) reset ;;
  status)
    if [ -f "$STATE/installed" ] && answers $PORT_EN "$(creds en)" && answers $PORT_FA "$(creds fa)"; then
      echo "running: http://127.0.0.1:$PORT_EN http://127.0.0.1:$PORT_FA"
    else
      echo "not running"; exit 1
    fi ;;
  *) die "usage: $0 start|stop|reset|status" ;;
esac
