//! rdsiam: make IAM database authentication on Amazon RDS / Aurora PostgreSQL
//! understandable, auditable and fixable. Read-only, always.
//!
//! Module map (data flows one way):
//! - [`inventory`]: the facts model, snapshots and their validation.
//! - [`access`]: effective access (grants, guardrails, cross-account reach) over an inventory.
//! - [`generators`]: test and benchmark data generators (`generators` feature only).
//! - [`policy`]: the IAM policy language and evaluation engine (pure, no I/O).
//! - [`collect`]: live collection from AWS (STS, IAM, RDS, Organizations) into an inventory.
//! - [`rules`]: the rule catalogue (metadata, docs) and rule evaluation.
//! - [`report`]: findings, severities, the report and its summary.
//! - [`render`]: table, JSON v1 and SARIF output of a report.
//! - [`engine`]: the audit: one analysis, the rules, the report (`engine::audit`).
//! - [`doctor`]: the live diagnosis of one login (`rdsiam doctor`).
//! - [`pg`]: a minimal PostgreSQL client (params, wire protocol, TLS, sessions).
//! - [`token`]: RDS auth tokens: generate (AWS SDK) and inspect.
//! - [`aws_http`]: the HTTPS client (rustls on ring) every AWS SDK client uses.
//! - [`commands`]: one module per subcommand.
//! - [`cli`]: argument parsing, command dispatch and exit codes.
//! - [`json_blocks`]: the SIMD structural classifier both JSON scanners share.
//! - [`exit`], [`output`]: exit codes and how output reaches stdout or a file.

pub mod access;
pub mod aws_http;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod config;
pub mod dispose;
pub mod doctor;
pub mod engine;
pub mod exit;
pub mod fast_hash;
pub mod generators;
pub mod input;
pub mod inventory;
pub mod json_blocks;
pub mod json_input;
pub mod output;
pub mod pg;
pub mod phases;
pub mod policy;
pub mod redact;
pub mod render;
pub mod report;
pub mod rules;
pub mod token;
pub mod token_compat;
