//! The AWS-side doctor steps, through the SDK with the collector's guarded, read-only clients
//! (every call is on the allow-list in [`crate::collect::aws::operations`]):
//!
//! - `identity`: who signs the token (STS GetCallerIdentity, with the same credential chain
//!   as the token generator) and how far the local clock is from AWS's (the `Date` header);
//! - `target`: which instance, Aurora cluster endpoint or RDS Proxy the endpoint name belongs
//!   to (RDS Describe*), in [`target`];
//! - `rds-settings`: IAM authentication enabled or only pending, engine, `rds.force_ssl`, the
//!   CA and its expiry, the `iam-db-auth-error` log export;
//! - `iam-decision`: `rds-db:connect` on the exact dbuser ARN with the policy engine over the
//!   principal's identity policies, boundary and SCP chain, in [`decision`]; IAM's own
//!   simulator as a second opinion when permitted;
//! - `rds-log`: after a refused login, RDS's own reason from the `iam-db-auth-error` log, in
//!   [`rds_log`].

pub mod decision;
pub mod identity;
pub mod rds_log;
pub mod steps;
pub mod target;

use std::time::Duration;

use aws_config::SdkConfig;

use crate::collect::aws::config::{self as aws_config_mod, CallLog, Clients, Settings};
use crate::inventory::Gap;

pub use identity::{Identity, identity_step};

/// The SDK configuration the AWS steps share, and the log the read-only guard counts into.
#[derive(Debug, Clone)]
pub struct AwsSession {
    pub config: SdkConfig,
    pub log: CallLog,
}

impl AwsSession {
    /// Loads the default chain with `--profile`, the database's region and `--endpoint-url`;
    /// every call times out after `timeout` and is tried at most twice unless
    /// `AWS_MAX_ATTEMPTS` says otherwise (a doctor must answer quickly, not retry for a minute).
    pub async fn load(
        profile: Option<&str>,
        region: Option<&str>,
        endpoint_url: Option<&str>,
        timeout: Duration,
    ) -> Self {
        let settings = Settings {
            profile: profile.map(str::to_owned),
            region: region.map(str::to_owned),
            endpoint_url: endpoint_url.map(str::to_owned),
            retry_mode: None,
            // AWS_MAX_ATTEMPTS (or the profile's max_attempts) wins when set.
            max_attempts: std::env::var_os("AWS_MAX_ATTEMPTS").is_none().then_some(2),
        };
        let config = aws_config_mod::load(&settings).await;
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(timeout)
            .build();
        let config = config.to_builder().timeout_config(timeouts).build();
        AwsSession {
            config,
            log: CallLog::default(),
        }
    }

    /// Guarded clients acting in `account`.
    pub fn clients(&self, account: &str) -> Clients {
        Clients::new(self.config.clone(), account, &self.log)
    }

    /// Clients with other credentials (an assumed role), guarded and counted the same way.
    pub fn clients_with(&self, config: SdkConfig, account: &str) -> Clients {
        Clients::new(config, account, &self.log)
    }
}

/// One line per gap: `organizations:ListParents AccessDeniedException: ...`.
pub fn describe_gaps(gaps: &[Gap]) -> Vec<String> {
    gaps.iter()
        .map(|g| format!("{} {}: {}", g.source, g.error_code, g.message))
        .collect()
}
