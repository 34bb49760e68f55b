//! The access matrix as the report shows it: one entry per (principal, target, DB user,
//! path), each with IAM's side, the database side and the combined login verdict
//! ([`super::login`]). Direct grants come from the grants; entries through roles come from
//! every path into the DB-connect roles ([`super::paths`]) times those roles' grants.
//!
//! Built on every core; each entry owns only what the report shows (a direct entry holds
//! no path, a `works` entry no sentence).

use rayon::prelude::*;

use crate::policy::Decision;
use crate::report::{AccessDecision, AccessEntry, Hop, IamVerdict, PathShape, Reach};

use super::Analysis;
use super::login::{self, IamSide};
use super::matrix::Grant;
use super::paths::{self, Arrival, Caller};

impl Analysis<'_> {
    /// The access matrix: direct grants, and grants reached through every path into a
    /// DB-connect role, each with its login verdict (this module).
    pub fn access_entries(&self) -> Vec<AccessEntry> {
        access_entries(self)
    }
}

/// The report's form of a policy decision.
pub fn access_decision(decision: Decision) -> AccessDecision {
    match decision {
        Decision::Allowed => AccessDecision::Allowed,
        Decision::ImplicitlyDenied => AccessDecision::ImplicitlyDenied,
        Decision::ExplicitlyDenied => AccessDecision::ExplicitlyDenied,
        Decision::Depends => AccessDecision::Depends,
    }
}

/// Every entry of the matrix, sorted by database, DB user and principal.
pub fn access_entries(analysis: &Analysis<'_>) -> Vec<AccessEntry> {
    let organization_id = analysis.organization_id();
    let direct = analysis
        .grants
        .par_iter()
        .chain(analysis.unread_grants.par_iter())
        .map(|grant| direct_entry(analysis, grant, organization_id));
    let mut entries: Vec<AccessEntry> = direct.collect();
    let paths = &analysis.paths;
    // The grants of each DB-connect role, so paths do not scan every grant.
    let mut grants_of_role: crate::fast_hash::FastMap<usize, Vec<&Grant>> = Default::default();
    for grant in analysis.grants.iter().chain(&analysis.unread_grants) {
        grants_of_role
            .entry(grant.principal)
            .or_default()
            .push(grant);
    }
    let mut roles: Vec<(&usize, &Vec<&Grant>)> = grants_of_role.iter().collect();
    roles.sort_unstable_by_key(|(role, _)| **role);
    let through: Vec<AccessEntry> = roles
        .par_iter()
        .flat_map_iter(|(role, grants)| {
            let chains = paths.into_role(**role);
            let mut out = Vec::new();
            for chain in &chains {
                for grant in grants.iter() {
                    out.push(path_entry(analysis, chain, grant, organization_id));
                }
            }
            out
        })
        .collect();
    entries.extend(through);
    // Stable, like `sort_by`, so the order is the same (~100k entries per organization).
    entries.par_sort_by(|a, b| {
        (&a.db, &a.db_user, &a.principal).cmp(&(&b.db, &b.db_user, &b.principal))
    });
    entries
}

fn direct_entry(
    analysis: &Analysis<'_>,
    grant: &Grant,
    organization_id: Option<&str>,
) -> AccessEntry {
    let principal = &analysis.principals[grant.principal];
    let target = &analysis.targets[grant.target];
    let iam = login::grant_iam(grant);
    let facts = login::database_facts(target, &grant.db_user);
    let login = login::combine(
        &IamSide {
            steps: &[],
            connect: iam,
            connect_blocked_by: grant.blocked_by.as_ref().map(|b| b.describe()),
            connect_depends_on: &grant.depends_on,
            caller_unknown: false,
        },
        target,
        &grant.db_user,
        &facts,
    );
    let outside_organization =
        paths::outside_organization(principal, &analysis.chains, organization_id);
    AccessEntry {
        principal: principal.arn.to_owned(),
        db: target.arn.to_owned(),
        db_user: grant.db_user.clone(),
        decision: access_decision(grant.effective),
        depends_on: grant.depends_on.clone(),
        via: Vec::new(),
        iam,
        database: facts.side,
        login,
        reach: Reach {
            shape: if outside_organization == Some(true) {
                PathShape::External
            } else {
                PathShape::Direct
            },
            hops: 0,
            in_inventory: true,
            outside_organization,
            steps: Vec::new(),
        },
    }
}

