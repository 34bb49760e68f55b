//! AWS Organizations facts: roots, the OU tree, member accounts and the authorization
//! policies (SCPs, RCPs) with the targets they are attached to.

use super::PolicyText;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// `o-...`.
    pub id: String,
    /// The management account: SCPs and RCPs never restrict its principals.
    pub management_account_id: String,
    pub roots: Vec<OrgRoot>,
    #[serde(default)]
    pub organizational_units: Vec<OrganizationalUnit>,
    pub accounts: Vec<OrgAccount>,
    /// SCPs and RCPs, each with the ids of the roots/OUs/accounts it is attached to.
    #[serde(default)]
    pub policies: Vec<OrgPolicy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgRoot {
    /// `r-...`.
    pub id: String,
    #[serde(default = "root_name")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationalUnit {
    /// `ou-...`.
    pub id: String,
    pub name: String,
    /// A root id or another OU id.
    pub parent_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    /// A root id or an OU id.
    pub parent_id: String,
    /// `ACTIVE`, `SUSPENDED`...
    #[serde(default = "active")]
    pub status: String,
}

/// Which kind of organization authorization policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrgPolicyKind {
    /// Service control policy: limits principals of member accounts.
    ServiceControlPolicy,
    /// Resource control policy: limits resources of member accounts.
    ResourceControlPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgPolicy {
    /// `p-...` (`p-FullAWSAccess` for the AWS managed SCP).
    pub id: String,
    pub arn: String,
    pub name: String,
    pub kind: OrgPolicyKind,
    #[serde(default)]
    pub aws_managed: bool,
    /// Decoded policy JSON.
    pub document: PolicyText,
    /// Ids of the roots, OUs and accounts it is attached to.
    #[serde(default)]
    pub targets: Vec<String>,
}

impl Organization {
    /// The chain of target ids from the root down to `account_id` (root, OUs..., account),
    /// the order in which SCPs/RCPs apply; `None` if the account or a parent is unknown.
    pub fn ancestry(&self, account_id: &str) -> Option<Vec<&str>> {
        let account = self.accounts.iter().find(|a| a.id == account_id)?;
        let mut chain = vec![account.id.as_str()];
        let mut parent = account.parent_id.as_str();
        // A parent chain longer than the OU count means a cycle in a corrupt snapshot.
        for _ in 0..=self.organizational_units.len() {
            if self.roots.iter().any(|r| r.id == parent) {
                chain.push(parent);
                chain.reverse();
                return Some(chain);
            }
            let ou = self.organizational_units.iter().find(|o| o.id == parent)?;
            chain.push(ou.id.as_str());
            parent = ou.parent_id.as_str();
        }
        None
    }

    /// Policies of `kind` attached directly to `target_id`.
    pub fn policies_on<'a>(
        &'a self,
        target_id: &'a str,
        kind: OrgPolicyKind,
    ) -> impl Iterator<Item = &'a OrgPolicy> + 'a {
        self.policies
            .iter()
            .filter(move |p| p.kind == kind && p.targets.iter().any(|t| t == target_id))
    }

    pub fn is_management_account(&self, account_id: &str) -> bool {
        self.management_account_id == account_id
    }

    pub fn contains_account(&self, account_id: &str) -> bool {
        self.accounts.iter().any(|a| a.id == account_id)
    }
}

fn root_name() -> String {
    "Root".to_owned()
}

fn active() -> String {
    "ACTIVE".to_owned()
}
