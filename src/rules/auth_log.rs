//! Rules on RDS's own verdict: the `iam-db-auth-error` events and `IamDbAuthConnection*`
//! metrics collected per target (`inventory.auth_logs`), joined with the access analysis —
//! who RDS refused and which statement refused them, tokens refused again and again,
//! throttling, and callers nobody knows.
//!
//! `iam-auth-error-log-not-exported` (in [`super::rds`]) is the other side of these rules: a
//! target without the export has no log, and these rules cannot see it.

use std::collections::{BTreeMap, BTreeSet};

use crate::access::{Analysis, PrincipalKind, Target, TargetKind, matrix::Blocker};
use crate::inventory::auth_log::IAM_CONNECTIONS_PER_SECOND_LIMIT;
use crate::inventory::{AuthErrorEvent, AuthErrorKind, AuthLog, DbTargetKind};
use crate::policy::rds_db::CONNECT;
use crate::policy::{Decision, Request};
use crate::report::{Finding, Resource, ResourceKind, Severity};

use super::catalogue::RuleMeta;
use super::context::RuleContext;

/// Refusals of one DB user as expired or invalid before the pattern counts as repeated.
pub const REPEATED_TOKEN_REFUSALS: usize = 3;
/// The share of the 200/s limit that counts as "near".
pub const NEAR_LIMIT_SHARE: f64 = 0.8;

/// The logs of the inventory, each with its target in the analysis when there is one; rules
/// that read the log skip (not evaluated) the regions whose log could not be read.
fn logs<'a>(cx: &RuleContext<'a>, rule: &str) -> Vec<(&'a AuthLog, Option<&'a Target<'a>>)> {
    for gap in &cx.inventory.coverage {
        if gap.source == "logs:FilterLogEvents" {
            cx.skip(
                rule,
                gap.account.as_deref(),
                gap.region.as_deref(),
                format!(
                    "the iam-db-auth-error log could not be read ({}: {})",
                    gap.error_code, gap.message
                ),
            );
        }
    }
    cx.inventory
        .auth_logs
        .iter()
        .map(|log| (log, target_of(cx.analysis, log)))
        .collect()
}

fn target_of<'a>(analysis: &'a Analysis<'a>, log: &AuthLog) -> Option<&'a Target<'a>> {
    let kind = match log.kind {
        DbTargetKind::Instance => TargetKind::Instance,
        DbTargetKind::Cluster => TargetKind::Cluster,
    };
    analysis.targets.iter().find(|t| {
        t.kind == kind
            && t.identifier == log.identifier
            && t.account == log.account
            && t.region == log.region
    })
}

/// The resource of a finding on a log's target (the target's ARN when the analysis has it).
fn log_resource(log: &AuthLog, target: Option<&Target<'_>>, db_user: Option<&str>) -> Resource {
    let (kind, arn) = match target {
        Some(t) => (t.kind.resource_kind(), t.arn.to_owned()),
        None => {
            let (kind, word) = match log.kind {
                DbTargetKind::Instance => (ResourceKind::DbInstance, "db"),
                DbTargetKind::Cluster => (ResourceKind::DbCluster, "cluster"),
            };
            (
                kind,
                format!(
                    "arn:aws:rds:{}:{}:{word}:{}",
                    log.region, log.account, log.identifier
                ),
            )
        }
    };
    let resource = Resource::new(kind, arn)
        .account(&log.account)
        .region(&log.region);
    match db_user {
        Some(user) => resource.db_user(user),
        None => resource,
    }
}

/// `(account, kind, name)` of a caller ARN as RDS logs it: an STS assumed-role session is its
/// role; IAM users and roles are themselves (path dropped).
pub fn caller_identity(arn: &str) -> Option<(&str, PrincipalKind, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, service, _, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let (kind, name) = match (service, resource.split_once('/')?) {
        ("sts", ("assumed-role", rest)) => (PrincipalKind::Role, rest.split('/').next()?),
        ("iam", ("role", rest)) => (PrincipalKind::Role, rest.rsplit('/').next()?),
        ("iam", ("user", rest)) => (PrincipalKind::User, rest.rsplit('/').next()?),
        _ => return None,
    };
    (!name.is_empty()).then_some((account, kind, name))
}

/// The principal (index into `analysis.principals`) a caller ARN resolves to.
fn principal_of(analysis: &Analysis<'_>, arn: &str) -> Option<usize> {
    let (account, kind, name) = caller_identity(arn)?;
    analysis
        .principals
        .iter()
        .position(|p| p.account == account && p.kind == kind && p.name == name)
}

