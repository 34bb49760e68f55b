//! What one doctor run found: the steps, the ranked causes, the token verdict, as data (the
//! JSON output serializes it as is).

use serde::Serialize;

use super::diagnosis::Cause;
use super::options::Target;
use super::step::Step;
use super::verdict::{TokenReport, Verdict};

/// The result: `ok` when the login works; otherwise `diagnosis` holds ranked causes.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub ok: bool,
    pub target: Target,
    pub steps: Vec<Step>,
    pub diagnosis: Vec<Cause>,
    /// Which token was tested (the client's or one the doctor signed) and what it showed.
    pub token: TokenReport,
    /// What the first lines of the table say, as data.
    pub verdict: Verdict,
    /// RDS's own reason: what the `rds-log` step read (absent when it did not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rds_log: Option<super::aws::rds_log::RdsLogReport>,
}
