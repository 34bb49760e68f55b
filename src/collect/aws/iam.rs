//! IAM of one account from GetAccountAuthorizationDetails, paginated at the maximum page size
//! (1000) so the number of calls grows with the entity count / 1000, not per role.
//!
//! Documents: AWS returns inline and managed policy documents and trust policies URL-encoded;
//! moto returns trust policies and some documents as raw JSON. [`decode_document`] accepts both.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, ManagedPolicyDetail, PolicyDetail, RoleDetail, Tag,
};
use serde_json::Value;

use super::config::Clients;
use super::faults::{self, Scope};
use super::operations::GET_ACCOUNT_AUTHORIZATION_DETAILS as GAAD;
use super::pages::{self, Site};
use crate::inventory::{
    Gap, Iam, IamGroup, IamRole, IamUser, InlinePolicy, ManagedPolicy, RoleLastUsed, Tags,
};

/// IAM's largest `MaxItems` for this call.
const PAGE_SIZE: i32 = 1000;

/// Everything IAM says about the account, plus gaps for what could not be read (a failed
/// page keeps the pages before it and records the gap, so rules know IAM is incomplete).
pub async fn collect(clients: &Clients, gaps: &mut Vec<Gap>) -> Option<Iam> {
    let scope = Scope::account(&clients.account);
    let mut iam = Iam::default();
    let mut managed = Vec::new();
    let pages = clients
        .iam()
        .get_account_authorization_details()
        .into_paginator()
        .page_size(PAGE_SIZE)
        .send();
    let mut any_page = false;
    // Not `each_page_or_gap`: converting a page records gaps of its own, before the failure's.
    let read = pages::each_page(pages, |page| {
        any_page = true;
        for user in page.user_detail_list() {
            let (Some(name), Some(arn)) = (user.user_name(), user.arn()) else {
                continue;
            };
            iam.users.push(IamUser {
                name: name.to_owned(),
                arn: arn.to_owned(),
                path: path(user.path()),
                tags: tags(user.tags()),
                permissions_boundary: boundary(user.permissions_boundary()),
                attached_policies: attached(user.attached_managed_policies()),
                inline_policies: inline(user.user_policy_list(), arn, &scope, gaps),
                groups: user.group_list().to_vec(),
            });
        }
        for group in page.group_detail_list() {
            let (Some(name), Some(arn)) = (group.group_name(), group.arn()) else {
                continue;
            };
            iam.groups.push(IamGroup {
                name: name.to_owned(),
                arn: arn.to_owned(),
                path: path(group.path()),
                attached_policies: attached(group.attached_managed_policies()),
                inline_policies: inline(group.group_policy_list(), arn, &scope, gaps),
            });
        }
        for role in page.role_detail_list() {
            if let Some(role) = convert_role(role, &scope, gaps) {
                iam.roles.push(role);
            }
        }
        managed.extend(page.policies().iter().cloned());
        ControlFlow::Continue(())
    })
    .await;
    if let Err(err) = read {
        gaps.push(Site::new(&scope, GAAD).gap(&err));
    }
    if !any_page {
        return None;
    }
    iam.managed_policies = managed_policies(&iam, &managed, &scope, gaps);
    drop_dangling_references(&mut iam, &scope, gaps);
    Some(iam)
}

