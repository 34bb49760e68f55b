//! IAM facts of one account, in the shape of `GetAccountAuthorizationDetails`: users, groups,
//! roles and the managed policies (customer and AWS managed) they use. Policy documents are
//! decoded JSON; parsing them is `crate::policy`'s job.

use std::collections::BTreeMap;

use super::PolicyText;
use serde::{Deserialize, Serialize};

/// IAM tags as key → value (IAM keys are unique per resource).
pub type Tags = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Iam {
    #[serde(default)]
    pub users: Vec<IamUser>,
    #[serde(default)]
    pub groups: Vec<IamGroup>,
    #[serde(default)]
    pub roles: Vec<IamRole>,
    /// Every managed policy attached to something in the account (or used as a boundary),
    /// AWS managed ones included.
    #[serde(default)]
    pub managed_policies: Vec<ManagedPolicy>,
}

/// A policy embedded in a user, group or role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlinePolicy {
    pub name: String,
    /// Decoded policy JSON.
    pub document: PolicyText,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamUser {
    pub name: String,
    pub arn: String,
    #[serde(default = "root_path")]
    pub path: String,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// ARN of the managed policy used as permissions boundary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    /// ARNs of attached managed policies.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
    /// Names of the groups the user belongs to.
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamGroup {
    pub name: String,
    pub arn: String,
    #[serde(default = "root_path")]
    pub path: String,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamRole {
    pub name: String,
    pub arn: String,
    #[serde(default = "root_path")]
    pub path: String,
    /// Decoded trust policy (`AssumeRolePolicyDocument`).
    pub trust_policy: PolicyText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<RoleLastUsed>,
}

impl IamRole {
    /// Service-linked roles live under `/aws-service-role/` and are exempt from SCPs.
    pub fn is_service_linked(&self) -> bool {
        self.path.starts_with("/aws-service-role/")
    }
}

/// `RoleLastUsed` from IAM (tracking window: 400 days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleLastUsed {
    /// RFC 3339.
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// A managed policy with its default version's document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    #[serde(default = "root_path")]
    pub path: String,
    /// `v1`, `v2`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version_id: Option<String>,
    /// Decoded document of the default version.
    pub document: PolicyText,
}

impl ManagedPolicy {
    /// AWS managed policies have `aws` in the account field of their ARN.
    pub fn is_aws_managed(&self) -> bool {
        self.arn.starts_with("arn:aws:iam::aws:") || self.arn.contains(":iam::aws:policy/")
    }
}

fn root_path() -> String {
    "/".to_owned()
}
