#!/usr/bin/env bash
# Runs mailtrail locally: a DynamoDB-API server on 127.0.0.1, the function under
# `cargo lambda watch`, every sample event in events/ fed to it, the suppression list and the
# stored timelines through the `mailtrail` command, and the function's own metrics.
# Called by `make demo` after the tools are installed.
set -euo pipefail
cd "$(dirname "$0")/.."

DB_PORT="${DEMO_DYNAMODB_PORT:-8000}"
FN_PORT="${DEMO_LAMBDA_PORT:-9000}"
MOTO_PORT="${DEMO_MOTO_PORT:-5055}"
DNS_PORT="${DEMO_DNS_PORT:-5354}"
WORK=target/demo
mkdir -p "$WORK"

export PATH="$PWD/.venv/bin:$PATH"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:${DB_PORT}"
export TABLE_NAME=mailtrail-demo
export MAILTRAIL_TABLE=mailtrail-demo MAILTRAIL_SUPPRESSIONS_TABLE=mailtrail-demo-suppressions
export MAILTRAIL_STATS_TABLE=mailtrail-demo-stats
export MAILTRAIL_OPERATOR=demo-operator
MAILTRAIL=target/debug/mailtrail
# Demo secrets: the demo SendGrid key pair in events/, a demo SendPulse token, the sample topic.
SENDGRID_KEY="$(tr -d '[:space:]' < events/demo-sendgrid-public-key.txt)"
SENDPULSE_TOKEN=demo-sendpulse-token-change-me
MAILGUN_KEY=demo-mailgun-signing-key-change-me
MAILGUN_URL_TOKEN=demo-mailgun-url-token-change-me
POSTMARK_TOKEN=demo-postmark-token-change-me
RESEND_SECRET=whsec_ZGVtby1yZXNlbmQtc2VjcmV0LWNoYW5nZS1tZQ==
MAILJET_TOKEN=demo-mailjet-token-change-me
BREVO_TOKEN=demo-brevo-token-change-me
SPARKPOST_TOKEN=demo-sparkpost-token-change-me
MAILERSEND_SECRET=demo-mailersend-signing-secret
MANDRILL_KEY=demo-mandrill-webhook-key-change-me
SMTP2GO_TOKEN=demo-smtp2go-token-change-me
AHASEND_SECRET=aha-sk-demo-ahasend-secret-change-me
TOPIC=arn:aws:sns:us-east-1:123456789012:mailtrail-ses-events

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
cargo build --quiet --features cli --bin mailtrail
"$MAILTRAIL" create-tables

step "EventBridge and SQS (moto's server) on 127.0.0.1:${MOTO_PORT}: the bus the sending app listens on"
moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
pids+=($!)
wait_for_port "$MOTO_PORT" "moto's server" "$WORK/moto.log"
export MOTO_ENDPOINT="http://127.0.0.1:${MOTO_PORT}"
APP_QUEUE=$(python3 scripts/demo_notify.py setup)
echo "bus mailtrail-demo, with a rule on source mailtrail to the app's queue"

step "A name server on 127.0.0.1:${DNS_PORT}: the MX records of the mix's company domains (Google Workspace, Microsoft 365, gateways)"
python3 scripts/make_mix.py
mx_args=()
while read -r record; do mx_args+=(--mx "$record"); done < target/mix/mx.txt
python scripts/dns_server.py --port "$DNS_PORT" "${mx_args[@]}" >"$WORK/dns.log" 2>&1 &
pids+=($!)
wait_for_port "$DNS_PORT" "the name server" "$WORK/dns.log"
echo "$(wc -l < target/mix/mx.txt) MX records"

