//! RDS Proxy with end-to-end IAM (`DefaultAuthScheme = IAM_AUTH`): the proxy signs the token
//! that reaches the database with its own role, as the client's DB user. Two ways that
//! breaks: the proxy's role lacks `rds-db:connect` on the target for that user, or the user
//! lacks `rds_iam` in the target database.

use std::collections::BTreeSet;

use crate::access::{Target, TargetKind};
use crate::inventory::ProxyTargetKind;
use crate::policy::Decision;
use crate::report::Finding;

use super::auth_log::{caller_identity, engine_verdict};
use super::catalogue::RuleMeta;
use super::context::RuleContext;

/// Each end-to-end IAM proxy target with the DB users clients are granted through it, and the
/// proxy's database targets.
type EndToEnd<'a> = (&'a Target<'a>, BTreeSet<&'a str>, Vec<&'a Target<'a>>);

fn proxies<'a>(cx: &RuleContext<'a>) -> Vec<EndToEnd<'a>> {
    let mut out = Vec::new();
    for (index, target) in cx.analysis.targets.iter().enumerate() {
        let Some(proxy) = target.proxy.filter(|p| p.end_to_end_iam()) else {
            continue;
        };
        let users: BTreeSet<&str> = cx
            .analysis
            .grants_on(index)
            .filter(|g| g.intended())
            .map(|g| g.db_user.as_str())
            .collect();
        let databases: Vec<&Target<'_>> = proxy
            .targets
            .iter()
            .filter_map(|pt| {
                let kind = match pt.kind {
                    ProxyTargetKind::Instance => TargetKind::Instance,
                    ProxyTargetKind::Cluster => TargetKind::Cluster,
                };
                cx.analysis.targets.iter().find(|t| {
                    t.kind == kind
                        && t.identifier == pt.identifier
                        && t.account == target.account
                        && t.region == target.region
                })
            })
            .collect();
        out.push((target, users, databases));
    }
    out
}

pub fn role_cannot_connect(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let id = rule.id.as_str();
    let mut out = Vec::new();
    for (proxy_target, users, databases) in proxies(cx) {
        let Some(proxy) = proxy_target.proxy else {
            continue;
        };
        let role = proxy.role_arn.as_deref().and_then(|arn| {
            let (account, kind, name) = caller_identity(arn)?;
            cx.analysis
                .principals
                .iter()
                .position(|p| p.account == account && p.kind == kind && p.name == name)
                .map(|i| (i, name))
        });
        let Some((role, role_name)) = role else {
            cx.skip(
                id,
                Some(proxy_target.account),
                Some(proxy_target.region),
                format!(
                    "proxy {}: its role {} is not in the inventory",
                    proxy.name,
                    proxy.role_arn.as_deref().unwrap_or("(none)")
                ),
            );
            continue;
        };
        for database in &databases {
            for user in &users {
                let verdict = engine_verdict(cx.analysis, role, database, user);
                if matches!(verdict.decision, Decision::Allowed | Decision::Depends) {
                    continue;
                }
                let dbuser_arn = database.connect_arn(user);
                let builder = rule
                    .finding()
                    .message(format!(
                        "RDS Proxy {} uses end-to-end IAM, but its role {role_name} may not connect to {} as {user}: {}. Clients granted {user} through the proxy are refused at the proxy's own login.",
                        proxy.name, database.identifier, verdict.explanation
                    ))
                    .resource(cx.target_resource(proxy_target, Some(user)))
                    .key(database.identifier)
                    .evidence(
                        format!("rds:DescribeDBProxies {}", proxy.name),
                        format!(
                            "DefaultAuthScheme=IAM_AUTH, RoleArn={}",
                            proxy.role_arn.as_deref().unwrap_or("")
                        ),
                        "the proxy role allowed rds-db:connect on every target for the clients' users",
                    )
                    .evidence("rdsiam policy engine", verdict.explanation.clone(), format!("Allow on {dbuser_arn}"))
                    .fix(rule.fix(
                        &[
                            ("role_name", role_name),
                            ("db_user", user),
                            ("dbuser_arn", &dbuser_arn),
                        ],
                    ));
                cx.emit(builder, &mut out);
            }
        }
    }
    out
}

pub fn user_lacks_rds_iam(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let id = rule.id.as_str();
    let mut out = Vec::new();
    for (proxy_target, users, databases) in proxies(cx) {
        let Some(proxy) = proxy_target.proxy else {
            continue;
        };
        for database in &databases {
            let Some(facts) = database.database else {
                cx.skip(
                    id,
                    Some(database.account),
                    Some(database.region),
                    format!(
                        "the PostgreSQL roles of {} were not read (collect --db)",
                        database.identifier
                    ),
                );
                continue;
            };
            for user in &users {
                let state = match facts.role(user) {
                    Some(role) if role.has_rds_iam() => continue,
                    Some(_) => "is not a member of rds_iam",
                    None => "does not exist",
                };
                let ident = quote_ident(user);
                let builder = rule
                    .finding()
                    .message(format!(
                        "RDS Proxy {} uses end-to-end IAM and clients may connect as {user}, but on {} the role {user} {state}: the proxy's IAM login as {user} is refused.",
                        proxy.name, database.identifier
                    ))
                    .resource(cx.target_resource(database, Some(user)))
                    .key(&proxy.name)
                    .evidence(
                        format!("postgres:pg_roles {}", database.identifier),
                        format!("{user} {state}"),
                        format!("{user} exists and is a member of rds_iam"),
                    )
                    .fix(rule.fix(
                        &[
                            ("db_user", user),
                            ("db_user_ident", &ident),
                            ("db_identifier", database.identifier),
                        ],
                    ));
                cx.emit(builder, &mut out);
            }
        }
    }
    out
}

/// `"Name"` when the name needs quoting in SQL, else the name (as `GRANT` takes it).
fn quote_ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}
