//! Facts from inside each PostgreSQL database target: its roles (who can log in, who holds
//! `rds_iam`, who is superuser-like) and its database names.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbTargetKind {
    /// A standalone RDS instance (ARN resource id `db-...`).
    Instance,
    /// An Aurora cluster (ARN resource id `cluster-...`).
    Cluster,
}

/// Which RDS resource a set of PostgreSQL facts was read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbTarget {
    pub account: String,
    pub region: String,
    pub kind: DbTargetKind,
    /// DB instance or cluster identifier.
    pub identifier: String,
}

impl std::fmt::Display for DbTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            DbTargetKind::Instance => "instance",
            DbTargetKind::Cluster => "cluster",
        };
        write!(
            f,
            "{}/{}/{kind}/{}",
            self.account, self.region, self.identifier
        )
    }
}

/// The PostgreSQL roles and databases of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub target: DbTarget,
    pub master_username: String,
    #[serde(default)]
    pub database_names: Vec<String>,
    #[serde(default)]
    pub roles: Vec<PgRole>,
}

impl Database {
    pub fn role(&self, name: &str) -> Option<&PgRole> {
        self.roles.iter().find(|r| r.name == name)
    }
}

/// How a role holds a membership (`rds_iam`): not at all, granted directly, or through
/// another role it is a member of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Membership {
    #[default]
    No,
    Direct,
    Inherited,
}

impl Membership {
    pub fn is_member(self) -> bool {
        self != Membership::No
    }
}

/// One `pg_roles` row, reduced to what IAM auth needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgRole {
    /// Exact role name, byte for byte (case and spaces matter).
    pub name: String,
    /// `rolcanlogin`.
    pub can_login: bool,
    /// Roles it is a direct member of.
    #[serde(default)]
    pub member_of: Vec<String>,
    /// Membership in `rds_iam`: with it, password logins stop and the token is required.
    #[serde(default)]
    pub rds_iam: Membership,
    /// `rolsuper`, or a member (direct or inherited) of `rds_superuser`.
    #[serde(default)]
    pub superuser_like: bool,
    /// Membership in `rds_ad` (Kerberos); unsupported together with `rds_iam`.
    #[serde(default)]
    pub rds_ad: Membership,
    /// A password is set (`rolpassword` not null; read from `pg_authid` when allowed).
    #[serde(default)]
    pub has_password: bool,
}

impl PgRole {
    pub fn has_rds_iam(&self) -> bool {
        self.rds_iam.is_member()
    }
}
