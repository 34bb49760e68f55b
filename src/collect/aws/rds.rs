//! RDS facts of one region: PostgreSQL instances and Aurora PostgreSQL clusters, custom
//! cluster endpoints, RDS Proxies (and their targets), `rds.force_ssl` of the parameter
//! groups in use, and CA validity (DescribeCertificates fills `valid_till` when an instance
//! lacks `CertificateDetails`).
//!
//! The five listing calls run concurrently; the per-group and per-proxy calls follow. Each
//! failure is a gap for that API only: clusters are still collected when proxies are denied.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use aws_sdk_rds::types::{DbCluster as SdkCluster, DbInstance as SdkInstance, TargetType};
use aws_smithy_types::date_time::Format;

use super::config::Clients;
use super::faults::{self, Scope};
use super::operations as ops;
use super::pages;
use crate::inventory::{
    CaCertificate, ClusterEndpoint, ClusterEndpointKind, ClusterMember, DbCluster, DbInstance,
    DbProxy, Endpoint, Gap, ParameterGroup, ParameterGroupKind, ProxyAuth, ProxyIamAuth,
    ProxyTarget, ProxyTargetKind, Region,
};

/// RDS's largest page size.
const PAGE_SIZE: i32 = 100;
/// The one parameter rdsiam reads from parameter groups.
const FORCE_SSL: &str = "rds.force_ssl";
const POSTGRES_PORT: u16 = 5432;

/// Collects one region; returns the region (possibly empty) and whether any call succeeded.
pub async fn collect(clients: &Clients, region: &str, gaps: &mut Vec<Gap>) -> (Region, bool) {
    let client = clients.rds(region);
    let scope = Scope::regional(&clients.account, region);
    let (instances, clusters, endpoints, proxies, certificates) = tokio::join!(
        describe_instances(&client),
        describe_clusters(&client),
        describe_cluster_endpoints(&client),
        describe_proxies(&client),
        describe_certificates(&client),
    );
    let mut out = Region {
        region: region.to_owned(),
        ..Region::default()
    };
    let mut any_ok = false;
    let certificates = match certificates {
        Ok(map) => {
            any_ok = true;
            map
        }
        Err(gap) => {
            gaps.push(gap.into_gap(&scope, ops::DESCRIBE_CERTIFICATES));
            BTreeMap::new()
        }
    };
    match instances {
        Ok(list) => {
            any_ok = true;
            out.db_instances = list
                .iter()
                .filter(|i| is_postgres(i.engine()))
                .filter_map(|i| convert_instance(i, &certificates))
                .collect();
        }
        Err(gap) => gaps.push(gap.into_gap(&scope, ops::DESCRIBE_DB_INSTANCES)),
    }
    match clusters {
        Ok(list) => {
            any_ok = true;
            out.db_clusters = list
                .iter()
                .filter(|c| is_postgres(c.engine()))
                .filter_map(convert_cluster)
                .collect();
        }
        Err(gap) => gaps.push(gap.into_gap(&scope, ops::DESCRIBE_DB_CLUSTERS)),
    }
    match endpoints {
        Ok(list) => {
            any_ok = true;
            add_custom_endpoints(&mut out.db_clusters, list);
        }
        Err(gap) => gaps.push(gap.into_gap(&scope, ops::DESCRIBE_DB_CLUSTER_ENDPOINTS)),
    }
    match proxies {
        Ok(list) => {
            any_ok = true;
            for mut proxy in list {
                match proxy_targets(&client, &proxy.name).await {
                    Ok(targets) => proxy.targets = targets,
                    Err(gap) => gaps.push(gap.into_gap(&scope, ops::DESCRIBE_DB_PROXY_TARGETS)),
                }
                out.db_proxies.push(proxy);
            }
        }
        Err(gap) => gaps.push(gap.into_gap(&scope, ops::DESCRIBE_DB_PROXIES)),
    }
    out.parameter_groups = parameter_groups(&client, &out, &scope, gaps).await;
    drop_dangling_references(&mut out, &scope, gaps);
    (out, any_ok)
}

