# mailtrail. `make demo` runs it locally; `make test` runs every check CI runs.
# Each target installs the tools it needs: Python tools into .venv (PyPI), the local
# DynamoDB-API server into tools/local-dynamodb (npm).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
PY_TOOLS := $(VENV)/.tools-installed
SAM_TOOLS := $(VENV)/.sam-installed
LOCAL_DYNAMODB := tools/local-dynamodb/node_modules/.installed
SAM_CLI_VERSION := 1.170.0
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0

CARGO_FUZZ := .tools/cargo/bin/cargo-fuzz
FUZZ_SECONDS ?= 30

.PHONY: help tools browser build cli test unit lint fmt template demo ui fuzz bench validate deploy clean

help:
	@echo "make demo      run mailtrail locally on the sample events and print the timelines"
	@echo "make ui        the demo's data in a browser (mailtrail ui on 127.0.0.1; Ctrl-C stops it)"
	@echo "make test      every check CI runs: format, lint, unit and integration tests, template lint"
	@echo "make build     release build of the four Lambdas (arm64 zips under target/lambda/mailtrail-lambda, -notify, -stats, -archive)"
	@echo "make cli       release build of the mailtrail command (target/release/mailtrail)"
	@echo "make lint      cargo fmt --check, clippy, cfn-lint, the template and layer checks"
	@echo "make template  rewrite the generated sections of template.yaml from the provider registry"
	@echo "make bench     throughput, peer, end to end, cold start, memory, store efficiency, cost (a few minutes)"
	@echo "make fuzz      every fuzz target for FUZZ_SECONDS (default 30) each (installs cargo-fuzz)"
	@echo "make validate  sam validate --lint (installs the SAM CLI)"
	@echo "make deploy    sam build && sam deploy --guided (installs the SAM CLI)"

$(PY_TOOLS): tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

$(SAM_TOOLS): $(PY_TOOLS)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_CLI_VERSION)
	touch $@

$(LOCAL_DYNAMODB): tools/local-dynamodb/package.json tools/local-dynamodb/package-lock.json
	npm ci --prefix tools/local-dynamodb --no-audit --no-fund --loglevel=error
	touch $@

tools: $(PY_TOOLS) $(LOCAL_DYNAMODB)

# The browser tests drive Chromium through chromedriver. On Debian as root they are installed
# from Debian's archive when missing; elsewhere install them yourself (any Chromium or Chrome
# with its matching chromedriver) and point CHROMIUM and CHROMEDRIVER at them.
CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver
export CHROMIUM CHROMEDRIVER
browser:
	@if [ -x "$(CHROMIUM)" ] && [ -x "$(CHROMEDRIVER)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium and chromium-driver (Debian) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
	  echo "the browser tests need Chromium and chromedriver: install them, then set CHROMIUM and CHROMEDRIVER (now $(CHROMIUM), $(CHROMEDRIVER))" >&2; exit 1; \
	fi

build: $(PY_TOOLS)
	cargo lambda build --release --arm64 --bin mailtrail-lambda --output-format zip
	cargo lambda build --release --arm64 --bin mailtrail-notify --output-format zip
	cargo lambda build --release --arm64 --bin mailtrail-stats --output-format zip
	cargo lambda build --release --arm64 --bin mailtrail-archive --features archive --output-format zip

fmt:
	cargo fmt --all

lint: $(PY_TOOLS)
	cargo fmt --all -- --check
	cargo clippy --all-targets --all-features --locked -- -D warnings
	cfn-lint template.yaml
	$(VENV)/bin/python scripts/check_template.py --self-test
	python3 scripts/check_layers.py --self-test

template:
	MAILTRAIL_WRITE_TEMPLATE=1 cargo test --lib --locked template_sections -- --test-threads=1

unit:
	cargo test --all-features --lib --locked

cli:
	cargo build --release --features cli --bin mailtrail
	@echo "built target/release/mailtrail"

test: tools browser lint
	mkdir -p target
	cargo test --all-features --lib --bins --tests --examples --locked 2>&1 | tee target/test-output.log
	@awk '/^test result:/ { passed += $$4; failed += $$6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' target/test-output.log

demo: tools
	scripts/demo.sh

ui: tools
	DEMO_UI=1 scripts/demo.sh

$(CARGO_FUZZ):
	cargo install cargo-fuzz --locked --version 0.13.2 --root .tools/cargo

fuzz: $(CARGO_FUZZ)
	scripts/fuzz.sh $(FUZZ_SECONDS)

bench: tools
	scripts/bench.sh

validate: $(SAM_TOOLS)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} sam validate --lint

deploy: $(SAM_TOOLS)
	sam build
	if [ -f samconfig.toml ]; then sam deploy; else sam deploy --guided; fi

clean:
	cargo clean
	rm -rf $(VENV) .venv-bench tools/local-dynamodb/node_modules .aws-sam .tools fuzz/target
