# Sourced by the A/B benches (audit_ab.sh, report_formats.sh): parses `N BINARY... [-- SNAPSHOT]`
# into `rounds`, `binaries` and `snapshot` (default /tmp/org.json.gz).
rounds=$1
shift
binaries=()
snapshot=/tmp/org.json.gz
while [[ $# -gt 0 ]]; do
    if [[ $1 == -- ]]; then
        snapshot=$2
        break
    fi
    binaries+=("$1")
    shift
done
