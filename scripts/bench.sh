#!/usr/bin/env bash
# `make bench`: every benchmark in one run, side by side, then one summary table
# (target/bench/summary.md). Takes a few minutes; the first run also builds release binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p target/bench

echo "== inputs"
python3 scripts/bench_data.py
python3 scripts/make_mix.py

echo "== the peer: django-anymail (own venv, from PyPI)"
if [ ! -f .venv-bench/.installed-2 ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet --disable-pip-version-check "django-anymail[amazon-ses,resend]==15.2"
  touch .venv-bench/.installed-2
fi

echo "== release binaries (the three functions, hello-world reference; cargo lambda for the deployed zips)"
cargo build --release --locked --bin mailtrail-lambda --example hello_lambda
cargo build --release --locked --features notify --bin mailtrail-notify
cargo lambda build --release --arm64 --bin mailtrail-lambda --locked --output-format zip >/dev/null
cargo lambda build --release --arm64 --bin mailtrail-notify --locked --output-format zip >/dev/null
cargo lambda build --release --arm64 --bin mailtrail-stats --locked --output-format zip >/dev/null
cargo lambda build --release --arm64 --bin mailtrail-archive --features archive --locked --output-format zip >/dev/null

echo "== throughput (criterion) and the peer, back to back"
cargo bench --locked --bench pipeline
.venv-bench/bin/python benches/peer_anymail.py 2>/dev/null > target/bench/anymail.json

echo "== end to end, store efficiency, cold start, memory"
MAILTRAIL_BIN=target/release/mailtrail-lambda NOTIFY_BIN=target/release/mailtrail-notify \
  HELLO_BIN=target/release/examples/hello_lambda \
  cargo bench --locked --features test-util,archive --bench system > target/bench/system.log

echo "== mailtrail ui: a recipient of 1,000 events across 300 messages"
cargo build --release --locked --features cli --bin mailtrail
MAILTRAIL_CLI=target/release/mailtrail cargo bench --locked --features cli --bench ui > target/bench/ui.log

echo "== mailtrail ui: the overview of 400 days x 8 sending providers x 20 mailbox providers"
MAILTRAIL_CLI=target/release/mailtrail cargo bench --locked --features cli --bench overview > target/bench/overview.log

echo
python3 scripts/bench_summary.py
