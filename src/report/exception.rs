//! Accepted risks as the report carries them: an exception from the configuration (which
//! findings it covers, why, who owns it, until when) and what the audit did with it. The
//! matching itself is `rules::exceptions`; parsing is `config`.

use serde::{Deserialize, Serialize};

/// One `[[exceptions]]` entry of the configuration, validated. Every selector that is set
/// must match for the exception to cover a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    /// Stable id: a fingerprint of the selectors (not of the position in the file), so the
    /// `exception-*` findings about it keep their fingerprint when the file is reordered.
    pub id: String,
    /// Where it was written, `rdsiam.toml:12`, for messages.
    pub source: String,
    /// Rule id or glob (`arn-*`, `*`).
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// ARN glob of the finding's resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_user: Option<String>,
    /// ARN glob of the IAM principal (role, user or group) the finding is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    pub reason: String,
    pub owner: String,
    /// Last day the exception applies (`YYYY-MM-DD`, UTC, inclusive).
    pub expires: String,
}

impl Exception {
    /// The selectors as one short text: `rule=rds-iam-orphan account=222222222222`.
    pub fn selectors(&self) -> String {
        let mut parts = vec![format!("rule={}", self.rule)];
        for (key, value) in [
            ("account", &self.account),
            ("resource", &self.resource),
            ("db-user", &self.db_user),
            ("principal", &self.principal),
            ("fingerprint", &self.fingerprint),
        ] {
            if let Some(value) = value {
                parts.push(format!("{key}={value}"));
            }
        }
        parts.join(" ")
    }
}

/// What the audit did with one exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExceptionState {
    /// In force and covering at least one finding.
    Applied,
    /// In force, covering nothing (`exception-unused`).
    Unused,
    /// Past `expires` at the evaluation time: covers nothing (`exception-expired`).
    Expired,
}

impl ExceptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionState::Applied => "applied",
            ExceptionState::Unused => "unused",
            ExceptionState::Expired => "expired",
        }
    }
}

/// An exception with its outcome, as listed in the report's `shaped_by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionOutcome {
    pub exception: std::sync::Arc<Exception>,
    pub state: ExceptionState,
    /// Findings it covers.
    pub matched: usize,
}