step "mailtrail under cargo lambda watch on 127.0.0.1:${FN_PORT}"
cat >"$WORK/function.env" <<ENV
TABLE_NAME="${TABLE_NAME}"
SUPPRESSIONS_TABLE_NAME="${MAILTRAIL_SUPPRESSIONS_TABLE}"
AWS_ENDPOINT_URL_DYNAMODB="${AWS_ENDPOINT_URL_DYNAMODB}"
AWS_REGION="us-east-1"
AWS_ACCESS_KEY_ID="local"
AWS_SECRET_ACCESS_KEY="local"
RUST_LOG="info"
SENDGRID_WEBHOOK_PUBLIC_KEY="${SENDGRID_KEY}"
SENDPULSE_WEBHOOK_TOKEN="${SENDPULSE_TOKEN}"
MAILGUN_WEBHOOK_SIGNING_KEY="${MAILGUN_KEY}"
MAILGUN_WEBHOOK_TOKEN="${MAILGUN_URL_TOKEN}"
POSTMARK_WEBHOOK_TOKEN="${POSTMARK_TOKEN}"
RESEND_WEBHOOK_SECRET="${RESEND_SECRET}"
MAILJET_WEBHOOK_TOKEN="${MAILJET_TOKEN}"
BREVO_WEBHOOK_TOKEN="${BREVO_TOKEN}"
SPARKPOST_WEBHOOK_TOKEN="${SPARKPOST_TOKEN}"
MAILERSEND_WEBHOOK_SECRET="${MAILERSEND_SECRET}"
MANDRILL_WEBHOOK_KEY="${MANDRILL_KEY}"
MANDRILL_WEBHOOK_URL="http://127.0.0.1:${FN_PORT}/lambda-url/mailtrail-lambda/webhooks/mandrill"
POSTAL_WEBHOOK_PUBLIC_KEY="$(tr -d '[:space:]' < events/demo-postal-public-key.txt)"
SMTP2GO_WEBHOOK_TOKEN="${SMTP2GO_TOKEN}"
AHASEND_WEBHOOK_SECRET="${AHASEND_SECRET}"
SES_EVENT_ACCOUNTS="123456789012"
SNS_TOPIC_ARNS="${TOPIC}"
SNS_CERT_DIR="${PWD}/fixtures/sns"
EVENT_BUS_NAME="mailtrail-demo"
AWS_ENDPOINT_URL_EVENTBRIDGE="${MOTO_ENDPOINT}"
AWS_ENDPOINT_URL_S3="${MOTO_ENDPOINT}"
ARCHIVE_BUCKET="mailtrail-demo-archive"
STATS_TABLE="${MAILTRAIL_STATS_TABLE}"
MX_LOOKUP="true"
MX_NAME_SERVER="127.0.0.1:${DNS_PORT}"
ENV
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$FN_PORT" --features notify,archive \
  --env-file "$WORK/function.env" --ignore-changes >"$WORK/watch.log" 2>&1 &
pids+=($!)
wait_for_port "$FN_PORT" "cargo lambda watch" "$WORK/watch.log"

invoke_sns() { # file
  cargo lambda invoke mailtrail-lambda --invoke-address 127.0.0.1 --invoke-port "$FN_PORT" --data-file "$1"
}

post() { # expected status, path (with query), body file, extra curl arguments...
  local expected="$1" path="$2" body="$3" status
  shift 3
  status=$(curl -sS -o "$WORK/response.json" -w '%{http_code}' -X POST \
    -H 'content-type: application/json' "$@" --data-binary "@$body" \
    "http://127.0.0.1:${FN_PORT}/lambda-url/mailtrail-lambda${path}")
  printf '%s  %-40s %s\n' "$status" "${path%%\?*} ${body##*/}" "$(cat "$WORK/response.json")"
  if [ "$status" != "$expected" ]; then
    echo "expected HTTP $expected" >&2
    exit 1
  fi
}

sign_mailgun() { # body file: its signature block signed now with the demo key, into $WORK/mailgun
  mkdir -p "$WORK/mailgun"
  cargo run --quiet --example sign_webhook -- mailgun "$MAILGUN_KEY" "$1" >"$WORK/mailgun/${1##*/}"
}

