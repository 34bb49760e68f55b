//! SARIF 2.1.0: the rule catalogue as `tool.driver.rules`, one result per finding with its
//! fingerprint and a logical location per AWS resource (findings have ARNs, not files).

use serde_json::{Value, json};

use crate::report::{Finding, Report, Severity};
use crate::rules::{RuleMeta, catalogue};

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning reads `security-severity` (0.0–10.0) to rank results.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn rule(meta: &RuleMeta) -> Value {
    let help = format!(
        "{}\n\nWhy it matters: {}\n\nFix: {}\n\nReferences:\n{}",
        meta.summary,
        meta.risk,
        meta.fix.summary,
        meta.references
            .iter()
            .map(|r| format!("- {r}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    json!({
        "id": meta.id,
        "name": meta.id,
        "shortDescription": { "text": meta.title },
        "fullDescription": { "text": meta.summary },
        "help": { "text": help, "markdown": help },
        "defaultConfiguration": { "level": level(meta.severity) },
        "properties": {
            "tags": ["security", meta.category.as_str()],
            "security-severity": security_severity(meta.severity),
            "precision": "high",
        },
    })
}

fn result(finding: &Finding, rule_index: Option<usize>) -> Value {
    let r = &finding.resource;
    let mut text = finding.message.clone();
    if !finding.fix.summary.is_empty() {
        text.push_str(" Fix: ");
        text.push_str(&finding.fix.summary);
    }
    let mut result = json!({
        "ruleId": finding.rule,
        "level": level(finding.severity),
        "message": { "text": text },
        "partialFingerprints": { "rdsiamFingerprint/v1": finding.fingerprint },
        "locations": [{
            "logicalLocations": [{
                "fullyQualifiedName": r.arn,
                "name": r.db_user.as_deref().unwrap_or(super::names::short_name(&r.arn)),
                "kind": r.kind.as_str(),
            }],
        }],
        "properties": {
            "severity": finding.severity.as_str(),
            "account": r.account,
            "region": r.region,
            "dbUser": r.db_user,
            "evidence": finding.evidence,
            "fix": finding.fix,
        },
    });
    if let (Some(index), Some(obj)) = (rule_index, result.as_object_mut()) {
        obj.insert("ruleIndex".to_owned(), json!(index));
    }
    // An accepted risk (rdsiam.toml [[exceptions]]): SARIF's own suppression, which
    // code-scanning dashboards show as dismissed.
    if let (Some(e), Some(obj)) = (&finding.exception, result.as_object_mut()) {
        obj.insert(
            "suppressions".to_owned(),
            json!([{
                "kind": "external",
                "status": "accepted",
                "justification": format!("{} (owner {}, until {}; {})", e.reason, e.owner, e.expires, e.source),
            }]),
        );
    }
    result
}

pub fn render(report: &Report) -> String {
    let rules = catalogue();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, rules.iter().position(|r| r.id == f.rule)))
        .collect();
    let notifications: Vec<Value> = report
        .coverage
        .iter()
        .map(|gap| {
            json!({
                "level": "warning",
                "message": { "text": format!(
                    "coverage gap: {} {} {}: {} {}",
                    gap.account.as_deref().unwrap_or("-"),
                    gap.region.as_deref().unwrap_or("-"),
                    gap.source, gap.error_code, gap.message) },
            })
        })
        .chain(report.not_evaluated.iter().map(|skipped| {
            json!({
                "level": "note",
                "descriptor": { "id": skipped.rule },
                "message": { "text": format!(
                    "not evaluated for {} {}: {}",
                    skipped.account.as_deref().unwrap_or("-"),
                    skipped.region.as_deref().unwrap_or("-"),
                    skipped.reason) },
            })
        }))
        .collect();
    let sarif = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "rdsiam",
                "version": report.tool_version,
                "informationUri": "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html",
                "rules": rules.iter().map(rule).collect::<Vec<_>>(),
            }},
            "invocations": [{
                "executionSuccessful": true,
                "endTimeUtc": report.generated_at,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    text.push('\n');
    text
}
