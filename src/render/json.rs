//! The JSON compliance report, version 1. Serialized through the frozen `V1*` DTOs below, not
//! the internal types: internal refactors must not change this output. Its shape is
//! `schemas/report-v1.schema.json`; changing it means a new schema version.

use std::collections::BTreeMap;

use serde::Serialize;

use super::pretty_parallel;

use crate::inventory::Gap;
use crate::report::{AccessEntry, Exception, Finding, NotEvaluated, Report, TimeSource};

pub const SCHEMA_VERSION: u32 = 1;
/// Additive revisions of version 1 (fields a v1 reader may ignore). 1: `evaluated_at`,
/// `shaped_by`, `resolved`, the summary's `excepted`/`new`/`unchanged`/`resolved`, and each
/// finding's `excepted`, `exception` and `status`.
pub const SCHEMA_MINOR_VERSION: u32 = 1;

#[cfg_attr(not(test), allow(dead_code))]
#[derive(Serialize)]
struct V1Report<'a> {
    schema_version: u32,
    schema_minor_version: u32,
    tool: &'static str,
    tool_version: &'a str,
    generated_at: &'a str,
    evaluated_at: &'a str,
    scope: V1Scope<'a>,
    shaped_by: V1ShapedBy<'a>,
    summary: V1Summary,
    coverage: Vec<V1Gap<'a>>,
    findings: Vec<V1Finding<'a>>,
    access: Vec<V1Access<'a>>,
    not_evaluated: Vec<V1NotEvaluated<'a>>,
    resolved: Vec<V1Finding<'a>>,
}

#[derive(Serialize)]
struct V1ShapedBy<'a> {
    config: Option<V1Config<'a>>,
    evaluated_at_source: &'static str,
    rule_overrides: Vec<V1RuleOverride<'a>>,
    scope_filters: &'a [String],
    exceptions: Vec<V1ExceptionOutcome<'a>>,
    baseline: Option<V1Baseline<'a>>,
}

#[derive(Serialize)]
struct V1Config<'a> {
    path: &'a str,
    sha256: &'a str,
}

#[derive(Serialize)]
struct V1RuleOverride<'a> {
    rule: &'a str,
    enabled: bool,
    severity: Option<&'static str>,
    parameters: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
struct V1Baseline<'a> {
    path: &'a str,
    generated_at: &'a str,
    evaluated_at: Option<&'a str>,
}

#[derive(Serialize)]
struct V1Exception<'a> {
    id: &'a str,
    source: &'a str,
    rule: &'a str,
    account: Option<&'a str>,
    resource: Option<&'a str>,
    db_user: Option<&'a str>,
    principal: Option<&'a str>,
    fingerprint: Option<&'a str>,
    reason: &'a str,
    owner: &'a str,
    expires: &'a str,
}

#[derive(Serialize)]
struct V1ExceptionOutcome<'a> {
    #[serde(flatten)]
    exception: V1Exception<'a>,
    state: &'static str,
    matched: usize,
}

fn exception(e: &Exception) -> V1Exception<'_> {
    V1Exception {
        id: &e.id,
        source: &e.source,
        rule: &e.rule,
        account: e.account.as_deref(),
        resource: e.resource.as_deref(),
        db_user: e.db_user.as_deref(),
        principal: e.principal.as_deref(),
        fingerprint: e.fingerprint.as_deref(),
        reason: &e.reason,
        owner: &e.owner,
        expires: &e.expires,
    }
}

fn shaped_by(report: &Report) -> V1ShapedBy<'_> {
    let shaped = &report.shaped_by;
    V1ShapedBy {
        config: shaped.config.as_ref().map(|c| V1Config {
            path: &c.path,
            sha256: &c.sha256,
        }),
        evaluated_at_source: match shaped.evaluated_at_source {
            TimeSource::Snapshot => "snapshot",
            TimeSource::Collection => "collection",
            TimeSource::At => "at",
        },
        rule_overrides: shaped
            .rule_overrides
            .iter()
            .map(|o| V1RuleOverride {
                rule: &o.rule,
                enabled: o.enabled,
                severity: o.severity.map(|s| s.as_str()),
                parameters: o
                    .parameters
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
            })
            .collect(),
        scope_filters: &shaped.scope_filters,
        exceptions: shaped
            .exceptions
            .iter()
            .map(|o| V1ExceptionOutcome {
                exception: exception(&o.exception),
                state: o.state.as_str(),
                matched: o.matched,
            })
            .collect(),
        baseline: shaped.baseline.as_ref().map(|b| V1Baseline {
            path: &b.path,
            generated_at: &b.generated_at,
            evaluated_at: b.evaluated_at.as_deref(),
        }),
    }
}

