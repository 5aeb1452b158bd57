#!/usr/bin/env bash
# Runs mailtrail locally: a DynamoDB-API server on 127.0.0.1, the function under
# `cargo lambda watch`, every sample event in events/ fed to it, and the stored timelines.
# Called by `make demo` after the tools are installed.
set -euo pipefail
cd "$(dirname "$0")/.."

DB_PORT="${DEMO_DYNAMODB_PORT:-8000}"
FN_PORT="${DEMO_LAMBDA_PORT:-9000}"
WORK=target/demo
mkdir -p "$WORK"

export PATH="$PWD/.venv/bin:$PATH"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:${DB_PORT}"
export TABLE_NAME=mailtrail-demo

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_for_port() { # port, what, log
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "$2 did not start on port $1; see $3" >&2
  exit 1
}

step() { printf '\n== %s\n' "$*"; }

step "DynamoDB-API server (dynalite) on 127.0.0.1:${DB_PORT}"
node tools/local-dynamodb/server.js "$DB_PORT" >"$WORK/dynamodb.log" 2>&1 &
pids+=($!)
wait_for_port "$DB_PORT" "the DynamoDB-API server" "$WORK/dynamodb.log"
cargo run --quiet --example create_table

step "mailtrail under cargo lambda watch on 127.0.0.1:${FN_PORT}"
cat >"$WORK/function.env" <<ENV
TABLE_NAME="${TABLE_NAME}"
AWS_ENDPOINT_URL_DYNAMODB="${AWS_ENDPOINT_URL_DYNAMODB}"
AWS_REGION="us-east-1"
AWS_ACCESS_KEY_ID="local"
AWS_SECRET_ACCESS_KEY="local"
RUST_LOG="info"
ENV
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$FN_PORT" \
  --env-file "$WORK/function.env" --ignore-changes >"$WORK/watch.log" 2>&1 &
pids+=($!)
wait_for_port "$FN_PORT" "cargo lambda watch" "$WORK/watch.log"

invoke_sns() { # file
  cargo lambda invoke mailtrail --invoke-address 127.0.0.1 --invoke-port "$FN_PORT" --data-file "$1"
}

post() { # path, body file; prints the status and the JSON answer
  local status
  status=$(curl -sS -o "$WORK/response.json" -w '%{http_code}' -X POST \
    -H 'content-type: application/json' --data-binary "@$2" \
    "http://127.0.0.1:${FN_PORT}/lambda-url/mailtrail$1")
  printf '%s  %s  %s\n' "$status" "$1" "$(cat "$WORK/response.json")"
  [ "$status" = 200 ]
}

step "SES events through SNS (cargo lambda invoke)"
for event in events/ses-*.json; do
  printf '%-44s ' "$event"
  invoke_sns "$event"
  echo
done

step "SendGrid and SendPulse webhooks (HTTP POST)"
post /webhooks/sendgrid fixtures/sendgrid/seed-batch.json
for body in fixtures/sendpulse/*.json; do
  post /webhooks/sendpulse "$body"
done

step "A provider retry changes nothing"
post /webhooks/sendgrid fixtures/sendgrid/seed-batch.json

step "Stored timelines"
cargo run --quiet --example timeline
step "Everything that happened to jane@example.com (by_recipient index)"
cargo run --quiet --example timeline -- --recipient jane@example.com
