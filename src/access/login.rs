//! The login verdict of one access-matrix entry: IAM's side (every `sts:AssumeRole` on the
//! path, then `rds-db:connect`) combined with the database side (IAM authentication on the
//! target, and the DB user's facts read from PostgreSQL) into one answer.
//!
//! A login with IAM database authentication needs all of: IAM allows the token's
//! `rds-db:connect` (and each role assumption before it), IAM DB auth is enabled on the
//! instance/cluster (for an RDS Proxy: its auth entry for the user does not have
//! `IAMAuth=DISABLED`), the role exists, has `LOGIN`, and is a member of `rds_iam` (directly or
//! through a role it inherits from; behind a proxy that logs in with a Secrets Manager
//! password the proxy, not the client, authenticates to the database, so `rds_iam` is not
//! required there). The first failing check is the reason; a fact the inventory lacks makes
//! the verdict `unknown` rather than `works`.

use crate::inventory::{PgRole, ProxyIamAuth};
use crate::policy::{Decision, Layer};
use crate::report::{BlockReason, DbSide, Hop, IamVerdict, Login, LoginVerdict, MissingFact};

use super::matrix::{Blocker, Grant};
use super::targets::Target;

/// IAM's verdict with the layer that blocked it.
pub fn iam_verdict(decision: Decision, blocker: Option<&Blocker>) -> IamVerdict {
    match decision {
        Decision::Allowed => IamVerdict::Allowed,
        Decision::Depends => IamVerdict::Depends,
        Decision::ImplicitlyDenied | Decision::ExplicitlyDenied => match blocker.map(|b| b.layer) {
            Some(Layer::Scp(_)) => IamVerdict::BlockedByScp,
            Some(Layer::Rcp(_)) => IamVerdict::BlockedByRcp,
            Some(Layer::PermissionBoundary) => IamVerdict::BlockedByBoundary,
            _ if decision == Decision::ExplicitlyDenied => IamVerdict::ExplicitlyDenied,
            _ => IamVerdict::ImplicitlyDenied,
        },
    }
}

/// The IAM verdict of a grant's `rds-db:connect`.
pub fn grant_iam(grant: &Grant) -> IamVerdict {
    iam_verdict(grant.effective, grant.blocked_by.as_ref())
}

/// The guardrail a blocking verdict names.
fn block_reason(verdict: IamVerdict) -> Option<BlockReason> {
    match verdict {
        IamVerdict::BlockedByScp => Some(BlockReason::BlockedByScp),
        IamVerdict::BlockedByRcp => Some(BlockReason::BlockedByRcp),
        IamVerdict::BlockedByBoundary => Some(BlockReason::BlockedByBoundary),
        _ => None,
    }
}

/// Whether a verdict stops the request.
pub fn iam_blocks(verdict: IamVerdict) -> bool {
    !matches!(
        verdict,
        IamVerdict::Allowed | IamVerdict::Depends | IamVerdict::Unknown
    )
}

/// What the database side says about `db_user` on `target`, and whether `rds_iam` is
/// required there.
pub struct DatabaseFacts<'i> {
    pub side: DbSide,
    pub role: Option<&'i PgRole>,
    /// The token is checked by the database itself (not a proxy logging in with a secret).
    pub needs_rds_iam: bool,
    /// A proxy with auth entries, none of them for this user (nor a default one).
    pub proxy_without_auth: bool,
}

pub fn database_facts<'i>(target: &Target<'i>, db_user: &str) -> DatabaseFacts<'i> {
    let mut needs_rds_iam = true;
    let mut proxy_without_auth = false;
    let iam_auth_enabled = match target.proxy {
        Some(proxy) => {
            // The entry for this user, else the default one (no user name).
            let auth = proxy
                .auth
                .iter()
                .find(|a| a.user_name.as_deref() == Some(db_user))
                .or_else(|| proxy.auth.iter().find(|a| a.user_name.is_none()));
            match auth {
                Some(auth) => {
                    needs_rds_iam = auth.auth_scheme.is_none();
                    Some(auth.iam_auth != ProxyIamAuth::Disabled)
                }
                None => {
                    proxy_without_auth = !proxy.auth.is_empty();
                    None
                }
            }
        }
        None => Some(target.iam_enabled()),
    };
    let role = target.database.and_then(|db| db.role(db_user));
    let known = target.database.is_some();
    let side = DbSide {
        iam_auth_enabled,
        role_exists: known.then_some(role.is_some()),
        can_login: role.map(|r| r.can_login),
        rds_iam: role.map(|r| r.has_rds_iam()),
        superuser: role.map(|r| r.superuser_like),
    };
    DatabaseFacts {
        side,
        role,
        needs_rds_iam,
        proxy_without_auth,
    }
}

