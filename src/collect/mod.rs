//! Collectors: read facts from live sources into an [`crate::inventory::Inventory`], never
//! change anything. What they cannot read becomes a coverage gap, never an abort.
//!
//! - [`aws`]: STS, IAM, RDS and Organizations through the AWS SDK.
//! - [`postgres`]: roles and databases from inside PostgreSQL (read-only transaction).
//! - [`activity`]: AssumeRole activity from CloudTrail files, Athena and LookupEvents.

pub mod activity;
pub mod aws;
pub mod databases;
pub mod postgres;
