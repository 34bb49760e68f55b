#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs them.
# README: `scripts/test.sh`. CI (.ci/run) calls exactly this.
#
# Each `ensure_*` step is idempotent and fails loudly: a test that cannot get its server
# must fail with a message, never skip silently.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*" >&2; }

ensure_rust_components() {
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
}

log "toolchain"
ensure_rust_components

log "format and lints"
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings

log "tests"
cargo test --locked --all-targets
cargo test --locked --doc
