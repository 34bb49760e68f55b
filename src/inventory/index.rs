//! Lookup indexes built once per audit: RDS resources by `rds-db` resource id and by
//! identifier, and every policy document with where it comes from. Rules over 150,000
//! policies and 5,000 databases need O(1) joins, not tree walks.

use std::collections::HashMap;

use super::PolicyText;

use super::{DbCluster, DbInstance, DbProxy, Inventory, Located, OrgPolicyKind};

/// An RDS resource that `rds-db:connect` ARNs can name.
#[derive(Debug, Clone, Copy)]
pub enum DbResource<'a> {
    Instance(Located<'a, DbInstance>),
    Cluster(Located<'a, DbCluster>),
    Proxy(Located<'a, DbProxy>),
}

impl<'a> DbResource<'a> {
    pub fn account(&self) -> &'a str {
        match self {
            DbResource::Instance(l) => l.account,
            DbResource::Cluster(l) => l.account,
            DbResource::Proxy(l) => l.account,
        }
    }

    pub fn region(&self) -> &'a str {
        match self {
            DbResource::Instance(l) => l.region,
            DbResource::Cluster(l) => l.region,
            DbResource::Proxy(l) => l.region,
        }
    }

    /// `db-…`, `cluster-…` or `prx-…`.
    pub fn resource_id(&self) -> &'a str {
        match self {
            DbResource::Instance(l) => &l.item.resource_id,
            DbResource::Cluster(l) => &l.item.resource_id,
            DbResource::Proxy(l) => &l.item.resource_id,
        }
    }

    /// Instance or cluster identifier, or proxy name.
    pub fn identifier(&self) -> &'a str {
        match self {
            DbResource::Instance(l) => &l.item.identifier,
            DbResource::Cluster(l) => &l.item.identifier,
            DbResource::Proxy(l) => &l.item.name,
        }
    }

    /// The management ARN (`arn:aws:rds:…`).
    pub fn arn(&self) -> &'a str {
        match self {
            DbResource::Instance(l) => &l.item.arn,
            DbResource::Cluster(l) => &l.item.arn,
            DbResource::Proxy(l) => &l.item.arn,
        }
    }
}

/// RDS resources by resource id and by (account, region, identifier).
#[derive(Debug, Default)]
pub struct DbIndex<'a> {
    by_resource_id: HashMap<&'a str, DbResource<'a>>,
    /// Identifier → resources with it (any account/region; filtered on lookup).
    by_identifier: HashMap<&'a str, Vec<DbResource<'a>>>,
}

impl<'a> DbIndex<'a> {
    pub fn new(inventory: &'a Inventory) -> Self {
        let mut index = DbIndex::default();
        let all = inventory
            .db_instances()
            .map(DbResource::Instance)
            .chain(inventory.db_clusters().map(DbResource::Cluster))
            .chain(inventory.db_proxies().map(DbResource::Proxy));
        for resource in all {
            index
                .by_resource_id
                .insert(resource.resource_id(), resource);
            index
                .by_identifier
                .entry(resource.identifier())
                .or_default()
                .push(resource);
        }
        index
    }

    /// The resource with this `rds-db` resource id, anywhere in the inventory.
    pub fn by_resource_id(&self, resource_id: &str) -> Option<DbResource<'a>> {
        self.by_resource_id.get(resource_id).copied()
    }

    /// Resources with this identifier in `account`/`region` (an instance and a cluster may
    /// share one).
    pub fn by_identifier<'s>(
        &'s self,
        account: &'s str,
        region: &'s str,
        identifier: &str,
    ) -> impl Iterator<Item = DbResource<'a>> + use<'s, 'a> {
        self.by_identifier
            .get(identifier)
            .into_iter()
            .flatten()
            .copied()
            .filter(move |r| r.account() == account && r.region() == region)
    }

    /// The Aurora cluster an instance belongs to, if any.
    pub fn cluster_of(&self, instance: &Located<'a, DbInstance>) -> Option<Located<'a, DbCluster>> {
        let cluster = instance.item.cluster_identifier.as_deref()?;
        self.by_identifier(instance.account, instance.region, cluster)
            .find_map(|r| match r {
                DbResource::Cluster(c) => Some(c),
                _ => None,
            })
    }
}

/// What kind of policy a document is, which decides how it is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Customer or AWS managed policy (identity policy, or a boundary when used as one).
    Managed,
    /// Inline policy of a user, group or role.
    Inline,
    /// Role trust policy.
    Trust,
    Scp,
    Rcp,
}

