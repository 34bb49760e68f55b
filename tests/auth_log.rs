//! RDS's own verdict (issue #16) against moto in server mode: the `iam-db-auth-error` log and
//! the `IamDbAuthConnection*` metrics are seeded through the real CloudWatch Logs and
//! CloudWatch APIs (boto3, tests/support/seed_auth_log.py) with each documented line shape and
//! unknown lines; `rdsiam collect` reads them, the audit rules fire on them, and an
//! AccessDenied on `logs:FilterLogEvents` (fault proxy) is a gap while the audit goes on.
//! moto missing is a failure, never a skip.

mod support;

use std::path::Path;
use std::process::Command as StdCommand;

use assert_cmd::Command;
use rdsiam::inventory::{AuthLog, DbTargetKind, Inventory, snapshot};
use serde_json::Value;
use support::fault_proxy::{Fault, FaultProxy};
use support::moto::{self, MotoServer};

const REGION: &str = "us-east-1";

fn rdsiam(endpoint: &str) -> Command {
    let mut cmd = support::cli::rdsiam();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.envs(moto::env_for(endpoint));
    cmd.env("AWS_MAX_ATTEMPTS", "1");
    cmd
}

fn seed(server: &MotoServer) -> Value {
    let python = moto::repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test.sh (ensure_python_venv)",
        python.display()
    );
    let output = StdCommand::new(python)
        .arg(moto::repo().join("tests/support/seed_auth_log.py"))
        .envs(server.env())
        .output()
        .expect("run seed_auth_log.py");
    assert!(
        output.status.success(),
        "seed_auth_log.py failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("seed JSON")
}

fn collect(endpoint: &str, dir: &Path, extra: &[&str]) -> Inventory {
    let out = dir.join("snapshot.json");
    let result = rdsiam(endpoint)
        .args(["collect", "--region", REGION, "--output"])
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

fn audit(endpoint: &str, dir: &Path) -> Value {
    let report = dir.join("report.json");
    rdsiam(endpoint)
        .args([
            "audit",
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--snapshot",
        ])
        .arg(dir.join("snapshot.json"))
        .arg("--output")
        .arg(&report)
        .assert()
        .code(predicates::ord::le(1));
    serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap()
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn log_of<'a>(inv: &'a Inventory, identifier: &str) -> &'a AuthLog {
    inv.auth_logs
        .iter()
        .find(|l| l.identifier == identifier)
        .unwrap_or_else(|| panic!("no auth log for {identifier}: {:?}", inv.auth_logs))
}

#[test]
fn every_documented_line_shape_is_collected_and_unknown_lines_are_counted() {
    let server = MotoServer::start().expect("moto server");
    let seeded = seed(&server);
    let dir = tempfile::tempdir().unwrap();
    let inv = collect(&server.endpoint(), dir.path(), &[]);

    let log = log_of(&inv, "authdb");
    assert_eq!(log.kind, DbTargetKind::Instance);
    assert_eq!(log.log_group, "/aws/rds/instance/authdb/iam-db-auth-error");
    assert_eq!(log.account, moto::DEFAULT_ACCOUNT);
    let codes: Vec<(&str, Option<&str>)> = log
        .events
        .iter()
        .map(|e| (e.code.as_str(), e.db_user.as_deref()))
        .collect();
    assert_eq!(
        codes,
        [
            ("InvalidToken", Some("app_user")),
            ("ExpiredToken", Some("app_user")),
            ("ExpiredToken", Some("app_user")),
            ("NotAuthorized", Some("app_admin")),
            ("NotAuthorized", Some("app_user")),
            ("ThrottlingException", Some("batch")),
            ("InternalError", Some("batch")),
        ]
    );
    assert_eq!(
        log.events[3].caller_arn.as_deref(),
        seeded["app_session"].as_str()
    );
    assert_eq!(
        log.events[4].caller_arn.as_deref(),
        seeded["outsider"].as_str()
    );
    assert_eq!(log.events[0].status_code, Some(400));
    assert_eq!(log.events[5].status_code, Some(429));
    assert_eq!(log.events[0].raw, seeded["lines"][0].as_str().unwrap());
    assert_eq!(log.unknown_lines, 2, "unknown lines counted, not parsed");
    assert_eq!(log.unknown_samples[0], "something RDS might write one day");
    assert!(!log.truncated);

    let metrics = log.metrics.as_ref().expect("metrics read");
    assert_eq!(metrics.requests, 1800.0, "only authdb's datapoints");
    assert_eq!(metrics.success, 1780.0);
    assert_eq!(metrics.failure, 20.0);
    assert_eq!(metrics.failure_invalid_token, 3.0);
    assert_eq!(metrics.failure_insufficient_permissions, 2.0);
    assert_eq!(metrics.failure_throttling, 1.0);
    assert_eq!(metrics.failure_server_error, 1.0);
    assert_eq!(metrics.period_seconds, 60);
    assert_eq!(
        metrics.peak_requests_per_second, 20.0,
        "1,200 in the busiest minute"
    );

    // The cluster exports too: its group does not exist yet (nothing refused), no gap.
    let cluster = log_of(&inv, "authcluster");
    assert_eq!(cluster.kind, DbTargetKind::Cluster);
    assert!(cluster.events.is_empty());
    assert!(
        !inv.coverage.iter().any(|g| g.source.starts_with("logs:")),
        "{:?}",
        inv.coverage
    );

    let report = audit(&server.endpoint(), dir.path());
    let refused = findings(&report, "auth-log-not-authorized");
    assert_eq!(refused.len(), 2, "{refused:#?}");
    let app = refused
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("app-role"))
        .expect("app-role refused");
    let message = app["message"].as_str().unwrap();
    assert!(message.contains("as app_admin"), "{message}");
    assert!(
        message.contains("rds-db:connect on arn:aws:rds-db:us-east-1:123456789012:dbuser:"),
        "the engine's explanation for the logged caller: {message}"
    );
    let reuse = findings(&report, "auth-log-token-reuse-or-truncation");
    assert_eq!(reuse.len(), 1, "{reuse:#?}");
    assert!(
        reuse[0]["message"]
            .as_str()
            .unwrap()
            .contains("2 ExpiredToken, 1 InvalidToken")
    );
    let throttled = findings(&report, "auth-log-throttling");
    assert_eq!(
        throttled.len(),
        1,
        "ThrottlingException line: {throttled:#?}"
    );
    let unknown = findings(&report, "auth-log-unknown-caller");
    assert_eq!(unknown.len(), 1, "{unknown:#?}");
    assert!(
        unknown[0]["message"]
            .as_str()
            .unwrap()
            .contains("999999999999")
    );
}

