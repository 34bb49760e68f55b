//! Guardrail rules: grants that the identity policies make but an SCP, an RCP or a
//! permissions boundary cancels (a grant that can never work), and SCPs that block
//! `sts:AssumeRole` into a DB-connect role.

use crate::access::{Blocker, Grant, Principal, TrustedParty};
use crate::policy::{Decision, Layer};
use crate::report::{Finding, Resource, ResourceKind};

use super::catalogue::RuleMeta;
use super::context::RuleContext;

fn principal_resource(principal: &Principal<'_>) -> Resource {
    let kind = match principal.kind {
        crate::access::PrincipalKind::Role => ResourceKind::IamRole,
        crate::access::PrincipalKind::User => ResourceKind::IamUser,
    };
    Resource::new(kind, principal.arn).account(principal.account)
}

/// The Organizations policy id (`p-…`) of a blocking SCP/RCP, from its ARN label.
fn org_policy_id(blocker: &Blocker) -> String {
    blocker
        .policy
        .as_deref()
        .and_then(|arn| arn.rsplit('/').next())
        .unwrap_or("(no policy allows at this level)")
        .to_owned()
}

fn blocked_grants<'g>(
    cx: &'g RuleContext<'_>,
    layer: fn(Layer) -> bool,
) -> impl Iterator<Item = (&'g Grant, &'g Blocker)> {
    cx.analysis.grants.iter().filter_map(move |grant| {
        let blocker = grant.blocked_by.as_ref()?;
        (grant.intended() && layer(blocker.layer)).then_some((grant, blocker))
    })
}

fn grant_evidence(cx: &RuleContext<'_>, grant: &Grant) -> (String, String) {
    let target = &cx.analysis.targets[grant.target];
    (
        format!(
            "identity policies of {}",
            cx.analysis.principals[grant.principal].arn
        ),
        format!(
            "{} allows rds-db:connect on {}",
            grant.allowed_by.as_deref().unwrap_or("an identity policy"),
            target.connect_arn(&grant.db_user)
        ),
    )
}