/// When one listing failed, others can name what it would have returned (a cluster's
/// members, an instance's cluster, a proxy's targets). A snapshot must not reference what it
/// does not hold, so those references are left out, and one gap lists them.
fn drop_dangling_references(region: &mut Region, scope: &Scope, gaps: &mut Vec<Gap>) {
    let instances: BTreeSet<String> = region
        .db_instances
        .iter()
        .map(|i| i.identifier.clone())
        .collect();
    let clusters: BTreeSet<String> = region
        .db_clusters
        .iter()
        .map(|c| c.identifier.clone())
        .collect();
    let mut dropped = Vec::new();
    for cluster in &mut region.db_clusters {
        cluster.members.retain(|m| {
            instances.contains(&m.instance_identifier) || {
                dropped.push(format!(
                    "member {} of cluster {}",
                    m.instance_identifier, cluster.identifier
                ));
                false
            }
        });
    }
    for instance in &mut region.db_instances {
        if let Some(cluster) = instance
            .cluster_identifier
            .take_if(|c| !clusters.contains(c.as_str()))
        {
            dropped.push(format!(
                "cluster {cluster} of instance {}",
                instance.identifier
            ));
        }
    }
    for proxy in &mut region.db_proxies {
        proxy.targets.retain(|t| {
            let known = match t.kind {
                ProxyTargetKind::Instance => instances.contains(&t.identifier),
                ProxyTargetKind::Cluster => clusters.contains(&t.identifier),
            };
            known || {
                dropped.push(format!("target {} of proxy {}", t.identifier, proxy.name));
                false
            }
        });
    }
    if !dropped.is_empty() {
        gaps.push(faults::other(
            scope,
            ops::DESCRIBE_DB_INSTANCES,
            "ReferenceNotCollected",
            format!(
                "left out because the object they name was not collected: {}",
                dropped.join(", ")
            ),
        ));
    }
}

/// A failed call, classified, before it knows its scope and operation.
pub struct Failure {
    code: String,
    message: String,
}

