//! Effective access, computed once per inventory and read by the rules: every policy
//! parsed, every principal with its policies, every account's Organizations chain, every
//! connect target, the grants (principal × target × DB user) with identity-only and
//! effective decisions, and cross-account reach into the roles that can connect.
//!
//! Pure: a function of the inventory only (no network, no clock).

pub mod activity_summary;
pub mod entries;
pub mod login;
pub mod matrix;
pub mod paths;
pub mod policies;
pub mod principals;
pub mod reach;
pub mod targets;

use std::collections::{HashMap, HashSet};

use crate::fast_hash::FastMap;
use crate::inventory::Inventory;

pub use matrix::{Blocker, Grant};
pub use policies::{PolicyId, PolicyIndex, PolicyOwner, UnparseablePolicy};
pub use principals::{OrgChain, Principal, PrincipalKind};
pub use reach::{AssumePath, TrustEntry, TrustedParty};
pub use targets::{Target, TargetKind};

/// Everything the rules need to know about who can connect where.
pub struct Analysis<'i> {
    pub inventory: &'i Inventory,
    pub index: PolicyIndex,
    pub principals: Vec<Principal<'i>>,
    pub chains: HashMap<String, OrgChain>,
    pub targets: Vec<Target<'i>>,
    pub grants: Vec<Grant>,
    /// Grants of any DB user (`*`) on targets whose roles were not read: the matrix shows
    /// them as `unknown`; the rules, which judge named users, do not see them.
    pub unread_grants: Vec<Grant>,
    /// Roles (indices into `principals`) whose identity policies grant `rds-db:connect`.
    pub connect_roles: Vec<usize>,
    pub trust: Vec<TrustEntry>,
    pub assume_paths: Vec<AssumePath>,
    /// Managed policies used only as permissions boundaries (never as identity policies):
    /// broad by design, since a boundary only caps what identity policies grant.
    pub boundary_only: HashSet<PolicyId>,
    /// Every path into the DB-connect roles (chains included), for the access matrix:
    /// computed with the analysis, as the policy index is gone when the matrix is built.
    pub paths: paths::Paths,
    lookup: Lookup<'i>,
}

/// Indices so rules never scan the whole inventory per item.
#[derive(Default)]
struct Lookup<'i> {
    grants_by_target: Vec<Vec<usize>>,
    /// Trust entries (positions in `trust`) by role, in `trust` order.
    trust_by_role: FastMap<usize, Vec<usize>>,
    /// Intended grants reaching a database's role: (database address, role) → grants.
    reaching: FastMap<(usize, &'i str), Vec<usize>>,
    /// A database's own target (not proxies), by the database's address.
    database_target: FastMap<usize, usize>,
    /// Targets by resource id and by identifier.
    target_by_key: FastMap<&'i str, usize>,
    /// Every DB instance (members included) by resource id and by identifier.
    instance_by_key: FastMap<&'i str, (&'i str, &'i str, &'i crate::inventory::DbInstance)>,
}

fn address<T>(item: &T) -> usize {
    item as *const T as usize
}

