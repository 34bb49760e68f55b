//! The baseline diff: this run's findings against an earlier JSON v1 report of the same
//! scope, matched by `fingerprint`. Each finding becomes `new` or `unchanged`; what the
//! baseline had and this run has not is `resolved`. Reading the baseline file is the
//! command's job; this module only compares.

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

/// A loaded baseline: who it is and its findings (resolved ones are listed in full).
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub path: String,
    pub generated_at: String,
    pub evaluated_at: Option<String>,
    pub findings: Vec<Finding>,
}

/// Marks each finding `new` or `unchanged` and returns the baseline's findings that are
/// gone (in the baseline's order).
pub fn apply(findings: &mut [Finding], baseline: Baseline) -> Vec<Finding> {
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
    let now: FastSet<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
    let gone: Vec<bool> = baseline
        .findings
        .iter()
        .map(|f| !now.contains(f.fingerprint.as_str()))
        .collect();
    drop(before);
    drop(now);
    baseline
        .findings
        .into_iter()
        .zip(gone)
        .filter_map(|(finding, gone)| gone.then_some(finding))
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
        let baseline = Baseline {
            findings: vec![finding("arn:b"), finding("arn:c")],
            ..Baseline::default()
        };
        let resolved = apply(&mut now, baseline);
        assert_eq!(now[0].status, Some(DiffStatus::New));
        assert_eq!(now[1].status, Some(DiffStatus::Unchanged));
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].resource.arn, "arn:c");
    }
}