/// Attachments and boundaries whose managed policy was not collected (a later page failed,
/// or its document could not be decoded) are left out, each with a gap: a snapshot must not
/// reference a policy it does not hold, and the gap tells rules that IAM is incomplete.
fn drop_dangling_references(iam: &mut Iam, scope: &Scope, gaps: &mut Vec<Gap>) {
    let held: BTreeSet<String> = iam.managed_policies.iter().map(|p| p.arn.clone()).collect();
    let mut missing = |owner: &str, arn: &str| {
        gaps.push(faults::other(
            scope,
            GAAD,
            "PolicyNotCollected",
            format!("{owner} uses managed policy {arn}, whose document was not collected; the attachment is left out of the snapshot"),
        ));
    };
    for user in &mut iam.users {
        user.attached_policies.retain(|arn| {
            held.contains(arn) || {
                missing(&user.arn, arn);
                false
            }
        });
        if let Some(arn) = user
            .permissions_boundary
            .take_if(|arn| !held.contains(arn.as_str()))
        {
            missing(&user.arn, &arn);
        }
    }
    for group in &mut iam.groups {
        group.attached_policies.retain(|arn| {
            held.contains(arn) || {
                missing(&group.arn, arn);
                false
            }
        });
    }
    for role in &mut iam.roles {
        role.attached_policies.retain(|arn| {
            held.contains(arn) || {
                missing(&role.arn, arn);
                false
            }
        });
        if let Some(arn) = role
            .permissions_boundary
            .take_if(|arn| !held.contains(arn.as_str()))
        {
            missing(&role.arn, &arn);
        }
    }
}

fn convert_role(role: &RoleDetail, scope: &Scope, gaps: &mut Vec<Gap>) -> Option<IamRole> {
    let (name, arn) = (role.role_name()?, role.arn()?);
    let trust_policy = match role.assume_role_policy_document() {
        Some(text) => match decode_document(text) {
            Ok(value) => value,
            Err(message) => {
                gaps.push(undecodable(
                    scope,
                    &format!("trust policy of {arn}"),
                    &message,
                ));
                Value::Null
            }
        },
        None => Value::Null,
    };
    let last_used = role.role_last_used().and_then(|used| {
        let date = used
            .last_used_date()?
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .ok()?;
        Some(RoleLastUsed {
            date,
            region: used.region().map(str::to_owned),
        })
    });
    Some(IamRole {
        name: name.to_owned(),
        arn: arn.to_owned(),
        path: path(role.path()),
        trust_policy: trust_policy.into(),
        permissions_boundary: boundary(role.permissions_boundary()),
        tags: tags(role.tags()),
        attached_policies: attached(role.attached_managed_policies()),
        inline_policies: inline(role.role_policy_list(), arn, scope, gaps),
        last_used,
    })
}

/// Customer managed policies, and the AWS managed ones something in the account attaches or
/// uses as a boundary (their default version's document).
fn managed_policies(
    iam: &Iam,
    details: &[ManagedPolicyDetail],
    scope: &Scope,
    gaps: &mut Vec<Gap>,
) -> Vec<ManagedPolicy> {
    let used: BTreeSet<&str> = iam
        .users
        .iter()
        .flat_map(|u| u.attached_policies.iter().chain(&u.permissions_boundary))
        .chain(iam.groups.iter().flat_map(|g| g.attached_policies.iter()))
        .chain(
            iam.roles
                .iter()
                .flat_map(|r| r.attached_policies.iter().chain(&r.permissions_boundary)),
        )
        .map(String::as_str)
        .collect();
    let mut out = Vec::new();
    for detail in details {
        let Some(arn) = detail.arn() else { continue };
        let aws_managed = arn.contains(":iam::aws:policy/");
        if aws_managed && !used.contains(arn) {
            continue;
        }
        let default_version_id = detail.default_version_id().map(str::to_owned);
        let version = detail
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version())
            .or_else(|| {
                detail.policy_version_list().iter().find(|v| {
                    v.version_id().is_some() && v.version_id() == detail.default_version_id()
                })
            });
        let Some(text) = version.and_then(|v| v.document()) else {
            gaps.push(undecodable(
                scope,
                &format!("default version of {arn}"),
                "no document returned",
            ));
            continue;
        };
        let document = match decode_document(text) {
            Ok(value) => value,
            Err(message) => {
                gaps.push(undecodable(scope, arn, &message));
                continue;
            }
        };
        out.push(ManagedPolicy {
            arn: arn.to_owned(),
            // moto omits PolicyName: the ARN's last segment is the name.
            name: detail
                .policy_name()
                .map(str::to_owned)
                .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn).to_owned()),
            path: path(detail.path()),
            default_version_id,
            document: document.into(),
        });
    }
    out
}

