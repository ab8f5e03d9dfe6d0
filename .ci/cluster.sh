#!/usr/bin/env bash
# A throw-away Apache DataFusion Ballista cluster for the cluster tests: one scheduler and two
# executors, each a separate `xorq ballista …` process on free loopback ports.
#
#   source .ci/cluster.sh; cluster_start; ...; cluster_stop      # what .ci/run does (stop in an EXIT trap)
#   .ci/cluster.sh cargo test -p xorq --features ballista --test engines cluster   # start, run, stop
#
# cluster_start uses the `xorq` binary $XORQ_BIN (default: $CARGO_TARGET_DIR/debug/xorq, which
# `cargo test` builds; build it first), starts the scheduler on a free port of 127.0.0.1, waits
# until it accepts connections, starts two executors registered with it (their ports free ones,
# their health port given so this script can wait until each is ready), and exports
# XORQ_TEST_BALLISTA_URL=df://127.0.0.1:<port>. Each process logs to a file under
# ${TMPDIR:-/tmp}; cluster_stop stops them (TERM, then KILL) and prints the end of each log when
# asked (`cluster_stop logs`). Both are idempotent and never read stdin.

cluster_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until `python3 -c <check>` succeeds, up to $2 seconds.
cluster_wait() {
  local check="$1" seconds="$2" i
  for ((i = 0; i < seconds * 10; i++)); do
    python3 -c "$check" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

cluster_start() {
  [ -n "${CLUSTER_PIDS:-}" ] && return 0
  local bin="${XORQ_BIN:-${CARGO_TARGET_DIR:-target}/debug/xorq}"
  if [ ! -x "$bin" ]; then
    echo "cluster.sh: no xorq binary at $bin: build it first (cargo test --no-run builds it) or set XORQ_BIN" >&2
    return 1
  fi
  local port log pid health i
  CLUSTER_PIDS=""
  CLUSTER_LOGS=""
  port="$(cluster_free_port)" || return 1
  log="$(mktemp "${TMPDIR:-/tmp}/xorq-ballista-scheduler.XXXXXX")"
  "$bin" ballista scheduler --bind-host 127.0.0.1 --bind-port "$port" </dev/null >"$log" 2>&1 &
  pid=$!
  CLUSTER_PIDS="$pid"
  CLUSTER_LOGS="$log"
  export CLUSTER_PIDS CLUSTER_LOGS
  if ! cluster_wait "import socket; socket.create_connection(('127.0.0.1', $port), 0.5)" 60; then
    echo "cluster.sh: the scheduler did not listen on 127.0.0.1:$port within 60 s:" >&2
    tail -n 20 "$log" >&2
    cluster_stop
    return 1
  fi
  for i in 1 2; do
    health="$(cluster_free_port)" || { cluster_stop; return 1; }
    log="$(mktemp "${TMPDIR:-/tmp}/xorq-ballista-executor-$i.XXXXXX")"
    "$bin" ballista executor --bind-host 127.0.0.1 --scheduler-host 127.0.0.1 --scheduler-port "$port" \
      --bind-health-port "$health" --id "ci-executor-$i" </dev/null >"$log" 2>&1 &
    pid=$!
    CLUSTER_PIDS="$CLUSTER_PIDS $pid"
    CLUSTER_LOGS="$CLUSTER_LOGS $log"
    if ! cluster_wait "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$health/readyz', timeout=0.5)" 60; then
      echo "cluster.sh: executor $i was not ready within 60 s:" >&2
      tail -n 20 "$log" >&2
      cluster_stop
      return 1
    fi
  done
  export XORQ_TEST_BALLISTA_URL="df://127.0.0.1:$port"
  echo "cluster.sh: Ballista scheduler at $XORQ_TEST_BALLISTA_URL with 2 executors (pids $CLUSTER_PIDS)" >&2
}

cluster_stop() {
  local pid log i
  for pid in ${CLUSTER_PIDS:-}; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in ${CLUSTER_PIDS:-}; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for log in ${CLUSTER_LOGS:-}; do
    if [ "${1:-}" = logs ]; then
      echo "--- $log" >&2
      tail -n 20 "$log" >&2
    fi
    rm -f "$log"
  done
  CLUSTER_PIDS=""
  CLUSTER_LOGS=""
  unset XORQ_TEST_BALLISTA_URL
  return 0
}

# Run as a script: start, run the command, stop.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xorq-rs/target}"
  trap cluster_stop EXIT
  cluster_start
  "$@"
fi
