#!/usr/bin/env bash
# CloudTrail scan benchmark: rdsiam vs DuckDB (read_json_objects + from_json + unnest) vs zcat,
# on a generated CloudTrail tree (default 2 GB uncompressed, seed 1). Prints one line per run
# and a summary; checks that rdsiam and DuckDB return identical rows (and rdsiam = ground truth).
#
#   benches/cloudtrail_scan.sh [SIZE=2GB] [DATA_DIR=/tmp/rdsiam-bench-ct-SIZE] [RUNS=3]
#
# Needs python3 (DuckDB is pip-installed into the repo's gitignored .venv) and GNU time.
# Figures are wall-clock on this machine: run it on an idle machine, or say that it was not.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${1:-2GB}
DATA=${2:-/tmp/rdsiam-bench-ct-$SIZE}
RUNS=${3:-3}
THREADS=$(nproc)
DUCKDB_VERSION=2.0.0

log() { printf '==> %s\n' "$*" >&2; }

log "build (release)"
cargo build --release --locked --bin rdsiam --example gen_cloudtrail

if [ ! -f "$DATA/.complete" ]; then
    log "generate $SIZE into $DATA"
    rm -rf "$DATA" && mkdir -p "$DATA"
    target/release/examples/gen_cloudtrail --out "$DATA/trail" --size "$SIZE" --seed 1 \
        --expected "$DATA/expected.json" > "$DATA/roles.txt"
    touch "$DATA/.complete"
fi
mapfile -t ROLES < "$DATA/roles.txt"
ROLE_ARGS=()
for r in "${ROLES[@]}"; do ROLE_ARGS+=(--role "$r"); done

if ! .venv/bin/python -c "import duckdb; assert duckdb.__version__ == '$DUCKDB_VERSION'" 2>/dev/null; then
    log "install duckdb $DUCKDB_VERSION into .venv"
    python3 -m venv .venv
    .venv/bin/pip install -q "duckdb==$DUCKDB_VERSION"
fi

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

log "warm the page cache"
find "$DATA/trail" -name '*.json.gz' -print0 | xargs -0 cat > /dev/null

# measure NAME CMD...: runs CMD under /usr/bin/time -v, appends "NAME wall user sys rss_kb".
measure() {
    local name=$1; shift
    /usr/bin/time -v -o "$OUT/time.txt" "$@"
    awk -v name="$name" '
        /Elapsed \(wall clock\)/ { n = split($NF, t, ":"); wall = (n == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
        /User time \(seconds\)/ { user = $NF }
        /System time \(seconds\)/ { sys = $NF }
        /Maximum resident set size/ { rss = $NF }
        END { printf "%s %.2f %.2f %.2f %d\n", name, wall, user, sys, rss }
    ' "$OUT/time.txt" | tee -a "$OUT/runs.txt"
}

log "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq "$RUNS"); do
    log "run $run/$RUNS"
    measure zcat sh -c "find '$DATA/trail' -name '*.json.gz' -print0 | xargs -0 zcat > /dev/null"
    measure "zcat-x$THREADS" sh -c "find '$DATA/trail' -name '*.json.gz' -print0 | xargs -0 -P$THREADS -n 32 zcat > /dev/null"
    measure rdsiam target/release/rdsiam activity "${ROLE_ARGS[@]}" --cloudtrail-dir "$DATA/trail" \
        --format json --output "$OUT/rdsiam.json"
    measure duckdb .venv/bin/python benches/cloudtrail_duckdb.py query "$DATA/trail" "$THREADS" \
        "$OUT/duckdb.json" "${ROLES[@]}"
done
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

BYTES=$(.venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['scan']['bytes_uncompressed'])" "$OUT/rdsiam.json")
echo
echo "uncompressed bytes: $BYTES ($(find "$DATA/trail" -name '*.json.gz' | wc -l) files, $(du -sb "$DATA/trail" | cut -f1) bytes gzip'd); best of $RUNS runs by wall time"
printf '%-10s %8s %10s %8s %14s %10s\n' tool wall_s MB/s cpu_s MB/s/cpu-s peak_RSS_MB
sort -k1,1 -k2,2n "$OUT/runs.txt" | awk -v bytes="$BYTES" '
    !seen[$1]++ {
        cpu = $3 + $4
        printf "%-10s %8.2f %10.0f %8.2f %14.0f %10.1f\n", $1, $2, bytes / 1e6 / $2, cpu, bytes / 1e6 / cpu, $5 / 1024
    }'
echo
echo "rows, rdsiam vs DuckDB:"
.venv/bin/python benches/cloudtrail_duckdb.py compare "$OUT/rdsiam.json" "$OUT/duckdb.json"
echo "rows, rdsiam vs generator ground truth:"
.venv/bin/python - "$OUT/rdsiam.json" "$DATA/expected.json" <<'EOF'
import json, sys
ours = json.load(open(sys.argv[1]))["events"]
truth = json.load(open(sys.argv[2]))
print("IDENTICAL" if ours == truth else "DIFFERENT", f"({len(ours)} vs {len(truth)} events)")
sys.exit(0 if ours == truth else 1)
EOF
