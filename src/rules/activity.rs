//! Activity rules over the CloudTrail AssumeRole events into DB-connect roles (the only usage
//! signal for IAM database access: token generation and `rds-db:connect` are not logged):
//! roles nobody assumed for a long time, callers from outside the organization or not admitted
//! by the trust policy, failed attempts, and callers seen for the first time.
//!
//! Events are judged only against the report's `evaluated_at`, never the machine clock.
//! Judging *absence* (unused roles, "first" seen) needs the trail of the role's account to have
//! been read for the whole window ([`crate::inventory::ActivityScope`]); otherwise the rule
//! reports *not evaluated* for that account.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::access::{Principal, TrustEntry, TrustedParty};
use crate::inventory::Day;
use crate::inventory::activity::scope::span_of;
use crate::inventory::activity::{AssumeRoleEvent, PrincipalType};
use crate::policy::condition::parse_date;
use crate::report::{Finding, Resource, ResourceKind, Severity};

use super::catalogue::RuleMeta;
use super::context::RuleContext;

const DAY_MILLIS: i64 = 86_400_000;
/// How many distinct source IPs evidence lists before summarizing.
const MAX_LISTED: usize = 5;

/// What kind of principal called AssumeRole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum CallerKind {
    /// An assumed-role session (role chaining, EC2 instance profiles, SSO).
    Role,
    User,
    Root,
    /// An AWS service assuming a role it is trusted by (EC2, Lambda, ECS...).
    Service,
    Other,
}

/// Who called AssumeRole, as a stable identity: the role for assumed-role sessions (session
/// names change per call), the user or root ARN, or the AWS service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Caller {
    /// `arn:aws:iam::<acct>:role/<name>`, `…:user/<path/name>`, `…:root`, a service name, or
    /// the raw ARN when it has another shape.
    id: String,
    account: Option<String>,
    kind: CallerKind,
    /// The role's or user's name (last path segment); empty otherwise.
    name: String,
}

impl Caller {
    fn of(event: &AssumeRoleEvent) -> Caller {
        let account = event.source_account.clone();
        if event.principal_type == Some(PrincipalType::AWSService) {
            let service = event
                .source_ip
                .clone()
                .unwrap_or_else(|| "AWS service".into());
            return Caller {
                id: service.clone(),
                account: None,
                kind: CallerKind::Service,
                name: service,
            };
        }
        let arn = event.principal_arn.as_deref().unwrap_or("");
        let acct = account.as_deref().unwrap_or("");
        let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
        let (kind, name, id) = if let Some(rest) = resource.strip_prefix("assumed-role/") {
            let role = rest.split('/').next().unwrap_or(rest);
            (
                CallerKind::Role,
                role.to_owned(),
                format!("arn:aws:iam::{acct}:role/{role}"),
            )
        } else if let Some(rest) = resource.strip_prefix("user/") {
            let name = rest.rsplit('/').next().unwrap_or(rest);
            (CallerKind::User, name.to_owned(), arn.to_owned())
        } else if resource == "root" {
            (CallerKind::Root, String::new(), arn.to_owned())
        } else if arn.is_empty() {
            let id = account.clone().unwrap_or_else(|| "unknown caller".into());
            (CallerKind::Other, String::new(), id)
        } else {
            (CallerKind::Other, String::new(), arn.to_owned())
        };
        Caller {
            id,
            account,
            kind,
            name,
        }
    }

    /// Whether a trust policy party lets this caller in (conditions such as `sts:ExternalId`
    /// cannot be checked from CloudTrail and are taken as met).
    fn admitted_by(&self, party: &TrustedParty) -> bool {
        match party {
            TrustedParty::Everyone => true,
            TrustedParty::Account(account) => self.account.as_deref() == Some(account),
            TrustedParty::Principal { arn, account } => {
                self.account.as_deref() == Some(account) && self.is_named_by(arn)
            }
            TrustedParty::Other(service) => self.kind == CallerKind::Service && self.id == *service,
        }
    }

