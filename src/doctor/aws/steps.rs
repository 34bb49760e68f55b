//! The `target`, `rds-settings` and `iam-decision` steps: each reads what it needs through
//! the guarded clients, pushes one timed step, and returns the causes when the login cannot
//! work (the probe stops there). What cannot be read is a warning with the missing
//! permission, never a guess.

use std::time::SystemTime;

use super::decision::{self, CONNECT, Question, Verdict};
use super::identity::Identity;
use super::session::{AwsSession, describe_gaps};
use crate::collect::aws::principal::{self, CallerKind};
use crate::collect::aws::{org_chain, rds, sts};
use crate::doctor::diagnosis::{self, Cause, FixContext, codes};
use crate::doctor::step::{Step, StepStatus, StepTimer};
use crate::inventory::endpoint_target::{self as target, FoundTarget, IAM_ERROR_LOG, TargetKind};
use crate::inventory::{Account, Inventory, Region};

/// Days before a CA's expiry from which the doctor warns.
const CA_WARN_DAYS: i64 = 30;

/// Finds the RDS object behind `endpoint` in the caller's account and `region`. Never a hard
/// failure: the database may live in another account, or Describe* may be denied.
pub async fn target_step(
    steps: &mut Vec<Step>,
    session: &AwsSession,
    identity: &Identity,
    endpoint: &str,
    region: &str,
) -> Option<FoundTarget> {
    let mut t = StepTimer::start("target");
    let clients = session.clients(&identity.account);
    let mut gaps = Vec::new();
    let (collected, _) = rds::collect(&clients, region, &mut gaps).await;
    if let Some(found) = target::find(&collected, &identity.account, endpoint) {
        t.evidence(format!(
            "{} matches {} {} (resource id {}, account {})",
            endpoint, found.matched, found.identifier, found.resource_id, found.account
        ));
        t.evidence(format!("engine {}, port {}", found.engine, found.port));
        let summary = format!(
            "{} {} ({})",
            kind_name(found.kind),
            found.identifier,
            found.resource_id
        );
        steps.push(t.finish(StepStatus::Pass, summary));
        return Some(found);
    }
    let listing_failed: Vec<String> = describe_gaps(&gaps)
        .into_iter()
        .filter(|g| {
            g.contains("DescribeDBInstances")
                || g.contains("DescribeDBClusters")
                || g.contains("DescribeDBProxies")
        })
        .collect();
    for gap in &listing_failed {
        t.evidence(gap.clone());
    }
    t.evidence(format!(
        "{} instances, {} clusters, {} proxies listed in account {} {region}",
        collected.db_instances.len(),
        collected.db_clusters.len(),
        collected.db_proxies.len(),
        identity.account
    ));
    let summary = if listing_failed.is_empty() {
        format!(
            "no DB instance, cluster or proxy in account {} {region} has endpoint {endpoint} (another account or region?)",
            identity.account
        )
    } else {
        "cannot list the databases (see evidence): RDS settings and the IAM decision are not checked".to_owned()
    };
    steps.push(t.finish(StepStatus::Warn, summary));
    None
}

fn kind_name(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Instance => "DB instance",
        TargetKind::Cluster => "Aurora cluster",
        TargetKind::Proxy => "RDS Proxy",
    }
}

