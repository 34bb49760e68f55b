//! SDK configuration and clients.
//!
//! Credentials and settings come from aws-config's default chain (environment, shared
//! profiles with SSO / `role_arn` + `source_profile` / `credential_source`, container and
//! instance credentials), optionally pinned by `--profile`, `--region`, `--endpoint-url`
//! (`AWS_ENDPOINT_URL` is read by the chain itself) and the retry flags.
//!
//! Every client is built with a [`Guard`] interceptor that refuses operations missing from
//! [`super::operations::OPERATIONS`] before they are signed or sent, and counts the calls
//! made per account, region and operation (the figures in benches/RESULTS.md). The clients of
//! the XML services also carry [`WellFormedXml`]: a cut or unbalanced answer is an error (a
//! coverage gap), not the empty list the SDK's XML reader would make of it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::{RetryConfig, RetryMode};

use super::operations::{self, Operation};
use super::xml_check::WellFormedXml;

/// How to reach AWS: the CLI's live flags, resolved.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub profile: Option<String>,
    /// Region for the global services and the default when no regions are listed.
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub retry_mode: Option<RetryMode>,
    pub max_attempts: Option<u32>,
}

/// Loads the base configuration through the default chain.
pub async fn load(settings: &Settings) -> SdkConfig {
    let mut loader = crate::aws_http::defaults();
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    // Only override the chain's retry settings (AWS_RETRY_MODE, AWS_MAX_ATTEMPTS, profile)
    // when a flag asks for it.
    if settings.retry_mode.is_some() || settings.max_attempts.is_some() {
        let mut retry = match settings.retry_mode {
            Some(RetryMode::Adaptive) => RetryConfig::adaptive(),
            _ => RetryConfig::standard(),
        };
        if let Some(attempts) = settings.max_attempts {
            retry = retry.with_max_attempts(attempts.max(1));
        }
        loader = loader.retry_config(retry);
    }
    loader.load().await
}

/// `config` with fixed credentials (from AssumeRole) instead of the chain's.
pub fn with_credentials(
    config: &SdkConfig,
    credentials: aws_credential_types::Credentials,
) -> SdkConfig {
    config
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// (account, region or `-` for global services, operation).
pub type CallKey = (String, String, Operation);

/// Calls made, per [`CallKey`]. Shared by every client of a run.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    counts: Arc<Mutex<BTreeMap<CallKey, u64>>>,
    refused: Arc<Mutex<Vec<String>>>,
}

impl CallLog {
    /// A copy of the counts so far.
    pub fn counts(&self) -> BTreeMap<CallKey, u64> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Operations the guard refused (a bug: every call the code makes must be listed).
    pub fn refused(&self) -> Vec<String> {
        self.refused.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Fails when the guard refused any call: a call the code makes without listing it is a
    /// bug to report, never a write that went through.
    pub fn ensure_nothing_refused(&self) -> anyhow::Result<()> {
        let refused = self.refused();
        if refused.is_empty() {
            return Ok(());
        }
        anyhow::bail!(
            "internal error: the read-only guard refused {} (every call must be in src/collect/aws/operations.rs)",
            refused.join(", ")
        )
    }

    /// Total number of calls.
    pub fn total(&self) -> u64 {
        self.counts().values().sum()
    }
}

/// The interceptor every client carries: allow-list check and call counting.
#[derive(Debug, Clone)]
pub struct Guard {
    account: String,
    region: String,
    log: CallLog,
}

impl Guard {
    pub fn new(log: &CallLog, account: &str, region: Option<&str>) -> Self {
        Guard {
            account: account.to_owned(),
            region: region.unwrap_or("-").to_owned(),
            log: log.clone(),
        }
    }
}

impl Intercept for Guard {
    fn name(&self) -> &'static str {
        "rdsiam::ReadOnlyGuard"
    }

    // Not `read_before_execution`: client interceptors run that hook before the operation's
    // own configuration (which holds its name) is applied. Serialization is still before
    // signing and sending, and happens once per call (retries do not count twice).
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Err("rdsiam read-only guard: operation without metadata refused".into());
        };
        match operations::lookup(metadata.service(), metadata.name()) {
            Some(op) => {
                if let Ok(mut counts) = self.log.counts.lock() {
                    *counts
                        .entry((self.account.clone(), self.region.clone(), op))
                        .or_default() += 1;
                }
                Ok(())
            }
            None => {
                let what = format!("{}:{}", metadata.service(), metadata.name());
                if let Ok(mut refused) = self.log.refused.lock() {
                    refused.push(what.clone());
                }
                Err(format!(
                    "rdsiam read-only guard: {what} is not in the list of allowed read operations"
                )
                .into())
            }
        }
    }
}

/// The clients for one account (credentials already resolved), all guarded.
#[derive(Debug, Clone)]
pub struct Clients {
    pub config: SdkConfig,
    pub account: String,
    log: CallLog,
}

impl Clients {
    pub fn new(config: SdkConfig, account: &str, log: &CallLog) -> Self {
        Clients {
            config,
            account: account.to_owned(),
            log: log.clone(),
        }
    }

    pub fn sts(&self) -> aws_sdk_sts::Client {
        let config = aws_sdk_sts::config::Builder::from(&self.config)
            .interceptor(Guard::new(&self.log, &self.account, None))
            .interceptor(WellFormedXml)
            .build();
        aws_sdk_sts::Client::from_conf(config)
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        let config = aws_sdk_iam::config::Builder::from(&self.config)
            .interceptor(Guard::new(&self.log, &self.account, None))
            .interceptor(WellFormedXml)
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }

    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        let config = aws_sdk_organizations::config::Builder::from(&self.config)
            .interceptor(Guard::new(&self.log, &self.account, None))
            .build();
        aws_sdk_organizations::Client::from_conf(config)
    }

    pub fn athena(&self, region: &str) -> aws_sdk_athena::Client {
        let config = aws_sdk_athena::config::Builder::from(&self.config)
            .region(Region::new(region.to_owned()))
            .interceptor(Guard::new(&self.log, &self.account, Some(region)))
            .build();
        aws_sdk_athena::Client::from_conf(config)
    }

    pub fn cloudtrail(&self, region: &str) -> aws_sdk_cloudtrail::Client {
        let config = aws_sdk_cloudtrail::config::Builder::from(&self.config)
            .region(Region::new(region.to_owned()))
            .interceptor(Guard::new(&self.log, &self.account, Some(region)))
            .build();
        aws_sdk_cloudtrail::Client::from_conf(config)
    }

    pub fn logs(&self, region: &str) -> aws_sdk_cloudwatchlogs::Client {
        let config = aws_sdk_cloudwatchlogs::config::Builder::from(&self.config)
            .region(Region::new(region.to_owned()))
            .interceptor(Guard::new(&self.log, &self.account, Some(region)))
            .build();
        aws_sdk_cloudwatchlogs::Client::from_conf(config)
    }

    pub fn cloudwatch(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        let config = aws_sdk_cloudwatch::config::Builder::from(&self.config)
            .region(Region::new(region.to_owned()))
            .interceptor(Guard::new(&self.log, &self.account, Some(region)))
            .interceptor(WellFormedXml)
            .build();
        aws_sdk_cloudwatch::Client::from_conf(config)
    }

    pub fn rds(&self, region: &str) -> aws_sdk_rds::Client {
        let config = aws_sdk_rds::config::Builder::from(&self.config)
            .region(Region::new(region.to_owned()))
            .interceptor(Guard::new(&self.log, &self.account, Some(region)))
            .interceptor(WellFormedXml)
            .build();
        aws_sdk_rds::Client::from_conf(config)
    }
}
