//! One principal's IAM, read narrowly for `rdsiam doctor`: the role or user behind a caller
//! ARN, its inline and attached policies (a user's groups too), its permissions boundary and
//! tags — the calls a DBA's read-only role usually has, instead of the whole account's
//! GetAccountAuthorizationDetails. The result is an [`Iam`] holding just that principal, so
//! the doctor evaluates it with the same code as `rdsiam audit`.

use std::collections::BTreeSet;

use aws_sdk_iam::types::{AttachedPermissionsBoundary, AttachedPolicy, Tag};

use super::config::Clients;
use super::faults::{self, Scope};
use super::iam::decode_document;
use super::operations as ops;
use super::pages::{self, Site};
use crate::inventory::{Gap, Iam, IamGroup, IamRole, IamUser, InlinePolicy, ManagedPolicy, Tags};

/// What a caller ARN (from GetCallerIdentity) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    /// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`: the role `NAME`.
    AssumedRole { role_name: String, session: String },
    /// `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
    User { user_name: String },
    /// `arn:aws:iam::ACCOUNT:root`: every identity permission, only SCPs can restrict it.
    Root,
    /// Federated users and anything else: their permissions are not readable from IAM.
    Other,
}

/// Parses a caller ARN.
pub fn caller_kind(arn: &str) -> CallerKind {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    if resource == "root" {
        return CallerKind::Root;
    }
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        let (role, session) = rest.split_once('/').unwrap_or((rest, ""));
        return CallerKind::AssumedRole {
            role_name: role.to_owned(),
            session: session.to_owned(),
        };
    }
    if let Some(rest) = resource.strip_prefix("user/") {
        let name = rest.rsplit('/').next().unwrap_or(rest);
        return CallerKind::User {
            user_name: name.to_owned(),
        };
    }
    CallerKind::Other
}

/// The caller's role or user with its policies; `None` when the principal itself could not
/// be read (the gap says which permission was missing). Policies that fail to read are left
/// out, each with a gap, so the decision knows it is incomplete.
pub async fn read(clients: &Clients, kind: &CallerKind, gaps: &mut Vec<Gap>) -> Option<Iam> {
    let scope = Scope::account(&clients.account);
    let mut reader = Reader {
        client: clients.iam(),
        scope,
        gaps,
        managed_arns: BTreeSet::new(),
    };
    let mut iam = Iam::default();
    match kind {
        CallerKind::AssumedRole { role_name, .. } => iam.roles.push(reader.role(role_name).await?),
        CallerKind::User { user_name } => {
            let (user, groups) = reader.user(user_name).await?;
            iam.users.push(user);
            iam.groups = groups;
        }
        CallerKind::Root | CallerKind::Other => return None,
    }
    let arns: Vec<String> = reader.managed_arns.iter().cloned().collect();
    for arn in arns {
        if let Some(policy) = reader.managed(&arn).await {
            iam.managed_policies.push(policy);
        }
    }
    // Attachments whose document could not be read are dropped (their gap is recorded): an
    // inventory never references a policy it does not hold.
    let held: BTreeSet<&str> = iam
        .managed_policies
        .iter()
        .map(|p| p.arn.as_str())
        .collect();
    let held: BTreeSet<String> = held.into_iter().map(str::to_owned).collect();
    for role in &mut iam.roles {
        role.attached_policies.retain(|a| held.contains(a));
        role.permissions_boundary
            .take_if(|a| !held.contains(a.as_str()));
    }
    for user in &mut iam.users {
        user.attached_policies.retain(|a| held.contains(a));
        user.permissions_boundary
            .take_if(|a| !held.contains(a.as_str()));
    }
    for group in &mut iam.groups {
        group.attached_policies.retain(|a| held.contains(a));
    }
    Some(iam)
}

/// The policy reads of roles, users and groups, `attached_*(name)` (ListAttached*Policies)
/// and `inline_*(name, arn)` (List*Policies, then Get*Policy for each): the same steps on
/// three sets of IAM calls whose SDK types share no trait, so they are written once here.
/// A failed listing keeps what it read and records a gap naming the principal.
macro_rules! policy_reads {
    ($($attached:ident, $inline:ident: $kind:literal, $param:ident,
        $list_attached:ident / $list_attached_op:ident,
        $list_inline:ident / $list_inline_op:ident, $get_inline:ident / $get_inline_op:ident;)*
    ) => {$(
        async fn $attached(&mut self, name: &str) -> Vec<String> {
            let pages = self.client.$list_attached().$param(name).into_paginator().send();
            let site = Site::new(&self.scope, ops::$list_attached_op)
                .about(format!(concat!($kind, " {}"), name));
            pages::items_or_gap(pages, site, self.gaps, |page, arns| {
                arns.extend(attached_arns(page.attached_policies()))
            })
            .await
            .items
        }

        async fn $inline(&mut self, name: &str, arn: &str) -> Vec<InlinePolicy> {
            let pages = self.client.$list_inline().$param(name).into_paginator().send();
            let site = Site::new(&self.scope, ops::$list_inline_op)
                .about(format!(concat!($kind, " {}"), name));
            let names = pages::items_or_gap(pages, site, self.gaps, |page, names| {
                names.extend(page.policy_names().iter().cloned())
            })
            .await
            .items;
            let mut out = Vec::new();
            for policy in names {
                let got = self.client.$get_inline().$param(name).policy_name(&policy).send().await;
                let document = got.map(|got| got.policy_document().to_owned());
                self.inline(ops::$get_inline_op, arn, policy, document, &mut out);
            }
            out
        }
    )*};
}

