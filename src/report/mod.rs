//! What an audit concludes: findings (each with a resource, evidence and a fix), their
//! severities, and the report that bundles them with scope, coverage gaps and the access
//! matrix. Renderers read these types; rules produce [`Finding`]s through [`FindingBuilder`].

mod access;
mod finding;
mod severity;
mod summary;

pub use access::{
    AccessDecision, AccessEntry, BlockReason, DbSide, Hop, IamVerdict, Login, LoginVerdict,
    MissingFact, PathShape, Reach,
};
pub use finding::{
    Evidence, Finding, FindingBuilder, FindingError, Fix, Resource, ResourceKind, fingerprint,
};
pub use severity::Severity;
pub use summary::{NotEvaluated, Report, Scope, Summary};
