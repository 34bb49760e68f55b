//! rdsiam: make IAM database authentication on Amazon RDS / Aurora PostgreSQL
//! understandable, auditable and fixable. Read-only, always.
//!
//! Module map (data flows one way):
//! - [`activity`]: AssumeRole events, the usage signal for DB-connect roles.
//! - [`activity_cmd`]: the `activity` command.
//! - [`cli`]: argument parsing, command dispatch and exit codes.
//! - [`exit`], [`output`]: exit codes and how output reaches stdout or a file.

pub mod activity;
pub mod activity_cmd;
pub mod cli;
pub mod exit;
pub mod output;
