#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs them.
# README: `scripts/test.sh`. CI (.ci/run) calls exactly this.
#
# Each `ensure_*` step is idempotent and fails loudly: a test that cannot get its server
# must fail with a message, never skip silently.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says when it started (seconds into the run) and the disk left: CI machines have
# a time limit and a disk of their own (debug test binaries once filled one).
log() {
    printf '\n==> [%ds, %s free] %s\n' "$SECONDS" "$(df -h --output=avail . | tail -n 1 | tr -d ' ')" "$*" >&2
}

ensure_rust_components() {
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
}

# apt-get update runs at most once per script run, and only when something is missing.
APT_UPDATED=
apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: need to install $* but not running as root" >&2
        return 1
    fi
    if [ -z "$APT_UPDATED" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# The PostgreSQL harness (tests/support/pg_harness.rs) runs the server as the postgres OS
# user via runuser and writes /etc/pam.d: it needs root.
ensure_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: the PostgreSQL harness tests need root (runuser, /etc/pam.d)" >&2
        return 1
    fi
}

# Headers for the harness's PAM module, compiled at test time with cc.
ensure_pam_headers() {
    command -v cc >/dev/null || apt_install gcc libc6-dev
    [ -f /usr/include/security/pam_modules.h ] || apt_install libpam0g-dev
}

# GNU time: tests/hostile_pg.rs measures the peak RSS of the doctor under hostile servers.
ensure_gnu_time() {
    [ -x /usr/bin/time ] || apt_install time
}

ensure_postgresql() {
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
        apt_install postgresql
    fi
    id postgres >/dev/null 2>&1 || { echo "error: no postgres OS user after installing postgresql" >&2; return 1; }
    command -v openssl >/dev/null || apt_install openssl
    # The token verifier runs under the system python3 as the postgres user (stdlib only).
    [ -x /usr/bin/python3 ] || apt_install python3
}

# libfaketime: tests/config_cli.rs audits one snapshot under two system clocks.
ensure_faketime() {
    command -v faketime >/dev/null || apt_install faketime
}

# <repo>/.venv with tests/support/requirements.txt (botocore signs the harness's tokens).
# Reinstalls when the requirements file changes: extend the file, not this function.
ensure_python_venv() {
    local req=tests/support/requirements.txt stamp=.venv/.rdsiam-requirements
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv || {
            echo "error: python3 -m venv failed (Debian: apt-get install -y python3-venv)" >&2
            return 1
        }
    fi
    if ! cmp -s "$req" "$stamp"; then
        .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
        cp "$req" "$stamp"
    fi
}

# moto (AWS API emulator) for tests/collect_aws.rs, from requirements.txt via ensure_python_venv.
ensure_moto() {
    if [ ! -x .venv/bin/moto_server ]; then
        echo "error: .venv/bin/moto_server is missing after installing tests/support/requirements.txt" >&2
        return 1
    fi
}

# The differential test's oracle (tests/oracle: an AGPL npm package used only at test time,
# never shipped). `npm ci` installs exactly package-lock.json; it re-runs when the lock file is
# newer than the install.
ensure_oracle() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "error: the differential test (tests/oracle) needs node and npm (Node.js 20+)" >&2
        return 1
    fi
    local stamp=tests/oracle/node_modules/.package-lock.json
    if [ ! -f "$stamp" ] || [ tests/oracle/package-lock.json -nt "$stamp" ]; then
        npm ci --prefix tests/oracle --no-audit --no-fund
    fi
}

# Supply-chain checks (deny.toml). From crates.io, built once per machine (~4 min on 2 cores).
ensure_cargo_deny() {
    command -v cargo-deny >/dev/null || cargo install --locked cargo-deny
}

# cargo-fuzz for the fuzz smoke (scripts/fuzz_smoke.sh, FUZZING.md), pinned: its build flags
# are part of what the smoke measures. From crates.io, built once per machine.
CARGO_FUZZ_VERSION=0.13.2
ensure_cargo_fuzz() {
    if ! cargo fuzz --version 2>/dev/null | grep -qF "cargo-fuzz $CARGO_FUZZ_VERSION"; then
        cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
    fi
}

# Headless Chromium for the HTML report test (tests/html_report.rs: screenshot, DOM checks).
ensure_chromium() {
    command -v chromium >/dev/null || apt_install chromium
}

log "toolchain"
ensure_rust_components

log "test prerequisites (PostgreSQL harness, Python venv with moto, differential-test oracle)"
ensure_root
ensure_pam_headers
ensure_gnu_time
ensure_postgresql
ensure_python_venv
ensure_moto
ensure_oracle
ensure_faketime
ensure_chromium

log "format and lints"
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings

log "tests"
cargo test --locked --all-targets
cargo test --locked --doc

log "supply chain (cargo deny: licences, bans, sources; deny.toml)"
ensure_cargo_deny
cargo deny --locked check licenses bans sources

log "fuzz smoke (every cargo-fuzz target a few seconds from its seeds; FUZZING.md)"
ensure_cargo_fuzz
scripts/fuzz_smoke.sh

log "done"
