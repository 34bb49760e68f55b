//! Every path that reaches a DB-connect role: principals of the inventory whose own policies
//! let them assume it (same account or cross-account), callers outside the inventory that
//! its trust policy names (another organization's role, an account root, `*`), and chains
//! of roles (A assumes B, B assumes the DB-connect role), up to [`MAX_HOPS`] calls.
//!
//! Each `sts:AssumeRole` is judged as AWS does for the call: the role's trust statement
//! (its conditions read with what is known of the caller), the caller's own identity
//! policies under its boundary and SCP chain, and the role account's RCP chain. A caller
//! outside the inventory has unknown own policies.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::fast_hash::{FastMap, FastSet};
use crate::inventory::Inventory;
use crate::report::{Hop, IamVerdict};

use super::login::{iam_blocks, iam_verdict};
use super::policies::PolicyIndex;
use super::principals::{OrgChain, Principal, PrincipalKind};
use super::reach::{self, AssumePath, TrustEntry, TrustedParty};

/// At most this many `sts:AssumeRole` calls on a path (role chaining has no AWS limit;
/// the bound keeps cycles and fan-out finite).
pub const MAX_HOPS: usize = 4;

/// Who makes an `sts:AssumeRole` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A principal of the inventory (index into `Analysis::principals`).
    Inventory(usize),
    /// Named by a trust policy, not in the inventory: a role or user ARN, an account root
    /// (`arn:aws:iam::ACCOUNT:root`: any principal of it) or `*`.
    External {
        arn: String,
        outside_organization: Option<bool>,
    },
}

/// One `sts:AssumeRole` into `role`, judged.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub caller: Caller,
    /// Index of the assumed role in `Analysis::principals`.
    pub role: usize,
    pub hop: Hop,
}

/// The arrivals into every role on some path to a DB-connect role.
#[derive(Debug, Default)]
pub struct Paths {
    pub arrivals: Vec<Arrival>,
    by_role: FastMap<usize, Vec<usize>>,
}

impl Paths {
    /// Every path into `role`, each as arrivals first call to last (the last one assumes
    /// `role`), shortest first.
    pub fn into_role(&self, role: usize) -> Vec<Vec<&Arrival>> {
        let mut out = Vec::new();
        let mut suffix: Vec<usize> = Vec::new();
        let mut visited = vec![role];
        self.walk(role, &mut visited, &mut suffix, &mut out);
        out.sort_by_key(Vec::len);
        out.into_iter()
            .map(|chain| chain.into_iter().map(|i| &self.arrivals[i]).collect())
            .collect()
    }

    fn walk(
        &self,
        role: usize,
        visited: &mut Vec<usize>,
        suffix: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        for &position in self.by_role.get(&role).into_iter().flatten() {
            let arrival = &self.arrivals[position];
            if let Caller::Inventory(caller) = arrival.caller
                && visited.contains(&caller)
            {
                continue; // a cycle
            }
            suffix.push(position);
            out.push(suffix.iter().rev().copied().collect());
            // Go further back only through a role whose call is not refused.
            if let Caller::Inventory(caller) = arrival.caller
                && suffix.len() < MAX_HOPS
                && !iam_blocks(arrival.hop.iam)
            {
                visited.push(caller);
                self.walk(caller, visited, suffix, out);
                visited.pop();
            }
            suffix.pop();
        }
    }
}

/// What the paths are computed from: the parts of the analysis built before them (the
/// analysis holds the paths, so they take its parts rather than the analysis itself).
pub struct PathInputs<'a, 'i> {
    pub inventory: &'i Inventory,
    pub principals: &'a [Principal<'i>],
    /// Roles (indices into `principals`) whose identity policies grant `rds-db:connect`.
    pub connect_roles: &'a [usize],
    pub trust: &'a [TrustEntry],
    pub assume_paths: &'a [AssumePath],
    pub index: &'a PolicyIndex,
    pub chains: &'a HashMap<String, OrgChain>,
}

/// The paths into the DB-connect roles (their trust entries and assume paths), then into
/// the roles that can assume them, level by level.
pub fn paths(inputs: &PathInputs<'_, '_>) -> Paths {
    let inventory_accounts: FastSet<&str> = inputs
        .inventory
        .accounts
        .iter()
        .map(|a| a.account_id.as_str())
        .collect();
    let organization_id = inputs
        .inventory
        .organization
        .as_ref()
        .map(|o| o.id.as_str());
    let mut out = Paths::default();
    let principals = inputs.principals;
    let mut covered: FastSet<usize> = inputs.connect_roles.iter().copied().collect();
    let mut level = add_level(
        &mut out,
        principals,
        inputs.trust,
        inputs.assume_paths,
        &inventory_accounts,
    );
    for _ in 1..MAX_HOPS {
        // Roles of the inventory that can (or may) assume a role of the previous level.
        let mut next: Vec<usize> = level
            .into_iter()
            .filter(|&caller| principals[caller].kind == PrincipalKind::Role)
            .filter(|caller| covered.insert(*caller))
            .collect();
        if next.is_empty() {
            break;
        }
        next.sort_unstable();
        let (trust, assume_paths) = reach::reach(
            &next,
            principals,
            inputs.index,
            inputs.chains,
            organization_id,
        );
        level = add_level(
            &mut out,
            principals,
            &trust,
            &assume_paths,
            &inventory_accounts,
        );
    }
    out
}