/// IAM authentication (a hard failure when off), engine, TLS enforcement, CA expiry and the
/// IAM error log.
pub fn settings_step(
    steps: &mut Vec<Step>,
    found: &FoundTarget,
    ctx: &FixContext,
    now: SystemTime,
) -> Result<(), Vec<Cause>> {
    let mut t = StepTimer::start("rds-settings");
    let mut status = StepStatus::Pass;
    t.evidence(format!(
        "IAMDatabaseAuthenticationEnabled = {} on {}{}",
        found.iam_enabled,
        found.iam_source,
        match found.iam_pending {
            Some(p) => format!(" (pending change to {p})"),
            None => String::new(),
        }
    ));
    if !found.engine.contains("postgres") {
        t.evidence(format!(
            "engine {} is not PostgreSQL: this doctor speaks the PostgreSQL protocol",
            found.engine
        ));
        status = StepStatus::Warn;
    }
    match found.force_ssl.as_deref() {
        Some("1") => t.evidence("rds.force_ssl = 1: the server refuses non-TLS connections"),
        Some(v) => t.evidence(format!(
            "rds.force_ssl = {v}: plaintext logins are accepted by the server (the doctor never sends a token without TLS)"
        )),
        None => t.evidence("rds.force_ssl not readable (parameter group not described)"),
    }
    if let Some(ca) = &found.ca {
        match ca.valid_till.as_deref() {
            Some(till) => {
                let days = days_until(till, now);
                match days {
                    Some(d) if d < 0 => {
                        t.evidence(format!(
                            "CA {} expired on {till}: clients that verify the chain fail",
                            ca.identifier
                        ));
                        status = StepStatus::Warn;
                    }
                    Some(d) if d < CA_WARN_DAYS => {
                        t.evidence(format!(
                            "CA {} expires in {d} days ({till}): rotate the instance to a newer CA",
                            ca.identifier
                        ));
                        status = StepStatus::Warn;
                    }
                    _ => t.evidence(format!("CA {} valid until {till}", ca.identifier)),
                }
            }
            None => t.evidence(format!("CA {}", ca.identifier)),
        }
    }
    if found.iam_error_log {
        t.evidence(format!(
            "the {IAM_ERROR_LOG} log export is on: RDS logs its own reason for every rejected token to CloudWatch Logs"
        ));
    } else if found.kind != TargetKind::Proxy {
        t.evidence(format!(
            "the {IAM_ERROR_LOG} log export is off: RDS's own reason for a rejected token is not recorded (enable it with --cloudwatch-logs-export-configuration '{{\"EnableLogTypes\":[\"{IAM_ERROR_LOG}\"]}}')"
        ));
    }
    if !found.iam_enabled {
        let mut evidence = vec![format!(
            "IAMDatabaseAuthenticationEnabled is false on {}: RDS rejects every token (PAM authentication failed)",
            found.iam_source
        )];
        if found.iam_pending == Some(true) {
            evidence.push(
                "enabling it is pending (PendingModifiedValues): it applies at the next maintenance window unless applied immediately".into(),
            );
        }
        let cause = diagnosis::cause(codes::IAM_AUTH_DISABLED, evidence, ctx, None);
        let summary = if found.iam_pending == Some(true) {
            "IAM authentication is only pending"
        } else {
            "IAM authentication is disabled"
        };
        steps.push(t.finish(StepStatus::Fail, summary));
        return Err(vec![cause]);
    }
    let summary = format!("IAM authentication enabled on {}", found.iam_source);
    steps.push(t.finish(status, summary));
    Ok(())
}

/// Whole days from `now` until an RFC 3339 time (negative when past).
fn days_until(rfc3339: &str, now: SystemTime) -> Option<i64> {
    let until_ms = crate::policy::condition::parse_date(rfc3339)?;
    let now_ms = match now.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).ok()?,
        Err(_) => return None,
    };
    Some((until_ms - now_ms).div_euclid(86_400_000))
}

/// Options of the decision step.
pub struct DecisionInput<'a> {
    pub identity: &'a Identity,
    pub found: &'a FoundTarget,
    pub region: &'a str,
    pub db_user: &'a str,
    /// `--org-role-arn`: a role that can read the organization, for the SCP chain.
    pub org_role_arn: Option<&'a str>,
}

