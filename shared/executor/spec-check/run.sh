#!/usr/bin/env bash
# Validates every Okta request the executor sends (one run per case of
# tests/common/cases.rs) against Okta's Management OpenAPI spec.
#
# Starts Prism (npm @stoplight/prism-cli 5.14; reuses okta-client's install in
# target/okta-client-prism, else installs into target/executor-prism) as a mock of
# ../shared/okta/management-openapi.prism.json on 127.0.0.1, runs
# `cargo run -p executor --example spec_check` against it, stops Prism.
#
# Env: OKTA_REFERENCE_DIR (default ../shared/okta), OKTA_SPEC (spec path), PRISM_DIR,
#      PRISM_PORT (default: a free port), CARGO_TARGET_DIR (as usual).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
spec="${OKTA_SPEC:-${OKTA_REFERENCE_DIR:-$root/../shared/okta}/management-openapi.prism.json}"
[ -f "$spec" ] || { echo "spec not found: $spec (set OKTA_SPEC)" >&2; exit 2; }
if [ -z "${PRISM_DIR:-}" ]; then
  if [ -x "$root/target/okta-client-prism/node_modules/.bin/prism" ]; then
    PRISM_DIR="$root/target/okta-client-prism"
  else
    PRISM_DIR="$root/target/executor-prism"
  fi
fi
if [ ! -x "$PRISM_DIR/node_modules/.bin/prism" ]; then
  mkdir -p "$PRISM_DIR"
  (cd "$PRISM_DIR" && npm install --no-audit --no-fund --silent @stoplight/prism-cli@5.14 >/dev/null)
fi

# Build first, so that Prism's start-up time is not spent waiting on the compiler.
(cd "$root" && cargo build --quiet -p executor --example spec_check)

port="${PRISM_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
log="$(mktemp)"
"$PRISM_DIR/node_modules/.bin/prism" mock -h 127.0.0.1 -p "$port" "$spec" >"$log" 2>&1 &
prism_pid=$!
cleanup() { kill "$prism_pid" 2>/dev/null || true; wait "$prism_pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

for _ in $(seq 1 180); do
  grep -q "Prism is listening" "$log" && break
  kill -0 "$prism_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 1
done
grep -q "Prism is listening" "$log" || { echo "Prism did not start" >&2; tail -20 "$log" >&2; exit 1; }

cd "$root"
cargo run --quiet -p executor --example spec_check -- "http://127.0.0.1:$port"
