//! The things a token can be signed for: standalone DB instances (`db-…`), Aurora clusters
//! (`cluster-…`; their member instances are not targets — IAM checks the cluster's id) and
//! RDS Proxies (`prx-…`), each with the PostgreSQL roles read from it when known.

use crate::fast_hash::FastMap;

use crate::inventory::{
    Database, DbCluster, DbInstance, DbProxy, DbTarget, DbTargetKind, Inventory, ProxyTargetKind,
};
use crate::policy::rds_db::DbUserArn;
use crate::report::ResourceKind;

/// What kind of target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Instance,
    Cluster,
    Proxy,
}

impl TargetKind {
    pub fn resource_kind(self) -> ResourceKind {
        match self {
            TargetKind::Instance => ResourceKind::DbInstance,
            TargetKind::Cluster => ResourceKind::DbCluster,
            TargetKind::Proxy => ResourceKind::DbProxy,
        }
    }
}

/// One connect target.
#[derive(Debug, Clone)]
pub struct Target<'i> {
    pub kind: TargetKind,
    pub account: &'i str,
    pub region: &'i str,
    pub identifier: &'i str,
    pub resource_id: &'i str,
    pub arn: &'i str,
    pub instance: Option<&'i DbInstance>,
    pub cluster: Option<&'i DbCluster>,
    pub proxy: Option<&'i DbProxy>,
    /// The PostgreSQL roles behind the target, when introspected.
    pub database: Option<&'i Database>,
}

impl Target<'_> {
    /// The partition from the target's ARN (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(&self) -> &str {
        self.arn
            .split(':')
            .nth(1)
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
    }

    /// The exact ARN a token for `db_user` on this target is checked against.
    pub fn connect_arn(&self, db_user: &str) -> String {
        DbUserArn::format(
            self.partition(),
            self.region,
            self.account,
            self.resource_id,
            db_user,
        )
    }

    /// IAM database authentication is on (for proxies: IAM auth not disabled).
    pub fn iam_enabled(&self) -> bool {
        match (self.instance, self.cluster) {
            (Some(instance), _) => instance.iam_auth_enabled,
            (_, Some(cluster)) => cluster.iam_auth_enabled,
            _ => true,
        }
    }
}

/// Every target of the inventory.
pub fn targets(inventory: &Inventory) -> Vec<Target<'_>> {
    let mut out = Vec::new();
    // The databases by target, first one first (as a scan would find them): looking each
    // target up by scanning was quadratic (5,000 targets × 5,000 databases in a large
    // organization took 0.07 s on one core).
    let mut by_target: FastMap<(&str, &str, DbTargetKind, &str), &Database> =
        FastMap::with_capacity_and_hasher(inventory.databases.len(), Default::default());
    for database in &inventory.databases {
        let DbTarget {
            account,
            region,
            kind,
            identifier,
        } = &database.target;
        by_target
            .entry((account, region, *kind, identifier))
            .or_insert(database);
    }
    // A database read with no roles at all is not a fact about the database (PostgreSQL
    // always has at least the role that logged in): treat it as not read.
    let database = |account: &str, region: &str, kind: DbTargetKind, identifier: &str| {
        by_target
            .get(&(account, region, kind, identifier))
            .copied()
            .filter(|database| !database.roles.is_empty())
    };
    for located in inventory.db_instances() {
        let instance = located.item;
        if instance.cluster_identifier.is_some() {
            continue;
        }
        out.push(Target {
            kind: TargetKind::Instance,
            account: located.account,
            region: located.region,
            identifier: &instance.identifier,
            resource_id: &instance.resource_id,
            arn: &instance.arn,
            instance: Some(instance),
            cluster: None,
            proxy: None,
            database: database(
                located.account,
                located.region,
                DbTargetKind::Instance,
                &instance.identifier,
            ),
        });
    }
    for located in inventory.db_clusters() {
        let cluster = located.item;
        out.push(Target {
            kind: TargetKind::Cluster,
            account: located.account,
            region: located.region,
            identifier: &cluster.identifier,
            resource_id: &cluster.resource_id,
            arn: &cluster.arn,
            instance: None,
            cluster: Some(cluster),
            proxy: None,
            database: database(
                located.account,
                located.region,
                DbTargetKind::Cluster,
                &cluster.identifier,
            ),
        });
    }
    for located in inventory.db_proxies() {
        let proxy = located.item;
        // A proxy reaches the roles of the database behind it.
        let behind = proxy.targets.iter().find_map(|target| {
            let kind = match target.kind {
                ProxyTargetKind::Instance => DbTargetKind::Instance,
                ProxyTargetKind::Cluster => DbTargetKind::Cluster,
            };
            database(located.account, located.region, kind, &target.identifier)
        });
        out.push(Target {
            kind: TargetKind::Proxy,
            account: located.account,
            region: located.region,
            identifier: &proxy.name,
            resource_id: &proxy.resource_id,
            arn: &proxy.arn,
            instance: None,
            cluster: None,
            proxy: Some(proxy),
            database: behind,
        });
    }
    out
}
