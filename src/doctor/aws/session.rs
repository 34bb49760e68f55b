//! The AWS session the doctor's AWS-side steps share: the SDK configuration (with the
//! doctor's short timeouts and retries) and the log the read-only guard counts into, plus the
//! one-line form of a coverage gap.

use std::time::Duration;

use aws_config::SdkConfig;

use crate::collect::aws::config::{self as aws_config_mod, CallLog, Clients, Settings};
use crate::inventory::Gap;

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
