//! RDS's own verdict on IAM logins: the `iam-db-auth-error` log and the `IamDbAuthConnection*`
//! CloudWatch metrics of one instance or cluster, as collected (issue #16).
//!
//! Since 2025 RDS and Aurora write *why* they refused an IAM token to the `iam-db-auth-error`
//! log (exported to CloudWatch Logs as `/aws/rds/instance/<id>/iam-db-auth-error` or
//! `/aws/rds/cluster/<id>/iam-db-auth-error`) and publish seven `IamDbAuthConnection*` metrics
//! in `AWS/RDS`. AWS documents both on "Troubleshooting for IAM DB authentication":
//! <https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Troubleshooting.html>
//! and <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.IAMDBAuth.Troubleshooting.html>.
//!
//! This module owns the shapes (one [`AuthLog`] per target read) and the line parser
//! ([`parse`]). The collector fills them (`crate::collect::aws::auth_log`); rules only read.

pub mod parse;

use serde::{Deserialize, Serialize};

pub use parse::{ParsedLine, parse_line};

use super::DbTargetKind;

/// The log type RDS exports IAM authentication errors under.
pub const LOG_TYPE: &str = "iam-db-auth-error";

/// The documented limit of new IAM-authenticated connections per second per DB instance
/// (`ThrottlingException` beyond it).
pub const IAM_CONNECTIONS_PER_SECOND_LIMIT: f64 = 200.0;

/// The CloudWatch Logs group RDS exports the `iam-db-auth-error` log of a target to.
pub fn log_group_name(kind: DbTargetKind, identifier: &str) -> String {
    let kind = match kind {
        DbTargetKind::Instance => "instance",
        DbTargetKind::Cluster => "cluster",
    };
    format!("/aws/rds/{kind}/{identifier}/{LOG_TYPE}")
}

/// What was read for one instance or cluster over one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthLog {
    pub account: String,
    pub region: String,
    pub kind: DbTargetKind,
    /// DB instance or cluster identifier.
    pub identifier: String,
    /// `/aws/rds/{instance|cluster}/<id>/iam-db-auth-error`.
    pub log_group: String,
    /// The window read, RFC 3339.
    pub since: String,
    pub until: String,
    /// Parsed refusals, oldest first.
    #[serde(default)]
    pub events: Vec<AuthErrorEvent>,
    /// Lines that did not have the documented structure: how many, and the first few raw.
    #[serde(default)]
    pub unknown_lines: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_samples: Vec<String>,
    /// True when the collector stopped at its event or page cap before the end of the window:
    /// counts are then lower bounds.
    #[serde(default)]
    pub truncated: bool,
    /// The `IamDbAuthConnection*` metrics over the same window; absent when not read (a
    /// coverage gap says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<AuthMetrics>,
}

/// One refusal as RDS logged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthErrorEvent {
    /// CloudWatch's event time, RFC 3339 with milliseconds.
    pub time: String,
    /// The DB user the client connected as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_user: Option<String>,
    /// `InvalidToken`, `ExpiredToken`, `NotAuthorized`, `ThrottlingException`,
    /// `InternalError`, or whatever other code RDS wrote.
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// The IAM principal that signed the token (only `NotAuthorized` lines name it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_arn: Option<String>,
    /// The line as RDS wrote it.
    pub raw: String,
}

impl AuthErrorEvent {
    pub fn kind(&self) -> AuthErrorKind {
        AuthErrorKind::of(&self.code)
    }
}

/// The documented error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthErrorKind {
    InvalidToken,
    ExpiredToken,
    NotAuthorized,
    Throttling,
    InternalError,
    /// A code AWS has not documented (kept as written in the event).
    Other,
}

impl AuthErrorKind {
    pub fn of(code: &str) -> Self {
        match code {
            "InvalidToken" => AuthErrorKind::InvalidToken,
            "ExpiredToken" => AuthErrorKind::ExpiredToken,
            "NotAuthorized" => AuthErrorKind::NotAuthorized,
            "ThrottlingException" | "Throttling" => AuthErrorKind::Throttling,
            "InternalError" | "InternalFailure" => AuthErrorKind::InternalError,
            _ => AuthErrorKind::Other,
        }
    }
}

/// Sums of the seven `IamDbAuthConnection*` metrics over the window, and the peak rate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthMetrics {
    pub requests: f64,
    pub success: f64,
    pub failure: f64,
    pub failure_invalid_token: f64,
    pub failure_insufficient_permissions: f64,
    pub failure_throttling: f64,
    pub failure_server_error: f64,
    /// The busiest period's `IamDbAuthConnectionRequests` divided by the period length:
    /// new IAM connections per second, averaged over `period_seconds`.
    pub peak_requests_per_second: f64,
    /// The metric period used (60 s for windows CloudWatch keeps at one-minute resolution).
    pub period_seconds: u32,
}

/// The seven metric names, in the order of [`AuthMetrics`]'s sums.
pub const METRIC_NAMES: [&str; 7] = [
    "IamDbAuthConnectionRequests",
    "IamDbAuthConnectionSuccess",
    "IamDbAuthConnectionFailure",
    "IamDbAuthConnectionFailureInvalidToken",
    "IamDbAuthConnectionFailureInsufficientPermissions",
    "IamDbAuthConnectionFailureThrottling",
    "IamDbAuthConnectionFailureServerError",
];

impl AuthMetrics {
    /// The sum slot of metric `index` in [`METRIC_NAMES`].
    pub fn sum_mut(&mut self, index: usize) -> Option<&mut f64> {
        Some(match index {
            0 => &mut self.requests,
            1 => &mut self.success,
            2 => &mut self.failure,
            3 => &mut self.failure_invalid_token,
            4 => &mut self.failure_insufficient_permissions,
            5 => &mut self.failure_throttling,
            6 => &mut self.failure_server_error,
            _ => return None,
        })
    }
}
