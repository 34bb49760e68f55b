//! The fast path of snapshot parsing: the document is read once as its top-level sections,
//! with each account and each database kept as a borrowed slice of raw JSON, and those
//! slices are then deserialized in parallel (they are independent, and an organization's
//! accounts are nearly all of its bytes).
//!
//! The result is the same [`Inventory`] the one-pass parse builds: the same field types
//! deserialize the same text. Anything this path does not accept (malformed JSON, an
//! unknown field, another schema version) returns `None`, and the caller's strict parse
//! runs and explains the problem with its JSON path.

use rayon::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::{ActivityScope, AssumeRoleEvent, Gap, Inventory, Organization, SCHEMA_VERSION};

/// [`Inventory`] with its two bulky lists left as raw JSON. Field for field the same as
/// `Inventory` (names, defaults, `deny_unknown_fields`), so a document one accepts the
/// other accepts; [`parse`] builds the `Inventory` by name, so a field added there and not
/// here fails to compile.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sections<'a> {
    schema_version: u32,
    collected_at: String,
    #[serde(default)]
    organization: Option<Organization>,
    #[serde(default, borrow)]
    accounts: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    databases: Vec<&'a RawValue>,
    #[serde(default)]
    activity: Vec<AssumeRoleEvent>,
    #[serde(default)]
    activity_scope: Vec<ActivityScope>,
    #[serde(default)]
    coverage: Vec<Gap>,
}

/// Parses `bytes` into an inventory of the current schema version, or `None` when the
/// document needs the strict parser (for an error message, or because it is not one).
pub fn parse(bytes: &[u8]) -> Option<Inventory> {
    let sections: Sections<'_> = serde_json::from_slice(bytes).ok()?;
    if sections.schema_version != SCHEMA_VERSION {
        return None;
    }
    // Accounts and databases are independent: deserialize them on every core.
    let (accounts, databases) =
        rayon::join(|| all(&sections.accounts), || all(&sections.databases));
    Some(Inventory {
        schema_version: sections.schema_version,
        collected_at: sections.collected_at,
        organization: sections.organization,
        accounts: accounts?,
        databases: databases?,
        activity: sections.activity,
        activity_scope: sections.activity_scope,
        coverage: sections.coverage,
    })
}

/// Deserializes every raw item in parallel, in order; `None` if any fails.
fn all<T: DeserializeOwned + Send>(raw: &[&RawValue]) -> Option<Vec<T>> {
    raw.par_iter()
        .map(|item| serde_json::from_str(item.get()).ok())
        .collect()
}
