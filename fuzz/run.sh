#!/usr/bin/env bash
# Runs each fuzz target for SECS seconds: `fuzz/run.sh SECS [TARGET…]` (all when none).
# What `make fuzz` and `make fuzz-smoke` call. Installs cargo-fuzz (into the user's cargo
# bin) when missing, seeds the corpora from the fixtures (seeds.py), builds every target
# once, then prints execs, execs/s and crashes per target. Exits 1 if any target crashed
# (the input is in fuzz/artifacts/<target>/; reproduce with
# `cargo +nightly fuzz run -s none -a <target> <file>`).
#
# Sanitizer `none`: the crates forbid unsafe code, so AddressSanitizer would only slow
# the runs; `-a` keeps debug assertions and overflow checks on.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:?usage: fuzz/run.sh SECS [TARGET...]}
shift
flags=(-s none -a)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    start=$SECONDS
    cargo install cargo-fuzz --locked || exit 1
    echo "fuzz: cargo-fuzz installed in $((SECONDS - start)) s"
fi
if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz: the nightly toolchain is needed: rustup toolchain install nightly" >&2
    exit 1
fi

python3 seeds.py || exit 1
start=$SECONDS
cargo +nightly fuzz build "${flags[@]}" || exit 1
echo "fuzz: built in $((SECONDS - start)) s"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
summary=()
failed=0
for t in "${targets[@]}"; do
    mkdir -p "artifacts/$t" "corpus/$t"
    before=$(find "artifacts/$t" -type f | wc -l)
    log=$(mktemp)
    echo "fuzz: $t for ${secs} s"
    cargo +nightly fuzz run "${flags[@]}" "$t" -- -max_total_time="$secs" -print_final_stats=1 \
        -close_fd_mask=1 -timeout=25 >"$log" 2>&1
    rc=$?
    grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)|^stat::|^==|panicked|SUMMARY|Test unit written' "$log" | tail -n 20
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    crashes=$(( $(find "artifacts/$t" -type f | wc -l) - before ))
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes="? (exit $rc, see $log)"; fi
    [ "$rc" -eq 0 ] && [ "$crashes" = 0 ] && rm -f "$log" || failed=1
    summary+=("$(printf '%-14s execs %-12s execs/s %-8s crashes %s' "$t" "${execs:-?}" "${rate:-?}" "$crashes")")
done
echo "fuzz: ${secs} s per target"
printf '  %s\n' "${summary[@]}"
exit $failed