    /// A trust ARN `arn:aws:iam::<acct>:role/<path/>name` names an assumed-role session of
    /// that role (CloudTrail drops the path) or that exact user.
    fn is_named_by(&self, trusted_arn: &str) -> bool {
        let resource = trusted_arn.splitn(6, ':').nth(5).unwrap_or("");
        let last = resource.rsplit('/').next().unwrap_or("");
        match self.kind {
            CallerKind::Role => resource.starts_with("role/") && last == self.name,
            CallerKind::User => resource.starts_with("user/") && last == self.name,
            _ => trusted_arn == self.id,
        }
    }
}

/// The events of one caller into one DB-connect role.
struct CallerActivity<'a> {
    role: usize,
    caller: Caller,
    events: Vec<&'a AssumeRoleEvent>,
}

impl CallerActivity<'_> {
    fn first(&self) -> &str {
        self.events.first().map_or("", |e| e.event_time.as_str())
    }

    fn last(&self) -> &str {
        self.events.last().map_or("", |e| e.event_time.as_str())
    }

    /// "3 call(s) from account 111…, principal …, IPs …, first … last …".
    fn describe(&self, what: &str) -> String {
        let ips: BTreeSet<&str> = self
            .events
            .iter()
            .filter_map(|e| e.source_ip.as_deref())
            .collect();
        let principals: BTreeSet<&str> = self
            .events
            .iter()
            .filter_map(|e| e.principal_arn.as_deref())
            .collect();
        format!(
            "{} {what} AssumeRole call(s) by {}{}; principal(s) {}; source IP(s) {}; first {}, last {}",
            self.events.len(),
            self.caller.id,
            self.caller
                .account
                .as_deref()
                .map(|a| format!(" (account {a})"))
                .unwrap_or_default(),
            list(&principals),
            list(&ips),
            self.first(),
            self.last()
        )
    }

    fn error_codes(&self) -> String {
        let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &self.events {
            *codes
                .entry(e.error_code.as_deref().unwrap_or("(none)"))
                .or_default() += 1;
        }
        codes
            .iter()
            .map(|(code, n)| format!("{code} x{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn list(items: &BTreeSet<&str>) -> String {
    if items.is_empty() {
        return "(none recorded)".into();
    }
    let shown: Vec<&str> = items.iter().copied().take(MAX_LISTED).collect();
    match items.len().saturating_sub(MAX_LISTED) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// Events into DB-connect roles, grouped by (role, caller), each group in time order.
/// `keep` selects the events (successful or failed).
fn by_caller<'a>(
    cx: &RuleContext<'a>,
    keep: fn(&AssumeRoleEvent) -> bool,
) -> Vec<CallerActivity<'a>> {
    let roles: BTreeMap<&str, usize> = cx
        .analysis
        .connect_roles
        .iter()
        .map(|&i| (cx.analysis.principals[i].arn, i))
        .collect();
    let mut groups: BTreeMap<(usize, Caller), Vec<&'a AssumeRoleEvent>> = BTreeMap::new();
    for event in cx.activity.events.iter().filter(|e| keep(e)) {
        if let Some(&role) = roles.get(event.role_arn.as_str()) {
            groups
                .entry((role, Caller::of(event)))
                .or_default()
                .push(event);
        }
    }
    groups
        .into_iter()
        .map(|((role, caller), mut events)| {
            events.sort_by(|a, b| (&a.event_time, &a.event_id).cmp(&(&b.event_time, &b.event_id)));
            CallerActivity {
                role,
                caller,
                events,
            }
        })
        .collect()
}

fn trust_of<'t>(cx: &'t RuleContext<'_>, role: usize) -> impl Iterator<Item = &'t TrustEntry> {
    cx.analysis.trust_of(role)
}

/// How a caller stands against the organization and the role's trust policy.
struct Standing {
    /// `Some(true)`: the caller's account is not a member (and not the role's own account).
    outside_org: Option<bool>,
    admitted: bool,
}

fn standing(cx: &RuleContext<'_>, activity: &CallerActivity<'_>) -> Standing {
    let role = &cx.analysis.principals[activity.role];
    let outside_org = match (
        &cx.inventory.organization,
        activity.caller.account.as_deref(),
    ) {
        (Some(org), Some(account)) => {
            Some(account != role.account && !org.contains_account(account))
        }
        _ => None,
    };
    let admitted = trust_of(cx, activity.role).any(|t| activity.caller.admitted_by(&t.party));
    Standing {
        outside_org,
        admitted,
    }
}

fn trusted_parties(cx: &RuleContext<'_>, role: usize) -> String {
    let parties: BTreeSet<String> = trust_of(cx, role).map(|t| t.party.describe()).collect();
    if parties.is_empty() {
        "no AWS principal".into()
    } else {
        parties.into_iter().collect::<Vec<_>>().join(", ")
    }
}

fn role_resource(role: &Principal<'_>) -> Resource {
    Resource::new(ResourceKind::IamRole, role.arn).account(role.account)
}

fn millis(time: &str) -> Option<i64> {
    parse_date(time)
}

/// The report time, or a not-evaluated entry saying why there is none.
fn now_or_skip(cx: &RuleContext<'_>, id: &str) -> Option<i64> {
    if cx.now_millis.is_none() {
        cx.skip(
            id,
            None,
            None,
            format!("the report time {:?} is not a timestamp", cx.evaluated_at),
        );
    }
    cx.now_millis
}

/// A trail read until day D covers events up to the end of D; CloudTrail delivers within
/// minutes, collection may run a day or two before the audit.
const TRAIL_LAG_DAYS: i64 = 2;

/// Whether the trail of `account` was read completely from `from` (epoch ms) and, with
/// `to_now`, up to the report time (within [`TRAIL_LAG_DAYS`]); otherwise records why the rule
/// is not evaluated there.
fn trail_covers(cx: &RuleContext<'_>, id: &str, account: &str, from: i64, to_now: bool) -> bool {
    let Some((since, until)) = span_of(cx.activity.scopes, account) else {
        cx.skip(
            id,
            Some(account),
            None,
            // The account is the record's own field: the same text for every account lets the
            // table and the HTML group 500 accounts under one cause.
            "no CloudTrail activity was collected for this account (rdsiam audit --cloudtrail-dir)"
                .to_owned(),
        );
        return false;
    };
    let starts_late = millis(&since.to_string()).is_none_or(|s| s > from);
    let now = cx.now_millis.unwrap_or(i64::MAX);
    let ends_early = to_now
        && millis(&until.to_string())
            .is_none_or(|u| u + DAY_MILLIS < now - TRAIL_LAG_DAYS * DAY_MILLIS);
    if starts_late || ends_early {
        cx.skip(
            id,
            Some(account),
            None,
            format!(
                "CloudTrail of account {account} was read from {since} to {until}, which does not cover the window from {} to {}",
                day_before(cx.evaluated_at, from_days_ago(cx, from)),
                cx.evaluated_at
            ),
        );
        return false;
    }
    if let Some(gap) = cx.gap(account, None, "cloudtrail") {
        cx.skip(
            id,
            Some(account),
            None,
            format!(
                "CloudTrail of account {account} was not fully read ({gap}): events may be missing"
            ),
        );
        return false;
    }
    true
}

/// Whole days between `from` and the report time.
fn from_days_ago(cx: &RuleContext<'_>, from: i64) -> u32 {
    let now = cx.now_millis.unwrap_or(from);
    u32::try_from((now - from).max(0) / DAY_MILLIS).unwrap_or(u32::MAX)
}

/// The calendar day `days` before the timestamp's day (for messages).
fn day_before(timestamp: &str, days: u32) -> String {
    Day::of_timestamp(timestamp)
        .map(|day| (0..days.min(36_500)).fold(day, |d, _| d.prev()).to_string())
        .unwrap_or_else(|| format!("{days} days before"))
}

pub fn connect_role_unused(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let id = rule.id.as_str();
    let mut out = Vec::new();
    let Some(now) = now_or_skip(cx, id) else {
        return out;
    };
    let days = cx.settings.unused_days;
    let window_start = now - i64::from(days) * DAY_MILLIS;
    // Any attempt in the window, successful or failed, is use: failed attempts mean
    // someone wants the role (assume-role-failed says why it breaks), and "consider
    // revoking" would be the wrong advice. (Read once, not once per role: an organization
    // has tens of thousands of connect roles and thousands of events.)
    let attempted: HashSet<&str> = cx
        .activity
        .events
        .iter()
        .filter(|e| millis(&e.event_time).is_some_and(|t| t >= window_start))
        .map(|e| e.role_arn.as_str())
        .collect();
    let last_used = LastUsed::of(cx);
    // Whether each account's trail covers the window, asked once per account (the answer,
    // and what it records as not evaluated, is the same every time).
    let mut covered: HashMap<&str, bool> = HashMap::new();
    for &index in &cx.analysis.connect_roles {
        let role = &cx.analysis.principals[index];
        if role.service_linked {
            continue;
        }
        let last_used = last_used.of_role(role);
        let recently_used = last_used
            .and_then(millis)
            .is_some_and(|t| t >= window_start);
        // Only the absence of events needs the whole window read.
        if attempted.contains(role.arn) || recently_used {
            continue;
        }
        let trail_read = *covered
            .entry(role.account)
            .or_insert_with(|| trail_covers(cx, id, role.account, window_start, true));
        if !trail_read {
            continue;
        }
        cx.emit(unused_finding(cx, rule, index, days, last_used), &mut out);
    }
    out
}

/// IAM's `RoleLastUsed` date of every role, by (account, role ARN): the first role with
/// that ARN in that account, as a scan of the inventory would find it.
struct LastUsed<'i>(HashMap<(&'i str, &'i str), Option<&'i str>>);