impl Failure {
    fn from_sdk<E, R>(err: aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Self
    where
        E: faults::OperationError,
        R: std::fmt::Debug + faults::HasStatus,
    {
        let (code, message) = faults::classify(&err);
        Failure { code, message }
    }

    fn into_gap(self, scope: &Scope, op: ops::Operation) -> Gap {
        let mut gap = faults::other(scope, op, &self.code, self.message);
        gap.fix_permission = Some(op.action());
        gap
    }
}

/// Every page's items, or the failure: a listing that failed part-way is not kept.
async fn all_items<P, T, E, R>(
    pages: pages::Pages<P, E, R>,
    take: impl FnMut(P, &mut Vec<T>),
) -> Result<Vec<T>, Failure>
where
    E: faults::OperationError,
    R: std::fmt::Debug + faults::HasStatus,
{
    pages::all_items(pages, take)
        .await
        .map_err(Failure::from_sdk)
}

fn is_postgres(engine: Option<&str>) -> bool {
    engine.is_some_and(|e| e.contains("postgres"))
}

async fn describe_instances(client: &aws_sdk_rds::Client) -> Result<Vec<SdkInstance>, Failure> {
    let pages = client
        .describe_db_instances()
        .into_paginator()
        .page_size(PAGE_SIZE)
        .send();
    all_items(pages, |page, out| {
        out.extend(page.db_instances().iter().cloned())
    })
    .await
}

async fn describe_clusters(client: &aws_sdk_rds::Client) -> Result<Vec<SdkCluster>, Failure> {
    let pages = client
        .describe_db_clusters()
        .into_paginator()
        .page_size(PAGE_SIZE)
        .send();
    all_items(pages, |page, out| {
        out.extend(page.db_clusters().iter().cloned())
    })
    .await
}

/// (cluster identifier, endpoint) for custom endpoints; writer/reader come with the cluster.
async fn describe_cluster_endpoints(
    client: &aws_sdk_rds::Client,
) -> Result<Vec<(String, ClusterEndpoint)>, Failure> {
    let pages = client
        .describe_db_cluster_endpoints()
        .into_paginator()
        .page_size(PAGE_SIZE)
        .send();
    all_items(pages, |page, out| {
        for endpoint in page.db_cluster_endpoints() {
            if endpoint.endpoint_type() != Some("CUSTOM") {
                continue;
            }
            let (Some(cluster), Some(address)) =
                (endpoint.db_cluster_identifier(), endpoint.endpoint())
            else {
                continue;
            };
            out.push((
                cluster.to_owned(),
                ClusterEndpoint {
                    kind: ClusterEndpointKind::Custom,
                    address: address.to_owned(),
                    port: POSTGRES_PORT,
                    identifier: endpoint.db_cluster_endpoint_identifier().map(str::to_owned),
                    members: endpoint.static_members().to_vec(),
                },
            ));
        }
    })
    .await
}

async fn describe_proxies(client: &aws_sdk_rds::Client) -> Result<Vec<DbProxy>, Failure> {
    // DefaultAuthScheme is read from the raw answer (super::proxy_scheme).
    let capture = super::proxy_scheme::BodyCapture::default();
    let client = aws_sdk_rds::Client::from_conf(
        client
            .config()
            .to_builder()
            .interceptor(capture.clone())
            .build(),
    );
    let pages = client
        .describe_db_proxies()
        .into_paginator()
        .page_size(PAGE_SIZE)
        .send();
    let mut out = all_items(pages, |page, out| {
        for proxy in page.db_proxies() {
            if proxy.engine_family() != Some("POSTGRESQL") {
                continue;
            }
            let (Some(name), Some(arn)) = (proxy.db_proxy_name(), proxy.db_proxy_arn()) else {
                continue;
            };
            out.push(DbProxy {
                name: name.to_owned(),
                // The `prx-...` id is only in the ARN (`...:db-proxy:prx-...`).
                resource_id: arn.rsplit(':').next().unwrap_or(arn).to_owned(),
                arn: arn.to_owned(),
                engine_family: "POSTGRESQL".to_owned(),
                endpoint: proxy.endpoint().map(|address| Endpoint {
                    address: address.to_owned(),
                    port: POSTGRES_PORT,
                }),
                require_tls: proxy.require_tls().unwrap_or(false),
                auth: proxy
                    .auth()
                    .iter()
                    .map(|auth| ProxyAuth {
                        iam_auth: match auth.iam_auth().map(|m| m.as_str()) {
                            Some("REQUIRED") => ProxyIamAuth::Required,
                            Some("ENABLED") => ProxyIamAuth::Enabled,
                            _ => ProxyIamAuth::Disabled,
                        },
                        auth_scheme: auth.auth_scheme().map(|s| s.as_str().to_owned()),
                        user_name: auth.user_name().map(str::to_owned),
                        secret_arn: auth.secret_arn().map(str::to_owned),
                    })
                    .collect(),
                targets: Vec::new(),
                default_auth_scheme: None,
                role_arn: proxy.role_arn().map(str::to_owned),
            });
        }
    })
    .await?;
    let schemes = super::proxy_scheme::schemes(&capture.bodies());
    for proxy in &mut out {
        proxy.default_auth_scheme = schemes.get(&proxy.name).cloned();
    }
    Ok(out)
}

async fn proxy_targets(
    client: &aws_sdk_rds::Client,
    proxy: &str,
) -> Result<Vec<ProxyTarget>, Failure> {
    let pages = client
        .describe_db_proxy_targets()
        .db_proxy_name(proxy)
        .into_paginator()
        .page_size(PAGE_SIZE)
        .send();
    all_items(pages, |page, out| {
        for target in page.targets() {
            let kind = match target.r#type() {
                // A cluster target is listed as TRACKED_CLUSTER plus one RDS_INSTANCE per
                // member (with TrackedClusterId set): the cluster entry stands for them.
                Some(TargetType::RdsInstance) if target.tracked_cluster_id().is_some() => continue,
                Some(TargetType::RdsInstance) => ProxyTargetKind::Instance,
                Some(TargetType::TrackedCluster) => ProxyTargetKind::Cluster,
                _ => continue,
            };
            let Some(identifier) = target.rds_resource_id().or(target.tracked_cluster_id()) else {
                continue;
            };
            out.push(ProxyTarget {
                kind,
                identifier: identifier.to_owned(),
            });
        }
    })
    .await
}

/// CA identifier → valid till (RFC 3339).
async fn describe_certificates(
    client: &aws_sdk_rds::Client,
) -> Result<BTreeMap<String, String>, Failure> {
    let pages = client
        .describe_certificates()
        .into_paginator()
        .page_size(PAGE_SIZE)
        .send();
    let listed = all_items(pages, |page, out| {
        out.extend(page.certificates().iter().filter_map(|cert| {
            Some((
                cert.certificate_identifier()?.to_owned(),
                rfc3339(cert.valid_till())?,
            ))
        }))
    })
    .await?;
    // Collected in page order: a later duplicate replaces an earlier one, as before.
    Ok(listed.into_iter().collect())
}

fn rfc3339(date: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    date.and_then(|d| d.fmt(Format::DateTime).ok())
}

fn port(port: Option<i32>) -> u16 {
    port.and_then(|p| u16::try_from(p).ok())
        .unwrap_or(POSTGRES_PORT)
}

