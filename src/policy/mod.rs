//! The IAM policy language and evaluation engine. A pure library: no I/O, no clock, no
//! network — every answer is a function of the documents and the request given.
//!
//! - [`document`]: parse JSON / URL-encoded JSON into statements with compiled matchers.
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
pub mod principal;
pub mod rds_db;
pub mod simulate;
pub mod truth;
pub mod variables;
pub mod wildcard;

pub use context::{ContextValue, RequestContext};
pub use document::{Effect, ParseError, Policy, PolicyDocument, Statement};
pub use evaluate::{Decision, Evaluation, Layer, PolicySet, Reason, ReasonKind, Request, evaluate};
pub use principal::{PrincipalMatch, RequestPrincipal};
pub use truth::Truth;
