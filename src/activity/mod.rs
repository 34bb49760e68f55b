//! AssumeRole activity: the only usage signal for IAM database access, since neither token
//! generation nor `rds-db:connect` appears in CloudTrail. This module owns the event model;
//! sources (local CloudTrail files, Athena, LookupEvents) fill it, rules read it.
//!
//! - [`AssumeRoleEvent`]: the one event shape for every source.
//! - [`cloudtrail_files`]: the local-files source (scan driver, filters, parallelism).
//! - [`cloudtrail_layout`], [`file_reader`], [`record_splitter`], [`cloudtrail_record`],
//!   [`scan_report`]: its parts.
//! - [`cloudtrail_gen`]: deterministic realistic CloudTrail files, for tests and benchmarks.
//! - [`summary`]: per-role counts over a set of events.
//! - [`scope`]: which trail accounts and days a collection covered.
//! - [`ingest`]: activity into an inventory (`rdsiam collect` / `audit` with a source).
//! - [`athena`]: the Athena source's SQL and row mapping; [`sources`]: the Athena and
//!   LookupEvents sources run, filtered and scoped like the local one.

pub mod athena;
pub mod cloudtrail_files;
pub mod cloudtrail_gen;
pub mod cloudtrail_layout;
pub mod cloudtrail_record;
mod event;
pub mod file_reader;
pub mod ingest;
pub mod record_splitter;
pub mod scan_report;
pub mod scope;
pub mod sources;
pub mod summary;

pub use event::{AssumeRoleEvent, PrincipalType};
pub use scope::ActivityScope;
