//! The `rds-log` step: RDS's own reason for a refused token. After a refused login (or with
//! `--rds-log`) it reads the target's `iam-db-auth-error` log (`logs:FilterLogEvents` on
//! `/aws/rds/{instance|cluster}/<id>/iam-db-auth-error`, the last [`WINDOW`]), keeps the lines
//! of this DB user and turns the newest into the cause that leads the verdict:
//!
//! - `NotAuthorized`: the policy engine for the caller ARN *in the log*, which may not be the
//!   identity the doctor checked (that difference is the answer), with the deciding statement
//!   or SCP and the fix for it;
//! - `ExpiredToken`: token lifetime, reuse, the clock; `InvalidToken`: truncation, encoding,
//!   host/port/region; `ThrottlingException`: connection rate, pooling, RDS Proxy;
//!   `InternalError`: AWS Support.
//!
//! With the export off it says so and carries the exact `modify-db-instance|cluster` command
//! (printed, never run: the tool is read-only). A read that fails is a gap in the step's
//! evidence and the doctor goes on. Owns no parsing (`crate::inventory::auth_log`) and no
//! policy evaluation (`super::decision`).

use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::decision::{self, Question, Verdict};
use super::{AwsSession, Identity, describe_gaps};
use crate::collect::aws::auth_log as collector;
use crate::collect::aws::principal::{self, CallerKind};
use crate::doctor::diagnosis::{self, Cause, CauseFix, FixContext, codes};
use crate::doctor::step::{Step, StepStatus, StepTimer};
use crate::inventory::auth_log::{AuthErrorEvent, AuthErrorKind, LOG_TYPE};
use crate::inventory::endpoint_target::{FoundTarget, TargetKind};
use crate::inventory::{Account, DbTargetKind, Inventory, Region};
use crate::token::{self, TokenFacts};

/// How far back the doctor reads: the refusal it just caused, and the client's recent ones.
pub const WINDOW: Duration = Duration::from_secs(5 * 60);
/// Events read at most (a busy log): the newest for this user is what counts.
const MAX_EVENTS: usize = 2_000;
/// Newest lines of this user kept in the report.
const KEPT_EVENTS: usize = 5;

/// What the step read, as data (`rds_log` in `--format json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RdsLogReport {
    /// `/aws/rds/{instance|cluster}/<id>/iam-db-auth-error` (none for an RDS Proxy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
    /// The `iam-db-auth-error` export is on for the instance or its cluster.
    pub export_on: bool,
    /// With the export off: the command that turns it on (printed, never run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_command: Option<String>,
    /// The window read, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Refusals of this DB user in the window, and of other users.
    pub events_for_user: usize,
    pub events_other_users: usize,
    /// The newest refusals of this DB user, newest first.
    pub events: Vec<AuthErrorEvent>,
    /// The identity the doctor checked (STS), to compare with the caller in the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_identity: Option<String>,
    /// `NotAuthorized`: the log's caller is another principal than the checked identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_differs: Option<bool>,
    /// `NotAuthorized`: what the policy engine says for the caller in the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_decision: Option<String>,
    /// Why the log could not be read (a coverage gap: operation, error, message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<String>,
}

/// What the step needs.
pub struct RdsLogInput<'a> {
    pub session: &'a AwsSession,
    pub identity: &'a Identity,
    pub found: &'a FoundTarget,
    pub region: &'a str,
    pub db_user: &'a str,
    pub org_role_arn: Option<&'a str>,
    /// The client's token, when one was given (its times and length are evidence).
    pub client_token: Option<&'a TokenFacts>,
}

/// The step's result: the report, the cause that leads the verdict (RDS's reason), and a
/// cause that follows it (the export being off).
pub struct RdsLogOutcome {
    pub report: RdsLogReport,
    pub lead: Option<Cause>,
    pub follow: Option<Cause>,
}

/// Where RDS exports the log of `found`: Aurora members log under their cluster.
fn log_target(found: &FoundTarget) -> Option<(DbTargetKind, String)> {
    match found.kind {
        TargetKind::Proxy => None,
        TargetKind::Cluster => Some((DbTargetKind::Cluster, found.identifier.clone())),
        TargetKind::Instance => Some(match found.iam_source.strip_prefix("cluster ") {
            Some(cluster) => (DbTargetKind::Cluster, cluster.to_owned()),
            None => (DbTargetKind::Instance, found.identifier.clone()),
        }),
    }
}

