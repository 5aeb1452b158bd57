#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, seeded from events/ and fixtures/, and prints the
# executions each one made. Called by `make fuzz` (FUZZ_SECONDS per target, default 30).
# cargo-fuzz needs nightly-only compiler flags; RUSTC_BOOTSTRAP lets the stable toolchain
# accept them. No sanitizer is used: the crate has no unsafe code, and coverage guidance is
# what finds panics.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-30}"
SEEDS=target/fuzz-seeds
REPORT=target/fuzz-report.txt
export RUSTC_BOOTSTRAP=1
export PATH="$PWD/.tools/cargo/bin:$PATH"

rm -rf "$SEEDS"
seed() { # target, files...
  local target="$1"
  shift
  mkdir -p "$SEEDS/$target" "fuzz/corpus/$target"
  for file in "$@"; do cp "$file" "$SEEDS/$target/"; done
}
seed dispatch events/*.json
seed decode_sendgrid fixtures/sendgrid/*.json
seed decode_sendpulse fixtures/sendpulse/*.json
seed decode_ses fixtures/ses/*
seed verify_sns fixtures/sns/*.json
seed verify_mailgun fixtures/mailgun/*.json
seed dispatch fixtures/ses-eventbridge/*.json
mkdir -p "$SEEDS/decode_provider" "$SEEDS/verify_svix" fuzz/corpus/decode_provider fuzz/corpus/verify_svix
# decode_provider: the first byte picks the provider, in Provider::ALL order.
python3 - "$SEEDS" <<'PY'
import json, pathlib, sys
seeds = pathlib.Path(sys.argv[1])
import urllib.parse
order = ["ses", "sendgrid", "sendpulse", "mailgun", "postmark", "resend", "mailjet", "brevo",
         "sparkpost", "mailersend", "mandrill", "postal", "smtp2go", "ahasend"]
for index, provider in enumerate(order):
    for path in sorted(pathlib.Path("fixtures", provider).glob("*.json")):
        body = path.read_bytes()
        if provider == "mandrill":  # a form whose field holds the events
            body = urllib.parse.urlencode({"mandrill_events": body.decode()}).encode()
        (seeds / "decode_provider" / f"{provider}-{path.name}").write_bytes(bytes([index]) + body)
        if provider == "smtp2go":  # SMTP2GO's form-encoded events too
            form = urllib.parse.urlencode(json.loads(body)).encode()
            (seeds / "decode_provider" / f"{provider}-form-{path.name}").write_bytes(bytes([index]) + form)
for path in sorted(pathlib.Path("fixtures/ahasend").glob("*.json"))[:3]:
    (seeds / "verify_svix" / f"ahasend-{path.name}").write_bytes(b"msg_1\n1795521600\nv1,AAAA\n" + path.read_bytes())
for d in ["verify_mailersend", "verify_mandrill", "verify_postal"]:
    (seeds / d).mkdir(parents=True, exist_ok=True)
    pathlib.Path("fuzz/corpus", d).mkdir(parents=True, exist_ok=True)
for path in sorted(pathlib.Path("fixtures/mailersend").glob("*.json")):
    (seeds / "verify_mailersend" / path.name).write_bytes(b"00ff\n" + path.read_bytes())
for path in sorted(pathlib.Path("fixtures/mandrill").glob("*.json")):
    form = urllib.parse.urlencode({"mandrill_events": path.read_text()}).encode()
    (seeds / "verify_mandrill" / path.name).write_bytes(b"tb3LsQI1V+h/d7LCxK04AfpeYUg=\n" + form)
signatures = dict(line.split(" ", 1) for line in pathlib.Path("fixtures/postal/demo-signatures.txt").read_text().splitlines())
for path in sorted(pathlib.Path("fixtures/postal").glob("*.json")):
    (seeds / "verify_postal" / path.name).write_bytes(signatures[path.stem].encode() + b"\n" + path.read_bytes())
for path in sorted(pathlib.Path("fixtures/resend").glob("*.json"))[:3]:
    (seeds / "verify_svix" / path.name).write_bytes(b"msg_1\n1795521600\nv1,AAAA v1,BBBB\n" + path.read_bytes())
PY
mkdir -p "$SEEDS/verify_token" "$SEEDS/verify_sendgrid" fuzz/corpus/verify_token fuzz/corpus/verify_sendgrid
printf 'token=demo-sendpulse-token-change-me' > "$SEEDS/verify_token/good"
printf 'token=a&token=demo-sendpulse-token-change-me' > "$SEEDS/verify_token/repeated"
printf 'x=1\nBasic bWFpbHRyYWlsOmRlbW8tc2VuZHB1bHNlLXRva2VuLWNoYW5nZS1tZQ==' > "$SEEDS/verify_token/basic"
printf '\nBearer demo-sendpulse-token-change-me' > "$SEEDS/verify_token/bearer"
printf '\n\ndemo-sendpulse-token-change-me' > "$SEEDS/verify_token/token-header"
python3 - "$SEEDS/verify_sendgrid/signed" <<'PY'
import json, sys
event = json.load(open("events/sendgrid-batch.json"))
h = event["headers"]
data = (h["x-twilio-email-event-webhook-signature"] + "\n" + h["x-twilio-email-event-webhook-timestamp"] + "\n" + event["body"]).encode()
open(sys.argv[1], "wb").write(data)
PY

TARGETS=(dispatch decode_provider decode_sendgrid decode_sendpulse decode_ses verify_sendgrid verify_token verify_mailgun verify_svix verify_mailersend verify_mandrill verify_postal verify_sns)
cargo fuzz build -s none
: > "$REPORT"
for target in "${TARGETS[@]}"; do
  log="target/fuzz-$target.log"
  cargo fuzz run -s none "$target" "fuzz/corpus/$target" "$SEEDS/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 >"$log" 2>&1 || {
    echo "fuzz target $target failed; see $log" >&2
    tail -30 "$log" >&2
    exit 1
  }
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  printf '%-18s %4ss  %10s executions  coverage %s  no crash\n' "$target" "$SECONDS_PER_TARGET" "$runs" "$cov" | tee -a "$REPORT"
done
echo "fuzzing clean: ${#TARGETS[@]} targets, ${SECONDS_PER_TARGET}s each (report: $REPORT)"
