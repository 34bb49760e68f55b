#!/usr/bin/env bash
# Audit at scale (benches/RESULTS.md, "Audit at scale"): generates the 500-account
# organization if it is missing, runs `rdsiam audit --format json` on it under
# `/usr/bin/time -v` and prints wall time, CPU time, peak RSS and the load average.
#
#   benches/audit_scale.sh [SNAPSHOT] [RUNS]       # default /tmp/org.json.gz, 3 runs
#   BASELINE=old-report.json benches/audit_scale.sh # also check the report is unchanged
#
# With BASELINE, each run's report is compared byte for byte with the baseline report after
# replacing the run's own `generated_at` timestamp (which also appears in fix texts, e.g. the
# session-revocation date of assume-role-from-outside-org) by a placeholder in both.
# BIN overrides the binary (default target/release/rdsiam, built first). Each run writes a
# fresh report file. RDSIAM_PHASE_TIMES=1 in the environment adds per-phase times.
set -euo pipefail

cd "$(dirname "$0")/.."
snapshot=${1:-/tmp/org.json.gz}
runs=${2:-3}
out_dir=$(mktemp -d /tmp/rdsiam-audit-scale.XXXXXX)
trap 'rm -rf "$out_dir"' EXIT

if [[ ! -f $snapshot ]]; then
    cargo run --quiet --release --example gen_org -- --output "$snapshot"
fi
if [[ -z ${BIN:-} ]]; then
    cargo build --quiet --release --bin rdsiam
    BIN=target/release/rdsiam
fi

# The report with its generation time replaced, so two runs' reports can be compared.
normalized() {
    local report=$1
    local stamp
    stamp=$(head -c 4096 "$report" | sed -n 's/^  "generated_at": "\(.*\)",$/\1/p')
    sed "s/${stamp}/<generated_at>/g" "$report"
}

if [[ -n ${BASELINE:-} ]]; then
    normalized "$BASELINE" | sha256sum | cut -d' ' -f1 > "$out_dir/baseline.sha"
fi

printf '%-4s %8s %8s %8s %10s  %s\n' run wall user sys 'rss(MiB)' 'load average (1/5/15 min)'
for run in $(seq 1 "$runs"); do
    # Each run writes a new file: replacing the previous run's 114 MB report makes the
    # atomic rename free its blocks (ext4, ~65 ms), which is not the audit's work.
    rm -f "$out_dir/report.json"
    sync
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    status=0
    /usr/bin/time -v "$BIN" audit --snapshot "$snapshot" --format json \
        --output "$out_dir/report.json" 2> "$out_dir/time.txt" || status=$?
    # Exit 1 means findings at or above --fail-on (expected here); 2 is an error.
    if [[ $status -gt 1 ]]; then
        cat "$out_dir/time.txt" >&2
        exit "$status"
    fi
    field() { sed -n "s/^\s*$1: //p" "$out_dir/time.txt"; }
    rss_kb=$(field 'Maximum resident set size (kbytes)')
    printf '%-4s %8s %8s %8s %10s  %s\n' "$run" \
        "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)')" \
        "$(field 'User time (seconds)')" "$(field 'System time (seconds)')" \
        "$((rss_kb / 1024))" "$load"
    if [[ -n ${BASELINE:-} ]]; then
        if [[ $(normalized "$out_dir/report.json" | sha256sum | cut -d' ' -f1) == "$(cat "$out_dir/baseline.sha")" ]]; then
            echo "     report identical to $BASELINE (generated_at aside)"
        else
            echo "     REPORT DIFFERS from $BASELINE" >&2
            cp "$out_dir/report.json" "${BASELINE%.json}.differing.json"
            exit 1
        fi
    fi
done
