//! Rules over the policy documents themselves: malformed or misdirected `rds-db` resource
//! ARNs, over-broad wildcards, misspelt actions, conditions on keys a connect request never
//! carries, and documents that do not parse. Each finding points at the policy (managed
//! policy ARN, or the user/role holding the inline policy) and quotes the statement.

use crate::access::{PolicyOwner, Target, TargetKind};
use crate::policy::condition::BaseOperator;
use crate::policy::rds_db::{
    ActionProblem, Breadth, NEVER_IN_CONNECT, ResourceProblem, lint_action,
};
use crate::policy::{Effect, Statement};
use crate::report::Finding;

use super::catalogue::RuleMeta;
use super::connect_patterns::ConnectPattern;
use super::context::RuleContext;
use super::policy_fix::{
    Edit, corrected_document, document_text, inspect_command, publish_command, unknown,
};
use crate::report::statement_identity;

impl ConnectPattern<'_> {
    fn source(&self) -> String {
        format!(
            "iam:GetAccountAuthorizationDetails {} {}",
            self.owner.label(),
            self.statement.label()
        )
    }

    /// Placeholder values for the catalogue fix templates; `policy_update` is the command
    /// that publishes the document with `edit` applied (or names what is unknown).
    fn vars_with(
        &self,
        cx: &RuleContext<'_>,
        resource_id: &str,
        edit: Result<Edit<'_>, String>,
    ) -> Vec<(&'static str, String)> {
        let mut vars = self.vars(resource_id);
        vars.push((
            "policy_update",
            publish(cx, self.owner, self.statement, edit),
        ));
        vars
    }

    /// Placeholder values for the catalogue fix templates.
    fn vars(&self, resource_id: &str) -> Vec<(&'static str, String)> {
        let parsed = self.lint.parsed.as_ref();
        let text = |f: fn(&crate::policy::rds_db::DbUserArn) -> &String| {
            parsed.map(|p| f(p).trim().to_owned()).unwrap_or_default()
        };
        vec![
            ("policy_arn", self.owner.resource_arn().to_owned()),
            ("account", text(|p| &p.account)),
            ("region", text(|p| &p.region)),
            ("db_user", text(|p| &p.db_user)),
            ("resource_id", resource_id.to_owned()),
            ("observed_id", text(|p| &p.resource_id)),
        ]
    }
}

/// The command that publishes `owner`'s document with `edit` applied to `statement`, or
/// that names why the corrected document is unknown.
fn publish(
    cx: &RuleContext<'_>,
    owner: &PolicyOwner,
    statement: &Statement,
    edit: Result<Edit<'_>, String>,
) -> String {
    let document = edit.and_then(|edit| {
        let text = document_text(cx.inventory, owner)
            .ok_or_else(|| unknown("POLICY_DOCUMENT", "document text not in snapshot"))?;
        corrected_document(text, statement, edit).ok_or_else(|| {
            unknown(
                "POLICY_DOCUMENT",
                "the edit would leave no statement, or the statement changed shape: edit by hand",
            )
        })
    });
    publish_command(owner, document)
}

