#!/usr/bin/env bash
# Policy engine benchmark and its peer, in one run (benches/RESULTS.md "Policy engine").
# rdsiam: criterion, `cargo bench --bench policy_eval`; peer: @cloud-copilot/iam-simulate on
# the same request (benches/data/realistic-role.json). Needs tests/oracle/node_modules
# (scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)  cores: $(nproc)"
cargo bench --bench policy_eval 2>&1 | grep -E "^rds-db|time:|thrpt:"
node benches/peer_iam_simulate.mjs "${PEER_SECONDS:-10}"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
