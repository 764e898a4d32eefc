# okta-hooks: every step a newcomer or CI runs.  `make run` and `make test` need nothing
# but Rust and Python 3; the tools they use are installed into .venv on first use.

SHELL       := bash
VENV        ?= .venv
PYTHON      ?= python3
CARGO       ?= cargo
FUNCTIONS   := hook-ingest hook-verify event-router action-executor log-poller
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help docs run test test-unit test-integ spec-check lint bench build deploy validate venv clean
.PHONY: fuzz fuzz-smoke cost browser
.DEFAULT_GOAL := help

## help: this list: every target with its `##` line (a bare `make` prints it)
help:
	@awk '/^## [a-z-]+:/ { sub(/^## /, ""); split($$0, p, ":"); t = p[1]; \
	      sub(/^[^:]*: */, ""); printf "  %-12s %s\n", t, $$0; next } \
	    /^## / { sub(/^## /, ""); printf "  %-12s %s\n", "", $$0 }' $(MAKEFILE_LIST)

## run: the local runner: hook endpoints on 127.0.0.1:8787, embedded queue, no AWS, no Okta
run:
	$(CARGO) run --quiet -p cli -- dev

## test: unit tests, integration tests (moto_server, cargo-lambda), the rules' own tests, the OpenAPI spec check
test: venv browser
	$(CARGO) build --workspace --bins
	$(CARGO) test --workspace
	$(CARGO) run --quiet -p cli -- rules check rules
	$(MAKE) spec-check
	$(MAKE) validate

## spec-check: every Okta request (client endpoints, executor actions) validated by Prism
spec-check:
	bash shared/okta-client/spec-check/run.sh
	bash shared/action-calls/spec-check/run.sh

## test-unit: tests that need no local servers
test-unit:
	$(CARGO) test --workspace --exclude integration-tests

## test-integ: moto_server and cargo-lambda integration tests
test-integ: venv browser
	$(CARGO) build --workspace --bins
	$(CARGO) test -p integration-tests

## docs: regenerate docs/actions.md, the action catalog page (a test checks it is current)
docs:
	$(CARGO) run --quiet -p cli -- actions doc > docs/actions.md

## lint: formatting and clippy (the workspace, then the Lambda functions alone as `make build`
## compiles them: without the in-memory adapters), warnings are errors
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy $(addprefix -p ,$(FUNCTIONS)) -- -D warnings

## bench: criterion benchmarks (ingest, rule evaluation and threshold counting, envelope signing, executor and step overhead), the executor burst, binaries
bench: venv
	$(CARGO) bench -p envelope --bench seal
	$(CARGO) bench -p hook-receiver --bench ingest
	$(CARGO) bench -p rules --bench evaluate
	$(CARGO) bench -p action-calls --bench overhead
	$(CARGO) bench -p step-runner --bench step
	$(CARGO) bench -p step-runner --bench burst
	bash scripts/bench-binaries.sh $(FUNCTIONS)

## cost: the monthly AWS bill at 10k, 100k and 400k events a day, from the template's settings
## (scripts/cost.py; FORMAT=markdown for the README's table, which a test keeps current)
FORMAT ?= text
cost:
	$(PYTHON) scripts/cost.py --format $(FORMAT)

## fuzz: every cargo-fuzz target (fuzz/) for FUZZ_SECS seconds each (default 60): execs, execs/s, crashes
FUZZ_SECS ?= 60
fuzz:
	bash fuzz/run.sh $(FUZZ_SECS)

## fuzz-smoke: every fuzz target for 30 s (what CI would run); installs cargo-fuzz if missing
fuzz-smoke:
	bash fuzz/run.sh 30

## build: release Lambda binaries for arm64 (target/lambda/<function>/bootstrap)
build: venv
	cargo lambda build --release --arm64 $(addprefix --bin ,$(FUNCTIONS))

## deploy: sam build + sam deploy of infra/template.yaml; guided (asks, then saves into
## infra/samconfig.toml) until that file holds a deployed config (s3_prefix), or with GUIDED=1
SAM_CONFIG := $(CURDIR)/infra/samconfig.toml
SAM_BUILD  := target/sam
deploy: venv
	SAM_CLI_TELEMETRY=0 sam build --beta-features --template-file infra/template.yaml \
	  --build-dir $(SAM_BUILD) --config-file $(SAM_CONFIG)
	if [ -n "$(GUIDED)" ] || ! grep -q '^s3_prefix' infra/samconfig.toml; then guided=--guided; fi; \
	SAM_CLI_TELEMETRY=0 sam deploy $$guided --template-file $(SAM_BUILD)/template.yaml --config-file $(SAM_CONFIG)

## validate: infra/template.yaml checked offline (cfn-lint, sam validate --lint; no AWS account)
validate: venv
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} cfn-lint infra/template.yaml
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} SAM_CLI_TELEMETRY=0 \
	  sam validate --lint --template-file infra/template.yaml

## stack: `okta-hooks stack up`: the template deployed into moto_server on 127.0.0.1 and every
## function run as its built binary until Ctrl-C; STACK_ARGS="--parameter K=V --secret-file F ..."
.PHONY: stack stack-test stack-burst
stack: venv
	$(CARGO) build --quiet --workspace --bins
	$(CARGO) run --quiet -p cli -- stack up $(STACK_ARGS)

## stack-test: the local stack's integration tests alone (they also run in `make test`)
stack-test: venv
	$(CARGO) build --workspace --bins
	$(CARGO) test -p integration-tests --test it -- stack

## stack-burst: the burst through the local stack at full size: 10,000 events for 1,000 users
## (BURST_EVENTS, BURST_USERS); prints events/s and delivery-to-last-step p50/p99
BURST_EVENTS ?= 10000
BURST_USERS  ?= 1000
stack-burst: venv
	$(CARGO) build --workspace --bins
	OKTA_HOOKS_BURST_EVENTS=$(BURST_EVENTS) OKTA_HOOKS_BURST_USERS=$(BURST_USERS) \
	  $(CARGO) test -p integration-tests --test it -- stack_burst --nocapture

## browser: Debian's chromium, which the HTML report test renders with (apt-get when missing: root or sudo)
browser:
	@if [ -n "$${OKTA_HOOKS_CHROMIUM:-}" ]; then "$$OKTA_HOOKS_CHROMIUM" --version; exit 0; fi; \
	if ! command -v chromium >/dev/null; then \
	  sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	fi; \
	chromium --version 2>/dev/null

## venv: the Python tools of requirements-dev.txt, in .venv
venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

## clean: cargo clean and the .venv (the next `make test` reinstalls the tools)
clean:
	$(CARGO) clean
	rm -rf $(VENV)
