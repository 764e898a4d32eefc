#!/usr/bin/env bash
# Runs a command against a Prism mock of Okta's Management OpenAPI spec.
#
#   scripts/with-prism.sh CMD ARGS...   → runs `CMD ARGS... http://127.0.0.1:PORT`
#
# Prism (npm @stoplight/prism-cli 5.14) is installed on first use into target/prism,
# loads ../shared/okta/management-openapi.prism.json (the spec with example `$ref`s
# renamed so Prism can load it) on a free loopback port, and is stopped by PID when the
# command ends. Prism answers 422 (or names the request in `sl-violations`) when a request
# does not fit the spec.
#
# Env: OKTA_REFERENCE_DIR (default ../shared/okta beside the checkout), OKTA_SPEC (the
#      spec file), PRISM_DIR (install dir), PRISM_PORT (default: a free port).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
spec="${OKTA_SPEC:-${OKTA_REFERENCE_DIR:-$root/../shared/okta}/management-openapi.prism.json}"
prism_dir="${PRISM_DIR:-$root/target/prism}"
[ -f "$spec" ] || { echo "spec not found: $spec (set OKTA_REFERENCE_DIR or OKTA_SPEC)" >&2; exit 2; }

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
"$@" "http://127.0.0.1:$port"
