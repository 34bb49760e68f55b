//! Which RDS object an endpoint name belongs to: a DB instance, an Aurora cluster endpoint
//! (writer, reader or custom), or an RDS Proxy — and the settings that decide IAM logins
//! there. Pure functions over a collected [`Region`], so every match rule is unit-tested.

use serde::Serialize;

use crate::inventory::{CaCertificate, ClusterEndpointKind, ProxyIamAuth, Region};

/// What kind of RDS object answers at the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Instance,
    Cluster,
    Proxy,
}

/// The RDS object behind the endpoint, with what decides an IAM login on it.
#[derive(Debug, Clone, Serialize)]
pub struct FoundTarget {
    pub kind: TargetKind,
    /// Instance or cluster identifier, or proxy name.
    pub identifier: String,
    /// `db-…`, `cluster-…` or `prx-…`: the id the `rds-db:connect` ARN must name.
    pub resource_id: String,
    pub arn: String,
    /// Account that owns the database (from its ARN).
    pub account: String,
    pub engine: String,
    /// How the endpoint matched: `instance endpoint`, `cluster writer endpoint`, ...
    pub matched: String,
    pub port: u16,
    /// IAM authentication where it counts (the cluster for Aurora members, the proxy's auth).
    pub iam_enabled: bool,
    /// `PendingModifiedValues.IAMDatabaseAuthenticationEnabled`.
    pub iam_pending: Option<bool>,
    /// Where the IAM flag was read: `instance mydb`, `cluster analytics`, `proxy pgproxy`.
    pub iam_source: String,
    /// `rds.force_ssl` (proxies: `RequireTLS` as `1`/`0`).
    pub force_ssl: Option<String>,
    pub ca: Option<CaCertificate>,
    /// Whether the `iam-db-auth-error` log export is on (RDS's own reason for each failure).
    pub iam_error_log: bool,
}

/// The object whose endpoint is `endpoint` (case-insensitive). Falls back to the first label
/// of the name as an instance or cluster identifier, saying so in `matched`.
pub fn find(region: &Region, account: &str, endpoint: &str) -> Option<FoundTarget> {
    let same = |a: &str| a.eq_ignore_ascii_case(endpoint);
    for instance in &region.db_instances {
        if instance.endpoint.as_ref().is_some_and(|e| same(&e.address)) {
            return Some(instance_target(
                region,
                account,
                instance,
                "instance endpoint",
            ));
        }
    }
    for cluster in &region.db_clusters {
        if let Some(e) = cluster.endpoints.iter().find(|e| same(&e.address)) {
            let matched = match e.kind {
                ClusterEndpointKind::Writer => "cluster writer endpoint".to_owned(),
                ClusterEndpointKind::Reader => "cluster reader endpoint".to_owned(),
                ClusterEndpointKind::Custom => format!(
                    "custom endpoint {}",
                    e.identifier.as_deref().unwrap_or("(unnamed)")
                ),
            };
            return Some(cluster_target(region, account, cluster, matched, e.port));
        }
    }
    for proxy in &region.db_proxies {
        if proxy.endpoint.as_ref().is_some_and(|e| same(&e.address)) {
            // End-to-end IAM: the proxy checks the token itself when any auth entry (or the
            // default scheme) requires or allows IAM.
            let iam_enabled = proxy.auth.is_empty()
                || proxy
                    .auth
                    .iter()
                    .any(|a| a.iam_auth != ProxyIamAuth::Disabled);
            return Some(FoundTarget {
                kind: TargetKind::Proxy,
                identifier: proxy.name.clone(),
                resource_id: proxy.resource_id.clone(),
                arn: proxy.arn.clone(),
                account: account_of(&proxy.arn, account),
                engine: proxy.engine_family.to_ascii_lowercase(),
                matched: "proxy endpoint".to_owned(),
                port: proxy.endpoint.as_ref().map_or(5432, |e| e.port),
                iam_enabled,
                iam_pending: None,
                iam_source: format!("proxy {}", proxy.name),
                force_ssl: Some(if proxy.require_tls { "1" } else { "0" }.to_owned()),
                ca: None,
                iam_error_log: false,
            });
        }
    }
    // No endpoint matched (a CNAME in front, or a name the listing lacks): the first label is
    // the identifier in every RDS-made endpoint name.
    let label = endpoint.split('.').next().unwrap_or_default();
    if let Some(instance) = region
        .db_instances
        .iter()
        .find(|i| i.identifier.eq_ignore_ascii_case(label))
    {
        return Some(instance_target(
            region,
            account,
            instance,
            "instance identifier (first label of the host name)",
        ));
    }
    region
        .db_clusters
        .iter()
        .find(|c| c.identifier.eq_ignore_ascii_case(label))
        .map(|cluster| {
            let port = cluster.endpoints.first().map_or(5432, |e| e.port);
            cluster_target(
                region,
                account,
                cluster,
                "cluster identifier (first label of the host name)".to_owned(),
                port,
            )
        })
}

