//! AWS Organizations, read with the caller's own credentials: the organization, its roots,
//! the OU tree (walked parent by parent: two list calls per root or OU), the accounts under
//! each parent, and the SCPs and RCPs with their documents and targets.
//!
//! An account that is not in an organization yields `None` without a gap; a caller that may
//! not read it (a member account, or a missing permission) yields gaps, so rules that need
//! SCPs know they were not seen.

use std::collections::VecDeque;

use aws_sdk_organizations::types::PolicyType;

use super::config::Clients;
use super::faults::{self, Scope};
use super::iam::decode_document;
use super::operations as ops;
use super::pages::{self, Site};
use crate::inventory::{
    Gap, OrgAccount, OrgPolicy, OrgPolicyKind, OrgRoot, Organization, OrganizationalUnit,
};

/// What the caller saw of the organization.
pub async fn collect(clients: &Clients, gaps: &mut Vec<Gap>) -> Option<Organization> {
    let client = clients.organizations();
    let scope = Scope::account(&clients.account);
    let mut organization = describe(&client, &scope, gaps).await?;

    let roots = client.list_roots().into_paginator().send();
    let roots = pages::items_or_gap(
        roots,
        Site::new(&scope, ops::LIST_ROOTS),
        gaps,
        |page, roots| {
            roots.extend(page.roots().iter().filter_map(|r| {
                Some(OrgRoot {
                    id: r.id()?.to_owned(),
                    name: r.name().unwrap_or("Root").to_owned(),
                })
            }))
        },
    )
    .await;
    if !roots.complete {
        // Member accounts can describe the organization but not list it.
        return None;
    }
    organization.roots = roots.items;

    let mut parents: VecDeque<String> = organization.roots.iter().map(|r| r.id.clone()).collect();
    while let Some(parent) = parents.pop_front() {
        let ous = client
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        let site = Site::new(&scope, ops::LIST_ORGANIZATIONAL_UNITS_FOR_PARENT);
        pages::each_page_or_gap(ous, site, gaps, |page| {
            for ou in page.organizational_units() {
                let (Some(id), Some(name)) = (ou.id(), ou.name()) else {
                    continue;
                };
                parents.push_back(id.to_owned());
                organization.organizational_units.push(OrganizationalUnit {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    parent_id: parent.clone(),
                });
            }
        })
        .await;
        let accounts = client
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        let site = Site::new(&scope, ops::LIST_ACCOUNTS_FOR_PARENT);
        pages::each_page_or_gap(accounts, site, gaps, |page| {
            organization
                .accounts
                .extend(page.accounts().iter().filter_map(|a| {
                    Some(OrgAccount {
                        id: a.id()?.to_owned(),
                        name: a.name().unwrap_or_default().to_owned(),
                        parent_id: parent.clone(),
                        status: a
                            .status()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_else(|| "ACTIVE".to_owned()),
                    })
                }))
        })
        .await;
    }

    for (filter, kind) in [
        (
            PolicyType::ServiceControlPolicy,
            OrgPolicyKind::ServiceControlPolicy,
        ),
        (
            PolicyType::ResourceControlPolicy,
            OrgPolicyKind::ResourceControlPolicy,
        ),
    ] {
        policies(
            &client,
            &scope,
            filter,
            kind,
            &mut organization.policies,
            gaps,
        )
        .await;
    }
    // A failed listing can leave OUs or accounts unseen that policies are attached to: the
    // snapshot keeps only targets it holds, and a gap names the others.
    let known: std::collections::BTreeSet<String> = organization
        .roots
        .iter()
        .map(|r| r.id.clone())
        .chain(
            organization
                .organizational_units
                .iter()
                .map(|o| o.id.clone()),
        )
        .chain(organization.accounts.iter().map(|a| a.id.clone()))
        .collect();
    let mut dropped = Vec::new();
    for policy in &mut organization.policies {
        policy.targets.retain(|t| {
            known.contains(t) || {
                dropped.push(format!("{} on {t}", policy.id));
                false
            }
        });
    }
    if !dropped.is_empty() {
        gaps.push(faults::other(
            &scope,
            ops::LIST_ORGANIZATIONAL_UNITS_FOR_PARENT,
            "ReferenceNotCollected",
            format!(
                "policy attachments to OUs or accounts that were not listed: {}",
                dropped.join(", ")
            ),
        ));
    }
    Some(organization)
}