#[derive(Serialize)]
struct V1NotEvaluated<'a> {
    rule: &'a str,
    account: Option<&'a str>,
    region: Option<&'a str>,
    reason: &'a str,
}

fn not_evaluated(n: &NotEvaluated) -> V1NotEvaluated<'_> {
    V1NotEvaluated {
        rule: &n.rule,
        account: n.account.as_deref(),
        region: n.region.as_deref(),
        reason: &n.reason,
    }
}

#[derive(Serialize)]
struct V1Scope<'a> {
    snapshot: Option<&'a str>,
    collected_at: &'a str,
    organization_id: Option<&'a str>,
    accounts: &'a [String],
    regions: &'a [String],
    databases: usize,
}

#[derive(Serialize)]
struct V1Summary {
    total: usize,
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
    highest_severity: Option<&'static str>,
    excepted: usize,
    new: Option<usize>,
    unchanged: Option<usize>,
    resolved: Option<usize>,
}

#[derive(Serialize)]
struct V1Gap<'a> {
    account: Option<&'a str>,
    region: Option<&'a str>,
    source: &'a str,
    error_code: &'a str,
    message: &'a str,
    fix_permission: Option<&'a str>,
}

#[derive(Serialize)]
struct V1Finding<'a> {
    rule: &'a str,
    severity: &'static str,
    title: &'a str,
    message: &'a str,
    resource: V1Resource<'a>,
    evidence: Vec<V1Evidence<'a>>,
    fix: V1Fix<'a>,
    fingerprint: &'a str,
    excepted: bool,
    exception: Option<V1Exception<'a>>,
    status: Option<&'static str>,
}

#[derive(Serialize)]
struct V1Resource<'a> {
    arn: &'a str,
    kind: &'static str,
    account: Option<&'a str>,
    region: Option<&'a str>,
    db_user: Option<&'a str>,
}

#[derive(Serialize)]
struct V1Evidence<'a> {
    source: &'a str,
    observed: &'a str,
    expected: &'a str,
}

#[derive(Serialize)]
struct V1Fix<'a> {
    summary: &'a str,
    aws_cli: Option<&'a str>,
    sql: Option<&'a str>,
}

#[derive(Serialize)]
struct V1Access<'a> {
    principal: &'a str,
    db: &'a str,
    db_user: &'a str,
    decision: &'static str,
    depends_on: &'a [String],
    via: &'a [String],
    // Added in v1 (additive): the login verdict, the database side, the path.
    iam: &'static str,
    database: V1DbSide,
    login: V1Login<'a>,
    reach: V1Reach<'a>,
}

#[derive(Serialize)]
struct V1DbSide {
    iam_auth_enabled: Option<bool>,
    role_exists: Option<bool>,
    can_login: Option<bool>,
    rds_iam: Option<bool>,
    superuser: Option<bool>,
}

#[derive(Serialize)]
struct V1Login<'a> {
    verdict: &'static str,
    summary: String,
    reason: Option<&'static str>,
    detail: &'a str,
    depends_on: &'a [String],
    missing: Vec<&'static str>,
}

#[derive(Serialize)]
struct V1Reach<'a> {
    shape: &'static str,
    hops: usize,
    external: bool,
    in_inventory: bool,
    outside_organization: Option<bool>,
    steps: Vec<V1Hop<'a>>,
}

#[derive(Serialize)]
struct V1Hop<'a> {
    caller: &'a str,
    role: &'a str,
    trust_statement: Option<&'a str>,
    iam: &'static str,
    depends_on: &'a [String],
    blocked_by: Option<&'a str>,
}