fn convert_instance(
    i: &SdkInstance,
    certificates: &BTreeMap<String, String>,
) -> Option<DbInstance> {
    let details = i.certificate_details();
    let ca_id = i
        .ca_certificate_identifier()
        .or_else(|| details.and_then(|d| d.ca_identifier()));
    let ca_certificate = ca_id.map(|id| CaCertificate {
        identifier: id.to_owned(),
        // The server certificate's own expiry when RDS reports it; else the CA's.
        valid_till: rfc3339(details.and_then(|d| d.valid_till()))
            .or_else(|| certificates.get(id).cloned()),
    });
    Some(DbInstance {
        identifier: i.db_instance_identifier()?.to_owned(),
        resource_id: i.dbi_resource_id()?.to_owned(),
        arn: i.db_instance_arn()?.to_owned(),
        engine: i.engine()?.to_owned(),
        engine_version: i.engine_version().map(str::to_owned),
        endpoint: i.endpoint().and_then(|e| {
            Some(Endpoint {
                address: e.address()?.to_owned(),
                port: port(e.port()),
            })
        }),
        iam_auth_enabled: i.iam_database_authentication_enabled().unwrap_or(false),
        pending_iam_auth_enabled: i
            .pending_modified_values()
            .and_then(|p| p.iam_database_authentication_enabled()),
        cluster_identifier: i.db_cluster_identifier().map(str::to_owned),
        parameter_group: i
            .db_parameter_groups()
            .first()
            .and_then(|g| g.db_parameter_group_name())
            .map(str::to_owned),
        ca_certificate,
        enabled_log_exports: i.enabled_cloudwatch_logs_exports().to_vec(),
        master_username: i.master_username().map(str::to_owned),
    })
}

fn convert_cluster(c: &SdkCluster) -> Option<DbCluster> {
    let cluster_port = port(c.port());
    let mut endpoints = Vec::new();
    if let Some(address) = c.endpoint() {
        endpoints.push(ClusterEndpoint {
            kind: ClusterEndpointKind::Writer,
            address: address.to_owned(),
            port: cluster_port,
            identifier: None,
            members: Vec::new(),
        });
    }
    if let Some(address) = c.reader_endpoint() {
        endpoints.push(ClusterEndpoint {
            kind: ClusterEndpointKind::Reader,
            address: address.to_owned(),
            port: cluster_port,
            identifier: None,
            members: Vec::new(),
        });
    }
    Some(DbCluster {
        identifier: c.db_cluster_identifier()?.to_owned(),
        resource_id: c.db_cluster_resource_id()?.to_owned(),
        arn: c.db_cluster_arn()?.to_owned(),
        engine: c.engine()?.to_owned(),
        engine_version: c.engine_version().map(str::to_owned),
        members: c
            .db_cluster_members()
            .iter()
            .filter_map(|m| {
                Some(ClusterMember {
                    instance_identifier: m.db_instance_identifier()?.to_owned(),
                    is_writer: m.is_cluster_writer().unwrap_or(false),
                })
            })
            .collect(),
        endpoints,
        iam_auth_enabled: c.iam_database_authentication_enabled().unwrap_or(false),
        pending_iam_auth_enabled: c
            .pending_modified_values()
            .and_then(|p| p.iam_database_authentication_enabled()),
        parameter_group: c.db_cluster_parameter_group().map(str::to_owned),
        enabled_log_exports: c.enabled_cloudwatch_logs_exports().to_vec(),
        master_username: c.master_username().map(str::to_owned),
    })
}

fn add_custom_endpoints(clusters: &mut [DbCluster], endpoints: Vec<(String, ClusterEndpoint)>) {
    for (cluster_id, endpoint) in endpoints {
        if let Some(cluster) = clusters.iter_mut().find(|c| c.identifier == cluster_id) {
            cluster.endpoints.push(endpoint);
        }
    }
}

/// `rds.force_ssl` of every parameter group an instance or cluster uses (each group once).
async fn parameter_groups(
    client: &aws_sdk_rds::Client,
    region: &Region,
    scope: &Scope,
    gaps: &mut Vec<Gap>,
) -> Vec<ParameterGroup> {
    let instance_groups: BTreeSet<&str> = region
        .db_instances
        .iter()
        .filter_map(|i| i.parameter_group.as_deref())
        .collect();
    let cluster_groups: BTreeSet<&str> = region
        .db_clusters
        .iter()
        .filter_map(|c| c.parameter_group.as_deref())
        .collect();
    let mut out = Vec::new();
    for name in instance_groups {
        match force_ssl(client, name, ParameterGroupKind::Instance).await {
            Ok(group) => out.push(group),
            Err(gap) => gaps.push(gap.into_gap(scope, ops::DESCRIBE_DB_PARAMETERS)),
        }
    }
    for name in cluster_groups {
        match force_ssl(client, name, ParameterGroupKind::Cluster).await {
            Ok(group) => out.push(group),
            Err(gap) => gaps.push(gap.into_gap(scope, ops::DESCRIBE_DB_CLUSTER_PARAMETERS)),
        }
    }
    out
}

