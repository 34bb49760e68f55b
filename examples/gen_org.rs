//! Synthetic organization generator: a deterministic (seeded) snapshot of any size, for
//! benchmarks and scale tests. Same seed and sizes → byte-identical snapshot.
//!
//! ```sh
//! cargo run --release --example gen_org -- --output /tmp/org.json.gz          # scale target
//! cargo run --release --example gen_org -- --accounts 5 --roles 200 --policies 600 \
//!     --dbs 20 --db-users 300 --output /tmp/small.json
//! ```
//!
//! Shape: accounts spread over OUs under one root, FullAWSAccess plus a tag-guard SCP; per
//! account roles with 1..=5 attached managed policies, about a third of the policies granting
//! `rds-db:connect` to existing DB users; per account DB targets (standalone instances and
//! two-member Aurora clusters) in two regions, one RDS Proxy per account, and PostgreSQL
//! roles per target. About 2 % of grants carry drift of the kinds the rules look for.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use rdsiam::inventory::{
    Account, AssumeRoleEvent, CaCertificate, ClusterEndpoint, ClusterEndpointKind, ClusterMember,
    Database, DbCluster, DbInstance, DbProxy, DbTarget, DbTargetKind, Endpoint, Iam, IamRole,
    Inventory, ManagedPolicy, Membership, OrgAccount, OrgPolicy, OrgPolicyKind, OrgRoot,
    Organization, OrganizationalUnit, ParameterGroup, ParameterGroupKind, PgRole, ProxyAuth,
    ProxyIamAuth, ProxyTarget, ProxyTargetKind, Region, snapshot,
};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
pub struct Args {
    #[arg(long, default_value_t = 500)]
    pub accounts: usize,
    #[arg(long, default_value_t = 50_000)]
    pub roles: usize,
    #[arg(long, default_value_t = 150_000)]
    pub policies: usize,
    /// DB targets (standalone instances + Aurora clusters).
    #[arg(long, default_value_t = 5_000)]
    pub dbs: usize,
    /// PostgreSQL login roles over all targets.
    #[arg(long, default_value_t = 100_000)]
    pub db_users: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// `.json` (pretty), `.json.gz`, or a directory.
    #[arg(long)]
    pub output: PathBuf,
}

/// SplitMix64: tiny, fast, and stable across platforms and Rust versions.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// `len` characters of the RDS resource-id alphabet.
    fn resource_id(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len())] as char)
            .collect()
    }
}

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const OUS: usize = 10;

/// Splits `total` over `parts` as evenly as possible; part `i` gets its share.
fn share(total: usize, parts: usize, i: usize) -> usize {
    total / parts + usize::from(i < total % parts)
}

fn account_id(i: usize) -> String {
    format!("{:012}", 100_000_000_000u64 + i as u64 * 7919)
}

struct DbFacts {
    region: &'static str,
    resource_id: String,
    identifier: String,
    users: Vec<String>,
}

/// Builds the inventory for `args` (its `output` is not used).
pub fn generate(args: &Args) -> Inventory {
    let mut rng = SplitMix(args.seed);
    let mut inv = Inventory::new("2026-11-20T09:00:00Z");
    inv.organization = Some(organization(args.accounts));
    for a in 0..args.accounts {
        let id = account_id(a);
        let mut account = Account {
            account_id: id.clone(),
            name: Some(format!("workload-{a:03}")),
            iam: Iam::default(),
            regions: Vec::new(),
        };
        let dbs = generate_dbs(
            &mut rng,
            &mut account,
            &mut inv.databases,
            share(args.dbs, args.accounts, a),
            share(args.db_users, args.accounts, a),
        );
        generate_iam(
            &mut rng,
            &mut account,
            &dbs,
            share(args.roles, args.accounts, a),
            share(args.policies, args.accounts, a),
        );
        generate_activity(&mut rng, &mut inv.activity, &account);
        inv.accounts.push(account);
    }
    inv
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let inv = generate(&args);
    let generated = started.elapsed();
    let written = snapshot::save(&inv, &args.output)?;
    let saved = started.elapsed() - generated;
    let bytes = std::fs::metadata(&written).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "generated {} accounts, {} roles, {} managed policies, {} DB targets, {} DB roles in {:.2?}; wrote {} ({:.1} MB) in {:.2?}",
        inv.accounts.len(),
        inv.accounts
            .iter()
            .map(|a| a.iam.roles.len())
            .sum::<usize>(),
        inv.accounts
            .iter()
            .map(|a| a.iam.managed_policies.len())
            .sum::<usize>(),
        inv.databases.len(),
        inv.databases.iter().map(|d| d.roles.len()).sum::<usize>(),
        generated,
        written.display(),
        bytes as f64 / 1e6,
        saved,
    );
    Ok(())
}

