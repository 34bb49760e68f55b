//! The IAM decision for `rds-db:connect` on the exact dbuser ARN of this login, with the
//! policy engine and the same principal and SCP-chain model as `rdsiam audit`
//! ([`crate::access`]), over an inventory holding just the signing principal (and its chain
//! when readable). A denial is turned into the cause a DBA can act on: the policy names
//! another resource (`policy-resource-mismatch`), no policy allows (`policy-no-allow`), the
//! permissions boundary (`boundary-deny`) or an SCP (`scp-deny`) stops it.

use serde_json::Value;

use crate::access::matrix::{Blocker, connect_context};
use crate::access::policies::PolicyIndex;
use crate::access::principals::{org_chains, principals};
use crate::inventory::Inventory;
use crate::policy::rds_db::{DbUserArn, lint_resource};
use crate::policy::{
    Decision, Layer, Policy, PolicyDocument, PolicySet, ReasonKind, Request, RequestContext,
    evaluate,
};

use super::super::diagnosis::codes;

pub use crate::policy::rds_db::CONNECT;

/// What the engine decided, in the doctor's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed; the statement that allows.
    Allowed { by: String },
    /// Allowed or not depending on request facts unknown offline (condition keys).
    Depends { keys: Vec<String> },
    /// Denied: the cause code and its evidence.
    Denied {
        code: &'static str,
        evidence: Vec<String>,
    },
    /// Denied by a guardrail policy (boundary or SCP): the cause, its evidence and the
    /// deciding policy's ARN (the fix names it).
    Blocked {
        code: &'static str,
        evidence: Vec<String>,
        policy: Option<String>,
    },
}

/// The question: may `principal_arn` (the IAM role or user behind the caller) connect as
/// `db_user` to the database `resource_id` in `db_account`/`region`?
#[derive(Debug, Clone)]
pub struct Question<'a> {
    pub principal_arn: &'a str,
    pub region: &'a str,
    pub db_account: &'a str,
    pub resource_id: &'a str,
    pub db_user: &'a str,
    /// SCPs were read (the inventory holds the chain) or are known not to apply.
    pub scps_known: bool,
}

impl Question<'_> {
    /// `arn:aws:rds-db:REGION:ACCOUNT:dbuser:RESOURCE_ID/USER`.
    pub fn connect_arn(&self) -> String {
        let partition = self.principal_arn.split(':').nth(1).unwrap_or("aws");
        format!(
            "arn:{partition}:rds-db:{}:{}:dbuser:{}/{}",
            self.region, self.db_account, self.resource_id, self.db_user
        )
    }
}

/// Evaluates `question` over `inventory`; `None` when the principal is not in it.
pub fn decide(inventory: &Inventory, question: &Question<'_>) -> Option<Verdict> {
    let index = PolicyIndex::build(inventory);
    let all = principals(inventory, &index);
    let principal = all.iter().find(|p| p.arn == question.principal_arn)?;
    let chains = org_chains(inventory, &index);
    let organization_id = inventory.organization.as_ref().map(|o| o.id.as_str());
    let guarded = principal.guarded(&index, &chains);
    let mut context = connect_context(principal.context(organization_id));
    context.set(
        "aws:RequestedRegion",
        vec![question.region.to_owned()],
        false,
    );
    let resource = question.connect_arn();
    let request = Request {
        principal: Some(&principal.request_principal),
        action: CONNECT,
        resource: &resource,
        context: &context,
    };
    let identity = evaluate(&request, &guarded.identity_only());
    let effective = evaluate(&request, &guarded.set());
    let allowed_by = identity
        .reasons
        .iter()
        .find(|r| r.kind == ReasonKind::Allow)
        .and_then(|r| Some(format!("{} of {}", r.statement?.label(), r.policy?.name)));
    Some(match (identity.decision, effective.decision) {
        (Decision::Allowed, Decision::Allowed) => Verdict::Allowed {
            by: allowed_by.unwrap_or_else(|| "an identity policy".to_owned()),
        },
        (_, Decision::Depends) | (Decision::Depends, _) => Verdict::Depends {
            keys: effective
                .depends_on
                .iter()
                .chain(identity.depends_on.iter())
                .cloned()
                .collect(),
        },
        (Decision::ExplicitlyDenied, _) => {
            let blocker = Blocker::of(&identity);
            Verdict::Denied {
                code: codes::POLICY_NO_ALLOW,
                evidence: vec![format!(
                    "an identity policy explicitly denies {CONNECT} on {resource}: {}",
                    blocker.map_or_else(|| "(no statement recorded)".into(), |b| b.describe())
                )],
            }
        }
        (Decision::ImplicitlyDenied, _) => no_allow(inventory, question, &resource),
        (Decision::Allowed, _) => {
            let blocker = Blocker::of(&effective);
            let (code, what) = match blocker.as_ref().map(|b| b.layer) {
                Some(Layer::PermissionBoundary) => {
                    (codes::BOUNDARY_DENY, "the permissions boundary")
                }
                Some(Layer::Scp(_)) => (codes::SCP_DENY, "a service control policy"),
                _ => (codes::POLICY_NO_ALLOW, "a guardrail"),
            };
            let mut evidence = vec![
                format!(
                    "identity policies allow it ({})",
                    allowed_by.unwrap_or_default()
                ),
                format!(
                    "{what} stops it: {}",
                    blocker
                        .as_ref()
                        .map_or_else(|| "(no statement recorded)".into(), |b| b.describe())
                ),
            ];
            if code == codes::SCP_DENY {
                evidence.push(
                    "SCP levels are root → OUs → account; every level must allow and one explicit Deny anywhere wins".into(),
                );
            }
            Verdict::Blocked {
                code,
                evidence,
                policy: blocker.and_then(|b| b.policy),
            }
        }
    })
}

