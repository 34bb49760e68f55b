//! OCSF 1.5 Detection Finding (class 2004), one object per finding in a JSON array, shaped
//! as Prowler emits them for AWS Security Hub and Amazon Security Lake: severity, status
//! (`New`, code `FAIL`), the resource's ARN and type, account and region (cloud profile),
//! remediation text and references, and the rdsiam fingerprint as `finding_info.uid` so a
//! platform deduplicates the same finding across runs.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::report::{Finding, Report, ResourceKind, Severity};
use crate::rules::lookup;

pub const OCSF_VERSION: &str = "1.5.0";
const CLASS_UID: u32 = 2004;
const ACTIVITY_CREATE: u32 = 1;

fn severity_id(severity: Severity) -> u8 {
    match severity {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

fn severity_caption(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "Informational",
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

/// The AWS resource type names Security Hub uses (`AwsIamRole`...).
fn resource_type(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Account => "AwsAccount",
        ResourceKind::IamUser => "AwsIamUser",
        ResourceKind::IamGroup => "AwsIamGroup",
        ResourceKind::IamRole => "AwsIamRole",
        ResourceKind::IamPolicy => "AwsIamPolicy",
        ResourceKind::OrgPolicy => "AwsOrganizationsPolicy",
        ResourceKind::DbInstance => "AwsRdsDbInstance",
        ResourceKind::DbCluster => "AwsRdsDbCluster",
        ResourceKind::DbProxy => "AwsRdsDbProxy",
        ResourceKind::ParameterGroup => "AwsRdsDbParameterGroup",
        // An accepted-risk entry of rdsiam.toml: not an AWS resource.
        ResourceKind::Exception => "Other",
    }
}

fn service(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Account | ResourceKind::OrgPolicy => "organizations",
        ResourceKind::IamUser
        | ResourceKind::IamGroup
        | ResourceKind::IamRole
        | ResourceKind::IamPolicy => "iam",
        ResourceKind::Exception => "rdsiam",
        _ => "rds",
    }
}

/// `arn:aws-cn:...` → `aws-cn`.
fn partition(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// Seconds since the epoch of an RFC 3339 time; 0 when it does not parse (never in practice:
/// the report writes it).
fn epoch_seconds(rfc3339: &str) -> u64 {
    humantime::parse_rfc3339_weak(rfc3339)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

/// The remediation text: the sentence, then the command(s) and SQL in full.
fn remediation_desc(finding: &Finding) -> String {
    let mut desc = finding.fix.summary.clone();
    for (label, text) in [("AWS CLI", &finding.fix.aws_cli), ("SQL", &finding.fix.sql)] {
        if let Some(text) = text {
            desc.push_str(&format!("\n{label}:\n{text}"));
        }
    }
    desc
}

pub fn finding(report: &Report, finding: &Finding) -> Value {
    let r = &finding.resource;
    let meta = lookup(&finding.rule);
    let time = epoch_seconds(&report.generated_at);
    let mut cloud = json!({ "provider": "aws" });
    if let Some(account) = &r.account {
        cloud["account"] = json!({
            "uid": account, "name": account, "type": "AWS Account", "type_id": 10,
        });
    }
    if let Some(region) = &r.region {
        cloud["region"] = json!(region);
    }
    if let Some(org) = &report.scope.organization_id {
        cloud["org"] = json!({ "uid": org });
    }
    let mut resource = json!({
        "uid": r.arn,
        "name": super::names::short_name(&r.arn),
        "type": resource_type(r.kind),
        "cloud_partition": partition(&r.arn),
        "group": { "name": service(r.kind) },
        "data": { "details": finding.message },
    });
    if let Some(region) = &r.region {
        resource["region"] = json!(region);
    }
    if let Some(user) = &r.db_user {
        resource["labels"] = json!([format!("db_user:{user}")]);
        resource["data"]["db_user"] = json!(user);
    }
    json!({
        "metadata": {
            "event_code": finding.rule,
            "product": {
                "name": "rdsiam", "uid": "rdsiam", "vendor_name": "rdsiam",
                "version": report.tool_version,
            },
            "profiles": ["cloud", "datetime"],
            "version": OCSF_VERSION,
        },
        "severity_id": severity_id(finding.severity),
        "severity": severity_caption(finding.severity),
        "status": "New",
        "status_id": 1,
        "status_code": "FAIL",
        "status_detail": finding.message,
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "finding_info": {
            "uid": finding.fingerprint,
            "title": finding.title,
            "desc": meta.map_or(finding.message.as_str(), |m| m.summary.as_str()),
            "created_time": time,
            "created_time_dt": report.generated_at,
            "types": [meta.map_or("rdsiam", |m| m.category.as_str())],
            "product_uid": "rdsiam",
        },
        "resources": [resource],
        "category_name": "Findings",
        "category_uid": 2,
        "class_name": "Detection Finding",
        "class_uid": CLASS_UID,
        "cloud": cloud,
        "remediation": {
            "desc": remediation_desc(finding),
            "references": meta.map(|m| m.references.clone()).unwrap_or_default(),
        },
        "risk_details": meta.map_or("", |m| m.risk.as_str()),
        "time": time,
        "time_dt": report.generated_at,
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Detection Finding: Create",
        "unmapped": {
            "evidence": finding.evidence,
            "fingerprint": finding.fingerprint,
        },
    })
}

/// Streams the array, one finding per line (an organization has ~100k findings).
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, f) in report.findings.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, &finding(report, f))?;
    }
    out.write_all(b"\n]\n")
}
