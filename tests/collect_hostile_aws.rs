//! The collector against malformed and truncated AWS answers (tests/support/fault_proxy.rs in
//! front of moto): each damaged call is a coverage gap, the rest of the collection goes on,
//! and the run ends in bounded time. moto missing is a failure, never a skip.

mod support;

use std::time::{Duration, Instant};

use rdsiam::inventory::snapshot;
use support::fault_proxy::{FaultProxy, Mangle, Mangling};
use support::moto::{self, MotoServer};

#[test]
fn malformed_and_truncated_aws_answers_are_gaps_and_collection_goes_on() {
    let server = MotoServer::start().expect("moto server");
    server.seed("single", &[]).expect("seed");
    let proxy = FaultProxy::start(server.port, moto::ACCESS_KEY, moto::DEFAULT_ACCOUNT, vec![])
        .expect("proxy");
    proxy.add_mangles(vec![
        Mangle {
            operation: "DescribeDBProxies".into(),
            how: Mangling::Garbage,
        },
        Mangle {
            operation: "DescribeDBClusters".into(),
            how: Mangling::Truncated,
        },
    ]);
    // An unbalanced XML answer (`Mangling::MalformedXml`): unbalanced_xml_answer_is_a_gap_*.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("snapshot.json");
    let started = Instant::now();
    let result = support::cli::rdsiam()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(moto::env_for(&proxy.endpoint()))
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(["collect", "--regions", "us-east-1", "--output"])
        .arg(&out)
        .output()
        .expect("run rdsiam collect");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        result.status.success(),
        "collect failed ({:?}):\n{stderr}",
        result.status
    );
    assert!(
        elapsed < Duration::from_secs(60),
        "took {elapsed:?}:\n{stderr}"
    );
    let inv = snapshot::load(&out).expect("snapshot loads");
    let sources: Vec<&str> = inv.coverage.iter().map(|g| g.source.as_str()).collect();
    for damaged in ["rds:DescribeDBProxies", "rds:DescribeDBClusters"] {
        assert!(
            sources.contains(&damaged),
            "no gap for {damaged}: {sources:?}\n{stderr}"
        );
    }
    // The undamaged calls are complete.
    let region = &inv.accounts[0].regions[0];
    assert!(
        !region.db_instances.is_empty(),
        "instances were still collected"
    );
    assert!(
        !inv.accounts[0].iam.roles.is_empty(),
        "IAM was still collected"
    );
    assert!(
        proxy
            .seen()
            .iter()
            .any(|(_, op, _)| op == "DescribeDBProxies"),
        "the damaged call was made"
    );
}

/// An HTTP 200 answer whose XML is cut and unbalanced
/// (`<DescribeDBInstancesResponse><DescribeDBInstancesResult><broken`) used to be read by the
/// SDK as an empty list: no instances, no gap. It must be a gap naming the operation.
#[test]
fn unbalanced_xml_answer_is_a_gap_naming_the_operation_not_an_empty_list() {
    let server = MotoServer::start().expect("moto server");
    server.seed("single", &[]).expect("seed");
    let proxy = FaultProxy::start(server.port, moto::ACCESS_KEY, moto::DEFAULT_ACCOUNT, vec![])
        .expect("proxy");
    proxy.add_mangles(
        ["DescribeDBInstances", "DescribeDBProxies"]
            .into_iter()
            .map(|operation| Mangle {
                operation: operation.into(),
                how: Mangling::MalformedXml,
            })
            .collect(),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("snapshot.json");
    let result = support::cli::rdsiam()
        .envs(moto::env_for(&proxy.endpoint()))
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(["collect", "--regions", "us-east-1", "--output"])
        .arg(&out)
        .output()
        .expect("run rdsiam collect");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        result.status.success(),
        "collect failed ({:?}):\n{stderr}",
        result.status
    );
    let inv = snapshot::load(&out).expect("snapshot loads");
    for damaged in ["rds:DescribeDBInstances", "rds:DescribeDBProxies"] {
        let gap = inv
            .coverage
            .iter()
            .find(|g| g.source == damaged)
            .unwrap_or_else(|| panic!("no gap for {damaged}: {:?}\n{stderr}", inv.coverage));
        assert!(
            gap.message.contains("malformed XML answer"),
            "the gap says why: {gap:?}"
        );
        assert_eq!(gap.region.as_deref(), Some("us-east-1"), "{gap:?}");
    }
    assert!(
        proxy
            .seen()
            .iter()
            .any(|(_, op, _)| op == "DescribeDBInstances"),
        "the damaged call was made"
    );
    // The undamaged calls are complete.
    assert!(
        !inv.accounts[0].iam.roles.is_empty(),
        "IAM was still collected"
    );
}
