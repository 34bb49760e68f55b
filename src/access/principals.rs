//! IAM principals (roles and users) with the policies that apply to them, and each
//! account's Organizations chain (SCP and RCP levels, root → OUs → account).

use std::collections::HashMap;

use rayon::prelude::*;

use crate::inventory::{Account, Inventory, OrgPolicyKind, Tags};
use crate::policy::{Policy, PolicySet, RequestContext, RequestPrincipal};

use super::policies::{PolicyId, PolicyIndex};

/// Role or user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Role,
    User,
}

/// A principal and the ids of its policies.
#[derive(Debug, Clone)]
pub struct Principal<'i> {
    pub arn: &'i str,
    pub name: &'i str,
    pub account: &'i str,
    pub kind: PrincipalKind,
    pub tags: &'i Tags,
    /// Inline + attached managed policies (for users also those of their groups).
    pub identity: Vec<PolicyId>,
    pub boundary: Option<PolicyId>,
    /// Roles only.
    pub trust: Option<PolicyId>,
    pub service_linked: bool,
    pub request_principal: RequestPrincipal,
}

/// A principal's policies with its guardrails (boundary, SCP chain), owned so a
/// [`PolicySet`] can borrow them for evaluation.
pub struct GuardedPolicies<'p> {
    pub identity: Vec<&'p Policy>,
    boundary: Option<&'p Policy>,
    scp_levels: Option<Vec<Vec<&'p Policy>>>,
    management_account: bool,
}

impl<'p> GuardedPolicies<'p> {
    /// Identity policies, boundary and SCP chain (RCPs govern resources, not callers).
    pub fn set(&self) -> PolicySet<'_, 'p> {
        PolicySet {
            identity: &self.identity,
            permission_boundary: self.boundary,
            scp_levels: self.scp_levels.as_deref(),
            rcp_levels: None,
            session: &[],
            management_account: self.management_account,
        }
    }

    /// Identity policies alone: what the principal's own policies intend.
    pub fn identity_only(&self) -> PolicySet<'_, 'p> {
        PolicySet::identity_only(&self.identity)
    }
}

impl Principal<'_> {
    /// The principal's policies and guardrails, resolved from `index` and its account's chain.
    pub fn guarded<'p>(
        &self,
        index: &'p PolicyIndex,
        chains: &HashMap<String, OrgChain>,
    ) -> GuardedPolicies<'p> {
        let chain = chains.get(self.account);
        GuardedPolicies {
            identity: self.identity_policies(index),
            boundary: self.boundary.map(|id| index.get(id)),
            scp_levels: chain.map(|c| OrgChain::levels(&c.scp_levels, index)),
            management_account: chain.is_some_and(|c| c.management),
        }
    }

    /// The identity policies as references into `index`.
    pub fn identity_policies<'p>(&self, index: &'p PolicyIndex) -> Vec<&'p Policy> {
        self.identity.iter().map(|id| index.get(*id)).collect()
    }

    /// An open request context with what the inventory knows about this principal: its
    /// tags (all of them, so any other tag is absent), ARN, account and type.
    pub fn context(&self, organization_id: Option<&str>) -> RequestContext {
        let mut context = RequestContext::open().with_absent_prefix("aws:PrincipalTag/");
        for (key, value) in self.tags {
            context.set(
                &format!("aws:PrincipalTag/{key}"),
                vec![value.clone()],
                false,
            );
        }
        context.set("aws:PrincipalArn", vec![self.arn.to_owned()], false);
        context.set("aws:PrincipalAccount", vec![self.account.to_owned()], false);
        let principal_type = match self.kind {
            PrincipalKind::Role => "AssumedRole",
            PrincipalKind::User => "User",
        };
        context.set("aws:PrincipalType", vec![principal_type.to_owned()], false);
        context.set("aws:PrincipalIsAWSService", vec!["false".to_owned()], false);
        if self.kind == PrincipalKind::User {
            context.set("aws:username", vec![self.name.to_owned()], false);
        }
        match organization_id {
            Some(org) => context.set("aws:PrincipalOrgID", vec![org.to_owned()], false),
            None => context = context.with_absent("aws:PrincipalOrgID"),
        }
        context
    }
}

/// An account's Organizations chain.
#[derive(Debug, Clone, Default)]
pub struct OrgChain {
    /// SCPs per level, root first; empty when the account is not in the Organization.
    pub scp_levels: Vec<Vec<PolicyId>>,
    pub rcp_levels: Vec<Vec<PolicyId>>,
    /// The Organization's management account (exempt from SCPs and RCPs).
    pub management: bool,
    /// The account is a member of the Organization in the inventory.
    pub in_organization: bool,
}

