//! STS: who the caller is (GetCallerIdentity) and credentials for other accounts
//! (AssumeRole into `arn:aws:iam::<account>:role/<--assume-role-name>`).

use std::time::SystemTime;

use aws_config::SdkConfig;

use super::config::{self, CallLog, Clients};
use super::faults::{self, Scope};
use super::operations;
use crate::inventory::Gap;

/// The identity the base credentials resolve to.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: String,
    pub arn: String,
}

/// GetCallerIdentity with the base configuration. Its failure means nothing can be
/// collected (no credentials, or they are invalid), so it is an error, not a gap.
pub async fn caller_identity(base: &SdkConfig, log: &CallLog) -> Result<Caller, Gap> {
    let clients = Clients::new(base.clone(), "caller", log);
    let scope = Scope {
        account: None,
        region: None,
    };
    let out = clients
        .sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|err| faults::gap(&scope, operations::GET_CALLER_IDENTITY, &err))?;
    match (out.account(), out.arn()) {
        (Some(account), Some(arn)) => Ok(Caller {
            account: account.to_owned(),
            arn: arn.to_owned(),
        }),
        _ => Err(faults::other(
            &scope,
            operations::GET_CALLER_IDENTITY,
            "IncompleteResponse",
            "GetCallerIdentity returned no account or ARN".to_owned(),
        )),
    }
}

/// Where the role to assume lives and how.
#[derive(Debug, Clone)]
pub struct AssumeSpec<'a> {
    pub role_name: &'a str,
    pub external_id: Option<&'a str>,
    pub partition: &'a str,
}

/// Assumes `role_name` in `account` with the base credentials; a failure is the account's
/// gap (`sts:AssumeRole`; the fix is on the target role's trust policy or the caller's policy).
pub async fn assume(
    base: &SdkConfig,
    log: &CallLog,
    account: &str,
    spec: &AssumeSpec<'_>,
) -> Result<SdkConfig, Gap> {
    let role_arn = format!(
        "arn:{}:iam::{account}:role/{}",
        spec.partition, spec.role_name
    );
    assume_arn(base, log, &role_arn, spec.external_id, "rdsiam-collect").await
}

/// Assumes the role `role_arn` with the base credentials (the doctor's `--org-role-arn`,
/// and each account of a collection).
pub async fn assume_arn(
    base: &SdkConfig,
    log: &CallLog,
    role_arn: &str,
    external_id: Option<&str>,
    session_name: &str,
) -> Result<SdkConfig, Gap> {
    let account = role_arn.split(':').nth(4).unwrap_or_default();
    let scope = Scope::account(account);
    let out = Clients::new(base.clone(), account, log)
        .sts()
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(session_name)
        .set_external_id(external_id.map(str::to_owned))
        .send()
        .await
        .map_err(|err| {
            let mut gap = faults::gap(&scope, operations::ASSUME_ROLE, &err);
            gap.message = format!("cannot assume {role_arn}: {}", gap.message);
            gap.fix_permission = Some(format!(
                "sts:AssumeRole on {role_arn} (and a trust policy on it that trusts the caller)"
            ));
            gap
        })?;
    let Some(credentials) = out.credentials() else {
        return Err(faults::other(
            &scope,
            operations::ASSUME_ROLE,
            "IncompleteResponse",
            format!("AssumeRole {role_arn} returned no credentials"),
        ));
    };
    let expiry = SystemTime::try_from(*credentials.expiration()).ok();
    let credentials = aws_credential_types::Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        Some(credentials.session_token().to_owned()),
        expiry,
        "rdsiam-assume-role",
    );
    Ok(config::with_credentials(base, credentials))
}

/// `aws`, `aws-cn`, `aws-us-gov` from a caller ARN, so assumed role ARNs match the partition.
pub fn partition(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}