/// The ARN the pattern should have been: `rds-db` service, `dbuser:` keyword, the resource
/// id of the DB it meant (the cluster's for a member instance), that DB's account and
/// region, the user name trimmed (and lower-cased when it had upper-case letters). Every
/// ARN rule renders this same correction, so applying any one fix clears them all.
fn corrected_arn(cx: &RuleContext<'_>, pattern: &ConnectPattern<'_>) -> Result<String, String> {
    let parsed = pattern.lint.parsed.as_ref().ok_or_else(|| {
        unknown(
            "RESOURCE_ARN",
            "the pattern does not parse as an rds-db ARN",
        )
    })?;
    let user = parsed.db_user.trim();
    if user.is_empty() || user.contains(['*', '?']) {
        return Err(unknown("DB_USER", "the pattern names no single DB user"));
    }
    let user = if pattern.lint.problems.contains(&ResourceProblem::UserCase) {
        user.to_lowercase()
    } else {
        user.to_owned()
    };
    let wrong_id = pattern.lint.problems.iter().any(|p| {
        matches!(
            p,
            ResourceProblem::IdentifierNotResourceId { .. }
                | ResourceProblem::RdsArnAsResourceId { .. }
        )
    });
    let literal = !parsed.resource_id.contains(['*', '?']);
    let target = if wrong_id {
        Some(corrected_target(cx, pattern).ok_or_else(|| {
            unknown(
                "RESOURCE_ID",
                &format!("no DB named {} in snapshot", parsed.resource_id),
            )
        })?)
    } else if literal {
        // A member instance's id stands for its cluster (arn-instance-id-for-cluster).
        cx.analysis
            .instance_by_key(&parsed.resource_id)
            .filter(|(_, _, i)| i.resource_id == parsed.resource_id)
            .and_then(|(_, _, instance)| member_cluster(cx, &instance.identifier))
            .or_else(|| {
                cx.analysis
                    .target_by_key(&parsed.resource_id)
                    .filter(|t| t.resource_id == parsed.resource_id)
            })
    } else {
        None
    };
    let (region, account, resource_id) = match target {
        Some(t) => (t.region, t.account, t.resource_id),
        None => match locate_id(cx, &parsed.resource_id).filter(|_| literal) {
            Some((account, region, _)) => (region, account, parsed.resource_id.as_str()),
            None => (
                parsed.region.as_str(),
                parsed.account.as_str(),
                parsed.resource_id.as_str(),
            ),
        },
    };
    Ok(crate::policy::rds_db::DbUserArn::format(
        &parsed.partition,
        region,
        account,
        resource_id,
        &user,
    ))
}

/// The policy update that replaces the pattern with [`corrected_arn`].
fn arn_fix_vars(
    cx: &RuleContext<'_>,
    pattern: &ConnectPattern<'_>,
    resource_id: &str,
) -> Vec<(&'static str, String)> {
    let corrected = corrected_arn(cx, pattern);
    let edit = corrected.as_deref().map(|new| Edit::ReplaceResource {
        old: pattern.raw,
        new,
    });
    pattern.vars_with(cx, resource_id, edit.map_err(String::clone))
}

fn with_vars<'v>(vars: &'v [(&'static str, String)]) -> Vec<(&'static str, &'v str)> {
    vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Emits one finding per pattern showing `problem`.
fn per_problem(
    cx: &RuleContext<'_>,
    rule: &RuleMeta,
    matches: impl Fn(&ResourceProblem) -> bool,
    expected: impl Fn(&ConnectPattern<'_>) -> String,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for pattern in cx.connect_patterns() {
        let Some(problem) = pattern.lint.problems.iter().find(|p| matches(p)) else {
            continue;
        };
        let corrected = corrected_target(cx, pattern);
        let resource_id = corrected
            .map(|t| t.resource_id.to_owned())
            .unwrap_or_else(|| {
                pattern
                    .lint
                    .parsed
                    .as_ref()
                    .map(|p| p.resource_id.clone())
                    .unwrap_or_default()
            });
        let mut vars = arn_fix_vars(cx, pattern, &resource_id);
        if let Some(target) = corrected {
            vars.push(("db_identifier", target.identifier.to_owned()));
        }
        let builder = rule
            .finding()
            .message(format!(
                "{} in {} {}: {problem}.",
                pattern.raw,
                pattern.owner.label(),
                pattern.statement.label()
            ))
            .resource(cx.policy_resource(pattern.owner))
            .evidence(pattern.source(), pattern.raw, expected(pattern))
            .key(pattern.raw)
            .key(statement_identity(pattern.statement))
            .fix(rule.fix(&with_vars(&vars)));
        cx.emit(builder, &mut out);
    }
    out
}

/// The resource id the pattern should have used, when the DB it meant can be found.
fn corrected_resource_id(cx: &RuleContext<'_>, pattern: &ConnectPattern<'_>) -> Option<String> {
    corrected_target(cx, pattern).map(|t| t.resource_id.to_owned())
}

/// The DB the pattern meant, found by identifier, resource id or member instance.
fn corrected_target<'a>(
    cx: &'a RuleContext<'_>,
    pattern: &ConnectPattern<'_>,
) -> Option<&'a Target<'a>> {
    let parsed = pattern.lint.parsed.as_ref()?;
    let id = parsed.resource_id.as_str();
    // `arn:aws:rds:REGION:ACCOUNT:db:NAME` or `…:cluster:NAME` pasted in: take NAME.
    let name = id.rsplit(':').next().unwrap_or(id);
    cx.analysis
        .target_by_key(name)
        .or_else(|| member_cluster(cx, name))
}

/// The cluster target a member instance (by identifier or resource id) belongs to.
fn member_cluster<'a>(cx: &'a RuleContext<'_>, instance: &str) -> Option<&'a Target<'a>> {
    let (account, _, instance) = cx.analysis.instance_by_key(instance)?;
    let cluster = cx
        .analysis
        .target_by_key(instance.cluster_identifier.as_deref()?)?;
    (cluster.kind == TargetKind::Cluster && cluster.account == account).then_some(cluster)
}

