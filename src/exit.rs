//! Exit codes shared by every command (ARCHITECTURE.md): 0 clean, 1 findings at or above
//! `--fail-on` (or a failing login / an unmet `--expect`), 2 usage or runtime error.

use std::process::ExitCode;

/// What a command concluded, before it becomes a process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report at or above the threshold.
    Clean,
    /// Findings at or above the threshold, a failed login, or an unmet expectation.
    Failed,
}

pub const CLEAN: u8 = 0;
pub const FAILED: u8 = 1;
pub const ERROR: u8 = 2;

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Clean => ExitCode::from(CLEAN),
            Outcome::Failed => ExitCode::from(FAILED),
        }
    }
}
