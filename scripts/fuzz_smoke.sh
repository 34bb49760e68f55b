#!/usr/bin/env bash
# Short smoke run of every cargo-fuzz target (fuzz/fuzz_targets) from its seed corpus
# (fuzz/seeds/TARGET): a panic, abort or timeout fails. Usage: scripts/fuzz_smoke.sh [SECONDS]
# Long runs and their results: FUZZING.md. cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP
# enables them on the stable toolchain. No sanitizer (`-s none`): the code under test is safe
# Rust, and a sanitizer build takes twice as long; panics and aborts are what is looked for.
# Release build (cargo-fuzz's default, debug assertions on), the same build the long runs use:
# fuzz/Cargo.toml leaves the AWS SDK crates, which no target runs, unoptimized, which is what
# keeps the instrumented build of every dependency shorter. scripts/test.sh (CI) runs this.
# A fixed seed (-seed=1): the smoke guards against regressions and gives CI the same
# mutations it gave the last local run; finding new bugs is the long runs' job (FUZZING.md).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-8}"
export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for target in $(cargo fuzz list); do
    # A scratch copy of the seeds: the smoke run adds to its corpus, the repository keeps its own.
    mkdir -p "$work/$target"
    cp -r "seeds/$target/." "$work/$target/"
    echo "fuzz smoke: $target (${seconds}s)" >&2
    if ! cargo fuzz run -s none "$target" "$work/$target" -- \
        -seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$work/$target.log" 2>&1; then
        tail -n 40 "$work/$target.log" >&2
        echo "fuzz smoke: $target FAILED (crash input above; reproduce with cargo fuzz run $target FILE)" >&2
        exit 1
    fi
    grep -E '^stat::number_of_executed_units' "$work/$target.log" >&2 || true
done
