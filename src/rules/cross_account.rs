//! Cross-account rules over the trust policies of roles that can connect to databases:
//! roles assumable from outside the Organization (or by anyone), and trust to other
//! accounts without any condition (`sts:ExternalId`, `aws:PrincipalOrgID`, …).

use crate::access::TrustedParty;
use crate::report::{Finding, Resource, ResourceKind};

use super::catalogue::RuleMeta;
use super::context::RuleContext;

fn role_resource(cx: &RuleContext<'_>, role: usize) -> Resource {
    let principal = &cx.analysis.principals[role];
    Resource::new(ResourceKind::IamRole, principal.arn).account(principal.account)
}

pub fn assumable_outside_org(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for entry in &cx.analysis.trust {
        // An RCP that stops the call makes the role not assumable (grant-blocked-by-rcp).
        if entry.outside_organization != Some(true) || entry.rcp_block.is_some() {
            continue;
        }
        let role = &cx.analysis.principals[entry.role];
        let who = match &entry.party {
            TrustedParty::Everyone => "anyone (Principal \"*\")".to_owned(),
            party => format!(
                "{}, outside organization {}",
                party.describe(),
                cx.analysis.organization_id().unwrap_or("?")
            ),
        };
        let conditions = if entry.conditioned {
            format!(" (conditions on {})", entry.condition_keys.join(", "))
        } else {
            " with no condition".to_owned()
        };
        let used = cx
            .activity
            .events
            .iter()
            .filter(|e| e.role_arn == role.arn && !e.failed())
            .filter(|e| {
                entry
                    .party
                    .account()
                    .is_none_or(|a| e.source_account.as_deref() == Some(a))
            })
            .count();
        let mut builder = rule
            .finding()
            .message(format!(
                "DB-connect role {} can be assumed by {who}{conditions}.",
                role.arn
            ))
            .resource(role_resource(cx, entry.role))
            .evidence(
                format!("iam:GetRole {} trust policy {}", role.arn, entry.statement),
                entry.party.describe(),
                "principals of the organization only",
            )
            .key(entry.party.describe())
            .fix(rule.fix(&[("role_name", role.name)]));
        if used > 0 {
            builder = builder.evidence(
                "cloudtrail AssumeRole",
                format!("{used} successful AssumeRole call(s) from that party"),
                "none",
            );
        }
        cx.emit(builder, &mut out);
    }
    out
}

pub fn external_without_condition(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for entry in &cx.analysis.trust {
        let role = &cx.analysis.principals[entry.role];
        // A named principal (`…:role/pg-mgmt-role`) is specific; a whole other account
        // (its root or bare id) or everyone is what this rule is about.
        let external = match &entry.party {
            TrustedParty::Everyone => true,
            TrustedParty::Account(account) => *account != role.account,
            _ => false,
        };
        if !external || entry.conditioned {
            continue;
        }
        let builder = rule
            .finding()
            .message(format!(
                "DB-connect role {} trusts {} with no condition: any principal that account lets call sts:AssumeRole can become it.",
                role.arn,
                entry.party.describe()
            ))
            .resource(role_resource(cx, entry.role))
            .evidence(
                format!("iam:GetRole {} trust policy {}", role.arn, entry.statement),
                format!("Principal {} without Condition", entry.party.describe()),
                "the exact source role ARN, and a condition such as sts:ExternalId or aws:PrincipalOrgID",
            )
            .key(entry.party.describe())
            .fix(rule.fix(&[("role_name", role.name)]));
        cx.emit(builder, &mut out);
    }
    out
}
