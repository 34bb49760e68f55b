//! The IAM policy language and evaluation engine. A pure library: no I/O, no clock, no
//! network — every answer is a function of the documents and the request given.
//!
//! - [`parse_error`]: why a document did not parse (the JSON path), shared by every parser.
//! - [`statement`]: the statement model with compiled matchers, and its one assembly.
//! - [`document`]: parse JSON / URL-encoded JSON into that model.
//! - [`wildcard`]: `*` / `?` matching (plain, and ARN-segment-aware).
//! - [`variables`]: `${…}` policy variables.
//! - [`condition`]: every condition operator, `…IfExists`, `ForAllValues:`/`ForAnyValue:`.
//! - [`context`]: the request context (closed or open mode).
//! - [`principal`]: `Principal` elements and requesting principals.
//! - [`evaluate`]: the decision across SCP/RCP levels, identity, boundary and session.
//! - [`rds_db`]: the `rds-db` ARN grammar and lints.

pub mod condition;
pub mod context;
pub mod document;
pub mod evaluate;
mod fast_parse;
pub mod parse_error;
pub mod principal;
pub mod rds_db;
pub mod simulate;
pub mod statement;
pub mod truth;
pub mod variables;
pub mod wildcard;

pub use context::{ContextValue, RequestContext};
pub use evaluate::{Decision, Evaluation, Layer, PolicySet, Reason, ReasonKind, Request, evaluate};
pub use parse_error::ParseError;
pub use principal::{PrincipalMatch, RequestPrincipal};
pub use statement::{Effect, Policy, PolicyDocument, Statement};
pub use truth::Truth;
