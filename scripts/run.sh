#!/usr/bin/env bash
# Starts the whole stack on embedded defaults: action server, engine, gateway.
# Ctrl-C stops all of them. Logs go to var/log/. Called by `make run` after setup and training.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f .env ]; then
  set -a
  # shellcheck disable=SC1091
  . ./.env
  set +a
fi

mkdir -p var/log
if [ -z "${RASA_TOKEN:-}" ]; then
  # The engine's HTTP API is protected by a token; generate one per machine on first use.
  [ -s var/rasa_token ] || (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > var/rasa_token)
  RASA_TOKEN=$(cat var/rasa_token)
fi
export RASA_TOKEN
export RASA_URL="${RASA_URL:-http://localhost:5005}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://localhost:5055/webhook}"
export RASA_TELEMETRY_ENABLED=false
# endpoints.yml: trackers in a SQLite file (an engine restart loses no conversation), one engine.
export TRACKER_STORE_URL="${TRACKER_STORE_URL:-sqlite:///var/rasa_trackers.sqlite3}"
export LOCK_STORE_TYPE="${LOCK_STORE_TYPE:-in_memory}"
export LOCK_STORE_URL="${LOCK_STORE_URL:-localhost}"
export LOCK_STORE_PORT="${LOCK_STORE_PORT:-6379}"
ENGINE_PORT="${RASA_URL##*:}"
ENGINE_PORT="${ENGINE_PORT%%/*}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
GATEWAY_PORT="${GATEWAY_PORT:-8000}"
GATEWAY_HOST="${GATEWAY_HOST:-127.0.0.1}"
# ENGINE_REPLICAS=N: N engines on consecutive ports from RASA_URL's; the gateway spreads the
# conversations over them (ENGINE_URLS). They must share the tracker store and the lock store.
ENGINE_REPLICAS="${ENGINE_REPLICAS:-1}"
if ! [[ "$ENGINE_REPLICAS" =~ ^[1-9][0-9]*$ ]]; then
  echo "ENGINE_REPLICAS must be a whole number of engines (1 or more), not '$ENGINE_REPLICAS'." >&2
  exit 1
fi
if [ "$ENGINE_REPLICAS" -gt 1 ] && [ "${LOCK_STORE_TYPE:-}" != "redis" ]; then
  echo "ENGINE_REPLICAS=$ENGINE_REPLICAS needs a lock store the engines share: set LOCK_STORE_TYPE=redis and TRACKER_STORE_URL (PostgreSQL), see the README's Running at scale." >&2
  exit 1
fi

# A wrong survey file must stop us here, with its line number, not confuse a customer later.
.venv/bin/python -m actions.survey_config "${CX_SURVEY_CONFIG:-survey.yml}"
.venv/bin/python -m bot migrate >/dev/null  # the gateway's tables and the telemetry's
.venv/bin/python -m actions.verification migrate >/dev/null  # verified chats, codes, guesses

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

wait_for() {  # name url log
  for _ in $(seq 1 180); do
    if curl -fs -o /dev/null "$2"; then return 0; fi
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "$1 exited; see $3" >&2; tail -20 "$3" >&2; exit 1; }
    done
    sleep 1
  done
  echo "$1 did not come up within 3 minutes; see $3" >&2
  exit 1
}

.venv/bin/python -m rasa_sdk --actions actions --port "$ACTIONS_PORT" >var/log/actions.log 2>&1 &
pids+=($!)
engine_urls=()
for i in $(seq 0 $((ENGINE_REPLICAS - 1))); do
  port=$((ENGINE_PORT + i))
  log=var/log/engine.log
  [ "$i" -eq 0 ] || log="var/log/engine-$((i + 1)).log"
  .venv-rasa/bin/rasa run --enable-api --auth-token "$RASA_TOKEN" --port "$port" \
    --model models/current.tar.gz --endpoints endpoints.yml --credentials credentials.yml \
    >"$log" 2>&1 &
  pids+=($!)
  engine_urls+=("${RASA_URL%:*}:$port")
done
wait_for "action server" "http://localhost:$ACTIONS_PORT/health" var/log/actions.log
for i in "${!engine_urls[@]}"; do
  log=var/log/engine.log
  [ "$i" -eq 0 ] || log="var/log/engine-$((i + 1)).log"
  wait_for "engine ${engine_urls[$i]}" "${engine_urls[$i]}/" "$log"
done
if [ "$ENGINE_REPLICAS" -gt 1 ]; then
  ENGINE_URLS=$(IFS=,; echo "${engine_urls[*]}")
  export ENGINE_URLS
fi

.venv/bin/python -m bot >var/log/gateway.log 2>&1 &
pids+=($!)
wait_for "gateway" "http://$GATEWAY_HOST:$GATEWAY_PORT/healthz" var/log/gateway.log

cat <<EOF
Brightcart support assistant is running:
  engine (Rasa, REST + HTTP API)  ${engine_urls[*]}        log: var/log/engine*.log
  action server                   http://localhost:$ACTIONS_PORT   log: var/log/actions.log
  gateway (Telegram, Slack)       http://$GATEWAY_HOST:$GATEWAY_PORT  log: var/log/gateway.log
Talk to it from another terminal with: make chat
Press Ctrl-C to stop everything.
EOF
wait -n "${pids[@]}" || true
echo "A process stopped; see var/log/." >&2
