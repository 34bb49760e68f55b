//! Coverage gaps: facts a collector tried and failed to read. They travel into the report so
//! that "no finding" is never confused with "not looked at".

use serde::{Deserialize, Serialize};

/// One thing the collector could not read, and the permission that would fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// Account the call was made in; absent for organization-wide or database sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The API or source, e.g. `rds:DescribeDBClusterEndpoints`, `postgres:pg_roles`,
    /// `cloudtrail:files`.
    pub source: String,
    /// The error code as returned (`AccessDenied`, `Throttling`, `28P01`...).
    pub error_code: String,
    pub message: String,
    /// The IAM action (or SQL privilege) whose grant would close the gap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_permission: Option<String>,
}
