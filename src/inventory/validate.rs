//! Structural validation of a loaded [`Inventory`]: duplicate ids and references that point
//! nowhere. These are snapshot defects (a broken collector or a hand edit), reported before
//! any rule runs, each with the JSON path of the offending item.

use std::fmt;

use rayon::prelude::*;

use crate::fast_hash::{FastMap, FastSet};

use super::{DbTargetKind, Inventory, ProxyTargetKind, Region};

/// One defect, located by JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationIssue {
    pub json_path: String,
    pub message: String,
}

impl fmt::Display for ValidationIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.json_path, self.message)
    }
}

#[derive(Default)]
struct Issues(Vec<ValidationIssue>);

impl Issues {
    fn push(&mut self, json_path: String, message: String) {
        self.0.push(ValidationIssue { json_path, message });
    }

    /// Records a duplicate when `key` was already seen, naming both items by their JSON
    /// paths. `seen` maps each key to the index of its first item; `path` makes an item's
    /// path from its index, only for a duplicate (validation runs over every item of an
    /// organization, and formatting every path up front cost a twentieth of an audit).
    fn unique<'a>(
        &mut self,
        seen: &mut FastMap<&'a str, usize>,
        key: &'a str,
        what: &str,
        index: usize,
        path: impl Fn(usize) -> String,
    ) {
        if let Some(&first) = seen.get(key) {
            self.push(
                path(index),
                format!("duplicate {what} {key:?} (first at {})", path(first)),
            );
        } else {
            seen.insert(key, index);
        }
    }
}

/// All defects found; empty when the inventory is consistent.
pub fn validate(inv: &Inventory) -> Vec<ValidationIssue> {
    let mut issues = Issues::default();
    organization(inv, &mut issues);
    accounts(inv, &mut issues);
    databases(inv, &mut issues);
    activity_scope(inv, &mut issues);
    issues.0
}

fn organization(inv: &Inventory, issues: &mut Issues) {
    let Some(org) = &inv.organization else { return };
    let mut ids = FastMap::default();
    // Roots, OUs and accounts share one id space: number them in that order.
    let (roots, units) = (org.roots.len(), org.organizational_units.len());
    let id_path = |i: usize| match i {
        i if i < roots => format!("organization.roots[{i}]"),
        i if i < roots + units => format!("organization.organizational_units[{}]", i - roots),
        i => format!("organization.accounts[{}]", i - roots - units),
    };
    let all_ids = org
        .roots
        .iter()
        .map(|r| &r.id)
        .chain(org.organizational_units.iter().map(|o| &o.id))
        .chain(org.accounts.iter().map(|a| &a.id));
    for (i, id) in all_ids.enumerate() {
        issues.unique(&mut ids, id, "organization id", i, id_path);
    }
    let containers: FastSet<&str> = org
        .roots
        .iter()
        .map(|r| r.id.as_str())
        .chain(org.organizational_units.iter().map(|o| o.id.as_str()))
        .collect();
    for (i, ou) in org.organizational_units.iter().enumerate() {
        if !containers.contains(ou.parent_id.as_str()) {
            let msg = format!("parent_id {:?} is neither a root nor an OU", ou.parent_id);
            issues.push(
                format!("organization.organizational_units[{i}].parent_id"),
                msg,
            );
        }
    }
    for (i, acc) in org.accounts.iter().enumerate() {
        if !containers.contains(acc.parent_id.as_str()) {
            let msg = format!("parent_id {:?} is neither a root nor an OU", acc.parent_id);
            issues.push(format!("organization.accounts[{i}].parent_id"), msg);
        } else if org.ancestry(&acc.id).is_none() {
            let msg = "OU parent chain does not reach a root (cycle?)".to_owned();
            issues.push(format!("organization.accounts[{i}].parent_id"), msg);
        }
    }
    if !org.contains_account(&org.management_account_id) {
        let msg = format!(
            "management account {:?} is not among organization.accounts",
            org.management_account_id
        );
        issues.push("organization.management_account_id".to_owned(), msg);
    }
    let mut policy_ids = FastMap::default();
    let policy_path = |i: usize| format!("organization.policies[{i}]");
    for (i, policy) in org.policies.iter().enumerate() {
        issues.unique(&mut policy_ids, &policy.id, "policy id", i, policy_path);
        for (t, target) in policy.targets.iter().enumerate() {
            if !ids.contains_key(target.as_str()) {
                let msg =
                    format!("target {target:?} is not a root, OU or account of the organization");
                issues.push(format!("{}.targets[{t}]", policy_path(i)), msg);
            }
        }
    }
}