/// What rdsiam's policy engine says about `principal` connecting as `db_user` to `target`.
pub struct EngineVerdict {
    pub decision: Decision,
    /// The deciding statement or guardrail, or the allowing statement.
    pub explanation: String,
}

pub fn engine_verdict(
    analysis: &Analysis<'_>,
    principal: usize,
    target: &Target<'_>,
    db_user: &str,
) -> EngineVerdict {
    let principal = &analysis.principals[principal];
    let policies = principal.guarded(&analysis.index, &analysis.chains);
    let set = policies.set();
    let mut context =
        crate::access::matrix::connect_context(principal.context(analysis.organization_id()));
    context.set("aws:RequestedRegion", vec![target.region.to_owned()], false);
    let resource = target.connect_arn(db_user);
    let request = Request {
        principal: Some(&principal.request_principal),
        action: CONNECT,
        resource: &resource,
        context: &context,
    };
    let evaluation = crate::policy::evaluate(&request, &set);
    let explanation = match evaluation.decision {
        Decision::Allowed | Decision::Depends => {
            let allow = evaluation
                .reasons
                .iter()
                .find(|r| r.kind == crate::policy::ReasonKind::Allow)
                .and_then(|r| Some(format!("{} of {}", r.statement?.label(), r.policy?.name)));
            let depends = if evaluation.depends_on.is_empty() {
                String::new()
            } else {
                format!(" (depending on {})", evaluation.depends_on.join(", "))
            };
            format!(
                "rdsiam's policy engine ALLOWS {} on {resource}{depends}{}: RDS and the collected policies disagree — a session policy, an SCP or RCP not collected, or a policy changed since the refusal",
                principal.arn,
                allow.map(|a| format!(" by {a}")).unwrap_or_default()
            )
        }
        _ => match Blocker::of(&evaluation) {
            Some(blocker) => format!("{} rds-db:connect on {resource}", blocker.describe()),
            None => format!("no collected policy allows rds-db:connect on {resource}"),
        },
    };
    EngineVerdict {
        decision: evaluation.decision,
        explanation,
    }
}

/// Events grouped by a key, with count, first and last time.
struct Group<'a> {
    events: Vec<&'a AuthErrorEvent>,
}

impl Group<'_> {
    fn first(&self) -> &str {
        self.events.first().map_or("", |e| e.time.as_str())
    }
    fn last(&self) -> &str {
        self.events.last().map_or("", |e| e.time.as_str())
    }
}

fn group_by<'a, K: Ord>(
    events: impl Iterator<Item = &'a AuthErrorEvent>,
    key: impl Fn(&'a AuthErrorEvent) -> Option<K>,
) -> BTreeMap<K, Group<'a>> {
    let mut groups: BTreeMap<K, Group<'a>> = BTreeMap::new();
    for event in events {
        if let Some(k) = key(event) {
            groups
                .entry(k)
                .or_insert_with(|| Group { events: Vec::new() })
                .events
                .push(event);
        }
    }
    for group in groups.values_mut() {
        group.events.sort_by(|a, b| a.time.cmp(&b.time));
    }
    groups
}

fn source(log: &AuthLog) -> String {
    format!("logs:FilterLogEvents {}", log.log_group)
}

