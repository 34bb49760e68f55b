//! Access matrix entries: for a principal, a database and a DB user, whether IAM lets the
//! principal connect, what the answer depends on, and through which roles.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessDecision {
    Allowed,
    #[default]
    ImplicitlyDenied,
    ExplicitlyDenied,
    /// Turns on request context the tool cannot know (see `depends_on`).
    Depends,
}

impl AccessDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessDecision::Allowed => "allowed",
            AccessDecision::ImplicitlyDenied => "implicitly-denied",
            AccessDecision::ExplicitlyDenied => "explicitly-denied",
            AccessDecision::Depends => "depends",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// IAM principal ARN (role or user).
    pub principal: String,
    /// DB instance / cluster / proxy ARN.
    pub db: String,
    pub db_user: String,
    pub decision: AccessDecision,
    /// Condition keys the decision depends on (`aws:PrincipalTag/db-access`...).
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Roles assumed on the way, first to last (cross-account chains).
    #[serde(default)]
    pub via: Vec<String>,
    /// IAM's side with the blocking layer (the path's AssumeRole calls, then the connect).
    #[serde(default)]
    pub iam: IamVerdict,
    /// The database side (IAM auth on the target, the role's facts).
    #[serde(default)]
    pub database: DbSide,
    /// IAM × database: can this principal log in as this user?
    #[serde(default)]
    pub login: Login,
    /// The path from the principal to the role that connects.
    #[serde(default)]
    pub reach: Reach,
}

impl AccessEntry {
    /// The DB user is superuser-like (`rolsuper` or `rds_superuser`).
    pub fn superuser(&self) -> bool {
        self.database.superuser == Some(true)
    }
}

/// Whether the principal can really log in as the DB user: the IAM side (every AssumeRole
/// on the path and `rds-db:connect`) combined with the database side (IAM auth on the
/// target, the role exists, can log in, holds `rds_iam`). Worst first: any blocking fact
/// makes it `Blocked`; else a fact the inventory lacks makes it `Unknown`; else request
/// context it cannot know makes it `Depends`; else `Works`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum LoginVerdict {
    Works,
    Depends,
    #[default]
    Unknown,
    Blocked,
}

impl LoginVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginVerdict::Works => "works",
            LoginVerdict::Depends => "depends",
            LoginVerdict::Unknown => "unknown",
            LoginVerdict::Blocked => "blocked",
        }
    }
}

/// The first reason a login is blocked, in the order the checks are made: each
/// `sts:AssumeRole` on the path, then `rds-db:connect`, then the target, then the role. An
/// entry exists only where the identity policies allow (or may allow) the connect, so an
/// IAM refusal is always a guardrail's or an AssumeRole's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockReason {
    /// An `sts:AssumeRole` on the path is refused by the trust policy's conditions or the
    /// caller's identity policies.
    AssumeDenied,
    /// An SCP of the caller's account chain denies (or does not allow) the call: the
    /// `rds-db:connect`, or an `sts:AssumeRole` on the path.
    BlockedByScp,
    /// An RCP of the role's account chain denies an `sts:AssumeRole` on the path (RDS
    /// does not support RCPs: the connect itself is never RCP-blocked).
    BlockedByRcp,
    /// The caller's permissions boundary does not allow the call.
    BlockedByBoundary,
    /// IAM database authentication is off on the instance / cluster.
    IamAuthDisabled,
    /// The RDS Proxy's auth entry for this user has `IAMAuth=DISABLED`.
    ProxyIamDisabled,
    /// The RDS Proxy has auth entries (secrets), none for this user and no default one:
    /// it cannot log in to the database as this user.
    ProxyNoAuth,
    /// The database has no role of this name.
    RoleMissing,
    /// The role exists but is `NOLOGIN`.
    Nologin,
    /// The role can log in but is not a member of `rds_iam` (directly or inherited).
    NoRdsIam,
}

impl BlockReason {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockReason::AssumeDenied => "assume-denied",
            BlockReason::BlockedByScp => "blocked-by-scp",
            BlockReason::BlockedByRcp => "blocked-by-rcp",
            BlockReason::BlockedByBoundary => "blocked-by-boundary",
            BlockReason::IamAuthDisabled => "iam-auth-disabled",
            BlockReason::ProxyIamDisabled => "proxy-iam-disabled",
            BlockReason::ProxyNoAuth => "proxy-no-auth",
            BlockReason::RoleMissing => "role-missing",
            BlockReason::Nologin => "nologin",
            BlockReason::NoRdsIam => "no-rds-iam",
        }
    }
}

/// A fact the inventory lacks, which makes a login `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingFact {
    /// The target's PostgreSQL roles were not read (no database introspection).
    DatabaseRoles,
    /// The first caller's account is not in the inventory: its own `sts:AssumeRole`
    /// permission and SCPs are not known.
    CallerPolicies,
}

