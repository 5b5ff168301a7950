#!/usr/bin/env bash
# Runs a command with the real stack behind it: the trained engine and the action server on
# free local ports, telemetry in a scratch SQLite file. RASA_URL / RASA_TOKEN point at it.
# Usage: benchmarks/with_engine.sh COMMAND [ARGS...]   (used by `make bench-gateway`)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
actions_port=$(port)
engine_port=$(port)
export RASA_TOKEN="bench-$(date +%s)"
export RASA_URL="http://127.0.0.1:$engine_port"
export ACTION_ENDPOINT_URL="http://127.0.0.1:$actions_port/webhook"
export CX_TELEMETRY_DB_URL="sqlite:///$work/telemetry.sqlite3"
export CX_TELEMETRY_OUTBOX="$work/outbox"
export CX_PSEUDONYM_KEY="bench-key"
export SHOP_DEMO_DB="$work/shop.sqlite3"
export RASA_TELEMETRY_ENABLED=false
export TRACKER_STORE_URL="${TRACKER_STORE_URL:-sqlite:///$work/trackers.sqlite3}"
export LOCK_STORE_TYPE="${LOCK_STORE_TYPE:-in_memory}"
export LOCK_STORE_URL="${LOCK_STORE_URL:-localhost}"
export LOCK_STORE_PORT="${LOCK_STORE_PORT:-6379}"
.venv/bin/cx-telemetry migrate >/dev/null
.venv/bin/python -m rasa_sdk --actions actions --port "$actions_port" >"$work/actions.log" 2>&1 &
pids+=($!)
.venv-rasa/bin/rasa run --enable-api --auth-token "$RASA_TOKEN" --port "$engine_port" \
  --model models/current.tar.gz --endpoints endpoints.yml --credentials credentials.yml >"$work/engine.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do
  curl -fs -o /dev/null "$RASA_URL/status?token=$RASA_TOKEN" && break
  sleep 1
done
curl -fsS -o /dev/null "$RASA_URL/status?token=$RASA_TOKEN" || { echo "engine did not start" >&2; tail -20 "$work/engine.log" >&2; exit 1; }
"$@"
