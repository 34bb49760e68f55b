"""Validates rdsiam's `--format ocsf` output with py-ocsf-models (the OCSF models Prowler uses).

Reads a JSON array of findings on stdin. For each object: parse it as a Detection Finding,
dump the model and parse the dump again (round trip); the two models must be equal and the
fields rdsiam sets must survive unchanged. Prints one JSON line per finding with the values a
Rust test compares with the report (uid, class, severity, resource ARN and type, account,
region, remediation). Exits 1 with the reason on the first invalid finding.
"""
import json
import sys

from py_ocsf_models.events.findings.detection_finding import DetectionFinding


def main() -> int:
    findings = json.load(sys.stdin)
    if not isinstance(findings, list):
        print("expected a JSON array of findings", file=sys.stderr)
        return 1
    for index, raw in enumerate(findings):
        try:
            model = DetectionFinding.model_validate(raw)
        except Exception as err:  # pydantic's ValidationError names the field
            print(f"finding {index}: not a valid Detection Finding: {err}", file=sys.stderr)
            return 1
        dumped = model.model_dump(mode="json", exclude_none=True)
        again = DetectionFinding.model_validate(dumped)
        if again != model:
            print(f"finding {index}: changed in a round trip", file=sys.stderr)
            return 1
        for key in ("class_uid", "type_uid", "severity_id", "status_id", "activity_id", "time"):
            if dumped.get(key) != raw.get(key):
                print(f"finding {index}: {key} {raw.get(key)!r} became {dumped.get(key)!r}", file=sys.stderr)
                return 1
        resource = model.resources[0]
        cloud = model.cloud
        print(json.dumps({
            "uid": model.finding_info.uid,
            "title": model.finding_info.title,
            "class_uid": int(model.class_uid),
            "type_uid": int(model.type_uid),
            "severity_id": int(model.severity_id),
            "severity": model.severity,
            "status_code": model.status_code,
            "resource_uid": resource.uid,
            "resource_type": resource.type,
            "account": cloud.account.uid if cloud and cloud.account else None,
            "region": cloud.region if cloud else None,
            "remediation": model.remediation.desc if model.remediation else None,
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
