#!/usr/bin/env bash
# The weekly compliance job at scale, A/B interleaved: the same rdsiam binary audits the same
# snapshot N rounds, alternately without configuration (A: --no-config) and with a large
# configuration and baseline (B: --config CONFIG --baseline BASELINE), each run writing a fresh
# JSON report; prints wall, user, system time and peak RSS per run, then the medians.
# (benches/RESULTS.md, "The weekly compliance job at scale"; inputs from gen_config_scale.py.)
#
#   benches/config_ab.sh N BINARY SNAPSHOT CONFIG BASELINE
set -euo pipefail

rounds=$1 binary=$2 snapshot=$3 config=$4 baseline=$5
out_dir=$(mktemp -d /tmp/rdsiam-config-ab.XXXXXX)
trap 'rm -rf "$out_dir"' EXIT

run() {
    local label=$1
    shift
    rm -f "$out_dir/report.json"
    local status=0
    /usr/bin/time -f "%e %U %S %M" "$binary" audit --snapshot "$snapshot" --format json \
        --output "$out_dir/report.json" "$@" 2> "$out_dir/time.txt" >/dev/null || status=$?
    # Exit 1 means findings at or above --fail-on (expected here); 2 is an error.
    if [[ $status -gt 1 ]]; then
        cat "$out_dir/time.txt" >&2
        exit "$status"
    fi
    read -r wall user sys rss < <(tail -1 "$out_dir/time.txt")
    echo "round $round  $label  $wall s wall  $user s user  $sys s sys  $rss KB peak"
    echo "$wall" >> "$out_dir/$label.walls"
}

for round in $(seq 1 "$rounds"); do
    run A --no-config
    run B --config "$config" --baseline "$baseline"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
a=$(median "$out_dir/A.walls")
b=$(median "$out_dir/B.walls")
awk -v a="$a" -v b="$b" 'BEGIN {printf "median wall: A %.2f s, B %.2f s, added %.1f %%\n", a, b, (b - a) / a * 100}'
