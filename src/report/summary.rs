//! The report: everything one audit run concluded, in the order renderers show it, with the
//! counts and the exit outcome derived from it.

use rayon::slice::ParallelSliceMut;
use serde::{Deserialize, Serialize};

use super::{AccessEntry, BaselineRef, DiffStatus, ExceptionOutcome, Finding, Severity};
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

/// Finding counts per severity. Excepted findings (accepted risks) are counted apart, in
/// `excepted`, and not in `total` or the severities: the counts are what the exit code sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    #[serde(default)]
    pub excepted: usize,
    /// With a baseline: findings not in it, findings in it, and its findings gone now.
    #[serde(default)]
    pub new: Option<usize>,
    #[serde(default)]
    pub unchanged: Option<usize>,
    #[serde(default)]
    pub resolved: Option<usize>,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Self {
        let mut summary = Summary::default();
        for finding in findings {
            if finding.excepted() {
                summary.excepted += 1;
                continue;
            }
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
    /// RFC 3339: the time the rules judged the inventory as of (the snapshot's
    /// `collected_at`, or `--at`). Unlike `generated_at`, never the machine clock.
    pub evaluated_at: String,
    /// What shaped the result besides the inventory: configuration, exceptions, overrides,
    /// scope filters, baseline.
    pub shaped_by: ShapedBy,
    /// With a baseline: its findings absent from this run.
    pub resolved: Vec<Finding>,
}

/// Where the evaluation time came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeSource {
    /// The snapshot's `collected_at` (default for `--snapshot`).
    #[default]
    Snapshot,
    /// The time a live audit collected the inventory.
    Collection,
    /// `--at TIME`.
    At,
}

impl TimeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Snapshot => "snapshot collected_at",
            TimeSource::Collection => "collection time",
            TimeSource::At => "--at",
        }
    }
}

/// The configuration file a report was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigRef {
    pub path: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

/// A rule whose configuration differs from the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOverride {
    pub rule: String,
    pub enabled: bool,
    /// Severity every finding of the rule is given, when overridden.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Parameters set away from their default, `name = value`.
    #[serde(default)]
    pub parameters: Vec<(String, String)>,
}

/// What shaped a report besides the inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapedBy {
    #[serde(default)]
    pub config: Option<ConfigRef>,
    #[serde(default)]
    pub evaluated_at_source: TimeSource,
    /// Not (de)serialized with the report: the JSON renderer writes them (`render::json`).
    #[serde(skip)]
    pub exceptions: Vec<ExceptionOutcome>,
    #[serde(default)]
    pub rule_overrides: Vec<RuleOverride>,
    /// Scope filters as written (`exclude accounts 111111111111`).
    #[serde(default)]
    pub scope_filters: Vec<String>,
    #[serde(default)]
    pub baseline: Option<BaselineRef>,
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
        let generated_at = generated_at.into();
        Report {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            evaluated_at: generated_at.clone(),
            generated_at,
            shaped_by: ShapedBy::default(),
            resolved: Vec::new(),
            summary: Summary::of(&findings),
            scope,
            coverage,
            findings,
            access,
            not_evaluated,
        }
    }

    /// The highest severity of the findings not covered by an exception.
    pub fn highest_severity(&self) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|f| !f.excepted())
            .map(|f| f.severity)
            .max()
    }

    /// `Failed` when any finding not covered by an exception is at or above `fail_on`.
    pub fn outcome(&self, fail_on: Severity) -> Outcome {
        self.outcome_with(fail_on, false)
    }

    /// [`Self::outcome`], considering only findings new since the baseline when `new_only`.
    pub fn outcome_with(&self, fail_on: Severity, new_only: bool) -> Outcome {
        let failing = self.findings.iter().any(|f| {
            !f.excepted()
                && f.severity >= fail_on
                && (!new_only || f.status != Some(DiffStatus::Unchanged))
        });
        if failing {
            Outcome::Failed
        } else {
            Outcome::Clean
        }
    }

    /// Recounts the summary after exceptions or a baseline changed the findings.
    pub fn recount(&mut self) {
        let mut summary = Summary::of(&self.findings);
        if self.shaped_by.baseline.is_some() {
            let new = self
                .findings
                .iter()
                .filter(|f| f.status == Some(DiffStatus::New))
                .count();
            summary.new = Some(new);
            summary.unchanged = Some(self.findings.len() - new);
            summary.resolved = Some(self.resolved.len());
        }
        self.summary = summary;
    }
}
