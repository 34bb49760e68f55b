//! The facts model: everything rdsiam knows about an organization, its accounts, IAM, RDS
//! and the PostgreSQL roles inside each database, plus what could not be read (coverage gaps).
//!
//! Collectors fill it, snapshots persist it ([`snapshot`]), rules only read it. This module
//! owns the shapes and their structural validation ([`validate`]); it does not interpret IAM
//! policies: documents are kept as decoded JSON (`serde_json::Value`) and parsed by
//! `crate::policy`.

pub mod activity;
pub mod auth_log;
mod coverage;
pub mod endpoint_target;
mod iam;
mod index;
mod json_scan;
mod lookup;
mod organization;
mod parallel_parse;
mod policy_text;
mod postgres;
mod rds;
pub mod snapshot;
pub mod validate;

use serde::{Deserialize, Serialize};

pub use activity::{ActivityScope, AssumeRoleEvent, Day};
pub use auth_log::{AuthErrorEvent, AuthErrorKind, AuthLog, AuthMetrics};
pub use coverage::Gap;
pub use iam::{Iam, IamGroup, IamRole, IamUser, InlinePolicy, ManagedPolicy, RoleLastUsed, Tags};
pub use index::{DbIndex, DbResource, PolicyDocumentRef, PolicyKind};
pub use lookup::{Located, PolicyAttachment, PolicySource};
pub use organization::{
    OrgAccount, OrgPolicy, OrgPolicyKind, OrgRoot, Organization, OrganizationalUnit,
};
pub use policy_text::PolicyText;
pub use postgres::{Database, DbTarget, DbTargetKind, Membership, PgRole};
pub use rds::{
    CaCertificate, ClusterEndpoint, ClusterEndpointKind, ClusterMember, DbCluster, DbInstance,
    DbProxy, Endpoint, ParameterGroup, ParameterGroupKind, ProxyAuth, ProxyIamAuth, ProxyTarget,
    ProxyTargetKind, Region,
};

/// The snapshot format version this build reads and writes. Bump it on any change that an
/// older reader would misread; the loader refuses versions it does not know.
pub const SCHEMA_VERSION: u32 = 1;

/// All collected facts. One value per snapshot file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// Always [`SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// When collection finished, RFC 3339 (`2026-11-20T09:00:00Z`).
    pub collected_at: String,
    /// AWS Organizations facts; absent when the collector was not run with `--org`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,
    /// Per account: IAM and RDS facts.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Per database target (instance or cluster): PostgreSQL roles and database names.
    #[serde(default)]
    pub databases: Vec<Database>,
    /// AssumeRole activity into roles of interest (CloudTrail).
    #[serde(default)]
    pub activity: Vec<AssumeRoleEvent>,
    /// Which trail accounts and days `activity` covers. An account absent here was not read:
    /// rules that judge the absence of activity report *not evaluated* for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activity_scope: Vec<ActivityScope>,
    /// RDS's own reasons for refused IAM logins (`iam-db-auth-error` log) and the
    /// `IamDbAuthConnection*` metrics, per target whose export is on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_logs: Vec<AuthLog>,
    /// What the collector could not read. A rule whose facts fall in a gap is *not evaluated*.
    #[serde(default)]
    pub coverage: Vec<Gap>,
}

impl Inventory {
    /// An empty inventory of the current schema version.
    pub fn new(collected_at: impl Into<String>) -> Self {
        Inventory {
            schema_version: SCHEMA_VERSION,
            collected_at: collected_at.into(),
            organization: None,
            accounts: Vec::new(),
            databases: Vec::new(),
            activity: Vec::new(),
            activity_scope: Vec::new(),
            auth_logs: Vec::new(),
            coverage: Vec::new(),
        }
    }
}

/// One AWS account: its IAM and, per region, its RDS resources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// 12-digit account id.
    pub account_id: String,
    /// Account name (Organizations) or IAM alias, for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub iam: Iam,
    #[serde(default)]
    pub regions: Vec<Region>,
}
