//! Database-side rules: PostgreSQL roles that do not match the IAM grants (missing users,
//! users without `rds_iam`, `rds_iam` holders nobody can connect as) and `rds_iam`
//! memberships that break or weaken logins (master or password users, superuser-like
//! roles, NOLOGIN roles, `rds_ad`). Only databases that were read are judged.

use rayon::prelude::*;

use crate::access::{Grant, Target};
use crate::inventory::{Database, PgRole};
use crate::report::Finding;

use super::catalogue::RuleMeta;
use super::context::RuleContext;

/// The connect target whose roles `database` describes (not proxies: they reach it).
fn target_of<'a>(cx: &'a RuleContext<'_>, database: &Database) -> Option<&'a Target<'a>> {
    cx.analysis.database_target(database)
}

/// Each read database with its target and every role matching `select`.
fn roles_where<'a>(
    cx: &'a RuleContext<'_>,
    select: impl Fn(&Database, &PgRole) -> bool,
) -> Vec<(&'a Target<'a>, &'a Database, &'a PgRole)> {
    let mut out = Vec::new();
    for database in &cx.inventory.databases {
        let Some(target) = target_of(cx, database) else {
            continue;
        };
        for role in database.roles.iter().filter(|role| select(database, role)) {
            out.push((target, database, role));
        }
    }
    out
}

/// Grants that reach `role` of `database`, through the DB itself or a proxy in front of it.
fn grants_reaching<'a>(
    cx: &'a RuleContext<'_>,
    database: &'a Database,
    role: &'a str,
) -> impl Iterator<Item = &'a Grant> + 'a {
    cx.analysis.grants_reaching(database, role)
}

fn role_flags(role: &PgRole) -> String {
    format!(
        "LOGIN={} rds_iam={:?} superuser_like={} rds_ad={:?} password={}",
        role.can_login, role.rds_iam, role.superuser_like, role.rds_ad, role.has_password
    )
}

/// True when the grant's user name has a problem the ARN rule already reports.
fn name_is_malformed(user: &str) -> bool {
    user.trim() != user || user.chars().any(char::is_uppercase)
}