pub fn blocked_by_scp(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for (grant, blocker) in blocked_grants(cx, |layer| matches!(layer, Layer::Scp(_))) {
        let principal = &cx.analysis.principals[grant.principal];
        let target = &cx.analysis.targets[grant.target];
        let (source, observed) = grant_evidence(cx, grant);
        let scp_id = org_policy_id(blocker);
        let tags = if principal.tags.is_empty() {
            "no tags".to_owned()
        } else {
            principal
                .tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let builder = rule
            .finding()
            .message(format!(
                "{} may connect to {} as {} by its own policies, but {}; the login fails with \"PAM authentication failed\". Principal tags: {tags}.",
                principal.arn, target.identifier, grant.db_user, blocker.describe()
            ))
            .resource(principal_resource(principal).region(target.region).db_user(&grant.db_user))
            .evidence(source, observed, "allowed")
            .evidence(
                format!("organizations:ListPoliciesForTarget {}", blocker.layer),
                blocker.describe(),
                "every SCP level from the root to the account allows rds-db:connect",
            )
            .key(target.arn)
            .fix(rule.fix(&[("scp_id", scp_id.as_str()), ("role_name", principal.name)]));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn blocked_by_boundary(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for (grant, blocker) in blocked_grants(cx, |layer| layer == Layer::PermissionBoundary) {
        let principal = &cx.analysis.principals[grant.principal];
        let target = &cx.analysis.targets[grant.target];
        let (source, observed) = grant_evidence(cx, grant);
        let boundary_arn = principal
            .boundary
            .map(|b| cx.analysis.index.owner(b).resource_arn().to_owned())
            .unwrap_or_default();
        let builder = rule
            .finding()
            .message(format!(
                "{} may connect to {} as {} by its identity policies, but its permissions boundary {} does not allow rds-db:connect: the effective permission is the intersection, so the grant never works.",
                principal.arn, target.identifier, grant.db_user, boundary_arn
            ))
            .resource(principal_resource(principal).region(target.region).db_user(&grant.db_user))
            .evidence(source, observed, "allowed")
            .evidence(format!("iam:GetPolicyVersion {boundary_arn}"), blocker.describe(), "the boundary allows rds-db:connect on this ARN")
            .key(target.arn)
            .fix(rule.fix(
                &[
                    ("boundary_arn", boundary_arn.as_str()),
                    ("account", target.account),
                    ("region", target.region),
                    ("resource_id", target.resource_id),
                    ("db_user", grant.db_user.as_str()),
                ],
            ));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn blocked_by_rcp(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for entry in &cx.analysis.trust {
        let Some(blocker) = &entry.rcp_block else {
            continue;
        };
        let role = &cx.analysis.principals[entry.role];
        let rcp_id = org_policy_id(blocker);
        let failed = failed_assume_attempts(cx, role.arn, &entry.party);
        let mut builder = rule
            .finding()
            .message(format!(
                "{} trusts {} to assume it (and it can connect to databases), but the resource control policies of account {} deny that AssumeRole: {}.",
                role.arn,
                entry.party.describe(),
                role.account,
                blocker.describe()
            ))
            .resource(principal_resource(role))
            .evidence(format!("iam:GetRole {} trust policy {}", role.arn, entry.statement), entry.party.describe(), "a caller the RCPs allow")
            .evidence(format!("organizations:ListPoliciesForTarget {}", blocker.layer), blocker.describe(), "every RCP level allows sts:AssumeRole for this caller")
            .key(entry.party.describe())
            .fix(rule.fix(&[("rcp_id", rcp_id.as_str())]));
        if failed > 0 {
            builder = builder.evidence(
                "cloudtrail AssumeRole",
                format!(
                    "{failed} failed AssumeRole attempt(s) from {}",
                    entry.party.describe()
                ),
                "none",
            );
        }
        cx.emit(builder, &mut out);
    }
    out
}

pub fn scp_blocks_assume_role(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for path in &cx.analysis.assume_paths {
        let Some(blocker) = path
            .blocked_by
            .as_ref()
            .filter(|b| matches!(b.layer, Layer::Scp(_)))
        else {
            continue;
        };
        if path.effective == Decision::Allowed {
            continue;
        }
        let source = &cx.analysis.principals[path.source];
        let role = &cx.analysis.principals[path.role];
        let scp_id = org_policy_id(blocker);
        let party = TrustedParty::Principal {
            arn: source.arn.to_owned(),
            account: source.account.to_owned(),
        };
        let failed = failed_assume_attempts(cx, role.arn, &party);
        let mut builder = rule
            .finding()
            .message(format!(
                "{} is trusted by and allowed to assume DB-connect role {}, but an SCP of account {} blocks the call: {}.",
                source.arn, role.arn, source.account, blocker.describe()
            ))
            .resource(principal_resource(source))
            .evidence(format!("identity policies of {}", source.arn), format!("allow sts:AssumeRole on {}", role.arn), "allowed")
            .evidence(format!("organizations:ListPoliciesForTarget {}", blocker.layer), blocker.describe(), "every SCP level allows sts:AssumeRole on the role")
            .key(role.arn)
            .fix(rule.fix(&[("scp_id", scp_id.as_str()), ("role_arn", role.arn)]));
        if failed > 0 {
            builder = builder.evidence(
                "cloudtrail AssumeRole",
                format!("{failed} failed AssumeRole attempt(s) (AccessDenied)"),
                "none",
            );
        }
        cx.emit(builder, &mut out);
    }
    out
}

/// Failed AssumeRole events into `role_arn` from the party, as supporting evidence.
fn failed_assume_attempts(cx: &RuleContext<'_>, role_arn: &str, party: &TrustedParty) -> usize {
    cx.activity
        .events
        .iter()
        .filter(|event| event.role_arn == role_arn && event.failed())
        .filter(|event| match party {
            TrustedParty::Principal { arn, account } => {
                event.principal_arn.as_deref() == Some(arn)
                    || event.source_account.as_deref() == Some(account)
            }
            TrustedParty::Account(account) => event.source_account.as_deref() == Some(account),
            _ => true,
        })
        .count()
}