struct Reader<'g> {
    client: aws_sdk_iam::Client,
    scope: Scope,
    gaps: &'g mut Vec<Gap>,
    /// Managed policies met so far (attachments and boundaries), read once each at the end.
    managed_arns: BTreeSet<String>,
}

impl Reader<'_> {
    policy_reads! {
        attached_role, inline_role: "role", role_name,
            list_attached_role_policies / LIST_ATTACHED_ROLE_POLICIES,
            list_role_policies / LIST_ROLE_POLICIES, get_role_policy / GET_ROLE_POLICY;
        attached_user, inline_user: "user", user_name,
            list_attached_user_policies / LIST_ATTACHED_USER_POLICIES,
            list_user_policies / LIST_USER_POLICIES, get_user_policy / GET_USER_POLICY;
        attached_group, inline_group: "group", group_name,
            list_attached_group_policies / LIST_ATTACHED_GROUP_POLICIES,
            list_group_policies / LIST_GROUP_POLICIES, get_group_policy / GET_GROUP_POLICY;
    }

    fn fail<E, R>(
        &mut self,
        op: ops::Operation,
        what: &str,
        err: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
    ) where
        E: faults::OperationError,
        R: std::fmt::Debug + faults::HasStatus,
    {
        self.gaps
            .push(Site::new(&self.scope, op).about(what).gap(err));
    }

    fn undecodable(&mut self, op: ops::Operation, what: &str, message: &str) {
        self.gaps.push(faults::other(
            &self.scope,
            op,
            "UndecodablePolicyDocument",
            format!("{what}: {message}"),
        ));
    }

    async fn role(&mut self, name: &str) -> Option<IamRole> {
        let out = match self.client.get_role().role_name(name).send().await {
            Ok(out) => out,
            Err(err) => {
                self.fail(ops::GET_ROLE, &format!("role {name}"), &err);
                return None;
            }
        };
        let role = out.role()?;
        let arn = role.arn().to_owned();
        let trust = role
            .assume_role_policy_document()
            .and_then(|d| decode_document(d).ok())
            .unwrap_or_else(|| serde_json::json!({"Version": "2012-10-17", "Statement": []}));
        let boundary = boundary(role.permissions_boundary());
        let attached = self.attached_role(name).await;
        let inline = self.inline_role(name, &arn).await;
        self.managed_arns.extend(attached.iter().cloned());
        self.managed_arns.extend(boundary.iter().cloned());
        Some(IamRole {
            name: role.role_name().to_owned(),
            arn,
            path: role.path().to_owned(),
            trust_policy: trust.into(),
            permissions_boundary: boundary,
            tags: tags(role.tags()),
            attached_policies: attached,
            inline_policies: inline,
            last_used: None,
        })
    }

    async fn user(&mut self, name: &str) -> Option<(IamUser, Vec<IamGroup>)> {
        let out = match self.client.get_user().user_name(name).send().await {
            Ok(out) => out,
            Err(err) => {
                self.fail(ops::GET_USER, &format!("user {name}"), &err);
                return None;
            }
        };
        let user = out.user()?;
        let arn = user.arn().to_owned();
        let boundary = boundary(user.permissions_boundary());
        let attached = self.attached_user(name).await;
        let inline = self.inline_user(name, &arn).await;
        let groups = self.groups_of(name).await;
        self.managed_arns.extend(attached.iter().cloned());
        self.managed_arns.extend(boundary.iter().cloned());
        for group in &groups {
            self.managed_arns
                .extend(group.attached_policies.iter().cloned());
        }
        Some((
            IamUser {
                name: user.user_name().to_owned(),
                arn,
                path: user.path().to_owned(),
                tags: tags(user.tags()),
                permissions_boundary: boundary,
                attached_policies: attached,
                inline_policies: inline,
                groups: groups.iter().map(|g| g.name.clone()).collect(),
            },
            groups,
        ))
    }

    async fn groups_of(&mut self, user: &str) -> Vec<IamGroup> {
        let pages = self
            .client
            .list_groups_for_user()
            .user_name(user)
            .into_paginator()
            .send();
        let site = Site::new(&self.scope, ops::LIST_GROUPS_FOR_USER).about(format!("user {user}"));
        let listed = pages::items_or_gap(pages, site, self.gaps, |page, listed| {
            listed.extend(page.groups().iter().map(|g| {
                (
                    g.group_name().to_owned(),
                    g.arn().to_owned(),
                    g.path().to_owned(),
                )
            }))
        })
        .await
        .items;
        let mut groups = Vec::new();
        for (name, arn, path) in listed {
            let attached = self.attached_group(&name).await;
            let inline = self.inline_group(&name, &arn).await;
            groups.push(IamGroup {
                name,
                arn,
                path,
                attached_policies: attached,
                inline_policies: inline,
            });
        }
        groups
    }

    /// One inline policy read by `op` (Get{Role,User,Group}Policy): decoded onto `out`, or a
    /// gap when the call failed or its document does not decode.
    fn inline<E, R>(
        &mut self,
        op: ops::Operation,
        owner_arn: &str,
        policy: String,
        got: Result<String, aws_smithy_runtime_api::client::result::SdkError<E, R>>,
        out: &mut Vec<InlinePolicy>,
    ) where
        E: faults::OperationError,
        R: std::fmt::Debug + faults::HasStatus,
    {
        let what = format!("inline policy {policy} of {owner_arn}");
        match got {
            Ok(document) => match decode_document(&document) {
                Ok(document) => out.push(InlinePolicy {
                    name: policy,
                    document: document.into(),
                }),
                Err(e) => self.undecodable(op, &what, &e),
            },
            Err(err) => self.fail(op, &what, &err),
        }
    }

    /// A managed policy's default version document (GetPolicy, then GetPolicyVersion).
    async fn managed(&mut self, arn: &str) -> Option<ManagedPolicy> {
        let what = format!("managed policy {arn}");
        let policy = match self.client.get_policy().policy_arn(arn).send().await {
            Ok(out) => out.policy()?.clone(),
            Err(err) => {
                self.fail(ops::GET_POLICY, &what, &err);
                return None;
            }
        };
        let version = policy.default_version_id()?.to_owned();
        let document = match self
            .client
            .get_policy_version()
            .policy_arn(arn)
            .version_id(&version)
            .send()
            .await
        {
            Ok(out) => out.policy_version()?.document()?.to_owned(),
            Err(err) => {
                self.fail(ops::GET_POLICY_VERSION, &what, &err);
                return None;
            }
        };
        let document = match decode_document(&document) {
            Ok(document) => document,
            Err(e) => {
                self.undecodable(ops::GET_POLICY_VERSION, &what, &e);
                return None;
            }
        };
        Some(ManagedPolicy {
            arn: arn.to_owned(),
            name: policy
                .policy_name()
                .map(str::to_owned)
                .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn).to_owned()),
            path: policy.path().unwrap_or("/").to_owned(),
            default_version_id: Some(version),
            document: document.into(),
        })
    }
}