/// Runs the step and pushes it to `steps`.
pub async fn rds_log_step(
    steps: &mut Vec<Step>,
    input: &RdsLogInput<'_>,
    ctx: &FixContext,
) -> RdsLogOutcome {
    let mut t = StepTimer::start("rds-log");
    let mut report = RdsLogReport {
        checked_identity: Some(input.identity.arn.clone()),
        ..RdsLogReport::default()
    };
    let Some(target) = log_target(input.found) else {
        steps.push(t.finish(
            StepStatus::Skipped,
            "an RDS Proxy has no iam-db-auth-error log: run the doctor against the database endpoint behind it for RDS's reason",
        ));
        return RdsLogOutcome {
            report,
            lead: None,
            follow: None,
        };
    };
    let group = crate::inventory::auth_log::log_group_name(target.0, &target.1);
    report.log_group = Some(group.clone());
    report.export_on = input.found.iam_error_log;
    if !report.export_on {
        let off = diagnosis::cause(
            codes::IAM_AUTH_ERROR_LOG_NOT_EXPORTED,
            vec![format!(
                "the {LOG_TYPE} export is off on {} {}: RDS's own reason for this refusal was not recorded",
                kind_word(target.0),
                target.1
            )],
            ctx,
            None,
        );
        report.enable_command = off.fix.aws_cli.clone();
        t.evidence(format!(
            "turn it on (printed, not run: rdsiam is read-only): {}",
            report.enable_command.clone().unwrap_or_default()
        ));
        steps.push(t.finish(
            StepStatus::Warn,
            format!("the {LOG_TYPE} export is off: RDS's own reason is not recorded"),
        ));
        return RdsLogOutcome {
            report,
            lead: None,
            follow: Some(off),
        };
    }
    let clients = input.session.clients(&input.found.account);
    let window = collector::window(WINDOW, SystemTime::now());
    let request = collector::Request {
        since: WINDOW,
        max_events: MAX_EVENTS,
    };
    let log =
        match collector::read_log_only(&clients, input.region, &target, window, &request).await {
            Ok(log) => log,
            Err(gap) => {
                let line = describe_gaps(std::slice::from_ref(&gap)).join("");
                t.evidence(format!("not read: {line}"));
                report.gap = Some(line);
                steps.push(t.finish(
                StepStatus::Warn,
                format!(
                    "cannot read {group} (see evidence for the permission): RDS's reason unknown"
                ),
            ));
                return RdsLogOutcome {
                    report,
                    lead: None,
                    follow: None,
                };
            }
        };
    report.since = Some(log.since.clone());
    report.until = Some(log.until.clone());
    let (mine, others): (Vec<&AuthErrorEvent>, Vec<&AuthErrorEvent>) = log
        .events
        .iter()
        .partition(|e| e.db_user.as_deref() == Some(input.db_user));
    report.events_for_user = mine.len();
    report.events_other_users = others.len();
    report.events = mine
        .iter()
        .rev()
        .take(KEPT_EVENTS)
        .cloned()
        .cloned()
        .collect();
    t.evidence(format!(
        "{group}, {} to {}: {} refusal(s) of {}, {} of other users{}",
        log.since,
        log.until,
        mine.len(),
        input.db_user,
        others.len(),
        if log.truncated {
            " (truncated: counts are lower bounds)"
        } else {
            ""
        }
    ));
    let Some(newest) = mine.last().copied() else {
        steps.push(t.finish(
            StepStatus::Pass,
            format!(
                "no refusal of {} in the last {} min (RDS exports within about a minute: if the login just failed, run again with --rds-log)",
                input.db_user,
                WINDOW.as_secs() / 60
            ),
        ));
        return RdsLogOutcome {
            report,
            lead: None,
            follow: None,
        };
    };
    t.evidence(format!("newest: {}", newest.raw));
    let lead = reason(input, newest, &mut report, ctx).await;
    steps.push(t.finish(
        StepStatus::Fail,
        format!(
            "RDS refused {} at {}: {}",
            input.db_user, newest.time, newest.code
        ),
    ));
    RdsLogOutcome {
        report,
        lead: Some(lead),
        follow: None,
    }
}