fn finding(f: &Finding) -> V1Finding<'_> {
    V1Finding {
        rule: &f.rule,
        severity: f.severity.as_str(),
        title: &f.title,
        message: &f.message,
        resource: V1Resource {
            arn: &f.resource.arn,
            kind: f.resource.kind.as_str(),
            account: f.resource.account.as_deref(),
            region: f.resource.region.as_deref(),
            db_user: f.resource.db_user.as_deref(),
        },
        evidence: f
            .evidence
            .iter()
            .map(|e| V1Evidence {
                source: &e.source,
                observed: &e.observed,
                expected: &e.expected,
            })
            .collect(),
        fix: V1Fix {
            summary: &f.fix.summary,
            aws_cli: f.fix.aws_cli.as_deref(),
            sql: f.fix.sql.as_deref(),
        },
        fingerprint: &f.fingerprint,
        excepted: f.excepted(),
        exception: f.exception.as_deref().map(exception),
        status: f.status.map(|s| s.as_str()),
    }
}

fn gap(g: &Gap) -> V1Gap<'_> {
    V1Gap {
        account: g.account.as_deref(),
        region: g.region.as_deref(),
        source: &g.source,
        error_code: &g.error_code,
        message: &g.message,
        fix_permission: g.fix_permission.as_deref(),
    }
}

fn access(a: &AccessEntry) -> V1Access<'_> {
    V1Access {
        principal: &a.principal,
        db: &a.db,
        db_user: &a.db_user,
        decision: a.decision.as_str(),
        depends_on: &a.depends_on,
        via: &a.via,
        iam: a.iam.as_str(),
        database: V1DbSide {
            iam_auth_enabled: a.database.iam_auth_enabled,
            role_exists: a.database.role_exists,
            can_login: a.database.can_login,
            rds_iam: a.database.rds_iam,
            superuser: a.database.superuser,
        },
        login: V1Login {
            verdict: a.login.verdict.as_str(),
            summary: a.login.summary(),
            reason: a.login.reason.map(|r| r.as_str()),
            detail: &a.login.detail,
            depends_on: &a.login.depends_on,
            missing: a.login.missing.iter().map(|m| m.as_str()).collect(),
        },
        reach: V1Reach {
            shape: a.reach.shape.as_str(),
            hops: a.reach.hops,
            external: a.reach.external(),
            in_inventory: a.reach.in_inventory,
            outside_organization: a.reach.outside_organization,
            steps: a
                .reach
                .steps
                .iter()
                .map(|h| V1Hop {
                    caller: &h.caller,
                    role: &h.role,
                    trust_statement: h.trust_statement.as_deref(),
                    iam: h.iam.as_str(),
                    depends_on: &h.depends_on,
                    blocked_by: h.blocked_by.as_deref(),
                })
                .collect(),
        },
    }
}

/// The report as pretty JSON v1, newline-terminated.
pub fn render(report: &Report) -> String {
    let mut bytes = Vec::new();
    // Writing into memory cannot fail.
    let _ = write(report, &mut bytes);
    String::from_utf8(bytes).unwrap_or_default()
}

/// Streams the report as pretty JSON v1 (newline-terminated) into `out`, without holding
/// the whole document in memory (an organization's report runs to hundreds of MB).
///
/// The long lists (findings, access) are rendered in parallel, batch by batch, and written
/// in order: byte for byte what `serde_json::to_writer_pretty` makes of the whole
/// [`V1Report`] (the `render_matches_one_pass_serialization` test holds it to that).
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let s = &report.summary;
    let head = V1Head {
        schema_version: SCHEMA_VERSION,
        schema_minor_version: SCHEMA_MINOR_VERSION,
        tool: "rdsiam",
        tool_version: &report.tool_version,
        generated_at: &report.generated_at,
        evaluated_at: &report.evaluated_at,
        scope: scope(report),
        shaped_by: shaped_by(report),
        summary: V1Summary {
            total: s.total,
            critical: s.critical,
            high: s.high,
            medium: s.medium,
            low: s.low,
            info: s.info,
            highest_severity: report.highest_severity().map(|sev| sev.as_str()),
            excepted: s.excepted,
            new: s.new,
            unchanged: s.unchanged,
            resolved: s.resolved,
        },
        coverage: report.coverage.iter().map(gap).collect(),
    };
    let mut text = serde_json::to_vec_pretty(&head)?;
    // The head is an object with fields: it ends with "\n}", which the rest replaces.
    text.truncate(text.len().saturating_sub(2));
    out.write_all(&text)?;
    out.write_all(b",\n  \"findings\": ")?;
    pretty_parallel::write_array(out, &report.findings, finding)?;
    out.write_all(b",\n  \"access\": ")?;
    pretty_parallel::write_array(out, &report.access, access)?;
    out.write_all(b",\n  \"not_evaluated\": ")?;
    pretty_parallel::write_array(out, &report.not_evaluated, not_evaluated)?;
    out.write_all(b",\n  \"resolved\": ")?;
    pretty_parallel::write_array(out, &report.resolved, finding)?;
    out.write_all(b"\n}\n")
}