impl MissingFact {
    pub fn as_str(self) -> &'static str {
        match self {
            MissingFact::DatabaseRoles => "database-roles",
            MissingFact::CallerPolicies => "caller-policies",
        }
    }
}

/// The combined login verdict of one matrix entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub verdict: LoginVerdict,
    /// The first blocking reason (`verdict == Blocked` only).
    #[serde(default)]
    pub reason: Option<BlockReason>,
    /// A sentence naming the reason with its evidence (policy, role...), for humans.
    #[serde(default)]
    pub detail: String,
    /// Condition keys the login depends on (IAM decisions and trust conditions on the path).
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Facts the inventory lacks (`verdict == Unknown`, or listed alongside a block).
    #[serde(default)]
    pub missing: Vec<MissingFact>,
}

impl Login {
    /// The one-line verdict: `works`, `blocked: <reason>`, `depends: <keys>`,
    /// `unknown: <missing facts>`.
    pub fn summary(&self) -> String {
        match self.verdict {
            LoginVerdict::Works => "works".to_owned(),
            LoginVerdict::Blocked => format!(
                "blocked: {}",
                self.reason.map_or("unknown reason", BlockReason::as_str)
            ),
            LoginVerdict::Depends => format!("depends: {}", self.depends_on.join(", ")),
            LoginVerdict::Unknown => format!(
                "unknown: {}",
                self.missing
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// IAM's side of an entry, with the layer that blocked it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IamVerdict {
    Allowed,
    Depends,
    BlockedByScp,
    BlockedByRcp,
    BlockedByBoundary,
    #[default]
    ImplicitlyDenied,
    ExplicitlyDenied,
    /// The caller is outside the inventory: its own policies are not known.
    Unknown,
}

impl IamVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            IamVerdict::Allowed => "allowed",
            IamVerdict::Depends => "depends",
            IamVerdict::BlockedByScp => "blocked-by-scp",
            IamVerdict::BlockedByRcp => "blocked-by-rcp",
            IamVerdict::BlockedByBoundary => "blocked-by-boundary",
            IamVerdict::ImplicitlyDenied => "implicitly-denied",
            IamVerdict::ExplicitlyDenied => "explicitly-denied",
            IamVerdict::Unknown => "unknown",
        }
    }
}

/// The database side of an entry: `None` where the fact is not known (roles not read).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbSide {
    /// IAM database authentication on the target (for a proxy: the auth entry that covers
    /// this user does not have `IAMAuth=DISABLED`).
    pub iam_auth_enabled: Option<bool>,
    pub role_exists: Option<bool>,
    /// `rolcanlogin`.
    pub can_login: Option<bool>,
    /// Member of `rds_iam`, directly or inherited.
    pub rds_iam: Option<bool>,
    /// `rolsuper` or a member of `rds_superuser`.
    pub superuser: Option<bool>,
}

/// The shape of the path from the principal to the database.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum PathShape {
    /// The principal's own policies grant the connect (no AssumeRole).
    #[default]
    Direct,
    /// One AssumeRole within the principal's account.
    SameAccount,
    /// One AssumeRole from another account of the inventory.
    CrossAccount,
    /// The first caller is outside the inventory or the Organization (any hop count).
    External,
    /// Two or more AssumeRole calls, all from the inventory.
    Chained,
}

impl PathShape {
    pub fn as_str(self) -> &'static str {
        match self {
            PathShape::Direct => "direct",
            PathShape::SameAccount => "same-account",
            PathShape::CrossAccount => "cross-account",
            PathShape::External => "external",
            PathShape::Chained => "chained",
        }
    }
}

/// One `sts:AssumeRole` on a path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// The principal making the call (an ARN; `arn:aws:iam::ACCOUNT:root` for any
    /// principal of an account a trust policy names; `*` for anyone).
    pub caller: String,
    /// The role assumed.
    pub role: String,
    /// `Statement[i] (Sid …)` of the role's trust policy that admits the caller.
    #[serde(default)]
    pub trust_statement: Option<String>,
    /// The caller's own permission (identity × boundary × SCPs) and the role account's RCPs.
    pub iam: IamVerdict,
    /// Condition keys this hop depends on (the caller's policies and the trust statement's
    /// conditions, such as `sts:ExternalId`).
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// The guardrail that blocks this hop, as a sentence.
    #[serde(default)]
    pub blocked_by: Option<String>,
}

/// How the principal reaches the database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    pub shape: PathShape,
    /// Number of `sts:AssumeRole` calls (`steps.len()`).
    pub hops: usize,
    /// The principal is in the inventory (its policies were evaluated).
    pub in_inventory: bool,
    /// The principal's account is outside the Organization (`None`: no Organization).
    pub outside_organization: Option<bool>,
    /// The AssumeRole calls, first to last (empty for a direct grant).
    #[serde(default)]
    pub steps: Vec<Hop>,
}

impl Reach {
    /// Reached from outside: an external caller (not in the inventory, or outside the
    /// Organization).
    pub fn external(&self) -> bool {
        self.shape == PathShape::External
    }
}