/// An entry for the first caller of `chain` reaching `grant` (a grant of the chain's last
/// role).
fn path_entry(
    analysis: &Analysis<'_>,
    chain: &[&Arrival],
    grant: &Grant,
    organization_id: Option<&str>,
) -> AccessEntry {
    let target = &analysis.targets[grant.target];
    let first = chain[0];
    let steps: Vec<Hop> = chain.iter().map(|a| a.hop.clone()).collect();
    let connect = login::grant_iam(grant);
    let facts = login::database_facts(target, &grant.db_user);
    let (principal, in_inventory, outside_organization) = match &first.caller {
        Caller::Inventory(index) => {
            let principal = &analysis.principals[*index];
            (
                principal.arn.to_owned(),
                true,
                paths::outside_organization(principal, &analysis.chains, organization_id),
            )
        }
        Caller::External {
            arn,
            outside_organization,
        } => (arn.clone(), false, *outside_organization),
    };
    let login = login::combine(
        &IamSide {
            steps: &steps,
            connect,
            connect_blocked_by: grant.blocked_by.as_ref().map(|b| b.describe()),
            connect_depends_on: &grant.depends_on,
            caller_unknown: !in_inventory,
        },
        target,
        &grant.db_user,
        &facts,
    );
    // IAM's side of the whole path: the first refused call, else the connect, else
    // unknown (an external caller), else depends, else allowed.
    let refused = steps.iter().map(|s| s.iam).find(|&v| login::iam_blocks(v));
    let iam = match refused {
        Some(verdict) => verdict,
        None if login::iam_blocks(connect) => connect,
        None if !in_inventory => IamVerdict::Unknown,
        None if login.depends_on.is_empty() => IamVerdict::Allowed,
        None => IamVerdict::Depends,
    };
    let decision = match iam {
        IamVerdict::Allowed => AccessDecision::Allowed,
        IamVerdict::Depends | IamVerdict::Unknown => AccessDecision::Depends,
        IamVerdict::ExplicitlyDenied => AccessDecision::ExplicitlyDenied,
        // A guardrail's explicit Deny or missing Allow: the decision the evaluator gave.
        _ => match (
            grant.effective,
            steps.iter().any(|s| s.iam == IamVerdict::ExplicitlyDenied),
        ) {
            (Decision::ExplicitlyDenied, _) | (_, true) => AccessDecision::ExplicitlyDenied,
            _ => AccessDecision::ImplicitlyDenied,
        },
    };
    let hops = steps.len();
    let shape = if !in_inventory || outside_organization == Some(true) {
        PathShape::External
    } else if hops >= 2 {
        PathShape::Chained
    } else if analysis.principals[grant.principal].account
        == principal_account(analysis, &first.caller)
    {
        PathShape::SameAccount
    } else {
        PathShape::CrossAccount
    };
    let depends_on = login.depends_on.clone();
    AccessEntry {
        principal,
        db: target.arn.to_owned(),
        db_user: grant.db_user.clone(),
        decision,
        depends_on,
        via: steps.iter().map(|s| s.role.clone()).collect(),
        iam,
        database: facts.side,
        login,
        reach: Reach {
            shape,
            hops,
            in_inventory,
            outside_organization,
            steps,
        },
    }
}

fn principal_account<'a>(analysis: &'a Analysis<'_>, caller: &Caller) -> &'a str {
    match caller {
        Caller::Inventory(index) => analysis.principals[*index].account,
        Caller::External { .. } => "",
    }
}