fn expected_arn(pattern: &ConnectPattern<'_>, resource_id: Option<String>) -> String {
    let Some(parsed) = &pattern.lint.parsed else {
        return "arn:aws:rds-db:REGION:ACCOUNT:dbuser:RESOURCE_ID/DB_USER".to_owned();
    };
    crate::policy::rds_db::DbUserArn::format(
        &parsed.partition,
        &parsed.region,
        &parsed.account,
        &resource_id.unwrap_or_else(|| parsed.resource_id.clone()),
        parsed.db_user.trim(),
    )
}

pub fn missing_dbuser(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    per_problem(
        cx,
        rule,
        |p| *p == ResourceProblem::MissingDbuser,
        |p| expected_arn(p, None),
    )
}

pub fn wrong_service(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    per_problem(
        cx,
        rule,
        |p| *p == ResourceProblem::WrongService,
        |p| expected_arn(p, None),
    )
}

pub fn identifier_not_resource_id(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    per_problem(
        cx,
        rule,
        |p| {
            matches!(
                p,
                ResourceProblem::IdentifierNotResourceId { .. }
                    | ResourceProblem::RdsArnAsResourceId { .. }
            )
        },
        |p| {
            expected_arn(
                p,
                corrected_resource_id(cx, p).or_else(|| {
                    Some("db-… / cluster-… / prx-… (DbiResourceId, DbClusterResourceId)".to_owned())
                }),
            )
        },
    )
}

pub fn user_name_whitespace_or_case(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    per_problem(
        cx,
        rule,
        |p| {
            matches!(
                p,
                ResourceProblem::UserWhitespace | ResourceProblem::UserCase
            )
        },
        |p| {
            let user = p
                .lint
                .parsed
                .as_ref()
                .map(|a| a.db_user.trim().to_lowercase())
                .unwrap_or_default();
            format!(
                "the exact PostgreSQL role name, e.g. `{user}` (no spaces; PostgreSQL folds unquoted names to lower case)"
            )
        },
    )
}

/// Well-formed patterns whose resource id is a literal RDS resource id.
fn literal_ids<'c, 'a>(cx: &'c RuleContext<'a>) -> Vec<&'c ConnectPattern<'a>> {
    cx.connect_patterns()
        .iter()
        .filter(|p| {
            p.lint.problems.is_empty()
                && p.lint.parsed.as_ref().is_some_and(|a| {
                    !a.resource_id.contains(['*', '?'])
                        && ["db-", "cluster-", "prx-"]
                            .iter()
                            .any(|prefix| a.resource_id.starts_with(prefix))
                })
        })
        .collect()
}

/// Where a resource id really lives: (account, region, what it is).
fn locate_id<'a>(cx: &'a RuleContext<'_>, id: &str) -> Option<(&'a str, &'a str, String)> {
    if let Some(target) = cx
        .analysis
        .target_by_key(id)
        .filter(|t| t.resource_id == id)
    {
        return Some((
            target.account,
            target.region,
            format!("{:?} {}", target.kind, target.identifier).to_lowercase(),
        ));
    }
    cx.analysis
        .instance_by_key(id)
        .filter(|(_, _, instance)| instance.resource_id == id)
        .map(|(account, region, instance)| {
            (account, region, format!("instance {}", instance.identifier))
        })
}