impl OrgChain {
    pub fn levels<'p>(levels: &[Vec<PolicyId>], index: &'p PolicyIndex) -> Vec<Vec<&'p Policy>> {
        levels
            .iter()
            .map(|level| level.iter().map(|id| index.get(*id)).collect())
            .collect()
    }
}

/// Builds every principal of every account, in inventory order (accounts on every core:
/// each one's principals depend only on it and the index).
pub fn principals<'i>(inventory: &'i Inventory, index: &PolicyIndex) -> Vec<Principal<'i>> {
    let per_account: Vec<Vec<Principal<'i>>> = inventory
        .accounts
        .par_iter()
        .map(|account| account_principals(account, index))
        .collect();
    per_account.into_iter().flatten().collect()
}

/// The roles, then the users, of one account.
fn account_principals<'i>(account: &'i Account, index: &PolicyIndex) -> Vec<Principal<'i>> {
    let mut out = Vec::new();
    let iam = &account.iam;
    let groups: HashMap<&str, _> = iam.groups.iter().map(|g| (g.name.as_str(), g)).collect();
    for role in &iam.roles {
        let mut identity: Vec<PolicyId> = role
            .inline_policies
            .iter()
            .filter_map(|p| index.inline(&role.arn, &p.name))
            .collect();
        identity.extend(
            role.attached_policies
                .iter()
                .filter_map(|arn| index.managed(arn)),
        );
        out.push(Principal {
            arn: &role.arn,
            name: &role.name,
            account: &account.account_id,
            kind: PrincipalKind::Role,
            tags: &role.tags,
            identity,
            boundary: role
                .permissions_boundary
                .as_deref()
                .and_then(|arn| index.managed(arn)),
            trust: index.trust(&role.arn),
            service_linked: role.is_service_linked(),
            request_principal: RequestPrincipal::from_arn(&role.arn),
        });
    }
    for user in &iam.users {
        let mut identity: Vec<PolicyId> = user
            .inline_policies
            .iter()
            .filter_map(|p| index.inline(&user.arn, &p.name))
            .collect();
        identity.extend(
            user.attached_policies
                .iter()
                .filter_map(|arn| index.managed(arn)),
        );
        for group in user
            .groups
            .iter()
            .filter_map(|name| groups.get(name.as_str()))
        {
            identity.extend(
                group
                    .inline_policies
                    .iter()
                    .filter_map(|p| index.inline(&group.arn, &p.name)),
            );
            identity.extend(
                group
                    .attached_policies
                    .iter()
                    .filter_map(|arn| index.managed(arn)),
            );
        }
        out.push(Principal {
            arn: &user.arn,
            name: &user.name,
            account: &account.account_id,
            kind: PrincipalKind::User,
            tags: &user.tags,
            identity,
            boundary: user
                .permissions_boundary
                .as_deref()
                .and_then(|arn| index.managed(arn)),
            trust: None,
            service_linked: false,
            request_principal: RequestPrincipal::from_arn(&user.arn),
        });
    }
    out
}

/// The Organizations chain of every account of the Organization.
pub fn org_chains(inventory: &Inventory, index: &PolicyIndex) -> HashMap<String, OrgChain> {
    let mut chains = HashMap::new();
    let Some(organization) = &inventory.organization else {
        return chains;
    };
    for account in &organization.accounts {
        let Some(ancestry) = organization.ancestry(&account.id) else {
            continue;
        };
        let levels = |kind: OrgPolicyKind| -> Vec<Vec<PolicyId>> {
            ancestry
                .iter()
                .map(|target| {
                    organization
                        .policies_on(target, kind)
                        .filter_map(|p| index.organization(&p.id))
                        .collect()
                })
                .collect()
        };
        // FullAWSAccess / RCPFullAWSAccess are attached everywhere once a policy type is
        // enabled; a chain with no policy of a type at all means the type is not enabled,
        // which restricts nothing (rather than "no level allows").
        let enabled = |levels: Vec<Vec<PolicyId>>| {
            if levels.iter().all(Vec::is_empty) {
                Vec::new()
            } else {
                levels
            }
        };
        chains.insert(
            account.id.clone(),
            OrgChain {
                scp_levels: enabled(levels(OrgPolicyKind::ServiceControlPolicy)),
                rcp_levels: enabled(levels(OrgPolicyKind::ResourceControlPolicy)),
                management: organization.is_management_account(&account.id),
                in_organization: true,
            },
        );
    }
    chains
}
