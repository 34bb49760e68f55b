//! The `identity` step: STS GetCallerIdentity through the guarded client, and AWS's clock
//! from the response's `Date` header (SigV4 rejects tokens dated more than 5 minutes away
//! from AWS time, so a skewed local clock makes every locally signed token fail).

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};

use super::session::AwsSession;
use crate::collect::aws::config::Guard;
use crate::collect::aws::faults;
use crate::doctor::step::{Step, StepStatus, StepTimer};

/// Who signs, and how far the local clock is from AWS's.
#[derive(Debug, Clone)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    /// Local clock minus AWS's, in seconds (positive: the local clock is ahead).
    pub clock_skew_seconds: Option<i64>,
}

/// Records the `Date` header of the response (the server's clock).
#[derive(Debug, Clone, Default)]
struct ServerDate(Arc<Mutex<Option<String>>>);

impl Intercept for ServerDate {
    fn name(&self) -> &'static str {
        "rdsiam::ServerDate"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(date) = context.response().headers().get("date")
            && let Ok(mut slot) = self.0.lock()
        {
            *slot = Some(date.to_owned());
        }
        Ok(())
    }
}

/// Seconds between the local clock and an HTTP `Date` header (positive: local is ahead).
pub fn skew_seconds(http_date: &str, local: SystemTime) -> Option<i64> {
    let server = DateTime::from_str(http_date, Format::HttpDate).ok()?;
    let local = DateTime::from(local);
    Some(local.secs() - server.secs())
}

/// Runs the identity step and pushes it; `None` (a warning step) when no identity could be
/// established. Not fatal: a given token may still work.
pub async fn identity_step(steps: &mut Vec<Step>, session: &AwsSession) -> Option<Identity> {
    let mut t = StepTimer::start("identity");
    let date = ServerDate::default();
    let config = aws_sdk_sts::config::Builder::from(&session.config)
        .interceptor(Guard::new(&session.log, "caller", None))
        .interceptor(date.clone())
        .build();
    let client = aws_sdk_sts::Client::from_conf(config);
    match client.get_caller_identity().send().await {
        Ok(out) => {
            let identity = Identity {
                account: out.account().unwrap_or_default().to_owned(),
                arn: out.arn().unwrap_or_default().to_owned(),
                clock_skew_seconds: date
                    .0
                    .lock()
                    .ok()
                    .and_then(|d| d.clone())
                    .and_then(|d| skew_seconds(&d, SystemTime::now())),
            };
            t.evidence(format!(
                "account {}, principal {}",
                identity.account, identity.arn
            ));
            if let Some(line) = credential_expiry(session).await {
                t.evidence(line);
            }
            if let Some(skew) = identity.clock_skew_seconds {
                t.evidence(format!(
                    "local clock vs AWS (Date header of the STS answer): {}",
                    describe_skew(skew)
                ));
            }
            steps.push(t.finish(StepStatus::Pass, format!("signing as {}", identity.arn)));
            Some(identity)
        }
        Err(err) => {
            let (code, message) = faults::classify(&err);
            t.evidence(format!("sts:GetCallerIdentity failed: {code}: {message}"));
            t.evidence(
                "set AWS_PROFILE / --profile, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
                    .to_owned(),
            );
            steps.push(t.finish(
                StepStatus::Warn,
                "cannot confirm the signing identity with STS",
            ));
            None
        }
    }
}

/// When the signing credentials expire (temporary credentials: SSO, assumed roles, instance
/// roles), as a line of evidence; `None` for long-term keys or when the chain cannot say.
async fn credential_expiry(session: &AwsSession) -> Option<String> {
    use aws_credential_types::provider::ProvideCredentials;
    let provider = session.config.credentials_provider()?;
    let credentials = provider.provide_credentials().await.ok()?;
    let expiry = credentials.expiry()?;
    let left = match expiry.duration_since(SystemTime::now()) {
        Ok(d) => format!("{} min left", d.as_secs() / 60),
        Err(_) => "already expired: refresh them (aws sso login, or re-assume the role)".to_owned(),
    };
    Some(format!(
        "signing credentials expire at {} ({left}); tokens signed with them stop working then too",
        crate::token::rfc3339(expiry)
    ))
}

/// `3 s ahead`, `7 min 12 s behind`, `in sync`.
pub fn describe_skew(skew: i64) -> String {
    if skew.abs() <= 1 {
        return "in sync".to_owned();
    }
    let side = if skew > 0 { "ahead" } else { "behind" };
    let secs = skew.unsigned_abs();
    if secs >= 60 {
        format!("{} min {} s {side}", secs / 60, secs % 60)
    } else {
        format!("{secs} s {side}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn skew_from_http_date() {
        // Sat, 21 Nov 2026 22:00:00 GMT = 1795298400.
        let server = "Sat, 21 Nov 2026 22:00:00 GMT";
        let local = UNIX_EPOCH + Duration::from_secs(1_795_298_400 + 420);
        assert_eq!(skew_seconds(server, local), Some(420));
        assert_eq!(describe_skew(420), "7 min 0 s ahead");
        assert_eq!(describe_skew(-5), "5 s behind");
        assert_eq!(describe_skew(0), "in sync");
        assert_eq!(skew_seconds("not a date", local), None);
    }
}
