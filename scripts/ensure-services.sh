#!/usr/bin/env bash
# Makes sure the services the test suite needs are there. Idempotent: does nothing when all is in place.
#   - Dovecot (dovecot-imapd) installed; the tests start their own private instance, never the system one.
#   - s-nail (Debian package): a real mail client for the agent-reply end-to-end test.
#   - Chromium (Debian package) and Japanese fonts for the browser tests.
#   - PostgreSQL reachable at 127.0.0.1:5432 (or TEST_PG_URL), Redis at 127.0.0.1:6379; started if down.
set -euo pipefail

PG_URL="${TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REDIS_HOST=127.0.0.1
REDIS_PORT=6379

log() { echo "ensure-services: $*" >&2; }
die() {
  echo "ensure-services: ERROR: $*" >&2
  exit 1
}
is_root() { [ "$(id -u)" -eq 0 ]; }

# Installs Debian packages when `check` fails: `install_missing <what> <check> <package>...`.
install_missing() {
  local what=$1 check=$2
  shift 2
  "$check" && return 0
  is_root || die "$what not installed and not running as root: run 'sudo apt-get install -y $*'"
  command -v apt-get >/dev/null 2>&1 || die "$what not installed and apt-get not available: install $*"
  log "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq "$@" >/dev/null || die "apt-get install -y $* failed"
  "$check" || die "$what still missing after installing $*"
}

# Dovecot: the tests start their own private instance, never the system one.
have_dovecot() { command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; }
install_missing dovecot have_dovecot dovecot-imapd

# s-nail: a real mail client writes an agent's reply in the end-to-end test.
have_snail() { command -v s-nail >/dev/null 2>&1; }
install_missing s-nail have_snail s-nail

# Chromium and Japanese fonts: browser tests drive Debian's Chromium through playwright-core.
have_jp_fonts() { [ -d /usr/share/fonts/opentype/ipafont-gothic ] || [ -d /usr/share/fonts/truetype/fonts-japanese-gothic.ttf ]; }
have_chromium() { [ -x /usr/bin/chromium ] && have_jp_fonts; }
install_missing chromium have_chromium chromium fonts-ipafont-gothic

# --- PostgreSQL ----------------------------------------------------------------------------------------
pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -t 2 -d "$PG_URL"
  elif command -v psql >/dev/null 2>&1; then
    psql "$PG_URL" -Atqc 'SELECT 1' >/dev/null 2>&1
  else
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
  fi
}

start_pg() {
  command -v pg_ctlcluster >/dev/null 2>&1 || return 0
  local version
  for version in $(ls /etc/postgresql 2>/dev/null); do
    log "starting PostgreSQL cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
  done
}

# --- Redis ---------------------------------------------------------------------------------------------
redis_up() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
  else
    (
      exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" || exit 1
      printf 'PING\r\n' >&3
      read -r -t 2 reply <&3 && [ "${reply%$'\r'}" = "+PONG" ]
    ) 2>/dev/null
  fi
}

start_redis() {
  command -v redis-server >/dev/null 2>&1 || return 0
  log "starting redis-server on $REDIS_HOST:$REDIS_PORT"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2 || true
}

wait_for() {
  local check=$1 i
  for i in $(seq 1 30); do
    "$check" && return 0
    sleep 0.5
  done
  return 1
}

if ! pg_up; then
  start_pg
  wait_for pg_up || die "PostgreSQL not reachable at $PG_URL (tried: pg_ctlcluster --skip-systemctl-redirect <version> main start)"
fi

if ! redis_up; then
  start_redis
  wait_for redis_up || die "Redis not reachable at $REDIS_HOST:$REDIS_PORT (tried: redis-server --daemonize yes ...)"
fi

log "ok: dovecot, s-nail and chromium installed, PostgreSQL and Redis reachable"
