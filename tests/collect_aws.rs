//! Live collection against moto in server mode (TESTING.md §1): a single account, a
//! three-account organization (OUs, SCPs, the cross-account monitoring setup), and faults
//! injected by a proxy (AccessDenied, throttling, a role that cannot be assumed). Each test
//! runs its own moto server; moto missing is a failure, never a skip.

mod support;

use std::path::Path;

use assert_cmd::Command;
use rdsiam::inventory::{Inventory, snapshot};
use serde_json::Value;
use support::fault_proxy::{Canned, Fault, FaultProxy};
use support::moto::{self, MotoServer};

const REGION: &str = "us-east-1";
/// The regions the seeds use (one PostgreSQL instance per region: moto gives every instance
/// the same DbiResourceId, and two in one region make an invalid snapshot).
const REGIONS: &str = "us-east-1,us-west-2,eu-west-1";

fn rdsiam(endpoint: &str) -> Command {
    let mut cmd = support::cli::rdsiam();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.envs(moto::env_for(endpoint));
    // moto answers some RDS calls with 500; retrying them only slows the tests.
    cmd.env("AWS_MAX_ATTEMPTS", "1");
    cmd
}

fn collect(endpoint: &str, dir: &Path, extra: &[&str]) -> Inventory {
    let out = dir.join("snapshot.json");
    let result = rdsiam(endpoint)
        .args(["collect", "--regions", REGIONS, "--output"])
        .arg(&out)
        .args(extra)
        .output()
        .expect("run rdsiam collect");
    assert!(
        result.status.success(),
        "rdsiam collect failed ({:?}):\n{}",
        result.status,
        String::from_utf8_lossy(&result.stderr)
    );
    snapshot::load(&out).expect("snapshot loads")
}

fn findings(report: &Value, rule: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["resource"]["arn"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn gap<'a>(inv: &'a Inventory, account: &str, source: &str) -> Option<&'a rdsiam::inventory::Gap> {
    inv.coverage
        .iter()
        .find(|g| g.account.as_deref() == Some(account) && g.source == source)
}