pub fn not_authorized(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let id = rule.id.as_str();
    let mut out = Vec::new();
    for (log, target) in logs(cx, id) {
        let refused = log
            .events
            .iter()
            .filter(|e| e.kind() == AuthErrorKind::NotAuthorized);
        let groups = group_by(refused, |e| {
            Some((
                e.caller_arn.clone().unwrap_or_default(),
                e.db_user.clone().unwrap_or_default(),
            ))
        });
        for ((caller, db_user), group) in groups {
            let principal = (!caller.is_empty())
                .then(|| principal_of(cx.analysis, &caller))
                .flatten();
            let verdict = match (principal, target) {
                (Some(p), Some(t)) if !db_user.is_empty() => {
                    Some(engine_verdict(cx.analysis, p, t, &db_user))
                }
                _ => None,
            };
            let explanation = match (&verdict, principal, caller.is_empty()) {
                (Some(v), _, _) => v.explanation.clone(),
                (None, _, true) => "RDS did not name the caller in the line".to_owned(),
                (None, None, false) => format!(
                    "{caller} is not a principal of the collected inventory (see auth-log-unknown-caller)"
                ),
                (None, Some(_), false) => {
                    "the target or DB user is not in the collected inventory".to_owned()
                }
            };
            let disagree = verdict
                .as_ref()
                .is_some_and(|v| matches!(v.decision, Decision::Allowed | Decision::Depends));
            let who = if caller.is_empty() {
                "a caller RDS did not name"
            } else {
                caller.as_str()
            };
            let user = if db_user.is_empty() {
                "?"
            } else {
                db_user.as_str()
            };
            let dbuser_arn = target.map(|t| t.connect_arn(user)).unwrap_or_default();
            let mut builder = rule
                .finding()
                .message(format!(
                    "RDS refused {who} as {user} on {} {} time(s) with NotAuthorized (last {}): {explanation}.",
                    log.identifier,
                    group.events.len(),
                    group.last()
                ))
                .resource(log_resource(log, target, Some(user)))
                .key(&caller)
                .evidence(
                    source(log),
                    format!(
                        "{} NotAuthorized event(s) {} … {}; e.g. {}",
                        group.events.len(),
                        group.first(),
                        group.last(),
                        group.events.last().map_or("", |e| e.raw.as_str())
                    ),
                    "no NotAuthorized refusals",
                )
                .evidence("rdsiam policy engine", explanation.clone(), "the same verdict as RDS");
            if disagree {
                builder = builder.severity(Severity::High);
            }
            builder = builder.fix(rule.fix(&[
                ("caller_arn", who),
                ("db_user", user),
                ("dbuser_arn", &dbuser_arn),
                ("log_group", &log.log_group),
                ("region", &log.region),
            ]));
            cx.emit(builder, &mut out);
        }
    }
    out
}

pub fn token_reuse_or_truncation(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let id = rule.id.as_str();
    let mut out = Vec::new();
    for (log, target) in logs(cx, id) {
        let token_errors = log.events.iter().filter(|e| {
            matches!(
                e.kind(),
                AuthErrorKind::ExpiredToken | AuthErrorKind::InvalidToken
            )
        });
        let groups = group_by(token_errors, |e| e.db_user.clone());
        for (db_user, group) in groups {
            if group.events.len() < REPEATED_TOKEN_REFUSALS {
                continue;
            }
            let expired = group
                .events
                .iter()
                .filter(|e| e.kind() == AuthErrorKind::ExpiredToken)
                .count();
            let invalid = group.events.len() - expired;
            let likely = match (expired > 0, invalid > 0) {
                (true, false) => "a client or pool reusing a token past its 15 minutes",
                (false, true) => {
                    "a token cut, re-encoded or padded on its way (pooler or client password limit, URI encoding, whitespace), or signed for another host, port or region"
                }
                _ => "both token reuse (expired) and mangling (invalid)",
            };
            let builder = rule
                .finding()
                .message(format!(
                    "RDS refused {db_user} on {} {} time(s) ({expired} ExpiredToken, {invalid} InvalidToken; last {}): likely {likely}.",
                    log.identifier,
                    group.events.len(),
                    group.last()
                ))
                .resource(log_resource(log, target, Some(&db_user)))
                .evidence(
                    source(log),
                    format!(
                        "{expired} ExpiredToken, {invalid} InvalidToken {} … {}",
                        group.first(),
                        group.last()
                    ),
                    format!("fewer than {REPEATED_TOKEN_REFUSALS} token refusals per DB user"),
                )
                .fix(rule.fix(
                    &[
                        ("db_user", &db_user),
                        ("log_group", &log.log_group),
                        ("region", &log.region),
                    ],
                ));
            cx.emit(builder, &mut out);
        }
    }
    out
}

