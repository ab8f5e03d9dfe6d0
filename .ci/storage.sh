#!/usr/bin/env bash
# A throw-away S3-compatible server for the object-storage tests.
#
#   source .ci/storage.sh; storage_start; ...; storage_stop    # what .ci/run does (stop in an EXIT trap)
#   .ci/storage.sh cargo test -p xorq --test it remote::        # start, run the command, stop
#
# storage_start runs moto's S3 server (`moto_server`, PyPI `moto[server]`, installed into the
# test venv $XORQ_STORAGE_VENV, default ~/.cache/xorq-rs/venv, when missing) on a free port of
# 127.0.0.1, waits until it answers, and exports XORQ_TEST_S3_ENDPOINT=http://127.0.0.1:<port>;
# and a second one that checks signatures (moto's IAM authentication on from the first request,
# INITIAL_NO_AUTH_ACTION_COUNT=0, no keys issued: every key is unknown to it) as
# XORQ_TEST_S3_AUTH_ENDPOINT, for the refused-credentials tests. When XORQ_TEST_S3_ENDPOINT is
# already set, it uses that server and starts none. The servers keep everything in memory;
# each test makes its own bucket.
#
# It also starts Azurite's blob service (npm `azurite`, installed under .ci/emulators from its
# lock file), creates the container `xorq-test` in it (PyPI `azure-storage-blob`), and exports
# AZURITE_BLOB_STORAGE_URL=http://127.0.0.1:<port> (what object_store's emulator mode reads)
# and XORQ_TEST_AZURE_BLOB_URL (the same: the tests' signal that it runs). No GCS emulator
# installs from the registries here that object_store can talk to (see the storage tests). storage_stop stops it (TERM, then
# KILL) and removes its log. Both are idempotent and never read stdin.

storage_venv="${XORQ_STORAGE_VENV:-$HOME/.cache/xorq-rs/venv}"

storage_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The words of a list file, space-separated (nothing when it is missing).
storage_words() {
  if [ -f "$1" ]; then tr '\n' ' ' <"$1"; fi
  return 0
}

storage_start() {
  if [ -n "${XORQ_TEST_S3_ENDPOINT:-}" ] && [ -z "${STORAGE_PID:-}" ]; then
    echo "storage.sh: using the S3 server at $XORQ_TEST_S3_ENDPOINT" >&2
    return 0
  fi
  [ -n "${STORAGE_PID:-}" ] && return 0
  [ -x "$storage_venv/bin/python" ] || python3 -m venv "$storage_venv" </dev/null || return 1
  if ! "$storage_venv/bin/python" -c 'import moto.server, flask, azure.storage.blob' 2>/dev/null; then
    echo "storage.sh: installing moto[server] and azure-storage-blob into $storage_venv" >&2
    "$storage_venv/bin/pip" install -q "moto[server]>=5.1,<6" "azure-storage-blob>=12.19,<13" </dev/null || return 1
  fi
  STORAGE_PIDS=""
  STORAGE_LOGS=""
  export XORQ_TEST_S3_ENDPOINT XORQ_TEST_S3_AUTH_ENDPOINT
  XORQ_TEST_S3_ENDPOINT="$(storage_one)" || { storage_stop; return 1; }
  XORQ_TEST_S3_AUTH_ENDPOINT="$(INITIAL_NO_AUTH_ACTION_COUNT=0 storage_one)" || { storage_stop; return 1; }
  export AZURITE_BLOB_STORAGE_URL XORQ_TEST_AZURE_BLOB_URL
  AZURITE_BLOB_STORAGE_URL="$(storage_azurite)" || { storage_stop; return 1; }
  XORQ_TEST_AZURE_BLOB_URL="$AZURITE_BLOB_STORAGE_URL"
  STORAGE_PIDS="$(storage_words "${TMPDIR:-/tmp}/xorq-storage-pids.$$")"
  STORAGE_LOGS="$(storage_words "${TMPDIR:-/tmp}/xorq-storage-logs.$$")"
  rm -f "${TMPDIR:-/tmp}/xorq-storage-pids.$$" "${TMPDIR:-/tmp}/xorq-storage-logs.$$"
  STORAGE_PID="${STORAGE_PIDS%% *}"
  export STORAGE_PID STORAGE_PIDS STORAGE_LOGS
  echo "storage.sh: moto S3 servers on $XORQ_TEST_S3_ENDPOINT and (checking signatures) $XORQ_TEST_S3_AUTH_ENDPOINT; Azurite on $AZURITE_BLOB_STORAGE_URL" >&2
}