fn instance_target(
    region: &Region,
    account: &str,
    instance: &crate::inventory::DbInstance,
    matched: &str,
) -> FoundTarget {
    // Aurora: the cluster's IAM flag is the one RDS applies; the member's is ignored.
    let cluster = instance
        .cluster_identifier
        .as_deref()
        .and_then(|id| region.db_clusters.iter().find(|c| c.identifier == id));
    let (iam_enabled, iam_pending, iam_source, resource_id, parameter_group) = match cluster {
        Some(c) => (
            c.iam_auth_enabled,
            c.pending_iam_auth_enabled,
            format!("cluster {}", c.identifier),
            // Tokens through an instance endpoint of an Aurora member are authorized
            // against the cluster's resource id.
            c.resource_id.clone(),
            c.parameter_group.as_deref(),
        ),
        None => (
            instance.iam_auth_enabled,
            instance.pending_iam_auth_enabled,
            format!("instance {}", instance.identifier),
            instance.resource_id.clone(),
            instance.parameter_group.as_deref(),
        ),
    };
    let mut exports = instance.enabled_log_exports.iter();
    let iam_error_log = exports.any(|e| e == IAM_ERROR_LOG)
        || cluster.is_some_and(|c| c.enabled_log_exports.iter().any(|e| e == IAM_ERROR_LOG));
    FoundTarget {
        kind: TargetKind::Instance,
        identifier: instance.identifier.clone(),
        resource_id,
        arn: instance.arn.clone(),
        account: account_of(&instance.arn, account),
        engine: instance.engine.clone(),
        matched: matched.to_owned(),
        port: instance.endpoint.as_ref().map_or(5432, |e| e.port),
        iam_enabled,
        iam_pending,
        iam_source,
        force_ssl: force_ssl(region, parameter_group),
        ca: instance.ca_certificate.clone(),
        iam_error_log,
    }
}

fn cluster_target(
    region: &Region,
    account: &str,
    cluster: &crate::inventory::DbCluster,
    matched: String,
    port: u16,
) -> FoundTarget {
    // The CA is per instance; any member's tells which CA the cluster's endpoints present.
    let ca = cluster.members.iter().find_map(|m| {
        region
            .db_instances
            .iter()
            .find(|i| i.identifier == m.instance_identifier)
            .and_then(|i| i.ca_certificate.clone())
    });
    FoundTarget {
        kind: TargetKind::Cluster,
        identifier: cluster.identifier.clone(),
        resource_id: cluster.resource_id.clone(),
        arn: cluster.arn.clone(),
        account: account_of(&cluster.arn, account),
        engine: cluster.engine.clone(),
        matched,
        port,
        iam_enabled: cluster.iam_auth_enabled,
        iam_pending: cluster.pending_iam_auth_enabled,
        iam_source: format!("cluster {}", cluster.identifier),
        force_ssl: force_ssl(region, cluster.parameter_group.as_deref()),
        ca,
        iam_error_log: cluster
            .enabled_log_exports
            .iter()
            .any(|e| e == IAM_ERROR_LOG),
    }
}

/// The log export that records why RDS rejected each IAM login.
pub const IAM_ERROR_LOG: &str = "iam-db-auth-error";

fn force_ssl(region: &Region, group: Option<&str>) -> Option<String> {
    let group = group?;
    region
        .parameter_groups
        .iter()
        .find(|g| g.name == group)
        .and_then(|g| g.parameters.get("rds.force_ssl").cloned())
}