fn kind_word(kind: DbTargetKind) -> &'static str {
    match kind {
        DbTargetKind::Instance => "DB instance",
        DbTargetKind::Cluster => "cluster",
    }
}

/// The cause for RDS's newest refusal of this user.
async fn reason(
    input: &RdsLogInput<'_>,
    event: &AuthErrorEvent,
    report: &mut RdsLogReport,
    ctx: &FixContext,
) -> Cause {
    let said = format!("RDS's log at {}: {}", event.time, event.raw);
    let count = format!(
        "{} refusal(s) of {} in the last {} min",
        report.events_for_user,
        input.db_user,
        WINDOW.as_secs() / 60
    );
    match event.kind() {
        AuthErrorKind::NotAuthorized => not_authorized(input, event, report, ctx, said).await,
        AuthErrorKind::ExpiredToken => {
            let mut evidence = vec![said, count];
            evidence.extend(expiry_evidence(input));
            with_fix(
                diagnosis::cause(codes::RDS_LOG_EXPIRED_TOKEN, evidence, ctx, None),
                diagnosis::cause(codes::TOKEN_EXPIRED, Vec::new(), ctx, None).fix,
            )
        }
        AuthErrorKind::InvalidToken => {
            let mut evidence = vec![said, count];
            evidence.extend(invalid_evidence(input));
            with_fix(
                diagnosis::cause(codes::RDS_LOG_INVALID_TOKEN, evidence, ctx, None),
                diagnosis::cause(codes::TOKEN_MALFORMED, Vec::new(), ctx, None).fix,
            )
        }
        AuthErrorKind::Throttling => diagnosis::cause(
            codes::RDS_LOG_THROTTLING,
            vec![
                said,
                count,
                format!(
                    "RDS accepts at most {} new IAM connections per second per instance: pool and reuse connections, or put RDS Proxy in front",
                    crate::inventory::auth_log::IAM_CONNECTIONS_PER_SECOND_LIMIT
                ),
            ],
            ctx,
            None,
        ),
        AuthErrorKind::InternalError => diagnosis::cause(
            codes::RDS_LOG_INTERNAL_ERROR,
            vec![
                said,
                count,
                "nothing on the client or policy side explains it: retry; if it repeats, open an AWS Support case with this line".into(),
            ],
            ctx,
            None,
        ),
        AuthErrorKind::Other => diagnosis::cause(
            codes::TOKEN_REJECTED,
            vec![
                said,
                format!(
                    "RDS wrote the error code {:?}, which AWS does not document (yet)",
                    event.code
                ),
            ],
            ctx,
            None,
        ),
    }
}

fn with_fix(mut cause: Cause, fix: CauseFix) -> Cause {
    let summary = cause.fix.summary.clone();
    cause.fix = fix;
    cause.fix.summary = summary;
    cause
}

fn expiry_evidence(input: &RdsLogInput<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(client) = input.client_token {
        let clock = client.clock(SystemTime::now());
        out.push(format!(
            "the client's token was issued {} and expires {} ({}): a token is checked when a connection opens, so one reused by a pool or cached longer than {} s is refused",
            token::rfc3339(client.issued_at),
            token::rfc3339(client.expires_at),
            if clock.expired {
                format!("expired {} s ago", -clock.seconds_left)
            } else {
                format!("{} s left by this machine's clock", clock.seconds_left)
            },
            client.expires_in_seconds
        ));
    } else {
        out.push(format!(
            "tokens live at most {} s: a client or pool that caches one and reuses it later is refused",
            token::MAX_EXPIRES_SECONDS
        ));
    }
    match input.identity.clock_skew_seconds {
        Some(skew) => out.push(format!(
            "this machine's clock is {} of AWS's (STS Date header); a signing clock behind AWS's makes tokens expire early",
            super::identity::describe_skew(skew)
        )),
        None => out.push("the clock distance to AWS is unknown".into()),
    }
    out
}

