//! Shared support for integration tests: `mod support;` in a `tests/*.rs` file.
//!
//! - [`cli`]: the `rdsiam` binary in an isolated environment (every test that runs it).
//! - [`pg_harness`]: a throwaway PostgreSQL that authenticates IAM tokens like RDS.
//! - [`rds_token`]: real RDS IAM auth tokens from botocore's signer.
//! - [`moto`]: a moto server (AWS API emulator) per test, seeded with boto3 scenarios.
//! - [`fault_proxy`]: an HTTP proxy in front of moto that injects AWS errors.
//! - [`aws_cli`]: the real AWS CLI against moto, to run rendered fix commands.
//! - [`fake_pg`]: a scriptable hostile PostgreSQL server (silence, trickles, floods).
//!
//! See `tests/support/README.md` for how the harness works and its traps.

// Each integration test binary compiles this module and uses only part of it; without this
// every unused helper would be a dead-code error under `clippy -D warnings`.
#![allow(dead_code)]

pub mod aws_cli;
pub mod cli;
pub mod demo;
pub mod doctor_env;
pub mod fake_pg;
pub mod fault_proxy;
pub mod moto;
pub mod pg_harness;
pub mod rds_token;