pub fn resource_id_dangling(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let id = rule.id.as_str();
    let mut out = Vec::new();
    for pattern in literal_ids(cx) {
        let Some(parsed) = &pattern.lint.parsed else {
            continue;
        };
        if locate_id(cx, &parsed.resource_id).is_some() {
            continue;
        }
        // Only claim "matches no DB" where the account and region were read completely.
        let account_known = cx.inventory.account(&parsed.account).is_some();
        let region = (!parsed.region.contains(['*', '?'])).then_some(parsed.region.as_str());
        if !account_known {
            cx.skip(
                id,
                Some(&parsed.account),
                region,
                format!("account {} is not in the inventory", parsed.account),
            );
            continue;
        }
        // Only the calls that list DBs can hide one (a DescribeCertificates gap cannot).
        let listing_gap = [
            "rds:DescribeDBInstances",
            "rds:DescribeDBClusters",
            "rds:DescribeDBProxies",
        ]
        .iter()
        .find_map(|api| cx.gap(&parsed.account, region, api));
        if let Some(gap) = listing_gap {
            cx.skip(id, Some(&parsed.account), region, gap);
            continue;
        }
        // A region that was not collected at all cannot prove the id is gone.
        let collected = region.is_none_or(|region| {
            cx.inventory
                .account(&parsed.account)
                .is_some_and(|a| a.regions.iter().any(|r| r.region == region))
        });
        if !collected {
            cx.skip(
                id,
                Some(&parsed.account),
                region,
                format!(
                    "region {} of account {} was not collected",
                    parsed.region, parsed.account
                ),
            );
            continue;
        }
        let vars = pattern.vars_with(
            cx,
            &parsed.resource_id,
            Ok(Edit::RemoveResource { old: pattern.raw }),
        );
        let builder = rule
            .finding()
            .message(format!(
                "{} names resource id {}, which matches no DB instance, cluster or proxy in account {} (deleted, restored or switched over by Blue/Green?).",
                pattern.raw, parsed.resource_id, parsed.account
            ))
            .resource(cx.policy_resource(pattern.owner))
            .evidence(pattern.source(), pattern.raw, "a resource id of an existing DB")
            .evidence(
                format!("rds:DescribeDBInstances/DescribeDBClusters/DescribeDBProxies {} {}", parsed.account, parsed.region),
                format!("no DB with resource id {}", parsed.resource_id),
                "the id the policy names",
            )
            .key(pattern.raw)
            .key(statement_identity(pattern.statement))
            .fix(rule.fix(&with_vars(&vars)));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn region_account_mismatch(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for pattern in literal_ids(cx) {
        let Some(parsed) = &pattern.lint.parsed else {
            continue;
        };
        let Some((account, region, what)) = locate_id(cx, &parsed.resource_id) else {
            continue;
        };
        let region_ok = parsed.region.contains(['*', '?']) || parsed.region == region;
        let account_ok = parsed.account.contains(['*', '?']) || parsed.account == account;
        if region_ok && account_ok {
            continue;
        }
        let mut vars = arn_fix_vars(cx, pattern, &parsed.resource_id);
        vars.retain(|(k, _)| *k != "account" && *k != "region");
        vars.push(("account", account.to_owned()));
        vars.push(("region", region.to_owned()));
        let expected = crate::policy::rds_db::DbUserArn::format(
            &parsed.partition,
            region,
            account,
            &parsed.resource_id,
            parsed.db_user.trim(),
        );
        let builder = rule
            .finding()
            .message(format!(
                "{} says {}:{} but {} ({}) lives in account {account}, region {region}; a token is checked against the DB's own account and region, so this grant never matches.",
                pattern.raw, parsed.region, parsed.account, parsed.resource_id, what
            ))
            .resource(cx.policy_resource(pattern.owner))
            .evidence(pattern.source(), pattern.raw, expected)
            .key(pattern.raw)
            .key(statement_identity(pattern.statement))
            .fix(rule.fix(&with_vars(&vars)));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn instance_id_for_cluster(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for pattern in literal_ids(cx) {
        let Some(parsed) = &pattern.lint.parsed else {
            continue;
        };
        let Some((_, _, instance)) = cx
            .analysis
            .instance_by_key(&parsed.resource_id)
            .filter(|(_, _, i)| i.resource_id == parsed.resource_id)
        else {
            continue;
        };
        let Some(cluster) = member_cluster(cx, &instance.identifier) else {
            continue;
        };
        let mut vars = arn_fix_vars(cx, pattern, cluster.resource_id);
        vars.push(("cluster_identifier", cluster.identifier.to_owned()));
        let builder = rule
            .finding()
            .message(format!(
                "{} names {} ({}), a member instance of Aurora cluster {}; IAM checks Aurora tokens against the cluster's resource id {}.",
                pattern.raw, parsed.resource_id, instance.identifier, cluster.identifier, cluster.resource_id
            ))
            .resource(cx.policy_resource(pattern.owner))
            .evidence(pattern.source(), pattern.raw, expected_arn(pattern, Some(cluster.resource_id.to_owned())))
            .key(pattern.raw)
            .key(statement_identity(pattern.statement))
            .fix(rule.fix(&with_vars(&vars)));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn overbroad_wildcard(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for pattern in cx.connect_patterns() {
        let breadth = pattern.lint.breadth;
        if !matches!(
            breadth,
            Breadth::AnyUserOneDb | Breadth::AnyUserAnyDb | Breadth::Everything
        ) || cx.analysis.boundary_only.contains(&pattern.policy)
        {
            continue;
        }
        let what = match breadth {
            Breadth::Everything => "every DB user on every database",
            Breadth::AnyUserAnyDb => "every DB user on every database of the account",
            _ => "every DB user (including superuser-like roles) on the database",
        };
        let resource_id = pattern
            .lint
            .parsed
            .as_ref()
            .map(|p| p.resource_id.clone())
            .unwrap_or_else(|| "*".to_owned());
        let vars = pattern.vars_with(
            cx,
            &resource_id,
            Err(unknown(
                "POLICY_DOCUMENT",
                "which DB users this principal needs is not in the snapshot",
            )),
        );
        let builder = rule
            .finding()
            .message(format!(
                "{} in {} {} grants {what}.",
                pattern.raw,
                pattern.owner.label(),
                pattern.statement.label()
            ))
            .resource(cx.policy_resource(pattern.owner))
            .evidence(
                pattern.source(),
                pattern.raw,
                "one named DB user per resource: …:dbuser:RESOURCE_ID/DB_USER",
            )
            .key(pattern.raw)
            .key(statement_identity(pattern.statement))
            .fix(rule.fix(&with_vars(&vars)));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn action_misspelt(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    let index = &cx.analysis.index;
    let documents = index
        .identity_documents()
        .filter(|(id, _, _)| index.facts(*id).connect_mistake);
    for (_, policy, owner) in documents {
        for statement in &policy.document.statements {
            if statement.effect != Effect::Allow || statement.action.negated {
                continue;
            }
            for action in &statement.action.patterns {
                let Some(problem @ (ActionProblem::RdsConnect | ActionProblem::Misspelt)) =
                    lint_action(&action.raw)
                else {
                    continue;
                };
                let policy_arn = owner.resource_arn().to_owned();
                let builder = rule
                    .finding()
                    .message(format!(
                        "Action `{}` in {} {}: {problem}.",
                        action.raw,
                        owner.label(),
                        statement.label()
                    ))
                    .resource(cx.policy_resource(owner))
                    .evidence(
                        format!(
                            "iam:GetAccountAuthorizationDetails {} {}",
                            owner.label(),
                            statement.label()
                        ),
                        action.raw.clone(),
                        "rds-db:connect",
                    )
                    .key(action.raw.clone())
                    .key(statement_identity(statement))
                    .fix(
                        rule.fix(&[
                            ("policy_arn", policy_arn.as_str()),
                            (
                                "policy_update",
                                publish(
                                    cx,
                                    owner,
                                    statement,
                                    Ok(Edit::ReplaceAction {
                                        old: &action.raw,
                                        new: "rds-db:connect",
                                    }),
                                )
                                .as_str(),
                            ),
                        ]),
                    );
                cx.emit(builder, &mut out);
            }
        }
    }
    out
}

pub fn condition_key_never_present(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    // Identity policies, boundaries and SCPs/RCPs: an organization-wide "deny outside our
    // IP ranges" SCP that does not exempt rds-db:connect blocks every IAM login.
    let index = &cx.analysis.index;
    let documents = index
        .policies
        .iter()
        .zip(&index.owners)
        .zip(&index.facts)
        .filter(|((_, owner), facts)| {
            facts.never_present_key && !matches!(owner, PolicyOwner::Trust { .. })
        })
        .map(|(document, _)| document);
    for (policy, owner) in documents {
        for statement in &policy.document.statements {
            if !statement.action.covers(crate::policy::rds_db::CONNECT) {
                continue;
            }
            for condition in &statement.conditions {
                let Some(key) = NEVER_IN_CONNECT
                    .iter()
                    .find(|k| k.eq_ignore_ascii_case(&condition.key))
                else {
                    continue;
                };
                let operator = condition.operator;
                let null_wants_absent = operator.base == BaseOperator::Null
                    && condition
                        .values
                        .iter()
                        .any(|v| v.eq_ignore_ascii_case("true"));
                let effect = match statement.effect {
                    // The key is absent: positive operators are false, so the Allow never applies.
                    Effect::Allow
                        if (!operator.base.is_negated()
                            && !operator.if_exists
                            && operator.base != BaseOperator::Null)
                            || (operator.base == BaseOperator::Null && !null_wants_absent) =>
                    {
                        "never matches: this Allow never grants rds-db:connect"
                    }
                    // Negated operators (and Null=true) are true on an absent key: the Deny always applies.
                    Effect::Deny if operator.base.is_negated() || null_wants_absent => {
                        "always matches: this Deny blocks every rds-db:connect"
                    }
                    _ => continue,
                };
                let policy_arn = owner.resource_arn().to_owned();
                let builder = rule
                    .finding()
                    .message(format!(
                        "{} {} conditions rds-db:connect on `{key}` with {}, but connect requests never carry `{key}` (the database checks the token, not an AWS endpoint): the condition {effect}.",
                        owner.label(),
                        statement.label(),
                        operator.name()
                    ))
                    .resource(cx.policy_resource(owner))
                    .evidence(
                        format!("iam:GetAccountAuthorizationDetails {} {}", owner.label(), statement.label()),
                        format!("{} {{\"{}\": {:?}}}", operator.name(), condition.key, condition.values),
                        format!("no condition on {key} for rds-db:connect (restrict the network with security groups instead)"),
                    )
                    .key(condition.key.clone())
                    .key(statement_identity(statement))
                    .fix(rule.fix(
                        &[
                            ("policy_arn", policy_arn.as_str()),
                            (
                                "policy_update",
                                publish(
                                    cx,
                                    owner,
                                    statement,
                                    Ok(Edit::NeverPresentKey { key: &condition.key }),
                                )
                                .as_str(),
                            ),
                        ],
                    ));
                cx.emit(builder, &mut out);
            }
        }
    }
    out
}

pub fn policy_unparseable(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for unparseable in &cx.analysis.index.unparseable {
        let owner = &unparseable.owner;
        let version_id = match owner {
            PolicyOwner::Managed { arn, .. } => cx
                .inventory
                .accounts
                .iter()
                .flat_map(|a| &a.iam.managed_policies)
                .find(|p| p.arn == *arn)
                .and_then(|p| p.default_version_id.clone()),
            _ => None,
        };
        let inspect = inspect_command(owner, version_id.as_deref());
        let version_id = version_id.unwrap_or_default();
        let policy_arn = owner.resource_arn().to_owned();
        let builder = rule
            .finding()
            .message(format!(
                "{} could not be parsed ({}); rdsiam left it out of every access decision, so results for its principals may be incomplete.",
                owner.label(),
                unparseable.error
            ))
            .resource(cx.policy_resource(owner))
            .evidence(
                format!("iam:GetAccountAuthorizationDetails {}", owner.label()),
                unparseable.error.clone(),
                "a policy document in the IAM policy grammar",
            )
            .fix(rule.fix(&[("policy_arn", policy_arn.as_str()), ("version_id", version_id.as_str()), ("policy_inspect", inspect.as_str())]));
        cx.emit(builder, &mut out);
    }
    out
}