post_mailgun() { # expected status, body file: signed now, sent with the URL's Basic credentials
  sign_mailgun "$2"
  post "$1" /webhooks/mailgun "$WORK/mailgun/${2##*/}" -u "mailgun:${MAILGUN_URL_TOKEN}"
}

stored_items() { # how many items the events table holds (a scan, fine for a demo table)
  python3 - <<'PY'
import boto3, os
table = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
pages = table.get_paginator("scan").paginate(TableName=os.environ["TABLE_NAME"], Select="COUNT")
print(sum(page["Count"] for page in pages))
PY
}

unchanged_since() { # item count before
  local now
  now=$(stored_items)
  if [ "$1" = "$now" ]; then echo "the table still holds $now items"; else echo "the table went from $1 to $now items" >&2; exit 1; fi
}

post_resend() { # expected status, body file: Svix headers signed now with the demo secret
  local id timestamp signature
  read -r id timestamp signature < <(cargo run --quiet --example sign_webhook -- resend "$RESEND_SECRET" "$2")
  post "$1" /webhooks/resend "$2" -H "svix-id: ${id}" -H "svix-timestamp: ${timestamp}" -H "svix-signature: ${signature}"
}

post_ahasend() { # expected status, body file: Standard Webhooks headers signed now, the secret as written
  local id timestamp signature
  read -r id timestamp signature < <(cargo run --quiet --example sign_webhook -- ahasend "$AHASEND_SECRET" "$2")
  post "$1" /webhooks/ahasend "$2" -H "webhook-id: ${id}" -H "webhook-timestamp: ${timestamp}" -H "webhook-signature: ${signature}"
}

post_mailersend() { # expected status, body file: its Signature made with the demo secret
  post "$1" /webhooks/mailersend "$2" \
    -H "Signature: $(cargo run --quiet --example sign_webhook -- mailersend "$MAILERSEND_SECRET" "$2")"
}

post_mandrill() { # expected status, events file (a JSON array): form-encoded and signed for its URL
  local url="http://127.0.0.1:${FN_PORT}/lambda-url/mailtrail-lambda/webhooks/mandrill" signature
  signature=$(cargo run --quiet --example sign_webhook -- mandrill "$MANDRILL_KEY" "$2" "$url")
  local status
  status=$(curl -sS -o "$WORK/response.json" -w '%{http_code}' -X POST \
    -H "X-Mandrill-Signature: ${signature}" --data-urlencode "mandrill_events@$2" "$url")
  printf '%s  %-40s %s\n' "$status" "/webhooks/mandrill ${2##*/}" "$(cat "$WORK/response.json")"
  if [ "$status" != "$1" ]; then echo "expected HTTP $1" >&2; exit 1; fi
}

post_postal() { # expected status, fixture name: signed by the demo Postal key (fixtures/postal/demo-signatures.txt)
  post "$1" /webhooks/postal "fixtures/postal/$2.json" \
    -H "X-Postal-Signature: $(awk -v n="$2" '$1 == n {print $2}' fixtures/postal/demo-signatures.txt)"
}

post_sendgrid() { # expected status, body file: signed now with the demo key
  local timestamp signature
  read -r timestamp signature < <(cargo run --quiet --example sign_sendgrid -- \
    events/demo-sendgrid-signing-key.p8 "$2")
  post "$1" /webhooks/sendgrid "$2" \
    -H "X-Twilio-Email-Event-Webhook-Timestamp: ${timestamp}" \
    -H "X-Twilio-Email-Event-Webhook-Signature: ${signature}"
}

step "Starting the function (cargo lambda watch compiles it on the first request)"
# The first request waits for the build; its deadline may pass meanwhile, so it stores nothing.
post 404 /webhooks/warm-up fixtures/sendpulse/delivered.json