fn invalid_evidence(input: &RdsLogInput<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(client) = input.client_token {
        out.push(format!(
            "the client's token as the doctor received it decodes: {} bytes, for {}:{} in {} as {}",
            client.length,
            client.host,
            client
                .port
                .map_or_else(|| "(no port)".into(), |p| p.to_string()),
            client.region,
            client.user
        ));
        for limit in crate::token_compat::LIMITS
            .iter()
            .filter(|l| client.length > l.max_bytes)
        {
            out.push(format!(
                "{} bytes is over {} ({} bytes: {}; {})",
                client.length, limit.client, limit.max_bytes, limit.effect, limit.source
            ));
        }
    }
    out.push(
        "what remains: the token was cut or re-encoded between the client and RDS (a pooler's password limit, URL decoding, whitespace or a newline), or signed for another host, port or region than the one connected to".into(),
    );
    out
}

/// `NotAuthorized`: who RDS refused, whether that is the identity the doctor checked, and
/// what the policy engine says for *that* principal.
async fn not_authorized(
    input: &RdsLogInput<'_>,
    event: &AuthErrorEvent,
    report: &mut RdsLogReport,
    ctx: &FixContext,
    said: String,
) -> Cause {
    let mut evidence = vec![said];
    let Some(caller) = event.caller_arn.as_deref() else {
        evidence.push("the line names no caller".into());
        return diagnosis::cause(codes::RDS_LOG_NOT_AUTHORIZED, evidence, ctx, None);
    };
    let differs = principal_key(caller) != principal_key(&input.identity.arn);
    report.caller_differs = Some(differs);
    let short = caller.splitn(6, ':').nth(5).unwrap_or(caller).to_owned();
    if differs {
        evidence.push(format!(
            "RDS refused {caller}, but the doctor checked {}: the token was signed with other credentials than the ones checked (another profile, an instance or task role, a pooler's own credentials)",
            input.identity.arn
        ));
    } else {
        evidence.push(format!(
            "RDS refused the identity the doctor checked ({caller})"
        ));
    }
    let (lines, fix, summary) = explain_caller(input, caller, ctx).await;
    report.caller_decision = Some(summary.clone());
    evidence.push(format!("the policy engine for {short}: {summary}"));
    evidence.extend(lines);
    let mut cause = diagnosis::cause(codes::RDS_LOG_NOT_AUTHORIZED, evidence, ctx, None);
    cause.title = if differs {
        format!("RDS refused {short}, not the identity checked")
    } else {
        format!("RDS refused {short} (NotAuthorized)")
    };
    match fix {
        Some(fix) => with_fix(cause, fix),
        None => cause,
    }
}

/// `account:role/NAME` or `account:user/NAME`: one principal whatever the session.
fn principal_key(arn: &str) -> String {
    let account = arn.split(':').nth(4).unwrap_or_default();
    match principal::caller_kind(arn) {
        CallerKind::AssumedRole { role_name, .. } => format!("{account}:role/{role_name}"),
        CallerKind::User { user_name } => format!("{account}:user/{user_name}"),
        CallerKind::Root => format!("{account}:root"),
        CallerKind::Other => arn.to_owned(),
    }
}