/// Identity policies do not allow: either an Allow for rds-db:connect names another resource
/// (the classic wrong-resource-id mistake) or nothing allows the action at all.
fn no_allow(inventory: &Inventory, question: &Question<'_>, resource: &str) -> Verdict {
    let expected = format!("the login needs {resource}");
    let mut near_misses = Vec::new();
    // Only statements that name this very resource but whose Condition fails: the resource
    // is right, the condition is the problem.
    let mut only_conditions = true;
    for document in identity_documents(inventory, question.principal_arn) {
        for statement in statements(&document.1) {
            if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
                continue;
            }
            let Some(resources) = statement.get("Resource") else {
                continue;
            };
            if !covers_connect(statement) {
                continue;
            }
            for pattern in strings(resources) {
                if pattern_matches(&pattern, resource) {
                    near_misses.push(format!(
                        "{} in {} matches, but its Condition is false for this request",
                        pattern, document.0
                    ));
                } else {
                    only_conditions = false;
                    near_misses.push(format!(
                        "{} in {}: {}",
                        pattern,
                        document.0,
                        why_not(&pattern, question)
                    ));
                }
            }
        }
    }
    if near_misses.is_empty() {
        return Verdict::Denied {
            code: codes::POLICY_NO_ALLOW,
            evidence: vec![
                format!(
                    "no identity policy of {} allows {CONNECT}",
                    question.principal_arn
                ),
                expected,
            ],
        };
    }
    if only_conditions {
        let mut evidence = near_misses;
        evidence.push(format!(
            "rds-db:connect requests never carry {} (the database checks the token, not an AWS endpoint)",
            crate::policy::rds_db::NEVER_IN_CONNECT.join(", ")
        ));
        evidence.push(expected);
        return Verdict::Denied {
            code: codes::POLICY_NO_ALLOW,
            evidence,
        };
    }
    let mut evidence = vec![format!(
        "{} allows {CONNECT}, but not on this database user",
        question.principal_arn
    )];
    evidence.extend(near_misses);
    evidence.push(expected);
    Verdict::Denied {
        code: codes::POLICY_RESOURCE_MISMATCH,
        evidence,
    }
}

/// Why `pattern` does not name this login's dbuser ARN, field by field.
fn why_not(pattern: &str, question: &Question<'_>) -> String {
    let lint = lint_resource(pattern);
    let mut reasons: Vec<String> = lint.problems.iter().map(|p| p.to_string()).collect();
    if let Some(DbUserArn {
        region,
        account,
        resource_id,
        db_user,
        ..
    }) = &lint.parsed
    {
        let differs = |got: &str, want: &str| !got.contains(['*', '?']) && got != want;
        if differs(resource_id, question.resource_id) {
            reasons.push(format!(
                "resource id {resource_id}, the database's is {}",
                question.resource_id
            ));
        }
        if differs(region, question.region) {
            reasons.push(format!(
                "region {region}, the database is in {}",
                question.region
            ));
        }
        if differs(account, question.db_account) {
            reasons.push(format!(
                "account {account}, the database is in {}",
                question.db_account
            ));
        }
        if differs(db_user, question.db_user) {
            reasons.push(format!(
                "user {db_user:?}, the login is as {:?}",
                question.db_user
            ));
        }
    }
    if reasons.is_empty() {
        "does not match".to_owned()
    } else {
        reasons.join("; ")
    }
}

