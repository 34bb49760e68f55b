//! Every policy document of an inventory, parsed once into an arena: customer- and
//! AWS-managed policies (by ARN), inline policies of users, groups and roles, role trust
//! policies, and Organizations SCPs/RCPs. A document that does not parse is recorded (the
//! `policy-unparseable` rule reports it) and left out of evaluation; the audit goes on.

use std::collections::HashMap;

use serde_json::Value;

use crate::inventory::{InlinePolicy, Inventory};
use crate::policy::{Policy, PolicyDocument};

/// Index of a policy in [`PolicyIndex::policies`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyId(pub u32);

/// Where a policy document lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyOwner {
    /// A managed policy (customer or AWS), by ARN.
    Managed { arn: String, account: String },
    /// An inline policy of a user, group or role.
    Inline {
        owner_arn: String,
        account: String,
        name: String,
    },
    /// A role's trust policy.
    Trust { role_arn: String, account: String },
    /// An Organizations SCP or RCP.
    Organization {
        policy_arn: String,
        policy_id: String,
    },
}

impl PolicyOwner {
    /// The ARN a finding about this document points at.
    pub fn resource_arn(&self) -> &str {
        match self {
            PolicyOwner::Managed { arn, .. } => arn,
            PolicyOwner::Inline { owner_arn, .. } => owner_arn,
            PolicyOwner::Trust { role_arn, .. } => role_arn,
            PolicyOwner::Organization { policy_arn, .. } => policy_arn,
        }
    }

    pub fn account(&self) -> Option<&str> {
        match self {
            PolicyOwner::Managed { account, .. }
            | PolicyOwner::Inline { account, .. }
            | PolicyOwner::Trust { account, .. } => Some(account),
            PolicyOwner::Organization { .. } => None,
        }
    }

    /// How the document is named in reasons and evidence.
    pub fn label(&self) -> String {
        match self {
            PolicyOwner::Managed { arn, .. } => arn.clone(),
            PolicyOwner::Inline {
                owner_arn, name, ..
            } => format!("{owner_arn} inline policy {name}"),
            PolicyOwner::Trust { role_arn, .. } => format!("{role_arn} trust policy"),
            PolicyOwner::Organization { policy_arn, .. } => policy_arn.clone(),
        }
    }
}

/// A document that failed to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnparseablePolicy {
    pub owner: PolicyOwner,
    pub error: String,
}

/// The parsed policies of an inventory.
#[derive(Debug, Default)]
pub struct PolicyIndex {
    pub policies: Vec<Policy>,
    pub owners: Vec<PolicyOwner>,
    managed: HashMap<String, PolicyId>,
    inline: HashMap<(String, String), PolicyId>,
    trust: HashMap<String, PolicyId>,
    organization: HashMap<String, PolicyId>,
    pub unparseable: Vec<UnparseablePolicy>,
}

impl PolicyIndex {
    /// Parses every document of `inventory`.
    pub fn build(inventory: &Inventory) -> PolicyIndex {
        let mut index = PolicyIndex::default();
        for account in &inventory.accounts {
            let account_id = &account.account_id;
            for managed in &account.iam.managed_policies {
                if index.managed.contains_key(&managed.arn) {
                    continue; // AWS-managed policies repeat in every account.
                }
                let owner = PolicyOwner::Managed {
                    arn: managed.arn.clone(),
                    account: account_id.clone(),
                };
                if let Some(id) = index.add(owner, &managed.document) {
                    index.managed.insert(managed.arn.clone(), id);
                }
            }
            let inline_sets = account
                .iam
                .users
                .iter()
                .map(|u| (&u.arn, &u.inline_policies))
                .chain(
                    account
                        .iam
                        .groups
                        .iter()
                        .map(|g| (&g.arn, &g.inline_policies)),
                )
                .chain(
                    account
                        .iam
                        .roles
                        .iter()
                        .map(|r| (&r.arn, &r.inline_policies)),
                );
            for (owner_arn, inline) in inline_sets {
                index.add_inline(owner_arn, account_id, inline);
            }
            for role in &account.iam.roles {
                let owner = PolicyOwner::Trust {
                    role_arn: role.arn.clone(),
                    account: account_id.clone(),
                };
                if let Some(id) = index.add(owner, &role.trust_policy) {
                    index.trust.insert(role.arn.clone(), id);
                }
            }
        }
        if let Some(organization) = &inventory.organization {
            for policy in &organization.policies {
                let owner = PolicyOwner::Organization {
                    policy_arn: policy.arn.clone(),
                    policy_id: policy.id.clone(),
                };
                if let Some(id) = index.add(owner, &policy.document) {
                    index.organization.insert(policy.id.clone(), id);
                }
            }
        }
        index
    }

    fn add_inline(&mut self, owner_arn: &str, account: &str, inline: &[InlinePolicy]) {
        for policy in inline {
            let owner = PolicyOwner::Inline {
                owner_arn: owner_arn.to_owned(),
                account: account.to_owned(),
                name: policy.name.clone(),
            };
            if let Some(id) = self.add(owner, &policy.document) {
                self.inline
                    .insert((owner_arn.to_owned(), policy.name.clone()), id);
            }
        }
    }

    /// Parses one document (a JSON value, or a string holding JSON / URL-encoded JSON).
    fn add(&mut self, owner: PolicyOwner, document: &Value) -> Option<PolicyId> {
        let parsed = match document {
            Value::String(text) => PolicyDocument::parse(text),
            other => PolicyDocument::from_value(other),
        };
        match parsed {
            Ok(document) => {
                let id = PolicyId(self.policies.len() as u32);
                self.policies.push(Policy::new(owner.label(), document));
                self.owners.push(owner);
                Some(id)
            }
            Err(err) => {
                self.unparseable.push(UnparseablePolicy {
                    owner,
                    error: err.to_string(),
                });
                None
            }
        }
    }

    pub fn get(&self, id: PolicyId) -> &Policy {
        &self.policies[id.0 as usize]
    }

    pub fn owner(&self, id: PolicyId) -> &PolicyOwner {
        &self.owners[id.0 as usize]
    }

    pub fn managed(&self, arn: &str) -> Option<PolicyId> {
        self.managed.get(arn).copied()
    }

    pub fn inline(&self, owner_arn: &str, name: &str) -> Option<PolicyId> {
        self.inline
            .get(&(owner_arn.to_owned(), name.to_owned()))
            .copied()
    }

    pub fn trust(&self, role_arn: &str) -> Option<PolicyId> {
        self.trust.get(role_arn).copied()
    }

    pub fn organization(&self, policy_id: &str) -> Option<PolicyId> {
        self.organization.get(policy_id).copied()
    }

    /// Every identity-side document (managed and inline), with its id.
    pub fn identity_documents(&self) -> impl Iterator<Item = (PolicyId, &Policy, &PolicyOwner)> {
        self.policies
            .iter()
            .zip(&self.owners)
            .enumerate()
            .filter(|(_, (_, owner))| {
                matches!(
                    owner,
                    PolicyOwner::Managed { .. } | PolicyOwner::Inline { .. }
                )
            })
            .map(|(index, (policy, owner))| (PolicyId(index as u32), policy, owner))
    }
}
