#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the postgres backend tests (crates/xorq-engines/tests/it/postgres.rs).
#
#   source .ci/postgres.sh; pg_start; ...; pg_stop     # what .ci/run does (pg_stop in an EXIT trap)
#   .ci/postgres.sh cargo test -p xorq-engines --features postgres --test it postgres::
#                                                      # start, run the command, stop
#
# pg_start finds PostgreSQL (`pg_config --bindir`, else /usr/lib/postgresql/*/bin; installs the
# Debian package when neither exists), creates a cluster in a fresh `mktemp -d` directory, starts
# it on a free port of 127.0.0.1 (password authentication, scram-sha-256, for TCP connections) and
# exports XORQ_TEST_PG_URL=postgresql://xorq:<password>@127.0.0.1:<port>/xorq (when that is already
# set, pg_start uses the server it names and starts none). pg_stop stops the server
# (`pg_ctl stop -m fast`) and removes the directory. Both are idempotent and never read
# stdin. initdb and postgres refuse to run as root, so as root the cluster belongs to the
# `postgres` user (created by the Debian package) and its commands run through `runuser`.

# The bin directory of an installed PostgreSQL (one that has initdb), or nothing.
pg_find_bindir() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir 2>/dev/null)"
    if [ -x "$dir/initdb" ]; then
      echo "$dir"
      return 0
    fi
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

# Installs the Debian package without creating (and starting) its default cluster.
pg_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  echo "postgres.sh: installing PostgreSQL (Debian package postgresql)" >&2
  $sudo mkdir -p /etc/postgresql-common/createcluster.d &&
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/xorq-no-main.conf >/dev/null &&
    $sudo apt-get update -qq </dev/null &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql </dev/null >/dev/null
}

# Runs a command as the cluster's owner.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@" </dev/null
  else
    "$@" </dev/null
  fi
}

# A TCP port of 127.0.0.1 that nothing listens on (now).
pg_free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null &&
      return 0
  fi
  local port
  for port in $(seq 25432 25999); do
    if ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# Removes the clusters of runs that were killed before they could stop theirs (a killed shell
# runs no trap): an hour old, their postmaster gone. A younger one may belong to a run that is
# still starting, and a cluster whose postmaster lives is left alone.
pg_sweep_stale() {
  local base="$1" old pid
  for old in "$base"/xorq-pg.*; do
    [ -d "$old" ] || continue
    [ -n "$(find "$old" -maxdepth 0 -mmin +60 2>/dev/null)" ] || continue
    pid="$(head -n 1 "$old/data/postmaster.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
      continue
    fi
    rm -rf "$old" 2>/dev/null || true
  done
}

pg_start() {
  if [ -n "${XORQ_PG_DIR:-}" ] && [ -f "$XORQ_PG_DIR/data/postmaster.pid" ]; then
    return 0 # already running (idempotent)
  fi
  if [ -n "${XORQ_TEST_PG_URL:-}" ] && [ -z "${XORQ_PG_DIR:-}" ]; then
    echo "postgres.sh: using the server XORQ_TEST_PG_URL names (not starting one)" >&2
    return 0
  fi
  local bindir
  bindir="$(pg_find_bindir)" || { pg_install && bindir="$(pg_find_bindir)"; } || {
    echo "postgres.sh: PostgreSQL is not installed and could not be installed (run as root or with passwordless sudo, or install the Debian package postgresql)" >&2
    return 1
  }
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "postgres.sh: running as root needs the unprivileged user \`postgres\` to own the cluster (the Debian package postgresql creates it)" >&2
    return 1
  fi

  local base dir password
  base="${TMPDIR:-/tmp}"
  [ "$(id -u)" -ne 0 ] || base=/tmp # the postgres user must reach it
  pg_sweep_stale "$base"
  dir="$(mktemp -d "$base/xorq-pg.XXXXXX")" || return 1
  mkdir -p "$dir/sock"
  password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" -ne 0 ] || chown -R postgres: "$dir"
  export XORQ_PG_DIR="$dir" XORQ_PG_BIN="$bindir"

  if ! pg_as_owner "$bindir/initdb" -D "$dir/data" -U xorq --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1; then
    echo "postgres.sh: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    pg_stop
    return 1
  fi
  rm -f "$dir/pwfile"

  local port attempt started=""
  for attempt in 1 2 3; do
    port="$(pg_free_port)" || break
    if pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null 2>&1; then
      started=1
      break
    fi
  done
  if [ -z "$started" ]; then
    echo "postgres.sh: the server did not start; its log:" >&2
    tail -n 30 "$dir/server.log" >&2
    pg_stop
    return 1
  fi
  if ! pg_as_owner "$bindir/createdb" -h "$dir/sock" -p "$port" -U xorq xorq >"$dir/createdb.log" 2>&1; then
    echo "postgres.sh: createdb failed:" >&2
    cat "$dir/createdb.log" >&2
    pg_stop
    return 1
  fi
  export XORQ_TEST_PG_URL="postgresql://xorq:$password@127.0.0.1:$port/xorq"
  echo "postgres.sh: PostgreSQL $("$bindir/postgres" --version | sed 's/^postgres (PostgreSQL) //') on 127.0.0.1:$port (data in $dir)" >&2
}

pg_stop() {
  local dir="${XORQ_PG_DIR:-}" bindir="${XORQ_PG_BIN:-}"
  [ -n "$dir" ] || return 0 # nothing of ours (an outside server is left alone)
  unset XORQ_TEST_PG_URL XORQ_PG_DIR XORQ_PG_BIN
  [ -d "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -w -t 30 stop -m fast >/dev/null 2>&1 || {
      # Not stopped in time: end this cluster's postmaster only (its pid is the file's first line).
      local pid
      pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)"
      [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    }
  fi
  rm -rf "$dir"
}

# Executed (not sourced): start, run the arguments as a command, stop. Bash runs the EXIT trap
# on a signal only when the signal is trapped, and runs traps only between commands, so the
# command runs in the background and a signal (from `timeout`, a cancelled job) ends it and
# stops the server at once.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  command_pid=""
  pg_on_signal() {
    [ -z "$command_pid" ] || kill -TERM "$command_pid" 2>/dev/null || true
    exit "$1"
  }
  trap pg_stop EXIT
  trap 'pg_on_signal 129' HUP
  trap 'pg_on_signal 130' INT
  trap 'pg_on_signal 143' TERM
  pg_start
  if [ "$#" -gt 0 ]; then
    "$@" </dev/null &
    command_pid=$!
    wait "$command_pid"
  else
    echo "XORQ_TEST_PG_URL=$XORQ_TEST_PG_URL (the server stops when this script exits; pass a command to run)" >&2
  fi
fi
