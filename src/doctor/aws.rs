//! AWS-side doctor steps, through the SDK with narrow read-only calls: who signs the token
//! (STS GetCallerIdentity with the same credential chain the token generator uses).
//!
//! Not yet here (reported as not checked in the diagnosis): the RDS target lookup
//! (DescribeDBInstances/Clusters), its IAM-auth setting, and the IAM decision through the
//! policy engine.

use super::DoctorOptions;
use super::step::{Step, StepStatus, StepTimer};

/// Runs the identity step and pushes it; `false` (a warning step) when no identity could be
/// established. Not fatal: signing a token is local and may still work.
pub async fn identity_step(steps: &mut Vec<Step>, options: &DoctorOptions) -> bool {
    let mut t = StepTimer::start("identity");
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(region) = &options.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    } else if let Some(region) = crate::token::region_of_endpoint(&options.params.host) {
        loader = loader.region(aws_config::Region::new(region));
    }
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_timeout(options.connect_timeout)
        .build();
    let config = loader.timeout_config(timeouts).load().await;
    let client = aws_sdk_sts::Client::new(&config);
    match client.get_caller_identity().send().await {
        Ok(out) => {
            t.evidence(format!(
                "account {}, principal {}",
                out.account().unwrap_or("?"),
                out.arn().unwrap_or("?")
            ));
            steps.push(t.finish(
                StepStatus::Pass,
                format!("signing as {}", out.arn().unwrap_or("?")),
            ));
            true
        }
        Err(e) => {
            let text = aws_sdk_sts::error::DisplayErrorContext(&e).to_string();
            t.evidence(format!("sts:GetCallerIdentity failed: {text}"));
            t.evidence(
                "set AWS_PROFILE / --profile, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
                    .to_owned(),
            );
            steps.push(t.finish(
                StepStatus::Warn,
                "cannot confirm the signing identity with STS",
            ));
            false
        }
    }
}
