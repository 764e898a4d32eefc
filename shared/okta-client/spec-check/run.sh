#!/usr/bin/env bash
# Validates every okta-client request against Okta's OpenAPI spec.
#
# Starts Prism (npm @stoplight/prism-cli 5.14, installed on first use into
# target/okta-client-prism) as a mock of ../shared/okta/management-openapi.prism.json on
# 127.0.0.1, runs `cargo run --example spec_check` against it, stops Prism.
# Prism refuses a request that does not fit the spec (400/422, or an `sl-violations`
# header naming the request); the example also sends two deliberately wrong requests
# and fails unless both are refused.
#
# Env: OKTA_REFERENCE_DIR (the Okta reference data, default ../shared/okta), OKTA_SPEC (spec path), PRISM_DIR (install dir), PRISM_PORT (default: a free port),
#      CARGO_TARGET_DIR (as usual).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
spec="${OKTA_SPEC:-${OKTA_REFERENCE_DIR:-$root/../shared/okta}/management-openapi.prism.json}"
prism_dir="${PRISM_DIR:-$root/target/okta-client-prism}"
[ -f "$spec" ] || { echo "spec not found: $spec (set OKTA_SPEC)" >&2; exit 2; }

if [ ! -x "$prism_dir/node_modules/.bin/prism" ]; then
  mkdir -p "$prism_dir"
  (cd "$prism_dir" && npm install --no-audit --no-fund --silent @stoplight/prism-cli@5.14 >/dev/null)
fi

port="${PRISM_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
log="$(mktemp)"
"$prism_dir/node_modules/.bin/prism" mock -h 127.0.0.1 -p "$port" "$spec" >"$log" 2>&1 &
prism_pid=$!
cleanup() { kill "$prism_pid" 2>/dev/null || true; wait "$prism_pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

# The spec has ~500 paths: Prism takes a while to load it.
for _ in $(seq 1 180); do
  grep -q "Prism is listening" "$log" && break
  kill -0 "$prism_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 1
done
grep -q "Prism is listening" "$log" || { echo "Prism did not start" >&2; tail -20 "$log" >&2; exit 1; }

cd "$root"
cargo run --quiet -p okta-client --example spec_check -- "http://127.0.0.1:$port"
