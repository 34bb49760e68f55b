//! One probe step as the user sees it: a name, ✓ / ✗ / ! / – , how long it took, a one-line
//! summary and evidence lines. Steps only record; deciding causes is [`super::diagnosis`]'s job.

use std::time::{Duration, Instant};

use serde::Serialize;

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// ✓ the layer works.
    Pass,
    /// ✗ a hard failure: the probe stops here.
    Fail,
    /// ! works, but something is wrong or risky.
    Warn,
    /// – not checked (with the reason in the summary).
    Skipped,
}

impl StepStatus {
    pub fn symbol(self) -> &'static str {
        match self {
            StepStatus::Pass => "✓",
            StepStatus::Fail => "✗",
            StepStatus::Warn => "!",
            StepStatus::Skipped => "–",
        }
    }
}

/// A finished step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub status: StepStatus,
    /// Wall time of the step in milliseconds.
    pub ms: f64,
    pub summary: String,
    pub evidence: Vec<String>,
}

/// A step being timed.
pub struct StepTimer {
    name: &'static str,
    started: Instant,
    evidence: Vec<String>,
}

impl StepTimer {
    pub fn start(name: &'static str) -> Self {
        StepTimer {
            name,
            started: Instant::now(),
            evidence: Vec::new(),
        }
    }

    pub fn evidence(&mut self, line: impl Into<String>) {
        self.evidence.push(line.into());
    }

    pub fn evidence_lines(&self) -> &[String] {
        &self.evidence
    }

    pub fn finish(self, status: StepStatus, summary: impl Into<String>) -> Step {
        Step {
            name: self.name,
            status,
            ms: millis(self.started.elapsed()),
            summary: summary.into(),
            evidence: self.evidence,
        }
    }
}

/// A step that did not run.
pub fn skipped(name: &'static str, reason: impl Into<String>) -> Step {
    Step {
        name,
        status: StepStatus::Skipped,
        ms: 0.0,
        summary: reason.into(),
        evidence: Vec::new(),
    }
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}
