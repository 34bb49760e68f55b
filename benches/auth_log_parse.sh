#!/usr/bin/env bash
# Parsing throughput of iam-db-auth-error lines: rdsiam's parser (criterion) and the peer, a
# Python `re` parser, over the same 100,000 lines, interleaved A/B/A/B in the same minutes.
# Run from the repository root: benches/auth_log_parse.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p benches/data
LINES=benches/data/auth-log-lines.txt
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
"$PY" benches/auth_log_lines.py write "$LINES" 100000
for round in 1 2; do
    echo "== round $round: rdsiam"
    nice -n 10 taskset -c 0 cargo bench --bench auth_log_parse -- --warm-up-time 1 --measurement-time 5 2>&1 |
        grep -E "^auth_log/|thrpt" || true
    echo "== round $round: peer"
    nice -n 10 taskset -c 0 "$PY" benches/auth_log_lines.py peer "$LINES"
done
