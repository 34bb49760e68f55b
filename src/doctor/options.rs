//! What one doctor run is asked to check: the connection, where the token comes from, the
//! AWS-side settings, and the target as the report names it.

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
