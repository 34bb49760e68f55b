//! The live-collection flags shared by `collect` and `audit` (without `--snapshot`).

use anyhow::{Result, bail};
use aws_smithy_types::retry::RetryMode;

use crate::collect::aws::{self, Options, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RetryModeArg {
    Standard,
    Adaptive,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct LiveArgs {
    /// Named profile from ~/.aws/config (SSO, role_arn + source_profile, credential_source...).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region(s) to read RDS in, comma-separated or repeated (default: the configured region).
    #[arg(
        long = "region",
        visible_alias = "regions",
        value_name = "REGION",
        value_delimiter = ','
    )]
    pub regions: Vec<String>,
    /// Send every AWS call to this endpoint (AWS_ENDPOINT_URL works too), e.g. a test server.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Collect every ACTIVE account of the organization (needs --assume-role-name).
    #[arg(long, conflicts_with = "accounts", requires = "assume_role_name")]
    pub org: bool,
    /// Collect these accounts, comma-separated (needs --assume-role-name for all but the caller's).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Role to assume in each account other than the caller's, e.g. OrganizationAccountAccessRole.
    #[arg(long, value_name = "NAME")]
    pub assume_role_name: Option<String>,
    /// External id for AssumeRole.
    #[arg(long, value_name = "ID", requires = "assume_role_name")]
    pub external_id: Option<String>,
    /// How many accounts × regions are collected at once.
    #[arg(long, value_name = "N", default_value_t = aws::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// SDK retry mode (default: AWS_RETRY_MODE or the profile's, else standard).
    #[arg(long, value_enum, value_name = "MODE")]
    pub retry_mode: Option<RetryModeArg>,
    /// SDK attempts per call including the first (default: AWS_MAX_ATTEMPTS or 3).
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<u32>,
    /// Read RDS's own reasons for refused IAM logins over this window: the `iam-db-auth-error`
    /// log (CloudWatch Logs) and the `IamDbAuthConnection*` metrics of every instance or
    /// cluster whose export is on (`7d`, `36h`, `90min`; `0` reads neither).
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_since)]
    pub auth_errors_since: std::time::Duration,
    /// No progress bar (it is only drawn when stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

impl LiveArgs {
    /// True when any live flag was given (they make no sense with `--snapshot`).
    pub fn any_set(&self) -> bool {
        self.profile.is_some()
            || !self.regions.is_empty()
            || self.endpoint_url.is_some()
            || self.org
            || !self.accounts.is_empty()
            || self.assume_role_name.is_some()
            || self.external_id.is_some()
            || self.retry_mode.is_some()
            || self.max_attempts.is_some()
    }

    pub fn options(&self) -> Result<Options> {
        if self.concurrency == 0 {
            bail!("--concurrency must be at least 1");
        }
        if let Some(bad) = self
            .accounts
            .iter()
            .find(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
        {
            bail!("--accounts: {bad:?} is not a 12-digit account id");
        }
        Ok(Options {
            settings: Settings {
                profile: self.profile.clone(),
                region: None,
                endpoint_url: self.endpoint_url.clone(),
                retry_mode: self.retry_mode.map(|m| match m {
                    RetryModeArg::Standard => RetryMode::Standard,
                    RetryModeArg::Adaptive => RetryMode::Adaptive,
                }),
                max_attempts: self.max_attempts,
            },
            regions: self.regions.clone(),
            org: self.org,
            accounts: self.accounts.clone(),
            assume_role_name: self.assume_role_name.clone(),
            external_id: self.external_id.clone(),
            concurrency: self.concurrency,
            progress: !self.no_progress,
            auth_errors: (!self.auth_errors_since.is_zero()).then(|| aws::auth_log::Request {
                since: self.auth_errors_since,
                ..aws::auth_log::Request::default()
            }),
        })
    }
}

/// `--auth-errors-since`: a humantime duration (`7d`, `36h`), at most 455 days (CloudWatch
/// keeps metrics 15 months).
fn parse_since(text: &str) -> Result<std::time::Duration, String> {
    if text.trim() == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    let since = humantime::parse_duration(text.trim())
        .map_err(|e| format!("{e}: give a duration such as 7d, 36h or 90min"))?;
    if since > std::time::Duration::from_secs(455 * 24 * 3600) {
        return Err("at most 455d: CloudWatch keeps metrics 15 months".to_owned());
    }
    Ok(since)
}
