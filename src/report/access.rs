//! Access matrix entries: for a principal, a database and a DB user, whether IAM lets the
//! principal connect, what the answer depends on, and through which roles.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessDecision {
    Allowed,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}