fn accounts(inv: &Inventory, issues: &mut Issues) {
    // Each account's own checks are independent of the others': run them on every core,
    // then report in account order.
    let per_account: Vec<Issues> = inv
        .accounts
        .par_iter()
        .enumerate()
        .map(|(a, account)| {
            let mut issues = Issues::default();
            let path = format!("accounts[{a}]");
            iam(account, &path, &mut issues);
            let mut regions = FastMap::default();
            let region_path = |r: usize| format!("{path}.regions[{r}]");
            for (r, region) in account.regions.iter().enumerate() {
                issues.unique(&mut regions, &region.region, "region", r, region_path);
                rds(region, &region_path(r), &mut issues);
            }
            issues
        })
        .collect();
    let mut account_ids = FastMap::default();
    for (a, (account, account_issues)) in inv.accounts.iter().zip(per_account).enumerate() {
        issues.unique(&mut account_ids, &account.account_id, "account", a, |a| {
            format!("accounts[{a}]")
        });
        issues.0.extend(account_issues.0);
    }
}

fn iam(account: &super::Account, path: &str, issues: &mut Issues) {
    let iam = &account.iam;
    let mut policies = FastMap::default();
    for (i, p) in iam.managed_policies.iter().enumerate() {
        issues.unique(&mut policies, &p.arn, "managed policy", i, |i| {
            format!("{path}.iam.managed_policies[{i}]")
        });
    }
    let check_policy = |arn: &str, at: &dyn Fn() -> String, issues: &mut Issues| {
        if !policies.contains_key(arn) {
            issues.push(
                at(),
                format!("managed policy {arn:?} is not in this account's managed_policies"),
            );
        }
    };
    let mut roles = FastMap::default();
    let role_path = |i: usize| format!("{path}.iam.roles[{i}]");
    for (i, role) in iam.roles.iter().enumerate() {
        issues.unique(&mut roles, &role.arn, "role", i, role_path);
        for (j, arn) in role.attached_policies.iter().enumerate() {
            let at = || format!("{}.attached_policies[{j}]", role_path(i));
            check_policy(arn, &at, issues);
        }
        if let Some(b) = &role.permissions_boundary {
            let at = || format!("{}.permissions_boundary", role_path(i));
            check_policy(b, &at, issues);
        }
    }
    let mut groups = FastMap::default();
    let group_path = |i: usize| format!("{path}.iam.groups[{i}]");
    for (i, group) in iam.groups.iter().enumerate() {
        issues.unique(&mut groups, &group.name, "group", i, group_path);
        for (j, arn) in group.attached_policies.iter().enumerate() {
            let at = || format!("{}.attached_policies[{j}]", group_path(i));
            check_policy(arn, &at, issues);
        }
    }
    let mut users = FastMap::default();
    let user_path = |i: usize| format!("{path}.iam.users[{i}]");
    for (i, user) in iam.users.iter().enumerate() {
        issues.unique(&mut users, &user.arn, "user", i, user_path);
        for (j, arn) in user.attached_policies.iter().enumerate() {
            let at = || format!("{}.attached_policies[{j}]", user_path(i));
            check_policy(arn, &at, issues);
        }
        if let Some(b) = &user.permissions_boundary {
            let at = || format!("{}.permissions_boundary", user_path(i));
            check_policy(b, &at, issues);
        }
        for (j, g) in user.groups.iter().enumerate() {
            if !groups.contains_key(g.as_str()) {
                issues.push(
                    format!("{}.groups[{j}]", user_path(i)),
                    format!("group {g:?} does not exist in this account"),
                );
            }
        }
    }
}