/// Adds one level's arrivals; returns the inventory callers whose call is not refused.
fn add_level(
    out: &mut Paths,
    principals: &[Principal<'_>],
    trust: &[TrustEntry],
    assume_paths: &[AssumePath],
    inventory_accounts: &FastSet<&str>,
) -> Vec<usize> {
    let mut callers = Vec::new();
    let mut arrivals: Vec<Arrival> = assume_paths
        .par_iter()
        .map(|path| inventory_arrival(path, principals))
        .collect();
    for arrival in &arrivals {
        if let Caller::Inventory(caller) = arrival.caller
            && !iam_blocks(arrival.hop.iam)
        {
            callers.push(caller);
        }
    }
    arrivals.extend(
        trust
            .iter()
            .filter_map(|entry| external_arrival(entry, principals, inventory_accounts)),
    );
    for arrival in arrivals {
        out.by_role
            .entry(arrival.role)
            .or_default()
            .push(out.arrivals.len());
        out.arrivals.push(arrival);
    }
    callers.sort_unstable();
    callers.dedup();
    callers
}

fn inventory_arrival(path: &AssumePath, principals: &[Principal<'_>]) -> Arrival {
    let mut iam = iam_verdict(path.effective, path.blocked_by.as_ref());
    let mut blocked_by = path.blocked_by.as_ref().map(|b| b.describe());
    if let Some(rcp) = &path.rcp_block
        && !iam_blocks(iam)
    {
        iam = IamVerdict::BlockedByRcp;
        blocked_by = Some(rcp.describe());
    }
    if path.trust_conditions.refused && !iam_blocks(iam) {
        iam = IamVerdict::ImplicitlyDenied;
        blocked_by = Some(format!(
            "the conditions of {} of the trust policy are false for this caller",
            path.trust_statement
        ));
    }
    let mut depends_on = path.depends_on.clone();
    crate::policy::truth::merge(
        &mut depends_on,
        path.trust_conditions.depends_on.iter().cloned(),
    );
    if iam == IamVerdict::Allowed && !depends_on.is_empty() {
        iam = IamVerdict::Depends;
    }
    Arrival {
        caller: Caller::Inventory(path.source),
        role: path.role,
        hop: Hop {
            caller: principals[path.source].arn.to_owned(),
            role: principals[path.role].arn.to_owned(),
            trust_statement: Some(path.trust_statement.clone()),
            iam,
            depends_on,
            blocked_by,
        },
    }
}

/// A caller the trust policy names that the inventory does not hold. A principal ARN of an
/// account the inventory does hold but lacks does not exist (IAM would have replaced it in
/// the trust policy by the deleted principal's unique id): no path.
fn external_arrival(
    entry: &TrustEntry,
    principals: &[Principal<'_>],
    inventory_accounts: &FastSet<&str>,
) -> Option<Arrival> {
    let arn = match &entry.party {
        TrustedParty::Everyone => "*".to_owned(),
        TrustedParty::Account(account) if !inventory_accounts.contains(account.as_str()) => {
            entry.party.describe()
        }
        TrustedParty::Principal { arn, account }
            if !inventory_accounts.contains(account.as_str()) =>
        {
            arn.clone()
        }
        _ => return None,
    };
    let (iam, blocked_by) = if let Some(rcp) = &entry.rcp_block {
        (IamVerdict::BlockedByRcp, Some(rcp.describe()))
    } else if entry.conditions.refused {
        (
            IamVerdict::ImplicitlyDenied,
            Some(format!(
                "the conditions of {} of the trust policy are false for this caller",
                entry.statement
            )),
        )
    } else {
        (IamVerdict::Unknown, None)
    };
    Some(Arrival {
        caller: Caller::External {
            arn: arn.clone(),
            outside_organization: entry.outside_organization,
        },
        role: entry.role,
        hop: Hop {
            caller: arn,
            role: principals[entry.role].arn.to_owned(),
            trust_statement: Some(entry.statement.clone()),
            iam,
            depends_on: entry.conditions.depends_on.clone(),
            blocked_by,
        },
    })
}

/// Whether an inventory principal's account is outside the Organization (`None`: the
/// inventory has no Organization).
pub fn outside_organization(
    principal: &Principal<'_>,
    chains: &HashMap<String, OrgChain>,
    organization_id: Option<&str>,
) -> Option<bool> {
    organization_id.map(|_| {
        !chains
            .get(principal.account)
            .is_some_and(|c| c.in_organization)
    })
}