/// The account in an RDS ARN (`arn:aws:rds:REGION:ACCOUNT:db:ID`), else `fallback`.
fn account_of(arn: &str, fallback: &str) -> String {
    arn.split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .unwrap_or(fallback)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{
        ClusterEndpoint, ClusterMember, DbCluster, DbInstance, DbProxy, Endpoint, ProxyAuth,
    };

    fn instance(id: &str, cluster: Option<&str>, iam: bool) -> DbInstance {
        DbInstance {
            identifier: id.into(),
            resource_id: format!("db-{}", id.to_ascii_uppercase()),
            arn: format!("arn:aws:rds:us-east-1:111122223333:db:{id}"),
            engine: "postgres".into(),
            engine_version: None,
            endpoint: Some(Endpoint {
                address: format!("{id}.abc.us-east-1.rds.amazonaws.com"),
                port: 5432,
            }),
            iam_auth_enabled: iam,
            pending_iam_auth_enabled: None,
            cluster_identifier: cluster.map(str::to_owned),
            parameter_group: None,
            ca_certificate: None,
            enabled_log_exports: Vec::new(),
            master_username: None,
        }
    }

    fn region() -> Region {
        Region {
            region: "us-east-1".into(),
            db_instances: vec![
                instance("plain", None, false),
                instance("member-1", Some("aurora"), false),
            ],
            db_clusters: vec![DbCluster {
                identifier: "aurora".into(),
                resource_id: "cluster-AURORA".into(),
                arn: "arn:aws:rds:us-east-1:111122223333:cluster:aurora".into(),
                engine: "aurora-postgresql".into(),
                engine_version: None,
                members: vec![ClusterMember {
                    instance_identifier: "member-1".into(),
                    is_writer: true,
                }],
                endpoints: vec![
                    ClusterEndpoint {
                        kind: ClusterEndpointKind::Writer,
                        address: "aurora.cluster-abc.us-east-1.rds.amazonaws.com".into(),
                        port: 5432,
                        identifier: None,
                        members: Vec::new(),
                    },
                    ClusterEndpoint {
                        kind: ClusterEndpointKind::Reader,
                        address: "aurora.cluster-ro-abc.us-east-1.rds.amazonaws.com".into(),
                        port: 5432,
                        identifier: None,
                        members: Vec::new(),
                    },
                ],
                iam_auth_enabled: true,
                pending_iam_auth_enabled: None,
                parameter_group: None,
                enabled_log_exports: vec![IAM_ERROR_LOG.into()],
                master_username: None,
            }],
            db_proxies: vec![DbProxy {
                name: "pgproxy".into(),
                resource_id: "prx-0123".into(),
                arn: "arn:aws:rds:us-east-1:111122223333:db-proxy:prx-0123".into(),
                engine_family: "POSTGRESQL".into(),
                endpoint: Some(Endpoint {
                    address: "pgproxy.proxy-abc.us-east-1.rds.amazonaws.com".into(),
                    port: 5432,
                }),
                require_tls: true,
                auth: vec![ProxyAuth {
                    iam_auth: ProxyIamAuth::Required,
                    auth_scheme: Some("SECRETS".into()),
                    user_name: None,
                    secret_arn: None,
                }],
                targets: Vec::new(),
                default_auth_scheme: None,
                role_arn: None,
            }],
            parameter_groups: Vec::new(),
        }
    }

    #[test]
    fn instance_endpoint_matches_case_insensitively() {
        let found = find(&region(), "999", "PLAIN.abc.us-east-1.rds.amazonaws.com").unwrap();
        assert_eq!(found.kind, TargetKind::Instance);
        assert_eq!(found.resource_id, "db-PLAIN");
        assert_eq!(found.account, "111122223333");
        assert!(!found.iam_enabled);
        assert_eq!(found.iam_source, "instance plain");
    }

    #[test]
    fn aurora_member_uses_the_cluster_flag_and_resource_id() {
        let found = find(&region(), "999", "member-1.abc.us-east-1.rds.amazonaws.com").unwrap();
        assert!(found.iam_enabled, "the cluster's flag counts");
        assert_eq!(found.iam_source, "cluster aurora");
        assert_eq!(found.resource_id, "cluster-AURORA");
        assert!(found.iam_error_log);
    }

    #[test]
    fn reader_endpoint_and_proxy_match() {
        let reader = find(
            &region(),
            "999",
            "aurora.cluster-ro-abc.us-east-1.rds.amazonaws.com",
        )
        .unwrap();
        assert_eq!(reader.kind, TargetKind::Cluster);
        assert_eq!(reader.matched, "cluster reader endpoint");
        let proxy = find(
            &region(),
            "999",
            "pgproxy.proxy-abc.us-east-1.rds.amazonaws.com",
        )
        .unwrap();
        assert_eq!(proxy.kind, TargetKind::Proxy);
        assert_eq!(proxy.resource_id, "prx-0123");
        assert!(proxy.iam_enabled);
        assert_eq!(proxy.force_ssl.as_deref(), Some("1"));
    }

    #[test]
    fn identifier_fallback_and_no_match() {
        let found = find(&region(), "999", "plain.example.internal").unwrap();
        assert!(found.matched.contains("first label"));
        assert!(find(&region(), "999", "other.abc.us-east-1.rds.amazonaws.com").is_none());
    }
}
