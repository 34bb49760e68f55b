//! AssumeRole activity: the only usage signal for IAM database access, since neither token
//! generation nor `rds-db:connect` appears in CloudTrail. This module owns the event model;
//! sources (local CloudTrail files, Athena, LookupEvents) fill it, rules read it.

mod event;

pub use event::{AssumeRoleEvent, PrincipalType};