fn organization(accounts: usize) -> Organization {
    let root = "r-synt".to_owned();
    let ous: Vec<OrganizationalUnit> = (0..OUS)
        .map(|i| OrganizationalUnit {
            id: format!("ou-synt-{i:08}"),
            name: format!("Workloads-{i}"),
            parent_id: root.clone(),
        })
        .collect();
    let mut all_targets: Vec<String> = vec![root.clone()];
    all_targets.extend(ous.iter().map(|o| o.id.clone()));
    let org_accounts: Vec<OrgAccount> = (0..accounts)
        .map(|a| OrgAccount {
            id: account_id(a),
            name: format!("workload-{a:03}"),
            parent_id: ous[a % OUS].id.clone(),
            status: "ACTIVE".into(),
        })
        .collect();
    all_targets.extend(org_accounts.iter().map(|a| a.id.clone()));
    let management = org_accounts
        .first()
        .map(|a| a.id.clone())
        .unwrap_or_else(|| account_id(0));
    Organization {
        id: "o-synthetic01".into(),
        management_account_id: management,
        roots: vec![OrgRoot { id: root, name: "Root".into() }],
        organizational_units: ous.clone(),
        accounts: org_accounts,
        policies: vec![
            OrgPolicy {
                id: "p-FullAWSAccess".into(),
                arn: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess".into(),
                name: "FullAWSAccess".into(),
                kind: OrgPolicyKind::ServiceControlPolicy,
                aws_managed: true,
                document: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}).into(),
                targets: all_targets,
            },
            OrgPolicy {
                id: "p-synttag1".into(),
                arn: "arn:aws:organizations::100000000000:policy/o-synthetic01/service_control_policy/p-synttag1".into(),
                name: "RequireDbAccessTag".into(),
                kind: OrgPolicyKind::ServiceControlPolicy,
                aws_managed: false,
                document: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "rds-db:connect", "Resource": "*",
                    "Condition": {"Null": {"aws:PrincipalTag/db-access": "true"}}}]}).into(),
                targets: ous.iter().step_by(2).map(|o| o.id.clone()).collect(),
            },
        ],
    }
}

