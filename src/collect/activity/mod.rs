//! AssumeRole activity sources: local CloudTrail files, Athena over a CloudTrail table, and
//! CloudTrail LookupEvents. Each fills the inventory's activity model
//! (`crate::inventory::activity`) for the roles of interest the caller passes in; none of
//! them analyses access (the caller computes the roles, see
//! `crate::access::activity_summary::roles_of_interest`).
//!
//! - [`cloudtrail_files`]: the local-files source (scan driver, filters, parallelism), with
//!   its parts [`cloudtrail_layout`], [`file_reader`], [`record_splitter`],
//!   [`cloudtrail_record`] and [`scan_report`].
//! - [`athena`]: the Athena source's SQL and row mapping; [`sources`]: the Athena and
//!   LookupEvents sources run, filtered and scoped like the local one.
//! - [`ingest`]: activity into an inventory (`rdsiam collect` / `audit` with a source).

pub mod athena;
pub mod cloudtrail_files;
pub mod cloudtrail_layout;
pub mod cloudtrail_record;
pub mod file_reader;
pub mod ingest;
pub mod record_splitter;
pub mod scan_report;
pub mod sources;