step "SES events through SNS (cargo lambda invoke)"
for event in events/ses-*.json; do
  printf '%-44s ' "$event"
  invoke_sns "$event" | tr -d '\n'
  echo
done

step "SendGrid (signed) and SendPulse (token) webhooks, SES over SNS HTTPS (signed)"
post_sendgrid 200 fixtures/sendgrid/seed-batch.json
for body in fixtures/sendpulse/*.json; do
  post 200 "/webhooks/sendpulse?token=${SENDPULSE_TOKEN}" "$body"
done
post 200 /webhooks/ses fixtures/sns/notification-v2.json -H 'x-amz-sns-message-type: Notification'

step "SES events through EventBridge (cargo lambda invoke; the same record as SNS's, so stored once)"
for event in fixtures/ses-eventbridge/*.json; do
  printf '%-44s ' "$event"
  invoke_sns "$event" | tr -d '\n'
  echo
done

step "Mailgun (signed, and Basic credentials as the second factor), Postmark (Basic credentials), Resend (Svix), Mailjet (?token=), Brevo (Bearer)"
cargo build --quiet --example sign_webhook
for body in fixtures/mailgun/*.json; do post_mailgun 200 "$body"; done
for body in fixtures/postmark/*.json; do post 200 /webhooks/postmark "$body" -u "mailtrail:${POSTMARK_TOKEN}"; done
for body in fixtures/resend/*.json; do post_resend 200 "$body"; done
for body in fixtures/mailjet/*.json; do post 200 "/webhooks/mailjet?token=${MAILJET_TOKEN}" "$body"; done
for body in fixtures/brevo/*.json; do post 200 /webhooks/brevo "$body" -H "Authorization: Bearer ${BREVO_TOKEN}"; done

step "SparkPost (Basic credentials), MailerSend (signed body), Mandrill (form, signed with its URL), Postal (RSA), SMTP2GO (Bearer; JSON and form), AhaSend (Standard Webhooks)"
for body in fixtures/sparkpost/*.json; do post 200 /webhooks/sparkpost "$body" -u "sparkpost:${SPARKPOST_TOKEN}"; done
echo '[{"msys":{}}]' >"$WORK/sparkpost-ping.json"
echo "SparkPost's ping when a webhook is saved: 200, nothing stored"
post 200 /webhooks/sparkpost "$WORK/sparkpost-ping.json" -H "X-MessageSystems-Webhook-Token: ${SPARKPOST_TOKEN}"
for body in fixtures/mailersend/*.json; do post_mailersend 200 "$body"; done
echo "Mandrill checks the URL with HEAD when the webhook is saved:"
curl -sS -o /dev/null -w '%{http_code}  HEAD /webhooks/mandrill\n' -I "http://127.0.0.1:${FN_PORT}/lambda-url/mailtrail-lambda/webhooks/mandrill"
for body in fixtures/mandrill/*.json; do post_mandrill 200 "$body"; done
for body in fixtures/postal/*.json; do post_postal 200 "$(basename "$body" .json)"; done
for body in fixtures/smtp2go/*.json; do post 200 /webhooks/smtp2go "$body" -H "Authorization: Bearer ${SMTP2GO_TOKEN}"; done
python3 -c 'import json, sys, urllib.parse; print(urllib.parse.urlencode(json.load(open(sys.argv[1]))), end="")' \
  fixtures/smtp2go/bounce-soft.json >"$WORK/smtp2go-form.txt"
echo "SMTP2GO's form-encoded body of the same soft bounce: the same item"
post 200 /webhooks/smtp2go "$WORK/smtp2go-form.txt" -H 'content-type: application/x-www-form-urlencoded' -H "Authorization: Bearer ${SMTP2GO_TOKEN}"
for body in fixtures/ahasend/*.json; do post_ahasend 200 "$body"; done

step "A provider retry changes nothing (each write is keyed by the event's content)"
items=$(stored_items)
post_sendgrid 200 fixtures/sendgrid/seed-batch.json
post 200 /webhooks/mailgun "$WORK/mailgun/delivered.json" -u "mailgun:${MAILGUN_URL_TOKEN}" # Mailgun retries with the same token
post 200 /webhooks/brevo fixtures/brevo/batch.json -H "Authorization: Bearer ${BREVO_TOKEN}"
post 200 /webhooks/sparkpost fixtures/sparkpost/sample-batch.json -u "sparkpost:${SPARKPOST_TOKEN}"
post_mandrill 200 fixtures/mandrill/test-batch.json
post_postal 200 message-bounced
unchanged_since "$items"

step "Forged and unauthenticated requests are refused, and nothing is stored"
items=$(stored_items)
post 401 /webhooks/sendgrid fixtures/sendgrid/seed-batch.json \
  -H "X-Twilio-Email-Event-Webhook-Timestamp: $(date +%s)" \
  -H 'X-Twilio-Email-Event-Webhook-Signature: MEUCIQDforgedforgedforgedforgedforgedforgedforgedforgAIgZm9yZ2VkZm9yZ2VkZm9yZ2VkZm9yZ2VkZm9yZ2U='
post 401 "/webhooks/sendpulse?token=guessed-token-0000000000" fixtures/sendpulse/unsubscribed.json
post 401 /webhooks/sendpulse fixtures/sendpulse/unsubscribed.json
post 401 /webhooks/postmark fixtures/postmark/bounce-hard.json -u "mailtrail:guessed-token-0000000000"
post 401 /webhooks/resend fixtures/resend/bounced.json -H "svix-id: msg_forged" -H "svix-timestamp: $(date +%s)" -H "svix-signature: v1,Zm9yZ2Vk"
post 401 /webhooks/mailgun fixtures/mailgun/failed-permanent.json
post 401 /webhooks/sparkpost fixtures/sparkpost/bounce.json -u "sparkpost:guessed-token-0000000000"
post 401 /webhooks/mailersend fixtures/mailersend/hard-bounced.json -H "Signature: $(printf '0%.0s' $(seq 64))"
post 401 /webhooks/postal fixtures/postal/message-held.json \
  -H "X-Postal-Signature: $(awk '$1 == "message-sent" {print $2}' fixtures/postal/demo-signatures.txt)"
post 401 /webhooks/smtp2go fixtures/smtp2go/bounce-hard.json -H "Authorization: Bearer guessed-token-0000000000"
echo "An AhaSend signature an hour old (a replay):"
read -r aha_id _ aha_signature < <(cargo run --quiet --example sign_webhook -- ahasend "$AHASEND_SECRET" fixtures/ahasend/bounced.json)
post 401 /webhooks/ahasend fixtures/ahasend/bounced.json -H "webhook-id: ${aha_id}" \
  -H "webhook-timestamp: $(( $(date +%s) - 3600 ))" -H "webhook-signature: ${aha_signature}"
echo "A Mandrill body signed for another URL:"
mandrill_forged=$(cargo run --quiet --example sign_webhook -- mandrill "$MANDRILL_KEY" fixtures/mandrill/reject.json https://attacker.example/webhooks/mandrill)
curl -sS -o "$WORK/response.json" -w '%{http_code}' -X POST -H "X-Mandrill-Signature: ${mandrill_forged}" \
  --data-urlencode "mandrill_events@fixtures/mandrill/reject.json" \
  "http://127.0.0.1:${FN_PORT}/lambda-url/mailtrail-lambda/webhooks/mandrill" >"$WORK/status.txt"
printf '%s  %-40s %s\n' "$(cat "$WORK/status.txt")" "/webhooks/mandrill reject.json" "$(cat "$WORK/response.json")"
[ "$(cat "$WORK/status.txt")" = 401 ] || { echo "expected HTTP 401" >&2; exit 1; }
echo "A genuinely signed Mailgun triple (as every webhook and inbound forward of the account carries)"
echo "with a body of someone else's choosing, but without the URL's credentials:"
sign_mailgun fixtures/mailgun/unsubscribed.json
post 401 /webhooks/mailgun "$WORK/mailgun/unsubscribed.json"
printf 'event=delivered&recipient=a%%40example.com&timestamp=1&token=t&signature=s' >"$WORK/mailgun-legacy.txt"
echo "Mailgun's legacy form-encoded webhooks are answered 406, which Mailgun does not retry:"
post 406 /webhooks/mailgun "$WORK/mailgun-legacy.txt" -H 'content-type: application/x-www-form-urlencoded' -u "mailgun:${MAILGUN_URL_TOKEN}"
unchanged_since "$items"

step "One address through the suppression list (mailtrail suppressed)"
ann_bounce="$WORK/ann-hard-bounce.json"
ann_resubscribe="$WORK/ann-resubscribe.json"
echo '[{"event":"hard_bounces","email":"ann@example.com","message_id":90001,"timestamp":1795521600,"smtp_answer_code":"550","smtp_answer_subcode":"5.1.1"}]' >"$ann_bounce"
echo '[{"event":"resubscribed","email":"ann@example.com","message_id":90002,"timestamp":1795525200}]' >"$ann_resubscribe"
"$MAILTRAIL" suppressed ann@example.com
post 200 "/webhooks/sendpulse?token=${SENDPULSE_TOKEN}" "$ann_bounce"
"$MAILTRAIL" suppressed ann@example.com
before=$("$MAILTRAIL" suppressed ann@example.com --output json)
echo "SendPulse sends the same bounce again:"
post 200 "/webhooks/sendpulse?token=${SENDPULSE_TOKEN}" "$ann_bounce"
after=$("$MAILTRAIL" suppressed ann@example.com --output json)
if [ "$before" = "$after" ]; then echo "the retry changed nothing"; else echo "the retry changed the record" >&2; exit 1; fi
echo "A later resubscribe lifts an unsubscribe, never a bounce:"
post 200 "/webhooks/sendpulse?token=${SENDPULSE_TOKEN}" "$ann_resubscribe"
"$MAILTRAIL" suppressed ann@example.com --output json | python3 -c 'import json,sys; v=json.load(sys.stdin); print("suppressed:", v["suppressed"], v["reasons"]); sys.exit(0 if v["suppressed"] else 1)'

step "Day one: import what SendGrid already knows (mailtrail suppressed import)"
export_file=fixtures/suppressions/sendgrid-bounces.csv
echo "$export_file:"; sed 's/^/  /' "$export_file"
python3 scripts/demo_notify.py snapshot "$MAILTRAIL_SUPPRESSIONS_TABLE" gone@example.com >"$WORK/before.json"
"$MAILTRAIL" suppressed import --csv "$export_file" --format sendgrid-bounces --dry-run
"$MAILTRAIL" suppressed import --csv "$export_file" --format sendgrid-bounces
echo "The same file again:"
"$MAILTRAIL" suppressed import --csv "$export_file" --format sendgrid-bounces
python3 scripts/demo_notify.py snapshot "$MAILTRAIL_SUPPRESSIONS_TABLE" gone@example.com >"$WORK/after.json"

step "The event the sending app receives (mailtrail-notify fed the table's stream record)"
python3 scripts/demo_notify.py stream "$WORK/before.json" "$WORK/after.json" >"$WORK/stream.json"
cargo lambda invoke mailtrail-notify --invoke-address 127.0.0.1 --invoke-port "$FN_PORT" --data-file "$WORK/stream.json"
echo
python3 scripts/demo_notify.py receive "$APP_QUEUE"

step "The suppression list"
"$MAILTRAIL" suppressed list

step "Stored timelines (mailtrail message)"
for id in EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000 14c5d75ce93.dfd.64b469 \
          KudqDUo-QX6llQHrmxzMEQ 1149317311 20180812211713.1.DF5966851B4BAA99@example.org \
          883953f4-6105-42a2-a16a-77a8eac79483 aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee 13792286917004336 \
          '<201798300811.5787683@relay.domain.com>' 65832150921904138 63fd1c1d5f010335ed07066b \
          exampleaaaaaaaaaaaaaaaaaaaaaaaaa c462ad36-1563@rp.postal.example.com 1u0SwL-B9zBpi9ffUq-JAB2 \
          407926766d2711f09b30960002cafe7c; do
  "$MAILTRAIL" message "$id"
done

step "Everything that happened to jane@example.com (mailtrail recipient, by_recipient index)"
"$MAILTRAIL" recipient jane@example.com

step "What the function reported to CloudWatch (its EMF lines, summed)"
python3 scripts/emf_summary.py "$WORK/watch.log"

step "A week of a real sender's mail: 10,400 events of all eight providers to real mailbox providers' domains and companies' own (scripts/make_mix.py)"
export SENDPULSE_TOKEN MAILGUN_KEY MAILGUN_URL_TOKEN POSTMARK_TOKEN RESEND_SECRET MAILJET_TOKEN BREVO_TOKEN TOPIC
cargo build --quiet --example sign_sendgrid
python3 scripts/demo_mix.py post "$FN_PORT"
echo "MX lookups the name server answered (each company domain once, whatever its number of recipients):"
grep -c ' MX$' "$WORK/dns.log" || true

step "Counting (mailtrail-stats, fed stream records made from the stored items: dynalite serves no streams)"
python3 scripts/demo_stats.py feed "$TABLE_NAME" \
  "http://127.0.0.1:${FN_PORT}/2015-03-31/functions/mailtrail-stats/invocations" --again
"$MAILTRAIL" stats verify

step "The archive: every event as Parquet in moto's S3 (mailtrail-archive, fed the same stream records), read by DuckDB"
python3 -c "import boto3, os; boto3.client('s3', endpoint_url=os.environ['MOTO_ENDPOINT'], region_name='us-east-1').create_bucket(Bucket='mailtrail-demo-archive')"
python3 scripts/demo_stats.py archive "$TABLE_NAME" \
  "http://127.0.0.1:${FN_PORT}/2015-03-31/functions/mailtrail-archive/invocations"
rm -rf "$WORK/archive"
python3 - "$WORK/archive" <<'PY'
import boto3, os, pathlib, sys
s3 = boto3.client("s3", endpoint_url=os.environ["MOTO_ENDPOINT"], region_name="us-east-1")
count = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="mailtrail-demo-archive"):
    for obj in page.get("Contents", []):
        path = pathlib.Path(sys.argv[1]) / obj["Key"]
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file("mailtrail-demo-archive", obj["Key"], str(path))
        count += 1
print(f"{count} Parquet files copied from s3://mailtrail-demo-archive/events/ to {sys.argv[1]}")
PY
python scripts/archive_queries.py "$WORK/archive" --show "The recipient domains that bounce most"

step "How is our email doing? By mailbox provider, across every sending provider (mailtrail stats)"
"$MAILTRAIL" stats --since 2026-11-20 --until 2026-11-27 --by provider
"$MAILTRAIL" stats --since 2026-11-20 --until 2026-11-27 --by domain --mailbox microsoft --output csv | head -6
"$MAILTRAIL" stats --since 2026-11-20 --until 2026-11-27 --by mailbox

if [ "${DEMO_UI:-}" = 1 ]; then
  step "The same data in a browser (mailtrail ui; Ctrl-C stops it and the local servers)"
  open_flag=()
  if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" != Darwin ]; then open_flag=(--no-open); fi
  "$MAILTRAIL" ui --port "${DEMO_UI_PORT:-0}" "${open_flag[@]}" || true
else
  printf '\nThe same data in a browser: make ui\n'
fi