fn generate_dbs(
    rng: &mut SplitMix,
    account: &mut Account,
    databases: &mut Vec<Database>,
    targets: usize,
    users: usize,
) -> Vec<DbFacts> {
    let id = account.account_id.clone();
    let mut regions: Vec<Region> = REGIONS
        .iter()
        .map(|r| Region {
            region: (*r).to_owned(),
            parameter_groups: vec![
                ParameterGroup {
                    name: "pg16-secure".into(),
                    kind: ParameterGroupKind::Instance,
                    family: Some("postgres16".into()),
                    parameters: [("rds.force_ssl".to_owned(), "1".to_owned())].into(),
                },
                ParameterGroup {
                    name: "aurora-pg16-secure".into(),
                    kind: ParameterGroupKind::Cluster,
                    family: Some("aurora-postgresql16".into()),
                    parameters: [("rds.force_ssl".to_owned(), "1".to_owned())].into(),
                },
            ],
            ..Region::default()
        })
        .collect();
    let mut facts = Vec::with_capacity(targets);
    for t in 0..targets {
        let r = t % REGIONS.len();
        let region = REGIONS[r];
        let host = format!(
            "c{}.{region}.rds.amazonaws.com",
            rng.resource_id(12).to_lowercase()
        );
        let n_users = share(users, targets, t);
        let is_cluster = t % 5 < 2;
        let (identifier, resource_id, kind) = if is_cluster {
            let identifier = format!("aurora-{t:04}");
            let resource_id = format!("cluster-{}", rng.resource_id(26));
            let members: Vec<String> = (1..=2).map(|m| format!("{identifier}-{m}")).collect();
            for (m, member) in members.iter().enumerate() {
                regions[r].db_instances.push(instance(
                    rng,
                    &id,
                    region,
                    member,
                    &host,
                    Some(&identifier),
                    m == 0,
                ));
            }
            regions[r].db_clusters.push(DbCluster {
                identifier: identifier.clone(),
                resource_id: resource_id.clone(),
                arn: format!("arn:aws:rds:{region}:{id}:cluster:{identifier}"),
                engine: "aurora-postgresql".into(),
                engine_version: Some("16.4".into()),
                members: members
                    .iter()
                    .enumerate()
                    .map(|(m, name)| ClusterMember {
                        instance_identifier: name.clone(),
                        is_writer: m == 0,
                    })
                    .collect(),
                endpoints: vec![
                    ClusterEndpoint {
                        kind: ClusterEndpointKind::Writer,
                        address: format!("{identifier}.cluster-{host}"),
                        port: 5432,
                        identifier: None,
                        members: vec![],
                    },
                    ClusterEndpoint {
                        kind: ClusterEndpointKind::Reader,
                        address: format!("{identifier}.cluster-ro-{host}"),
                        port: 5432,
                        identifier: None,
                        members: vec![],
                    },
                ],
                iam_auth_enabled: !rng.chance(2),
                pending_iam_auth_enabled: None,
                parameter_group: Some("aurora-pg16-secure".into()),
                enabled_log_exports: vec!["postgresql".into(), "iam-db-auth-error".into()],
                master_username: Some("admin_user".into()),
            });
            (identifier, resource_id, DbTargetKind::Cluster)
        } else {
            let identifier = format!("pg-{t:04}");
            let inst = instance(rng, &id, region, &identifier, &host, None, true);
            let resource_id = inst.resource_id.clone();
            regions[r].db_instances.push(inst);
            (identifier, resource_id, DbTargetKind::Instance)
        };
        let user_names: Vec<String> = (0..n_users).map(|u| format!("app_{t:04}_{u:03}")).collect();
        let mut roles = vec![
            PgRole {
                name: "rds_iam".into(),
                can_login: false,
                member_of: vec![],
                rds_iam: Membership::No,
                superuser_like: false,
                rds_ad: Membership::No,
                has_password: false,
            },
            PgRole {
                name: "admin_user".into(),
                can_login: true,
                member_of: vec!["rds_superuser".into()],
                rds_iam: Membership::No,
                superuser_like: true,
                rds_ad: Membership::No,
                has_password: true,
            },
        ];
        roles.extend(user_names.iter().map(|name| PgRole {
            name: name.clone(),
            can_login: !rng.chance(1),
            member_of: vec!["rds_iam".into()],
            rds_iam: if rng.chance(3) {
                Membership::No
            } else {
                Membership::Direct
            },
            superuser_like: rng.chance(1),
            rds_ad: Membership::No,
            has_password: false,
        }));
        databases.push(Database {
            target: DbTarget {
                account: id.clone(),
                region: region.into(),
                kind,
                identifier: identifier.clone(),
            },
            master_username: "admin_user".into(),
            database_names: vec!["app".into(), "postgres".into()],
            roles,
        });
        facts.push(DbFacts {
            region,
            resource_id,
            identifier,
            users: user_names,
        });
    }
    if let Some(cluster) = regions[0].db_clusters.first().cloned() {
        let proxy_id = format!("prx-{:017x}", rng.next() >> 4);
        regions[0].db_proxies.push(DbProxy {
            name: format!("{}-proxy", cluster.identifier),
            arn: format!("arn:aws:rds:us-east-1:{id}:db-proxy:{proxy_id}"),
            resource_id: proxy_id,
            engine_family: "POSTGRESQL".into(),
            endpoint: Some(Endpoint {
                address: format!(
                    "{}-proxy.proxy-x.us-east-1.rds.amazonaws.com",
                    cluster.identifier
                ),
                port: 5432,
            }),
            require_tls: true,
            auth: vec![ProxyAuth {
                iam_auth: ProxyIamAuth::Required,
                auth_scheme: Some("SECRETS".into()),
                user_name: None,
                secret_arn: Some(format!(
                    "arn:aws:secretsmanager:us-east-1:{id}:secret:proxy-abc123"
                )),
            }],
            targets: vec![ProxyTarget {
                kind: ProxyTargetKind::Cluster,
                identifier: cluster.identifier,
            }],
            default_auth_scheme: None,
            role_arn: None,
        });
    }
    account.regions = regions;
    facts
}

fn instance(
    rng: &mut SplitMix,
    account: &str,
    region: &str,
    identifier: &str,
    host: &str,
    cluster: Option<&str>,
    _writer: bool,
) -> DbInstance {
    DbInstance {
        identifier: identifier.to_owned(),
        resource_id: format!("db-{}", rng.resource_id(26)),
        arn: format!("arn:aws:rds:{region}:{account}:db:{identifier}"),
        engine: if cluster.is_some() {
            "aurora-postgresql"
        } else {
            "postgres"
        }
        .into(),
        engine_version: Some("16.4".into()),
        endpoint: Some(Endpoint {
            address: format!("{identifier}.{host}"),
            port: 5432,
        }),
        iam_auth_enabled: cluster.is_some() || !rng.chance(2),
        pending_iam_auth_enabled: None,
        cluster_identifier: cluster.map(str::to_owned),
        parameter_group: Some("pg16-secure".into()),
        ca_certificate: Some(CaCertificate {
            identifier: "rds-ca-rsa2048-g1".into(),
            valid_till: Some("2027-10-01T00:00:00Z".into()),
        }),
        enabled_log_exports: if cluster.is_some() {
            vec![]
        } else {
            vec!["postgresql".into(), "iam-db-auth-error".into()]
        },
        master_username: cluster.is_none().then(|| "admin_user".into()),
    }
}

