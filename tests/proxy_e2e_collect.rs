//! RDS Proxy end-to-end IAM (`DefaultAuthScheme = IAM_AUTH`, issue #16 part 5) through the
//! real collector: the proxy, its role and its target are made in moto (server mode) through
//! the real RDS and IAM APIs, and `DescribeDBProxies` is answered with the XML AWS documents
//! (`DefaultAuthScheme` in `DBProxy`), served by the fault proxy as a canned answer.
//!
//! Why canned: moto 5.2 does not model `DefaultAuthScheme` (its `DBProxy` has no such field,
//! and `CreateDBProxy` ignores it), so a moto answer can never carry `IAM_AUTH`. Everything
//! else (the proxy's targets, the role and its policies, the instance) is moto's real answer.
//! The collector reads the field from the raw body (src/collect/aws/proxy_scheme.rs), the audit
//! turns it into the proxy-e2e-* findings. moto missing is a failure, never a skip.

mod support;

use std::process::Command as StdCommand;

use assert_cmd::Command;
use rdsiam::inventory::snapshot;
use serde_json::Value;
use support::fault_proxy::{Canned, FaultProxy};
use support::moto::{self, MotoServer};

const REGION: &str = "us-east-1";

/// moto: instance `appdb` (IAM on), role `proxy-role` (the proxy's, with no rds-db:connect),
/// role `app-role` allowed to connect *through the proxy* as `app_user`, and the proxy
/// `e2e-proxy` with `appdb` as its target. Prints the proxy's ARN.
const SEED: &str = r#"
import json, boto3
s = boto3.Session(region_name="us-east-1")
rds, iam, ec2 = s.client("rds"), s.client("iam"), s.client("ec2")
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=c, AvailabilityZone=z)["Subnet"]["SubnetId"]
           for c, z in [("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b")]]
rds.create_db_instance(DBInstanceIdentifier="appdb", DBInstanceClass="db.t3.micro",
    Engine="postgres", AllocatedStorage=20, MasterUsername="postgres",
    MasterUserPassword="password-123", EnableIAMDatabaseAuthentication=True)
