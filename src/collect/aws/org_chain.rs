//! One account's Organizations chain, read narrowly for `rdsiam doctor`: the organization,
//! the account's parents up to the root (ListParents), and the SCPs attached at each level
//! (ListPoliciesForTarget, DescribePolicy). The result is an [`Organization`] holding just
//! that chain, so the doctor evaluates SCPs with the same code as `rdsiam audit`.
//!
//! Member accounts can describe their organization but not walk it: that needs the
//! management account or a delegated administrator (the doctor's `--org-role-arn`). Any
//! failure returns `None` with a gap — a partial chain would be a wrong SCP decision.

use aws_sdk_organizations::types::PolicyType;

use super::config::Clients;
use super::faults::{self, Scope};
use super::operations as ops;
use super::pages::{self, Site};
use crate::inventory::{
    Gap, OrgAccount, OrgPolicy, OrgPolicyKind, OrgRoot, Organization, OrganizationalUnit,
};

/// Organizations nest OUs at most five levels deep; a longer walk means a broken answer.
const MAX_DEPTH: usize = 8;

/// The chain of `account`, or `None` (with a gap, unless the account is in no organization).
pub async fn read(clients: &Clients, account: &str, gaps: &mut Vec<Gap>) -> Option<Organization> {
    let client = clients.organizations();
    let scope = Scope::account(&clients.account);
    let mut organization = super::org::describe(&client, &scope, gaps).await?;
    // Walk up: account → OU → ... → root, recording each node with its parent.
    let mut child = account.to_owned();
    let mut levels = vec![account.to_owned()];
    for _ in 0..MAX_DEPTH {
        let parents = match client.list_parents().child_id(&child).send().await {
            Ok(out) => out,
            Err(err) => {
                let mut gap = faults::gap(&scope, ops::LIST_PARENTS, &err);
                gap.message = format!("parents of {child}: {}", gap.message);
                gaps.push(gap);
                return None;
            }
        };
        let parent = parents.parents().first()?;
        let (id, kind) = (parent.id()?.to_owned(), parent.r#type()?.clone());
        if child == account {
            organization.accounts.push(OrgAccount {
                id: account.to_owned(),
                name: account.to_owned(),
                parent_id: id.clone(),
                status: "ACTIVE".to_owned(),
            });
        } else {
            organization.organizational_units.push(OrganizationalUnit {
                id: child.clone(),
                name: child.clone(),
                parent_id: id.clone(),
            });
        }
        levels.push(id.clone());
        if kind.as_str() == "ROOT" {
            organization.roots.push(OrgRoot {
                id,
                name: "Root".to_owned(),
            });
            break;
        }
        child = id;
    }
    if organization.roots.is_empty() {
        gaps.push(faults::other(
            &scope,
            ops::LIST_PARENTS,
            "ChainTooDeep",
            format!("no root found within {MAX_DEPTH} levels above {account}"),
        ));
        return None;
    }
    for target in levels {
        attached_scps(&client, &scope, &target, &mut organization.policies, gaps).await?;
    }
    Some(organization)
}

/// Adds the SCPs attached to `target` (a policy met at several levels gets several targets).
async fn attached_scps(
    client: &aws_sdk_organizations::Client,
    scope: &Scope,
    target: &str,
    policies: &mut Vec<OrgPolicy>,
    gaps: &mut Vec<Gap>,
) -> Option<()> {
    let listed = client
        .list_policies_for_target()
        .target_id(target)
        .filter(PolicyType::ServiceControlPolicy)
        .into_paginator()
        .send();
    let site = Site::new(scope, ops::LIST_POLICIES_FOR_TARGET).about(format!("SCPs on {target}"));
    let summaries = pages::items_or_gap(listed, site, gaps, |page, summaries| {
        summaries.extend(page.policies().iter().cloned())
    })
    .await;
    if !summaries.complete {
        return None;
    }
    for summary in summaries.items {
        let (Some(id), Some(arn), Some(name)) = (summary.id(), summary.arn(), summary.name())
        else {
            continue;
        };
        if let Some(known) = policies.iter_mut().find(|p| p.id == id) {
            known.targets.push(target.to_owned());
            continue;
        }
        let document = super::org::policy_document(client, scope, id, arn, gaps).await?;
        policies.push(OrgPolicy {
            id: id.to_owned(),
            arn: arn.to_owned(),
            name: name.to_owned(),
            kind: OrgPolicyKind::ServiceControlPolicy,
            aws_managed: summary.aws_managed(),
            document: document.into(),
            targets: vec![target.to_owned()],
        });
    }
    Some(())
}