/// The IAM side of an entry, for [`combine`].
pub struct IamSide<'a> {
    /// The AssumeRole calls, first to last.
    pub steps: &'a [Hop],
    /// `rds-db:connect` of the last principal (the one the grant belongs to).
    pub connect: IamVerdict,
    /// Why the connect is blocked, as a sentence.
    pub connect_blocked_by: Option<String>,
    /// The connect's condition keys.
    pub connect_depends_on: &'a [String],
    /// The first caller is outside the inventory (its own policies unknown).
    pub caller_unknown: bool,
}

/// Combines both sides into the verdict: the first blocking reason, else the missing facts,
/// else the condition keys, else `works`.
pub fn combine(
    iam: &IamSide<'_>,
    target: &Target<'_>,
    db_user: &str,
    facts: &DatabaseFacts<'_>,
) -> Login {
    let mut depends_on: Vec<String> = Vec::new();
    for step in iam.steps {
        crate::policy::truth::merge(&mut depends_on, step.depends_on.iter().cloned());
    }
    crate::policy::truth::merge(&mut depends_on, iam.connect_depends_on.iter().cloned());
    let mut missing = Vec::new();
    if iam.caller_unknown {
        missing.push(MissingFact::CallerPolicies);
    }
    if target.database.is_none() {
        missing.push(MissingFact::DatabaseRoles);
    }
    let blocked = first_block(iam, target, db_user, facts);
    let (verdict, reason, detail) = match blocked {
        Some((reason, detail)) => (LoginVerdict::Blocked, Some(reason), detail),
        None if !missing.is_empty() => (LoginVerdict::Unknown, None, unknown_detail(&missing)),
        None if !depends_on.is_empty() => (
            LoginVerdict::Depends,
            None,
            "IAM allows it depending on request context the inventory cannot know".to_owned(),
        ),
        None => (LoginVerdict::Works, None, String::new()),
    };
    Login {
        verdict,
        reason,
        detail,
        depends_on,
        missing,
    }
}

fn unknown_detail(missing: &[MissingFact]) -> String {
    let parts: Vec<&str> = missing
        .iter()
        .map(|m| match m {
            MissingFact::CallerPolicies => {
                "the caller's account is not in the inventory (its own sts:AssumeRole permission and SCPs are not known)"
            }
            MissingFact::DatabaseRoles => {
                "the database's roles were not read (collect with database introspection)"
            }
        })
        .collect();
    parts.join("; ")
}

fn first_block(
    iam: &IamSide<'_>,
    target: &Target<'_>,
    db_user: &str,
    facts: &DatabaseFacts<'_>,
) -> Option<(BlockReason, String)> {
    for step in iam.steps {
        if iam_blocks(step.iam) {
            let why = step
                .blocked_by
                .clone()
                .unwrap_or_else(|| format!("IAM decision {}", step.iam.as_str()));
            return Some((
                block_reason(step.iam).unwrap_or(BlockReason::AssumeDenied),
                format!("{} cannot assume {}: {why}", step.caller, step.role),
            ));
        }
    }
    if iam_blocks(iam.connect) {
        // The identity policies allow every entry's connect: a refusal is a guardrail's.
        let reason = block_reason(iam.connect).unwrap_or(BlockReason::BlockedByScp);
        let why = iam
            .connect_blocked_by
            .clone()
            .unwrap_or_else(|| format!("IAM decision {}", iam.connect.as_str()));
        return Some((reason, format!("rds-db:connect as {db_user}: {why}")));
    }
    let side = &facts.side;
    if side.iam_auth_enabled == Some(false) {
        return Some(match target.proxy {
            Some(proxy) => (
                BlockReason::ProxyIamDisabled,
                format!(
                    "RDS Proxy {} has IAMAuth=DISABLED for {db_user}: it refuses IAM tokens",
                    proxy.name
                ),
            ),
            None => (
                BlockReason::IamAuthDisabled,
                format!(
                    "IAM database authentication is off on {}: tokens are refused",
                    target.identifier
                ),
            ),
        });
    }
    if let Some(proxy) = target.proxy
        && facts.proxy_without_auth
    {
        return Some((
            BlockReason::ProxyNoAuth,
            format!(
                "RDS Proxy {} has no auth entry (secret) for {db_user:?}: it cannot log in to the database as that user",
                proxy.name
            ),
        ));
    }
    if side.role_exists == Some(false) {
        return Some((
            BlockReason::RoleMissing,
            format!("no role {db_user:?} on {}", target.identifier),
        ));
    }
    if side.can_login == Some(false) {
        return Some((BlockReason::Nologin, format!("role {db_user:?} is NOLOGIN")));
    }
    if facts.needs_rds_iam && side.rds_iam == Some(false) {
        return Some((
            BlockReason::NoRdsIam,
            format!(
                "role {db_user:?} is not a member of rds_iam: the token is checked as a password and fails"
            ),
        ));
    }
    None
}
