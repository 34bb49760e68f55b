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

# The differential test's oracle (tests/oracle, an AGPL npm package used only at test time).
# `npm ci` installs exactly package-lock.json; re-run when the lock file is newer than the install.
ensure_oracle() {
    command -v node >/dev/null || { echo "node is required by the differential test (tests/oracle): install Node.js 20+" >&2; exit 1; }
    command -v npm >/dev/null || { echo "npm is required by the differential test (tests/oracle): install Node.js 20+ with npm" >&2; exit 1; }
    local stamp=tests/oracle/node_modules/.package-lock.json
    if [[ ! -f "$stamp" || tests/oracle/package-lock.json -nt "$stamp" ]]; then
        npm ci --prefix tests/oracle --no-audit --no-fund
    fi
}

log "toolchain"
ensure_rust_components

log "differential-test oracle"
ensure_oracle

log "format and lints"
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings

log "tests"
cargo test --locked --all-targets
cargo test --locked --doc