impl<'i> LastUsed<'i> {
    fn of(cx: &RuleContext<'i>) -> Self {
        let mut dates = HashMap::new();
        for account in &cx.inventory.accounts {
            for role in &account.iam.roles {
                dates
                    .entry((account.account_id.as_str(), role.arn.as_str()))
                    .or_insert_with(|| role.last_used.as_ref().map(|l| l.date.as_str()));
            }
        }
        LastUsed(dates)
    }

    fn of_role(&self, role: &Principal<'_>) -> Option<&'i str> {
        self.0.get(&(role.account, role.arn)).copied().flatten()
    }
}

fn unused_finding(
    cx: &RuleContext<'_>,
    rule: &RuleMeta,
    index: usize,
    days: u32,
    last_used: Option<&str>,
) -> crate::report::FindingBuilder {
    let role = &cx.analysis.principals[index];
    let last_assumed = cx
        .activity
        .events
        .iter()
        .filter(|e| e.role_arn == role.arn && !e.failed())
        .map(|e| e.event_time.as_str())
        .max();
    let span = span_of(cx.activity.scopes, role.account)
        .map(|(since, until)| format!("{since} to {until}"))
        .unwrap_or_default();
    let grants = role_grants(cx, index);
    let (policy, remove) = removal(cx, index);
    rule.finding()
        .message(format!(
            "DB-connect role {} has had no successful AssumeRole in the {days} days before {} (CloudTrail of account {} read {span}); AWS advises considering revoking rds-db:connect access that nobody uses.",
            role.arn, cx.evaluated_at, role.account
        ))
        .resource(role_resource(role))
        .evidence(
            format!("cloudtrail:AssumeRole into {}", role.arn),
            format!(
                "no AssumeRole (successful or failed) in {days} days; last successful: {}",
                last_assumed.unwrap_or("none in the activity read")
            ),
            format!("at least one successful AssumeRole in {days} days"),
        )
        .evidence(
            format!("iam:GetRole {} RoleLastUsed", role.arn),
            last_used.map_or("never (IAM tracks 400 days)".to_owned(), str::to_owned),
            format!("within {days} days"),
        )
        .evidence(
            format!("identity policies of {}", role.arn),
            format!("{policy} grants rds-db:connect: {grants}"),
            "rds-db:connect only on roles in use",
        )
        .fix(rule.fix(
            &[
                ("role_name", role.name),
                ("unused_days", &days.to_string()),
                ("policy_arn", &policy),
                ("remove_grant", &remove),
            ],
        ))
}

/// `db_user on identifier` for each grant of the role, sorted.
fn role_grants(cx: &RuleContext<'_>, role: usize) -> String {
    let grants: BTreeSet<String> = cx
        .analysis
        .grants
        .iter()
        .filter(|g| g.principal == role && g.intended())
        .map(|g| {
            format!(
                "{} on {}",
                g.db_user, cx.analysis.targets[g.target].identifier
            )
        })
        .collect();
    grants.into_iter().collect::<Vec<_>>().join(", ")
}

/// The policy that grants the role rds-db:connect, and the `aws iam` subcommand that removes
/// it from the role (detach a managed policy, delete an inline one).
fn removal(cx: &RuleContext<'_>, index: usize) -> (String, String) {
    use crate::access::PolicyOwner;
    let role = &cx.analysis.principals[index];
    let allowed_by: Vec<&str> = cx
        .analysis
        .grants
        .iter()
        .filter(|g| g.principal == index && g.intended())
        .filter_map(|g| g.allowed_by.as_deref())
        .collect();
    let owner = role
        .identity
        .iter()
        .map(|&id| cx.analysis.index.owner(id))
        .find(|owner| {
            let label = format!(" of {}", owner.label());
            allowed_by.iter().any(|a| a.ends_with(&label))
        });
    match owner {
        Some(PolicyOwner::Managed { arn, .. }) => (
            arn.clone(),
            format!(
                "detach-role-policy --role-name {} --policy-arn {arn}",
                role.name
            ),
        ),
        Some(PolicyOwner::Inline { name, .. }) => (
            format!("inline policy {name}"),
            format!(
                "delete-role-policy --role-name {} --policy-name {name}",
                role.name
            ),
        ),
        _ => (
            "an identity policy".into(),
            format!("list-attached-role-policies --role-name {}", role.name),
        ),
    }
}

pub fn from_outside_org(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for activity in by_caller(cx, |e| !e.failed()) {
        // AWS services act for the role's own account (EC2, Lambda, ECS): no caller account.
        let Some(account) = activity.caller.account.as_deref() else {
            continue;
        };
        let standing = standing(cx, &activity);
        let outside = standing.outside_org == Some(true);
        if !outside && standing.admitted {
            continue;
        }
        let role = &cx.analysis.principals[activity.role];
        let (severity, why) = if outside {
            (
                Severity::Critical,
                format!(
                    "account {account} is outside organization {}",
                    cx.analysis.organization_id().unwrap_or("?")
                ),
            )
        } else {
            (
                Severity::High,
                "the role's current trust policy does not admit this caller: the trust changed since, or the inventory is stale".to_owned(),
            )
        };
        let builder = rule
            .finding()
            .severity(severity)
            .message(format!(
                "{} successfully assumed DB-connect role {} ({why}); it could mint database tokens.",
                activity.caller.id, role.arn
            ))
            .resource(role_resource(role))
            .evidence(
                format!("cloudtrail:AssumeRole into {} by {}", role.arn, activity.caller.id),
                activity.describe("successful"),
                "callers from the organization that the trust policy names",
            )
            .evidence(
                format!("iam:GetRole {} trust policy", role.arn),
                format!("trusts {}", trusted_parties(cx, activity.role)),
                format!("admits {} only if intended", activity.caller.id),
            )
            .key(activity.caller.id.clone())
            .fix(rule.fix(
                &[
                    ("role_name", role.name),
                    ("role_arn", role.arn),
                    ("source_principal", &activity.caller.id),
                    ("source_account", account),
                    ("revoke_before", cx.evaluated_at),
                ],
            ));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn failed(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for activity in by_caller(cx, AssumeRoleEvent::failed) {
        let role = &cx.analysis.principals[activity.role];
        let standing = standing(cx, &activity);
        let outside = standing.outside_org == Some(true);
        // A caller the trust admits, from inside, is a broken configuration; anyone else is
        // trying a role that is not meant for them.
        let severity = if outside || !standing.admitted {
            Severity::High
        } else {
            Severity::Medium
        };
        let who = match (outside, standing.admitted) {
            (true, _) => format!(
                "from outside organization {}",
                cx.analysis.organization_id().unwrap_or("?")
            ),
            (false, false) => "not admitted by the trust policy".to_owned(),
            (false, true) => "admitted by the trust policy: a guardrail or the caller's own policy denies the call".to_owned(),
        };
        let builder = rule
            .finding()
            .severity(severity)
            .message(format!(
                "{} failed to assume DB-connect role {} {} time(s) ({}); caller {who}.",
                activity.caller.id,
                role.arn,
                activity.events.len(),
                activity.error_codes()
            ))
            .resource(role_resource(role))
            .evidence(
                format!(
                    "cloudtrail:AssumeRole into {} by {} (failed)",
                    role.arn, activity.caller.id
                ),
                format!(
                    "{}; errors {}",
                    activity.describe("failed"),
                    activity.error_codes()
                ),
                "no failed AssumeRole into DB-connect roles",
            )
            .evidence(
                format!("iam:GetRole {} trust policy", role.arn),
                format!("trusts {}", trusted_parties(cx, activity.role)),
                format!("admits {} only if intended", activity.caller.id),
            )
            .key(activity.caller.id.clone())
            .fix(rule.fix(&[
                ("role_arn", role.arn),
                ("role_name", role.name),
                ("source_principal", &activity.caller.id),
                ("first_seen", activity.first()),
            ]));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn first_seen(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let id = rule.id.as_str();
    let mut out = Vec::new();
    let Some(now) = now_or_skip(cx, id) else {
        return out;
    };
    let window_days = cx.settings.first_seen_days;
    let window_start = now - i64::from(window_days) * DAY_MILLIS;
    let baseline_start =
        window_start - i64::from(cx.settings.first_seen_baseline_days) * DAY_MILLIS;
    for activity in by_caller(cx, |e| !e.failed()) {
        // Services act for the role's own account; outsiders and callers the trust does not
        // admit are assume-role-from-outside-org's (a stronger finding).
        if activity.caller.kind == CallerKind::Service {
            continue;
        }
        let standing = standing(cx, &activity);
        if standing.outside_org == Some(true) || !standing.admitted {
            continue;
        }
        if millis(activity.first()).is_none_or(|t| t < window_start) {
            continue;
        }
        let role = &cx.analysis.principals[activity.role];
        if !trail_covers(cx, id, role.account, baseline_start, false) {
            continue;
        }
        let since = span_of(cx.activity.scopes, role.account)
            .map(|(since, _)| since.to_string())
            .unwrap_or_default();
        let builder = rule
            .finding()
            .message(format!(
                "New caller: {} first assumed DB-connect role {} at {} (none since {since}, when account {}'s trail was first read). Confirm it is expected.",
                activity.caller.id,
                role.arn,
                activity.first(),
                role.account
            ))
            .resource(role_resource(role))
            .evidence(
                format!("cloudtrail:AssumeRole into {} by {}", role.arn, activity.caller.id),
                activity.describe("successful"),
                format!("callers seen before the last {window_days} days, or confirmed by the role's owners"),
            )
            .key(activity.caller.id.clone())
            .fix(rule.fix(
                &[
                    ("role_arn", role.arn),
                    ("role_name", role.name),
                    ("source_principal", &activity.caller.id),
                    ("source_account", activity.caller.account.as_deref().unwrap_or("?")),
                    ("first_seen", activity.first()),
                    ("revoke_before", cx.evaluated_at),
                ],
            ));
        cx.emit(builder, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(arn: Option<&str>, account: Option<&str>, kind: PrincipalType) -> AssumeRoleEvent {
        AssumeRoleEvent {
            event_time: "2026-11-20T00:00:00Z".into(),
            event_id: "e".into(),
            shared_event_id: None,
            source_account: account.map(Into::into),
            principal_arn: arn.map(Into::into),
            principal_type: Some(kind),
            role_arn: "arn:aws:iam::222222222222:role/r".into(),
            role_session_name: None,
            source_ip: Some("ec2.amazonaws.com".into()),
            user_agent: None,
            error_code: None,
            recipient_account: None,
        }
    }

    #[test]
    fn assumed_role_sessions_are_one_caller_and_match_a_trust_with_a_path() {
        let a = Caller::of(&event(
            Some("arn:aws:sts::111111111111:assumed-role/pg-mgmt-role/i-0abc"),
            Some("111111111111"),
            PrincipalType::AssumedRole,
        ));
        let b = Caller::of(&event(
            Some("arn:aws:sts::111111111111:assumed-role/pg-mgmt-role/i-0def"),
            Some("111111111111"),
            PrincipalType::AssumedRole,
        ));
        assert_eq!(a, b);
        assert_eq!(a.id, "arn:aws:iam::111111111111:role/pg-mgmt-role");
        let named = |arn: &str| TrustedParty::Principal {
            arn: arn.into(),
            account: "111111111111".into(),
        };
        assert!(a.admitted_by(&named("arn:aws:iam::111111111111:role/ops/pg-mgmt-role")));
        assert!(!a.admitted_by(&named("arn:aws:iam::111111111111:role/pg-mgmt-role-old")));
        assert!(!a.admitted_by(&named("arn:aws:iam::111111111111:user/pg-mgmt-role")));
        assert!(a.admitted_by(&TrustedParty::Account("111111111111".into())));
        assert!(!a.admitted_by(&TrustedParty::Account("222222222222".into())));
        assert!(a.admitted_by(&TrustedParty::Everyone));
    }

    #[test]
    fn users_roots_and_services_are_told_apart() {
        let user = Caller::of(&event(
            Some("arn:aws:iam::111111111111:user/ops/break-glass"),
            Some("111111111111"),
            PrincipalType::IAMUser,
        ));
        assert_eq!(
            (user.kind, user.name.as_str()),
            (CallerKind::User, "break-glass")
        );
        assert!(user.admitted_by(&TrustedParty::Principal {
            arn: "arn:aws:iam::111111111111:user/ops/break-glass".into(),
            account: "111111111111".into()
        }));
        let root = Caller::of(&event(
            Some("arn:aws:iam::111111111111:root"),
            Some("111111111111"),
            PrincipalType::Root,
        ));
        assert_eq!(root.kind, CallerKind::Root);
        let service = Caller::of(&event(None, None, PrincipalType::AWSService));
        assert_eq!(
            (service.kind, service.id.as_str()),
            (CallerKind::Service, "ec2.amazonaws.com")
        );
        assert!(service.admitted_by(&TrustedParty::Other("ec2.amazonaws.com".into())));
        assert!(!service.admitted_by(&TrustedParty::Account("111111111111".into())));
    }

    #[test]
    fn long_lists_are_summarized() {
        let items: BTreeSet<&str> = ["a", "b", "c", "d", "e", "f", "g"].into_iter().collect();
        assert_eq!(list(&items), "a, b, c, d, e and 2 more");
        assert_eq!(list(&BTreeSet::new()), "(none recorded)");
    }
}
