//! Rules: the catalogue of rule metadata (`rules/<id>.toml`, compiled in) and the evaluation
//! entry point the audit calls. Rule logic (one file per rule family) plugs into
//! [`evaluate`]; rules only read the inventory.

pub mod catalogue;

pub use catalogue::{Category, FixTemplate, RuleMeta, catalogue, lookup};

use crate::inventory::Inventory;
use crate::report::{AccessEntry, Finding, NotEvaluated};

/// What the rules concluded about an inventory.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub access: Vec<AccessEntry>,
    pub not_evaluated: Vec<NotEvaluated>,
}

/// Runs every rule over `inventory`. No rule logic is registered yet: the policy-dependent
/// rules land with the policy engine.
pub fn evaluate(inventory: &Inventory) -> Evaluation {
    let _ = inventory;
    Evaluation::default()
}