/// The engine's decision for this exact login; IAM's simulator as a second opinion.
pub async fn decision_step(
    steps: &mut Vec<Step>,
    session: &AwsSession,
    input: &DecisionInput<'_>,
    ctx: &FixContext,
) -> Result<(), Vec<Cause>> {
    let mut t = StepTimer::start("iam-decision");
    let identity = input.identity;
    let kind = principal::caller_kind(&identity.arn);
    let clients = session.clients(&identity.account);
    let mut gaps = Vec::new();
    let question_arn = |principal_arn: &str| {
        Question {
            principal_arn,
            region: input.region,
            db_account: &input.found.account,
            resource_id: &input.found.resource_id,
            db_user: input.db_user,
            scps_known: false,
        }
        .connect_arn()
    };
    if identity.account != input.found.account {
        let resource = question_arn(&identity.arn);
        t.evidence(format!(
            "the token is signed in account {}, the database is in account {}",
            identity.account, input.found.account
        ));
        let cause = diagnosis::cause(
            codes::POLICY_NO_ALLOW,
            vec![
                format!(
                    "rds-db:connect has no resource-based policy: only principals of account {} can be allowed {resource}",
                    input.found.account
                ),
                "assume a role in the database's account and sign the token with its credentials"
                    .into(),
            ],
            ctx,
            None,
        );
        steps.push(t.finish(
            StepStatus::Fail,
            "signer and database are in different accounts",
        ));
        return Err(vec![cause]);
    }
    let iam = match &kind {
        CallerKind::Root => {
            t.evidence(
                "the account root user: identity policies do not restrict it (only SCPs do)",
            );
            None
        }
        CallerKind::Other => {
            t.evidence(format!(
                "{} is a federated or service principal: its permissions cannot be read from IAM",
                identity.arn
            ));
            steps.push(t.finish(StepStatus::Warn, "decision unknown: principal not readable"));
            return Ok(());
        }
        _ => match principal::read(&clients, &kind, &mut gaps).await {
            Some(iam) => Some(iam),
            None => {
                for line in describe_gaps(&gaps) {
                    t.evidence(line);
                }
                steps.push(t.finish(
                    StepStatus::Warn,
                    "decision unknown: the principal's policies are not readable (see evidence for the permission)",
                ));
                return Ok(());
            }
        },
    };
    let principal_arn = iam
        .as_ref()
        .and_then(|iam| {
            iam.roles
                .first()
                .map(|r| r.arn.clone())
                .or_else(|| iam.users.first().map(|u| u.arn.clone()))
        })
        .unwrap_or_else(|| identity.arn.clone());
    if let CallerKind::AssumedRole { session: name, .. } = &kind {
        t.evidence(format!(
            "principal {principal_arn} (session {name}); a session policy passed at AssumeRole, if any, is not visible"
        ));
    } else {
        t.evidence(format!("principal {principal_arn}"));
    }
    let iam_gaps = describe_gaps(&gaps);
    let (organization, scps_known) =
        read_chain(&mut t, session, identity, input.org_role_arn).await;
    let mut inventory = Inventory {
        organization,
        accounts: vec![Account {
            account_id: identity.account.clone(),
            name: None,
            iam: iam.unwrap_or_default(),
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
        db_account: &input.found.account,
        resource_id: &input.found.resource_id,
        db_user: input.db_user,
        scps_known,
    };
    let resource = question.connect_arn();
    t.evidence(format!("{CONNECT} on {resource}"));
    let verdict = if matches!(kind, CallerKind::Root) {
        root_verdict(&mut inventory, &question)
    } else {
        decision::decide(&inventory, &question)
    };
    for line in &iam_gaps {
        t.evidence(format!("not read: {line}"));
    }
    if !matches!(kind, CallerKind::Root) {
        match principal::simulate(&clients, &principal_arn, CONNECT, &resource).await {
            Ok((decision, organizations)) => t.evidence(format!(
                "second opinion, IAM's simulator (iam:SimulatePrincipalPolicy): {decision}{}",
                match organizations {
                    Some(false) => ", denied by Organizations",
                    Some(true) => ", allowed by Organizations",
                    None => "",
                }
            )),
            Err(why) => t.evidence(format!("IAM's simulator not available: {why}")),
        }
    }
    let incomplete = !iam_gaps.is_empty() || !scps_known;
    match verdict {
        Some(Verdict::Allowed { by }) => {
            let summary = if scps_known {
                format!("allowed by {by}")
            } else {
                format!("allowed by {by} (SCPs not checked)")
            };
            let status = if incomplete {
                StepStatus::Warn
            } else {
                StepStatus::Pass
            };
            steps.push(t.finish(status, summary));
            Ok(())
        }
        Some(Verdict::Depends { keys }) => {
            t.evidence(format!(
                "the decision depends on request facts not known offline: {}",
                keys.join(", ")
            ));
            steps.push(t.finish(StepStatus::Warn, "allowed only under conditions"));
            Ok(())
        }
        Some(Verdict::Denied { code, evidence }) => {
            for line in &evidence {
                t.evidence(line.clone());
            }
            // A denial seen through incomplete reads (a policy not readable) may be wrong:
            // it is a warning then, and the login attempt decides.
            if !iam_gaps.is_empty() && code != codes::SCP_DENY {
                steps.push(t.finish(
                    StepStatus::Warn,
                    format!("probably denied ({code}); some policies were not readable"),
                ));
                return Ok(());
            }
            let cause = diagnosis::cause(code, evidence, ctx, None);
            steps.push(t.finish(StepStatus::Fail, format!("denied: {}", cause.title)));
            Err(vec![cause])
        }
        Some(Verdict::Blocked {
            code,
            evidence,
            policy,
        }) => {
            for line in &evidence {
                t.evidence(line.clone());
            }
            // The fix names the deciding policy: the SCP's id, the boundary's ARN.
            let mut ctx = ctx.clone();
            if code == codes::SCP_DENY {
                ctx.aws.scp_id = policy
                    .as_deref()
                    .and_then(|arn| arn.rsplit('/').next())
                    .map(str::to_owned);
            } else {
                ctx.aws.boundary_arn = policy;
            }
            let cause = diagnosis::cause(code, evidence, &ctx, None);
            steps.push(t.finish(StepStatus::Fail, format!("denied: {}", cause.title)));
            Err(vec![cause])
        }
        None => {
            steps.push(t.finish(StepStatus::Warn, "decision unknown: principal not found"));
            Ok(())
        }
    }
}

/// The root user: identity allows everything; only the SCP chain can deny.
fn root_verdict(inventory: &mut Inventory, question: &Question<'_>) -> Option<Verdict> {
    let allow_all = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let account = inventory.accounts.first_mut()?;
    account.iam.users.push(crate::inventory::IamUser {
        name: "root".into(),
        arn: question.principal_arn.to_owned(),
        path: "/".into(),
        tags: Default::default(),
        permissions_boundary: None,
        attached_policies: Vec::new(),
        inline_policies: vec![crate::inventory::InlinePolicy {
            name: "root-user-implicit-permissions".into(),
            document: allow_all.into(),
        }],
        groups: Vec::new(),
    });
    decision::decide(inventory, question)
}

/// The account's SCP chain: with the caller's credentials (management account or delegated
/// administrator), else through `--org-role-arn`. Returns the chain and whether the SCP side
/// is known: an account outside any organization has no SCPs (known); an unreadable chain is
/// unknown (with evidence naming the missing permission).
pub(super) async fn read_chain(
    t: &mut StepTimer,
    session: &AwsSession,
    identity: &Identity,
    org_role_arn: Option<&str>,
) -> (Option<crate::inventory::Organization>, bool) {
    let mut gaps = Vec::new();
    let own = session.clients(&identity.account);
    if let Some(org) = org_chain::read(&own, &identity.account, &mut gaps).await {
        t.evidence(describe_chain(&org, &identity.account));
        return (Some(org), true);
    }
    if gaps.is_empty() {
        t.evidence(format!(
            "account {} is not in an AWS Organization: no SCPs apply",
            identity.account
        ));
        return (None, true);
    }
    let org = read_chain_through_role(t, session, identity, org_role_arn, &gaps).await;
    let known = org.is_some();
    (org, known)
}

async fn read_chain_through_role(
    t: &mut StepTimer,
    session: &AwsSession,
    identity: &Identity,
    org_role_arn: Option<&str>,
    gaps: &[crate::inventory::Gap],
) -> Option<crate::inventory::Organization> {
    let own_gaps = describe_gaps(gaps);
    let Some(role) = org_role_arn else {
        t.evidence(format!(
            "SCPs not checked: the organization is not readable from account {} ({}); pass --org-role-arn with a role in the management or delegated administrator account",
            identity.account,
            own_gaps.join("; ")
        ));
        return None;
    };
    let config =
        match sts::assume_arn(&session.config, &session.log, role, None, "rdsiam-doctor").await {
            Ok(config) => config,
            Err(gap) => {
                t.evidence(format!(
                    "SCPs not checked: {} {}: {}",
                    gap.source, gap.error_code, gap.message
                ));
                return None;
            }
        };
    let org_account = role.split(':').nth(4).unwrap_or_default();
    let clients = session.clients_with(config, org_account);
    let mut gaps = Vec::new();
    match org_chain::read(&clients, &identity.account, &mut gaps).await {
        Some(org) => {
            t.evidence(format!("organization read through {role}"));
            t.evidence(describe_chain(&org, &identity.account));
            Some(org)
        }
        None => {
            t.evidence(format!(
                "SCPs not checked: not readable through {role} either ({})",
                describe_gaps(&gaps).join("; ")
            ));
            None
        }
    }
}

fn describe_chain(org: &crate::inventory::Organization, account: &str) -> String {
    if org.is_management_account(account) {
        return format!(
            "account {account} is the management account of {}: SCPs do not apply to it",
            org.id
        );
    }
    let chain = org.ancestry(account).unwrap_or_default();
    let levels: Vec<String> = chain
        .iter()
        .map(|target| {
            let names: Vec<&str> = org
                .policies_on(
                    target,
                    crate::inventory::OrgPolicyKind::ServiceControlPolicy,
                )
                .map(|p| p.name.as_str())
                .collect();
            format!("{target} [{}]", names.join(", "))
        })
        .collect();
    format!("SCP chain of {}: {}", org.id, levels.join(" → "))
}