impl<'i> Analysis<'i> {
    pub fn build(inventory: &'i Inventory) -> Analysis<'i> {
        let index = PolicyIndex::build(inventory);
        let principals = principals::principals(inventory, &index);
        let chains = principals::org_chains(inventory, &index);
        let targets = targets::targets(inventory);
        let organization_id = inventory.organization.as_ref().map(|o| o.id.as_str());
        let (grants, unread_grants): (Vec<Grant>, Vec<Grant>) =
            matrix::grants(&principals, &targets, &index, &chains, organization_id)
                .into_iter()
                .partition(|g| !matrix::is_unread_wildcard(g, &targets));
        let mut connect_roles: Vec<usize> = grants
            .iter()
            .filter(|g| g.intended() && principals[g.principal].kind == PrincipalKind::Role)
            .map(|g| g.principal)
            .collect();
        connect_roles.sort_unstable();
        connect_roles.dedup();
        let (trust, assume_paths) = reach::reach(
            &connect_roles,
            &principals,
            &index,
            &chains,
            organization_id,
        );
        let identity_ids: crate::fast_hash::FastSet<PolicyId> = principals
            .iter()
            .flat_map(|p| p.identity.iter().copied())
            .collect();
        let boundary_only = principals
            .iter()
            .filter_map(|p| p.boundary)
            .filter(|id| !identity_ids.contains(id))
            .collect();
        let analysis = Analysis {
            inventory,
            index,
            principals,
            chains,
            targets,
            grants,
            unread_grants,
            connect_roles,
            trust,
            assume_paths,
            boundary_only,
            paths: paths::Paths::default(),
            lookup: Lookup::default(),
        }
        .indexed()
        .with_paths();
        // Marked here, not by a caller: an audit must build one analysis, and the phase
        // list (`RDSIAM_PHASE_TIMES=1`) shows every one built (tests/activity_audit.rs).
        crate::phases::mark("analysis");
        analysis
    }

    fn with_paths(mut self) -> Self {
        self.paths = paths::paths(&paths::PathInputs {
            inventory: self.inventory,
            principals: &self.principals,
            connect_roles: &self.connect_roles,
            trust: &self.trust,
            assume_paths: &self.assume_paths,
            index: &self.index,
            chains: &self.chains,
        });
        self
    }

    fn indexed(mut self) -> Self {
        let mut lookup = Lookup {
            grants_by_target: vec![Vec::new(); self.targets.len()],
            ..Lookup::default()
        };
        for (position, target) in self.targets.iter().enumerate() {
            lookup
                .target_by_key
                .entry(target.resource_id)
                .or_insert(position);
            lookup
                .target_by_key
                .entry(target.identifier)
                .or_insert(position);
            if let Some(database) = target.database
                && target.proxy.is_none()
            {
                // The first target, as a scan would find it.
                lookup
                    .database_target
                    .entry(address(database))
                    .or_insert(position);
            }
        }
        for located in self.inventory.db_instances() {
            let entry = (located.account, located.region, located.item);
            lookup
                .instance_by_key
                .entry(located.item.resource_id.as_str())
                .or_insert(entry);
            lookup
                .instance_by_key
                .entry(located.item.identifier.as_str())
                .or_insert(entry);
        }
        for (position, grant) in self.grants.iter().enumerate() {
            lookup.grants_by_target[grant.target].push(position);
        }
        for (position, entry) in self.trust.iter().enumerate() {
            lookup
                .trust_by_role
                .entry(entry.role)
                .or_default()
                .push(position);
        }
        self.lookup = lookup;
        let mut reaching: FastMap<(usize, &'i str), Vec<usize>> = FastMap::default();
        for (position, grant) in self.grants.iter().enumerate() {
            if let Some(database) = self.targets[grant.target].database
                && grant.intended()
            {
                // The user name lives in the database's role list (or in the grant only).
                let name = database
                    .roles
                    .iter()
                    .find(|r| r.name == grant.db_user)
                    .map(|r| r.name.as_str());
                if let Some(name) = name {
                    reaching
                        .entry((address(database), name))
                        .or_default()
                        .push(position);
                }
            }
        }
        self.lookup.reaching = reaching;
        self
    }

    /// Intended grants that reach `role` of `database` (through it or a proxy before it).
    pub fn grants_reaching(
        &self,
        database: &crate::inventory::Database,
        role: &'i str,
    ) -> impl Iterator<Item = &Grant> {
        let positions: &[usize] = self
            .lookup
            .reaching
            .get(&(address(database), role))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        positions.iter().map(|&position| &self.grants[position])
    }

    /// The target whose roles `database` describes (not a proxy in front of it).
    pub fn database_target(&self, database: &crate::inventory::Database) -> Option<&Target<'i>> {
        self.lookup
            .database_target
            .get(&address(database))
            .map(|&i| &self.targets[i])
    }

    /// A target by resource id or identifier.
    pub fn target_by_key(&self, key: &str) -> Option<&Target<'i>> {
        self.lookup
            .target_by_key
            .get(key)
            .map(|&i| &self.targets[i])
    }

    /// Any DB instance (cluster members included) by resource id or identifier, with its
    /// account and region.
    pub fn instance_by_key(
        &self,
        key: &str,
    ) -> Option<(&'i str, &'i str, &'i crate::inventory::DbInstance)> {
        self.lookup.instance_by_key.get(key).copied()
    }

    /// The Organization's id, when the inventory has one.
    pub fn organization_id(&self) -> Option<&str> {
        self.inventory.organization.as_ref().map(|o| o.id.as_str())
    }

    /// The trust entries of one role (an index into `principals`), in `trust` order.
    pub fn trust_of(&self, role: usize) -> impl Iterator<Item = &TrustEntry> {
        self.lookup
            .trust_by_role
            .get(&role)
            .into_iter()
            .flatten()
            .map(|&position| &self.trust[position])
    }

    /// Grants on one target.
    pub fn grants_on(&self, target: usize) -> impl Iterator<Item = &Grant> {
        self.lookup
            .grants_by_target
            .get(target)
            .into_iter()
            .flatten()
            .map(|&position| &self.grants[position])
    }
}