async fn policies(
    client: &aws_sdk_organizations::Client,
    scope: &Scope,
    filter: PolicyType,
    kind: OrgPolicyKind,
    out: &mut Vec<OrgPolicy>,
    gaps: &mut Vec<Gap>,
) {
    let listed = client
        .list_policies()
        .filter(filter.clone())
        .into_paginator()
        .send();
    let site = Site::new(scope, ops::LIST_POLICIES).about(format!("{} policies", filter.as_str()));
    let summaries = pages::items_or_gap(listed, site, gaps, |page, summaries| {
        summaries.extend(page.policies().iter().cloned())
    })
    .await;
    if !summaries.complete {
        return;
    }
    for summary in summaries.items {
        let (Some(id), Some(arn), Some(name)) = (summary.id(), summary.arn(), summary.name())
        else {
            continue;
        };
        let Some(document) = policy_document(client, scope, id, arn, gaps).await else {
            continue;
        };
        let listed = client
            .list_targets_for_policy()
            .policy_id(id)
            .into_paginator()
            .send();
        let site = Site::new(scope, ops::LIST_TARGETS_FOR_POLICY);
        let targets = pages::items_or_gap(listed, site, gaps, |page, targets| {
            targets.extend(
                page.targets()
                    .iter()
                    .filter_map(|t| t.target_id())
                    .map(str::to_owned),
            )
        })
        .await
        .items;
        out.push(OrgPolicy {
            id: id.to_owned(),
            arn: arn.to_owned(),
            name: name.to_owned(),
            kind,
            aws_managed: summary.aws_managed(),
            document: document.into(),
            targets,
        });
    }
}

/// The organization itself (DescribeOrganization), without roots, units, accounts or
/// policies. `None` when the account is in no organization (no gap: nothing is missing) or
/// the call failed (with its gap). Shared with the doctor's narrow read ([`super::org_chain`]).
pub(super) async fn describe(
    client: &aws_sdk_organizations::Client,
    scope: &Scope,
    gaps: &mut Vec<Gap>,
) -> Option<Organization> {
    let described = match client.describe_organization().send().await {
        Ok(out) => out,
        Err(err) => {
            let gap = faults::gap(scope, ops::DESCRIBE_ORGANIZATION, &err);
            // Not in an organization: nothing to read, nothing missing.
            if gap.error_code != "AWSOrganizationsNotInUseException" {
                gaps.push(gap);
            }
            return None;
        }
    };
    let org = described.organization()?;
    Some(Organization {
        id: org.id()?.to_owned(),
        management_account_id: org.master_account_id()?.to_owned(),
        roots: Vec::new(),
        organizational_units: Vec::new(),
        accounts: Vec::new(),
        policies: Vec::new(),
    })
}

/// The decoded document of policy `id` (DescribePolicy). `None` when the call failed or the
/// document does not decode (each with a gap), or the answer holds no document.
pub(super) async fn policy_document(
    client: &aws_sdk_organizations::Client,
    scope: &Scope,
    id: &str,
    arn: &str,
    gaps: &mut Vec<Gap>,
) -> Option<serde_json::Value> {
    let out = match client.describe_policy().policy_id(id).send().await {
        Ok(out) => out,
        Err(err) => {
            gaps.push(faults::gap(scope, ops::DESCRIBE_POLICY, &err));
            return None;
        }
    };
    match decode_document(out.policy()?.content()?) {
        Ok(document) => Some(document),
        Err(message) => {
            gaps.push(faults::other(
                scope,
                ops::DESCRIBE_POLICY,
                "UndecodablePolicyDocument",
                format!("{arn}: {message}"),
            ));
            None
        }
    }
}
