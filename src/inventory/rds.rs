//! RDS facts of one region: DB instances, Aurora clusters, RDS Proxies and the parameter
//! values that matter for IAM authentication (`rds.force_ssl`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// `us-east-1`...
    pub region: String,
    #[serde(default)]
    pub db_instances: Vec<DbInstance>,
    #[serde(default)]
    pub db_clusters: Vec<DbCluster>,
    #[serde(default)]
    pub db_proxies: Vec<DbProxy>,
    #[serde(default)]
    pub parameter_groups: Vec<ParameterGroup>,
}

/// Host and port a client connects to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub address: String,
    pub port: u16,
}

/// The server CA of an instance (`CACertificateIdentifier` + `CertificateDetails.ValidTill`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaCertificate {
    /// `rds-ca-rsa2048-g1`, `rds-ca-2019`...
    pub identifier: String,
    /// When the server certificate expires, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_till: Option<String>,
}

/// A DB instance (standalone RDS, or an Aurora cluster member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbInstance {
    /// `DBInstanceIdentifier`.
    pub identifier: String,
    /// `DbiResourceId` (`db-...`): the id `rds-db:connect` ARNs must use for a standalone instance.
    pub resource_id: String,
    pub arn: String,
    /// `postgres`, `aurora-postgresql`...
    pub engine: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
    /// `IAMDatabaseAuthenticationEnabled` (for Aurora members: as reported on the instance;
    /// the cluster's flag is what counts).
    pub iam_auth_enabled: bool,
    /// `PendingModifiedValues.IAMDatabaseAuthenticationEnabled`: a change not yet applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_iam_auth_enabled: Option<bool>,
    /// `DBClusterIdentifier` when the instance is an Aurora cluster member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_identifier: Option<String>,
    /// DB parameter group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<CaCertificate>,
    /// `EnabledCloudwatchLogsExports` (`postgresql`, `upgrade`, `iam-db-auth-error`).
    #[serde(default)]
    pub enabled_log_exports: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_username: Option<String>,
}

/// Which Aurora endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterEndpointKind {
    Writer,
    Reader,
    Custom,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterEndpoint {
    pub kind: ClusterEndpointKind,
    pub address: String,
    pub port: u16,
    /// Custom endpoint identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// Custom endpoint static members (instance identifiers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterMember {
    /// `DBInstanceIdentifier` of the member.
    pub instance_identifier: String,
    pub is_writer: bool,
}

/// An Aurora cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbCluster {
    /// `DBClusterIdentifier`.
    pub identifier: String,
    /// `DbClusterResourceId` (`cluster-...`): the id `rds-db:connect` ARNs must use.
    pub resource_id: String,
    pub arn: String,
    pub engine: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    #[serde(default)]
    pub members: Vec<ClusterMember>,
    #[serde(default)]
    pub endpoints: Vec<ClusterEndpoint>,
    pub iam_auth_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_iam_auth_enabled: Option<bool>,
    /// DB cluster parameter group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_group: Option<String>,
    #[serde(default)]
    pub enabled_log_exports: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_username: Option<String>,
}

/// `UserAuthConfig.IAMAuth` of an RDS Proxy auth entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ProxyIamAuth {
    Required,
    Disabled,
    Enabled,
}

/// One `Auth` entry of a proxy (a secret / user, or the default IAM scheme).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyAuth {
    pub iam_auth: ProxyIamAuth,
    /// `SECRETS`, or absent with end-to-end IAM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_scheme: Option<String>,
    /// Database user name behind the secret, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_arn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyTargetKind {
    Instance,
    Cluster,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyTarget {
    pub kind: ProxyTargetKind,
    /// DB instance or cluster identifier.
    pub identifier: String,
}

/// An RDS Proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbProxy {
    pub name: String,
    /// `prx-...`: the id `rds-db:connect` ARNs must use through the proxy.
    pub resource_id: String,
    pub arn: String,
    /// `POSTGRESQL`.
    pub engine_family: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
    pub require_tls: bool,
    #[serde(default)]
    pub auth: Vec<ProxyAuth>,
    #[serde(default)]
    pub targets: Vec<ProxyTarget>,
    /// `DefaultAuthScheme`: `IAM_AUTH` is end-to-end IAM (the proxy logs in to the database
    /// with an IAM token signed by its own role, as the client's DB user); `NONE` or absent:
    /// the proxy logs in with the secrets of `auth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_auth_scheme: Option<String>,
    /// `RoleArn`: the IAM role the proxy acts as (reads the secrets; with `IAM_AUTH`, signs the
    /// tokens, so it needs `rds-db:connect` on the targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

impl DbProxy {
    /// End-to-end IAM (`DefaultAuthScheme = IAM_AUTH`).
    pub fn end_to_end_iam(&self) -> bool {
        self.default_auth_scheme.as_deref() == Some("IAM_AUTH")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParameterGroupKind {
    Instance,
    Cluster,
}

/// A parameter group with only the parameters rdsiam cares about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterGroup {
    pub name: String,
    pub kind: ParameterGroupKind,
    /// `postgres16`, `aurora-postgresql16`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Effective values (engine default filled in by the collector), e.g. `rds.force_ssl` → `1`.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

impl ParameterGroup {
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters.get(name).map(String::as_str)
    }
}
