//! OCSF 1.5 Detection Finding (class 2004), one object per finding in a JSON array, shaped
//! as Prowler emits them for AWS Security Hub and Amazon Security Lake: severity, status
//! (`New`, code `FAIL`), the resource's ARN and type, account and region (cloud profile),
//! remediation text and references, and the rdsiam fingerprint as `finding_info.uid` so a
//! platform deduplicates the same finding across runs.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use crate::report::{Evidence, Finding, Report, ResourceKind, Severity};
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
            desc.push('\n');
            desc.push_str(label);
            desc.push_str(":\n");
            desc.push_str(text);
        }
    }
    desc
}

// The object below is written by serde from borrowed structs, field for field in the order
// the format has always had (insertion order, `preserve_order`): an organization has ~65,000
// findings, and a `serde_json::Value` tree per finding (every string copied, every key a map
// entry) made OCSF cost twice the audit's JSON report (benches/RESULTS.md).

/// What every finding of one report shares: computed once, not per finding.
struct Shared<'a> {
    time: u64,
    generated_at: &'a str,
    product: Product<'a>,
    org: Option<Uid<'a>>,
}

#[derive(Serialize)]
struct Product<'a> {
    name: &'static str,
    uid: &'static str,
    vendor_name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct Uid<'a> {
    uid: &'a str,
}

#[derive(Serialize)]
struct Metadata<'a> {
    event_code: &'a str,
    product: &'a Product<'a>,
    profiles: [&'static str; 2],
    version: &'static str,
}

#[derive(Serialize)]
struct FindingInfo<'a> {
    uid: &'a str,
    title: &'a str,
    desc: &'a str,
    created_time: u64,
    created_time_dt: &'a str,
    types: [&'a str; 1],
    product_uid: &'static str,
}

#[derive(Serialize)]
struct Group {
    name: &'static str,
}

#[derive(Serialize)]
struct ResourceData<'a> {
    details: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    db_user: Option<&'a str>,
}

#[derive(Serialize)]
struct OcsfResource<'a> {
    uid: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    cloud_partition: &'a str,
    group: Group,
    data: ResourceData<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<[String; 1]>,
}

#[derive(Serialize)]
struct Account<'a> {
    uid: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    type_id: u32,
}

#[derive(Serialize)]
struct Cloud<'a> {
    provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<Account<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    org: Option<&'a Uid<'a>>,
}

#[derive(Serialize)]
struct Remediation<'a> {
    desc: String,
    references: &'a [String],
}

#[derive(Serialize)]
struct Unmapped<'a> {
    evidence: &'a [Evidence],
    fingerprint: &'a str,
}

#[derive(Serialize)]
struct DetectionFinding<'a> {
    metadata: Metadata<'a>,
    severity_id: u8,
    severity: &'static str,
    status: &'static str,
    status_id: u32,
    status_code: &'static str,
    status_detail: &'a str,
    activity_id: u32,
    activity_name: &'static str,
    finding_info: FindingInfo<'a>,
    resources: [OcsfResource<'a>; 1],
    category_name: &'static str,
    category_uid: u32,
    class_name: &'static str,
    class_uid: u32,
    cloud: Cloud<'a>,
    remediation: Remediation<'a>,
    risk_details: &'a str,
    time: u64,
    time_dt: &'a str,
    type_uid: u32,
    type_name: &'static str,
    unmapped: Unmapped<'a>,
}

impl<'a> Shared<'a> {
    fn of(report: &'a Report) -> Shared<'a> {
        Shared {
            time: epoch_seconds(&report.generated_at),
            generated_at: &report.generated_at,
            product: Product {
                name: "rdsiam",
                uid: "rdsiam",
                vendor_name: "rdsiam",
                version: &report.tool_version,
            },
            org: report
                .scope
                .organization_id
                .as_deref()
                .map(|uid| Uid { uid }),
        }
    }
}

fn detection<'a>(shared: &'a Shared<'a>, finding: &'a Finding) -> DetectionFinding<'a> {
    let r = &finding.resource;
    let meta = lookup(&finding.rule);
    DetectionFinding {
        metadata: Metadata {
            event_code: &finding.rule,
            product: &shared.product,
            profiles: ["cloud", "datetime"],
            version: OCSF_VERSION,
        },
        severity_id: severity_id(finding.severity),
        severity: severity_caption(finding.severity),
        status: "New",
        status_id: 1,
        status_code: "FAIL",
        status_detail: &finding.message,
        activity_id: ACTIVITY_CREATE,
        activity_name: "Create",
        finding_info: FindingInfo {
            uid: &finding.fingerprint,
            title: &finding.title,
            desc: meta.map_or(finding.message.as_str(), |m| m.summary.as_str()),
            created_time: shared.time,
            created_time_dt: shared.generated_at,
            types: [meta.map_or("rdsiam", |m| m.category.as_str())],
            product_uid: "rdsiam",
        },
        resources: [OcsfResource {
            uid: &r.arn,
            name: super::names::short_name(&r.arn),
            kind: resource_type(r.kind),
            cloud_partition: partition(&r.arn),
            group: Group {
                name: service(r.kind),
            },
            data: ResourceData {
                details: &finding.message,
                db_user: r.db_user.as_deref(),
            },
            region: r.region.as_deref(),
            labels: r.db_user.as_ref().map(|user| [format!("db_user:{user}")]),
        }],
        category_name: "Findings",
        category_uid: 2,
        class_name: "Detection Finding",
        class_uid: CLASS_UID,
        cloud: Cloud {
            provider: "aws",
            account: r.account.as_deref().map(|account| Account {
                uid: account,
                name: account,
                kind: "AWS Account",
                type_id: 10,
            }),
            region: r.region.as_deref(),
            org: shared.org.as_ref(),
        },
        remediation: Remediation {
            desc: remediation_desc(finding),
            references: meta.map_or(&[][..], |m| m.references.as_slice()),
        },
        risk_details: meta.map_or("", |m| m.risk.as_str()),
        time: shared.time,
        time_dt: shared.generated_at,
        type_uid: CLASS_UID * 100 + ACTIVITY_CREATE,
        type_name: "Detection Finding: Create",
        unmapped: Unmapped {
            evidence: &finding.evidence,
            fingerprint: &finding.fingerprint,
        },
    }
}

/// One finding as an OCSF object (tests and callers that want a value; [`write`] streams).
pub fn finding(report: &Report, finding: &Finding) -> Value {
    let shared = Shared::of(report);
    serde_json::to_value(detection(&shared, finding)).unwrap_or(Value::Null)
}

/// Streams the array, one finding per line (an organization has ~65,000 findings).
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let shared = Shared::of(report);
    out.write_all(b"[")?;
    for (i, f) in report.findings.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, &detection(&shared, f))?;
    }
    out.write_all(b"\n]\n")
}