/// (label, document) of every identity policy of the principal (users: with their groups').
fn identity_documents(inventory: &Inventory, principal_arn: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for account in &inventory.accounts {
        let iam = &account.iam;
        let managed = |arn: &String, out: &mut Vec<(String, Value)>| {
            if let Some(p) = iam.managed_policies.iter().find(|p| &p.arn == arn) {
                out.push((p.arn.clone(), p.document.to_value()));
            }
        };
        for role in iam.roles.iter().filter(|r| r.arn == principal_arn) {
            for inline in &role.inline_policies {
                out.push((
                    format!("inline policy {} of {}", inline.name, role.arn),
                    inline.document.to_value(),
                ));
            }
            role.attached_policies
                .iter()
                .for_each(|a| managed(a, &mut out));
        }
        for user in iam.users.iter().filter(|u| u.arn == principal_arn) {
            for inline in &user.inline_policies {
                out.push((
                    format!("inline policy {} of {}", inline.name, user.arn),
                    inline.document.to_value(),
                ));
            }
            user.attached_policies
                .iter()
                .for_each(|a| managed(a, &mut out));
            for group in iam.groups.iter().filter(|g| user.groups.contains(&g.name)) {
                for inline in &group.inline_policies {
                    out.push((
                        format!("inline policy {} of {}", inline.name, group.arn),
                        inline.document.to_value(),
                    ));
                }
                group
                    .attached_policies
                    .iter()
                    .for_each(|a| managed(a, &mut out));
            }
        }
    }
    out
}

