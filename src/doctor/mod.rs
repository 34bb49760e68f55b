//! `rdsiam doctor`: a live, read-only diagnosis of one IAM database login.
//!
//! - [`probe`]: the steps, in the order PostgreSQL and RDS apply them, stopping at the first
//!   hard failure.
//! - [`diagnosis`]: cause codes (documented in the rule catalogue) with evidence and fixes.
//! - [`step`]: a timed step with its evidence.
//! - [`aws`]: the AWS-side steps (identity and clock, target, RDS settings, IAM decision,
//!   RDS's own reason from the `iam-db-auth-error` log).
//! - [`render`]: table and JSON output.
//!
//! The token is only ever sent over a verified TLS connection and never printed whole.

pub mod aws;
pub mod diagnosis;
pub mod probe;
pub mod render;
pub mod step;
pub mod verdict;

use std::time::Duration;

use serde::Serialize;

use crate::pg::params::ConnParams;

/// Where the token comes from.
#[derive(Clone)]
pub enum TokenSource {
    /// Given by the user (`--token -`, `--token-env VAR`, `PGPASSWORD`, conninfo password).
    Given { token: String, from: String },
    /// Asked for but absent.
    Missing { tried: String },
    /// Signed here with the AWS SDK.
    Generate,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Given { from, .. } => write!(f, "Given(from {from}, token redacted)"),
            TokenSource::Missing { tried } => write!(f, "Missing({tried})"),
            TokenSource::Generate => f.write_str("Generate"),
        }
    }
}

/// Everything one doctor run needs.
#[derive(Debug, Clone)]
pub struct DoctorOptions {
    pub params: ConnParams,
    pub token: TokenSource,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub connect_timeout: Duration,
    /// Run the AWS-side steps (identity, target, RDS settings, IAM decision).
    pub aws_checks: bool,
    /// `--endpoint-url` (or `AWS_ENDPOINT_URL`, read by the SDK itself).
    pub endpoint_url: Option<String>,
    /// A role that can read the organization (management or delegated administrator
    /// account), assumed to read the signer's SCP chain when its own credentials cannot.
    pub org_role_arn: Option<String>,
    /// `--rds-log`: read the target's `iam-db-auth-error` log even when the login did not
    /// end in a token refusal (it is read after every refused login anyway).
    pub rds_log: bool,
}

/// What was probed.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub host: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostaddr: Option<String>,
    pub port: u16,
    pub user: String,
    pub dbname: String,
    pub dbname_defaulted: bool,
    pub sslmode: &'static str,
}

impl Target {
    pub fn of(params: &ConnParams) -> Self {
        Target {
            host: params.host.clone(),
            hostaddr: params.hostaddr.clone(),
            port: params.port,
            user: params.user.clone(),
            dbname: params.dbname.clone(),
            dbname_defaulted: params.dbname_defaulted,
            sslmode: params.sslmode.as_str(),
        }
    }
}

/// The result: `ok` when the login works; otherwise `diagnosis` holds ranked causes.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub ok: bool,
    pub target: Target,
    pub steps: Vec<step::Step>,
    pub diagnosis: Vec<diagnosis::Cause>,
    /// Which token was tested (the client's or one the doctor signed) and what it showed.
    pub token: verdict::TokenReport,
    /// What the first lines of the table say, as data.
    pub verdict: verdict::Verdict,
    /// RDS's own reason: what the `rds-log` step read (absent when it did not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rds_log: Option<aws::rds_log::RdsLogReport>,
}

/// Runs the probe on a small single-threaded runtime.
pub fn run(options: &DoctorOptions) -> Result<DoctorReport, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(probe::run(options)))
}
