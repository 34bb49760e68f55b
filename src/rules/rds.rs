//! RDS-side rules: settings of instances, clusters and proxies that break or hide IAM
//! logins — IAM auth off (or only pending), `rds.force_ssl` off, CA certificates expired or
//! expiring, the `iam-db-auth-error` log not exported, proxy IAM mode against the grants.

use crate::access::{Target, TargetKind};
use crate::inventory::{ParameterGroupKind, ProxyIamAuth};
use crate::report::{Finding, Resource, ResourceKind, Severity};

use super::catalogue::RuleMeta;
use super::context::RuleContext;

const DAY_MILLIS: i64 = 86_400_000;

/// `(modify command, identifier flag)` for an instance or a cluster. The flag is the bare
/// name: the templates write `--{identifier_flag} {db_identifier}` themselves (a flag that
/// carried its dashes and value rendered `----db-cluster-identifier X X`).
fn modify_args(target: &Target<'_>) -> (&'static str, &'static str) {
    match target.kind {
        TargetKind::Cluster => ("modify-db-cluster", "db-cluster-identifier"),
        _ => ("modify-db-instance", "db-instance-identifier"),
    }
}

/// The Describe call that reports a target's settings, as evidence source.
fn describe_source(target: &Target<'_>) -> String {
    let call = match target.kind {
        TargetKind::Cluster => "DBClusters",
        _ => "DBInstances",
    };
    format!("rds:Describe{call} {}", target.identifier)
}

/// Targets that IAM logins are meant to reach: some grant or some rds_iam role.
fn in_use(cx: &RuleContext<'_>, index: usize) -> bool {
    let target = &cx.analysis.targets[index];
    cx.analysis.grants_on(index).any(|g| g.intended())
        || target
            .database
            .is_some_and(|db| db.roles.iter().any(|r| r.has_rds_iam()))
}

