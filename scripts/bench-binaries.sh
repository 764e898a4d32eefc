#!/usr/bin/env bash
# Release binaries of the given functions and of the cold-start floor (bench/cold-start-floor),
# built in this run with one profile: size (x86_64 and arm64, stripped), then cold start,
# init CPU, first invocation and peak memory side by side with the floor, and the wall time
# of a 100-event delivery (scripts/bench_binaries.py). RUNS (default 15) cold starts each.
set -euo pipefail
cd "$(dirname "$0")/.."
bins=(--bin cold-start-floor)
for f in "$@"; do bins+=(--bin "$f"); done

cargo lambda build --release "${bins[@]}" --lambda-dir target/lambda-x86_64 >/dev/null
cargo lambda build --release --arm64 "${bins[@]}" --lambda-dir target/lambda-arm64 >/dev/null
# The Okta double and the CLI (for a plan key) serve the cold-start runs.
cargo build --quiet -p okta-double -p cli --bins

echo "binary sizes, stripped (budget: 6 MiB arm64)"
for f in cold-start-floor "$@"; do
  x=$(stat -c %s "target/lambda-x86_64/$f/bootstrap")
  a=$(stat -c %s "target/lambda-arm64/$f/bootstrap")
  awk -v f="$f" -v x="$x" -v a="$a" 'BEGIN {
    over = (f != "cold-start-floor" && a > 6 * 1048576) ? "  OVER" : ""
    printf "  %-17s x86_64 %6.2f MiB   arm64 %6.2f MiB%s\n", f, x/1048576, a/1048576, over }'
done
echo
python3 scripts/bench_binaries.py target/lambda-x86_64 "${RUNS:-15}"