pub fn throttling(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let id = rule.id.as_str();
    let near = IAM_CONNECTIONS_PER_SECOND_LIMIT * NEAR_LIMIT_SHARE;
    let mut out = Vec::new();
    for (log, target) in logs(cx, id) {
        let throttled: Vec<&AuthErrorEvent> = log
            .events
            .iter()
            .filter(|e| e.kind() == AuthErrorKind::Throttling)
            .collect();
        let metric_throttled = log.metrics.as_ref().map_or(0.0, |m| m.failure_throttling);
        let peak = log
            .metrics
            .as_ref()
            .map_or(0.0, |m| m.peak_requests_per_second);
        if throttled.is_empty() && metric_throttled <= 0.0 && peak < near {
            continue;
        }
        let mut what = Vec::new();
        if !throttled.is_empty() {
            what.push(format!(
                "{} ThrottlingException refusal(s) in the log (last {})",
                throttled.len(),
                throttled.last().map_or("", |e| e.time.as_str())
            ));
        }
        if metric_throttled > 0.0 {
            what.push(format!(
                "IamDbAuthConnectionFailureThrottling {metric_throttled}"
            ));
        }
        if peak >= near {
            what.push(format!(
                "new IAM connections peaked at {peak:.0}/s (limit {IAM_CONNECTIONS_PER_SECOND_LIMIT:.0}/s)"
            ));
        }
        let period = log.metrics.as_ref().map_or(60, |m| m.period_seconds);
        let dimension = match log.kind {
            DbTargetKind::Instance => "DBInstanceIdentifier",
            DbTargetKind::Cluster => "DBClusterIdentifier",
        };
        let builder = rule
            .finding()
            .message(format!(
                "{}: {}. Past 200 new IAM connections per second RDS refuses logins.",
                log.identifier,
                what.join("; ")
            ))
            .resource(log_resource(log, target, None))
            .evidence(
                format!("cloudwatch:GetMetricData AWS/RDS {dimension}={}", log.identifier),
                format!(
                    "peak {peak:.1}/s over {period} s periods; FailureThrottling {metric_throttled}; {} ThrottlingException line(s)",
                    throttled.len()
                ),
                format!("below {near:.0}/s and no throttling"),
            )
            .fix(rule.fix(
                &[
                    ("db_identifier", &log.identifier),
                    ("dimension", dimension),
                    ("first_seen", &log.since),
                    ("last_seen", &log.until),
                    ("region", &log.region),
                ],
            ));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn unknown_caller(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let id = rule.id.as_str();
    let collected: BTreeSet<&str> = cx
        .inventory
        .accounts
        .iter()
        .map(|a| a.account_id.as_str())
        .collect();
    let members: Option<BTreeSet<&str>> = cx
        .inventory
        .organization
        .as_ref()
        .map(|o| o.accounts.iter().map(|a| a.id.as_str()).collect());
    let mut out = Vec::new();
    for (log, target) in logs(cx, id) {
        let with_caller = log.events.iter().filter(|e| e.caller_arn.is_some());
        let groups = group_by(with_caller, |e| e.caller_arn.clone());
        for (caller, group) in groups {
            let account = caller.split(':').nth(4).unwrap_or("");
            let (severity, why) = if members.as_ref().is_some_and(|m| !m.contains(account)) {
                (
                    Severity::High,
                    format!("account {account} is not a member of the organization"),
                )
            } else if collected.contains(account) {
                if principal_of(cx.analysis, &caller).is_some() {
                    continue;
                }
                (
                    Severity::Medium,
                    format!("account {account} was collected but holds no such role or user"),
                )
            } else {
                (
                    Severity::Low,
                    format!("account {account} was not collected: collect it to judge this caller"),
                )
            };
            let users: BTreeSet<&str> = group
                .events
                .iter()
                .filter_map(|e| e.db_user.as_deref())
                .collect();
            let users = users.into_iter().collect::<Vec<_>>().join(", ");
            let builder = rule
                .finding()
                .severity(severity)
                .message(format!(
                    "{caller} tried to log in to {} as {users} {} time(s) (last {}): {why}.",
                    log.identifier,
                    group.events.len(),
                    group.last()
                ))
                .resource(log_resource(log, target, None))
                .key(&caller)
                .evidence(
                    source(log),
                    format!(
                        "{} event(s) from {caller} {} … {}",
                        group.events.len(),
                        group.first(),
                        group.last()
                    ),
                    "callers that are principals of the collected organization",
                )
                .fix(rule.fix(&[
                    ("caller_arn", &caller),
                    ("db_identifier", &log.identifier),
                    ("log_group", &log.log_group),
                    ("region", &log.region),
                ]));
            cx.emit(builder, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_identity_of_sessions_roles_and_users() {
        assert_eq!(
            caller_identity("arn:aws:sts::123456789012:assumed-role/AppRole/i-0abc"),
            Some(("123456789012", PrincipalKind::Role, "AppRole"))
        );
        assert_eq!(
            caller_identity("arn:aws:iam::123456789012:role/team/AppRole"),
            Some(("123456789012", PrincipalKind::Role, "AppRole"))
        );
        assert_eq!(
            caller_identity("arn:aws-cn:iam::123456789012:user/ops/alice"),
            Some(("123456789012", PrincipalKind::User, "alice"))
        );
        assert_eq!(caller_identity("arn:aws:iam::123456789012:root"), None);
        assert_eq!(caller_identity("garbage"), None);
    }
}
