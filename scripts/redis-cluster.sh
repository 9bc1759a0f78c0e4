#!/usr/bin/env bash
# A local Redis Cluster of 3 primaries and 3 replicas from the Debian redis-server, for
# development and for the tests (test/helpers/redis-cluster.ts drives it).
#
#   scripts/redis-cluster.sh start|stop|status [first-port]
#
# Ports first-port .. first-port+5 (default 7101-7106; the cluster bus uses each +10000).
# Data, configs and logs live in a temp dir named in $TMPDIR/chat-redis-cluster-<port>.dir;
# `stop` kills exactly the PIDs `start` wrote there and removes it. Then:
#   REDIS_CLUSTER_NODES=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103 npm start
set -euo pipefail

cmd=${1:-}
first=${2:-7101}
ports=()
for i in 0 1 2 3 4 5; do ports+=($((first + i))); done
pointer="${TMPDIR:-/tmp}/chat-redis-cluster-${first}.dir"

cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }

# Polls `$1 PORT` for every port, 10 times a second for up to 10 s; fails with message $2.
wait_all() {
  for _ in $(seq 1 100); do
    ok=1
    for p in "${ports[@]}"; do "$1" "$p" || ok=0; done
    [ "$ok" = 1 ] && return 0
    sleep 0.1
  done
  echo "$2; see $dir" >&2
  exit 1
}
cluster_ok() { cli "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }
# A replica that never finished its first sync cannot take over.
replica_synced() {
  local role
  role=$(cli "$1" info replication 2>/dev/null | tr -d '\r')
  ! grep -q '^role:slave' <<<"$role" || grep -q '^master_link_status:up' <<<"$role"
}

start() {
  if [ -f "$pointer" ]; then
    echo "already started in $(cat "$pointer") (run: $0 stop $first)" >&2
    exit 1
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/chat-redis-cluster-XXXXXX")
  echo "$dir" > "$pointer"
  for p in "${ports[@]}"; do
    mkdir -p "$dir/$p"
    # Failover within a second or two of a primary's death; nothing written to disk. A
    # replica syncs at once (no diskless delay) and may always be promoted: on a loaded
    # machine its link to the primary can look stale for longer than the validity factor allows.
    redis-server --port "$p" --bind 127.0.0.1 --dir "$dir/$p" --daemonize yes \
      --pidfile "$dir/$p/redis.pid" --logfile "$dir/$p/redis.log" \
      --cluster-enabled yes --cluster-config-file "$dir/$p/nodes.conf" --cluster-node-timeout 1000 \
      --repl-diskless-sync-delay 0 --cluster-replica-validity-factor 0 \
      --save "" --appendonly no
  done
  for p in "${ports[@]}"; do
    for _ in $(seq 1 50); do cli "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  hosts=()
  for p in "${ports[@]}"; do hosts+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${hosts[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log"
  wait_all cluster_ok "cluster did not become ready"
  wait_all replica_synced "replicas did not sync"
  echo "Redis Cluster up: REDIS_CLUSTER_NODES=$(IFS=,; echo "${hosts[*]:0:3}")"
}

stop() {
  [ -f "$pointer" ] || { echo "not started"; return 0; }
  dir=$(cat "$pointer")
  for p in "${ports[@]}"; do
    pidfile="$dir/$p/redis.pid"
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  for p in "${ports[@]}"; do
    pidfile="$dir/$p/redis.pid"
    for _ in $(seq 1 50); do [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$dir" "$pointer"
  echo "stopped"
}

status() {
  [ -f "$pointer" ] || { echo "not started"; exit 1; }
  for p in "${ports[@]}"; do
    printf '%s: %s\n' "$p" "$(cli "$p" role 2>/dev/null | head -1 || echo down)"
  done
  cli "${ports[0]}" cluster info | grep cluster_state
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status [first-port]" >&2; exit 2 ;;
esac