fn statements(document: &Value) -> Vec<&Value> {
    match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(list) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The statement's Action/NotAction covers rds-db:connect (decided by the engine itself).
fn covers_connect(statement: &Value) -> bool {
    let mut probe = serde_json::Map::new();
    probe.insert("Effect".into(), "Allow".into());
    for key in ["Action", "NotAction"] {
        if let Some(v) = statement.get(key) {
            probe.insert(key.into(), v.clone());
        }
    }
    probe.insert("Resource".into(), "*".into());
    allows(Value::Object(probe), "arn:aws:rds-db:r:a:dbuser:x/y")
}

/// `pattern` covers `resource` under the engine's ARN matching rules.
fn pattern_matches(pattern: &str, resource: &str) -> bool {
    let probe = serde_json::json!({"Effect": "Allow", "Action": CONNECT, "Resource": pattern});
    allows(probe, resource)
}

fn allows(statement: Value, resource: &str) -> bool {
    let document = serde_json::json!({"Version": "2012-10-17", "Statement": [statement]});
    let Ok(document) = PolicyDocument::from_value(&document) else {
        return false;
    };
    let policy = Policy::new("probe", document);
    let context = RequestContext::open();
    let request = Request {
        principal: None,
        action: CONNECT,
        resource,
        context: &context,
    };
    let list = [&policy];
    evaluate(&request, &PolicySet::identity_only(&list)).decision == Decision::Allowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{
        Account, Iam, IamRole, InlinePolicy, OrgAccount, OrgPolicy, OrgPolicyKind, OrgRoot,
        Organization,
    };
    use serde_json::json;

    const ROLE: &str = "arn:aws:iam::111122223333:role/pg-monitor";

    fn inventory(inline: Value, boundary: Option<Value>, scp: Option<Value>) -> Inventory {
        let mut iam = Iam::default();
        let mut role = IamRole {
            name: "pg-monitor".into(),
            arn: ROLE.into(),
            path: "/".into(),
            trust_policy: json!({"Version": "2012-10-17", "Statement": []}).into(),
            permissions_boundary: None,
            tags: Default::default(),
            attached_policies: Vec::new(),
            inline_policies: vec![InlinePolicy {
                name: "connect".into(),
                document: inline.into(),
            }],
            last_used: None,
        };
        if let Some(boundary) = boundary {
            let arn = "arn:aws:iam::111122223333:policy/boundary".to_owned();
            role.permissions_boundary = Some(arn.clone());
            iam.managed_policies.push(crate::inventory::ManagedPolicy {
                arn,
                name: "boundary".into(),
                path: "/".into(),
                default_version_id: Some("v1".into()),
                document: boundary.into(),
            });
        }
        iam.roles.push(role);
        let organization = scp.map(|scp| Organization {
            id: "o-test".into(),
            management_account_id: "999999999999".into(),
            roots: vec![OrgRoot {
                id: "r-root".into(),
                name: "Root".into(),
            }],
            organizational_units: Vec::new(),
            accounts: vec![OrgAccount {
                id: "111122223333".into(),
                name: "db".into(),
                parent_id: "r-root".into(),
                status: "ACTIVE".into(),
            }],
            policies: vec![
                OrgPolicy {
                    id: "p-full".into(),
                    arn: "arn:aws:organizations::999999999999:policy/o-test/service_control_policy/p-full".into(),
                    name: "FullAWSAccess".into(),
                    kind: OrgPolicyKind::ServiceControlPolicy,
                    aws_managed: true,
                    document: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}).into(),
                    targets: vec!["r-root".into(), "111122223333".into()],
                },
                OrgPolicy {
                    id: "p-deny".into(),
                    arn: "arn:aws:organizations::999999999999:policy/o-test/service_control_policy/p-deny".into(),
                    name: "deny-db".into(),
                    kind: OrgPolicyKind::ServiceControlPolicy,
                    aws_managed: false,
                    document: scp.into(),
                    targets: vec!["111122223333".into()],
                },
            ],
        });
        Inventory {
            organization,
            accounts: vec![Account {
                account_id: "111122223333".into(),
                name: None,
                iam,
                regions: Vec::new(),
            }],
            ..Inventory::new("doctor")
        }
    }

    fn question() -> Question<'static> {
        Question {
            principal_arn: ROLE,
            region: "us-east-1",
            db_account: "111122223333",
            resource_id: "db-ABCDEFGHIJKL",
            db_user: "pgmonitor",
            scps_known: true,
        }
    }

    fn allow(resource: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "Connect", "Effect": "Allow", "Action": "rds-db:connect", "Resource": resource}]})
    }

    const GOOD: &str = "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL/pgmonitor";

    #[test]
    fn exact_grant_is_allowed() {
        let verdict = decide(&inventory(allow(GOOD), None, None), &question()).unwrap();
        assert!(
            matches!(&verdict, Verdict::Allowed { by } if by.contains("Connect")),
            "{verdict:?}"
        );
    }

    #[test]
    fn wrong_resource_id_is_a_resource_mismatch_naming_both_ids() {
        let wrong = "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-WRONGWRONGWR/pgmonitor";
        let verdict = decide(&inventory(allow(wrong), None, None), &question()).unwrap();
        let Verdict::Denied { code, evidence } = verdict else {
            panic!("{verdict:?}")
        };
        assert_eq!(code, codes::POLICY_RESOURCE_MISMATCH);
        let text = evidence.join("\n");
        assert!(
            text.contains("db-WRONGWRONGWR") && text.contains("db-ABCDEFGHIJKL"),
            "{text}"
        );
    }

    #[test]
    fn identifier_instead_of_resource_id_is_named() {
        let wrong = "arn:aws:rds-db:us-east-1:111122223333:dbuser:mydb/pgmonitor";
        let Verdict::Denied { code, evidence } =
            decide(&inventory(allow(wrong), None, None), &question()).unwrap()
        else {
            panic!()
        };
        assert_eq!(code, codes::POLICY_RESOURCE_MISMATCH);
        assert!(evidence.join("\n").contains("mydb"));
    }

    #[test]
    fn no_connect_statement_is_no_allow() {
        let other = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
        let Verdict::Denied { code, .. } =
            decide(&inventory(other, None, None), &question()).unwrap()
        else {
            panic!()
        };
        assert_eq!(code, codes::POLICY_NO_ALLOW);
    }

    #[test]
    fn boundary_without_connect_is_boundary_deny() {
        let boundary = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
        let Verdict::Blocked {
            code,
            evidence,
            policy,
        } = decide(&inventory(allow(GOOD), Some(boundary), None), &question()).unwrap()
        else {
            panic!()
        };
        assert_eq!(code, codes::BOUNDARY_DENY, "{evidence:?}");
        assert_eq!(
            policy.as_deref(),
            Some("arn:aws:iam::111122223333:policy/boundary")
        );
    }

    #[test]
    fn scp_deny_is_scp_deny_naming_the_policy() {
        let scp = json!({"Version": "2012-10-17", "Statement": [{"Sid": "NoDb", "Effect": "Deny", "Action": "rds-db:*", "Resource": "*"}]});
        let Verdict::Blocked {
            code,
            evidence,
            policy,
        } = decide(&inventory(allow(GOOD), None, Some(scp)), &question()).unwrap()
        else {
            panic!()
        };
        assert_eq!(code, codes::SCP_DENY);
        assert!(policy.unwrap_or_default().ends_with("/p-deny"));
        assert!(
            evidence.join("\n").contains("deny-db") || evidence.join("\n").contains("p-deny"),
            "{evidence:?}"
        );
    }

    #[test]
    fn condition_on_unknown_key_depends() {
        let conditional = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": GOOD, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]});
        let verdict = decide(&inventory(conditional, None, None), &question()).unwrap();
        assert!(matches!(verdict, Verdict::Depends { .. }), "{verdict:?}");
    }

    #[test]
    fn source_ip_condition_never_matches_a_connect() {
        // The token is checked by the database, so aws:SourceIp is absent: the Allow is dead.
        let conditional = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": GOOD, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]});
        let Verdict::Denied { code, evidence } =
            decide(&inventory(conditional, None, None), &question()).unwrap()
        else {
            panic!()
        };
        assert_eq!(code, codes::POLICY_NO_ALLOW);
        assert!(
            evidence.join("\n").contains("Condition is false"),
            "{evidence:?}"
        );
    }
}