pub fn user_missing(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for grant in cx
        .analysis
        .grants
        .iter()
        .filter(|g| g.named && g.intended() && !name_is_malformed(&g.db_user))
    {
        let target = &cx.analysis.targets[grant.target];
        let Some(database) = target.database else {
            continue;
        };
        if database.role(&grant.db_user).is_some() {
            continue;
        }
        let principal = &cx.analysis.principals[grant.principal];
        let builder = rule
            .finding()
            .message(format!(
                "{} is granted rds-db:connect as {} on {}, but no PostgreSQL role {} exists there: the login fails with \"password authentication failed\".",
                principal.arn, grant.db_user, target.identifier, grant.db_user
            ))
            .resource(cx.target_resource(target, Some(&grant.db_user)))
            .evidence(
                format!("identity policies of {}", principal.arn),
                format!("{} allows {}", grant.allowed_by.as_deref().unwrap_or("a policy"), target.connect_arn(&grant.db_user)),
                "a grant for an existing role",
            )
            .evidence("postgres:pg_roles", format!("no role {}", grant.db_user), format!("role {} with LOGIN and rds_iam", grant.db_user))
            .key(principal.arn)
            .fix(rule.fix(&[("db_user", grant.db_user.as_str()), ("db_user_ident", sql_ident(&grant.db_user).as_str())]));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn user_lacks_rds_iam(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for grant in cx
        .analysis
        .grants
        .iter()
        .filter(|g| g.named && g.intended())
    {
        let target = &cx.analysis.targets[grant.target];
        let Some(role) = target.database.and_then(|db| db.role(&grant.db_user)) else {
            continue;
        };
        if role.has_rds_iam() || !role.can_login {
            continue;
        }
        let principal = &cx.analysis.principals[grant.principal];
        let builder = rule
            .finding()
            .message(format!(
                "{} is granted rds-db:connect as {} on {}, but {} is not a member of rds_iam: PostgreSQL checks the token as a password and the login fails with \"password authentication failed\".",
                principal.arn, grant.db_user, target.identifier, grant.db_user
            ))
            .resource(cx.target_resource(target, Some(&grant.db_user)))
            .evidence("postgres:pg_roles", role_flags(role), "member of rds_iam")
            .evidence(
                format!("identity policies of {}", principal.arn),
                format!("{} allows {}", grant.allowed_by.as_deref().unwrap_or("a policy"), target.connect_arn(&grant.db_user)),
                "a grant for an rds_iam role",
            )
            .fix(rule.fix(&[("db_user", grant.db_user.as_str()), ("db_user_ident", sql_ident(&grant.db_user).as_str())]));
        cx.emit(builder, &mut out);
    }
    out
}

fn simple_role_rule(
    cx: &RuleContext<'_>,
    rule: &RuleMeta,
    select: impl Fn(&Database, &PgRole) -> bool + 'static,
    describe: impl Fn(&Database, &PgRole) -> (String, String),
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (target, database, role) in roles_where(cx, select) {
        let (message, expected) = describe(database, role);
        let builder = rule
            .finding()
            .message(format!("{} on {}: {message}", role.name, target.identifier))
            .resource(cx.target_resource(target, Some(&role.name)))
            .evidence("postgres:pg_roles", role_flags(role), expected)
            .fix(rule.fix(&[
                ("db_user", role.name.as_str()),
                ("db_user_ident", sql_ident(&role.name).as_str()),
            ]));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn on_master_or_password_user(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    simple_role_rule(
        cx,
        rule,
        |database, role| {
            role.has_rds_iam() && (role.name == database.master_username || role.has_password)
        },
        |database, role| {
            let which = if role.name == database.master_username {
                "the master user"
            } else {
                "a password user"
            };
            (
                format!(
                    "{which} holds rds_iam; once a role is in rds_iam only IAM tokens work for it, so its password logins stop working."
                ),
                "rds_iam only on roles that log in with IAM tokens".to_owned(),
            )
        },
    )
}

pub fn superuser(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    simple_role_rule(
        cx,
        rule,
        |_, role| role.has_rds_iam() && role.superuser_like,
        |_, _| {
            (
                "holds rds_iam and is superuser-like (rds_superuser): any IAM principal granted this user becomes a database superuser with a 15-minute token.".to_owned(),
                "IAM logins map to least-privilege roles".to_owned(),
            )
        },
    )
}

pub fn with_rds_ad(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    simple_role_rule(
        cx,
        rule,
        |_, role| role.has_rds_iam() && role.rds_ad.is_member(),
        |_, _| {
            (
                "is a member of both rds_iam and rds_ad; RDS does not support both on one role and Kerberos or IAM logins fail.".to_owned(),
                "one of rds_iam or rds_ad".to_owned(),
            )
        },
    )
}

pub fn nologin(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    let mut out = Vec::new();
    for (target, database, role) in roles_where(cx, |_, role| role.has_rds_iam() && !role.can_login)
    {
        let Some(grant) = grants_reaching(cx, database, &role.name).find(|g| g.named) else {
            continue;
        };
        let principal = &cx.analysis.principals[grant.principal];
        let builder = rule
            .finding()
            .message(format!(
                "{} on {} is in rds_iam and {} is granted to connect as it, but the role is NOLOGIN (created with CREATE ROLE): every login fails with \"role \\\"{}\\\" is not permitted to log in\" after a valid token.",
                role.name, target.identifier, principal.arn, role.name
            ))
            .resource(cx.target_resource(target, Some(&role.name)))
            .evidence("postgres:pg_roles", role_flags(role), "LOGIN")
            .evidence(format!("identity policies of {}", principal.arn), target.connect_arn(&role.name), "a grant for a LOGIN role")
            .fix(rule.fix(&[("db_user", role.name.as_str()), ("db_user_ident", sql_ident(&role.name).as_str())]));
        cx.emit(builder, &mut out);
    }
    out
}

pub fn orphan(cx: &RuleContext<'_>, rule: &RuleMeta) -> Vec<Finding> {
    // Every rds_iam role of every database: the largest rule by far in an organization
    // (50,000 findings at 500 accounts), so its roles are spread over every core too.
    let roles = roles_where(cx, |_, role| role.has_rds_iam() && role.can_login);
    roles
        .par_iter()
        .filter_map(|&(target, database, role)| orphan_finding(cx, rule, target, database, role))
        .collect()
}

fn orphan_finding(
    cx: &RuleContext<'_>,
    rule: &RuleMeta,
    target: &Target<'_>,
    database: &Database,
    role: &PgRole,
) -> Option<Finding> {
    {
        // Without the whole IAM picture of the account, "nobody" cannot be claimed.
        if let Some(gap) = cx.gap(target.account, None, "iam:") {
            cx.skip(&rule.id, Some(target.account), None, gap);
            return None;
        }
        if grants_reaching(cx, database, &role.name).next().is_some() {
            return None;
        }
        let builder = rule
            .finding()
            .message(format!(
                "{} on {} can log in with IAM (rds_iam) but no IAM principal of account {} is granted rds-db:connect as it: a leftover, or a grant with a typo.",
                role.name, target.identifier, target.account
            ))
            .resource(cx.target_resource(target, Some(&role.name)))
            .evidence("postgres:pg_roles", role_flags(role), "a role some IAM principal can connect as")
            .evidence(
                format!("iam:GetAccountAuthorizationDetails {}", target.account),
                format!("no grant reaches {}", target.connect_arn(&role.name)),
                "a grant, or no rds_iam membership",
            )
            .fix(rule.fix(&[("db_user", role.name.as_str()), ("db_user_ident", sql_ident(&role.name).as_str())]));
        builder.build().ok()
    }
}

/// A role name as a SQL identifier: bare when PostgreSQL would read it back unchanged
/// (lower-case letters, digits, `_`, not starting with a digit), else double-quoted with
/// inner quotes doubled, so `GRANT rds_iam TO …` names exactly this role.
pub fn sql_ident(name: &str) -> String {
    let bare = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&name);
    if bare {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Reserved words a role may be named after only when quoted (the ones a role name could
/// plausibly be; quoting any other name is harmless).
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_role",
    "current_user",
    "default",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "into",
    "leading",
    "limit",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "public",
    "references",
    "select",
    "session_user",
    "some",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "when",
    "where",
    "with",
];