fn rds(region: &Region, path: &str, issues: &mut Issues) {
    let mut instances = FastMap::default();
    let mut resource_ids = FastMap::default();
    // Instances, clusters and proxies share the resource-id space: number them in that order.
    let (instance_count, cluster_count) = (region.db_instances.len(), region.db_clusters.len());
    let instance_path = |i: usize| format!("{path}.db_instances[{i}]");
    let cluster_path = |i: usize| format!("{path}.db_clusters[{i}]");
    let proxy_path = |i: usize| format!("{path}.db_proxies[{i}]");
    let resource_path = |i: usize| match i {
        i if i < instance_count => instance_path(i),
        i if i < instance_count + cluster_count => cluster_path(i - instance_count),
        i => proxy_path(i - instance_count - cluster_count),
    };
    for (i, inst) in region.db_instances.iter().enumerate() {
        issues.unique(
            &mut instances,
            &inst.identifier,
            "DB instance",
            i,
            instance_path,
        );
        issues.unique(
            &mut resource_ids,
            &inst.resource_id,
            "resource id",
            i,
            resource_path,
        );
    }
    let mut clusters = FastMap::default();
    for (i, cluster) in region.db_clusters.iter().enumerate() {
        issues.unique(
            &mut clusters,
            &cluster.identifier,
            "DB cluster",
            i,
            cluster_path,
        );
        issues.unique(
            &mut resource_ids,
            &cluster.resource_id,
            "resource id",
            instance_count + i,
            resource_path,
        );
        for (m, member) in cluster.members.iter().enumerate() {
            if !instances.contains_key(member.instance_identifier.as_str()) {
                let msg = format!(
                    "member {:?} is not a DB instance of this region",
                    member.instance_identifier
                );
                issues.push(format!("{}.members[{m}]", cluster_path(i)), msg);
            }
        }
    }
    for (i, inst) in region.db_instances.iter().enumerate() {
        if let Some(c) = &inst.cluster_identifier
            && !clusters.contains_key(c.as_str())
        {
            let msg = format!("cluster_identifier {c:?} is not a DB cluster of this region");
            issues.push(format!("{}.cluster_identifier", instance_path(i)), msg);
        }
    }
    let mut proxies = FastMap::default();
    for (i, proxy) in region.db_proxies.iter().enumerate() {
        issues.unique(&mut proxies, &proxy.name, "DB proxy", i, proxy_path);
        issues.unique(
            &mut resource_ids,
            &proxy.resource_id,
            "resource id",
            instance_count + cluster_count + i,
            resource_path,
        );
        for (t, target) in proxy.targets.iter().enumerate() {
            let known = match target.kind {
                ProxyTargetKind::Instance => instances.contains_key(target.identifier.as_str()),
                ProxyTargetKind::Cluster => clusters.contains_key(target.identifier.as_str()),
            };
            if !known {
                let msg = format!(
                    "target {:?} does not exist in this region",
                    target.identifier
                );
                issues.push(format!("{}.targets[{t}]", proxy_path(i)), msg);
            }
        }
    }
    let mut groups = FastMap::default();
    for (i, group) in region.parameter_groups.iter().enumerate() {
        issues.unique(&mut groups, &group.name, "parameter group", i, |i| {
            format!("{path}.parameter_groups[{i}]")
        });
    }
}

fn databases(inv: &Inventory, issues: &mut Issues) {
    let db_path = |i: usize| format!("databases[{i}]");
    // Each database's own checks run on every core (finding its instance or cluster scans
    // the inventory); duplicates across databases are then found in order.
    let per_database: Vec<Issues> = inv
        .databases
        .par_iter()
        .enumerate()
        .map(|(i, db)| {
            let mut issues = Issues::default();
            let (instance, cluster) = inv.target_resource(&db.target);
            let exists = match db.target.kind {
                DbTargetKind::Instance => instance.is_some(),
                DbTargetKind::Cluster => cluster.is_some(),
            };
            if !exists {
                let msg = format!(
                    "target {} is not a DB instance/cluster of the inventory",
                    db.target
                );
                issues.push(format!("{}.target", db_path(i)), msg);
            }
            let mut roles = FastMap::default();
            for (r, role) in db.roles.iter().enumerate() {
                issues.unique(&mut roles, &role.name, "PostgreSQL role", r, |r| {
                    format!("{}.roles[{r}]", db_path(i))
                });
            }
            issues
        })
        .collect();
    let keys: Vec<String> = inv.databases.iter().map(|d| d.target.to_string()).collect();
    let mut seen = FastMap::default();
    for (i, database_issues) in per_database.into_iter().enumerate() {
        issues.unique(&mut seen, &keys[i], "database target", i, db_path);
        issues.0.extend(database_issues.0);
    }
}

/// Each scope names a 12-digit account and a readable, ordered span of days: a rule that
/// trusted a garbled span would call a role unused.
fn activity_scope(inv: &Inventory, issues: &mut Issues) {
    for (i, scope) in inv.activity_scope.iter().enumerate() {
        let path = format!("activity_scope[{i}]");
        if !(scope.account.len() == 12 && scope.account.bytes().all(|b| b.is_ascii_digit())) {
            issues.push(
                format!("{path}.account"),
                format!("{:?} is not a 12-digit account id", scope.account),
            );
        }
        match (scope.since_day(), scope.until_day()) {
            (Some(since), Some(until)) if since > until => issues.push(
                format!("{path}.since"),
                format!("since {since} is after until {until}"),
            ),
            (None, _) => issues.push(
                format!("{path}.since"),
                format!("{:?} is not a date (YYYY-MM-DD)", scope.since),
            ),
            (_, None) => issues.push(
                format!("{path}.until"),
                format!("{:?} is not a date (YYYY-MM-DD)", scope.until),
            ),
            _ => {}
        }
    }
}