/// Pages through a group's parameters until `rds.force_ssl` shows up. AWS lists engine
/// defaults too, so the value found is the effective one; a group without it (moto lists
/// only modified parameters) is kept without the parameter and rules treat it as unknown.
async fn force_ssl(
    client: &aws_sdk_rds::Client,
    name: &str,
    kind: ParameterGroupKind,
) -> Result<ParameterGroup, Failure> {
    let mut value = None;
    match kind {
        ParameterGroupKind::Instance => {
            let pages = client
                .describe_db_parameters()
                .db_parameter_group_name(name)
                .into_paginator()
                .page_size(PAGE_SIZE)
                .send();
            pages::each_page(pages, |page| until_found(&mut value, page.parameters()))
                .await
                .map_err(Failure::from_sdk)?;
        }
        ParameterGroupKind::Cluster => {
            let pages = client
                .describe_db_cluster_parameters()
                .db_cluster_parameter_group_name(name)
                .into_paginator()
                .page_size(PAGE_SIZE)
                .send();
            pages::each_page(pages, |page| until_found(&mut value, page.parameters()))
                .await
                .map_err(Failure::from_sdk)?;
        }
    }
    Ok(ParameterGroup {
        name: name.to_owned(),
        kind,
        family: None,
        parameters: value
            .map(|v| BTreeMap::from([(FORCE_SSL.to_owned(), v)]))
            .unwrap_or_default(),
    })
}

/// One page of parameters: `rds.force_ssl` into `value`, and stop paging once it is found.
fn until_found(
    value: &mut Option<String>,
    parameters: &[aws_sdk_rds::types::Parameter],
) -> ControlFlow<()> {
    *value = find_force_ssl(parameters);
    if value.is_some() {
        ControlFlow::Break(())
    } else {
        ControlFlow::Continue(())
    }
}

fn find_force_ssl(parameters: &[aws_sdk_rds::types::Parameter]) -> Option<String> {
    parameters
        .iter()
        .find(|p| p.parameter_name() == Some(FORCE_SSL))
        .and_then(|p| p.parameter_value())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_to_uncollected_objects_are_left_out_with_a_gap() {
        let mut region = Region {
            region: "us-east-1".into(),
            db_clusters: vec![DbCluster {
                identifier: "c".into(),
                resource_id: "cluster-1".into(),
                arn: "arn:aws:rds:us-east-1:111111111111:cluster:c".into(),
                engine: "aurora-postgresql".into(),
                engine_version: None,
                members: vec![ClusterMember {
                    instance_identifier: "c-1".into(),
                    is_writer: true,
                }],
                endpoints: Vec::new(),
                iam_auth_enabled: true,
                pending_iam_auth_enabled: None,
                parameter_group: None,
                enabled_log_exports: Vec::new(),
                master_username: None,
            }],
            db_proxies: vec![DbProxy {
                name: "p".into(),
                resource_id: "prx-1".into(),
                arn: "arn:aws:rds:us-east-1:111111111111:db-proxy:prx-1".into(),
                engine_family: "POSTGRESQL".into(),
                endpoint: None,
                require_tls: true,
                auth: Vec::new(),
                targets: vec![
                    ProxyTarget {
                        kind: ProxyTargetKind::Cluster,
                        identifier: "c".into(),
                    },
                    ProxyTarget {
                        kind: ProxyTargetKind::Instance,
                        identifier: "gone".into(),
                    },
                ],
                default_auth_scheme: None,
                role_arn: None,
            }],
            ..Region::default()
        };
        let mut gaps = Vec::new();
        drop_dangling_references(
            &mut region,
            &Scope::regional("111111111111", "us-east-1"),
            &mut gaps,
        );
        assert!(region.db_clusters[0].members.is_empty());
        assert_eq!(region.db_proxies[0].targets.len(), 1);
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].error_code, "ReferenceNotCollected");
        assert!(
            gaps[0].message.contains("member c-1 of cluster c"),
            "{}",
            gaps[0].message
        );
        assert!(
            crate::inventory::validate::validate(&{
                let mut inv = crate::inventory::Inventory::new("2026-01-01T00:00:00Z");
                inv.accounts.push(crate::inventory::Account {
                    account_id: "111111111111".into(),
                    name: None,
                    iam: Default::default(),
                    regions: vec![region],
                });
                inv
            })
            .is_empty()
        );
    }
}