trust = lambda svc: json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": svc}, "Action": "sts:AssumeRole"}]})
role = iam.create_role(RoleName="proxy-role", AssumeRolePolicyDocument=trust("rds.amazonaws.com"))["Role"]["Arn"]
iam.put_role_policy(RoleName="proxy-role", PolicyName="secrets", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
proxy = rds.create_db_proxy(DBProxyName="e2e-proxy", EngineFamily="POSTGRESQL", RoleArn=role,
    Auth=[{"AuthScheme": "SECRETS", "IAMAuth": "REQUIRED",
           "SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}],
    VpcSubnetIds=subnets, RequireTLS=True)["DBProxy"]
rds.register_db_proxy_targets(DBProxyName="e2e-proxy", DBInstanceIdentifiers=["appdb"])
prx = proxy["DBProxyArn"].rsplit(":", 1)[1]
iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"))
iam.put_role_policy(RoleName="app-role", PolicyName="connect", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rds-db:connect",
    "Resource": f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{prx}/app_user"}]}))
print(json.dumps({"proxy_arn": proxy["DBProxyArn"], "role_arn": role,
                  "endpoint": proxy.get("Endpoint", "")}))
"#;

/// A `DescribeDBProxies` answer in the shape AWS sends (API reference, DBProxy data type:
/// `DefaultAuthScheme` is `IAM_AUTH` or `NONE`; the query protocol lists `DBProxyList`
/// members as `<member>`, botocore's service model says so), for the proxy moto made.
fn described(proxy_arn: &str, role_arn: &str, endpoint: &str) -> String {
    format!(
        "<DescribeDBProxiesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\
         <DescribeDBProxiesResult><DBProxies><member>\
         <DBProxyName>e2e-proxy</DBProxyName><DBProxyArn>{proxy_arn}</DBProxyArn>\
         <Status>available</Status><EngineFamily>POSTGRESQL</EngineFamily>\
         <VpcId>vpc-0a1b2c3d</VpcId><VpcSubnetIds><member>subnet-0a1b2c3d</member><member>subnet-4e5f6a7b</member></VpcSubnetIds>\
         <Auth><member><AuthScheme>SECRETS</AuthScheme><IAMAuth>REQUIRED</IAMAuth>\
         <SecretArn>arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf</SecretArn></member></Auth>\
         <DefaultAuthScheme>IAM_AUTH</DefaultAuthScheme>\
         <RoleArn>{role_arn}</RoleArn><Endpoint>{endpoint}</Endpoint><RequireTLS>true</RequireTLS>\
         <IdleClientTimeout>1800</IdleClientTimeout><DebugLogging>false</DebugLogging>\
         <CreatedDate>2026-11-01T10:00:00Z</CreatedDate><UpdatedDate>2026-11-01T10:00:00Z</UpdatedDate>\
         </member></DBProxies></DescribeDBProxiesResult>\
         <ResponseMetadata><RequestId>5a8c3e1f-0000-4000-8000-000000000000</RequestId></ResponseMetadata>\
         </DescribeDBProxiesResponse>"
    )
}

fn rdsiam(endpoint: &str) -> Command {
    let mut cmd = support::cli::rdsiam();
    cmd.envs(moto::env_for(endpoint));
    cmd.env("AWS_MAX_ATTEMPTS", "1");
    cmd
}

#[test]
fn default_auth_scheme_iam_auth_is_collected_and_the_proxy_e2e_rules_fire() {
    let server = MotoServer::start().expect("moto server");
    let out = StdCommand::new(moto::repo().join(".venv/bin/python"))
        .args(["-c", SEED])
        .envs(server.env())
        .output()
        .expect("run the seed");
    assert!(
        out.status.success(),
        "seed failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seeded: Value = serde_json::from_slice(&out.stdout).expect("seed JSON");
    let text = |k: &str| seeded[k].as_str().unwrap_or_default().to_owned();

    let proxy = FaultProxy::start(server.port, moto::ACCESS_KEY, moto::DEFAULT_ACCOUNT, vec![])
        .expect("proxy");
    proxy.add_canned(vec![Canned {
        operation: "DescribeDBProxies".into(),
        request_contains: "Action=DescribeDBProxies".into(),
        body: described(&text("proxy_arn"), &text("role_arn"), &text("endpoint")),
    }]);

    let dir = tempfile::tempdir().unwrap();
    let snapshot_path = dir.path().join("snapshot.json");
    let result = rdsiam(&proxy.endpoint())
        .args(["collect", "--region", REGION, "--output"])
        .arg(&snapshot_path)
        .output()
        .expect("run rdsiam collect");
    assert!(
        result.status.success(),
        "collect failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        proxy
            .seen()
            .iter()
            .any(|(_, op, _)| op == "DescribeDBProxies"),
        "the collector asked for the proxies through the fault proxy"
    );
    let inv = snapshot::load(&snapshot_path).expect("snapshot loads");
    let region = &inv.accounts[0].regions[0];
    let collected = region
        .db_proxies
        .iter()
        .find(|p| p.name == "e2e-proxy")
        .expect("the proxy is collected");
    assert_eq!(collected.default_auth_scheme.as_deref(), Some("IAM_AUTH"));
    assert!(collected.end_to_end_iam());
    assert_eq!(
        collected.role_arn.as_deref(),
        Some(text("role_arn").as_str())
    );
    assert!(
        collected.targets.iter().any(|t| t.identifier == "appdb"),
        "targets from moto's real DescribeDBProxyTargets: {:?}",
        collected.targets
    );

    let report_path = dir.path().join("report.json");
    rdsiam(&proxy.endpoint())
        .args([
            "audit",
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--snapshot",
        ])
        .arg(&snapshot_path)
        .arg("--output")
        .arg(&report_path)
        .assert()
        .code(predicates::ord::le(1));
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    let findings: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "proxy-e2e-iam-role-cannot-connect")
        .collect();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let message = findings[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("e2e-proxy")
            && message.contains("proxy-role")
            && message.contains("appdb")
            && message.contains("app_user"),
        "{message}"
    );
    // Without `collect --db` the target's PostgreSQL roles are unknown: the rds_iam rule says
    // it was not evaluated instead of guessing.
    let not_evaluated = report["not_evaluated"].as_array().expect("not_evaluated");
    assert!(
        not_evaluated
            .iter()
            .any(|n| n["rule"] == "proxy-e2e-user-lacks-rds-iam"),
        "{not_evaluated:#?}"
    );
}
