//! Every policy document of an inventory, parsed once into an arena: customer- and
//! AWS-managed policies (by ARN), inline policies of users, groups and roles, role trust
//! policies, and Organizations SCPs/RCPs. A document that does not parse is recorded (the
//! `policy-unparseable` rule reports it) and left out of evaluation; the audit goes on.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::inventory::{Inventory, PolicyText};
use crate::policy::Policy;

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
    /// Parses every document of `inventory`, in parallel (documents are independent).
    pub fn build(inventory: &Inventory) -> PolicyIndex {
        let mut sources: Vec<(PolicyOwner, &PolicyText)> = Vec::new();
        let mut seen_managed = HashSet::new();
        for account in &inventory.accounts {
            let account_id = &account.account_id;
            for managed in &account.iam.managed_policies {
                // AWS-managed policies repeat in every account.
                if seen_managed.insert(managed.arn.as_str()) {
                    let owner = PolicyOwner::Managed {
                        arn: managed.arn.clone(),
                        account: account_id.clone(),
                    };
                    sources.push((owner, &managed.document));
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
                for policy in inline {
                    let owner = PolicyOwner::Inline {
                        owner_arn: owner_arn.clone(),
                        account: account_id.clone(),
                        name: policy.name.clone(),
                    };
                    sources.push((owner, &policy.document));
                }
            }
            for role in &account.iam.roles {
                let owner = PolicyOwner::Trust {
                    role_arn: role.arn.clone(),
                    account: account_id.clone(),
                };
                sources.push((owner, &role.trust_policy));
            }
        }
        if let Some(organization) = &inventory.organization {
            for policy in &organization.policies {
                let owner = PolicyOwner::Organization {
                    policy_arn: policy.arn.clone(),
                    policy_id: policy.id.clone(),
                };
                sources.push((owner, &policy.document));
            }
        }
        let parsed: Vec<(PolicyOwner, Result<Policy, String>)> = sources
            .into_par_iter()
            .map(|(owner, text)| {
                let result = text
                    .parse()
                    .map(|document| Policy::new(owner.label(), document))
                    .map_err(|err| err.to_string());
                (owner, result)
            })
            .collect();
        let mut index = PolicyIndex::default();
        // Sized up front: growing these maps rehashed every key several times.
        let count = |kind: fn(&PolicyOwner) -> bool| parsed.iter().filter(|(o, _)| kind(o)).count();
        index
            .managed
            .reserve(count(|o| matches!(o, PolicyOwner::Managed { .. })));
        index
            .inline
            .reserve(count(|o| matches!(o, PolicyOwner::Inline { .. })));
        index
            .trust
            .reserve(count(|o| matches!(o, PolicyOwner::Trust { .. })));
        index.policies.reserve(parsed.len());
        index.owners.reserve(parsed.len());
        for (owner, result) in parsed {
            index.insert(owner, result);
        }
        index
    }

    fn insert(&mut self, owner: PolicyOwner, parsed: Result<Policy, String>) {
        let policy = match parsed {
            Ok(policy) => policy,
            Err(error) => {
                self.unparseable.push(UnparseablePolicy { owner, error });
                return;
            }
        };
        let id = PolicyId(self.policies.len() as u32);
        match &owner {
            PolicyOwner::Managed { arn, .. } => {
                self.managed.insert(arn.clone(), id);
            }
            PolicyOwner::Inline {
                owner_arn, name, ..
            } => {
                self.inline.insert((owner_arn.clone(), name.clone()), id);
            }
            PolicyOwner::Trust { role_arn, .. } => {
                self.trust.insert(role_arn.clone(), id);
            }
            PolicyOwner::Organization { policy_id, .. } => {
                self.organization.insert(policy_id.clone(), id);
            }
        }
        self.policies.push(policy);
        self.owners.push(owner);
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