#[test]
fn the_auth_log_costs_two_calls_per_exporting_target() {
    let server = MotoServer::start().expect("moto server");
    seed(&server);
    let proxy = FaultProxy::start(server.port, moto::ACCESS_KEY, moto::DEFAULT_ACCOUNT, vec![])
        .expect("proxy");
    let dir = tempfile::tempdir().unwrap();
    let inv = collect(&proxy.endpoint(), dir.path(), &[]);
    assert_eq!(inv.auth_logs.len(), 2);
    let seen = proxy.seen();
    let count = |op: &str| seen.iter().filter(|(_, o, _)| o == op).count();
    println!(
        "auth log calls for {} targets: FilterLogEvents {}, GetMetricData {}",
        inv.auth_logs.len(),
        count("FilterLogEvents"),
        count("GetMetricData")
    );
    assert_eq!(count("FilterLogEvents"), 2, "one page per target");
    assert_eq!(
        count("GetMetricData"),
        2,
        "one query of 7 metrics per target"
    );

    // `--auth-errors-since 0` reads neither.
    let off = tempfile::tempdir().unwrap();
    let before = proxy.seen().len();
    let inv = collect(&proxy.endpoint(), off.path(), &["--auth-errors-since", "0"]);
    assert!(inv.auth_logs.is_empty());
    let after: Vec<_> = proxy.seen()[before..].to_vec();
    assert!(
        !after
            .iter()
            .any(|(_, o, _)| o == "FilterLogEvents" || o == "GetMetricData"),
        "{after:?}"
    );
}

#[test]
fn access_denied_on_filter_log_events_is_a_gap_and_the_audit_goes_on() {
    let server = MotoServer::start().expect("moto server");
    seed(&server);
    let proxy = FaultProxy::start(
        server.port,
        moto::ACCESS_KEY,
        moto::DEFAULT_ACCOUNT,
        vec![Fault::new(
            None,
            "FilterLogEvents",
            400,
            "AccessDeniedException",
        )],
    )
    .expect("proxy");
    let dir = tempfile::tempdir().unwrap();
    let inv = collect(&proxy.endpoint(), dir.path(), &[]);
    assert!(inv.auth_logs.is_empty(), "nothing read, nothing invented");
    let gap = inv
        .coverage
        .iter()
        .find(|g| g.source == "logs:FilterLogEvents")
        .expect("a gap for the log");
    assert_eq!(gap.error_code, "AccessDeniedException");
    assert_eq!(gap.region.as_deref(), Some(REGION));
    assert_eq!(gap.fix_permission.as_deref(), Some("logs:FilterLogEvents"));
    // One gap per exporting target, each naming its log group.
    let groups: Vec<&str> = inv
        .coverage
        .iter()
        .filter(|g| g.source == "logs:FilterLogEvents")
        .map(|g| g.message.as_str())
        .collect();
    assert_eq!(groups.len(), 2, "{groups:?}");
    for group in [
        "/aws/rds/instance/authdb/iam-db-auth-error",
        "/aws/rds/cluster/authcluster/iam-db-auth-error",
    ] {
        assert!(
            groups.iter().any(|m| m.contains(group)),
            "{group}: {groups:?}"
        );
    }
    // The rest of the collection is intact.
    assert!(
        inv.accounts[0].regions[0]
            .db_instances
            .iter()
            .any(|i| i.identifier == "authdb")
    );

    let report = audit(&proxy.endpoint(), dir.path());
    assert!(findings(&report, "auth-log-not-authorized").is_empty());
    let not_evaluated = report["not_evaluated"].as_array().expect("not_evaluated");
    assert!(
        not_evaluated
            .iter()
            .any(|n| n["rule"] == "auth-log-not-authorized" && n["region"] == REGION),
        "{not_evaluated:#?}"
    );
}
