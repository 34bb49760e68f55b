//! `--db CONNINFO` (repeatable) on `rdsiam collect` and live `rdsiam audit`: PostgreSQL
//! introspection ([`super::postgres`]) of databases the AWS collection found, attached to the
//! inventory under the instance or Aurora cluster whose endpoint the connection names.
//!
//! The connection is an admin/monitor login (password in the conninfo or `PGPASSWORD`) or,
//! without a password, IAM: a token signed with the same AWS credentials. A database that
//! cannot be read becomes a coverage gap naming it; the collection goes on.

use std::time::Duration;

use crate::inventory::endpoint_target::{self, TargetKind};
use crate::inventory::{DbTarget, DbTargetKind, Gap, Inventory};
use crate::pg::params::{ConnParams, ParamSource};

/// The source name of database gaps.
const SOURCE: &str = "postgres:introspect";

/// What `--db` did, for the one-line summary.
#[derive(Debug, Default)]
pub struct DbOutcome {
    pub read: Vec<String>,
    pub failed: Vec<String>,
    pub notes: Vec<String>,
}

/// Reads every `--db` connection into `inventory.databases` (replacing facts of the same
/// target). Usage errors (an unparsable conninfo) are errors; connection failures are gaps.
pub fn introspect_all(
    inventory: &mut Inventory,
    conninfos: &[String],
    profile: Option<&str>,
    timeout: Duration,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<DbOutcome, String> {
    let mut outcome = DbOutcome::default();
    for conninfo in conninfos {
        let source = ParamSource::parse_conninfo(conninfo)
            .map_err(|e| format!("--db {conninfo:?}: {e}"))?
            .or(ParamSource::from_env(env));
        let params = ConnParams::resolve(source).map_err(|e| format!("--db {conninfo:?}: {e}"))?;
        let Some((db_target, region, master)) = locate(inventory, &params.host) else {
            let message = format!(
                "--db host {} is not the endpoint of any collected PostgreSQL instance or Aurora cluster (collect its account and region, or use the endpoint name, not a CNAME)",
                params.host
            );
            outcome.failed.push(message.clone());
            inventory.coverage.push(Gap {
                account: None,
                region: None,
                source: SOURCE.to_owned(),
                error_code: "UnknownEndpoint".to_owned(),
                message,
                fix_permission: None,
            });
            continue;
        };
        match read_one(
            &params,
            &db_target,
            &region,
            master.as_deref(),
            profile,
            timeout,
        ) {
            Ok(introspection) => {
                outcome.read.push(db_target.to_string());
                outcome.notes.extend(
                    introspection
                        .notes
                        .iter()
                        .map(|n| format!("{db_target}: {n}")),
                );
                inventory.databases.retain(|d| d.target != db_target);
                inventory.databases.push(introspection.database);
            }
            Err(e) => {
                outcome.failed.push(format!("{db_target}: {e}"));
                inventory.coverage.push(Gap {
                    account: Some(db_target.account.clone()),
                    region: Some(region.clone()),
                    source: SOURCE.to_owned(),
                    error_code: "ConnectionFailed".to_owned(),
                    message: format!("{db_target} ({}): {e}", params.host),
                    fix_permission: Some(
                        "a login that can read pg_roles (the master user, or an IAM user with rds-db:connect)"
                            .to_owned(),
                    ),
                });
            }
        }
    }
    Ok(outcome)
}

/// The target (instance, or the Aurora cluster of a member or cluster endpoint) whose endpoint
/// is `host`, with its region and master user.
fn locate(inventory: &Inventory, host: &str) -> Option<(DbTarget, String, Option<String>)> {
    for account in &inventory.accounts {
        for region in &account.regions {
            let Some(found) = endpoint_target::find(region, &account.account_id, host) else {
                continue;
            };
            let cluster = match found.kind {
                TargetKind::Cluster => Some(found.identifier.clone()),
                TargetKind::Instance => {
                    found.iam_source.strip_prefix("cluster ").map(str::to_owned)
                }
                TargetKind::Proxy => None,
            };
            let (kind, identifier, master) = match (found.kind, cluster) {
                (TargetKind::Proxy, _) => continue,
                (_, Some(cluster)) => {
                    let master = region
                        .db_clusters
                        .iter()
                        .find(|c| c.identifier == cluster)
                        .and_then(|c| c.master_username.clone());
                    (DbTargetKind::Cluster, cluster, master)
                }
                (_, None) => {
                    let master = region
                        .db_instances
                        .iter()
                        .find(|i| i.identifier == found.identifier)
                        .and_then(|i| i.master_username.clone());
                    (DbTargetKind::Instance, found.identifier.clone(), master)
                }
            };
            let db_target = DbTarget {
                account: account.account_id.clone(),
                region: region.region.clone(),
                kind,
                identifier,
            };
            return Some((db_target, region.region.clone(), master));
        }
    }
    None
}

fn read_one(
    params: &ConnParams,
    db_target: &DbTarget,
    region: &str,
    master: Option<&str>,
    profile: Option<&str>,
    timeout: Duration,
) -> Result<super::postgres::Introspection, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let mut params = params.clone();
        if params.password.is_none() {
            // No password: log in with IAM, as the doctor does (token only over verified TLS).
            let request = crate::token::TokenRequest {
                host: params.host.clone(),
                port: params.port,
                user: params.user.clone(),
                region: region.to_owned(),
                profile: profile.map(str::to_owned),
            };
            params.password = Some(
                crate::token::generate(&request)
                    .await
                    .map_err(|e| format!("no password given and no IAM token: {e}"))?,
            );
        }
        super::postgres::introspect(&params, db_target.clone(), master, timeout).await
    })
}