#[test]
fn single_account_inventory_and_findings() {
    let server = MotoServer::start().expect("moto server");
    let seeded = server.seed("single", &[]).expect("seed");
    let dir = tempfile::tempdir().unwrap();
    let inv = collect(&server.endpoint(), dir.path(), &[]);

    assert_eq!(inv.accounts.len(), 1);
    let account = &inv.accounts[0];
    assert_eq!(account.account_id, moto::DEFAULT_ACCOUNT);
    let names: Vec<&str> = account.regions.iter().map(|r| r.region.as_str()).collect();
    assert_eq!(
        names,
        ["us-east-1", "us-west-2", "eu-west-1"],
        "regions in the order given"
    );
    let (east, west, eu) = (
        &account.regions[0],
        &account.regions[1],
        &account.regions[2],
    );
    let orders = east
        .db_instances
        .iter()
        .find(|i| i.identifier == "orders-db")
        .expect("orders-db");
    assert!(orders.iam_auth_enabled);
    assert_eq!(orders.engine, "postgres");
    assert_eq!(orders.parameter_group.as_deref(), Some("orders-pg16"));
    assert_eq!(
        orders.resource_id,
        seeded["orders_db"]["resource_id"].as_str().unwrap()
    );
    assert_eq!(
        east.db_instances.len(),
        1,
        "MySQL is not collected: {:?}",
        east.db_instances
    );
    assert_eq!(eu.db_instances.len(), 1);
    assert!(
        !eu.db_instances[0].iam_auth_enabled,
        "legacy-db has IAM auth off"
    );
    let member = &west.db_instances[0];
    assert_eq!(member.identifier, "west-aurora-1");
    assert_eq!(member.cluster_identifier.as_deref(), Some("west-aurora"));
    let west_cluster = &west.db_clusters[0];
    assert_eq!(west_cluster.members.len(), 1);
    assert_eq!(west_cluster.members[0].instance_identifier, "west-aurora-1");

    let cluster = |id: &str| east.db_clusters.iter().find(|c| c.identifier == id);
    let reports = cluster("reports-aurora").expect("reports-aurora");
    assert!(reports.iam_auth_enabled);
    assert_eq!(
        reports.resource_id,
        seeded["reports_cluster"]["resource_id"].as_str().unwrap()
    );
    assert!(
        reports
            .endpoints
            .iter()
            .any(|e| e.kind == rdsiam::inventory::ClusterEndpointKind::Writer)
    );
    assert!(
        reports
            .endpoints
            .iter()
            .any(|e| e.kind == rdsiam::inventory::ClusterEndpointKind::Reader)
    );
    assert!(
        !cluster("batch-aurora")
            .expect("batch-aurora")
            .iam_auth_enabled
    );

    let proxy = &east.db_proxies[0];
    assert_eq!(proxy.name, "orders-proxy");
    assert_eq!(proxy.arn, seeded["proxy"]["arn"].as_str().unwrap());
    assert!(
        proxy.resource_id.starts_with("prx-"),
        "{}",
        proxy.resource_id
    );
    assert!(proxy.require_tls);
    assert_eq!(
        proxy.auth[0].iam_auth,
        rdsiam::inventory::ProxyIamAuth::Required
    );
    assert_eq!(proxy.targets.len(), 1);
    assert_eq!(proxy.targets[0].identifier, "orders-db");
    assert_eq!(
        proxy.targets[0].kind,
        rdsiam::inventory::ProxyTargetKind::Instance
    );

    let group = east
        .parameter_groups
        .iter()
        .find(|g| g.name == "orders-pg16")
        .expect("parameter group in use collected");
    assert_eq!(group.parameter("rds.force_ssl"), Some("0"));

    let role = account
        .iam
        .roles
        .iter()
        .find(|r| r.name == "orders-app-role")
        .expect("role");
    assert_eq!(
        role.attached_policies,
        vec![seeded["managed_policy"].as_str().unwrap().to_owned()]
    );
    assert_eq!(
        role.trust_policy.to_value()["Statement"][0]["Principal"]["Service"],
        "ecs-tasks.amazonaws.com"
    );
    assert_eq!(role.tags.get("team").map(String::as_str), Some("orders"));
    let reports_role = account
        .iam
        .roles
        .iter()
        .find(|r| r.name == "reports-role")
        .unwrap();
    assert_eq!(reports_role.inline_policies[0].name, "reports-connect");
    assert_eq!(
        reports_role.inline_policies[0].document.to_value()["Statement"][0]["Action"],
        "rds-db:connect"
    );
    let policy = account
        .iam
        .managed_policies
        .iter()
        .find(|p| p.name == "orders-db-connect")
        .expect("customer managed policy with a name derived from the ARN");
    assert!(policy.document.to_value()["Statement"][0]["Resource"].is_array());
    let alice = account
        .iam
        .users
        .iter()
        .find(|u| u.name == "alice")
        .expect("user");
    assert_eq!(alice.groups, vec!["dbas".to_owned()]);
    let dbas = account
        .iam
        .groups
        .iter()
        .find(|g| g.name == "dbas")
        .expect("group");
    assert_eq!(dbas.inline_policies.len(), 1);

    // moto does not implement these: each is a gap naming the API and the permission, and
    // everything else was still collected.
    for source in ["rds:DescribeDBClusterEndpoints", "rds:DescribeCertificates"] {
        let gap = gap(&inv, moto::DEFAULT_ACCOUNT, source)
            .unwrap_or_else(|| panic!("gap for {source}: {:#?}", inv.coverage));
        assert_eq!(gap.error_code, "HTTP500");
        assert_eq!(gap.fix_permission.as_deref(), Some(source));
    }
    assert!(
        inv.coverage.iter().all(|g| !g.source.starts_with("iam:")),
        "IAM fully collected: {:#?}",
        inv.coverage
    );

    // The same findings from the snapshot and from a live audit.
    let snapshot_report = dir.path().join("from-snapshot.json");
    rdsiam(&server.endpoint())
        .args([
            "audit",
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--snapshot",
        ])
        .arg(dir.path().join("snapshot.json"))
        .arg("--output")
        .arg(&snapshot_report)
        .assert()
        .code(predicates::ord::le(1));
    let live_report = dir.path().join("live.json");
    rdsiam(&server.endpoint())
        .args([
            "audit",
            "--regions",
            REGIONS,
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--output",
        ])
        .arg(&live_report)
        .assert()
        .code(predicates::ord::le(1));
    let read = |p: &Path| -> Value { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };
    let (from_snapshot, live) = (read(&snapshot_report), read(&live_report));
    assert_eq!(
        from_snapshot["findings"].as_array().unwrap().len(),
        live["findings"].as_array().unwrap().len()
    );
    let report = live;
    let disabled = findings(&report, "iam-auth-disabled");
    assert!(
        disabled
            .iter()
            .any(|a| a.ends_with(":cluster:batch-aurora")),
        "{disabled:?}"
    );
    assert!(
        !disabled.iter().any(|a| a.ends_with(":db:orders-db")),
        "{disabled:?}"
    );
    let force_ssl = findings(&report, "force-ssl-off");
    assert!(
        force_ssl.iter().any(|a| a.ends_with(":db:orders-db")),
        "{force_ssl:?}"
    );
    let drift = findings(&report, "arn-db-identifier-not-resource-id");
    assert!(
        drift
            .iter()
            .any(|a| a.ends_with(":policy/orders-db-connect")),
        "{drift:?}"
    );
    // Every other kind of ARN drift, collected from moto and found by its rule.
    for rule in [
        "arn-missing-dbuser",
        "arn-wrong-service",
        "arn-user-name-whitespace-or-case",
        "arn-resource-id-dangling",
        "arn-overbroad-wildcard",
        "action-misspelt",
        "condition-key-never-present",
    ] {
        let found = findings(&report, rule);
        assert!(
            found.iter().any(|a| a.ends_with(":policy/legacy-db-drift")),
            "{rule} did not fire on the collected legacy-db-drift policy: {found:?}"
        );
    }
    assert!(
        report["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["source"] == "rds:DescribeCertificates")
    );
}

#[test]
fn three_account_organization() {
    let server = MotoServer::start().expect("moto server");
    let seeded = server.seed("org", &[]).expect("seed");
    let s = |k: &str| seeded[k].as_str().unwrap().to_owned();
    let (mgmt, db, sandbox) = (s("management"), s("db_account"), s("sandbox"));
    let dir = tempfile::tempdir().unwrap();
    let inv = collect(
        &server.endpoint(),
        dir.path(),
        &[
            "--org",
            "--assume-role-name",
            "OrganizationAccountAccessRole",
        ],
    );

    let org = inv.organization.as_ref().expect("organization collected");
    assert_eq!(org.management_account_id, mgmt);
    assert_eq!(org.roots.len(), 1);
    assert_eq!(org.accounts.len(), 3);
    let ou = |id: &str| {
        org.organizational_units
            .iter()
            .find(|o| o.id == id)
            .expect("OU")
    };
    assert_eq!(ou(&s("workloads_ou")).parent_id, s("root"));
    assert_eq!(ou(&s("prod_ou")).parent_id, s("workloads_ou"));
    assert_eq!(
        org.ancestry(&db).unwrap(),
        vec![s("root").as_str(), &s("workloads_ou"), &s("prod_ou"), &db]
    );
    let scp = org.policies.iter().find(|p| p.id == s("scp")).expect("SCP");
    assert_eq!(scp.targets, vec![s("prod_ou")]);
    assert_eq!(
        scp.document.to_value()["Statement"][0]["Condition"]["Null"]["aws:PrincipalTag/db-access"],
        "true"
    );
    assert!(
        org.policies
            .iter()
            .any(|p| p.aws_managed && p.name == "FullAWSAccess")
    );

    let mut ids: Vec<&str> = inv.accounts.iter().map(|a| a.account_id.as_str()).collect();
    ids.sort();
    let mut expected = vec![mgmt.as_str(), db.as_str(), sandbox.as_str()];
    expected.sort();
    assert_eq!(ids, expected, "every ACTIVE account collected");
    let account = |id: &str| inv.accounts.iter().find(|a| a.account_id == id).unwrap();
    assert_eq!(account(&db).name.as_deref(), Some("db-prod"));
    let monitor = account(&db)
        .iam
        .roles
        .iter()
        .find(|r| r.name == "pg-monitor-role")
        .expect("pg-monitor-role");
    assert_eq!(
        monitor.trust_policy.to_value()["Statement"][0]["Principal"]["AWS"],
        s("pg_mgmt_role")
    );
    let db_regions = &account(&db).regions;
    assert_eq!(db_regions[0].db_instances[0].identifier, "prod-pg");
    assert_eq!(db_regions[0].db_clusters[0].identifier, "prod-aurora");
    assert_eq!(db_regions[1].db_instances[0].identifier, "prod-noiam");
    assert!(
        account(&mgmt)
            .iam
            .roles
            .iter()
            .any(|r| r.name == "pg-mgmt-role")
    );
    assert_eq!(account(&sandbox).regions[0].db_instances.len(), 1);

    // Live audit, as in the README.
    let report_path = dir.path().join("report.json");
    rdsiam(&server.endpoint())
        .args([
            "audit",
            "--org",
            "--assume-role-name",
            "OrganizationAccountAccessRole",
            "--regions",
            REGIONS,
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--output",
        ])
        .arg(&report_path)
        .assert()
        .code(predicates::ord::le(1));
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    let disabled = findings(&report, "iam-auth-disabled");
    assert!(
        disabled.iter().any(|a| a.ends_with(":db:prod-noiam")),
        "{disabled:?}"
    );
    assert!(
        disabled.iter().any(|a| a.ends_with(":db:sandbox-pg")),
        "{disabled:?}"
    );
    let mismatch = findings(&report, "arn-region-account-mismatch");
    assert!(
        mismatch
            .iter()
            .any(|a| a.contains(&format!("{db}:role/etl-role"))),
        "{mismatch:?}"
    );
    let blocked = findings(&report, "grant-blocked-by-scp");
    assert!(
        blocked.iter().any(|a| a.contains("batch-role")),
        "untagged role blocked by the SCP: {blocked:?}"
    );
    assert!(
        !blocked.iter().any(|a| a.contains("pg-monitor-role")),
        "tagged monitor role is not blocked: {blocked:?}"
    );
    // The cross-account monitoring path: pg-mgmt-role -> pg-monitor-role -> pgmonitor.
    let cross_account = report["access"].as_array().unwrap().iter().find(|entry| {
        entry["principal"] == s("pg_mgmt_role")
            && entry["db_user"] == "pgmonitor"
            && entry["db"].as_str().unwrap_or("").ends_with(":db:prod-pg")
    });
    let cross_account =
        cross_account.unwrap_or_else(|| panic!("no pg-mgmt-role path in {:#}", report["access"]));
    assert_eq!(cross_account["decision"], "allowed");
    assert_eq!(
        cross_account["via"],
        serde_json::json!([s("pg_monitor_role")])
    );
}

#[test]
fn faults_become_gaps_and_healthy_accounts_are_complete() {
    let server = MotoServer::start().expect("moto server");
    let seeded = server.seed("org", &[]).expect("seed");
    let s = |k: &str| seeded[k].as_str().unwrap().to_owned();
    let (mgmt, db, sandbox) = (s("management"), s("db_account"), s("sandbox"));
    let proxy = FaultProxy::start(
        server.port,
        moto::ACCESS_KEY,
        moto::DEFAULT_ACCOUNT,
        vec![
            Fault::new(Some(&sandbox), "AssumeRole", 403, "AccessDenied"),
            Fault::new(Some(&db), "DescribeDBProxies", 400, "ThrottlingException"),
            Fault::new(Some(&mgmt), "DescribeDBInstances", 403, "AccessDenied"),
            Fault::new(
                None,
                "ListTargetsForPolicy",
                400,
                "TooManyRequestsException",
            ),
        ],
    )
    .expect("proxy");
    let dir = tempfile::tempdir().unwrap();
    let inv = collect(
        &proxy.endpoint(),
        dir.path(),
        &[
            "--org",
            "--assume-role-name",
            "OrganizationAccountAccessRole",
            "--max-attempts",
            "2",
        ],
    );

    let assume = gap(&inv, &sandbox, "sts:AssumeRole").expect("AssumeRole gap");
    assert_eq!(assume.error_code, "AccessDenied");
    assert!(assume.fix_permission.as_deref().unwrap().contains(&format!(
        "arn:aws:iam::{sandbox}:role/OrganizationAccountAccessRole"
    )));
    assert_eq!(
        gap(&inv, &sandbox, "rds:DescribeDBInstances")
            .unwrap()
            .error_code,
        "AccountNotCollected"
    );
    assert!(inv.accounts.iter().all(|a| a.account_id != sandbox));

    let throttled: Vec<_> = inv
        .coverage
        .iter()
        .filter(|g| {
            g.account.as_deref() == Some(db.as_str()) && g.source == "rds:DescribeDBProxies"
        })
        .collect();
    assert_eq!(throttled.len(), 3, "one gap per region: {throttled:#?}");
    let throttled = throttled[0];
    assert_eq!(throttled.error_code, "ThrottlingException");
    assert_eq!(
        throttled.fix_permission.as_deref(),
        Some("rds:DescribeDBProxies")
    );
    let attempts = proxy
        .seen()
        .iter()
        .filter(|(a, op, _)| *a == db && op == "DescribeDBProxies")
        .count();
    assert_eq!(
        attempts, 6,
        "--max-attempts 2: one retry of the throttled call, in 3 regions"
    );

    let denied = gap(&inv, &mgmt, "rds:DescribeDBInstances").expect("AccessDenied gap");
    assert!(denied.region.is_some());
    assert_eq!(denied.error_code, "AccessDenied");
    assert_eq!(
        denied.fix_permission.as_deref(),
        Some("rds:DescribeDBInstances")
    );
    assert!(
        inv.coverage
            .iter()
            .any(|g| g.source == "organizations:ListTargetsForPolicy")
    );

    // Healthy parts are complete: the DB account's instances and clusters, every IAM.
    let account = |id: &str| {
        inv.accounts
            .iter()
            .find(|a| a.account_id == id)
            .expect("account collected")
    };
    let db_regions = &account(&db).regions;
    assert_eq!(db_regions[0].db_instances[0].identifier, "prod-pg");
    assert_eq!(db_regions[0].db_clusters[0].identifier, "prod-aurora");
    assert_eq!(db_regions[1].db_instances[0].identifier, "prod-noiam");
    assert!(
        account(&db)
            .iam
            .roles
            .iter()
            .any(|r| r.name == "pg-monitor-role")
    );
    assert!(
        account(&mgmt)
            .iam
            .roles
            .iter()
            .any(|r| r.name == "pg-mgmt-role")
    );
    assert_eq!(inv.organization.as_ref().unwrap().accounts.len(), 3);
}

#[test]
fn nothing_collected_exits_2() {
    let server = MotoServer::start().expect("moto server");
    let proxy = FaultProxy::start(
        server.port,
        moto::ACCESS_KEY,
        moto::DEFAULT_ACCOUNT,
        [
            "DescribeOrganization",
            "GetAccountAuthorizationDetails",
            "DescribeDBInstances",
            "DescribeDBClusters",
            "DescribeDBClusterEndpoints",
            "DescribeDBProxies",
            "DescribeCertificates",
        ]
        .iter()
        .map(|op| Fault::new(None, op, 403, "AccessDenied"))
        .collect(),
    )
    .expect("proxy");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.json");
    let result = rdsiam(&proxy.endpoint())
        .args(["collect", "--region", REGION, "--output"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("nothing could be collected"), "{stderr}");
    assert!(
        stderr.contains("iam:GetAccountAuthorizationDetails: AccessDenied"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn no_credentials_is_a_clear_error() {
    let server = MotoServer::start().expect("moto server");
    let proxy = FaultProxy::start(
        server.port,
        moto::ACCESS_KEY,
        moto::DEFAULT_ACCOUNT,
        vec![Fault::new(
            None,
            "GetCallerIdentity",
            403,
            "InvalidClientTokenId",
        )],
    )
    .expect("proxy");
    let dir = tempfile::tempdir().unwrap();
    let result = rdsiam(&proxy.endpoint())
        .args(["collect", "--region", REGION, "--output"])
        .arg(dir.path().join("s.json"))
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("sts:GetCallerIdentity (InvalidClientTokenId)"),
        "{stderr}"
    );
}

#[test]
fn live_flag_errors_are_usage_errors() {
    let unused = "http://127.0.0.1:9";
    let cases: &[(&[&str], &str)] = &[
        (
            &["collect", "--org", "--output", "x.json"],
            "--assume-role-name",
        ),
        (
            &[
                "collect",
                "--accounts",
                "123",
                "--assume-role-name",
                "r",
                "--output",
                "x.json",
            ],
            "12-digit",
        ),
        (
            &[
                "collect",
                "--org",
                "--accounts",
                "111111111111",
                "--assume-role-name",
                "r",
                "--output",
                "x.json",
            ],
            "cannot be used with",
        ),
        (
            &["collect", "--concurrency", "0", "--output", "x.json"],
            "--concurrency",
        ),
        (
            &[
                "audit",
                "--snapshot",
                "fixtures/demo",
                "--region",
                "us-east-1",
            ],
            "do not apply",
        ),
    ];
    for (args, expected) in cases {
        let result = rdsiam(unused).args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

/// `--profile` with `role_arn` + `source_profile`: the SDK's own profile chain assumes the
/// role, and the collected account is the role's.
#[test]
fn profile_with_role_arn_and_source_profile() {
    let server = MotoServer::start().expect("moto server");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile base]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = {REGION}\n\n\
             [profile audit]\nrole_arn = arn:aws:iam::111122223333:role/rdsiam-audit\nsource_profile = base\nregion = {REGION}\n",
            moto::ACCESS_KEY,
            moto::SECRET_KEY
        ),
    )
    .unwrap();
    let out = dir.path().join("snapshot.json.gz");
    let result = rdsiam(&server.endpoint())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", &config)
        .args(["collect", "--profile", "audit", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let inv = snapshot::load(&out).expect("gzip snapshot loads");
    let ids: Vec<&str> = inv.accounts.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(
        ids,
        ["111122223333"],
        "the profile's role account, region from the profile"
    );
    assert_eq!(inv.accounts[0].regions[0].region, REGION);
}

/// IAM the way AWS answers it: two pages (`IsTruncated`/`Marker`), URL-encoded documents,
/// several policy versions, AWS-managed policies that nothing attaches. moto neither
/// paginates nor encodes every document, so these pages are served by the proxy.
#[test]
fn iam_pages_and_url_encoded_documents_as_aws_sends_them() {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let enc = |json: &str| utf8_percent_encode(json, NON_ALPHANUMERIC).to_string();
    let trust = enc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    );
    let connect = |user: &str| {
        enc(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/{user}"}}]}}"#
        ))
    };
    let account = moto::DEFAULT_ACCOUNT;
    let page = |truncated: bool,
                marker: &str,
                users: String,
                groups: String,
                roles: String,
                policies: String| {
        format!(
            "<GetAccountAuthorizationDetailsResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <GetAccountAuthorizationDetailsResult><IsTruncated>{truncated}</IsTruncated>{marker}\
             <UserDetailList>{users}</UserDetailList><GroupDetailList>{groups}</GroupDetailList>\
             <RoleDetailList>{roles}</RoleDetailList><Policies>{policies}</Policies>\
             </GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
             </GetAccountAuthorizationDetailsResponse>"
        )
    };
    let role = |name: &str, extra: &str| {
        format!(
            "<member><Path>/</Path><RoleName>{name}</RoleName><RoleId>AROA{name}</RoleId>\
             <Arn>arn:aws:iam::{account}:role/{name}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>\
             <AssumeRolePolicyDocument>{trust}</AssumeRolePolicyDocument>\
             <InstanceProfileList/><RolePolicyList><member><PolicyName>connect</PolicyName>\
             <PolicyDocument>{}</PolicyDocument></member></RolePolicyList>{extra}</member>",
            connect(name)
        )
    };
    let first = page(
        true,
        "<Marker>page-2</Marker>",
        format!(
            "<member><Path>/</Path><UserName>alice</UserName><UserId>AIDA1</UserId>\
             <Arn>arn:aws:iam::{account}:user/alice</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>\
             <UserPolicyList/><GroupList><member>dbas</member></GroupList><AttachedManagedPolicies/>\
             <Tags><member><Key>db-access</Key><Value>dba</Value></member></Tags></member>"
        ),
        String::new(),
        role(
            "app-role",
            &format!(
                "<AttachedManagedPolicies><member><PolicyName>db-connect</PolicyName>\
                 <PolicyArn>arn:aws:iam::{account}:policy/db-connect</PolicyArn></member>\
                 <member><PolicyName>ReadOnlyAccess</PolicyName><PolicyArn>arn:aws:iam::aws:policy/ReadOnlyAccess</PolicyArn></member>\
                 </AttachedManagedPolicies>\
                 <PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType>\
                 <PermissionsBoundaryArn>arn:aws:iam::{account}:policy/boundary</PermissionsBoundaryArn></PermissionsBoundary>\
                 <Tags><member><Key>db-access</Key><Value>app</Value></member></Tags>\
                 <RoleLastUsed><LastUsedDate>2026-11-01T10:00:00Z</LastUsedDate><Region>us-east-1</Region></RoleLastUsed>"
            ),
        ),
        format!(
            "<member><PolicyName>db-connect</PolicyName><PolicyId>ANPA1</PolicyId>\
             <Arn>arn:aws:iam::{account}:policy/db-connect</Arn><Path>/</Path><DefaultVersionId>v2</DefaultVersionId>\
             <AttachmentCount>1</AttachmentCount><IsAttachable>true</IsAttachable><PolicyVersionList>\
             <member><Document>{}</Document><VersionId>v1</VersionId><IsDefaultVersion>false</IsDefaultVersion></member>\
             <member><Document>{}</Document><VersionId>v2</VersionId><IsDefaultVersion>true</IsDefaultVersion></member>\
             </PolicyVersionList></member>\
             <member><PolicyName>boundary</PolicyName><PolicyId>ANPA4</PolicyId>\
             <Arn>arn:aws:iam::{account}:policy/boundary</Arn><Path>/</Path><DefaultVersionId>v1</DefaultVersionId>\
             <PolicyVersionList><member><Document>{}</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion></member></PolicyVersionList></member>\
             <member><PolicyName>ReadOnlyAccess</PolicyName><PolicyId>ANPA2</PolicyId>\
             <Arn>arn:aws:iam::aws:policy/ReadOnlyAccess</Arn><Path>/</Path><DefaultVersionId>v1</DefaultVersionId>\
             <PolicyVersionList><member><Document>{}</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion></member></PolicyVersionList></member>\
             <member><PolicyName>AdministratorAccess</PolicyName><PolicyId>ANPA3</PolicyId>\
             <Arn>arn:aws:iam::aws:policy/AdministratorAccess</Arn><Path>/</Path><DefaultVersionId>v1</DefaultVersionId>\
             <PolicyVersionList><member><Document>{}</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion></member></PolicyVersionList></member>",
            connect("old_user"),
            connect("app_user"),
            enc(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["rds-db:connect","s3:GetObject"],"Resource":"*"}]}"#
            ),
            enc(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds:Describe*","Resource":"*"}]}"#
            ),
            enc(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
            ),
        ),
    );
    let second = page(
        false,
        "",
        String::new(),
        format!(
            "<member><Path>/</Path><GroupName>dbas</GroupName><GroupId>AGPA1</GroupId>\
             <Arn>arn:aws:iam::{account}:group/dbas</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>\
             <GroupPolicyList><member><PolicyName>dba</PolicyName><PolicyDocument>{}</PolicyDocument></member></GroupPolicyList>\
             <AttachedManagedPolicies/></member>",
            connect("dba")
        ),
        role("report-role", ""),
        String::new(),
    );

    let server = MotoServer::start().expect("moto server");
    let proxy =
        FaultProxy::start(server.port, moto::ACCESS_KEY, account, Vec::new()).expect("proxy");
    proxy.add_canned(vec![
        Canned {
            operation: "GetAccountAuthorizationDetails".into(),
            request_contains: "Marker=page-2".into(),
            body: second,
        },
        // The first request must ask for IAM's largest page.
        Canned {
            operation: "GetAccountAuthorizationDetails".into(),
            request_contains: "MaxItems=1000".into(),
            body: first,
        },
    ]);
    let dir = tempfile::tempdir().unwrap();
    let inv = collect(&proxy.endpoint(), dir.path(), &[]);

    let calls: Vec<String> = proxy
        .bodies()
        .into_iter()
        .filter(|(op, _)| op == "GetAccountAuthorizationDetails")
        .map(|(_, body)| body)
        .collect();
    assert_eq!(calls.len(), 2, "two pages: {calls:?}");
    assert!(calls[1].contains("Marker=page-2"));
    let iam = &inv.accounts[0].iam;
    let names: Vec<&str> = iam.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["app-role", "report-role"], "roles of both pages");
    let app = &iam.roles[0];
    assert_eq!(
        app.trust_policy.to_value()["Statement"][0]["Principal"]["Service"],
        "ecs-tasks.amazonaws.com"
    );
    assert_eq!(
        app.inline_policies[0].document.to_value()["Statement"][0]["Resource"],
        "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/app-role"
    );
    assert_eq!(
        app.permissions_boundary.as_deref(),
        Some("arn:aws:iam::123456789012:policy/boundary")
    );
    assert_eq!(app.tags.get("db-access").map(String::as_str), Some("app"));
    let last_used = app.last_used.as_ref().expect("last used");
    assert_eq!(
        (last_used.date.as_str(), last_used.region.as_deref()),
        ("2026-11-01T10:00:00Z", Some("us-east-1"))
    );
    assert_eq!(iam.users[0].groups, ["dbas"]);
    assert_eq!(iam.groups[0].inline_policies[0].name, "dba");
    let managed: Vec<&str> = iam
        .managed_policies
        .iter()
        .map(|p| p.arn.as_str())
        .collect();
    assert_eq!(
        managed,
        [
            "arn:aws:iam::123456789012:policy/db-connect",
            "arn:aws:iam::123456789012:policy/boundary",
            "arn:aws:iam::aws:policy/ReadOnlyAccess"
        ],
        "customer policies and the AWS-managed ones in use (not AdministratorAccess)"
    );
    let db_connect = &iam.managed_policies[0];
    assert_eq!(db_connect.default_version_id.as_deref(), Some("v2"));
    assert!(
        db_connect.document.to_value()["Statement"][0]["Resource"]
            .as_str()
            .unwrap()
            .ends_with("/app_user"),
        "the default version's document, not v1's"
    );
    assert!(
        inv.coverage.iter().all(|g| !g.source.starts_with("iam:")),
        "{:#?}",
        inv.coverage
    );
}

