#!/usr/bin/env bash
# Validates every Okta request the executor sends (one run per case of
# tests/it/common/cases.rs) against Okta's OpenAPI spec, through a Prism mock
# (scripts/with-prism.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root"
# Build first, so that Prism's start-up time is not spent waiting on the compiler.
cargo build --quiet -p action-calls --example action_spec_check
exec bash scripts/with-prism.sh cargo run --quiet -p action-calls --example action_spec_check --