/// IAM's own policy simulator (`iam:SimulatePrincipalPolicy`) on one action and resource: a
/// second opinion for the doctor. `Ok` holds IAM's decision (`allowed`, `implicitDeny`,
/// `explicitDeny`) and, when IAM reports it, whether Organizations allowed; `Err` says why
/// there is no answer (the permission, or an endpoint that does not implement it).
pub async fn simulate(
    clients: &Clients,
    principal_arn: &str,
    action: &str,
    resource: &str,
) -> Result<(String, Option<bool>), String> {
    let out = clients
        .iam()
        .simulate_principal_policy()
        .policy_source_arn(principal_arn)
        .action_names(action)
        .resource_arns(resource)
        .send()
        .await
        .map_err(|err| {
            let (code, message) = faults::classify(&err);
            format!(
                "{code}: {message} (needs {})",
                ops::SIMULATE_PRINCIPAL_POLICY
            )
        })?;
    let result = out
        .evaluation_results()
        .first()
        .ok_or_else(|| "IAM returned no evaluation result".to_owned())?;
    let organizations = result
        .organizations_decision_detail()
        .map(|d| d.allowed_by_organizations());
    Ok((result.eval_decision().as_str().to_owned(), organizations))
}

fn boundary(boundary: Option<&AttachedPermissionsBoundary>) -> Option<String> {
    boundary
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_owned)
}

/// The ARNs of attached managed policies.
fn attached_arns(attached: &[AttachedPolicy]) -> impl Iterator<Item = String> + '_ {
    attached
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
}

fn tags(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{CallerKind, caller_kind};

    #[test]
    fn caller_arns_name_their_principal() {
        assert_eq!(
            caller_kind("arn:aws:sts::111122223333:assumed-role/pg-monitor/alice@example.com"),
            CallerKind::AssumedRole {
                role_name: "pg-monitor".into(),
                session: "alice@example.com".into()
            }
        );
        assert_eq!(
            caller_kind("arn:aws:iam::111122223333:user/ops/dba/alice"),
            CallerKind::User {
                user_name: "alice".into()
            }
        );
        assert_eq!(
            caller_kind("arn:aws:iam::111122223333:root"),
            CallerKind::Root
        );
        assert_eq!(
            caller_kind("arn:aws:sts::111122223333:federated-user/bob"),
            CallerKind::Other
        );
    }
}
