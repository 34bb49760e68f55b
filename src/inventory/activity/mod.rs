//! The activity model: AssumeRole calls into roles, the only usage signal for IAM database
//! access (neither token generation nor `rds-db:connect` appears in CloudTrail). Owns the
//! shapes only: the sources that fill them are in `crate::collect::activity`, the per-role
//! summary in `crate::access::activity_summary`, the rules that judge them in
//! `crate::rules::activity`.
//!
//! - [`AssumeRoleEvent`]: the one event shape for every source.
//! - [`ActivityScope`]: which trail accounts and days a collection covered.
//! - [`Day`]: the calendar date of scopes and windows.

mod day;
mod event;
pub mod scope;

pub use day::Day;
pub use event::{AssumeRoleEvent, PrincipalType};
pub use scope::ActivityScope;
