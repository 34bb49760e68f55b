//! The baseline diff: this run's findings against an earlier JSON v1 report of the same
//! scope, matched by `fingerprint`. Each finding becomes `new` or `unchanged`; what the
//! baseline had and this run has not is `resolved`. Reading the baseline file is the
//! command's job; this module only compares.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::finding::{DiffStatus, Finding};
use crate::fast_hash::FastSet;

/// The baseline a report was compared with, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineRef {
    pub path: String,
    /// The baseline report's `generated_at`.
    pub generated_at: String,
    /// Its evaluation time, when it recorded one (reports of rdsiam ≥ schema 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluated_at: Option<String>,
}

/// A loaded baseline: who it is, and its findings as their fingerprints plus their JSON
/// text. Only the resolved ones are needed in full, so only they are parsed: an
/// organization's baseline holds tens of thousands of findings, nearly all unchanged.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub path: String,
    pub generated_at: String,
    pub evaluated_at: Option<String>,
    /// The baseline's findings as JSON v1 objects (the spans of `findings` point into it).
    pub text: String,
    /// Each of its findings, in its order.
    pub findings: Vec<BaselineFinding>,
}

/// One finding of a baseline: its fingerprint and where its JSON object is in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineFinding {
    pub fingerprint: String,
    pub span: Range<usize>,
}

impl Baseline {
    /// A baseline holding `findings` (written as JSON, as a report file holds them).
    pub fn of(findings: &[Finding]) -> Self {
        let mut baseline = Baseline::default();
        for finding in findings {
            let start = baseline.text.len();
            baseline.text += &serde_json::to_string(finding).expect("a finding serializes");
            baseline.findings.push(BaselineFinding {
                fingerprint: finding.fingerprint.clone(),
                span: start..baseline.text.len(),
            });
        }
        baseline
    }
}

/// Marks each finding `new` or `unchanged` and returns the baseline's findings that are
/// gone (in the baseline's order), parsed from their JSON; an error when one of those does
/// not parse as a finding.
pub fn apply(findings: &mut [Finding], baseline: Baseline) -> serde_json::Result<Vec<Finding>> {
    let before: FastSet<&str> = baseline
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    for finding in findings.iter_mut() {
        finding.status = Some(if before.contains(finding.fingerprint.as_str()) {
            DiffStatus::Unchanged
        } else {
            DiffStatus::New
        });
    }
    drop(before);
    let now: FastSet<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
    baseline
        .findings
        .iter()
        .filter(|f| !now.contains(f.fingerprint.as_str()))
        .map(|f| serde_json::from_str(&baseline.text[f.span.clone()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Resource, ResourceKind, Severity};

    fn finding(arn: &str) -> Finding {
        Finding::builder("rds-iam-orphan", Severity::Low, "t")
            .message("m")
            .resource(Resource::new(ResourceKind::DbInstance, arn))
            .evidence("s", "o", "e")
            .build()
            .expect("complete finding")
    }

    #[test]
    fn diff_marks_new_and_unchanged_and_lists_resolved() {
        let mut now = vec![finding("arn:a"), finding("arn:b")];
        let baseline = Baseline::of(&[finding("arn:b"), finding("arn:c")]);
        let resolved = apply(&mut now, baseline).expect("the baseline's findings parse");
        assert_eq!(now[0].status, Some(DiffStatus::New));
        assert_eq!(now[1].status, Some(DiffStatus::Unchanged));
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0], finding("arn:c"));
    }
}
