#!/usr/bin/env bash
# Report formats at scale, A/B: for each round, each format and each binary in turn (so
# both sides share the same minutes of a noisy machine), `rdsiam audit --snapshot SNAPSHOT
# --output report.EXT` under /usr/bin/time; then the time headless Chromium takes to open
# each binary's HTML report and finish a screenshot (the flags of tests/html_report.rs).
#
#   benches/report_formats.sh N BINARY... [-- SNAPSHOT]   # default snapshot /tmp/org.json.gz
set -euo pipefail

# shellcheck source=benches/ab_args.sh
source "$(dirname "$0")/ab_args.sh"
out_dir=$(mktemp -d /tmp/rdsiam-formats.XXXXXX)
trap 'rm -rf "$out_dir"' EXIT

for round in $(seq 1 "$rounds"); do
    for ext in json csv ocsf.json html md; do
        for i in "${!binaries[@]}"; do
            binary=${binaries[$i]}
            file="$out_dir/$i.$ext"
            rm -f "$file"
            status=0
            /usr/bin/time -f "round $round  $ext  $binary  %e s wall  %U s user  %M KB peak" \
                "$binary" audit --snapshot "$snapshot" --output "$file" \
                2> "$out_dir/time.txt" >/dev/null || status=$?
            # Exit 1 means findings at or above --fail-on (expected here); 2 is an error.
            if [[ $status -gt 1 ]]; then
                cat "$out_dir/time.txt" >&2
                exit "$status"
            fi
            echo "$(grep '^round' "$out_dir/time.txt")  $(stat -c %s "$file") bytes"
        done
    done
    for i in "${!binaries[@]}"; do
        profile=$(mktemp -d)
        /usr/bin/time -f "round $round  chromium screenshot  ${binaries[$i]}  %e s wall  %M KB peak" \
            chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
            --disable-background-networking --disable-component-update --disable-sync \
            --hide-scrollbars --user-data-dir="$profile" --window-size=1280,2200 \
            --virtual-time-budget=5000 --screenshot="$out_dir/$i.png" "file://$out_dir/$i.html" \
            > /dev/null 2> "$out_dir/time.txt"
        grep '^round' "$out_dir/time.txt"
        rm -rf "$profile"
    done
done
