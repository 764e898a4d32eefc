#!/usr/bin/env bash
# Release binaries of the given functions: size (x86_64 and arm64, stripped), cold start,
# peak memory and wall time of a 100-event delivery (scripts/bench_binaries.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bins=()
for f in "$@"; do bins+=(--bin "$f"); done

cargo lambda build --release "${bins[@]}" --lambda-dir target/lambda-x86_64 >/dev/null
cargo lambda build --release --arm64 "${bins[@]}" --lambda-dir target/lambda-arm64 >/dev/null

echo "binary sizes (budget: 6 MB arm64)"
for f in "$@"; do
  x=$(stat -c %s "target/lambda-x86_64/$f/bootstrap")
  a=$(stat -c %s "target/lambda-arm64/$f/bootstrap")
  awk -v f="$f" -v x="$x" -v a="$a" 'BEGIN { printf "  %-14s x86_64 %6.2f MB   arm64 %6.2f MB\n", f, x/1048576, a/1048576 }'
done
python3 scripts/bench_binaries.py target/lambda-x86_64
