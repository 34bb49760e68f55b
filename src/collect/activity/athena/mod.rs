//! Athena as an activity source: AssumeRole events from a CloudTrail table, pushed down as
//! SQL so only the matching rows leave Athena.
//!
//! - [`sql`]: the query (identifiers validated, literals escaped, partition pruning).
//! - [`rows`]: result pages into the same [`crate::inventory::AssumeRoleEvent`]s the local
//!   scan produces (through the local scan's own record parser).
//!
//! The API calls (StartQueryExecution, GetQueryExecution, GetQueryResults) are in
//! `crate::collect::aws::athena`, with the other guarded AWS calls.

pub mod rows;
pub mod sql;
