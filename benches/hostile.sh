#!/usr/bin/env bash
# Hostile input and servers: wall time and peak RSS (/usr/bin/time) of each hostile case of
# issue #17, for one or more rdsiam binaries run in turn (A/B in the same minutes). Every run
# is under `timeout` (default 20 s): a case that hangs shows as exit 124 at the timeout.
#
#   cargo build --release && cargo build --release --example fake_pg
#   benches/hostile.sh target/release/rdsiam [OLD_BINARY...]
#
# Cases that need gigabytes on the old code (gzip bomb, --input /dev/zero, endless DataRows)
# run on the first binary only unless HOSTILE_ALL=1.
set -uo pipefail

binaries=("$@")
limit=${HOSTILE_TIMEOUT:-20}
fake=${FAKE_PG:-target/release/examples/fake_pg}
work=$(mktemp -d /tmp/rdsiam-hostile.XXXXXX)
fakes=()
cleanup() {
    for pid in "${fakes[@]}"; do kill "$pid" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

printf '%-34s %-40s %5s %8s %9s\n' case binary exit "wall s" "peak MB"
measure() { # measure LABEL FIRST_ONLY ARGS...
    local label=$1 first_only=$2
    shift 2
    local index=0
    for binary in "${binaries[@]}"; do
        if [[ $first_only == 1 && $index -gt 0 && ${HOSTILE_ALL:-0} != 1 ]]; then
            continue
        fi
        index=$((index + 1))
        local status=0
        /usr/bin/time -f '%e %M' -o "$work/time" timeout "$limit" "$binary" "$@" \
            >"$work/out" 2>"$work/err" </dev/null || status=$?
        read -r wall kb < <(tail -1 "$work/time")
        printf '%-34s %-40s %5s %8s %9.1f\n' "$label" "$binary" "$status" "$wall" "$(echo "$kb / 1024" | bc -l)"
    done
}

# --- Policy matching (simulate) ---------------------------------------------------------
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def request(resource, patterns, name):
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": patterns}]}
    json.dump({"principal": "arn:aws:iam::111122223333:role/app", "action": "s3:GetObject",
               "resource": resource, "identity_policies": [doc]}, open(f"{work}/{name}.json", "w"))
# A 12 KB ARN with 6,000 colons against patterns whose stars end their segments.
colons = "arn:aws:s3:::" + "a:" * 6000 + "z"
request(colons, ["arn:aws:s3:::" + "a*:" * 2000 + "y", "arn:aws:s3:::*:" * 300 + "y"], "colons")
# An ARN with 200 colons against a crossing star followed by more segments.
request("arn:aws:s3:::" + "a:" * 200 + "z", ["arn:aws:s3:::*:a:y"], "colons200")
# 100,000 unterminated `${`.
request("arn:aws:s3:::b/x", ["arn:aws:s3:::b/" + "${" * 100000], "dollar")
PY
measure "simulate: 12 KB ARN, 6k colons" 0 simulate --input "$work/colons.json"
measure "simulate: ARN with 200 colons" 0 simulate --input "$work/colons200.json"
measure "simulate: 100k unterminated \${" 0 simulate --input "$work/dollar.json"

# --- Input files ------------------------------------------------------------------------
measure "simulate --input /dev/zero" 1 simulate --input /dev/zero
head -c $((5 * 1024 * 1024 * 1024)) /dev/zero | gzip -1 >"$work/bomb.json.gz"
measure "audit: 5 GB gzip bomb ($(du -m "$work/bomb.json.gz" | cut -f1) MB)" 1 audit --snapshot "$work/bomb.json.gz" --format json

mkdir -p "$work/trail"
mkfifo "$work/trail/stuck.json"
measure "activity: FIFO named *.json" 0 activity --cloudtrail-dir "$work/trail" --role arn:aws:iam::111122223333:role/r

# --- Hostile PostgreSQL servers (doctor) ------------------------------------------------
token() { # a syntactically valid, fresh RDS token for port $1 (never sent anywhere real)
    "${binaries[0]}" token generate --host mydb.abc123xyz.us-east-1.rds.amazonaws.com \
        --port "$1" --user app --region us-east-1 2>/dev/null
}
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
for script in silent-after-s close-after-s trickle oversized-length mid-message-close \
    flood-notices silent-after-password flood-rows; do
    "$fake" "$script" >"$work/fake-$script" &
    fakes+=($!)
    for _ in $(seq 50); do [[ -s $work/fake-$script ]] && break; sleep 0.1; done
    read -r port ca <"$work/fake-$script"
    [[ $script == silent-after-s ]] && silent_port=$port
    RDSIAM_TOKEN=$(token "$port") || { echo "cannot make a token" >&2; exit 2; }
    export RDSIAM_TOKEN
    first_only=0
    [[ $script == flood-rows ]] && first_only=1
    measure "doctor: $script" "$first_only" doctor --format json --host mydb.abc123xyz.us-east-1.rds.amazonaws.com \
        --hostaddr 127.0.0.1 --port "$port" --user app --dbname postgres --sslmode verify-full \
        --sslrootcert "$ca" --token-env RDSIAM_TOKEN --connect-timeout 1s
done
measure "doctor: --sslrootcert /dev/zero" 1 doctor --format json --host mydb.abc123xyz.us-east-1.rds.amazonaws.com \
    --hostaddr 127.0.0.1 --port "$silent_port" --user app --sslmode verify-full --sslrootcert /dev/zero \
    --token-env RDSIAM_TOKEN --connect-timeout 1s
