//! `rdsiam doctor`: a live, read-only diagnosis of one IAM database login.
//!
//! - [`probe`]: the steps, in the order PostgreSQL and RDS apply them, stopping at the first
//!   hard failure.
//! - [`diagnosis`]: cause codes (documented in the rule catalogue) with evidence and fixes.
//! - [`findings`]: those causes as the audit's `Finding`s, for every renderer.
//! - [`step`]: a timed step with its evidence.
//! - [`aws`]: the AWS-side steps (identity and clock, target, RDS settings, IAM decision,
//!   RDS's own reason from the `iam-db-auth-error` log).
//! - [`options`]: what one run is asked to check; [`report`]: what it found.
//! - [`render`]: table and JSON output.
//!
//! The token is only ever sent over a verified TLS connection and never printed whole.

pub mod aws;
pub mod diagnosis;
pub mod findings;
pub mod options;
pub mod probe;
pub mod render;
pub mod report;
pub mod step;
pub mod verdict;

pub use options::{DoctorOptions, Target, TokenSource};
pub use report::DoctorReport;

/// Runs the probe on a small single-threaded runtime.
pub fn run(options: &DoctorOptions) -> Result<DoctorReport, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(probe::run(options)))
}
