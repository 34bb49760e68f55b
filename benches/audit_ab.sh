#!/usr/bin/env bash
# Audit at scale, A/B: runs several rdsiam binaries in turn, N rounds, on the same snapshot,
# each run writing a fresh JSON report, and prints wall, user and system time and peak RSS.
# On a machine whose speed drifts (a shared VM with CPU steal), only binaries measured in
# the same minutes can be compared (benches/RESULTS.md, "Audit at scale").
#
#   benches/audit_ab.sh N BINARY... [-- SNAPSHOT]     # default snapshot /tmp/org.json.gz
set -euo pipefail

# shellcheck source=benches/ab_args.sh
source "$(dirname "$0")/ab_args.sh"
out_dir=$(mktemp -d /tmp/rdsiam-audit-ab.XXXXXX)
trap 'rm -rf "$out_dir"' EXIT

for round in $(seq 1 "$rounds"); do
    for binary in "${binaries[@]}"; do
        rm -f "$out_dir/report.json"
        status=0
        /usr/bin/time -f "round $round  $binary  %e s wall  %U s user  %S s sys  %M KB peak" \
            "$binary" audit --snapshot "$snapshot" --format json --output "$out_dir/report.json" \
            2> "$out_dir/time.txt" >/dev/null || status=$?
        # Exit 1 means findings at or above --fail-on (expected here); 2 is an error.
        if [[ $status -gt 1 ]]; then
            cat "$out_dir/time.txt" >&2
            exit "$status"
        fi
        grep '^round' "$out_dir/time.txt"
    done
done