# Starts Azurite's blob service with the container `xorq-test`; prints its URL.
storage_azurite() {
  local here port log pid i stamp lock_sum
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/emulators"
  stamp="$here/node_modules/.xorq-lock-sha256"
  lock_sum="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
    echo "storage.sh: installing Azurite (npm) under $here" >&2
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error </dev/null >&2) || return 1
    echo "$lock_sum" >"$stamp"
  fi
  port="$(storage_free_port)" || return 1
  log="$(mktemp -t xorq-azurite.XXXXXX.log)"
  setsid "$here/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" \
    --inMemoryPersistence --skipApiVersionCheck --silent </dev/null >"$log" 2>&1 &
  pid=$!
  echo "$pid" >>"${TMPDIR:-/tmp}/xorq-storage-pids.$$"
  echo "$log" >>"${TMPDIR:-/tmp}/xorq-storage-logs.$$"
  for i in $(seq 1 150); do
    if "$storage_venv/bin/python" - "$port" 2>/dev/null <<'PY'
import sys
from azure.storage.blob import BlobServiceClient
# Azurite's documented development account and key (public, the emulator's only account).
key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
url = f"http://127.0.0.1:{sys.argv[1]}/devstoreaccount1"
client = BlobServiceClient(account_url=url, credential={"account_name": "devstoreaccount1", "account_key": key})
client.create_container("xorq-test")
PY
    then
      echo "http://127.0.0.1:$port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "storage.sh: Azurite did not start; its log:" >&2
  cat "$log" >&2
  return 1
}

# Starts one moto server; prints its URL. Its pid and log are appended to STORAGE_PIDS and
# STORAGE_LOGS (through files: it runs in a command substitution's subshell).
storage_one() {
  local port log pid i
  port="$(storage_free_port)" || return 1
  log="$(mktemp -t xorq-moto.XXXXXX.log)"
  # setsid: its own process group, so storage_stop ends the server and any worker it forked.
  setsid "$storage_venv/bin/moto_server" -H 127.0.0.1 -p "$port" </dev/null >"$log" 2>&1 &
  pid=$!
  echo "$pid" >>"${TMPDIR:-/tmp}/xorq-storage-pids.$$"
  echo "$log" >>"${TMPDIR:-/tmp}/xorq-storage-logs.$$"
  for i in $(seq 1 150); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
      echo "http://127.0.0.1:$port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "storage.sh: the S3 server did not start; its log:" >&2
  cat "$log" >&2
  return 1
}

storage_stop() {
  local pid i
  # Servers of a start that failed half-way are in the files.
  STORAGE_PIDS="${STORAGE_PIDS:-} $(storage_words "${TMPDIR:-/tmp}/xorq-storage-pids.$$")"
  STORAGE_LOGS="${STORAGE_LOGS:-} $(storage_words "${TMPDIR:-/tmp}/xorq-storage-logs.$$")"
  rm -f "${TMPDIR:-/tmp}/xorq-storage-pids.$$" "${TMPDIR:-/tmp}/xorq-storage-logs.$$"
  for pid in $STORAGE_PIDS; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $STORAGE_PIDS; do
    for i in $(seq 1 25); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  if [ -n "${STORAGE_PID:-}" ]; then
    unset XORQ_TEST_S3_ENDPOINT XORQ_TEST_S3_AUTH_ENDPOINT AZURITE_BLOB_STORAGE_URL XORQ_TEST_AZURE_BLOB_URL
  fi
  for i in $STORAGE_LOGS; do rm -f "$i"; done
  unset STORAGE_PID STORAGE_PIDS STORAGE_LOGS
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