/// The fields of [`V1Report`] before the long lists, in the same order.
#[derive(Serialize)]
struct V1Head<'a> {
    schema_version: u32,
    schema_minor_version: u32,
    tool: &'static str,
    tool_version: &'a str,
    generated_at: &'a str,
    evaluated_at: &'a str,
    scope: V1Scope<'a>,
    shaped_by: V1ShapedBy<'a>,
    summary: V1Summary,
    coverage: Vec<V1Gap<'a>>,
}

fn scope(report: &Report) -> V1Scope<'_> {
    V1Scope {
        snapshot: report.scope.snapshot.as_deref(),
        collected_at: &report.scope.collected_at,
        organization_id: report.scope.organization_id.as_deref(),
        accounts: &report.scope.accounts,
        regions: &report.scope.regions,
        databases: report.scope.databases,
    }
}

/// The report as one [`V1Report`] value, serialized in one pass: what [`write`] must
/// produce, byte for byte.
#[cfg(test)]
fn write_one_pass(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let s = &report.summary;
    let dto = V1Report {
        schema_version: SCHEMA_VERSION,
        schema_minor_version: SCHEMA_MINOR_VERSION,
        tool: "rdsiam",
        tool_version: &report.tool_version,
        generated_at: &report.generated_at,
        evaluated_at: &report.evaluated_at,
        scope: scope(report),
        shaped_by: shaped_by(report),
        summary: V1Summary {
            total: s.total,
            critical: s.critical,
            high: s.high,
            medium: s.medium,
            low: s.low,
            info: s.info,
            highest_severity: report.highest_severity().map(|sev| sev.as_str()),
            excepted: s.excepted,
            new: s.new,
            unchanged: s.unchanged,
            resolved: s.resolved,
        },
        coverage: report.coverage.iter().map(gap).collect(),
        findings: report.findings.iter().map(finding).collect(),
        access: report.access.iter().map(access).collect(),
        not_evaluated: report.not_evaluated.iter().map(not_evaluated).collect(),
        resolved: report.resolved.iter().map(finding).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &dto)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_matches_one_pass_serialization() {
        let inventory = crate::inventory::snapshot::load(std::path::Path::new("fixtures/demo"))
            .expect("the demo snapshot loads");
        // The rules' output straight into a report (the engine sits above `render`).
        let at = "2026-11-21T00:00:00Z";
        let evaluation = crate::rules::evaluate(&inventory, at);
        let mut report = Report::new(
            at,
            crate::report::Scope::default(),
            inventory.coverage.clone(),
            evaluation.findings,
            evaluation.access,
            evaluation.not_evaluated,
        );
        assert!(!report.findings.is_empty() && !report.access.is_empty());
        let check = |report: &Report| {
            let (mut parallel, mut one_pass) = (Vec::new(), Vec::new());
            write(report, &mut parallel).unwrap();
            write_one_pass(report, &mut one_pass).unwrap();
            assert_eq!(
                String::from_utf8(parallel).unwrap(),
                String::from_utf8(one_pass).unwrap()
            );
        };
        check(&report);
        // Lists longer than a batch, and empty lists.
        let findings = report.findings.clone();
        while report.findings.len() < 3 * pretty_parallel::BATCH {
            report.findings.extend(findings.iter().cloned());
        }
        check(&report);
        report.findings.clear();
        report.access.clear();
        report.not_evaluated.clear();
        report.coverage.clear();
        check(&report);
    }
}