/// A `dbuser` ARN for `db`/`user`, with occasional planted drift.
fn connect_arn(rng: &mut SplitMix, account: &str, db: &DbFacts, user: &str) -> String {
    let good = format!(
        "arn:aws:rds-db:{}:{account}:dbuser:{}/{user}",
        db.region, db.resource_id
    );
    if !rng.chance(2) {
        return good;
    }
    match rng.below(4) {
        0 => good.replacen(":rds-db:", ":rds:", 1),
        1 => good.replacen(&db.resource_id, &db.identifier, 1),
        2 => good.replacen(&format!("/{user}"), &format!("/ {user}"), 1),
        _ => good.replacen(":dbuser:", ":", 1),
    }
}

fn generate_iam(
    rng: &mut SplitMix,
    account: &mut Account,
    dbs: &[DbFacts],
    roles: usize,
    policies: usize,
) {
    let id = account.account_id.clone();
    for p in 0..policies {
        let name = format!("policy-{p:05}");
        let document: Value = if p % 3 == 0 && !dbs.is_empty() {
            let db = &dbs[rng.below(dbs.len())];
            let mut resources = Vec::new();
            for _ in 0..1 + rng.below(3) {
                if let Some(user) = db.users.get(rng.below(db.users.len())) {
                    resources.push(connect_arn(rng, &id, db, user));
                }
            }
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "DbConnect", "Effect": "Allow", "Action": "rds-db:connect", "Resource": resources}]})
        } else {
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [format!("arn:aws:s3:::bucket-{id}-{p}"), format!("arn:aws:s3:::bucket-{id}-{p}/*")]},
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": format!("arn:aws:sqs:us-east-1:{id}:queue-{p}")}]})
        };
        account.iam.managed_policies.push(ManagedPolicy {
            arn: format!("arn:aws:iam::{id}:policy/{name}"),
            name,
            path: "/".into(),
            default_version_id: Some("v1".into()),
            document: document.into(),
        });
    }
    let n_policies = account.iam.managed_policies.len();
    for r in 0..roles {
        let name = format!("role-{r:05}");
        let attached: Vec<String> = (0..1 + rng.below(5))
            .filter(|_| n_policies > 0)
            .map(|_| {
                account.iam.managed_policies[rng.below(n_policies)]
                    .arn
                    .clone()
            })
            .collect();
        let trust = if rng.chance(10) {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{}:role/ops", account_id(rng.below(500)))}, "Action": "sts:AssumeRole"}]})
        } else {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        };
        let mut tags = rdsiam::inventory::Tags::new();
        if !rng.chance(5) {
            tags.insert("db-access".into(), "app".into());
        }
        account.iam.roles.push(IamRole {
            arn: format!("arn:aws:iam::{id}:role/{name}"),
            name,
            path: "/".into(),
            trust_policy: trust.into(),
            permissions_boundary: None,
            tags,
            attached_policies: attached,
            inline_policies: vec![],
            last_used: None,
        });
    }
}

fn generate_activity(rng: &mut SplitMix, activity: &mut Vec<AssumeRoleEvent>, account: &Account) {
    for e in 0..10.min(account.iam.roles.len()) {
        let role = &account.iam.roles[rng.below(account.iam.roles.len())];
        activity.push(AssumeRoleEvent {
            event_time: format!("2026-11-{:02}T{:02}:00:00Z", 1 + e, rng.below(24)),
            event_id: format!("{:016x}-{e}", rng.next()),
            shared_event_id: None,
            source_account: Some(account.account_id.clone()),
            principal_arn: Some(format!(
                "arn:aws:sts::{}:assumed-role/ops/session",
                account.account_id
            )),
            principal_type: Some(rdsiam::inventory::activity::PrincipalType::AssumedRole),
            role_arn: role.arn.clone(),
            role_session_name: Some("session".into()),
            source_ip: Some(format!("10.0.{}.{}", rng.below(255), rng.below(255))),
            user_agent: Some("aws-sdk-rust/1.0".into()),
            error_code: rng.chance(3).then(|| "AccessDenied".into()),
            recipient_account: Some(account.account_id.clone()),
        });
    }
}
