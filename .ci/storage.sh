#!/usr/bin/env bash
# A throw-away S3-compatible server for the object-storage tests.
#
#   source .ci/storage.sh; storage_start; ...; storage_stop    # what .ci/run does (stop in an EXIT trap)
#   .ci/storage.sh cargo test -p xorq --test it remote::        # start, run the command, stop
#
# storage_start runs moto's S3 server (`moto_server`, PyPI `moto[server]`, installed into the
# test venv $XORQ_STORAGE_VENV, default ~/.cache/xorq-rs/venv, when missing) on a free port of
# 127.0.0.1, waits until it answers, and exports XORQ_TEST_S3_ENDPOINT=http://127.0.0.1:<port>.
# When XORQ_TEST_S3_ENDPOINT is already set, it uses that server and starts none. The server
# keeps everything in memory; each test makes its own bucket. storage_stop stops it (TERM, then
# KILL) and removes its log. Both are idempotent and never read stdin.

storage_venv="${XORQ_STORAGE_VENV:-$HOME/.cache/xorq-rs/venv}"

storage_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

storage_start() {
  if [ -n "${XORQ_TEST_S3_ENDPOINT:-}" ] && [ -z "${STORAGE_PID:-}" ]; then
    echo "storage.sh: using the S3 server at $XORQ_TEST_S3_ENDPOINT" >&2
    return 0
  fi
  [ -n "${STORAGE_PID:-}" ] && return 0
  [ -x "$storage_venv/bin/python" ] || python3 -m venv "$storage_venv" </dev/null || return 1
  if ! "$storage_venv/bin/python" -c 'import moto.server, flask' 2>/dev/null; then
    echo "storage.sh: installing moto[server] into $storage_venv" >&2
    "$storage_venv/bin/pip" install -q "moto[server]>=5.1,<6" </dev/null || return 1
  fi
  local port log
  port="$(storage_free_port)" || return 1
  log="$(mktemp -t xorq-moto.XXXXXX.log)"
  # setsid: its own process group, so storage_stop ends the server and any worker it forked.
  setsid "$storage_venv/bin/moto_server" -H 127.0.0.1 -p "$port" </dev/null >"$log" 2>&1 &
  STORAGE_PID=$!
  STORAGE_LOG="$log"
  local i
  for i in $(seq 1 150); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
      export XORQ_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
      export STORAGE_PID STORAGE_LOG
      echo "storage.sh: moto S3 server on $XORQ_TEST_S3_ENDPOINT (pid $STORAGE_PID)" >&2
      return 0
    fi
    if ! kill -0 "$STORAGE_PID" 2>/dev/null; then
      break
    fi
    sleep 0.2
  done
  echo "storage.sh: the S3 server did not start; its log:" >&2
  cat "$log" >&2
  storage_stop
  return 1
}

storage_stop() {
  if [ -n "${STORAGE_PID:-}" ]; then
    kill -TERM -- "-$STORAGE_PID" 2>/dev/null || kill -TERM "$STORAGE_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 25); do
      kill -0 "$STORAGE_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$STORAGE_PID" 2>/dev/null || true
    unset XORQ_TEST_S3_ENDPOINT
  fi
  [ -n "${STORAGE_LOG:-}" ] && rm -f "$STORAGE_LOG"
  unset STORAGE_PID STORAGE_LOG
  return 0
}

# Executed (not sourced): start, run the arguments, stop.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  storage_start
  trap storage_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  "$@" &
  wait $!
fi
