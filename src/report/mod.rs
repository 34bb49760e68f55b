//! What an audit concludes: findings (each with a resource, evidence and a fix), their
//! severities, and the report that bundles them with scope, coverage gaps and the access
//! matrix. Renderers read these types; rules produce [`Finding`]s through [`FindingBuilder`].

mod access;
mod diff;
mod exception;
mod finding;
mod severity;
mod summary;

pub use access::{
    AccessDecision, AccessEntry, BlockReason, DbSide, Hop, IamVerdict, Login, LoginVerdict,
    MissingFact, PathShape, Reach,
};
pub use diff::{Baseline, BaselineFinding, BaselineRef, apply as apply_baseline};
pub use exception::{Exception, ExceptionOutcome, ExceptionState};
pub use finding::{
    DiffStatus, Evidence, Finding, FindingBuilder, FindingError, Fix, Resource, ResourceKind,
    fingerprint, statement_identity,
};
pub use severity::Severity;
pub use summary::{
    ConfigRef, NotEvaluated, Report, RuleOverride, Scope, ShapedBy, Summary, TimeSource,
};