pub fn iam_auth_disabled(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, target) in cx.analysis.targets.iter().enumerate() {
        let (enabled, pending) = match (target.instance, target.cluster) {
            (Some(i), _) => (i.iam_auth_enabled, i.pending_iam_auth_enabled),
            (_, Some(c)) => (c.iam_auth_enabled, c.pending_iam_auth_enabled),
            _ => continue,
        };
        let state = match (enabled, pending) {
            (false, Some(true)) => {
                "off; enabling is pending (applies at the next maintenance window unless applied immediately)"
            }
            (false, _) => "off",
            (true, Some(false)) => "on, but disabling is pending",
            (true, _) => continue,
        };
        if !in_use(cx, index) {
            continue;
        }
        let (command, flag) = modify_args(target);
        let builder = rule
            .finding()
            .message(format!(
                "IAM database authentication on {} is {state} while IAM grants or rds_iam roles exist for it: every IAM login fails with \"PAM authentication failed\".",
                target.identifier
            ))
            .resource(cx.target_resource(target, None))
            .evidence(
                describe_source(target),
                format!("IAMDatabaseAuthenticationEnabled={enabled}, pending={pending:?}"),
                "IAMDatabaseAuthenticationEnabled=true, nothing pending",
            )
            .fix(rule.fix(&[("db_identifier", target.identifier), ("identifier_flag", flag), ("modify_command", command), ("region", target.region)]));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn force_ssl_off(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for target in &cx.analysis.targets {
        let (group_name, kind) = match (target.instance, target.cluster) {
            (Some(i), _) => (i.parameter_group.as_deref(), ParameterGroupKind::Instance),
            (_, Some(c)) => (c.parameter_group.as_deref(), ParameterGroupKind::Cluster),
            _ => continue,
        };
        let Some(group_name) = group_name else {
            continue;
        };
        let Some(region) = cx
            .inventory
            .account(target.account)
            .and_then(|a| a.regions.iter().find(|r| r.region == target.region))
        else {
            continue;
        };
        let Some(group) = region
            .parameter_groups
            .iter()
            .find(|g| g.name == group_name && g.kind == kind)
        else {
            continue;
        };
        let Some(value) = group.parameter("rds.force_ssl") else {
            continue;
        };
        if value != "0" {
            continue;
        }
        let (command, flag) = match kind {
            ParameterGroupKind::Cluster => (
                "modify-db-cluster-parameter-group",
                "db-cluster-parameter-group-name",
            ),
            ParameterGroupKind::Instance => {
                ("modify-db-parameter-group", "db-parameter-group-name")
            }
        };
        let builder = rule
            .finding()
            .message(format!(
                "{} uses parameter group {group_name} with rds.force_ssl=0: clients may connect without TLS (password logins in cleartext; IAM logins only fail with \"no pg_hba.conf entry … no encryption\" when the client tries plaintext).",
                target.identifier
            ))
            .resource(cx.target_resource(target, None))
            .evidence(format!("rds:DescribeDBParameters {group_name}"), "rds.force_ssl=0", "rds.force_ssl=1")
            .fix(rule.fix(&[("parameter_group", group_name), ("parameter_group_flag", flag), ("modify_parameter_group_command", command), ("region", target.region)]));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn ca_certificate_expiring(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let id = rule.id.as_str();
    let mut out = Vec::new();
    let Some(now) = cx.now_millis else {
        cx.skip(
            id,
            None,
            None,
            format!("report time {:?} is not a date", cx.evaluated_at),
        );
        return out;
    };
    for located in cx.inventory.db_instances() {
        let instance = located.item;
        let Some(ca) = &instance.ca_certificate else {
            continue;
        };
        let Some(valid_till) = ca.valid_till.as_deref() else {
            continue;
        };
        let Some(expiry) = crate::policy::condition::parse_date(valid_till) else {
            continue;
        };
        let horizon = cx.settings.ca_expiry_days;
        if expiry > now + i64::from(horizon) * DAY_MILLIS {
            continue;
        }
        let expired = expiry <= now;
        let days = (expiry - now) / DAY_MILLIS;
        let state = if expired {
            format!("expired on {valid_till}")
        } else {
            format!("expires on {valid_till} (in {days} days)")
        };
        let mut builder = rule
            .finding()
            .message(format!(
                "{} uses CA {} which {state}: clients verifying the server (sslmode=verify-full, required to protect IAM tokens) fail with \"certificate verify failed\".",
                instance.identifier, ca.identifier
            ))
            .resource(Resource::new(ResourceKind::DbInstance, &instance.arn).account(located.account).region(located.region))
            .evidence(format!("rds:DescribeDBInstances {}", instance.identifier), format!("{} valid till {valid_till}", ca.identifier), format!("a CA valid for more than {horizon} days"))
            .fix(rule.fix(&[("db_identifier", instance.identifier.as_str()), ("region", located.region)]));
        if expired {
            builder = builder.severity(Severity::High);
        }
        cx.emit(builder, &mut out);
    }
    out
}

pub fn error_log_not_exported(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, target) in cx.analysis.targets.iter().enumerate() {
        let exports = match (target.instance, target.cluster) {
            (Some(i), _) => &i.enabled_log_exports,
            (_, Some(c)) => &c.enabled_log_exports,
            _ => continue,
        };
        if exports.iter().any(|e| e == "iam-db-auth-error")
            || !(target.iam_enabled() || in_use(cx, index))
        {
            continue;
        }
        let (command, flag) = modify_args(target);
        let builder = rule
            .finding()
            .message(format!(
                "{} does not export the iam-db-auth-error log to CloudWatch Logs: the only place RDS says why it refused a token stays invisible.",
                target.identifier
            ))
            .resource(cx.target_resource(target, None))
            .evidence(describe_source(target), format!("EnabledCloudwatchLogsExports={exports:?}"), "includes iam-db-auth-error")
            .fix(rule.fix(&[("db_identifier", target.identifier), ("identifier_flag", flag), ("modify_command", command), ("region", target.region)]));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn proxy_iam_mode_inconsistent(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, target) in cx.analysis.targets.iter().enumerate() {
        let Some(proxy) = target.proxy else { continue };
        let grants: Vec<_> = cx
            .analysis
            .grants_on(index)
            .filter(|g| g.intended())
            .collect();
        let Some(grant) = grants.first() else {
            continue;
        };
        let Some(auth) = proxy
            .auth
            .iter()
            .find(|a| a.iam_auth == ProxyIamAuth::Disabled)
        else {
            continue;
        };
        let principal = &cx.analysis.principals[grant.principal];
        let secret = auth.secret_arn.clone().unwrap_or_default();
        let builder = rule
            .finding()
            .message(format!(
                "RDS Proxy {} has IAMAuth=DISABLED, yet {} grant(s) name its resource id {} (e.g. {} as {}): those clients' tokens are refused with \"The IAM authentication failed for the role …\".",
                proxy.name,
                grants.len(),
                proxy.resource_id,
                principal.arn,
                grant.db_user
            ))
            .resource(cx.target_resource(target, None))
            .evidence(format!("rds:DescribeDBProxies {}", proxy.name), "Auth[].IAMAuth=DISABLED", "REQUIRED")
            .evidence(format!("identity policies of {}", principal.arn), target.connect_arn(&grant.db_user), "grants only where IAM auth is on")
            .fix(rule.fix(&[("proxy_name", proxy.name.as_str()), ("region", target.region), ("secret_arn", secret.as_str())]));
        cx.emit(builder, &mut out);
    }
    out
}
