//! The report: everything one audit run concluded, in the order renderers show it, with the
//! counts and the exit outcome derived from it.

use rayon::slice::ParallelSliceMut;
use serde::{Deserialize, Serialize};

use super::{AccessEntry, Finding, Severity};
use crate::exit::Outcome;
use crate::inventory::Gap;

/// What was audited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Snapshot path, or `None` for a live audit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    pub collected_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// Number of DB targets whose PostgreSQL roles were read.
    pub databases: usize,
}

/// A rule that could not run for part of the scope because its facts fall in a coverage
/// gap. Listed so that "no finding" is never mistaken for "checked and fine".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotEvaluated {
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Which facts were missing, e.g. `rds:DescribeDBProxies AccessDenied`.
    pub reason: String,
}

/// Finding counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Self {
        let mut summary = Summary::default();
        for finding in findings {
            summary.total += 1;
            *summary.count_mut(finding.severity) += 1;
        }
        summary
    }

    pub fn count(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    fn count_mut(&mut self, severity: Severity) -> &mut usize {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub tool_version: String,
    /// RFC 3339, when the rules ran.
    pub generated_at: String,
    pub scope: Scope,
    pub coverage: Vec<Gap>,
    /// Sorted: severity (highest first), rule, resource ARN, DB user, fingerprint.
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub access: Vec<AccessEntry>,
    /// Rules skipped for part of the scope, sorted by rule, account, region.
    pub not_evaluated: Vec<NotEvaluated>,
}

impl Report {
    pub fn new(
        generated_at: impl Into<String>,
        scope: Scope,
        coverage: Vec<Gap>,
        mut findings: Vec<Finding>,
        access: Vec<AccessEntry>,
        mut not_evaluated: Vec<NotEvaluated>,
    ) -> Self {
        not_evaluated.sort_by(|a, b| {
            (&a.rule, &a.account, &a.region, &a.reason)
                .cmp(&(&b.rule, &b.account, &b.region, &b.reason))
        });
        // Stable, like `sort_by`, so the order is the same; an organization has ~100k.
        findings.par_sort_by(|a, b| {
            (
                b.severity,
                &a.rule,
                &a.resource.arn,
                &a.resource.db_user,
                &a.fingerprint,
            )
                .cmp(&(
                    a.severity,
                    &b.rule,
                    &b.resource.arn,
                    &b.resource.db_user,
                    &b.fingerprint,
                ))
        });
        Report {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            generated_at: generated_at.into(),
            summary: Summary::of(&findings),
            scope,
            coverage,
            findings,
            access,
            not_evaluated,
        }
    }

    pub fn highest_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// `Failed` when any finding is at or above `fail_on`.
    pub fn outcome(&self, fail_on: Severity) -> Outcome {
        match self.highest_severity() {
            Some(highest) if highest >= fail_on => Outcome::Failed,
            _ => Outcome::Clean,
        }
    }
}
