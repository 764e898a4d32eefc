#!/usr/bin/env bash
# Runs a command against a Prism mock of Okta's Management OpenAPI spec.
#
#   scripts/with-prism.sh CMD ARGS...   → runs `CMD ARGS... http://127.0.0.1:PORT`
#
# Prism (npm @stoplight/prism-cli 5.14) is installed on first use into target/prism,
# loads ../shared/okta/management-openapi.prism.json (the spec with example `$ref`s
# renamed so Prism can load it) on a loopback port it binds itself, and is stopped by PID
# when the command ends. Prism answers 422 (or names the request in `sl-violations`) when a request
# does not fit the spec.
#
# Env: OKTA_REFERENCE_DIR (default ../shared/okta beside the checkout), OKTA_SPEC (the
#      spec file), PRISM_DIR (install dir), PRISM_PORT (default 0: a port Prism
#      binds and reports; a fixed port fails if taken, never reaching another server).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
spec="${OKTA_SPEC:-${OKTA_REFERENCE_DIR:-$root/../shared/okta}/management-openapi.prism.json}"
prism_dir="${PRISM_DIR:-$root/target/prism}"
[ -f "$spec" ] || { echo "spec not found: $spec (set OKTA_REFERENCE_DIR or OKTA_SPEC)" >&2; exit 2; }

if [ ! -x "$prism_dir/node_modules/.bin/prism" ]; then
  mkdir -p "$prism_dir"
  (cd "$prism_dir" && npm install --no-audit --no-fund --silent @stoplight/prism-cli@5.14 >/dev/null)
fi

# Prism binds the port itself (`-p 0` by default: one the kernel picks, which nobody else
# can hold) and names it in its "Prism is listening on http://127.0.0.1:PORT" line, so the
# port is this Prism's own. Ready means it has answered a request.
log="$(mktemp)"
"$prism_dir/node_modules/.bin/prism" mock -h 127.0.0.1 -p "${PRISM_PORT:-0}" "$spec" >"$log" 2>&1 &
prism_pid=$!
cleanup() { kill "$prism_pid" 2>/dev/null || true; wait "$prism_pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

# The spec has ~500 paths: Prism takes a while to load it. There is no event to wait on
# but its log line, so poll the log (and stop early if Prism exits).
listening_port() {
  { grep -ao 'Prism is listening on http://127\.0\.0\.1:[0-9]*' "$log" || true; } | head -n1 | sed 's/.*://'
}
port=""
for _ in $(seq 1 360); do
  port="$(listening_port)"
  [ -n "$port" ] && break
  kill -0 "$prism_pid" 2>/dev/null || { echo "Prism exited before listening:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.5
done
[ -n "$port" ] || { echo "Prism did not start" >&2; tail -20 "$log" >&2; exit 1; }

# Any HTTP status from this Prism (e.g. 401 for a request without credentials) shows it serves.
status="$(curl -s -o /dev/null -m 30 -w '%{http_code}' "http://127.0.0.1:$port/api/v1/users/me" || true)"
case "$status" in
  [1-5][0-9][0-9]) ;;
  *) echo "Prism on port $port did not answer a request (got '${status}')" >&2; tail -20 "$log" >&2; exit 1 ;;
esac

cd "$root"
"$@" "http://127.0.0.1:$port"
