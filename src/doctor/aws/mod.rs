//! The AWS-side doctor steps, through the SDK with the collector's guarded, read-only clients
//! (every call is on the allow-list in [`crate::collect::aws::operations`]):
//!
//! - `identity`: who signs the token (STS GetCallerIdentity, with the same credential chain
//!   as the token generator) and how far the local clock is from AWS's (the `Date` header);
//! - `target`: which instance, Aurora cluster endpoint or RDS Proxy the endpoint name belongs
//!   to (RDS Describe*, matched by [`crate::inventory::endpoint_target`]);
//! - `rds-settings`: IAM authentication enabled or only pending, engine, `rds.force_ssl`, the
//!   CA and its expiry, the `iam-db-auth-error` log export;
//! - `iam-decision`: `rds-db:connect` on the exact dbuser ARN with the policy engine over the
//!   principal's identity policies, boundary and SCP chain, in [`decision`]; IAM's own
//!   simulator as a second opinion when permitted;
//! - `rds-log`: after a refused login, RDS's own reason from the `iam-db-auth-error` log, in
//!   [`rds_log`].

pub mod decision;
pub mod identity;
pub mod rds_log;
pub mod session;
pub mod steps;

pub use identity::{Identity, identity_step};
pub use session::{AwsSession, describe_gaps};
