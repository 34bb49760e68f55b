//! Structural validation of a loaded [`Inventory`]: duplicate ids and references that point
//! nowhere. These are snapshot defects (a broken collector or a hand edit), reported before
//! any rule runs, each with the JSON path of the offending item.

use std::collections::{HashMap, HashSet};
use std::fmt;

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

    /// Records a duplicate when `key` was already seen (first occurrence path in the message).
    fn unique<'a>(
        &mut self,
        seen: &mut HashMap<&'a str, String>,
        key: &'a str,
        what: &str,
        json_path: String,
    ) {
        if let Some(first) = seen.get(key) {
            self.push(
                json_path,
                format!("duplicate {what} {key:?} (first at {first})"),
            );
        } else {
            seen.insert(key, json_path);
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
    let mut ids = HashMap::new();
    for (i, root) in org.roots.iter().enumerate() {
        issues.unique(
            &mut ids,
            &root.id,
            "organization id",
            format!("organization.roots[{i}]"),
        );
    }
    for (i, ou) in org.organizational_units.iter().enumerate() {
        let path = format!("organization.organizational_units[{i}]");
        issues.unique(&mut ids, &ou.id, "organization id", path);
    }
    for (i, acc) in org.accounts.iter().enumerate() {
        issues.unique(
            &mut ids,
            &acc.id,
            "organization id",
            format!("organization.accounts[{i}]"),
        );
    }
    let containers: HashSet<&str> = org
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
    let mut policy_ids = HashMap::new();
    for (i, policy) in org.policies.iter().enumerate() {
        let path = format!("organization.policies[{i}]");
        issues.unique(&mut policy_ids, &policy.id, "policy id", path.clone());
        for (t, target) in policy.targets.iter().enumerate() {
            if !ids.contains_key(target.as_str()) {
                let msg =
                    format!("target {target:?} is not a root, OU or account of the organization");
                issues.push(format!("{path}.targets[{t}]"), msg);
            }
        }
    }
}

fn accounts(inv: &Inventory, issues: &mut Issues) {
    let mut account_ids = HashMap::new();
    for (a, account) in inv.accounts.iter().enumerate() {
        let path = format!("accounts[{a}]");
        issues.unique(
            &mut account_ids,
            &account.account_id,
            "account",
            path.clone(),
        );
        iam(account, &path, issues);
        let mut regions = HashMap::new();
        for (r, region) in account.regions.iter().enumerate() {
            let rpath = format!("{path}.regions[{r}]");
            issues.unique(&mut regions, &region.region, "region", rpath.clone());
            rds(region, &rpath, issues);
        }
    }
}

fn iam(account: &super::Account, path: &str, issues: &mut Issues) {
    let iam = &account.iam;
    let mut policies = HashMap::new();
    for (i, p) in iam.managed_policies.iter().enumerate() {
        let ppath = format!("{path}.iam.managed_policies[{i}]");
        issues.unique(&mut policies, &p.arn, "managed policy", ppath);
    }
    let check_policy = |arn: &str, at: String, issues: &mut Issues| {
        if !policies.contains_key(arn) {
            issues.push(
                at,
                format!("managed policy {arn:?} is not in this account's managed_policies"),
            );
        }
    };
    let mut roles = HashMap::new();
    for (i, role) in iam.roles.iter().enumerate() {
        let rpath = format!("{path}.iam.roles[{i}]");
        issues.unique(&mut roles, &role.arn, "role", rpath.clone());
        for (j, arn) in role.attached_policies.iter().enumerate() {
            check_policy(arn, format!("{rpath}.attached_policies[{j}]"), issues);
        }
        if let Some(b) = &role.permissions_boundary {
            check_policy(b, format!("{rpath}.permissions_boundary"), issues);
        }
    }
    let mut groups = HashMap::new();
    for (i, group) in iam.groups.iter().enumerate() {
        let gpath = format!("{path}.iam.groups[{i}]");
        issues.unique(&mut groups, &group.name, "group", gpath.clone());
        for (j, arn) in group.attached_policies.iter().enumerate() {
            check_policy(arn, format!("{gpath}.attached_policies[{j}]"), issues);
        }
    }
    let mut users = HashMap::new();
    for (i, user) in iam.users.iter().enumerate() {
        let upath = format!("{path}.iam.users[{i}]");
        issues.unique(&mut users, &user.arn, "user", upath.clone());
        for (j, arn) in user.attached_policies.iter().enumerate() {
            check_policy(arn, format!("{upath}.attached_policies[{j}]"), issues);
        }
        if let Some(b) = &user.permissions_boundary {
            check_policy(b, format!("{upath}.permissions_boundary"), issues);
        }
        for (j, g) in user.groups.iter().enumerate() {
            if !groups.contains_key(g.as_str()) {
                issues.push(
                    format!("{upath}.groups[{j}]"),
                    format!("group {g:?} does not exist in this account"),
                );
            }
        }
    }
}

fn rds(region: &Region, path: &str, issues: &mut Issues) {
    let mut instances = HashMap::new();
    let mut resource_ids = HashMap::new();
    for (i, inst) in region.db_instances.iter().enumerate() {
        let ipath = format!("{path}.db_instances[{i}]");
        issues.unique(
            &mut instances,
            &inst.identifier,
            "DB instance",
            ipath.clone(),
        );
        issues.unique(&mut resource_ids, &inst.resource_id, "resource id", ipath);
    }
    let mut clusters = HashMap::new();
    for (i, cluster) in region.db_clusters.iter().enumerate() {
        let cpath = format!("{path}.db_clusters[{i}]");
        issues.unique(
            &mut clusters,
            &cluster.identifier,
            "DB cluster",
            cpath.clone(),
        );
        issues.unique(
            &mut resource_ids,
            &cluster.resource_id,
            "resource id",
            cpath.clone(),
        );
        for (m, member) in cluster.members.iter().enumerate() {
            if !instances.contains_key(member.instance_identifier.as_str()) {
                let msg = format!(
                    "member {:?} is not a DB instance of this region",
                    member.instance_identifier
                );
                issues.push(format!("{cpath}.members[{m}]"), msg);
            }
        }
    }
    for (i, inst) in region.db_instances.iter().enumerate() {
        if let Some(c) = &inst.cluster_identifier
            && !clusters.contains_key(c.as_str())
        {
            let msg = format!("cluster_identifier {c:?} is not a DB cluster of this region");
            issues.push(format!("{path}.db_instances[{i}].cluster_identifier"), msg);
        }
    }
    let mut proxies = HashMap::new();
    for (i, proxy) in region.db_proxies.iter().enumerate() {
        let ppath = format!("{path}.db_proxies[{i}]");
        issues.unique(&mut proxies, &proxy.name, "DB proxy", ppath.clone());
        issues.unique(
            &mut resource_ids,
            &proxy.resource_id,
            "resource id",
            ppath.clone(),
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
                issues.push(format!("{ppath}.targets[{t}]"), msg);
            }
        }
    }
    let mut groups = HashMap::new();
    for (i, group) in region.parameter_groups.iter().enumerate() {
        issues.unique(
            &mut groups,
            &group.name,
            "parameter group",
            format!("{path}.parameter_groups[{i}]"),
        );
    }
}

fn databases(inv: &Inventory, issues: &mut Issues) {
    let mut seen = HashMap::new();
    let keys: Vec<String> = inv.databases.iter().map(|d| d.target.to_string()).collect();
    for (i, db) in inv.databases.iter().enumerate() {
        let path = format!("databases[{i}]");
        issues.unique(&mut seen, &keys[i], "database target", path.clone());
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
            issues.push(format!("{path}.target"), msg);
        }
        let mut roles = HashMap::new();
        for (r, role) in db.roles.iter().enumerate() {
            issues.unique(
                &mut roles,
                &role.name,
                "PostgreSQL role",
                format!("{path}.roles[{r}]"),
            );
        }
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
