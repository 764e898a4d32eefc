#!/usr/bin/env bash
# Validates every okta-client request against Okta's OpenAPI spec: `examples/client_spec_check.rs`
# calls each endpoint against a Prism mock (scripts/with-prism.sh) and also sends two
# deliberately wrong requests, failing unless both are refused.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root"
# Build first, so that Prism's start-up time is not spent waiting on the compiler.
cargo build --quiet -p okta-client --example client_spec_check
exec bash scripts/with-prism.sh cargo run --quiet -p okta-client --example client_spec_check --
