//! The `rds-db:connect` resource patterns of the Allow statements meant to grant DB access,
//! read once per audit and shared by the policy-ARN rules (the rule context caches them).

use rayon::prelude::*;

use crate::access::{Analysis, PolicyId, PolicyOwner};
use crate::policy::rds_db::{ResourceLint, lint_resource, names_connect};
use crate::policy::{Effect, Statement};

/// One resource pattern of a statement that grants (or tries to grant) DB access.
pub struct ConnectPattern<'a> {
    pub policy: PolicyId,
    pub owner: &'a PolicyOwner,
    pub statement: &'a Statement,
    pub raw: &'a str,
    pub lint: ResourceLint,
}

/// A resource pattern that is about rds-db at all (not an unrelated ARN in a mixed statement).
fn is_connect_resource(raw: &str) -> bool {
    raw == "*"
        || raw.starts_with("arn:aws:rds-db:")
        || raw.contains(":rds-db:")
        || raw.contains(":dbuser")
}

/// Every rds-db resource pattern of every Allow statement meant to grant DB access, in
/// document order. Read in parallel: every identity document is scanned (150,000 in a
/// large organization) while the rules that need the patterns wait for them.
pub fn connect_patterns<'a>(analysis: &'a Analysis<'a>) -> Vec<ConnectPattern<'a>> {
    let index = &analysis.index;
    (0..index.policies.len())
        .into_par_iter()
        .flat_map_iter(|position| {
            let id = PolicyId(position as u32);
            let owner = index.owner(id);
            let identity = matches!(
                owner,
                PolicyOwner::Managed { .. } | PolicyOwner::Inline { .. }
            );
            let statements = if identity && index.facts(id).names_connect {
                index.get(id).document.statements.as_slice()
            } else {
                &[]
            };
            statements
                .iter()
                .filter(|s| s.effect == Effect::Allow && names_connect(s))
                .filter_map(|s| Some((s, s.resource.as_ref().filter(|b| !b.negated)?)))
                .flat_map(move |(statement, block)| {
                    block
                        .patterns
                        .iter()
                        .filter(|p| is_connect_resource(&p.raw))
                        .map(move |pattern| ConnectPattern {
                            policy: id,
                            owner,
                            statement,
                            raw: &pattern.raw,
                            lint: lint_resource(&pattern.raw),
                        })
                })
        })
        .collect()
}