/// One policy document of the inventory and where it lives.
#[derive(Debug, Clone, Copy)]
pub struct PolicyDocumentRef<'a> {
    pub kind: PolicyKind,
    /// Account that holds it; `None` for SCPs and RCPs (organization level).
    pub account: Option<&'a str>,
    /// Policy ARN (managed, SCP, RCP) or owner ARN (inline policy, trust policy).
    pub arn: &'a str,
    /// Inline policy name; `None` otherwise.
    pub name: Option<&'a str>,
    pub document: &'a PolicyText,
}

impl Inventory {
    /// Every policy document: managed, inline (users, groups, roles), trust, SCP, RCP.
    /// Each managed policy appears once per account that holds it.
    pub fn policy_documents(&self) -> Vec<PolicyDocumentRef<'_>> {
        let mut out = Vec::new();
        for account in &self.accounts {
            let acc = Some(account.account_id.as_str());
            let iam = &account.iam;
            out.extend(iam.managed_policies.iter().map(|p| PolicyDocumentRef {
                kind: PolicyKind::Managed,
                account: acc,
                arn: &p.arn,
                name: None,
                document: &p.document,
            }));
            let inline = iam
                .users
                .iter()
                .map(|u| (&u.arn, &u.inline_policies))
                .chain(iam.groups.iter().map(|g| (&g.arn, &g.inline_policies)))
                .chain(iam.roles.iter().map(|r| (&r.arn, &r.inline_policies)));
            for (owner, policies) in inline {
                out.extend(policies.iter().map(|p| PolicyDocumentRef {
                    kind: PolicyKind::Inline,
                    account: acc,
                    arn: owner,
                    name: Some(&p.name),
                    document: &p.document,
                }));
            }
            out.extend(iam.roles.iter().map(|r| PolicyDocumentRef {
                kind: PolicyKind::Trust,
                account: acc,
                arn: &r.arn,
                name: None,
                document: &r.trust_policy,
            }));
        }
        if let Some(org) = &self.organization {
            out.extend(org.policies.iter().map(|p| PolicyDocumentRef {
                kind: match p.kind {
                    OrgPolicyKind::ServiceControlPolicy => PolicyKind::Scp,
                    OrgPolicyKind::ResourceControlPolicy => PolicyKind::Rcp,
                },
                account: None,
                arn: &p.arn,
                name: None,
                document: &p.document,
            }));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::inventory::snapshot;

    fn demo() -> Inventory {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        snapshot::load(&dir).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn resolves_resource_ids_identifiers_and_clusters() {
        let inv = demo();
        let index = DbIndex::new(&inv);
        let member = index.by_resource_id("db-H3KQ7ZP2M4XN6RTW8YB5LCVJ2E");
        let Some(DbResource::Instance(member)) = member else {
            panic!("orders-aurora-1 not found: {member:?}");
        };
        assert_eq!(member.item.identifier, "orders-aurora-1");
        let cluster = index
            .cluster_of(&member)
            .map(|c| c.item.resource_id.as_str());
        assert_eq!(cluster, Some("cluster-7QZ4XKMB2N5RTYWPLE3HJ6DVCA"));
        let proxy = index
            .by_resource_id("prx-0a1b2c3d4e5f6a7b8")
            .map(|p| p.identifier());
        assert_eq!(proxy, Some("orders-proxy"));
        let by_name = index.by_identifier("222222222222", "us-east-1", "billing-pg");
        let ids: Vec<&str> = by_name.map(|r| r.resource_id()).collect();
        assert_eq!(ids, ["db-B7LM2QXK9TRP4ZWN6HJC3VYE5D"]);
        assert!(
            index
                .by_resource_id("db-K7DELETEDINSTANCE000000001")
                .is_none()
        );
    }

    #[test]
    fn lists_every_policy_document_with_its_kind() {
        let inv = demo();
        let docs = inv.policy_documents();
        let count = |kind| docs.iter().filter(|d| d.kind == kind).count();
        assert_eq!(count(PolicyKind::Scp), 3);
        assert_eq!(count(PolicyKind::Rcp), 2);
        assert_eq!(count(PolicyKind::Trust), inv.roles().count());
        let unparseable = docs
            .iter()
            .find(|d| d.name == Some("export-db"))
            .map(|d| (d.kind, d.arn));
        assert_eq!(
            unparseable,
            Some((
                PolicyKind::Inline,
                "arn:aws:iam::333333333333:role/data-export-role"
            ))
        );
    }
}
