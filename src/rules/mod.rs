//! Rules: the catalogue of rule metadata (`rules/<id>.toml`, compiled in) and the evaluation
//! entry point the audit calls. Rule logic (one file per rule family) plugs into
//! [`evaluate`]; rules only read the inventory.

pub mod catalogue;

pub use catalogue::{Category, FixTemplate, RuleMeta, catalogue, lookup};

use crate::inventory::Inventory;
use crate::report::{AccessEntry, Finding};

/// What the rules concluded about an inventory.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub access: Vec<AccessEntry>,
}

/// What a rule's check sees: the inventory and the report time (the only clock rules use).
#[derive(Debug, Clone, Copy)]
pub struct RuleContext<'a> {
    pub inventory: &'a Inventory,
    /// RFC 3339.
    pub evaluated_at: &'a str,
}

/// One rule's logic, registered explicitly in [`REGISTRY`].
#[derive(Debug, Clone, Copy)]
pub struct RuleLogic {
    pub id: &'static str,
    pub check: fn(&RuleContext<'_>) -> Vec<Finding>,
}

/// TEMP shim: the rule logic lands from main; until then nothing is registered.
pub const REGISTRY: &[RuleLogic] = &[];

/// TEMP shim: runs nothing; `evaluated_at` is the report time (RFC 3339).
pub fn evaluate(inventory: &Inventory, evaluated_at: &str) -> Evaluation {
    let _ = (inventory, evaluated_at);
    Evaluation::default()
}