fn inline(
    list: &[PolicyDetail],
    owner_arn: &str,
    scope: &Scope,
    gaps: &mut Vec<Gap>,
) -> Vec<InlinePolicy> {
    let mut out = Vec::new();
    for policy in list {
        let name = policy.policy_name().unwrap_or("(unnamed)");
        let Some(text) = policy.policy_document() else {
            continue;
        };
        match decode_document(text) {
            Ok(document) => out.push(InlinePolicy {
                name: name.to_owned(),
                document: document.into(),
            }),
            Err(message) => gaps.push(undecodable(
                scope,
                &format!("inline policy {name} of {owner_arn}"),
                &message,
            )),
        }
    }
    out
}

fn undecodable(scope: &Scope, what: &str, message: &str) -> Gap {
    faults::other(
        scope,
        GAAD,
        "UndecodablePolicyDocument",
        format!("{what}: {message}"),
    )
}

/// Decodes a policy document given as raw JSON or URL-encoded JSON.
pub fn decode_document(text: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        return serde_json::from_str(trimmed).map_err(|err| format!("not valid JSON: {err}"));
    }
    let decoded = percent_encoding::percent_decode_str(trimmed)
        .decode_utf8()
        .map_err(|err| format!("URL-encoded document is not UTF-8: {err}"))?;
    serde_json::from_str(&decoded)
        .map_err(|err| format!("not valid JSON after URL-decoding: {err}"))
}

fn path(path: Option<&str>) -> String {
    path.unwrap_or("/").to_owned()
}

fn tags(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn boundary(boundary: Option<&AttachedPermissionsBoundary>) -> Option<String> {
    boundary
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_owned)
}

fn attached(list: &[AttachedPolicy]) -> Vec<String> {
    list.iter()
        .filter_map(|p| p.policy_arn())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Scope, decode_document, drop_dangling_references};
    use crate::inventory::{Iam, IamRole, ManagedPolicy};

    #[test]
    fn references_to_uncollected_policies_become_gaps() {
        let held = "arn:aws:iam::111111111111:policy/held";
        let lost = "arn:aws:iam::111111111111:policy/lost";
        let mut iam = Iam::default();
        iam.roles.push(IamRole {
            name: "r".into(),
            arn: "arn:aws:iam::111111111111:role/r".into(),
            path: "/".into(),
            trust_policy: serde_json::json!({}).into(),
            permissions_boundary: Some(lost.into()),
            tags: Default::default(),
            attached_policies: vec![held.into(), lost.into()],
            inline_policies: Vec::new(),
            last_used: None,
        });
        iam.managed_policies.push(ManagedPolicy {
            arn: held.into(),
            name: "held".into(),
            path: "/".into(),
            default_version_id: None,
            document: serde_json::json!({"Statement": []}).into(),
        });
        let mut gaps = Vec::new();
        drop_dangling_references(&mut iam, &Scope::account("111111111111"), &mut gaps);
        assert_eq!(iam.roles[0].attached_policies, vec![held.to_owned()]);
        assert_eq!(iam.roles[0].permissions_boundary, None);
        assert_eq!(gaps.len(), 2);
        assert!(
            gaps.iter()
                .all(|g| g.source == "iam:GetAccountAuthorizationDetails"
                    && g.error_code == "PolicyNotCollected"
                    && g.message.contains(lost))
        );
    }

    #[test]
    fn decodes_raw_and_url_encoded_documents() {
        let raw = r#"{"Version":"2012-10-17","Statement":[]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_document(raw), decode_document(encoded));
        assert!(decode_document(raw).is_ok());
        assert!(decode_document("%7Bnot json").is_err());
    }
}
