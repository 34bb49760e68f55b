//! One AssumeRole call into a role, as CloudTrail recorded it. The same shape whatever the
//! source (local files, Athena rows, LookupEvents), so rules never know where it came from.

use serde::{Deserialize, Serialize};

/// The `userIdentity.type` of the caller, as CloudTrail spells it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PrincipalType {
    Root,
    IAMUser,
    AssumedRole,
    FederatedUser,
    AWSAccount,
    AWSService,
    /// Any other value CloudTrail may add; kept verbatim.
    #[serde(untagged)]
    Other(String),
}

/// An `sts:AssumeRole` event (successful or failed) into a role of interest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssumeRoleEvent {
    /// `eventTime`, RFC 3339 as CloudTrail writes it (`2026-01-01T12:00:00Z`).
    pub event_time: String,
    /// `eventID`.
    pub event_id: String,
    /// `sharedEventID`: present when the call crossed accounts (same id in both trails).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_event_id: Option<String>,
    /// `userIdentity.accountId`: the account the caller belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_account: Option<String>,
    /// `userIdentity.arn`: who called AssumeRole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_arn: Option<String>,
    /// `userIdentity.type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<PrincipalType>,
    /// The assumed role: `resources[].ARN` of type `AWS::IAM::Role`, else `requestParameters.roleArn`.
    pub role_arn: String,
    /// `requestParameters.roleSessionName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_session_name: Option<String>,
    /// `sourceIPAddress` (an IP, or a service name such as `ec2.amazonaws.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// `userAgent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `errorCode` (e.g. `AccessDenied`); absent when the call succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `recipientAccountId`: the account whose trail recorded the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_account: Option<String>,
}

impl AssumeRoleEvent {
    /// True when CloudTrail recorded the call as failed (`errorCode` present).
    pub fn failed(&self) -> bool {
        self.error_code.is_some()
    }
}
