#!/usr/bin/env bash
# What `npm test` needs besides node_modules, brought up before the first test runs.
#
#   bash scripts/test-setup.sh           check; as root on Debian/Ubuntu, install what is
#                                        missing (apt-get) and start PostgreSQL and Redis
#   bash scripts/test-setup.sh --check   check only, change nothing
#
# Anything still missing: ONE message on stderr naming all of it and how to get it, exit 1,
# so a new user learns it at once instead of from a dozen failed tests.
# The tests reach PostgreSQL and Redis at TEST_PG_ADMIN_URL and TEST_REDIS_URL
# (test/helpers); when those point elsewhere, this script checks them and starts nothing.
set -uo pipefail
cd "$(dirname "$0")/.."

mode=setup
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: bash scripts/test-setup.sh [--check]" >&2; exit 2 ;;
esac

PG_URL=${TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
# The default URLs are services on this machine that this script may start.
local_services=$([[ -z "${TEST_PG_ADMIN_URL:-}" && -z "${TEST_REDIS_URL:-}" ]] && echo yes || echo no)

missing=()   # what is missing, as the message names it
packages=()  # the Debian packages that provide it
starts=()    # commands that start a service that is installed but down

lack() { missing+=("$1"); [[ -n "$2" && " ${packages[*]} " != *" $2 "* ]] && packages+=("$2"); }
have() { command -v "$1" >/dev/null 2>&1; }
pg_up() { pg_isready -q -d "$PG_URL" >/dev/null 2>&1; }
redis_up() { [[ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" == PONG ]]; }
pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

PG_START='pg_ctlcluster --skip-systemctl-redirect "$(ls /usr/lib/postgresql | sort -n | tail -1)" main start'
REDIS_START='redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/npm-test.log'

check() {
  missing=() packages=() starts=()
  # Programs the tests run.
  have haproxy || lack "haproxy" haproxy
  [[ -x "$CHROMIUM" ]] || lack "chromium ($CHROMIUM)" chromium
  have promtool || lack "promtool" prometheus
  have prometheus || lack "prometheus" prometheus
  have prometheus-alertmanager || lack "prometheus-alertmanager" prometheus-alertmanager
  have amtool || lack "amtool" prometheus-alertmanager
  have docker-compose || lack "docker-compose" docker-compose
  have kubectl || lack "kubectl" kubernetes-client
  have redis-server || lack "redis-server" redis-server
  have redis-cli || lack "redis-cli" redis-tools
  have pg_isready || lack "pg_isready" postgresql-client
  [[ -n "$(pg_version)" ]] || lack "PostgreSQL's server programs (/usr/lib/postgresql/*/bin)" postgresql
  # The services, when the programs to reach them are there.
  if have pg_isready && ! pg_up; then
    lack "PostgreSQL at $PG_URL (not answering)" ""
    [[ $local_services == yes ]] && starts+=("$PG_START")
  elif have psql && ! psql "$PG_URL" -w -Atqc "SELECT 1" >/dev/null 2>&1; then
    lack "PostgreSQL at $PG_URL letting that user in (no password: pg_hba.conf 'host all postgres 127.0.0.1/32 trust')" ""
  fi
  if have redis-cli && ! redis_up; then
    lack "Redis at $REDIS_URL (not answering)" ""
    [[ $local_services == yes ]] && starts+=("$REDIS_START")
  fi
  [[ -d node_modules/tsx ]] || lack "node_modules (run: npm install)" ""
}

can_install() { [[ $mode == setup && $(id -u) == 0 ]] && have apt-get; }

wait_for() { for _ in $(seq 1 30); do "$1" && return 0; sleep 1; done; return 1; }

install_missing() {
  local pkgs=("${packages[@]}")
  echo "npm test: installing ${pkgs[*]} (apt-get)" >&2
  apt-get update -qq >&2 || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null || return 1
  if [[ " ${pkgs[*]} " == *" prometheus"* ]]; then
    # Debian's packages start their own Prometheus (:9090) and Alertmanager (:9093) as
    # user prometheus (nothing else runs as it); the tests run their own, so stop them.
    pkill -u prometheus 2>/dev/null || true
  fi
  if [[ " ${pkgs[*]} " == *" postgresql "* ]]; then
    # A cluster this script just created: the tests connect as postgres over loopback
    # without a password (test/helpers/db.ts).
    local hba="/etc/postgresql/$(pg_version)/main/pg_hba.conf"
    [[ -f $hba ]] && sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
  fi
}

start_services() {
  if ! pg_up; then
    echo "npm test: starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main start >&2
    wait_for pg_up
  elif [[ -n "$(pg_version)" ]]; then
    pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main reload >/dev/null 2>&1 || true
  fi
  if ! redis_up; then
    echo "npm test: starting Redis" >&2
    eval "$REDIS_START" >&2
    wait_for redis_up
  fi
}

tried=no
check
if [[ ${#missing[@]} -gt 0 ]] && can_install && [[ ${#packages[@]} -gt 0 || ${#starts[@]} -gt 0 ]]; then
  tried=yes
  [[ ${#packages[@]} -gt 0 ]] && install_missing
  [[ $local_services == yes ]] && have pg_isready && have redis-cli && start_services
  check
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

# One message: everything missing, then how to get it.
{
  printf 'npm test cannot run: missing %s' "${missing[0]}"
  [[ ${#missing[@]} -gt 1 ]] && printf ', %s' "${missing[@]:1}"
  printf '.\n'
  if [[ ${#packages[@]} -gt 0 ]]; then
    printf '  install (Debian/Ubuntu; elsewhere the same programs from your package manager):\n'
    printf '    sudo apt-get install -y %s\n' "${packages[*]}"
  fi
  if [[ ${#starts[@]} -gt 0 ]]; then
    printf '  start:\n'
    for s in "${starts[@]}"; do printf '    sudo %s\n' "$s"; done
  fi
  if [[ $local_services == no ]]; then
    printf '  TEST_PG_ADMIN_URL / TEST_REDIS_URL name the PostgreSQL / Redis the tests use: start those, or unset them.\n'
  fi
  if [[ $tried == yes ]]; then
    printf '  Installing or starting them failed: see the output above.\n'
  elif [[ ${#packages[@]} -gt 0 || ${#starts[@]} -gt 0 ]]; then
    printf '  Run as root on Debian or Ubuntu, npm test installs and starts these itself.\n'
  fi
} >&2
exit 1
