#!/usr/bin/env bash
# Runs each fuzz target for SECS seconds: `fuzz/run.sh SECS [TARGET…]` (all when none);
# `fuzz/run.sh 0 [TARGET…]` only replays the regressions.
# What `make fuzz` and `make fuzz-smoke` (CI) call. Installs the nightly toolchain
# (minimal profile) and cargo-fuzz when missing, seeds the corpora from the fixtures
# (seeds.py), builds every target once, replays each target's kept crashes
# (regressions/<target>/*, see README.md), then fuzzes and prints execs, execs/s and
# findings per target.
#
# Exit status 1 only for a finding: a regression that fails again, or an input libFuzzer
# reports (crash or panic, timeout, out-of-memory); its input is in artifacts/<target>/
# and, when small, printed as `Base64:` in the log (CI keeps only the log). Reproduce with
# `cargo +nightly fuzz run -s none -a <target> <file>`. What is not a finding is avoided
# rather than failed on: a missing toolchain or cargo-fuzz is installed; a run that exits
# non-zero without leaving an input (the machine, not the code) is run once more.
#
# Sanitizer `none`: the crates forbid unsafe code, so AddressSanitizer would only slow
# the runs; `-a` keeps debug assertions and overflow checks on.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:?usage: fuzz/run.sh SECS [TARGET...]}
shift
flags=(-s none -a)

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz: installing the nightly toolchain (rustup toolchain install nightly --profile minimal)"
    start=$SECONDS
    rustup toolchain install nightly --profile minimal || exit 1
    echo "fuzz: nightly installed in $((SECONDS - start)) s"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    start=$SECONDS
    cargo install cargo-fuzz --locked || exit 1
    echo "fuzz: cargo-fuzz installed in $((SECONDS - start)) s"
fi

python3 seeds.py || exit 1
start=$SECONDS
cargo +nightly fuzz build "${flags[@]}" || exit 1
echo "fuzz: built in $((SECONDS - start)) s"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)

# The files libFuzzer wrote into artifacts/<target>/ (crash-, timeout-, oom-, leak-…).
artifacts() { find "artifacts/$1" -type f -printf '%f\n' | sort; }

# The lines of a libFuzzer log worth showing: progress, stats, the finding and its input.
show() {
    grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)|^stat::|^==|panicked|SUMMARY|Test unit written|^Base64:' "$1" | tail -n 20
}

# replay TARGET: runs every kept regression input once through the target (libFuzzer
# runs the files it is given and exits non-zero on the first that fails). 0 when none.
replay() {
    local t=$1 log rc scratch
    local files=()
    [ -d "regressions/$t" ] && mapfile -t files < <(find "regressions/$t" -type f ! -name '.*' | sort)
    [ ${#files[@]} -gt 0 ] || return 0
    log=$(mktemp)
    scratch=$(mktemp -d) # what libFuzzer writes of a failing input: it is in regressions/ already
    cargo +nightly fuzz run "${flags[@]}" "$t" "${files[@]}" -- -close_fd_mask=1 -timeout=25 \
        -artifact_prefix="$scratch/" >"$log" 2>&1
    rc=$?
    rm -rf "$scratch"
    if [ "$rc" -eq 0 ]; then
        echo "fuzz: $t: ${#files[@]} regression input(s) pass"
    else
        echo "fuzz: $t: a regression input fails again (exit $rc):"
        grep -E '^Running: ' "$log" | tail -n 1
        grep -E -A2 'panicked at|^==[0-9]+== ERROR' "$log" | head -n 12
        grep -E '^SUMMARY' "$log"
    fi
    rm -f "$log"
    return "$rc"
}

summary=()
failed=0
for t in "${targets[@]}"; do
    mkdir -p "artifacts/$t" "corpus/$t"
    if ! replay "$t"; then
        failed=1
        summary+=("$(printf '%-14s a kept regression fails again' "$t")")
        continue
    fi
    [ "$secs" -gt 0 ] || continue
    before=$(artifacts "$t")
    for attempt in 1 2; do
        log=$(mktemp)
        echo "fuzz: $t for ${secs} s"
        cargo +nightly fuzz run "${flags[@]}" "$t" -- -max_total_time="$secs" -print_final_stats=1 \
            -close_fd_mask=1 -timeout=25 >"$log" 2>&1
        rc=$?
        show "$log"
        found=$(comm -13 <(echo "$before") <(artifacts "$t") | sed '/^$/d')
        if [ "$rc" -ne 0 ] && [ -z "$found" ] && [ "$attempt" -eq 1 ]; then
            echo "fuzz: $t exited $rc without a finding (no input written); its log ends:"
            tail -n 20 "$log"
            echo "fuzz: running $t once more"
            rm -f "$log"
            continue
        fi
        break
    done
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    if [ -n "$found" ]; then
        findings="$(echo "$found" | wc -l) ($(echo "$found" | tr '\n' ' ' | sed 's/ $//'))"
        failed=1
    elif [ "$rc" -ne 0 ]; then
        echo "fuzz: $t exited $rc twice without a finding; its log ends:"
        tail -n 20 "$log"
        findings="none, but exit $rc twice"
        failed=1
    else
        findings=0
    fi
    rm -f "$log"
    summary+=("$(printf '%-14s execs %-12s execs/s %-8s findings %s' "$t" "${execs:-?}" "${rate:-?}" "$findings")")
done
if [ "$secs" -gt 0 ]; then
    echo "fuzz: ${secs} s per target"
else
    echo "fuzz: regressions replayed"
fi
[ ${#summary[@]} -eq 0 ] || printf '  %s\n' "${summary[@]}"
exit $failed