/// DescribeDBInstances denied while clusters are readable: the clusters' member lists would
/// name instances the snapshot does not hold; they are left out with a gap and the snapshot
/// still loads (the `collect` helper loads and validates it).
#[test]
fn denied_instances_leave_a_loadable_snapshot() {
    let server = MotoServer::start().expect("moto server");
    server.seed("single", &[]).expect("seed");
    let proxy = FaultProxy::start(
        server.port,
        moto::ACCESS_KEY,
        moto::DEFAULT_ACCOUNT,
        vec![Fault::new(None, "DescribeDBInstances", 403, "AccessDenied")],
    )
    .expect("proxy");
    let dir = tempfile::tempdir().unwrap();
    let inv = collect(&proxy.endpoint(), dir.path(), &[]);
    let west = &inv.accounts[0].regions[1];
    assert_eq!(west.region, "us-west-2");
    assert!(west.db_instances.is_empty());
    assert_eq!(west.db_clusters[0].identifier, "west-aurora");
    assert!(west.db_clusters[0].members.is_empty());
    let reference = inv
        .coverage
        .iter()
        .find(|g| {
            g.error_code == "ReferenceNotCollected" && g.region.as_deref() == Some("us-west-2")
        })
        .unwrap_or_else(|| panic!("{:#?}", inv.coverage));
    assert!(
        reference
            .message
            .contains("member west-aurora-1 of cluster west-aurora")
    );
    let east = &inv.accounts[0].regions[0];
    assert!(
        east.db_proxies[0].targets.is_empty(),
        "the proxy's instance target was not collected"
    );
}