/// The engine's decision for the caller: (evidence, the fix for the deciding policy, a
/// one-line summary).
async fn explain_caller(
    input: &RdsLogInput<'_>,
    caller: &str,
    ctx: &FixContext,
) -> (Vec<String>, Option<CauseFix>, String) {
    let account = caller.split(':').nth(4).unwrap_or_default().to_owned();
    let db_account = &input.found.account;
    if account != *db_account {
        return (
            vec![format!(
                "rds-db:connect has no resource-based policy: only principals of account {db_account} can be allowed; the caller is in account {account}"
            )],
            None,
            format!("denied: the caller is in account {account}, the database in {db_account}"),
        );
    }
    if account != input.identity.account {
        return (
            Vec::new(),
            None,
            format!(
                "not evaluated: the doctor's credentials are in account {}, the caller's policies in {account}",
                input.identity.account
            ),
        );
    }
    let kind = principal::caller_kind(caller);
    let (principal_arn, caller_principal) = match &kind {
        CallerKind::AssumedRole { role_name, .. } => (
            format!("arn:aws:iam::{account}:role/{role_name}"),
            ("role", role_name.clone()),
        ),
        CallerKind::User { user_name } => (
            format!("arn:aws:iam::{account}:user/{user_name}"),
            ("user", user_name.clone()),
        ),
        _ => {
            return (
                Vec::new(),
                None,
                "not evaluated: a root, federated or service principal".into(),
            );
        }
    };
    let clients = input.session.clients(&account);
    let mut gaps = Vec::new();
    let Some(iam) = principal::read(&clients, &kind, &mut gaps).await else {
        return (
            describe_gaps(&gaps)
                .into_iter()
                .map(|g| format!("not read: {g}"))
                .collect(),
            None,
            format!("not evaluated: {principal_arn} is not readable (see the permission)"),
        );
    };
    // The principal's ARN as IAM stores it (its path included).
    let principal_arn = iam
        .roles
        .first()
        .map(|r| r.arn.clone())
        .or_else(|| iam.users.first().map(|u| u.arn.clone()))
        .unwrap_or(principal_arn);
    let mut t = StepTimer::start("rds-log");
    let caller_identity = Identity {
        account: account.clone(),
        arn: caller.to_owned(),
        clock_skew_seconds: None,
    };
    let (organization, scps_known) =
        super::steps::read_chain(&mut t, input.session, &caller_identity, input.org_role_arn).await;
    let mut lines: Vec<String> = t.evidence_lines().to_vec();
    lines.extend(
        describe_gaps(&gaps)
            .into_iter()
            .map(|g| format!("not read: {g}")),
    );
    let inventory = Inventory {
        organization,
        accounts: vec![Account {
            account_id: account.clone(),
            name: None,
            iam,
            regions: vec![Region {
                region: input.region.to_owned(),
                ..Region::default()
            }],
        }],
        ..Inventory::new("doctor")
    };
    let question = Question {
        principal_arn: &principal_arn,
        region: input.region,
        db_account,
        resource_id: &input.found.resource_id,
        db_user: input.db_user,
        scps_known,
    };
    let mut caller_ctx = ctx.clone();
    caller_ctx.aws.principal = Some(caller_principal);
    let disagree = "RDS and the local policies disagree: a session policy passed at AssumeRole, an SCP not read, or a policy changed since (IAM is eventually consistent)";
    match decision::decide(&inventory, &question) {
        Some(Verdict::Allowed { by }) => {
            lines.push(disagree.into());
            (lines, None, format!("allowed by {by}"))
        }
        Some(Verdict::Depends { keys }) => (
            lines,
            None,
            format!("allowed only under conditions on {}", keys.join(", ")),
        ),
        Some(Verdict::Denied { code, evidence }) => {
            lines.extend(evidence);
            let fix = diagnosis::cause(code, Vec::new(), &caller_ctx, None).fix;
            (lines, Some(fix), format!("denied ({code})"))
        }
        Some(Verdict::Blocked {
            code,
            evidence,
            policy,
        }) => {
            lines.extend(evidence);
            if code == codes::SCP_DENY {
                caller_ctx.aws.scp_id = policy
                    .as_deref()
                    .and_then(|arn| arn.rsplit('/').next())
                    .map(str::to_owned);
            } else {
                caller_ctx.aws.boundary_arn = policy.clone();
            }
            let fix = diagnosis::cause(code, Vec::new(), &caller_ctx, None).fix;
            let by = policy.unwrap_or_default();
            (lines, Some(fix), format!("denied ({code}) by {by}"))
        }
        None => (lines, None, format!("{principal_arn} not found in IAM")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_of_one_role_are_one_principal() {
        assert_eq!(
            principal_key("arn:aws:sts::111122223333:assumed-role/app/i-1"),
            principal_key("arn:aws:sts::111122223333:assumed-role/app/i-2")
        );
        assert_ne!(
            principal_key("arn:aws:sts::111122223333:assumed-role/app/i-1"),
            principal_key("arn:aws:sts::111122223333:assumed-role/other/i-1")
        );
        assert_eq!(
            principal_key("arn:aws:iam::111122223333:user/ops/alice"),
            "111122223333:user/alice"
        );
    }
}
